#!/usr/bin/env python3
"""First light: the Nucleus boots under OpenSBI, prints the DTB inventory that libfdt
also reads from QEMU's own DTB, honours OpenSBI's reservation and keeps the kernel and
boot image out of usable memory, passes the trap and timer checks, loads the default
system and ends with exit status 0."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools"))
sys.path.insert(0, os.path.dirname(__file__))
import dtb_oracle  # noqa: E402
from qemu_harness import run_scenario  # noqa: E402


def scenario(args):
    oracle = dtb_oracle.read(args.extra[0])
    s = args.session()
    s.start()
    s.expect(r"Anvaya Nucleus \d+\.\d+\.\d+ \(.*\) on hart 0", what="banner")
    mem_base, mem_size = oracle["memory"][0]
    s.expect(r"memory\s+\[0x%010x, 0x%010x\) %d KiB" % (mem_base, mem_base + mem_size,
                                                        mem_size // 1024),
             what="memory range as libfdt reads it")
    # OpenSBI adds /reserved-memory for itself: 512 KiB at the base of RAM.
    s.expect(r"reserved\s+\[0x0080000000, 0x0080080000\) 512 KiB", what="OpenSBI reservation")
    s.expect(r"cpus\s+1, timebase %d Hz, harts: 0" % oracle["timebase"], what="cpus")
    ubase, usize = oracle["uart_reg"]
    s.expect(r"uart\s+%s \(ns16550a\) reg 0x%x\+0x%x irq 10" % (oracle["uart_path"], ubase, usize),
             what="uart from stdout-path")
    s.expect(r"plic\s+/soc/plic@c000000 \(sifive,plic-1.0.0\) reg 0xc000000\+0x600000")
    s.expect(r"finisher\s+/soc/test@100000 \(sifive,test1\) reg 0x100000\+0x1000")
    s.expect(r"virtio\s+%d devices" % len(oracle["virtio"]), what="virtio count")
    for path, (base, size), irq in oracle["virtio"]:
        s.expect(r"virtio\s+%s \(virtio,mmio\) reg 0x%x\+0x%x irq %d" % (path, base, size, irq),
                 what="virtio node " + path)
    k = s.expect(r"kernel\s+\[0x(\w+), 0x(\w+)\)")
    kstart, kend = int(k.group(1), 16), int(k.group(2), 16)
    s.check(kstart == 0x80200000, "kernel loaded at 0x80200000")
    # The boot image (manifest and component ELFs) follows the kernel's BSS.
    i = s.expect(r"image\s+\[0x(\w+), 0x(\w+)\)")
    istart, iend = int(i.group(1), 16), int(i.group(2), 16)
    s.check(istart == kend, "boot image right after the kernel")
    usable = []
    while True:
        m = s.expect(r"(usable\s+\[0x(\w+), 0x(\w+)\)|usable\s+(\d+) KiB in (\d+) ranges)")
        if m.group(4):
            total_kib, nranges = int(m.group(4)), int(m.group(5))
            break
        usable.append((int(m.group(2), 16), int(m.group(3), 16)))
    s.check(len(usable) == nranges and nranges >= 1, "usable ranges listed")
    for b, e in usable:
        s.check(b % 4096 == 0 and e % 4096 == 0, "usable ranges page aligned")
        s.check(e <= 0x80000000 or b >= 0x80080000, "OpenSBI memory never usable")
        s.check(e <= kstart or b >= iend, "kernel and boot image never usable")
    s.check(sum(e - b for b, e in usable) // 1024 == total_kib, "usable total adds up")
    # Everything but OpenSBI, the kernel, the boot image and the DTB (at most 64 KiB here).
    iend_page = (iend + 4095) & ~4095
    expected_max = (mem_size - 512 * 1024 - (iend_page - kstart)) // 1024
    s.check(expected_max - 64 <= total_kib <= expected_max, "usable memory %d KiB" % total_kib)
    s.expect(r"trap: register round trip ok")
    s.expect(r"timer: 3 ticks at 100 Hz \(%d timebase cycles each\)" % (oracle["timebase"] // 100))
    s.expect(r"loader: \d+ processes")  # how many: the demo's test
    s.expect_exit(0)


if __name__ == "__main__":
    sys.exit(run_scenario(scenario))
