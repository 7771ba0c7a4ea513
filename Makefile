# offcircd — see README.md. Two commands matter: `make run` and `make test`.
GO       ?= go
BIN      := bin/offcircd
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT   ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
DATE     ?= $(shell date -u +%Y-%m-%dT%H:%M:%SZ)
LDFLAGS  := -s -w -X main.version=$(VERSION) -X main.commit=$(COMMIT) -X main.buildDate=$(DATE)
# An execution count, not a duration: go1.26's fuzz coordinator can report a
# spurious "context deadline exceeded" when a -fuzztime duration expires
# (golang/go#75804, fixed in go1.27); a count has no deadline to race.
FUZZTIME ?= 100000x

.PHONY: build run test vet test-windows lint golden bench bench-quick fuzz clean e2e

build:
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/offcircd

# The daemon on built-in defaults: type (or wedge-scan) a patron ID, then
# item barcodes; records land in ./OffCirc/files/OffCirc.dat.
run: build
	./$(BIN) run

test: lint
	$(GO) test -race -count=1 ./...
	$(MAKE) --no-print-directory bench-quick

vet:
	$(GO) vet ./...

# Windows code paths must at least compile and vet (no cgo needed for vet).
test-windows:
	GOOS=windows GOARCH=amd64 CGO_ENABLED=0 $(GO) vet ./...

# make test fails on any of: a gofmt difference, a go vet or staticcheck
# finding (Linux and Windows code paths; on Linux the e2e and platforms
# tests too), an
# untidy go.mod (either module). staticcheck is built once into bin/ from
# the module proxy, at a pinned version.
STATICCHECK_VERSION := v0.8.2
STATICCHECK         := bin/staticcheck-$(STATICCHECK_VERSION)
LINT_TAGS           := e2e,platforms

lint: vet test-windows $(STATICCHECK)
	@files=$$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './.cache/*'); \
	  bad=$$(gofmt -l $$files); \
	  if [ -n "$$bad" ]; then echo "gofmt: these files need gofmt -w:"; echo "$$bad"; exit 1; fi
	$(GO) mod tidy -diff
	cd packaging && $(GO) mod tidy -diff
	$(STATICCHECK) -tags $(LINT_TAGS) ./...
	GOOS=windows GOARCH=amd64 CGO_ENABLED=0 $(STATICCHECK) ./...

$(STATICCHECK):
	@mkdir -p bin
	GOBIN=$(CURDIR)/bin/staticcheck.tmp $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	mv bin/staticcheck.tmp/staticcheck $@ && rmdir bin/staticcheck.tmp

# Rewrite every golden file (device cases, scenarios, check/merge output,
# beep tables, the packaged systemd unit) from what the code produces now:
# each package whose tests use internal/golden runs with -update. Review the
# diff before committing it.
golden:
	$(GO) test -count=1 $$($(GO) list -f '{{.ImportPath}}{{range .TestImports}} {{.}}{{end}}{{range .XTestImports}} {{.}}{{end}}' ./... \
	  | awk '/offcircd\/internal\/golden/ {print $$1}') -update

# Go micro-benchmarks of every package, then the harness (bench/README.md):
# one table of the daemon against its floors, written to bench/results.json.
# About 3-5 minutes on 2 cores.
bench: build
	$(GO) test -run '^$$' -bench . -benchmem ./...
	$(GO) run ./bench -bin $(BIN) -out bench/results.json

# The harness with small counts and a 2 s idle window (runs in make test, so
# it cannot rot); its results go to bin/, not over bench/results.json.
bench-quick: build
	$(GO) run ./bench -quick -bin $(BIN) -out bin/results-quick.json

