#!/usr/bin/env python3
"""The kernel's own map, read from the hardware's page tables by QEMU's monitor (`info
mem`) while the demo system runs: the kernel's text is the only kernel memory that can
run and it cannot be written (W^X), its constants are read-only, the boot-only blocks
(.boot.*) are gone after boot and nothing else of the 4 GiB direct map is missing; no
user mapping is both writable and executable either. The bounds come from the ELF."""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools"))
from qemu_harness import run_scenario  # noqa: E402

DIRECT_MAP = 0xFFFFFFC000000000
DIRECT_MAP_SIZE = 4 << 30
BOUNDS = ("__text_start", "__rodata_start", "__boot_start", "__boot_end",
          "__boot_data_start", "__boot_data_end", "__kernel_end")


def symbols(elf):
    out = subprocess.run(["riscv64-unknown-elf-nm", elf], check=True, capture_output=True,
                         text=True).stdout
    found = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[2] in BOUNDS:
            found[parts[2]] = int(parts[0], 16)
    missing = [b for b in BOUNDS if b not in found]
    if missing:
        raise SystemExit(f"{elf}: no symbol {', '.join(missing)}")
    return found


def ranges(info_mem):
    """(vaddr, end, attr) of every line of `info mem` (vaddr paddr size attr)."""
    out = []
    for line in info_mem.splitlines():
        parts = line.split()
        if len(parts) == 4 and all(c in "0123456789abcdef" for c in parts[0] + parts[2]):
            va, size = int(parts[0], 16), int(parts[2], 16)
            out.append((va, va + size, parts[3]))
    return out


def scenario(args):
    sym = symbols(args.extra[0])
    with tempfile.TemporaryDirectory() as tmp:
        s = args.session(monitor=os.path.join(tmp, "monitor"))
        s.start()
        m = s.expect(r"boot: (\d+) KiB of code and data only boot uses \(\.boot\.\*\) "
                     r"zeroed and unmapped")
        boot_bytes = ((sym["__boot_end"] - sym["__boot_start"]) +
                      (sym["__boot_data_end"] - sym["__boot_data_start"]))
        s.check(int(m.group(1)) == boot_bytes // 1024,
                f"boot says {m.group(1)} KiB went, the ELF's blocks are {boot_bytes // 1024} KiB")
        s.expect(r"init: supervising \d+ services", what="the system running")
        _, info, _ = s.monitor("stop", "info mem", "cont")
        mapped = ranges(info)
        s.check(len(mapped) > 0, "info mem lists the mappings")
        kernel = [r for r in mapped if r[0] >= DIRECT_MAP]
        user = [r for r in mapped if r[0] < DIRECT_MAP]

        def attr_at(va):
            for b, e, a in kernel:
                if b <= va < e:
                    return a
            return None

        for b, e, a in mapped:
            s.check(not ("w" in a and "x" in a), f"[0x{b:x}, 0x{e:x}) {a} is writable and executable")
        executable = [(b, e) for b, e, a in kernel if "x" in a]
        s.check(executable == [(sym["__text_start"], sym["__rodata_start"])],
                f"the kernel's only executable range is its text: {[(hex(b), hex(e)) for b, e in executable]}")
        s.check(attr_at(sym["__rodata_start"]).startswith("r--"), "kernel constants read-only")
        for lo, hi in ((sym["__boot_start"], sym["__boot_end"]),
                       (sym["__boot_data_start"], sym["__boot_data_end"])):
            for b, e, a in kernel:
                s.check(e <= lo or b >= hi, f"boot block [0x{lo:x}, 0x{hi:x}) still mapped ({a})")
        for va in (sym["__boot_end"], sym["__boot_data_end"], sym["__kernel_end"] - 1,
                   sym["__kernel_end"], DIRECT_MAP + DIRECT_MAP_SIZE - 1, DIRECT_MAP):
            a = attr_at(va)
            s.check(a is not None and a.startswith("rw-"), f"0x{va:x} read-write ({a})")
        kernel_bytes = sum(e - b for b, e, a in kernel)
        s.check(kernel_bytes == DIRECT_MAP_SIZE - boot_bytes,
                f"direct map {kernel_bytes} bytes: all of 4 GiB but the boot blocks")
        s.check(all("g" in a and "u" not in a for b, e, a in kernel), "kernel mappings global, not user")
        s.check(len(user) > 0 and all("u" in a for b, e, a in user), "user mappings are user")
        print(f"kernel map: text r-x {sym['__rodata_start'] - sym['__text_start']} bytes, "
              f"{boot_bytes} boot bytes unmapped, {len(kernel)} kernel and {len(user)} user ranges, "
              f"none writable and executable")
        s.expect_exit(0)


if __name__ == "__main__":
    sys.exit(run_scenario(scenario))
