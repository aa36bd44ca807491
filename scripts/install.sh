#!/usr/bin/env bash
# Installs VALON for one or more roles, as an operator installs a service:
#   --discovery  valon-discovery and valonctl, valon-discovery.service, discovery.yml and
#                valonctl.yml, /var/lib/valon/discovery (the registry snapshot);
#   --client     valon-sync and valon-bootstrap, valon-bootstrap.service, valon-sync.service,
#                valon-sync.timer, valon-sync-follow.service, client.conf, /var/lib/valon;
#   --admin      valonctl and valonctl.yml (an administrator's machine beside the node).
# Binaries go to PREFIX/bin (default /usr/local), units to /etc/systemd/system with ExecStart
# naming PREFIX/bin, example configs to /etc/valon (never over an existing file), bash and
# zsh completions (argument-parser's --generate-completion-script) to PREFIX/share. It
# builds `swift build -c release --static-swift-stdlib` first, so the binaries need no
# Swift toolchain at run time (only libcurl4 and libmnl0). It enables and starts nothing.
#
# Running it again changes nothing (files are compared before they are written). What it
# wrote, and the directories it created, are listed in PREFIX/share/valon/install-manifest;
# --uninstall removes exactly those, stopping and disabling the units first, and leaves
# /etc/valon, WireGuard keys and a state directory that is not empty.
#
# Usage (as root):
#   scripts/install.sh --discovery | --client | --admin ... [options]
#   scripts/install.sh --uninstall [--prefix DIR] [--root DIR]
# Options:
#   --prefix DIR    installation prefix (default $PREFIX or /usr/local)
#   --root DIR      install into DIR as the filesystem root (default $DESTDIR or /): paths
#                   inside (ExecStart, the manifest) are as seen from DIR, nothing is
#                   started or reloaded
#   --bin-dir DIR   take the binaries from DIR and build nothing
#   --no-build      take them from the existing release build (swift build -c release --show-bin-path)
#   --unit-dir DIR  where the units go (default /etc/systemd/system)
#   --quiet         print only the summary line
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
PREFIX=${PREFIX:-/usr/local}
DESTROOT=${DESTDIR:-}
UNITDIR=/etc/systemd/system
CONFDIR=/etc/valon
STATEDIR=/var/lib/valon
BIN_DIR="" BUILD=1 UNINSTALL=0 QUIET=0
roles=()

usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }
die() { echo "install.sh: $*" >&2; exit 2; }

while [[ $# -gt 0 ]]; do
  case $1 in
    --discovery | --client | --admin) roles+=("${1#--}") ;;
    --uninstall) UNINSTALL=1 ;;
    --prefix) PREFIX=${2:?--prefix needs a directory}; shift ;;
    --prefix=*) PREFIX=${1#*=} ;;
    --root | --destdir) DESTROOT=${2:?--root needs a directory}; shift ;;
    --root=* | --destdir=*) DESTROOT=${1#*=} ;;
    --bin-dir) BIN_DIR=${2:?--bin-dir needs a directory}; BUILD=0; shift ;;
    --bin-dir=*) BIN_DIR=${1#*=}; BUILD=0 ;;
    --no-build) BUILD=0 ;;
    --unit-dir) UNITDIR=${2:?--unit-dir needs a directory}; shift ;;
    --unit-dir=*) UNITDIR=${1#*=} ;;
    --quiet) QUIET=1 ;;
    -h | --help) usage; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
  shift
