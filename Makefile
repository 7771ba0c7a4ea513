# offcircd — see README.md. Two commands matter: `make run` and `make test`.
GO       ?= go
BIN      := bin/offcircd
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT   ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
DATE     ?= $(shell date -u +%Y-%m-%dT%H:%M:%SZ)
LDFLAGS  := -s -w -X main.version=$(VERSION) -X main.commit=$(COMMIT) -X main.buildDate=$(DATE)
FUZZTIME ?= 10s

.PHONY: build run test vet test-windows bench bench-quick fuzz clean

build:
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/offcircd

# The daemon on built-in defaults: type (or wedge-scan) a patron ID, then
# item barcodes; records land in ./OffCirc/files/OffCirc.dat.
run: build
	./$(BIN) run

test: vet test-windows
	$(GO) test -race -count=1 ./...

vet:
	$(GO) vet ./...

# Windows code paths must at least compile and vet (no cgo needed for vet).
test-windows:
	GOOS=windows GOARCH=amd64 CGO_ENABLED=0 $(GO) vet ./...

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

bench-quick:
	$(GO) test -run '^$$' -bench . -benchtime 10x ./...

# Short runs of every fuzz target (go test -fuzz takes one target at a time).
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
	  dir=$$($(GO) list -f '{{.Dir}}' $$pkg); \
	  for f in $$(grep -ho '^func Fuzz[A-Za-z0-9_]*' $$dir/*_test.go 2>/dev/null | sed 's/func //'); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg; \
	  done; \
	done

clean:
	rm -rf bin dist OffCirc
