#!/usr/bin/env bash
# Cross-builds offcircd for the stations it serves and lays out dist/:
#   dist/<os>_<arch>/            the unpacked archive (file dist/*/offcircd* shows the targets)
#   dist/offcircd_<version>_<os>_<arch>.tar.gz | .zip
#   dist/offcircd-<version>-windows-amd64.msi  (packaging/msi.sh)
# Called by `make dist` with GO, VERSION and LDFLAGS in the environment. cgo is
# on for every target because karalabe/hid compiles hidapi and libusb in:
# without cgo its Enumerate silently finds no scanner.
set -euo pipefail
cd "$(dirname "$0")/.."

GO=${GO:-go}
VERSION=${VERSION:?VERSION not set}
LDFLAGS=${LDFLAGS:?LDFLAGS not set}
DIST=${DIST:-dist}
UDEV_RULE=${UDEV_RULE:-contrib/udev/60-offcircd.rules}

die() { echo "dist: $*" >&2; exit 1; }

# The udev rule is what lets the service user open USB scanners on Linux; an
# archive without it installs a daemon that cannot see its HID scanners.
[ -f "$UDEV_RULE" ] || die "$UDEV_RULE is missing: it ships in every Linux archive and the .deb"
for f in README.md LICENSE; do [ -f "$f" ] || die "$f is missing"; done

cc_for() {
	case "$1" in
	linux_amd64) echo "${CC_LINUX_AMD64:-gcc}" ;;
	linux_arm64) echo "${CC_LINUX_ARM64:-aarch64-linux-gnu-gcc}" ;;
	windows_amd64) echo "${CC_WINDOWS_AMD64:-x86_64-w64-mingw32-gcc}" ;;
	*) die "unknown platform $1" ;;
	esac
}

platforms=${PLATFORMS:-linux_amd64 linux_arm64 windows_amd64}
for p in $platforms; do
	cc=$(cc_for "$p")
	command -v "$cc" >/dev/null || die "$p needs the C cross compiler $cc (Debian: gcc-aarch64-linux-gnu, gcc-mingw-w64-x86-64)"
done

rm -rf "$DIST"
mkdir -p "$DIST"

for p in $platforms; do
	os=${p%_*} arch=${p#*_}
	exe=offcircd
	[ "$os" = windows ] && exe=offcircd.exe
	dir=$DIST/$p
	mkdir -p "$dir"
	echo "dist: building $p with $(cc_for "$p")"
	GOOS=$os GOARCH=$arch CGO_ENABLED=1 CC=$(cc_for "$p") \
		"$GO" build -trimpath -ldflags "$LDFLAGS" -o "$dir/$exe" ./cmd/offcircd
done

# The example config is the binary's own commented default, so it can never
# drift from the keys the daemon accepts. Any build prints the same text; the
# host's is the one that can run here.
host=$("$GO" env GOOS)_$("$GO" env GOARCH)
if [ -x "$DIST/$host/offcircd" ]; then
	"$DIST/$host/offcircd" config >"$DIST/config.example.toml"
else
	"$GO" run ./cmd/offcircd config >"$DIST/config.example.toml"
fi

for p in $platforms; do
	os=${p%_*}
	dir=$DIST/$p
	cp README.md LICENSE "$dir/"
	if [ "$os" = windows ]; then
		# Notepad on older Windows shows LF-only files as one line.
		sed 's/$/\r/' "$DIST/config.example.toml" >"$dir/config.example.toml"
		(cd "$dir" && zip -q -X "../offcircd_${VERSION}_$p.zip" offcircd.exe README.md LICENSE config.example.toml)
	else
		cp "$DIST/config.example.toml" "$dir/"
		cp "$UDEV_RULE" "$dir/60-offcircd.rules"
		tar -C "$dir" --owner=0 --group=0 --numeric-owner -czf "$DIST/offcircd_${VERSION}_$p.tar.gz" \
			offcircd README.md LICENSE config.example.toml 60-offcircd.rules
	fi
done

# The Windows installer beside the zip (packaging/msi.sh; wixl, msitools).
case " $platforms " in
*" windows_amd64 "*)
	commits=$(git rev-list --count HEAD 2>/dev/null || echo 0)
	MSI_VERSION=$(packaging/msi-version.sh "$VERSION" "$commits") || die "no MSI version for $VERSION"
	VERSION=$VERSION MSI_VERSION=$MSI_VERSION DIST=$DIST packaging/msi.sh
	;;
esac

(cd "$DIST" && { ls -l offcircd_* offcircd-*.msi 2>/dev/null || true; } && file */offcircd*)
