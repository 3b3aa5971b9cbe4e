#!/usr/bin/env python3
"""Seed corpus from the build's own bootable systems: for each packed image, the boot
image body behind the kernel (seed for fuzz_bootimage) and its manifest with the image
table filled in (seed for fuzz_manifest). Usage:
    make_seeds.py --nm NM --kernel-elf KERNEL --out-dir DIR name=image.img ..."""
import argparse
import os
import struct
import subprocess
import sys

BOOTIMAGE = struct.Struct("<IIQQQ")
BOOTIMAGE_MAGIC = 0x4D495641


def kernel_pad(nm, kernel_elf):
    out = subprocess.run([nm, kernel_elf], check=True, capture_output=True, text=True).stdout
    syms = {p[2]: int(p[0], 16) for p in (l.split() for l in out.splitlines()) if len(p) == 3}
    return syms["__kernel_end"] - syms["__kernel_start"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nm", default="riscv64-unknown-elf-nm")
    ap.add_argument("--kernel-elf", required=True)
    ap.add_argument("--out-dir", required=True)
    ap.add_argument("images", nargs="+", help="name=path of each packed system image")
    args = ap.parse_args()
    pad = kernel_pad(args.nm, args.kernel_elf)
    for spec in args.images:
        name, _, path = spec.partition("=")
        with open(path, "rb") as f:
            data = f.read()
        magic, _ver, total, moff, msize = BOOTIMAGE.unpack_from(data, pad)
        if magic != BOOTIMAGE_MAGIC:
            sys.exit(f"make_seeds: {path}: no boot image header at 0x{pad:x}")
        body = data[pad:pad + total]
        with open(os.path.join(args.out_dir, f"{name}.boot.seed"), "wb") as f:
            f.write(body)
        with open(os.path.join(args.out_dir, f"{name}.manifest.seed"), "wb") as f:
            f.write(body[moff:moff + msize])
    return 0


if __name__ == "__main__":
    sys.exit(main())
