#!/bin/sh
# Set up, build and run every test suite (host, codegen, qemu); non-zero on any failure.
# Extra arguments go to `meson test` (e.g. --suite host).
set -eu
cd "$(dirname "$0")/.."
./tools/setup.sh
BUILD_DIR=${ANVAYA_BUILD_DIR:-build}
exec meson test -C "$BUILD_DIR" --print-errorlogs "$@"