# Short runs of every fuzz target (go test -fuzz takes one target at a time).
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
	  dir=$$($(GO) list -f '{{.Dir}}' $$pkg); \
	  for f in $$(grep -ho '^func Fuzz[A-Za-z0-9_]*' $$dir/*_test.go 2>/dev/null | sed 's/func //'); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg; \
	  done; \
	done

# The virtual scanning station (e2e/): the real daemon in a QEMU guest with
# emulated USB scanners, keypad, FTDI serial scanner and PC speaker.
# e2e/setup.sh installs QEMU and caches Debian's kernel in .cache/e2e/.
e2e:
	@set -e; eval "$$(./e2e/setup.sh)"; export E2E_KERNEL E2E_MODULES; \
	echo "e2e: kernel $$E2E_KERNEL_PACKAGE"; \
	$(GO) test -tags e2e -count=1 -v -timeout $(if $(OFFCIRC_LONG),60m,15m) -run '^(TestDeskSession|TestPowerCut|TestPowerCutNoFsync)$$' ./e2e/
	@$(MAKE) --no-print-directory e2e-installed

# The installed station (e2e/installed/): Debian 12 with systemd as PID 1 in
# QEMU, root file system from mmdebstrap (cached in .cache/e2e/installed/),
# the amd64 .deb installed with dpkg -i as the README says, USB gadget
# scanners (HID POS, USB-COM) on the guest's dummy_hcd.
.PHONY: e2e-installed deb-amd64
e2e-installed: deb-amd64
	@set -e; ./e2e/setup.sh >/dev/null; start=$$(date +%s); eval "$$(./e2e/installed/rootfs.sh)"; \
	echo "e2e: root image $$E2E_ROOT_KEY ready in $$(( $$(date +%s) - start ))s"; \
	export E2E_ROOT_IMAGE E2E_ROOT_KERNEL E2E_ROOT_INITRD; \
	export E2E_DEB=$$(ls $(CURDIR)/dist/offcircd_*_amd64.deb); \
	$(GO) test -tags e2e -count=1 -v -timeout 20m -run '^TestInstalledStation$$' ./e2e/

# The amd64 .deb alone (what the installed station needs; `make deb` also
# builds arm64, which needs the cross compiler).
deb-amd64:
	GO='$(GO)' VERSION='$(VERSION)' LDFLAGS='$(LDFLAGS)' PLATFORMS=linux_amd64 packaging/dist.sh >/dev/null
	cd packaging && $(GO) run ./nfpm -arch amd64 -version '$(DEB_VERSION)' -root .. -o ../dist

# Mutation testing (test/mutate/): gremlins v0.6.0 on the store, the station,
# the encoder, the feedback dispatcher and the device decoders; one table,
# written to test/mutate/results.json. Fails on an efficacy under its floor
# or a survivor that test/mutate/survivors.txt does not explain. Slow (tens
# of minutes on 2 cores), so not part of make test; MUTATE_ONLY=encoder (a
# comma-separated list of the table's rows) measures a part.
.PHONY: mutate
MUTATE_ONLY    ?=
MUTATE_WORKERS ?= 2
mutate:
	GOBIN=$(CURDIR)/bin $(GO) install github.com/go-gremlins/gremlins/cmd/gremlins@v0.6.0
	$(GO) build -o bin/mutate ./test/mutate
	nice -n 10 ./bin/mutate -gremlins bin/gremlins -workers $(MUTATE_WORKERS) -only '$(MUTATE_ONLY)'

clean:
	rm -rf bin dist OffCirc

# ---- Release builds (issue 9) ------------------------------------------------
# dist: cgo cross builds for linux/amd64, linux/arm64 (aarch64-linux-gnu-gcc)
# and windows/amd64 (x86_64-w64-mingw32-gcc) into dist/<os>_<arch>/, plus one
# archive each, and the Windows MSI (packaging/msi.sh, wixl). deb: Debian
# packages for amd64 and arm64 through the nfpm Go module (packaging/ is its
# own module so the daemon's module stays lean).
# test-platforms: the Windows smoke test under Wine and the package checks;
# slow, so not part of `make test`.
.PHONY: dist deb test-platforms

# Debian versions must start with a digit; an untagged tree gets 0.0.0+git<commit>.
DEB_VERSION ?= $(shell packaging/deb-version.sh '$(VERSION)' '$(COMMIT)')

dist:
	GO='$(GO)' VERSION='$(VERSION)' LDFLAGS='$(LDFLAGS)' packaging/dist.sh

deb: dist
	@set -e; for arch in amd64 arm64; do \
	  (cd packaging && $(GO) run ./nfpm -arch $$arch -version '$(DEB_VERSION)' \
	     -root .. -o ../dist); \
	done
	@for d in dist/*.deb; do dpkg-deb --info $$d >/dev/null && ls -l $$d; done

test-platforms: dist deb
	$(GO) vet -tags platforms ./test/platforms/
	cd packaging && $(GO) vet ./...
	$(GO) test -tags platforms -count=1 -v -timeout 15m ./test/platforms/ -dist $(CURDIR)/dist
