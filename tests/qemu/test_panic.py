#!/usr/bin/env python3
"""The panic path: a deliberate kernel load fault (boot argument anvaya.selftest=panic)
prints the cause, sepc and stval, and ends QEMU with exit status 3 through the
sifive,test finisher, not OpenSBI's reset (which would exit 0)."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools"))
from qemu_harness import run_scenario  # noqa: E402


def kernel_text_ranges(elf):
    """The kernel's code: .text, and the boot-only block (kernel.ld) kernel_main is in."""
    out = subprocess.run(["riscv64-unknown-elf-nm", elf], check=True, capture_output=True,
                         text=True).stdout
    syms = {p[2]: int(p[0], 16) for p in (l.split() for l in out.splitlines()) if len(p) == 3}
    return [(syms["__text_start"], syms["__text_end"]), (syms["__boot_start"], syms["__boot_end"])]


def scenario(args):
    ranges = kernel_text_ranges(args.extra[0])
    s = args.session(append="anvaya.selftest=panic")
    s.start()
    s.expect(r"bootargs: anvaya\.selftest=panic")
    m = s.expect(r"PANIC: load page fault: scause=0xd sepc=0x([0-9a-f]+) stval=0xffffffffdead0000")
    sepc = int(m.group(1), 16)
    s.check(any(start <= sepc < end for start, end in ranges),
            "sepc 0x%x inside kernel text" % sepc)
    s.absent(r"trap: register round trip ok", "boot went on after the panic")
    s.expect_exit(3)


if __name__ == "__main__":
    sys.exit(run_scenario(scenario))
