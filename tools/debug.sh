#!/bin/sh
# Boot the default image paused under QEMU's gdbstub and attach gdb-multiarch with the
# kernel's symbols. Extra arguments go to gdb (e.g. -ex 'break kernel_main').
set -eu
cd "$(dirname "$0")/.."
./tools/setup.sh >/dev/null
BUILD_DIR=${ANVAYA_BUILD_DIR:-build}
/usr/bin/python3 tools/qemu_machine.py gdb "$BUILD_DIR/anvaya.img" </dev/null &
qemu_pid=$!
trap 'kill $qemu_pid 2>/dev/null || true' EXIT
gdb-multiarch -q "$BUILD_DIR/kernel/anvaya-kernel.elf" -ex 'target remote localhost:1234' "$@"
