#!/bin/sh
# Kernel benchmark: a release build (no invariant checks) of the benchmark system booted
# under QEMU -icount shift=0, where rdinstret counts guest instructions exactly, so the
# figures are the same on every machine. Prints the table docs/benchmarks.md records.
set -eu
cd "$(dirname "$0")/.."
ANVAYA_BUILD_DIR=${ANVAYA_BENCH_DIR:-build-bench}
export ANVAYA_BUILD_DIR
if [ ! -f "$ANVAYA_BUILD_DIR/build.ninja" ]; then
    ./tools/setup.sh >/dev/null 2>&1 || true
    meson setup "$ANVAYA_BUILD_DIR" --cross-file platforms/qemu-virt-rv64/cross.ini \
        -Dbuildtype=release -Dkernel_checks=false
fi
meson compile -C "$ANVAYA_BUILD_DIR" >/dev/null
exec /usr/bin/python3 tools/bench.py --build "$ANVAYA_BUILD_DIR"
