#!/usr/bin/env bash
# Tests VALON's install paths as an operator meets them (needs root):
#   1. scripts/install.sh into a temporary root and prefix: the files, modes and units it
#      installs, `systemd-analyze verify` of each unit, completions that bash loads, an
#      operator's config edit kept, a second run that changes nothing (every file's type,
#      mode, owner, checksum and mtime compared), --uninstall leaving only configs and keys;
#   2. scripts/package-deb.sh: both .debs build, `dpkg-deb -c` lists what is expected, the
#      control fields and conffiles, no Swift runtime or runpath in a binary, lintian with no
#      error; installed with `dpkg --root` into a Debian 12 debootstrap rootfs that has no
#      Swift, each binary runs `--help` there, nothing enabled, an upgrade keeps an edited
#      conffile, remove keeps and purge drops the conffiles, a WireGuard key survives both;
#   3. the container deployment with podman: a base image imported from that rootfs (with
#      Debian's etcd-server), deployments/Containerfile built on it from the release binary,
#      deployments/compose.yaml brought up by podman-compose with host networking inside a
#      network namespace beside a wireguard-go interface; dig answers the zone and a peer
#      that valonctl adds, /health answers 200 "ok", etcd in its container holds the peer.
# Each check prints PASS or FAIL with its name, the last line is "N passed, N failed", and
# the exit status is non-zero on any failure. Everything it starts and creates is removed.
#
# Usage (as root): scripts/install-test.sh [--bin-dir DIR] [--keep]
#   --bin-dir DIR  the four binaries, already built as scripts/install.sh builds them (default:
#                  that release build, made here: swift build -c release --static-swift-stdlib)
#   --keep         leave the temporary directory (its path is printed) for a look afterwards
# The debootstrap rootfs is cached in $VALON_ROOTFS_CACHE (default /var/cache/valon-test) and
# made again when older than 7 days; removing that directory is always safe.
set -uo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
BIN="" KEEP=0
while [[ $# -gt 0 ]]; do
  case $1 in
    --bin-dir) BIN=${2:?--bin-dir needs a directory}; shift ;;
    --keep) KEEP=1 ;;
    -h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "install-test: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
