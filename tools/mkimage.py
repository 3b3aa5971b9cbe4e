#!/usr/bin/env python3
"""Pack the bootable system image: the kernel's flat binary padded to the end of its BSS
(__kernel_end), then the boot image header, the system manifest and every component ELF.
The manifest's image table gets each ELF's offset, size and entry point, and its CRC-32
is recomputed. Layout: kernel/include/anvaya/bootimage.h and docs/system-image-manifest.md."""
import argparse
import struct
import subprocess
import sys
import zlib

BOOTIMAGE = struct.Struct("<IIQQQ")
BOOTIMAGE_MAGIC = 0x4D495641
BOOTIMAGE_VERSION = 1
MANIFEST_MAGIC = 0x4D4E5641
HEADER = struct.Struct("<I2H6I")
TABLE = struct.Struct("<4I")
IMAGE = struct.Struct("<2I4Q")
T_IMAGE, T_STRING = 5, 6
CRC_OFFSET = 16


def kernel_symbol(nm, elf, name):
    out = subprocess.run([nm, elf], check=True, capture_output=True, text=True).stdout
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[2] == name:
            return int(parts[0], 16)
    sys.exit(f"mkimage: {elf} has no symbol {name}")


def elf_entry(data):
    if data[:4] != b"\x7fELF" or data[4] != 2:
        raise ValueError("not an ELF64 file")
    return struct.unpack_from("<Q", data, 24)[0]


def patch_manifest(manifest, images, base_offset):
    """Fill the image table; images maps instance name -> (offset, bytes)."""
    m = bytearray(manifest)
    magic, _maj, _min, hsize, total, _crc, _abi, _flags, ntables = HEADER.unpack_from(m, 0)
    if magic != MANIFEST_MAGIC:
        sys.exit("mkimage: not a system manifest")
    tables = [TABLE.unpack_from(m, HEADER.size + i * TABLE.size) for i in range(ntables)]
    img_off, img_count, img_size, _ = tables[T_IMAGE]
    str_off, str_count, _, _ = tables[T_STRING]
    strings = bytes(m[str_off:str_off + str_count])
    seen = set()
    for i in range(img_count):
        at = img_off + i * img_size
        name_off, flags, load_base, _o, _s, _e = IMAGE.unpack_from(m, at)
        name = strings[name_off:strings.index(b"\0", name_off)].decode()
        if name not in images:
            sys.exit(f"mkimage: no ELF given for image '{name}'")
        off, data = images[name]
        IMAGE.pack_into(m, at, name_off, flags, load_base, off, len(data), elf_entry(data))
        seen.add(name)
    extra = set(images) - seen
    if extra:
        sys.exit(f"mkimage: ELF given for unknown image(s): {', '.join(sorted(extra))}")
    struct.pack_into("<I", m, CRC_OFFSET, 0)
    struct.pack_into("<I", m, CRC_OFFSET, zlib.crc32(bytes(m[:total])) & 0xFFFFFFFF)
    return bytes(m)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kernel-elf", required=True)
    ap.add_argument("--kernel-bin", required=True)
    ap.add_argument("--manifest", required=True)
    ap.add_argument("--nm", default="riscv64-unknown-elf-nm")
    ap.add_argument("--output", required=True)
    ap.add_argument("elfs", nargs="*", help="name=path of each component ELF")
    args = ap.parse_args()

    start = kernel_symbol(args.nm, args.kernel_elf, "__kernel_start")
    end = kernel_symbol(args.nm, args.kernel_elf, "__kernel_end")
    kernel = open(args.kernel_bin, "rb").read()
    pad = end - start
    if len(kernel) > pad:
        sys.exit("mkimage: kernel binary is larger than its own image")
    kernel += b"\0" * (pad - len(kernel))

    manifest = open(args.manifest, "rb").read()
    offset = BOOTIMAGE.size
    manifest_offset = offset
    offset = (offset + len(manifest) + 7) & ~7
    images = {}
    for spec in sorted(args.elfs):
        name, _, path = spec.partition("=")
        data = open(path, "rb").read()
        images[name] = (offset, data)
        offset = (offset + len(data) + 7) & ~7
    manifest = patch_manifest(manifest, images, manifest_offset)

    body = bytearray(offset)
    BOOTIMAGE.pack_into(body, 0, BOOTIMAGE_MAGIC, BOOTIMAGE_VERSION, offset, manifest_offset,
                        len(manifest))
    body[manifest_offset:manifest_offset + len(manifest)] = manifest
    for off, data in images.values():
        body[off:off + len(data)] = data
    with open(args.output, "wb") as f:
        f.write(kernel)
        f.write(body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
