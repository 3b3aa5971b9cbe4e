#!/bin/sh
# Kernel benchmark: a release build (no invariant checks) of the benchmark system booted
# under QEMU -icount shift=0, where rdinstret counts guest instructions exactly, so the
# figures are the same on every machine. Prints the table docs/benchmarks.md records.
set -eu
cd "$(dirname "$0")/.."
ANVAYA_BUILD_DIR=${ANVAYA_BENCH_DIR:-build-bench}
ANVAYA_MESON_OPTIONS="-Dbuildtype=release -Dkernel_checks=false"
export ANVAYA_BUILD_DIR ANVAYA_MESON_OPTIONS
./tools/setup.sh >/dev/null
exec /usr/bin/python3 tools/bench.py --build "$ANVAYA_BUILD_DIR"
