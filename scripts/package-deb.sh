#!/usr/bin/env bash
# Builds the Debian packages with dpkg-deb, from a tree this script generates (nothing of it
# is committed):
#   valon-discovery  valon-discovery and valonctl, valon-discovery.service,
#                    /etc/valon/discovery.yml and valonctl.yml (conffiles);
#   valon-client     valon-sync and valon-bootstrap, valon-bootstrap.service, valon-sync.service,
#                    valon-sync.timer, valon-sync-follow.service, /etc/valon/client.conf (conffile).
# Binaries in /usr/bin (release, the Swift runtime linked in, stripped), units in
# /lib/systemd/system, man pages (help2man from --help), bash and zsh completions, and
# Depends computed by dpkg-shlibdeps from the binaries (libc6, libcurl4, libmnl0, libgcc-s1,
# libstdc++6). The maintainer scripts enable and start nothing: configure reloads systemd
# (and restarts valon-discovery or valon-sync-follow on an upgrade if they were running),
# remove stops the units, purge removes the operator's enable links and the state.
#
# Usage: scripts/package-deb.sh [--out DIR] [--bin-dir DIR | --no-build] [--version VERSION]
#   --out DIR      where the .deb files go (default .build/deb)
#   --bin-dir DIR  take the binaries from DIR instead of building them
#   --no-build     take them from the existing release build
#   --version V    the package version (default: valonctl's version, +gitDATE.HASH in a clone)
# Prints the paths of the two packages, one a line, on stdout.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
OUT=$REPO/.build/deb BIN_DIR="" BUILD=1 VERSION=""
while [[ $# -gt 0 ]]; do
  case $1 in
    --out) OUT=${2:?}; shift ;;
    --bin-dir) BIN_DIR=${2:?}; BUILD=0; shift ;;
    --no-build) BUILD=0 ;;
    --version) VERSION=${2:?}; shift ;;
    -h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "package-deb: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
for tool in dpkg-deb dpkg-shlibdeps help2man strip; do
  command -v "$tool" >/dev/null || { echo "package-deb: $tool missing (scripts/install-deps.sh: dpkg-dev, help2man, binutils)" >&2; exit 2; }
done

TOOLS=(valon-discovery valonctl valon-sync valon-bootstrap)
if [[ $BUILD == 1 ]]; then
  source "$REPO/scripts/lib/release-build.sh"
  BIN_DIR=$(release_build "$REPO" "${TOOLS[@]}")
fi
[[ -n $BIN_DIR ]] || BIN_DIR=$(cd "$REPO" && swift build -c release --show-bin-path)
for t in "${TOOLS[@]}"; do [[ -x $BIN_DIR/$t ]] || { echo "package-deb: $BIN_DIR/$t missing" >&2; exit 2; }; done

# Version and date: valonctl's version, and in a git clone the last commit's date and hash,
# so that each commit's package upgrades the one before. The commit time is also the time of
# every file in the packages (SOURCE_DATE_EPOCH), so that the same commit gives the same .deb.
upstream=$("$BIN_DIR/valonctl" --version)
if git -C "$REPO" rev-parse --git-dir >/dev/null 2>&1; then
  export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git -C "$REPO" log -1 --format=%ct)}
  [[ -n $VERSION ]] || VERSION="$upstream+git$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y%m%d.%H%M%S).$(git -C "$REPO" log -1 --format=%h)"
  MAINTAINER=${VALON_DEB_MAINTAINER:-$(git -C "$REPO" log -1 --format='%an <%ae>')}
else
  export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(date +%s)}
  [[ -n $VERSION ]] || VERSION=$upstream
fi
MAINTAINER=${MAINTAINER:-${VALON_DEB_MAINTAINER:-VALON maintainers <valon@localhost>}}
DEB_VERSION=$VERSION-1
ARCH=$(dpkg --print-architecture)
DATE=$(date -u -R -d "@$SOURCE_DATE_EPOCH")

