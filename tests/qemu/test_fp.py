#!/usr/bin/env python3
"""Floating point in user space (idl/systems/fptest.system, components/fptest/): fpa (29
double chains, round to nearest) and fpb (29 float chains, round toward zero set in fcsr)
compute with all 32 F registers live at equal priority, preempted by each other and, at
every tick, by fpd, a third FP thread that keeps its own pattern in every register. Each
must end with the exact bits the same model gives on the host (tests/qemu/fp_expected.c),
its fcsr as it set it; every FP thread's first read of its registers (fpd's, fpa's and
fpb's, and fpa's again after fmain restarts it) must be zero although another thread's
non-zero values were in the hardware; fpd must never see its registers change."""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools"))
from qemu_harness import run_scenario  # noqa: E402

CHAINS = 29


def expected(program, kind, n):
    out = subprocess.run([program, kind, str(n)], check=True, capture_output=True, text=True)
    values = out.stdout.split()
    if len(values) != CHAINS:
        raise RuntimeError(f"fp_expected printed {len(values)} values")
    return values


def chains(log, name, life, n):
    got = []
    for m in re.finditer(rf"^{name}: life={life} n={n} x\[(\d+)\.\.\] ([0-9a-f ]+)$", log, re.M):
        if int(m.group(1)) != len(got):
            return None
        got += m.group(2).split()
    return got


def scenario(args):
    program = args.extra[0]
    s = args.session()
    s.start()
    s.expect(r"loader: 4 processes, \d+ objects, \d+ slots, \d+ mappings, 4 threads")
    m = s.expect(r"fpd: first-read=(0x[0-9a-f]+), 100 refills, (\d+) checks of 32 registers "
                 r"and fcsr, (\d+) changed")
    s.check(m.group(1) == "0x0", f"fpd's first read of the registers is zero ({m.group(1)})")
    s.check(m.group(3) == "0", f"fpd's registers never changed ({m.group(3)} of {m.group(2)})")
    s.expect(r"fmain: fpa and fpb exited, restart fpa: 0\b")
    s.expect(r"fmain: done, 0 failures")
    s.expect_exit(0)
    log = s.log
    s.absent(r"FAIL")
    runs = {}
    for name, kind, fcsr in (("fpa", "double", "0x1"), ("fpb", "float", "0x21")):
        for life in ((0, 1) if name == "fpa" else (0,)):
            s.find(rf"^{name}: life={life} first-read=0x0$",
                   f"{name} life {life}: first read of its registers is zero")
            m = s.find(rf"^{name}: life={life} n=(\d+) fcsr=(0x[0-9a-f]+) preempted=(\d+) "
                       rf"yields=(\d+)$", f"{name} life {life} summary")
            n = int(m.group(1))
            want = expected(program, kind, n)
            got = chains(log, name, life, n)
            s.check(got == want, f"{name} life {life}: {n} iterations give the host's bits "
                                 f"({got} != {want})" if got != want else
                                 f"{name} life {life}: exact bits")
            s.check(m.group(2) == fcsr, f"{name} life {life}: fcsr {m.group(2)} == {fcsr}")
            runs[(name, life)] = (n, int(m.group(3)), int(m.group(4)))
    s.find(r"^fpa: life=1 C model agrees on 29 of 29 chains$", "the guest's C model agrees")
    (na, pa, ya), (nb, pb, yb) = runs[("fpa", 0)], runs[("fpb", 0)]
    print(f"fp: fpa {na} double iterations, preempted {pa} times, {ya} yields; "
          f"fpb {nb} float iterations, preempted {pb} times, {yb} yields")
    s.check(ya == na // 1024 and yb == nb // 1024, "a yield every 1024 iterations, registers live")
    s.check(pa + pb >= 1000, f"preempted mid-computation {pa + pb} times in all")


if __name__ == "__main__":
    sys.exit(run_scenario(scenario))
