//go:build e2e && linux

package e2e

import (
	"bytes"
	"compress/gzip"
	"debug/elf"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// guestModules are the drivers the station needs, in the order the rig
// measured; their dependencies are loaded first.
var guestModules = []string{"xhci_pci", "hid_generic", "usbhid", "ftdi_sio", "evdev", "pcspkr"}

// moduleOrder finds the .ko files under dir and returns the paths to load,
// dependencies before dependants. Dependencies come from each module's
// .modinfo "depends=" entry, so no depmod (and no modules.dep) is needed.
func moduleOrder(dir string, want []string) ([]string, error) {
	type mod struct {
		path string
		deps []string
	}
	mods := map[string]mod{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".ko") {
			return err
		}
		f, err := elf.Open(p)
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		defer f.Close()
		sec := f.Section(".modinfo")
		if sec == nil {
			return fmt.Errorf("%s: no .modinfo", p)
		}
		b, err := sec.Data()
		if err != nil {
			return err
		}
		m := mod{path: p}
		name := strings.ReplaceAll(strings.TrimSuffix(filepath.Base(p), ".ko"), "-", "_")
		for _, kv := range bytes.Split(b, []byte{0}) {
			k, v, _ := strings.Cut(string(kv), "=")
			switch k {
			case "name":
				name = strings.ReplaceAll(v, "-", "_")
			case "depends":
				if v != "" {
					m.deps = strings.Split(strings.ReplaceAll(v, "-", "_"), ",")
				}
			}
		}
		mods[name] = m
		return nil
	})
	if err != nil {
		return nil, err
	}
	var order []string
	seen := map[string]bool{}
	var visit func(n string) error
	visit = func(n string) error {
		n = strings.ReplaceAll(n, "-", "_") // the kernel treats - and _ in module names alike
		if seen[n] {
			return nil
		}
		seen[n] = true
		m, ok := mods[n]
		if !ok {
			return fmt.Errorf("module %s not found under %s", n, dir)
		}
		for _, d := range m.deps {
			if err := visit(d); err != nil {
				return fmt.Errorf("%s: %w", n, err)
			}
		}
		order = append(order, m.path)
		return nil
	}
	for _, n := range want {
		if err := visit(n); err != nil {
			return nil, err
		}
	}
	return order, nil
}

// cpioEntry is one file, directory or device node of the initramfs.
type cpioEntry struct {
	name         string
	mode         uint32 // including the file type bits
	data         []byte
	major, minor uint32 // device nodes
}

const (
	sIFDIR = 0o040000
	sIFREG = 0o100000
	sIFCHR = 0o020000
)

// writeInitramfs writes entries as a gzip-compressed cpio "newc" archive,
// the format the kernel unpacks into its root file system.
func writeInitramfs(path string, entries []cpioEntry) error {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	ino := uint32(1)
	write := func(e cpioEntry) {
		name := e.name + "\x00"
		fmt.Fprintf(zw, "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
			ino, e.mode, 0, 0, 1, 0, len(e.data), 0, 0, e.major, e.minor, len(name), 0)
		ino++
		zw.Write([]byte(name))
		pad := func(n int) { zw.Write(make([]byte, (4-n%4)%4)) }
		pad(110 + len(name))
		zw.Write(e.data)
		pad(len(e.data))
	}
	for _, e := range entries {
		write(e)
	}
	write(cpioEntry{name: "TRAILER!!!"})
	if err := zw.Close(); err != nil {
		return err
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}
