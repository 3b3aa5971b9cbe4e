#!/usr/bin/env python3
"""Edit the system manifest inside a packed boot image, field by field, for the tests
that check the kernel refuses it. The layouts mirror kernel/include/anvaya/manifest.h;
after an edit the CRC-32 is recomputed as tools/mkimage.py does, unless the test means
the checksum to be wrong.

    img = BootImage("kirq.img", "anvaya-kernel.elf")
    img.set("slot", 4, "rights", 3)
    img.seal()
    img.save("bad.img")

Command line: corrupt_image.py IMAGE KERNEL_ELF OUT table:index:field=value ... [--no-seal]
"""
import os
import struct
import subprocess
import sys
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
import mkimage  # noqa: E402

# Field name -> struct code, in manifest.h order (little-endian, no padding).
LAYOUTS = {
    "process": [("name", "I"), ("image", "I"), ("cspace_object", "I"), ("vspace_object", "I"),
                ("cspace_slots", "I"), ("first_slot", "I"), ("slot_count", "I"),
                ("first_mapping", "I"), ("mapping_count", "I"), ("first_thread", "I"),
                ("thread_count", "I"), ("flags", "I"), ("heap_base", "Q"), ("heap_size", "Q")],
    "object": [("type", "I"), ("flags", "I"), ("name", "I"), ("size", "I"), ("paddr", "Q"),
               ("irq", "I"), ("notification", "I"), ("badge", "Q")],
    "slot": [("process", "I"), ("slot", "I"), ("object", "I"), ("rights", "I"), ("badge", "Q")],
    "mapping": [("process", "I"), ("object", "I"), ("vaddr", "Q"), ("pages", "I"),
                ("rights", "I"), ("flags", "I"), ("reserved", "I")],
    "thread": [("process", "I"), ("thread_object", "I"), ("ipcbuf_object", "I"),
               ("priority", "I"), ("budget_us", "I"), ("period_us", "I"), ("flags", "I"),
               ("reserved", "I"), ("entry", "Q"), ("stack_top", "Q"), ("ipcbuf_vaddr", "Q")],
    "image": [("name", "I"), ("flags", "I"), ("load_base", "Q"), ("offset", "Q"), ("size", "Q"),
              ("entry", "Q")],
    # A table descriptor in the header: `table:N:count=...` edits tables[N].
    "table": [("offset", "I"), ("count", "I"), ("entry_size", "I"), ("reserved", "I")],
    "header": [("magic", "I"), ("version_major", "H"), ("version_minor", "H"),
               ("header_size", "I"), ("total_size", "I"), ("crc32", "I"), ("abi_version", "I"),
               ("flags", "I"), ("table_count", "I")],
}
TABLE_INDEX = {"process": 0, "object": 1, "slot": 2, "mapping": 3, "thread": 4, "image": 5}


def field_at(kind, name):
    """(byte offset inside the record, struct code) of a field."""
    off = 0
    for fname, code in LAYOUTS[kind]:
        if fname == name:
            return off, code
        off += struct.calcsize("<" + code)
    raise KeyError(f"{kind} has no field {name}")


def record_size(kind):
    return struct.calcsize("<" + "".join(c for _, c in LAYOUTS[kind]))


def boot_header_offset(kernel_elf, nm="riscv64-unknown-elf-nm"):
    """Where the boot image header starts in a packed image: the kernel's padded size."""
    out = subprocess.run([nm, kernel_elf], check=True, capture_output=True, text=True).stdout
    syms = {p[2]: int(p[0], 16) for p in (l.split() for l in out.splitlines()) if len(p) == 3}
    return syms["__kernel_end"] - syms["__kernel_start"]


class BootImage:
    def __init__(self, path, kernel_elf):
        with open(path, "rb") as f:
            self.data = bytearray(f.read())
        self.boot = boot_header_offset(kernel_elf)
        magic, _ver, _total, moff, msize = mkimage.BOOTIMAGE.unpack_from(self.data, self.boot)
        if magic != mkimage.BOOTIMAGE_MAGIC:
            raise ValueError(f"{path}: no boot image header at 0x{self.boot:x}")
        self.manifest = self.boot + moff
        self.manifest_size = msize

    def _where(self, kind, index, name):
        off, code = field_at(kind, name)
        if kind == "header":
            return self.manifest + off, code
        if kind == "table":
            return self.manifest + mkimage.HEADER.size + index * mkimage.TABLE.size + off, code
        toff, count, esize, _ = self.table(TABLE_INDEX[kind])
        if index >= count or esize != record_size(kind):
            raise IndexError(f"{kind} {index}: the table has {count} entries")
        return self.manifest + toff + index * esize + off, code

    def table(self, t):
        return mkimage.TABLE.unpack_from(self.data, self.manifest + mkimage.HEADER.size +
                                         t * mkimage.TABLE.size)

    def get(self, kind, index, name):
        at, code = self._where(kind, index, name)
        return struct.unpack_from("<" + code, self.data, at)[0]

    def set(self, kind, index, name, value):
        at, code = self._where(kind, index, name)
        struct.pack_into("<" + code, self.data, at, value)

    def string(self, offset):
        toff, count, _, _ = self.table(mkimage.T_STRING)
        start = self.manifest + toff + offset
        return bytes(self.data[start:self.data.index(b"\0", start)]).decode()

    def seal(self):
        """Recompute the manifest CRC-32 the way tools/mkimage.py does."""
        total = self.get("header", 0, "total_size")
        m = self.manifest
        struct.pack_into("<I", self.data, m + mkimage.CRC_OFFSET, 0)
        crc = zlib.crc32(bytes(self.data[m:m + total])) & 0xFFFFFFFF
        struct.pack_into("<I", self.data, m + mkimage.CRC_OFFSET, crc)

    def elf_offset(self, image_index):
        """Byte offset of an image's ELF in the whole file."""
        return self.boot + self.get("image", image_index, "offset")

    def save(self, path):
        with open(path, "wb") as f:
            f.write(self.data)


def main(argv):
    if len(argv) < 4:
        print(__doc__)
        return 2
    seal = "--no-seal" not in argv
    args = [a for a in argv if a != "--no-seal"]
    img = BootImage(args[0], args[1])
    for edit in args[3:]:
        where, _, value = edit.partition("=")
        kind, index, name = where.split(":")
        img.set(kind, int(index), name, int(value, 0))
    if seal:
        img.seal()
    img.save(args[2])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
