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


def text_size(elf):
    out = subprocess.run(["riscv64-unknown-elf-size", "-A", elf], check=True,
                         capture_output=True, text=True).stdout
    for line in out.splitlines():
        parts = line.split()
        if parts and parts[0] == ".text":
            return int(parts[1])
    return 0


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
                m = s.expect(r"bench: (done|(.+?)\s+(\d+) instructions)")
                if m.group(1) == "done":
                    break
                rows.append((m.group(2).strip(), int(m.group(3))))
            s.expect_exit(0)
    except ScenarioFailure as e:
        print(f"benchmark failed: {e}", file=sys.stderr)
        return 1
    print(f"Anvaya Nucleus benchmark: QEMU -icount shift=0, kernel build ({kind})")
    print(f"{'operation':<46} {'instructions':>12}")
    for what, n in rows:
        print(f"{what:<46} {n:>12}")
    size = text_size(elf)
    print(f"{'kernel .text (bytes)':<46} {size:>12}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
