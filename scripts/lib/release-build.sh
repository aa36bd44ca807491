# Sourced by scripts/install.sh, scripts/package-deb.sh and scripts/install-test.sh: the
# release build of the tools that are installed or packaged, the same flags for all.
#   --static-swift-stdlib  the Swift runtime linked in: the binaries need no Swift toolchain
#                          where they run, only libcurl4, libmnl0 and the C/C++ runtime;
#   --disable-local-rpath  no $ORIGIN runpath in a binary installed into a system directory.
# Each product alone: a whole-package release build would also build the test helpers,
# which need Swift Testing. (A debug build does not link this way: with Swift 6.3.1 the
# static Foundation archives leave ICU and CoreFoundation symbols undefined in valonctl.)
#
#   release_build REPO TOOL...   builds, then prints the directory holding the binaries
release_build() {
  local repo=$1 tool log=${TMPDIR:-/tmp}/valon-release-build.$$.log; shift
  command -v swift >/dev/null || { echo "release_build: swift not found (PATH=/opt/swift/usr/bin:\$PATH)" >&2; return 2; }
  for tool in "$@"; do
    echo "building $tool (swift build -c release --static-swift-stdlib)" >&2
    if ! (cd "$repo" && swift build -c release --static-swift-stdlib --disable-local-rpath --product "$tool" >"$log" 2>&1); then
      tail -30 "$log" >&2
      rm -f "$log"
      echo "release_build: building $tool failed" >&2
      return 1
    fi
  done
  rm -f "$log"
  (cd "$repo" && swift build -c release --show-bin-path)
}
