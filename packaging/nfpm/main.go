// Command nfpm builds offcircd's Debian packages from packaging/nfpm.yaml
// with the nfpm library, so `make deb` needs only Go: no nfpm binary is
// downloaded or installed.
//
// It lives in its own module (packaging/go.mod) because nfpm pulls in
// go-git, several crypto and archive libraries: the daemon's module, its
// `go vet ./...` and `go test ./...` stay free of them.
//
// Paths in nfpm.yaml are relative to the top of the source tree (-root), where
// packaging/dist.sh has staged dist/linux_<arch>/:
//
//	go run ./nfpm -arch amd64 -version 1.2.3 -root .. -o ../dist
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/goreleaser/nfpm/v2"
	_ "github.com/goreleaser/nfpm/v2/deb" // registers the "deb" packager
)

func main() {
	var (
		config  = flag.String("config", "nfpm.yaml", "nfpm configuration")
		arch    = flag.String("arch", "", "Debian architecture: amd64 or arm64")
		version = flag.String("version", "", "Debian package version (starts with a digit)")
		root    = flag.String("root", "..", "the source tree (README.md, LICENSE, contrib/, dist/)")
		out     = flag.String("o", "../dist", "folder that receives the .deb")
	)
	flag.Parse()
	target, err := build(*config, *arch, *version, *root, *out)
	if err != nil {
		fmt.Fprintln(os.Stderr, "nfpm:", err)
		os.Exit(1)
	}
	fmt.Println(target)
}

// build writes the package and returns its path.
func build(config, arch, version, root, out string) (string, error) {
	if arch == "" || version == "" {
		return "", errors.New("-arch and -version are required")
	}
	if version[0] < '0' || version[0] > '9' {
		return "", fmt.Errorf("version %q must start with a digit (Debian policy)", version)
	}
	config, err := filepath.Abs(config)
	if err != nil {
		return "", err
	}
	out, err = filepath.Abs(out)
	if err != nil {
		return "", err
	}
	// nfpm resolves sources and scripts against the working directory.
	if err := os.Chdir(root); err != nil {
		return "", fmt.Errorf("root: %w", err)
	}
	vars := map[string]string{"ARCH": arch, "VERSION": version}
	cfg, err := nfpm.ParseFileWithEnvMapping(config, func(k string) string { return vars[k] })
	if err != nil {
		return "", fmt.Errorf("%s: %w", config, err)
	}
	info, err := cfg.Get("deb")
	if err != nil {
		return "", err
	}
	info = nfpm.WithDefaults(info)
	if err := nfpm.PrepareForPackager(info, "deb"); err != nil {
		return "", fmt.Errorf("contents: %w", err)
	}
	pkg, err := nfpm.Get("deb")
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return "", err
	}
	target := filepath.Join(out, pkg.ConventionalFileName(info))
	f, err := os.Create(target)
	if err != nil {
		return "", err
	}
	info.Target = target
	if err := pkg.Package(info, f); err != nil {
		f.Close()
		os.Remove(target)
		return "", fmt.Errorf("deb: %w", err)
	}
	if err := f.Close(); err != nil {
		os.Remove(target)
		return "", err
	}
	return target, nil
}
