#!/usr/bin/env bash
# e2e/installed/rootfs.sh - the installed station's Debian 12 root file
# system, built with mmdebstrap from this machine's apt sources, made into an
# ext4 image with mkfs.ext4 -d (no loop mount, no root needed for that step),
# and cached in .cache/e2e/installed/<key>/ keyed by everything it is made
# from: this script, the kernel package and the apt sources.
#
# Prints KEY=VALUE lines for the harness: the image, the kernel and the
# initramfs Debian's initramfs-tools built for it (booted with -kernel/-initrd,
# so no boot loader is needed and a guest reboot boots the same kernel).
set -euo pipefail
export LC_ALL=C
cd "$(dirname "$0")/../.."
log() { echo "e2e-rootfs: $*" >&2; }

KERNEL=${E2E_KERNEL_PKG:-linux-image-6.1.0-56-amd64=6.1.192-2}
SOURCES=${E2E_APT_SOURCES:-/etc/apt/sources.list.d/debian.sources}
[ -f "$SOURCES" ] || SOURCES=/etc/apt/sources.list
[ -f "$SOURCES" ] || { log "no apt sources file (set E2E_APT_SOURCES)"; exit 1; }

# Debian packages the guest needs beyond minbase (Essential + apt): systemd as
# PID 1, udev for the packaged rule, kmod for modprobe, passwd for the
# package's postinst (useradd), dbus (systemctl as a non-root user, as on any
# Debian system with systemd), the kernel with its initramfs.
PACKAGES="systemd,systemd-sysv,dbus,udev,kmod,passwd,initramfs-tools,$KERNEL"

key=$( { cat "$0"; echo "$KERNEL"; cat "$SOURCES"; } | sha256sum | cut -c1-16)
out=.cache/e2e/installed/$key
if [ -f "$out/done" ]; then
  echo "E2E_ROOT_IMAGE=$PWD/$out/root.img"
  echo "E2E_ROOT_KERNEL=$PWD/$out/vmlinuz"
  echo "E2E_ROOT_INITRD=$PWD/$out/initrd.img"
  echo "E2E_ROOT_KEY=$key"
  exit 0
fi

need=""
command -v mmdebstrap >/dev/null || need="$need mmdebstrap"
command -v mkfs.ext4 >/dev/null || need="$need e2fsprogs"
if [ -n "$need" ]; then
  [ "$(id -u)" = 0 ] || { log "need root to install:$need"; exit 1; }
  apt-get update -qq
  log "installing:$need"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $need >/dev/null
fi
[ "$(id -u)" = 0 ] || { log "mmdebstrap needs root here (chroot mode) to build the cache"; exit 1; }

rm -rf .cache/e2e/installed
mkdir -p "$out"
tree=$out/tree
start=$(date +%s)
log "mmdebstrap bookworm ($KERNEL) from $SOURCES, cold: a few minutes"
# Hooks run on the host with the tree as $1.
# essential: an initramfs with just what the guest's root disk needs
#   (initramfs-tools reads /usr/share/initramfs-tools/modules.d/*).
# customize: hostname, fstab, the e2e helper's unit (the helper itself comes
#   on the run's second disk, so the cache does not depend on its code), and
#   no timers that would take the dpkg lock in the middle of the test.
mmdebstrap --variant=minbase --mode=root --include="$PACKAGES" \
  --essential-hook='mkdir -p "$1/etc/initramfs-tools/conf.d" "$1/usr/share/initramfs-tools/modules.d"
    echo MODULES=list > "$1/etc/initramfs-tools/conf.d/e2e.conf"
    printf "virtio_pci\nvirtio_blk\next4\n" > "$1/usr/share/initramfs-tools/modules.d/e2e"' \
  --customize-hook='echo offcircd-e2e > "$1/etc/hostname"
    echo "/dev/vda / ext4 rw,errors=remount-ro 0 1" > "$1/etc/fstab"
    cat > "$1/etc/systemd/system/e2e-helper.service" <<UNIT
[Unit]
Description=e2e test helper (the host drives the guest through it on ttyS1)
DefaultDependencies=no
After=systemd-udevd.service local-fs.target
[Service]
ExecStartPre=/bin/mkdir -p /run/e2e
ExecStartPre=/bin/sh -c "mountpoint -q /run/e2e || mount -o ro /dev/vdb /run/e2e"
ExecStart=/run/e2e/guestd
Restart=always
RestartSec=1
[Install]
WantedBy=sysinit.target
UNIT
    mkdir -p "$1/etc/systemd/system/sysinit.target.wants"
    ln -sf /etc/systemd/system/e2e-helper.service "$1/etc/systemd/system/sysinit.target.wants/e2e-helper.service"
    for u in apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer fstrim.timer systemd-tmpfiles-clean.timer; do
      ln -sf /dev/null "$1/etc/systemd/system/$u"
    done
    cp "$1"/boot/vmlinuz-* '"$PWD/$out"'/vmlinuz
    cp "$1"/boot/initrd.img-* '"$PWD/$out"'/initrd.img' \
  bookworm "$tree" "$SOURCES" >&2
log "mmdebstrap took $(( $(date +%s) - start ))s ($(du -sm "$tree" | cut -f1) MB)"
# Modules the station never loads (graphics, wireless, sound, media, ...):
# half the image and of mkfs's time.
kdir=$(ls -d "$tree"/lib/modules/*/kernel)
rm -rf "$kdir"/drivers/gpu "$kdir"/drivers/net/wireless "$kdir"/drivers/media "$kdir"/sound \
  "$kdir"/drivers/infiniband "$kdir"/drivers/staging "$kdir"/net/wireless "$kdir"/net/mac80211 \
  "$kdir"/drivers/net/ethernet "$kdir"/drivers/bluetooth "$kdir"/drivers/iio "$kdir"/fs/ocfs2 "$kdir"/fs/btrfs
rm -rf "$tree"/var/cache/apt/archives/*.deb "$tree"/var/lib/apt/lists/* "$tree"/usr/share/doc "$tree"/usr/share/man
mb=$(du -sm "$tree" | cut -f1)
mkfs.ext4 -q -F -L e2e-root -d "$tree" "$out/root.img" "$((mb * 2 + 512))M" >&2
rm -rf "$tree"
touch "$out/done"
log "root image ready in $(( $(date +%s) - start ))s: $(du -sh --apparent-size "$out/root.img" | cut -f1) (${mb} MB of files)"
exec "$0"
