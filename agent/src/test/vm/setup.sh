#!/bin/bash
# Prepares what SrDriveVmTests and TcmuDriveVmTests need to boot a real Linux kernel with an emulated SCSI CD drive
# under QEMU: the host packages, a pinned Debian kernel (downloaded with apt and unpacked, never installed on the
# host), a busybox initramfs that loads the SCSI CD-ROM, 9p, device-mapper and SCSI target (TCMU, tcm_loop) modules,
# and two ISO images. Idempotent; about 30 s the first time, 2 s afterwards.
#
# Usage (as root): agent/src/test/vm/setup.sh [CACHE_DIR]
#   CACHE_DIR defaults to $DISCAGENT_VM_DIR or /var/cache/discagent-vm (the test looks in the same place).
#   Keep it outside /tmp: the guest mounts its own tmpfs there.
set -euo pipefail
CACHE=${1:-${DISCAGENT_VM_DIR:-/var/cache/discagent-vm}}
HERE=$(cd "$(dirname "$0")" && pwd)
[ "$(id -u)" = 0 ] || { echo "setup.sh: run as root (it installs packages)" >&2; exit 1; }
mkdir -p "$CACHE/debs"
rm -f "$CACHE/ready"

# 1. Host packages: QEMU (TCG is enough), a static busybox for the initramfs, genisoimage for the discs, kmod for
#    modprobe --show-depends; the burning tools the guest runs from the host root against the held drive and the
#    TCMU drive (xorriso, cdrskin, wodim, growisofs, eject, sg3-utils), traced with strace to count what reaches the
#    drive; and gcc for the TCMU drive's handler (C, built by the test).
PACKAGES="qemu-system-x86 busybox-static genisoimage kmod gcc libc6-dev xorriso cdrskin wodim growisofs eject sg3-utils strace"
missing=""
for p in $PACKAGES; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"; done
if [ -n "$missing" ]; then
  echo "installing:$missing"
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing >/dev/null
fi

# 2. The kernel, pinned: Debian's linux-image-6.1.0-57-amd64 6.1.192-3 (bookworm-security), the one the TCMU
#    drive (TcmuDriveVmTests) was built and checked on. Set DISCAGENT_VM_KERNEL=package=version to try another; a
#    downloaded .deb stays in the cache, so a pin that has left the archive still works where it was fetched once.
KERNEL_PIN=${DISCAGENT_VM_KERNEL:-linux-image-6.1.0-57-amd64=6.1.192-3}
KPKG=${KERNEL_PIN%%=*}; KVERSION=${KERNEL_PIN#*=}
DEB=$(ls "$CACHE/debs/${KPKG}_${KVERSION}"_*.deb 2>/dev/null | head -1 || true)
if [ -z "$DEB" ]; then
  (cd "$CACHE/debs" && { apt-get download "$KPKG=$KVERSION" 2>&1 || { apt-get update -q >/dev/null;
    apt-get download "$KPKG=$KVERSION" 2>&1; }; } | grep -v -i unsandboxed || true)
  DEB=$(ls "$CACHE/debs/${KPKG}_${KVERSION}"_*.deb 2>/dev/null | head -1 || true)
  [ -n "$DEB" ] || { echo "setup.sh: the pinned kernel $KPKG=$KVERSION cannot be downloaded (apt-cache policy $KPKG);" \
    "move the pin in this file, or set DISCAGENT_VM_KERNEL=package=version" >&2; exit 1; }
fi
KTREE=$(mktemp -d "$CACHE/kernel.XXXXXX"); trap 'rm -rf "$KTREE"' EXIT
dpkg-deb -x "$DEB" "$KTREE"
KVER=$(ls "$KTREE/lib/modules" | head -1)
cp "$KTREE/boot/vmlinuz-$KVER" "$CACHE/vmlinuz"

# 3. The initramfs: busybox, the modules in dependency order, and an /init that mounts the host root read-only
#    over 9p, chroots into it and runs the job the test put in the second 9p share.
ROOT=$(mktemp -d "$CACHE/initramfs.XXXXXX"); trap 'rm -rf "$KTREE" "$ROOT"' EXIT
mkdir -p "$ROOT"/{bin,proc,sys,dev,host,lib/modules}
cp /bin/busybox "$ROOT/bin/busybox"
[ -e "$KTREE/lib/modules/$KVER/modules.dep" ] || depmod -b "$KTREE" "$KVER"
: > "$ROOT/modules.order"
# configfs, target_core_user (TCMU, over uio) and tcm_loop: the userspace MMC drive of TcmuDriveVmTests.
for m in virtio_pci 9pnet_virtio 9p virtio_scsi sr_mod sg isofs dm_mod configfs target_core_mod uio \
    target_core_user tcm_loop; do
  modprobe -d "$KTREE" -S "$KVER" --show-depends "$m"
done | awk '$1=="insmod"{print $2}' | awk '!seen[$0]++' | while read -r ko; do
  cp "$ko" "$ROOT/lib/modules/"; basename "$ko" >> "$ROOT/modules.order"
done
cp "$HERE/init" "$ROOT/init"; chmod 755 "$ROOT/init"
(cd "$ROOT" && find . | busybox cpio -o -H newc 2>/dev/null | gzip -1) > "$CACHE/initramfs.cpio.gz"

# 4. Two discs, to change media.
ISO=$(mktemp -d "$CACHE/iso.XXXXXX"); trap 'rm -rf "$KTREE" "$ROOT" "$ISO"' EXIT
echo "first disc" > "$ISO/one.txt"; genisoimage -quiet -V DISCAGENT1 -o "$CACHE/disc1.iso" "$ISO"
echo "second disc" > "$ISO/two.txt"; genisoimage -quiet -V DISCAGENT2 -o "$CACHE/disc2.iso" "$ISO"

echo "$KVER" > "$CACHE/ready"
echo "setup.sh: kernel $KVER, modules: $(tr '\n' ' ' < "$ROOT/modules.order")-> $CACHE"
