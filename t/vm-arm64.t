#!/bin/bash
# make check: the arm64 smoke test in a VM booting Debian sid's arm64
# kernel (TAP). It needs a static arm64 ublk-reactor: UBR_ARM64_BINARY, or
# this build's own program when this is an arm64 cross build (e.g. from
# scripts/build-static --host aarch64-linux-gnu); without one it skips
# (fails with UBLK_REACTOR_REQUIRE_VM=1).
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=$PWD
# Tolerate being run from the build tree's t/ too.
[[ ! -e $build/config.status && -e $build/../config.status ]] && build=$(cd .. && pwd)
export UBR_BUILDDIR=${UBR_BUILDDIR:-$build}
exec "$src/t/vm/arm64-smoke"
