#!/usr/bin/env python3
"""A device tree the kernel must refuse at boot: QEMU's own DTB with more virtio,mmio
nodes than the kernel's fixed table holds. OpenSBI passes it on unchanged in that part;
the kernel must stop with a message naming the problem, never overrun its table."""
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools"))
from qemu_harness import run_scenario  # noqa: E402

EXTRA_NODES = 12  # QEMU has 8; the kernel's table holds DTB_MAX_VIRTIO = 16


def make_dtb(src_dtb, out_dtb):
    dts = subprocess.run(["dtc", "-q", "-I", "dtb", "-O", "dts", src_dtb], check=True,
                         capture_output=True, text=True).stdout
    extra = "".join(
        "\t\tvirtio_mmio@%x {\n\t\t\tinterrupts = <0x%x>;\n\t\t\tinterrupt-parent = <0x03>;\n"
        "\t\t\treg = <0x00 0x%x 0x00 0x1000>;\n\t\t\tcompatible = \"virtio,mmio\";\n\t\t};\n"
        % (0x10100000 + 0x1000 * (i + 1), 0x20 + i, 0x10100000 + 0x1000 * (i + 1))
        for i in range(EXTRA_NODES))
    dts, n = re.subn(r"(\tsoc \{\n(?:\t\t[^\n]*\n)*?\t\tranges;\n)", r"\1" + extra.replace("\\", "\\\\"), dts, count=1)
    if n != 1:
        raise RuntimeError("could not find /soc in the dumped DTB")
    subprocess.run(["dtc", "-q", "-I", "dts", "-O", "dtb", "-o", out_dtb, "-"], input=dts,
                   check=True, text=True)


def scenario(args):
    with tempfile.TemporaryDirectory() as tmp:
        dtb = os.path.join(tmp, "too-many-virtio.dtb")
        make_dtb(args.extra[0], dtb)
        s = args.session(dtb=dtb)
        s.start()
        s.expect(r"Anvaya Nucleus")
        s.expect(r"PANIC: dtb: more entries than the inventory holds at offset 0x[0-9a-f]+",
                 what="table overflow reported")
        s.absent(r"virtio\s+\d+ devices", "inventory printed from a refused DTB")
        s.expect_exit(3)


if __name__ == "__main__":
    sys.exit(run_scenario(scenario))
