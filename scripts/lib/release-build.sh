# Sourced by scripts/install.sh and scripts/package-deb.sh: the release build of the tools
# that are installed or packaged, the same flags for both.
#   --static-swift-stdlib  the Swift runtime linked in: the binaries need no Swift toolchain
#                          where they run, only libcurl4, libmnl0 and the C/C++ runtime;
#   --disable-local-rpath  no $ORIGIN runpath in a binary installed into a system directory.
# Each product alone: a whole-package release build would also build the test helpers,
# which need Swift Testing.
#
#   release_build REPO TOOL...   builds, then prints the directory holding the binaries
release_build() {
  local repo=$1 tool; shift
  command -v swift >/dev/null || { echo "release_build: swift not found (PATH=/opt/swift/usr/bin:\$PATH)" >&2; return 2; }
  for tool in "$@"; do
    echo "building $tool (swift build -c release --static-swift-stdlib)" >&2
    if ! (cd "$repo" && swift build -c release --static-swift-stdlib --disable-local-rpath --product "$tool" >"${TMPDIR:-/tmp}/valon-release-build.log" 2>&1); then
      tail -30 "${TMPDIR:-/tmp}/valon-release-build.log" >&2
      echo "release_build: building $tool failed" >&2
      return 1
    fi
  done
  (cd "$repo" && swift build -c release --show-bin-path)
}
