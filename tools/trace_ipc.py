#!/usr/bin/env python3
"""Trace one IPC round trip of the benchmark image instruction by instruction and print
where its instructions go, by function (kernel and user). Boots the image with QEMU's
`-singlestep -d exec,nochain` log restricted (-dfilter) to the kernel's run-time .text
and user space, read through a FIFO; skips the first N entries of a kernel symbol
(default: the ipc.call fastpath, N chosen inside the 0-word, two-space benchmark) and
counts until that symbol is entered again: one round trip, every instruction once.

    tools/trace_ipc.py --build build-bench [--symbol fastpath_call_take] [--skip 300]

A diagnostic for docs/benchmarks.md's breakdown table, not a test."""
import argparse
import collections
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import qemu_machine  # noqa: E402

TRACE_RE = re.compile(r"^Trace \d+: 0x[0-9a-f]+ \[[0-9a-f]+/([0-9a-f]+)/")


def symbols(elf):
    """Sorted [(address, name)] of the ELF's function and local text symbols."""
    out = subprocess.run(["riscv64-unknown-elf-nm", "-n", elf], capture_output=True,
                         text=True, check=True).stdout
    syms = []
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] in "tTW" and not parts[2].startswith("$"):
            syms.append((int(parts[0], 16), parts[2]))
    return syms


def section(elf, name):
    out = subprocess.run(["riscv64-unknown-elf-objdump", "-h", elf], capture_output=True,
                         text=True, check=True).stdout
    for line in out.splitlines():
        p = line.split()
        if len(p) > 4 and p[1] == name:
            return int(p[3], 16), int(p[2], 16)
    raise SystemExit("no section %s in %s" % (name, elf))


def name_of(syms, pc):
    lo, hi, best = 0, len(syms), None
    while lo < hi:
        mid = (lo + hi) // 2
        if syms[mid][0] <= pc:
            best, lo = syms[mid][1], mid + 1
        else:
            hi = mid
    return best or "?%x" % pc


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default="build-bench")
    ap.add_argument("--symbol", default="fastpath_call_take")
    ap.add_argument("--skip", type=int, default=300)
    ap.add_argument("--user", nargs="*", default=["bclient", "bserver"],
                    help="component ELFs (in <build>/components) to name user code by")
    ap.add_argument("--raw", action="store_true", help="also print every instruction's pc")
    args = ap.parse_args()
    image = os.path.join(args.build, "components", "bench.img")
    kelf = os.path.join(args.build, "kernel", "anvaya-kernel.elf")
    ksyms = symbols(kelf)
    target = dict((n, a) for a, n in ksyms).get(args.symbol)
    if target is None:
        raise SystemExit("no kernel symbol %s" % args.symbol)
    text, size = section(kelf, ".text")
    plat = qemu_machine.load_platform(qemu_machine.DEFAULT_PLATFORM)
    argv = qemu_machine.qemu_argv(plat, kernel=image, drives=(), netdevs=(),
                                  extra_machine_opts=(), icount=True, devices=["rng"],
                                  legacy_virtio=False)
    with tempfile.TemporaryDirectory() as tmp:
        fifo = os.path.join(tmp, "log")
        os.mkfifo(fifo)
        argv += ["-singlestep", "-d", "exec,nochain", "-D", fifo,
                 "-dfilter", "0x0..0x3fffffffff,0x%x+0x%x" % (text, size)]
        qemu = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
        pcs, seen = [], 0
        try:
            with open(fifo) as log:
                for line in log:
                    m = TRACE_RE.match(line)
                    if not m:
                        continue
                    pc = int(m.group(1), 16)
                    if pc == target:
                        seen += 1
                        if seen == args.skip + 2:
                            break
                    if seen == args.skip + 1:
                        pcs.append(pc)
        finally:
            qemu.kill()
            qemu.wait()
    if not pcs:
        raise SystemExit("%s was not entered %d times" % (args.symbol, args.skip + 1))
    usyms = []
    for comp in args.user:
        usyms.append((comp, symbols(os.path.join(args.build, "components", comp + ".elf"))))
    counts, order = collections.Counter(), []
    for pc in pcs:
        n = name_of(ksyms, pc) if pc >= 1 << 63 else \
            "/".join("%s:%s" % (c, name_of(s, pc)) for c, s in usyms)
        if n not in counts:
            order.append(n)
        counts[n] += 1
        if args.raw:
            print("%x %s" % (pc, n))
    print("%d instructions in one round trip (from %s back to it)" % (len(pcs), args.symbol))
    for n in order:
        print("%6d  %s" % (counts[n], n))
    return 0


if __name__ == "__main__":
    sys.exit(main())
