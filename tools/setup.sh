#!/bin/sh
# Set up a fresh Debian 12 machine for Anvaya and build: install the Debian packages the
# project needs (only those missing), configure the Meson build directory once, compile.
# Idempotent: a second run with nothing changed only asks ninja, which does nothing.
set -eu
cd "$(dirname "$0")/.."

BUILD_DIR=${ANVAYA_BUILD_DIR:-build}
PACKAGES="meson ninja-build qemu-system-misc opensbi gcc-riscv64-unknown-elf \
picolibc-riscv64-unknown-elf libfdt-dev python3-libfdt libcmocka-dev python3-jinja2 \
device-tree-compiler gdb-multiarch graphviz clang-14 libclang-rt-14-dev valgrind \
libssl-dev python3-cryptography python3-cryptography-vectors qemu-user wabt binaryen \
lld-14 iproute2 iputils-ping python3-scapy dnsmasq tcpdump tshark wasi-libc \
libclang-rt-14-dev-wasm32 nodejs spin frama-c-base why3 z3 cvc4"

missing=""
for p in $PACKAGES; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    echo "setup: installing$missing"
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing
fi

if [ ! -f "$BUILD_DIR/build.ninja" ]; then
    # shellcheck disable=SC2086 # options are words on purpose
    meson setup "$BUILD_DIR" --cross-file platforms/qemu-virt-rv64/cross.ini ${ANVAYA_MESON_OPTIONS:-}
fi
meson compile -C "$BUILD_DIR"
