#!/bin/bash
# make check: the kernel tests in a VM booting Debian trixie's kernel (TAP).
# Run from the top build directory (make check sets UBR_BUILDDIR and
# UBR_SRCDIR; without them, the cwd and this script's parent are used).
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=$PWD
# Tolerate being run from the build tree's t/ too.
[[ ! -e $build/config.status && -e $build/../config.status ]] && build=$(cd .. && pwd)
export UBR_SRCDIR=${UBR_SRCDIR:-$src} UBR_BUILDDIR=${UBR_BUILDDIR:-$build}
exec "$src/t/vm/suite" trixie