work=$(mktemp -d "${TMPDIR:-/tmp}/valon-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$OUT"

# Man pages from the tools' own --help (help2man), one per tool.
manpage() { # manpage TOOL DEST
  local name=$1 abstract
  abstract=$("$BIN_DIR/$name" --help | sed -n 's/^OVERVIEW: //p' | head -1)
  abstract=${abstract%.}
  [[ -n $abstract ]] || abstract="VALON $name"
  help2man --no-info --no-discard-stderr --section=1 --version-string="$VERSION" \
    --name="${abstract:0:1}${abstract:1}" --source=VALON "$BIN_DIR/$name" >"$work/$name.1"
  mkdir -p "$(dirname "$2")"
  gzip -9n <"$work/$name.1" >"$2"
}

# stage PACKAGE "TOOLS" "UNITS" "CONFIGS" "STATE DIRS" RECOMMENDS SUGGESTS SUMMARY DESCRIPTION
stage() {
  local pkg=$1 tools=$2 units=$3 configs=$4 states=$5 recommends=$6 suggests=$7 summary=$8 description=$9
  local root=$work/$pkg t u c d
  mkdir -p "$root/DEBIAN" "$root/usr/bin" "$root/lib/systemd/system" "$root/etc/valon" \
    "$root/usr/share/bash-completion/completions" "$root/usr/share/zsh/vendor-completions" \
    "$root/usr/share/doc/$pkg"
  for t in $tools; do
    install -m 0755 "$BIN_DIR/$t" "$root/usr/bin/$t"
    strip --strip-unneeded --remove-section=.comment --remove-section=.note "$root/usr/bin/$t"
    # bash-completion sources these files: no #! line.
    "$root/usr/bin/$t" --generate-completion-script bash | sed '1{/^#!/d}' >"$root/usr/share/bash-completion/completions/$t"
    "$root/usr/bin/$t" --generate-completion-script zsh >"$root/usr/share/zsh/vendor-completions/_$t"
    manpage "$t" "$root/usr/share/man/man1/$t.1.gz"
  done
  for u in $units; do
    sed -e 's#/usr/local/bin/#/usr/bin/#g' \
      -e "s#^Documentation=file:///usr/share/doc/valon/README.md#Documentation=man:$(basename "$u" | sed 's/[.-][^.-]*$//; s/-follow$//')(1)#" \
      "$REPO/$u" >"$root/lib/systemd/system/$(basename "$u")"
    chmod 0644 "$root/lib/systemd/system/$(basename "$u")"
  done
  : >"$root/DEBIAN/conffiles"
  for c in $configs; do
    install -m 0644 "$REPO/deployments/$c" "$root/etc/valon/$c"
    echo "/etc/valon/$c" >>"$root/DEBIAN/conffiles"
  done
  # Lintian's overrides, each with its reason.
  mkdir -p "$root/usr/share/lintian/overrides"
  {
    echo "# Yams (the YAML parser of the config files) compiles its own copy of libyaml into"
    echo "# the binary; it cannot use Debian's libyaml."
    for t in $tools; do echo "$pkg: embedded-library libyaml [usr/bin/$t]"; done
  } >"$root/usr/share/lintian/overrides/$pkg"

  # /usr/share/doc: copyright, the Debian changelog and the README.
  cat >"$root/usr/share/doc/$pkg/copyright" <<EOF
$pkg: VALON, a WireGuard mesh whose peers find each other through DNS.

Built from the VALON source tree by scripts/package-deb.sh.

Copyright (C) $(date -u -d "@$SOURCE_DATE_EPOCH" +%Y) the VALON authors.
The source tree carries no license statement of its own. The binaries link,
statically, the Swift runtime (Apache License 2.0 with Runtime Library
Exception) and the Swift packages named in Package.swift with their
dependencies, each under its own license: mostly the Apache License 2.0,
Yams under the MIT license, and BoringSSL inside swift-crypto under the
OpenSSL and ISC licenses.

On Debian systems, the complete text of the Apache License 2.0 can be found in
/usr/share/common-licenses/Apache-2.0.
EOF
  printf '%s (%s) unstable; urgency=medium\n\n  * Package built from the VALON source tree (scripts/package-deb.sh).\n\n -- %s  %s\n' \
    "$pkg" "$DEB_VERSION" "$MAINTAINER" "$DATE" | gzip -9n >"$root/usr/share/doc/$pkg/changelog.Debian.gz"
  gzip -9n <"$REPO/README.md" >"$root/usr/share/doc/$pkg/README.md.gz"

  # Maintainer scripts: systemd is told about new units, nothing is enabled or started.
  local names=""
  for u in $units; do names+=" $(basename "$u")"; done
  local restart=""
  case $pkg in
    valon-discovery) restart=valon-discovery.service ;;
    valon-client) restart=valon-sync-follow.service ;;
  esac
  cat >"$root/DEBIAN/postinst" <<EOF
#!/bin/sh
# $pkg: enables and starts nothing; the operator chooses (systemctl enable --now ...).
set -e
# The state directories, 0700 (the units' StateDirectoryMode); an existing one is left as it is.
if [ "\$1" = configure ]; then
	for dir in $states; do
		[ -d "\$dir" ] || install -d -m 0700 "\$dir"
	done
