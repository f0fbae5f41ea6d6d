#!/usr/bin/env bash
# tests/vm/kernel.sh: make sure Debian's current kernel is unpacked in the
# VM cache, and print its directory.
#
# Usage: tests/vm/kernel.sh            (prints e.g. ~/.cache/cgmem-vm/6.1.0-56-amd64)
#
# The version is the one the local apt lists name as the dependency of
# linux-image-amd64 (`apt-cache depends`, local only, no network). If the
# cache already holds that version nothing else happens. Otherwise the
# package is fetched with `apt-get download`, unpacked with `dpkg-deb -x`
# and `depmod -b` is run on it. `apt-get update` must have been run once on
# a fresh machine.
#
# Environment:
#   CGMEM_VM_CACHE  cache root (default: $HOME/.cache/cgmem-vm)
#   CGMEM_VM_KVER   force a kernel version (e.g. 6.1.0-56-amd64)
#
# Cache layout: <cache>/<ver>/root/{boot/vmlinuz-<ver>,lib/modules/<ver>}
# and <cache>/<ver>/.ok once complete. If apt cannot name a version (no
# apt lists), the newest complete cached version is used.
set -euo pipefail

cache_root=${CGMEM_VM_CACHE:-${HOME:-/root}/.cache/cgmem-vm}
mkdir -p "$cache_root"

die() { printf 'kernel.sh: %s\n' "$*" >&2; exit 1; }

resolve_version() {
	if [[ -n ${CGMEM_VM_KVER:-} ]]; then
		printf '%s\n' "$CGMEM_VM_KVER"
		return
	fi
	local line ver=
	# apt-cache only reads the local lists; it never goes to the network.
	while IFS= read -r line; do
		if [[ $line =~ Depends:\ linux-image-([0-9][^[:space:]]*) ]]; then
			ver=${BASH_REMATCH[1]}
			break
		fi
	done < <(apt-cache depends linux-image-amd64 2>/dev/null || true)
	if [[ -z $ver ]]; then
		# No apt lists: fall back to the newest complete cached kernel.
		ver=$(find "$cache_root" -mindepth 2 -maxdepth 2 -name .ok -printf '%h\n' 2>/dev/null |
			xargs -r -n1 basename | sort -V | tail -n1)
		[[ -n $ver ]] || die "cannot resolve linux-image-amd64 (run 'apt-get update') and no cached kernel in $cache_root"
		printf 'kernel.sh: apt lists do not name a kernel, using cached %s\n' "$ver" >&2
	fi
	printf '%s\n' "$ver"
}

ver=$(resolve_version)
dir=$cache_root/$ver

if [[ -e $dir/.ok ]]; then
	printf '%s\n' "$dir"
	exit 0
fi

# Serialise concurrent first runs.
exec 9>"$cache_root/.lock"
flock 9
if [[ -e $dir/.ok ]]; then
	printf '%s\n' "$dir"
	exit 0
fi

printf 'kernel.sh: fetching linux-image-%s into %s\n' "$ver" "$dir" >&2
rm -rf "$dir"
mkdir -p "$dir/dl"
apt_opts=(-q)
# As root apt drops to the _apt user, which cannot write into $HOME.
if [[ $(id -u) -eq 0 ]]; then
	apt_opts+=(-o APT::Sandbox::User=root)
fi
(cd "$dir/dl" && apt-get "${apt_opts[@]}" download "linux-image-$ver") >&2 ||
	die "apt-get download linux-image-$ver failed"
debs=("$dir"/dl/linux-image-"$ver"_*.deb)
[[ -f ${debs[0]} ]] || die "no .deb downloaded in $dir/dl"
dpkg-deb -x "${debs[0]}" "$dir/root"
[[ -f $dir/root/boot/vmlinuz-$ver ]] || die "no boot/vmlinuz-$ver in package"
[[ -d $dir/root/lib/modules/$ver ]] || die "no lib/modules/$ver in package"
depmod -b "$dir/root" "$ver"
rm -rf "$dir/dl"
touch "$dir/.ok"
printf '%s\n' "$dir"
