#!/usr/bin/python3
"""lib/net benchmark (figures, not a test): host instructions per KiB of TCP data sent and
per KiB received, counted by callgrind on lib/net/bench_tcp (two stacks back to back in
memory). Each side is counted on its own (--toggle-collect of its bench_send_* or
bench_recv_* functions), and each figure is the difference of a 4096 KiB and a 1024 KiB
run, so the handshake and set-up cancel out. Also prints the rv64 code size of lib/net.

Usage: bench.py BUILD_DIR"""
import glob
import os
import re
import subprocess
import sys
import tempfile


def ir(exe, kib, side):
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "cg.out")
        subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
                        f"--toggle-collect=bench_{side}_*", exe, str(kib)],
                       check=True, capture_output=True)
        with open(out) as f:
            for line in f:
                if line.startswith("summary:") or line.startswith("totals:"):
                    return int(line.split()[1])
    sys.exit("no callgrind totals")


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else "build"
    exe = os.path.join(build, "lib", "net", "bench_tcp")
    for side, what in (("send", "sent"), ("recv", "received")):
        a, b = ir(exe, 1024, side), ir(exe, 4096, side)
        print(f"host instructions per KiB {what}: {(b - a) / 3072:.0f}")
    lib = os.path.join(build, "lib", "net", "libnet_guest.a")
    r = subprocess.run(["riscv64-unknown-elf-size", "-t", lib], capture_output=True, text=True,
                       check=True)
    for line in r.stdout.splitlines():
        if "(TOTALS)" in line:
            text, data, bss = line.split()[:3]
            print(f"rv64 lib/net: text {text} B, data {data} B, bss {bss} B")
    print(r.stdout)


if __name__ == "__main__":
    main()