fi
if [ "\$1" = configure ] && [ -d /run/systemd/system ]; then
	systemctl --system daemon-reload >/dev/null || true
	# An upgrade restarts the daemon only where it was already running.
	if [ -n "\$2" ]; then
		deb-systemd-invoke try-restart $restart >/dev/null || true
	fi
fi
exit 0
EOF
  cat >"$root/DEBIAN/prerm" <<EOF
#!/bin/sh
# $pkg: removing the package stops its units (an upgrade does not).
set -e
if [ "\$1" = remove ] && [ -d /run/systemd/system ]; then
	deb-systemd-invoke stop$names >/dev/null || true
fi
exit 0
EOF
  cat >"$root/DEBIAN/postrm" <<EOF
#!/bin/sh
# $pkg: purge removes the operator's enable links and the state; never a WireGuard key.
set -e
if [ -d /run/systemd/system ]; then
	systemctl --system daemon-reload >/dev/null || true
fi
if [ "\$1" = purge ]; then
	for unit in$names; do
		rm -f /etc/systemd/system/*.wants/"\$unit" /etc/systemd/system/*.requires/"\$unit"
	done
$(case $pkg in
    valon-discovery) printf '\trm -rf /var/lib/valon/discovery\n' ;;
    valon-client) printf '\trm -f /var/lib/valon/*.state.json\n' ;;
  esac)
	rmdir /var/lib/valon 2>/dev/null || true
	rmdir /etc/valon 2>/dev/null || true
fi
exit 0
EOF
  chmod 0755 "$root/DEBIAN/postinst" "$root/DEBIAN/prerm" "$root/DEBIAN/postrm"

  # Depends from the binaries' ELF needs (dpkg-shlibdeps wants a debian/control to read).
  mkdir -p "$work/src-$pkg/debian"
  printf 'Source: valon\n\nPackage: %s\nArchitecture: any\n' "$pkg" >"$work/src-$pkg/debian/control"
  local depends elves=()
  for t in $tools; do elves+=("-e$root/usr/bin/$t"); done
  depends=$(cd "$work/src-$pkg" && dpkg-shlibdeps -O "${elves[@]}" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
  [[ -n $depends ]] || { echo "package-deb: dpkg-shlibdeps found no dependencies for $pkg" >&2; exit 1; }

  (cd "$root" && find . -type f ! -path './DEBIAN/*' -printf '%P\n' | LC_ALL=C sort | xargs md5sum) >"$root/DEBIAN/md5sums"
  cat >"$root/DEBIAN/control" <<EOF
Package: $pkg
Version: $DEB_VERSION
Architecture: $ARCH
Maintainer: $MAINTAINER
Installed-Size: $(du -sk --exclude=DEBIAN "$root" | cut -f1)
Depends: $depends
Recommends: $recommends
Suggests: $suggests
Section: net
Priority: optional
Description: $summary
$description
EOF
  local deb="$OUT/${pkg}_${DEB_VERSION}_$ARCH.deb"
  dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
  echo "$deb"
}

stage valon-discovery "valon-discovery valonctl" "deployments/valon-discovery.service" \
  "discovery.yml valonctl.yml" "/var/lib/valon /var/lib/valon/discovery" \
  "wireguard-tools, wireguard-go" "etcd-server" \
  "VALON discovery node: WireGuard mesh peers found through DNS" \
  " VALON is a WireGuard mesh VPN whose peers find each other through DNS.
 This package is the discovery node: valon-discovery serves the peer registry
 kept in etcd as an authoritative DNS zone, learns every peer's public endpoint
 from its WireGuard interface, takes LAN-endpoint reports over a small HTTP API
 and relays pairs that cannot connect directly; valonctl adds, lists and removes
 peers.
 .
 The unit valon-discovery.service is installed but neither enabled nor started.
 wireguard-go is needed where the kernel has no WireGuard module."
stage valon-client "valon-sync valon-bootstrap" \
  "deployments/systemd/valon-bootstrap.service deployments/systemd/valon-sync.service deployments/systemd/valon-sync.timer deployments/systemd/valon-sync-follow.service" \
  "client.conf" "/var/lib/valon" \
  "wireguard-go" "wireguard-tools" \
  "VALON client: joins a WireGuard mesh whose peers are found through DNS" \
  " VALON is a WireGuard mesh VPN whose peers find each other through DNS.
 This package is the client: valon-bootstrap creates the WireGuard interface and
 reaches the discovery node, valon-sync reports the LAN endpoint, reads every
 peer from the discovery node's DNS zone and programs WireGuard, choosing the
 LAN or the NAT endpoint per peer.
 .
 The units (valon-bootstrap.service, and valon-sync.timer or
 valon-sync-follow.service) are installed but neither enabled nor started.
 wireguard-go is needed where the kernel has no WireGuard module."
