#!/bin/sh
# Store benchmark (a benchmark, not a timed test): write amplification for 4 KiB, 64 KiB
# and 1 MiB files, and host instruction counts (callgrind) per 4 KiB write+sync, per
# 4 KiB read, per 1 MiB written in 64 KiB pieces + sync and per mount, from
# build/lib/store/store-bench (the store's C at the build's -O2).
set -eu
cd "$(dirname "$0")/.."
BUILD_DIR=${ANVAYA_BUILD_DIR:-build}
N=${STORE_BENCH_N:-200}
ninja -C "$BUILD_DIR" lib/store/store-bench >/dev/null
BENCH="$BUILD_DIR/lib/store/store-bench"
echo "## Write amplification (device bytes per user byte, metadata and superblocks included)"
echo
"$BENCH"
echo
command -v valgrind >/dev/null || { echo "store-bench: valgrind not installed" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for fn in bench_write_sync bench_read; do
    valgrind --tool=callgrind --callgrind-out-file="$tmp/$fn.out" --toggle-collect="$fn" \
        "$BENCH" loop "$N" >"$tmp/$fn.log" 2>&1
    total=$(sed -n 's/^totals: *\([0-9]*\).*/\1/p' "$tmp/$fn.out")
    [ -n "$total" ] || total=$(sed -n 's/^summary: *\([0-9]*\).*/\1/p' "$tmp/$fn.out")
    echo "$fn: $((total / N)) instructions per call (mean of $N, callgrind Ir)"
done
grep "bytes to the device" "$tmp/bench_write_sync.log"
grep "device writes" "$tmp/bench_write_sync.log"
# The guest benchmark's sequential workload (components/storebench): 1 MiB in 64 KiB pieces
# + sync, in the guest's store geometry (4 MiB, 256 cached nodes).
S=${STORE_BENCH_SEQ:-10}
valgrind --tool=callgrind --callgrind-out-file="$tmp/seq.out" --toggle-collect=bench_seq \
    "$BENCH" seq "$S" >"$tmp/seq.log" 2>&1
total=$(sed -n 's/^totals: *\([0-9]*\).*/\1/p' "$tmp/seq.out")
[ -n "$total" ] || total=$(sed -n 's/^summary: *\([0-9]*\).*/\1/p' "$tmp/seq.out")
echo "bench_seq: $((total / S)) instructions per 1 MiB in 64 KiB pieces + sync (mean of $S)"
grep "device writes" "$tmp/seq.log"
M=${STORE_BENCH_FILES:-4000}
valgrind --tool=callgrind --callgrind-out-file="$tmp/mount.out" --toggle-collect=bench_mount \
    "$BENCH" mount "$M" >"$tmp/mount.log" 2>&1
total=$(sed -n 's/^totals: *\([0-9]*\).*/\1/p' "$tmp/mount.out")
[ -n "$total" ] || total=$(sed -n 's/^summary: *\([0-9]*\).*/\1/p' "$tmp/mount.out")
echo "bench_mount: $total instructions to mount a store of $M files of 4 KiB in 16 directories"
