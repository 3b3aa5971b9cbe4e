#!/bin/sh
# Set up, build and run every test suite (host, codegen, fuzz, qemu); non-zero on any
# failure. Extra arguments go to `meson test` (e.g. --suite fuzz).
set -eu
cd "$(dirname "$0")/.."
./tools/setup.sh
BUILD_DIR=${ANVAYA_BUILD_DIR:-build}
exec meson test -C "$BUILD_DIR" --print-errorlogs "$@"
