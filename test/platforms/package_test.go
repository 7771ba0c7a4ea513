//go:build platforms

package platforms

import (
	"archive/tar"
	"archive/zip"
	"compress/gzip"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestArchives checks each dist archive holds exactly what a station needs:
// the binary for its platform, README, LICENSE, the example config and, on
// Linux, the udev rule; and that the Wine shim never ships.
func TestArchives(t *testing.T) {
	tests := []struct {
		glob  string
		files []string
		magic string // `file` output of the binary
	}{
		{"offcircd_*_linux_amd64.tar.gz", []string{"offcircd", "README.md", "LICENSE", "config.example.toml", "60-offcircd.rules"}, "x86-64"},
		{"offcircd_*_linux_arm64.tar.gz", []string{"offcircd", "README.md", "LICENSE", "config.example.toml", "60-offcircd.rules"}, "ARM aarch64"},
		{"offcircd_*_windows_amd64.zip", []string{"offcircd.exe", "README.md", "LICENSE", "config.example.toml"}, "PE32+ executable (console) x86-64"},
	}
	for _, tt := range tests {
		t.Run(tt.glob, func(t *testing.T) {
			m, _ := filepath.Glob(filepath.Join(*distDir, tt.glob))
			if len(m) != 1 {
				t.Fatalf("want one %s in %s, found %v", tt.glob, *distDir, m)
			}
			dir := t.TempDir()
			var got []string
			if strings.HasSuffix(m[0], ".zip") {
				got = unzip(t, m[0], dir)
			} else {
				got = untar(t, m[0], dir)
			}
			slices.Sort(got)
			want := slices.Clone(tt.files)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("%s holds %v, want %v", filepath.Base(m[0]), got, want)
			}
			out, err := exec.Command("file", "-b", filepath.Join(dir, tt.files[0])).Output()
			if err != nil {
				t.Fatalf("file: %v", err)
			}
			if !strings.Contains(string(out), tt.magic) {
				t.Errorf("file %s = %q, want %q", tt.files[0], out, tt.magic)
			}
		})
	}
}

func untar(t *testing.T, path, dir string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	var names []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return names
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name)
		if h.Uid != 0 || h.Gid != 0 {
			t.Errorf("%s: owner %d:%d, want root", h.Name, h.Uid, h.Gid)
		}
		if h.Name == "offcircd" && h.Mode&0o111 == 0 {
			t.Errorf("offcircd is not executable: %o", h.Mode)
		}
		writeOut(t, filepath.Join(dir, filepath.Base(h.Name)), tr)
	}
}

func unzip(t *testing.T, path, dir string) []string {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		writeOut(t, filepath.Join(dir, filepath.Base(f.Name)), rc)
		rc.Close()
	}
	return names
}

func writeOut(t *testing.T, path string, r io.Reader) {
	t.Helper()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o755); err != nil {
		t.Fatal(err)
	}
}

