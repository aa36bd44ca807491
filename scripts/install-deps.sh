#!/usr/bin/env bash
# Installs the Debian packages that VALON's tests, benchmarks and demo use, and the PyPI
# tools the OpenAPI tests run (pinned, in their own venv: $VALON_PYTOOLS, default
# /opt/valon-pytools). Idempotent and non-interactive; does nothing when everything is
# present. Daemons in these packages (etcd, nsd) are not started: tests start their own.
set -euo pipefail

packages=(
  # C libraries ValonKit links
  libcurl4-openssl-dev libmnl-dev
  # real parts the tests talk to
  etcd-server etcd-client wireguard-go nsd
  # independent oracles
  wireguard-tools bind9-dnsutils curl xxd tcpdump
  # networks: namespaces, veth, NAT routers
  iproute2 iptables kmod iputils-ping
  # the kernel-WireGuard VM (scripts/vm)
  qemu-system-x86 busybox-static cpio zstd xz-utils
  # benchmarks
  dnsperf iperf3
  openssl ca-certificates
  # test helpers and benchmark scripts; the venv of the PyPI tools below
  python3 python3-venv util-linux
  # deployments-check.sh: systemd-analyze verify
  systemd
  # package-deb.sh and install-test.sh: the Debian packages (dpkg-shlibdeps, man pages,
  # lintian), the container deployment (podman with runc: crun refuses the hybrid cgroup
  # hierarchy of these machines) on a base image made by debootstrap; podman-compose is
  # PyPI's, below
  dpkg-dev help2man lintian podman runc debootstrap debian-archive-keyring
)

# PyPI tools, exact versions: the OpenAPI document's validator, the API fuzzer, and
# podman-compose for deployments/compose.yaml (Debian 12's 1.0.3 adds a bridge network to
# `network_mode: host` services, which podman refuses; 1.0.6 does not).
pytools=${VALON_PYTOOLS:-/opt/valon-pytools}
pypi=(openapi-spec-validator==0.9.0 schemathesis==4.32.5 podman-compose==1.0.6)

install_pypi() {
  local wanted have
  wanted=$(printf '%s\n' "${pypi[@]}" | sort)
  have=$("$pytools/bin/python3" -m pip freeze 2>/dev/null | grep -iE '^(openapi-spec-validator|schemathesis|podman-compose)==' | sort || true)
  [ "${have,,}" = "${wanted,,}" ] && return 0
  echo "install-deps: installing ${pypi[*]} into $pytools"
  [ -x "$pytools/bin/python3" ] || /usr/bin/python3 -m venv "$pytools"
  "$pytools/bin/python3" -m pip install -q --disable-pip-version-check "${pypi[@]}"
}

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  install_pypi
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages (${missing[*]}); run as root" >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Keep package scripts from starting daemons (etcd on :2379, nsd on :53).
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' > "$policy"; chmod +x "$policy"; created_policy=1
fi
trap '[ $created_policy -eq 1 ] && rm -f "$policy"' EXIT
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
install_pypi
