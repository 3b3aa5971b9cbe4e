#!/usr/bin/env python3
"""Proves the kernel's boot-only sections (.boot.text, .boot.rodata, .boot.data, .boot.bss:
kernel/meson.build's kernel_boot library, placed by platforms/qemu-virt-rv64/kernel.ld.in)
may be unmapped after boot, as arch/riscv64/kmap.c does: no instruction outside them (but
the entry path, which only runs before them, and kmap.c taking the blocks' first
addresses to map and zero them) refers to an address inside them, and no word of the
kernel's other data points into them. Prints their sizes.
Usage: check_boot_sections.py OBJDUMP ELF"""
import re
import struct
import subprocess
import sys

BOOT = (".boot.text", ".boot.rodata", ".boot.data", ".boot.bss")  # kernel.ld
# Code that runs only before the system starts, outside the boot sections because
# OpenSBI enters the image at its first byte (entry.S's .text.boot).
ENTRY_PATH = {"_start", "__kernel_start"}  # one address: objdump names either
# The kernel map's code, which needs the blocks' bounds (only their first addresses fall
# inside them), never anything else in them.
BLOCK_BOUNDS_USERS = {"kmap_protect_kernel", "kmap_release_boot"}


def sections(path):
    """(name, addr, offset, size, type) of every section of an ELF64 little-endian file."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        raise SystemExit(f"{path}: not an ELF64 little-endian file")
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
    heads = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize) for i in range(shnum)]
    strtab = heads[shstrndx]
    names = data[strtab[4]:strtab[4] + strtab[5]]
    out = []
    for h in heads:
        name = names[h[0]:names.index(b"\0", h[0])].decode()
        out.append((name, h[3], h[4], h[5], h[1]))
    return data, out


def main():
    if len(sys.argv) != 3:
        raise SystemExit(__doc__.splitlines()[-1])
    objdump, elf = sys.argv[1], sys.argv[2]
    data, secs = sections(elf)
    # A section the boot code leaves empty (no initialised data) is not emitted.
    boot = [(n, a, s) for n, a, o, s, t in secs if n in BOOT]
    if ".boot.text" not in [b[0] for b in boot]:
        raise SystemExit(f"FAIL {elf}: no .boot.text section (kernel.ld)")

    def inside(addr):
        return any(a <= addr < a + s for _, a, s in boot)

    # The first address of the code block and of the data block (kernel.ld: __boot_start,
    # __boot_data_start).
    block_starts = {min(a for n, a, s in boot if n in BOOT[:2]),
                    min((a for n, a, s in boot if n in BOOT[2:]), default=None)}
    bad = []
    # Instructions: every resolved target objdump shows ("jal ... <f>", "# addr <sym>").
    others = [n for n, a, o, s, t in secs if n.startswith(".text")]
    dump = subprocess.run([objdump, "-d", "--no-show-raw-insn"] + [f"-j{n}" for n in others] +
                          [elf], check=True, capture_output=True, text=True).stdout
    func = "?"
    for line in dump.splitlines():
        m = re.match(r"^[0-9a-f]+ <([^>]+)>:$", line)
        if m:
            func = m.group(1)
            continue
        for target in re.findall(r"\b([0-9a-f]{16}) <[^>]+>", line):
            addr = int(target, 16)
            if func in BLOCK_BOUNDS_USERS and addr in block_starts:
                continue
            if inside(addr) and func not in ENTRY_PATH:
                bad.append(f"{func}: {line.strip()}")
    # Data: an aligned pointer into the boot sections from anywhere else.
    for n, a, o, s, t in secs:
        if t == 8 or not n.startswith((".rodata", ".data", ".sdata", ".srodata")):
            continue  # NOBITS (.bss) holds no pointers yet
        for k in range(0, s - 7, 8):
            word, = struct.unpack_from("<Q", data, o + k)
            if inside(word):
                bad.append(f"{n}+0x{k:x}: 0x{word:x}")
    for b in bad:
        print(f"FAIL refers to a boot section: {b}")
    total = 0
    for name, addr, size in boot:
        print(f"{name:<14} 0x{addr:x} {size:>8} bytes")
        total += size
    print(f"boot-only total {total} bytes ({(total + 1023) // 1024} KiB), "
          f"{len(bad)} references from the rest of the kernel")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