[[ $(id -u) == 0 ]] || { echo "install-test.sh needs root (dpkg --root, chroot, podman, network namespaces); run it as root" >&2; exit 1; }
TOOLS=(valon-discovery valonctl valon-sync valon-bootstrap)
PYTOOLS=${VALON_PYTOOLS:-/opt/valon-pytools}
PODMAN_COMPOSE=${VALON_PODMAN_COMPOSE:-$PYTOOLS/bin/podman-compose}
CACHE=${VALON_ROOTFS_CACHE:-/var/cache/valon-test}
MIRROR=${VALON_DEBIAN_MIRROR:-http://deb.debian.org/debian}
# The rootfs: what the packages depend on, and etcd for the container deployment.
ROOTFS_INCLUDE=libcurl4,libmnl0,ca-certificates,etcd-server,etcd-client
for tool in systemd-analyze dpkg-deb lintian debootstrap podman wireguard-go wg dig curl nsenter; do
  command -v "$tool" >/dev/null || { echo "install-test: $tool missing (scripts/install-deps.sh)" >&2; exit 2; }
done
[[ -x $PODMAN_COMPOSE ]] || { echo "install-test: $PODMAN_COMPOSE missing (scripts/install-deps.sh)" >&2; exit 2; }

T=$(mktemp -d /tmp/valon-install-test.XXXXXX)
ID=$((RANDOM % 900 + 100))
NS=vit$ID IFNAME=vit${ID}wg PROJECT=valon-install-test-$ID
BASE_IMAGE=localhost/valon-install-test-base:$ID
DISCOVERY_IMAGE=localhost/valon-install-test-discovery:$ID
pids=() images_before="" images_taken=0

source "$REPO/scripts/lib/checks.sh"
note() { echo "      $*"; }
section() { echo; echo "-- $1"; section_started=$SECONDS; }
took() { echo "      ($((SECONDS - section_started)) s)"; }
# Bounded polls: TRIES times, half a second apart.

export CONTAINERS_CONF=$T/containers.conf
compose() {
  (cd "$REPO/deployments" && VALON_ETCD_IMAGE=$BASE_IMAGE VALON_DISCOVERY_IMAGE=$DISCOVERY_IMAGE \
    VALON_DISCOVERY_CONFIG=$T/container/discovery.yml nsenter --net="/run/netns/$NS" "$PODMAN_COMPOSE" -p "$PROJECT" "$@")
}
cleanup() {
  local pid id
  if [[ -e /run/netns/$NS ]]; then
    compose down -v >>"$T/compose-down.log" 2>&1 || true
  fi
  for id in $(podman ps -aq --filter "label=io.podman.compose.project=$PROJECT" 2>/dev/null); do podman rm -f -t 0 "$id" >/dev/null 2>&1; done
  for id in $(podman volume ls -q --filter "label=io.podman.compose.project=$PROJECT" 2>/dev/null); do podman volume rm -f "$id" >/dev/null 2>&1; done
  podman rmi -f "$DISCOVERY_IMAGE" "$BASE_IMAGE" >/dev/null 2>&1 || true
  # The images of the build's intermediate stage, and nothing that was there before.
  # Twice: an image that another new one was built on goes only after it.
  if [[ $images_taken == 1 ]]; then
    for _ in 1 2; do
      for id in $(podman images -qa --no-trunc 2>/dev/null); do
        grep -qx "$id" <<<"$images_before" || podman rmi -f "$id" >/dev/null 2>&1 || true
      done
    done
  fi
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null; done
  [[ -e /run/netns/$NS ]] && ip netns del "$NS"
  if [[ $KEEP == 1 ]]; then echo "kept $T"; else rm -rf "$T"; fi
}
finish() {
  cleanup
  echo
  echo "$passed passed, $failed failed ($SECONDS s)"
  [[ $failed == 0 ]]
}
trap 'finish; exit $?' EXIT
trap 'exit 130' INT TERM

# ------------------------------------------------------------------ the binaries
if [[ -z $BIN ]]; then
  section "release build (swift build -c release --static-swift-stdlib, each tool)"
  source "$REPO/scripts/lib/release-build.sh"
  BIN=$(release_build "$REPO" "${TOOLS[@]}") || { check "release build" false; exit 1; }
  took
fi
for tool in "${TOOLS[@]}"; do
  [[ -x $BIN/$tool ]] || { echo "install-test: $BIN/$tool missing" >&2; exit 2; }
done

# ------------------------------------------------------------------ 1. install.sh
section "scripts/install.sh into a temporary root and prefix"
ROOT=$T/root PREFIX=$T/prefix
# The units name PREFIX/bin/...; from this machine's view PREFIX is a link into the root,
# so systemd-analyze verify finds the installed binaries there.
ln -s "$ROOT$PREFIX" "$PREFIX"
install_sh() { "$REPO/scripts/install.sh" --root "$ROOT" --prefix "$PREFIX" --bin-dir "$BIN" "$@"; }

check "install.sh without a role refuses (exit 2)" bash -c '! "$0" --root "$1" --prefix "$2" --bin-dir "$3" 2>/dev/null && [[ ! -e $1$2 ]]' \
  "$REPO/scripts/install.sh" "$ROOT" "$PREFIX" "$BIN"
install_sh --discovery --client --admin >"$T/install-1.log" 2>&1
check "install.sh --discovery --client --admin succeeds" [ $? = 0 ]

# What is installed: every path with its type and mode, exactly.
expected_install() {
  local t p=${PREFIX#/}
  {
    printf '%s\n' "d755 etc" "d755 etc/systemd" "d755 etc/systemd/system" "d755 etc/valon" \
      "d755 var" "d755 var/lib" "d700 var/lib/valon" "d700 var/lib/valon/discovery"
    for u in valon-discovery.service valon-bootstrap.service valon-sync.service valon-sync.timer valon-sync-follow.service; do
      echo "f644 etc/systemd/system/$u"
    done
    for c in client.conf discovery.yml valonctl.yml; do echo "f640 etc/valon/$c"; done
    local d=""
    for part in ${p//\// }; do d+=${d:+/}$part; echo "d755 $d"; done
    for d in bin share share/bash-completion share/bash-completion/completions share/zsh share/zsh/site-functions \
      share/doc share/doc/valon share/valon; do echo "d755 $p/$d"; done
    for t in "${TOOLS[@]}"; do
      echo "f755 $p/bin/$t"
      echo "f644 $p/share/bash-completion/completions/$t"
      echo "f644 $p/share/zsh/site-functions/_$t"
    done
    echo "f644 $p/share/doc/valon/README.md"
    echo "f644 $p/share/valon/install-manifest"
  } | LC_ALL=C sort
}
actual_tree() { (cd "$1" && find . -mindepth 1 -printf '%y%m %P\n' | sed 's/^\([df]\)0*/\1/' | LC_ALL=C sort); }
tree_is_expected() {
  local diff
  if ! diff=$(diff <(expected_install) <(actual_tree "$ROOT")); then note "expected (<) vs installed (>):"; echo "$diff" | sed 's/^/        /'; return 1; fi
}
check "the installed tree is exactly the expected paths, types and modes (state dirs 0700, configs 0640)" tree_is_expected
check "the installed binaries are the built ones and all root-owned" bash -c '
  for t in valon-discovery valonctl valon-sync valon-bootstrap; do cmp -s "$0/$t" "$1$2/bin/$t" || exit 1; done
  [[ -z $(find "$1" ! -user root -o ! -group root) ]]' "$BIN" "$ROOT" "$PREFIX"

units_name_prefix() {
  local u line bad=0
  for u in "$ROOT"/etc/systemd/system/*; do
    while read -r line; do
      [[ $line =~ ^Exec(Start|Stop)=([^ ]+) ]] || continue
      local program=${BASH_REMATCH[2]}
      [[ $program == "$PREFIX/bin/"* && -x $program ]] || { note "$(basename "$u"): $line"; bad=1; }
    done <"$u"
    grep -q /usr/local "$u" && { note "$(basename "$u") still names /usr/local"; bad=1; }
  done
  [[ $bad == 0 ]]
}
check "every ExecStart/ExecStop names PREFIX/bin and an installed program" units_name_prefix
verify_units() {
  local u out bad=0
  for u in "$ROOT"/etc/systemd/system/*; do
    if ! out=$(cd "$(dirname "$u")" && systemd-analyze verify "./$(basename "$u")" 2>&1) || [[ -n $out ]]; then
      note "$(basename "$u"):"; echo "$out" | sed 's/^/        /'; bad=1
    fi
  done
  [[ $bad == 0 ]]
}
check "systemd-analyze verify: each installed unit (5) without a message" verify_units
completions_load() {
  local t
  for t in "${TOOLS[@]}"; do
    bash -c 'source "$1" && complete -p "$2" >/dev/null' _ "$ROOT$PREFIX/share/bash-completion/completions/$t" "$t" || { note "bash: $t"; return 1; }
    grep -q "^#compdef $t\$" "$ROOT$PREFIX/share/zsh/site-functions/_$t" || { note "zsh: _$t"; return 1; }
  done
}
check "bash loads each completion and registers it for its tool; zsh files are #compdef TOOL" completions_load

# An operator edits a config; a second run must change nothing at all.
echo "# edited by the operator" >>"$ROOT/etc/valon/discovery.yml"
snapshot() { (cd "$ROOT" && find . -printf '%y %m %u:%g %s %T@ %P\n' | LC_ALL=C sort -k6 && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum); }
snapshot >"$T/snapshot-1"
install_sh --discovery --client --admin >"$T/install-2.log" 2>&1
check "a second install.sh run succeeds and says nothing changed" grep -q 'nothing changed' "$T/install-2.log"
snapshot >"$T/snapshot-2"
check "the second run changed nothing: every path's type, mode, owner, size, mtime and sha256 equal" cmp -s "$T/snapshot-1" "$T/snapshot-2"
check "the operator's edit of /etc/valon/discovery.yml is kept" grep -q 'edited by the operator' "$ROOT/etc/valon/discovery.yml"

# Keys are not install.sh's: a WireGuard key made by valon-bootstrap stays.
mkdir -p -m 0700 "$ROOT/etc/wireguard"
"$BIN/valonctl" genkey >"$ROOT/etc/wireguard/wg0.key"; chmod 0600 "$ROOT/etc/wireguard/wg0.key"
install_sh --uninstall >"$T/uninstall.log" 2>&1
check "install.sh --uninstall succeeds" [ $? = 0 ]
left_only_configs_and_keys() {
  local left
  left=$(actual_tree "$ROOT")
  [[ $left == "$(printf '%s\n' "d755 etc" "d755 etc/valon" "f640 etc/valon/client.conf" "f640 etc/valon/discovery.yml" \
    "f640 etc/valon/valonctl.yml" "d700 etc/wireguard" "f600 etc/wireguard/wg0.key" | LC_ALL=C sort)" ]] || { note "left:"; echo "$left" | sed 's/^/        /'; return 1; }
}
check "--uninstall leaves only /etc/valon's configs (the edit too) and the key" left_only_configs_and_keys
check "a second --uninstall finds nothing to remove and says so (exit 2)" bash -c '! "$0" --uninstall --root "$1" --prefix "$2" 2>/dev/null' \
  "$REPO/scripts/install.sh" "$ROOT" "$PREFIX"
took

# ------------------------------------------------------------------ 2. Debian packages
section "scripts/package-deb.sh, lintian, dpkg --root"
DEB=$T/deb
"$REPO/scripts/package-deb.sh" --bin-dir "$BIN" --out "$DEB" >"$T/package.out" 2>"$T/package.err"
check "package-deb.sh builds two .debs" bash -c '[[ $(wc -l <"$0") == 2 ]] && for f in $(cat "$0"); do [[ -s $f ]] || exit 1; done' "$T/package.out"
DEB_DISCOVERY=$(grep /valon-discovery_ "$T/package.out") DEB_CLIENT=$(grep /valon-client_ "$T/package.out")
[[ -n $DEB_DISCOVERY && -n $DEB_CLIENT ]] || { cat "$T/package.err" >&2; exit 1; }
note "$(basename "$DEB_DISCOVERY") $(du -h "$DEB_DISCOVERY" | cut -f1), $(basename "$DEB_CLIENT") $(du -h "$DEB_CLIENT" | cut -f1)"

expected_deb() { # expected_deb PACKAGE TOOLS... : every file (not directory) the package ships
  local pkg=$1 t; shift
  {
    for t in "$@"; do
      echo "usr/bin/$t"; echo "usr/share/bash-completion/completions/$t"; echo "usr/share/zsh/vendor-completions/_$t"
      echo "usr/share/man/man1/$t.1.gz"
    done
    echo "usr/share/doc/$pkg/copyright"; echo "usr/share/doc/$pkg/changelog.Debian.gz"; echo "usr/share/doc/$pkg/README.md.gz"
    echo "usr/share/lintian/overrides/$pkg"
    case $pkg in
      valon-discovery) echo lib/systemd/system/valon-discovery.service; echo etc/valon/discovery.yml; echo etc/valon/valonctl.yml ;;
      valon-client)
        for u in valon-bootstrap.service valon-sync.service valon-sync.timer valon-sync-follow.service; do echo "lib/systemd/system/$u"; done
        echo etc/valon/client.conf ;;
    esac
  } | LC_ALL=C sort
}
deb_lists() { # deb_lists DEB PACKAGE TOOLS...
  local deb=$1 diff; shift
  if ! diff=$(diff <(expected_deb "$@") <(dpkg-deb -c "$deb" | awk '$1 !~ /^d/ {print $6}' | sed 's#^\./##' | LC_ALL=C sort)); then
    note "expected (<) vs dpkg-deb -c (>):"; echo "$diff" | sed 's/^/        /'; return 1
  fi
}
check "dpkg-deb -c valon-discovery: exactly its binaries, unit, configs, man pages, completions, docs" deb_lists "$DEB_DISCOVERY" valon-discovery valon-discovery valonctl
check "dpkg-deb -c valon-client: exactly its binaries, four units, config, man pages, completions, docs" deb_lists "$DEB_CLIENT" valon-client valon-sync valon-bootstrap
control_fields() { # control_fields DEB CONFFILES...
  local deb=$1 depends recommends conffiles; shift
  depends=$(dpkg-deb -f "$deb" Depends) recommends=$(dpkg-deb -f "$deb" Recommends)
  conffiles=$(dpkg-deb --ctrl-tarfile "$deb" | tar -xOf - ./conffiles)
  note "$(dpkg-deb -f "$deb" Package): Depends: $depends; Recommends: $recommends"
  [[ $depends =~ (^|, )libcurl4( |,|$) && $depends =~ (^|, )libmnl0( |,|$) && $depends =~ (^|, )libc6( |,|$) ]] || return 1
  [[ $depends != *swift* && $recommends == *wireguard-go* ]] || return 1
  [[ $conffiles == "$(printf '%s\n' "$@")" ]] || { note "conffiles: $conffiles"; return 1; }
}
check "valon-discovery: Depends libc6, libcurl4, libmnl0 (no Swift), Recommends wireguard-go, conffiles /etc/valon/*" \
  control_fields "$DEB_DISCOVERY" /etc/valon/discovery.yml /etc/valon/valonctl.yml
check "valon-client: Depends libc6, libcurl4, libmnl0 (no Swift), Recommends wireguard-go, conffile /etc/valon/client.conf" \
  control_fields "$DEB_CLIENT" /etc/valon/client.conf
no_swift_runtime() {
  local x=$T/deb-x deb f
  for deb in "$DEB_DISCOVERY" "$DEB_CLIENT"; do dpkg-deb -x "$deb" "$x"; done
  for f in "$x"/usr/bin/*; do
    if readelf -d "$f" | grep -Eq 'RUNPATH|RPATH|NEEDED.*libswift|NEEDED.*Foundation'; then note "$(basename "$f"):"; readelf -d "$f" | grep -E 'RUNPATH|RPATH|NEEDED' | sed 's/^/        /'; return 1; fi
  done
  rm -rf "$x"
}
check "no packaged binary needs a Swift library or has a runpath (readelf -d)" no_swift_runtime
lintian "$DEB_DISCOVERY" "$DEB_CLIENT" >"$T/lintian.log" 2>&1
lintian_status=$?
note "lintian: $(grep -c '^E:' "$T/lintian.log") errors, $(grep -c '^W:' "$T/lintian.log") warnings (status $lintian_status)"
grep '^[EW]:' "$T/lintian.log" | sed 's/^/        /'
check "lintian reports no error on either package (exit 0, no E: tag)" bash -c '[[ $0 == 0 ]] && ! grep -q "^E:" "$1"' "$lintian_status" "$T/lintian.log"

# The rootfs: Debian 12 minbase plus the packages' libraries and etcd; no Swift in it.
ROOTFS_TAR=$CACHE/bookworm-minbase-$(echo "$MIRROR $ROOTFS_INCLUDE" | sha256sum | cut -c1-12).tar
if [[ -f $ROOTFS_TAR && -n $(find "$ROOTFS_TAR" -mtime -7) ]]; then
  note "debootstrap rootfs from the cache: $ROOTFS_TAR"
else
  started=$SECONDS
  mkdir -p "$CACHE"
  if debootstrap --variant=minbase --include="$ROOTFS_INCLUDE" bookworm "$T/debootstrap" "$MIRROR" >"$T/debootstrap.log" 2>&1; then
    rm -rf "$T"/debootstrap/var/cache/apt/archives/*.deb "$T"/debootstrap/var/lib/apt/lists/*_dists_*
    tar -C "$T/debootstrap" --numeric-owner -cf "$ROOTFS_TAR.tmp" . && mv "$ROOTFS_TAR.tmp" "$ROOTFS_TAR"
    rm -rf "$T/debootstrap"
    note "debootstrap bookworm (minbase, $ROOTFS_INCLUDE) from $MIRROR: $((SECONDS - started)) s, cached as $ROOTFS_TAR"
  else
    tail -5 "$T/debootstrap.log" | sed 's/^/        /'
    check "debootstrap bookworm from $MIRROR" false
    exit 1
  fi
fi
R=$T/debroot
mkdir -p "$R" && tar -C "$R" -xf "$ROOTFS_TAR"
check "the rootfs has no Swift toolchain or runtime" bash -c '[[ ! -e $0/opt/swift && -z $(find "$0" -name "libswiftCore*" -print -quit) ]]' "$R"
in_root() { unshare -m --propagation private sh -c 'mount -t proc proc "$0/proc" && exec chroot "$0" "$@"' "$R" "$@"; }

installed_both() {
  dpkg --root="$R" -i "$DEB_DISCOVERY" "$DEB_CLIENT" >"$T/dpkg-install.log" 2>&1 || { tail -5 "$T/dpkg-install.log" | sed 's/^/        /'; return 1; }
  [[ $(dpkg-query --admindir="$R/var/lib/dpkg" -W -f='${db:Status-Abbrev}|' valon-discovery valon-client) == "ii |ii |" ]]
}
check "dpkg --root installs both packages into the Debian 12 rootfs (dependencies from the rootfs)" installed_both
runs_help() {
  local t out
  for t in "${TOOLS[@]}"; do
    out=$(in_root "/usr/bin/$t" --help 2>&1) || { note "$t --help: $out"; return 1; }
    grep -q '^USAGE: '"$t" <<<"$out" || { note "$t --help printed: $(head -2 <<<"$out")"; return 1; }
  done
}
check "each installed binary runs --help inside the rootfs (chroot, no Swift there)" runs_help
keys_in_root() {
  local key; key=$(in_root sh -c 'valonctl genkey | valonctl pubkey' 2>&1)
  [[ $key =~ ^[A-Za-z0-9+/]{43}=$ ]] || { note "valonctl pubkey printed: $key"; return 1; }
}
check "valonctl genkey | valonctl pubkey works inside the rootfs (the Swift runtime and crypto linked in)" keys_in_root
nothing_enabled() {
  [[ -z $(find "$R/etc/systemd/system" -name 'valon-*' 2>/dev/null) ]] || { note "$(find "$R/etc/systemd/system" -name 'valon-*')"; return 1; }
  [[ $(stat -c %a "$R/var/lib/valon") == 700 && $(stat -c %a "$R/var/lib/valon/discovery") == 700 ]] || { note "state dirs: $(stat -c '%a %n' "$R/var/lib/valon" "$R/var/lib/valon/discovery")"; return 1; }
}
check "the packages enable nothing (no valon-* link in /etc/systemd/system); state dirs 0700" nothing_enabled

# An upgrade (the same files, a higher version) keeps an edited conffile and installs the new one untouched.
echo "# edited by the operator" >>"$R/etc/valon/discovery.yml"
mkdir -p -m 0700 "$R/etc/wireguard" && "$BIN/valonctl" genkey >"$R/etc/wireguard/wg0.key" && chmod 0600 "$R/etc/wireguard/wg0.key"
upgrade_keeps_conffile() {
  local x=$T/upgrade version
  dpkg-deb -R "$DEB_DISCOVERY" "$x"
  version=$(dpkg-deb -f "$DEB_DISCOVERY" Version)
  sed -i "s/^Version: .*/Version: ${version%-1}-2/" "$x/DEBIAN/control"
  dpkg-deb --root-owner-group -Znone -b "$x" "$T/upgrade.deb" >/dev/null
  rm -rf "$x"
  dpkg --root="$R" --force-confold -i "$T/upgrade.deb" >"$T/dpkg-upgrade.log" 2>&1 || { tail -5 "$T/dpkg-upgrade.log" | sed 's/^/        /'; return 1; }
  [[ $(dpkg-query --admindir="$R/var/lib/dpkg" -W -f='${Version}' valon-discovery) == "${version%-1}-2" ]] || return 1
  grep -q 'edited by the operator' "$R/etc/valon/discovery.yml" && cmp -s "$REPO/deployments/valonctl.yml" "$R/etc/valon/valonctl.yml"
}
check "upgrading valon-discovery keeps the edited discovery.yml (dpkg --root -i of a higher version)" upgrade_keeps_conffile
remove_then_purge() {
  dpkg --root="$R" -r valon-client >"$T/dpkg-remove.log" 2>&1 || return 1
  [[ ! -e $R/usr/bin/valon-sync && -f $R/etc/valon/client.conf ]] || { note "after remove: valon-sync $(ls "$R/usr/bin/valon-sync" 2>&1), client.conf $(ls "$R/etc/valon/" 2>&1)"; return 1; }
  dpkg --root="$R" -P valon-client valon-discovery >"$T/dpkg-purge.log" 2>&1 || return 1
  [[ ! -e $R/etc/valon && ! -e $R/usr/bin/valonctl && ! -e $R/var/lib/valon && ! -e $R/lib/systemd/system/valon-discovery.service ]] || { note "after purge: $(ls -d "$R"/etc/valon "$R"/var/lib/valon "$R"/usr/bin/valon* 2>&1)"; return 1; }
  [[ -s $R/etc/wireguard/wg0.key ]]
}
check "dpkg -r keeps client.conf, dpkg -P removes configs and state, the WireGuard key stays" remove_then_purge
took

# ------------------------------------------------------------------ 3. the container deployment
section "deployments/Containerfile and compose.yaml with podman"
for name in valon-etcd valon-discovery; do
  if podman container exists "$name" 2>/dev/null; then
    check "no container named $name exists already (compose.yaml names its containers so; not touching it)" false
    exit 1
  fi
done
# This machine kind: no CAP_SYS_RESOURCE, so podman's default rlimits (nofile 1048576) cannot be
# set; and a hybrid cgroup hierarchy, which crun refuses and runc takes.
nofile=$(ulimit -Hn) nproc=$(ulimit -Hu)
[[ $nproc == unlimited || $nproc -gt 4096 ]] && nproc=4096
cat >"$CONTAINERS_CONF" <<EOF
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
EOF
images_before=$(podman images -qa --no-trunc) images_taken=1
started=$SECONDS
check "podman import of the rootfs as $BASE_IMAGE" bash -c 'podman import "$0" "$1" >"$2" 2>&1' "$ROOTFS_TAR" "$BASE_IMAGE" "$T/podman-import.log"
mkdir -p "$T/context/deployments" "$T/container"
cp "$REPO/deployments/discovery.yml" "$T/context/deployments/"
cp "$BIN/valon-discovery" "$T/context/valon-discovery" && strip --strip-unneeded "$T/context/valon-discovery"
podman build -f "$REPO/deployments/Containerfile" --build-arg BASE_IMAGE="$BASE_IMAGE" --build-arg BINARY=prebuilt \
  --build-arg PREBUILT=valon-discovery -t "$DISCOVERY_IMAGE" "$T/context" >"$T/podman-build.log" 2>&1
check "podman build of deployments/Containerfile on it, BINARY=prebuilt (the Swift stage skipped)" \
  bash -c '[[ $0 == 0 ]] && ! grep -q "binary-swift" "$1" && podman image exists "$2"' $? "$T/podman-build.log" "$DISCOVERY_IMAGE"
note "import and build: $((SECONDS - started)) s"

# The discovery node's network: a namespace with a wireguard-go interface, as wg-quick would make it.
ip netns add "$NS" && ip -n "$NS" link set lo up
WG_PROCESS_FOREGROUND=1 ip netns exec "$NS" wireguard-go -f "$IFNAME" >"$T/wireguard-go.log" 2>&1 &
pids+=($!)
poll 20 test -S "/var/run/wireguard/$IFNAME.sock"
"$BIN/valonctl" genkey >"$T/container/disc.key" && chmod 0600 "$T/container/disc.key"
ip netns exec "$NS" wg set "$IFNAME" private-key "$T/container/disc.key" listen-port 51820
ip -n "$NS" addr add 100.100.0.1/24 dev "$IFNAME" && ip -n "$NS" link set "$IFNAME" up
cat >"$T/container/discovery.yml" <<EOF
zone: valon.internal
etcd_endpoints:
  - http://127.0.0.1:2379
wg_interface: $IFNAME
ddns_listen: 100.100.0.1:8053
ddns_bind_device: true
bind: [100.100.0.1, 127.0.0.1]
port: 53
cache: 1
state_dir: /var/lib/valon/discovery
EOF
sed -e "s/interface: wg0/interface: $IFNAME/" "$REPO/deployments/valonctl.yml" >"$T/container/valonctl.yml"

started=$SECONDS
compose up -d >"$T/compose-up.log" 2>&1
check "podman-compose up -d (etcd and valon-discovery, network_mode host, in namespace $NS)" \
  bash -c '[[ $0 == 0 ]] && [[ $(podman ps --filter "label=io.podman.compose.project=$1" --format "{{.Names}}" | sort | tr "\n" " ") == "valon-discovery valon-etcd " ]]' $? "$PROJECT"
in_ns() { ip netns exec "$NS" "$@"; }
soa() { [[ -n $(in_ns dig +short +time=1 +tries=1 @100.100.0.1 valon.internal SOA 2>/dev/null) ]]; }
check "dig @100.100.0.1 valon.internal SOA answers (within 60 s)" poll 120 soa
note "up to the first answer: $((SECONDS - started)) s"
health_ok() {
  local body code
  body=$(in_ns curl -s -w '\n%{http_code}' --max-time 3 http://100.100.0.1:8053/health) || return 1
  code=${body##*$'\n'}
  [[ $code == 200 && $body == *'"status":"ok"'* ]] || { note "health: $body"; return 1; }
}
check "curl http://100.100.0.1:8053/health is 200 with status ok (etcd read, interface healthy)" poll 20 health_ok
pub=$("$BIN/valonctl" genkey | "$BIN/valonctl" pubkey)
in_ns "$BIN/valonctl" --config "$T/container/valonctl.yml" peer add "$pub" --alias ctest >"$T/peer-add.log" 2>&1
check "valonctl peer add (against etcd in its container) succeeds" [ $? = 0 ]
peer_answers() { [[ $(in_ns dig +short +time=1 +tries=1 @100.100.0.1 ctest.valon.internal A 2>/dev/null) == 100.100.0.2 ]]; }
check "dig ctest.valon.internal A gives the allocated 100.100.0.2 (watch from etcd to DNS)" poll 20 peer_answers
check "etcd inside its container holds /valon/aliases/ctest (etcdctl in the container)" \
  bash -c '[[ $(nsenter --net="/run/netns/$0" podman exec valon-etcd etcdctl --endpoints=http://127.0.0.1:2379 get --print-value-only /valon/aliases/ctest 2>/dev/null) == "$1" ]]' "$NS" "$pub"
check "the peer is on the WireGuard interface (wg show)" bash -c 'ip netns exec "$0" wg show "$1" peers | grep -qxF "$2"' "$NS" "$IFNAME" "$pub"
compose down -v >"$T/compose-down.log" 2>&1
check "podman-compose down -v removes both containers and the etcd volume" \
  bash -c '[[ -z $(podman ps -aq --filter "label=io.podman.compose.project=$0") && -z $(podman volume ls -q --filter "label=io.podman.compose.project=$0") ]]' "$PROJECT"
took
