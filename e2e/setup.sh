#!/usr/bin/env bash
# e2e/setup.sh - prepares what `make e2e` needs on a Debian 12 machine:
# QEMU and a static-capable C toolchain from apt, and Debian's own kernel
# (downloaded with apt-get download, unpacked with dpkg -x, never installed)
# cached in .cache/e2e/ (ignored by git). Prints KEY=VALUE lines for the harness.
#
# The kernel package is pinned (E2E_KERNEL_PKG) so runs are comparable; when
# the mirror no longer has the pinned build (security updates replace it),
# it falls back to what linux-image-amd64 depends on, and says so.
set -euo pipefail
export LC_ALL=C
cd "$(dirname "$0")/.."
PIN=${E2E_KERNEL_PKG:-linux-image-6.1.0-56-amd64=6.1.192-2}
C=.cache/e2e
mkdir -p "$C"
log() { echo "e2e-setup: $*" >&2; }

pkgs=""
command -v qemu-system-x86_64 >/dev/null || pkgs="$pkgs qemu-system-x86"
command -v xz >/dev/null || pkgs="$pkgs xz-utils"
command -v gcc >/dev/null || pkgs="$pkgs gcc"
# The power-cut test's data disk is made with mkfs.ext4 -d (not in minimal images).
command -v mkfs.ext4 >/dev/null || [ -x /usr/sbin/mkfs.ext4 ] || [ -x /sbin/mkfs.ext4 ] || pkgs="$pkgs e2fsprogs"
[ -f /usr/lib/x86_64-linux-gnu/libc.a ] || pkgs="$pkgs libc6-dev"
updated=0
if [ -n "$pkgs" ]; then
  [ "$(id -u)" = 0 ] || { log "need root to install:$pkgs"; exit 1; }
  apt-get update -qq; updated=1
  log "installing:$pkgs"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $pkgs >/dev/null
fi

K=$C/kernel
# fs/ext4 marks a cache that has the power-cut test's modules (virtio disk, ext4).
if [ ! -f "$K/vmlinux" ] || [ ! -f "$K/package" ] || [ ! -d "$K/modules/fs/ext4" ]; then
  rm -rf "$K" "$C/dl"; mkdir -p "$C/dl"
  got=""
  for attempt in pinned pinned-after-update latest; do
    case $attempt in
      pinned) want=$PIN ;;
      pinned-after-update) [ $updated = 1 ] && continue; apt-get update -qq; updated=1; want=$PIN ;;
      latest) want=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/{print $2; exit}')
              log "pinned kernel $PIN is not available any more; falling back to $want" ;;
    esac
    if (cd "$C/dl" && apt-get download -q "$want" >/dev/null 2>&1); then got=$want; break; fi
  done
  [ -n "$got" ] || { log "cannot download a kernel package"; exit 1; }
  deb=$(ls "$C"/dl/linux-image-*.deb)
  dpkg -x "$deb" "$C/kroot"
  kver=$(ls "$C/kroot/lib/modules")
  mkdir -p "$K/modules"
  # Only the driver trees the guest can need; the rest is 400 MB we never load.
  # The power-cut test adds the virtio disk and ext4 with its checksum drivers.
  for d in drivers/usb drivers/hid drivers/input drivers/block drivers/virtio fs/ext4 fs/jbd2 fs/mbcache.ko lib crypto arch/x86/crypto; do
    [ -e "$C/kroot/lib/modules/$kver/kernel/$d" ] || continue
    mkdir -p "$K/modules/$(dirname "$d")"
    cp -a "$C/kroot/lib/modules/$kver/kernel/$d" "$K/modules/$d"
  done
  # The uncompressed kernel boots without TCG running the decompressor (~3 s).
  bz=$C/kroot/boot/vmlinuz-$kver
  off=$(grep -obUaP '\xfd7zXZ\x00' "$bz" | head -1 | cut -d: -f1)
  tail -c +$((off + 1)) "$bz" | xz -dc 2>/dev/null > "$K/vmlinux" || true
  head -c 4 "$K/vmlinux" | grep -q ELF || { log "vmlinux extraction failed"; rm -rf "$K"; exit 1; }
  echo "$got $kver" > "$K/package"
  rm -rf "$C/kroot" "$C/dl"
  log "kernel $got ready"
fi
read -r pkg kver < "$K/package"
echo "E2E_KERNEL=$PWD/$K/vmlinux"
echo "E2E_MODULES=$PWD/$K/modules"
echo "E2E_KERNEL_PACKAGE=$pkg"