// TestDeb checks the Debian packages with dpkg-deb itself: control fields,
// the file list with modes, the conffile, the maintainer scripts, and that
// the packaged binary and config work.
func TestDeb(t *testing.T) {
	if _, err := exec.LookPath("dpkg-deb"); err != nil {
		t.Fatal("dpkg-deb not installed (Debian: dpkg)")
	}
	for _, arch := range []string{"amd64", "arm64"} {
		t.Run(arch, func(t *testing.T) {
			m, _ := filepath.Glob(filepath.Join(*distDir, "offcircd_*_"+arch+".deb"))
			if len(m) != 1 {
				t.Fatalf("want one offcircd_*_%s.deb in %s, found %v", arch, *distDir, m)
			}
			deb := m[0]
			info := dpkg(t, "--info", deb)
			for _, re := range []string{
				`(?m)^ Package: offcircd$`,
				`(?m)^ Version: [0-9][0-9A-Za-z.+~]*$`,
				`(?m)^ Architecture: ` + arch + `$`,
				`(?m)^ Depends: .*libc6 \(>= 2\.34\)`,
				`(?m)^ Maintainer: .+`,
				`(?m)^ Description: .+`,
				`systemctl restart offcircd`,
				`(?m)^ +\d+ bytes, +\d+ lines +\* +postinst +#!/bin/sh$`,
				`(?m)^ +\d+ bytes, +\d+ lines +\* +prerm +#!/bin/sh$`,
				`(?m)^ +\d+ bytes, +\d+ lines +conffiles`,
			} {
				if !regexp.MustCompile(re).MatchString(info) {
					t.Errorf("dpkg-deb --info lacks %s\n%s", re, info)
				}
			}

			contents := dpkg(t, "--contents", deb)
			for _, re := range []string{
				`(?m)^-rwxr-xr-x root/root .* \./usr/bin/offcircd$`,
				`(?m)^-rw-r--r-- root/root .* \./etc/offcircd/offcircd\.toml$`,
				`(?m)^-rw-r--r-- root/root .* \./lib/udev/rules\.d/60-offcircd\.rules$`,
				`(?m)^-rw-r--r-- root/root .* \./lib/systemd/system/offcircd\.service$`,
				`(?m)^-rw-r--r-- root/root .* \./usr/share/doc/offcircd/README\.md$`,
				`(?m)^-rw-r--r-- root/root .* \./usr/share/doc/offcircd/copyright$`,
				`(?m)^drwxr-x--- root/root .* \./var/lib/offcircd/files/$`,
				`(?m)^drwxr-x--- root/root .* \./var/lib/offcircd/state/$`,
			} {
				if !regexp.MustCompile(re).MatchString(contents) {
					t.Errorf("dpkg-deb --contents lacks %s\n%s", re, contents)
				}
			}
			if strings.Contains(contents, "bcryptprimitives") {
				t.Error("the Wine test shim must never ship")
			}

			ctrl := t.TempDir()
			dpkg(t, "--control", deb, ctrl)
			if b, _ := os.ReadFile(filepath.Join(ctrl, "conffiles")); strings.TrimSpace(string(b)) != "/etc/offcircd/offcircd.toml" {
				t.Errorf("conffiles = %q, want /etc/offcircd/offcircd.toml", b)
			}
			post, _ := os.ReadFile(filepath.Join(ctrl, "postinst"))
			for _, want := range []string{"useradd --system", "offcircd", "dialout plugdev input", "/var/lib/offcircd/files", "/var/lib/offcircd/state", "chown offcircd:offcircd"} {
				if !strings.Contains(string(post), want) {
					t.Errorf("postinst lacks %q", want)
				}
			}
			for _, s := range []string{"postinst", "prerm", "postrm"} {
				if out, err := exec.Command("sh", "-n", filepath.Join(ctrl, s)).CombinedOutput(); err != nil {
					t.Errorf("%s: sh -n: %v\n%s", s, err, out)
				}
			}

			root := t.TempDir()
			dpkg(t, "--extract", deb, root)
			// The packaged unit is the one `offcircd install` writes
			// (contrib/systemd, kept equal to daemon/service by its test).
			unit, _ := os.ReadFile(filepath.Join(root, "lib/systemd/system/offcircd.service"))
			if want, err := os.ReadFile("../../contrib/systemd/offcircd.service"); err != nil || string(unit) != string(want) {
				t.Errorf("packaged /lib/systemd/system/offcircd.service differs from contrib/systemd/offcircd.service (%v)", err)
			}
			magic := map[string]string{"amd64": "x86-64", "arm64": "ARM aarch64"}[arch]
			if out, _ := exec.Command("file", "-b", filepath.Join(root, "usr/bin/offcircd")).Output(); !strings.Contains(string(out), magic) {
				t.Errorf("packaged binary is %q, want %s", out, magic)
			}
			if arch == "amd64" {
				// The conffile as shipped must pass the packaged binary's check.
				r := run(t, root, nil, time.Minute, filepath.Join(root, "usr/bin/offcircd"), "config", "check", "etc/offcircd/offcircd.toml")
				if r.code != 0 {
					t.Errorf("config check of the packaged /etc/offcircd/offcircd.toml: %s", r)
				}
			}
		})
	}
}

func dpkg(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("dpkg-deb", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("dpkg-deb %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}
