#!/bin/sh
# Set up, build and boot the default system (idl/systems/anvaya.system, docs/tour.md) in
# QEMU with its console on this terminal. The first run makes the disk image
# (build/demo/disk.img, with signed packages staged on it) and later runs keep it, so the
# system remembers; the host serves build/demo/www over HTTP on 127.0.0.1:8480 while QEMU
# runs (the guest's 10.0.2.2:8480). QEMU exits by itself when the system shuts down; the
# exit status is the system's. ANVAYA_FRESH_DISK=1 makes the disk afresh.
#   ./tools/run.sh <system> [--device SPEC ...]  boots build/components/<system>.img instead
#   (idl/systems/<system>.system), with the devices given (tools/qemu_machine.py run --help).
set -eu
cd "$(dirname "$0")/.."
./tools/setup.sh
BUILD_DIR=${ANVAYA_BUILD_DIR:-build}
if [ $# -gt 0 ]; then
    system=$1
    shift
    if [ ! -f "$BUILD_DIR/components/$system.img" ]; then
        echo "run: no image $BUILD_DIR/components/$system.img (the systems: README.md, \"Systems\")"
        exit 2
    fi
    exec /usr/bin/python3 tools/qemu_machine.py run "$BUILD_DIR/components/$system.img" "$@"
fi
DEMO="$BUILD_DIR/demo"
force=""
[ "${ANVAYA_FRESH_DISK:-0}" = 1 ] && force="--force"
/usr/bin/python3 tools/demo_disk.py --apps "$BUILD_DIR/apps" --out "$DEMO" $force
rm -f "$DEMO/http.ready"
/usr/bin/python3 tools/demo_http.py "$DEMO/www" --port 8480 --ready "$DEMO/http.ready" &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT INT TERM
for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
    [ -f "$DEMO/http.ready" ] && break
    kill -0 $server 2>/dev/null || { echo "run: the host's HTTP server did not start"; exit 1; }
    sleep 0.1
done
status=0
/usr/bin/python3 tools/qemu_machine.py run "$BUILD_DIR/anvaya.img" \
    --device net:user@7 --device rng@6 --device "blk:$DEMO/disk.img@5" || status=$?
exit $status
