# Sourced by scripts/install.sh, scripts/package-deb.sh and scripts/install-test.sh: the build
# of the tools that are installed or packaged, the same flags for all.
#   --static-swift-stdlib  the Swift runtime linked in: the binaries need no Swift toolchain
#                          where they run, only libcurl4, libmnl0 and the C/C++ runtime;
#   --disable-local-rpath  no $ORIGIN runpath in a binary installed into a system directory.
# Each product alone: a whole-package release build would also build the test helpers,
# which need Swift Testing.
#
#   release_build REPO TOOL...         swift build -c release, then prints the binaries' directory
#   static_build CONFIG REPO TOOL...   the same for CONFIG (debug or release); in debug only the
#                                      executables are linked again over an existing debug build
release_build() { static_build release "$@"; }
static_build() {
  local config=$1 repo=$2 tool log=${TMPDIR:-/tmp}/valon-$1-build.$$.log; shift 2
  command -v swift >/dev/null || { echo "static_build: swift not found (PATH=/opt/swift/usr/bin:\$PATH)" >&2; return 2; }
  for tool in "$@"; do
    echo "building $tool (swift build -c $config --static-swift-stdlib)" >&2
    if ! (cd "$repo" && swift build -c "$config" --static-swift-stdlib --disable-local-rpath --product "$tool" >"$log" 2>&1); then
      tail -30 "$log" >&2
      rm -f "$log"
      echo "static_build: building $tool failed" >&2
      return 1
    fi
  done
  rm -f "$log"
  (cd "$repo" && swift build -c "$config" --show-bin-path)
}