done
[[ $PREFIX == /* ]] || die "--prefix must be an absolute path: $PREFIX"
[[ $UNITDIR == /* ]] || die "--unit-dir must be an absolute path: $UNITDIR"
PREFIX=${PREFIX%/}
DESTROOT=${DESTROOT%/}
if [[ -n $DESTROOT ]]; then
  [[ $DESTROOT == /* ]] || DESTROOT=$(pwd)/$DESTROOT
  mkdir -p "$DESTROOT"
fi
[[ $(id -u) == 0 || -n $DESTROOT ]] || die "run it as root (or with --root DIR into a directory of yours)"

MANIFEST=$PREFIX/share/valon/install-manifest
LIVE=0 # the running system: reload systemd, stop units on uninstall
[[ -z $DESTROOT && -d /run/systemd/system ]] && LIVE=1

say() { [[ $QUIET == 1 ]] || echo "$@"; }
changed=0 unchanged=0
entries=() # "f PATH" and "d PATH" lines for the manifest (PATH as seen from the root)

# ensure_dir DIR [MODE [OWNER]]: creates DIR and its missing parents (0755), recording each
# one created; sets MODE and OWNER on DIR itself when they differ.
ensure_dir() {
  local dir=$1 mode=${2:-} owner=${3:-} missing=() d=$1
  while [[ -n $d && $d != / && ! -d $DESTROOT$d ]]; do missing=("$d" "${missing[@]}"); d=$(dirname "$d"); done
  for d in "${missing[@]}"; do
    if [[ $d == "$dir" && -n $mode ]]; then mkdir -m "$mode" "$DESTROOT$d"; else mkdir -m 0755 "$DESTROOT$d"; fi
    entries+=("d $d")
    say "created   $d/"
    changed=$((changed + 1))
  done
  if [[ -n $mode && $(stat -c %a "$DESTROOT$dir") != "${mode#0}" ]]; then
    chmod "$mode" "$DESTROOT$dir"; say "mode $mode $dir/"; changed=$((changed + 1))
  fi
  if [[ -n $owner && $(id -u) == 0 && $(stat -c %U:%G "$DESTROOT$dir") != "$owner" ]]; then
    chown "$owner" "$DESTROOT$dir"; say "owner $owner $dir/"; changed=$((changed + 1))
  fi
}

# put SRC DEST MODE: installs SRC as DEST unless DEST has the same content and mode already.
put() {
  local src=$1 dest=$2 mode=$3
  ensure_dir "$(dirname "$dest")"
  entries+=("f $dest")
  if [[ -f $DESTROOT$dest ]] && cmp -s "$src" "$DESTROOT$dest" && [[ $(stat -c %a "$DESTROOT$dest") == "${mode#0}" ]]; then
    unchanged=$((unchanged + 1))
    return 0
  fi
  install -m "$mode" "$src" "$DESTROOT$dest"
  say "installed $dest"
  changed=$((changed + 1))
  [[ $dest != "$UNITDIR"/* ]] || units_changed=1
}

# put_config SRC DEST: the example, only where the operator has no file yet (never recorded
# in the manifest: --uninstall leaves configs).
put_config() {
  local src=$1 dest=$2
  ensure_dir "$(dirname "$dest")"
  if [[ -e $DESTROOT$dest ]]; then
    unchanged=$((unchanged + 1))
    return 0
  fi
  install -m 0640 "$src" "$DESTROOT$dest"
  say "installed $dest (example; edit it)"
  changed=$((changed + 1))
}

units_for() {
  case $1 in
    discovery) echo "$REPO/deployments/valon-discovery.service" ;;
    client) echo "$REPO/deployments/systemd/valon-bootstrap.service $REPO/deployments/systemd/valon-sync.service $REPO/deployments/systemd/valon-sync.timer $REPO/deployments/systemd/valon-sync-follow.service" ;;
  esac
}
tools_for() {
  case $1 in
    discovery) echo "valon-discovery valonctl" ;;
    client) echo "valon-sync valon-bootstrap" ;;
    admin) echo valonctl ;;
  esac
}
configs_for() {
  case $1 in
    discovery) echo "discovery.yml valonctl.yml" ;;
    client) echo "client.conf" ;;
    admin) echo "valonctl.yml" ;;
  esac
}

# ---------------------------------------------------------------- uninstall
if [[ $UNINSTALL == 1 ]]; then
  [[ ${#roles[@]} == 0 ]] || die "--uninstall takes no role: it removes what the manifest lists"
  manifest=$DESTROOT$MANIFEST
  [[ -f $manifest ]] || die "nothing to uninstall: no $MANIFEST${DESTROOT:+ under $DESTROOT} (was it installed with --prefix $PREFIX?)"
  mapfile -t lines <"$manifest"
  removed=0 kept=0
  if [[ $LIVE == 1 ]]; then
    for line in "${lines[@]}"; do
      path=${line#? }
      [[ ${line%% *} == f && $path == "$UNITDIR"/* ]] || continue
      systemctl disable --now "$(basename "$path")" >/dev/null 2>&1 || true
    done
  fi
  for line in "${lines[@]}"; do
    [[ ${line%% *} == f ]] || continue
    path=${line#f }
    if [[ -e $DESTROOT$path || -L $DESTROOT$path ]]; then rm -f "$DESTROOT$path"; say "removed   $path"; removed=$((removed + 1)); fi
  done
  # Directories it created, deepest first, where empty (a state directory with state stays).
  mapfile -t dirs < <(printf '%s\n' "${lines[@]}" | sed -n 's/^d //p' | sort -r)
  for dir in "${dirs[@]}"; do
    [[ -d $DESTROOT$dir ]] || continue
    if rmdir "$DESTROOT$dir" 2>/dev/null; then say "removed   $dir/"; removed=$((removed + 1)); else kept=$((kept + 1)); fi
  done
  [[ $LIVE == 1 ]] && systemctl daemon-reload
  echo "install.sh: uninstalled from ${DESTROOT:-/} (prefix $PREFIX): $removed removed; $CONFDIR, keys and $kept non-empty director$([[ $kept == 1 ]] && echo y || echo ies) kept"
  exit 0
fi

# ---------------------------------------------------------------- install
[[ ${#roles[@]} -gt 0 ]] || die "choose a role: --discovery, --client and/or --admin (see --help)"
tools=() units=() configs=()
for role in "${roles[@]}"; do
  for t in $(tools_for "$role"); do [[ " ${tools[*]} " == *" $t "* ]] || tools+=("$t"); done
  for u in $(units_for "$role"); do [[ " ${units[*]} " == *" $u "* ]] || units+=("$u"); done
  for c in $(configs_for "$role"); do [[ " ${configs[*]} " == *" $c "* ]] || configs+=("$c"); done
done

if [[ $BUILD == 1 ]]; then
  source "$REPO/scripts/lib/release-build.sh"
  BIN_DIR=$(release_build "$REPO" "${tools[@]}") || die "the release build failed"
fi
[[ -n $BIN_DIR ]] || BIN_DIR=$(cd "$REPO" && swift build -c release --show-bin-path)
for t in "${tools[@]}"; do [[ -x $BIN_DIR/$t ]] || die "$BIN_DIR/$t missing (build it, or drop --no-build)"; done

work=$(mktemp -d "${TMPDIR:-/tmp}/valon-install.XXXXXX")
trap 'rm -rf "$work"' EXIT
units_changed=0

# The directories of the layout, created first so that their modes are set once.
ensure_dir "$PREFIX/bin"
ensure_dir "$UNITDIR"
ensure_dir "$CONFDIR"
case " ${roles[*]} " in *" client "* | *" discovery "*) ensure_dir "$STATEDIR" 0700 root:root ;; esac
case " ${roles[*]} " in *" discovery "*) ensure_dir "$STATEDIR/discovery" 0700 root:root ;; esac

for t in "${tools[@]}"; do
  put "$BIN_DIR/$t" "$PREFIX/bin/$t" 0755
  "$BIN_DIR/$t" --generate-completion-script bash >"$work/$t.bash"
  "$BIN_DIR/$t" --generate-completion-script zsh >"$work/_$t"
  put "$work/$t.bash" "$PREFIX/share/bash-completion/completions/$t" 0644
  put "$work/_$t" "$PREFIX/share/zsh/site-functions/_$t" 0644
done
for u in "${units[@]}"; do
  name=$(basename "$u")
  sed -e "s#/usr/local/bin/#$PREFIX/bin/#g" -e "s#file:///usr/share/doc/valon/#file://$PREFIX/share/doc/valon/#g" "$u" >"$work/$name"
  put "$work/$name" "$UNITDIR/$name" 0644
done
[[ ${#units[@]} == 0 ]] || put "$REPO/README.md" "$PREFIX/share/doc/valon/README.md" 0644
for c in "${configs[@]}"; do put_config "$REPO/deployments/$c" "$CONFDIR/$c"; done

# The manifest: what this run and earlier ones installed (a later run with another role adds to it).
ensure_dir "$(dirname "$MANIFEST")"
{
  [[ -f $DESTROOT$MANIFEST ]] && cat "$DESTROOT$MANIFEST"
  printf '%s\n' "${entries[@]}" "f $MANIFEST"
} | sort -u >"$work/manifest"
put "$work/manifest" "$MANIFEST" 0644

if [[ $LIVE == 1 && $units_changed == 1 ]]; then systemctl daemon-reload; fi
if [[ $changed == 0 ]]; then
  echo "install.sh: ${roles[*]} into ${DESTROOT:-/} (prefix $PREFIX): nothing changed ($unchanged up to date)"
else
  echo "install.sh: ${roles[*]} into ${DESTROOT:-/} (prefix $PREFIX): $changed changed, $unchanged up to date"
  [[ ${#units[@]} == 0 ]] || say "Nothing was enabled or started. Edit $CONFDIR/, then for example: systemctl enable --now$(
    case " ${roles[*]} " in *" discovery "*) echo -n " valon-discovery.service" ;; esac
    case " ${roles[*]} " in *" client "*) echo -n " valon-bootstrap.service valon-sync.timer" ;; esac)"
fi
