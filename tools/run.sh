#!/bin/sh
# Set up, build and boot the default system in QEMU with its console on this terminal.
# QEMU exits by itself when the system shuts down; the exit status is the system's.
set -eu
cd "$(dirname "$0")/.."
./tools/setup.sh
BUILD_DIR=${ANVAYA_BUILD_DIR:-build}
exec /usr/bin/python3 tools/qemu_machine.py run "$BUILD_DIR/anvaya.img"
