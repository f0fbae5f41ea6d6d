#!/usr/bin/env bash
# tests/vm/initramfs.sh: build (or reuse) the guest initramfs and print its
# path.
#
# Usage: tests/vm/initramfs.sh [KERNEL_DIR]
#   KERNEL_DIR  a directory printed by tests/vm/kernel.sh (default: run it)
#
# Contents: busybox-static (with its applet links), tests/vm/init as /init,
# and the modules that mount the host root (virtio_pci, 9pnet_virtio, 9p,
# overlay, virtio_rng) with their dependencies, in the load order that
# `modprobe --show-depends` computes for that kernel (listed in
# /etc/modules-order). The image is cached next to the kernel as
# initramfs-<hash>.cpio.gz, the hash covering the init script, this script,
# busybox and the module list, so editing tests/vm/init rebuilds it.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
die() { printf 'initramfs.sh: %s\n' "$*" >&2; exit 1; }

kdir=${1:-$("$here/kernel.sh")}
[[ -e $kdir/.ok ]] || die "$kdir is not a complete kernel dir (see kernel.sh)"
ver=$(basename "$kdir")
root=$kdir/root

busybox=
for b in /bin/busybox /usr/bin/busybox; do
	if [[ -x $b ]] && ! ldd "$b" >/dev/null 2>&1; then
		busybox=$b
		break
	fi
done
[[ -n $busybox ]] || die "need a static busybox: apt-get install busybox-static"

want=(virtio_pci 9pnet_virtio 9p overlay virtio_rng)
# `-a`: without it modprobe takes every name after the first as a parameter.
mapfile -t mods < <(modprobe -d "$root" -S "$ver" -a --show-depends "${want[@]}" |
	awk '$1 == "insmod" && !seen[$2]++ { print $2 }')
((${#mods[@]} > 0)) || die "modprobe --show-depends found no modules for ${want[*]}"

key=$( {
	cat "$here/init" "$here/initramfs.sh"
	sha256sum "$busybox"
	printf '%s\n' "${mods[@]}"
} | sha256sum | cut -c1-16)
out=$kdir/initramfs-$key.cpio.gz
if [[ -s $out ]]; then
	printf '%s\n' "$out"
	exit 0
fi

tmp=$(mktemp -d "$kdir/.initramfs.XXXXXX")
trap 'rm -rf "$tmp" "$tmp.cpio.gz"' EXIT
mkdir -p "$tmp"/{bin,dev,etc,lib/modules,mnt,newroot,proc,sys}
cp "$busybox" "$tmp/bin/busybox"
for applet in $("$busybox" --list); do
	[[ $applet == busybox ]] || ln -s busybox "$tmp/bin/$applet"
done
install -m 0755 "$here/init" "$tmp/init"
: >"$tmp/etc/modules-order"
for m in "${mods[@]}"; do
	name=$(basename "$m")
	case $name in
	*.ko) cp "$m" "$tmp/lib/modules/$name" ;;
	*.ko.xz) name=${name%.xz}; xz -dc "$m" >"$tmp/lib/modules/$name" ;;
	*.ko.zst) name=${name%.zst}; zstd -qdc "$m" >"$tmp/lib/modules/$name" ;;
	*.ko.gz) name=${name%.gz}; gzip -dc "$m" >"$tmp/lib/modules/$name" ;;
	*) die "unexpected module file $m" ;;
	esac
	printf '%s\n' "$name" >>"$tmp/etc/modules-order"
done
(cd "$tmp" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) |
	gzip -1 >"$tmp.cpio.gz"
mv -f "$tmp.cpio.gz" "$out"
# Drop images built from older init scripts.
find "$kdir" -maxdepth 1 -name 'initramfs-*.cpio.gz' ! -name "$(basename "$out")" -mmin +60 -delete
printf '%s\n' "$out"
