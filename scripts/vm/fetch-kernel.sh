#!/usr/bin/env bash
# Fetches Debian's current linux-image-amd64 kernel into a cache directory without
# installing it on the host: `apt-get download` of the package that linux-image-amd64
# depends on, `dpkg-deb -x`, then `depmod` inside the extracted tree.
# Idempotent: does nothing when the extracted kernel is already there.
# Usage: fetch-kernel.sh CACHE_DIR   (prints the kernel version on stdout)
set -euo pipefail
cache=${1:?usage: fetch-kernel.sh CACHE_DIR}
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)

depends() { apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ { print $2; exit }'; }
package=$(depends)
if [ -z "$package" ]; then
  # A fresh machine may have empty package lists.
  apt-get update -qq >&2 || true
  package=$(depends)
fi
if [ -z "$package" ]; then
  echo "fetch-kernel: apt-cache does not know linux-image-amd64 (run apt-get update)" >&2
  exit 1
fi
version=${package#linux-image-}
root="$cache/kernel-$version"

if [ ! -f "$root/boot/vmlinuz-$version" ] || [ ! -f "$root/lib/modules/$version/modules.dep" ]; then
  echo "fetch-kernel: downloading $package" >&2
  debs="$cache/debs"
  mkdir -p "$debs"
  # apt drops privileges to _apt for downloads; let it write here.
  chmod 0777 "$debs"
  (cd "$debs" && apt-get download -q "$package" >&2)
  deb=$(ls -t "$debs"/"$package"_*.deb | head -n 1)
  rm -rf "$root.tmp"
  dpkg-deb -x "$deb" "$root.tmp"
  # The package's postinst would run depmod; modprobe --show-depends needs its output.
  depmod -b "$root.tmp" "$version"
  rm -rf "$root"
  mv "$root.tmp" "$root"
  rm -f "$deb"   # the extracted tree is the cache
fi
echo "$version"
