#!/usr/bin/env python3
"""Boot the benchmark image under -icount shift=0 and print its table, plus the kernel's
.text size. Used by tools/bench.sh and `meson test --benchmark`."""
import argparse
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qemu_harness import ScenarioFailure, Session  # noqa: E402


def section_sizes(elf):
    """{section name: size in bytes} of the kernel ELF."""
    out = subprocess.run(["riscv64-unknown-elf-size", "-A", elf], check=True,
                         capture_output=True, text=True).stdout
    sizes = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0].startswith(".") and parts[1].isdigit():
            sizes[parts[0]] = int(parts[1])
    return sizes


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default="build-bench")
    ap.add_argument("--image", help="default: <build>/components/bench.img")
    ap.add_argument("--elf", help="default: <build>/kernel/anvaya-kernel.elf")
    args = ap.parse_args()
    image = args.image or os.path.join(args.build, "components", "bench.img")
    elf = args.elf or os.path.join(args.build, "kernel", "anvaya-kernel.elf")
    rows = []
    try:
        with Session(image, timeout=120, icount=True, devices=["rng"]) as s:
            s.expect(r"Anvaya Nucleus \S+ \(([^)]*)\)")
            kind = re.search(r"Anvaya Nucleus \S+ \(([^)]*)\)", s.log).group(1)
            s.expect(r"bench: start")
            while True:
                m = s.expect(r"bench: (done|FAILED [^\r\n]*(?=\r?\n)|(.+?)\s+(\d+) instructions)")
                if m.group(1) == "done":
                    break
                if m.group(1).startswith("FAILED"):
                    s.fail(m.group(1))
                rows.append((m.group(2).strip(), int(m.group(3))))
            s.expect_exit(0)
    except ScenarioFailure as e:
        print(f"benchmark failed: {e}", file=sys.stderr)
        return 1
    print(f"Anvaya Nucleus benchmark: QEMU -icount shift=0, kernel build ({kind})")
    print(f"{'operation':<46} {'instructions':>12}")
    for what, n in rows:
        print(f"{what:<46} {n:>12}")
    sizes = section_sizes(elf)
    # Boot-only code (kernel/boot/) is gathered in .boot.text, apart from the run-time
    # .text; the sum is the figure comparable with builds before that split.
    run_time, boot = sizes.get(".text", 0), sizes.get(".boot.text", 0)
    print(f"{'kernel .text (bytes)':<46} {run_time:>12}")
    print(f"{'kernel .boot.text (bytes)':<46} {boot:>12}")
    print(f"{'kernel code in all (bytes)':<46} {run_time + boot:>12}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
