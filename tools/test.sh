#!/bin/sh
# Set up, build and run every test suite (host, codegen, fuzz, qemu, net); non-zero on any
# failure. Extra arguments go to `meson test` (e.g. --suite fuzz). The `long` suite (long
# or not yet reliable runs) is left out unless asked for: tools/test.sh --suite long.
set -eu
cd "$(dirname "$0")/.."
./tools/setup.sh
BUILD_DIR=${ANVAYA_BUILD_DIR:-build}
case " $* " in
    *" --suite long "*|*" --suite=long "*) exec meson test -C "$BUILD_DIR" --print-errorlogs "$@" ;;
esac
exec meson test -C "$BUILD_DIR" --print-errorlogs --no-suite long "$@"
