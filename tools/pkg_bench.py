#!/usr/bin/env python3
"""Package service figures: boot idl/systems/pkgbench.system on a 16 MiB image holding a
1 MiB package signed now (tests/qemu/pkg_fixtures.py), and print the guest instructions
and the time of three installs (each followed by an uninstall), with the service's split
into reading the staged file, verifying it and writing it (rdinstret: every process and
the kernel). Run twice: under -icount shift=0 for exact instruction counts, and without it
for the time QEMU really takes on this machine (the clock ticks at 10 MHz). A benchmark,
not a test."""
import argparse
import os
import re
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))
sys.path.insert(0, os.path.join(ROOT, "tests", "qemu"))
from qemu_harness import ScenarioFailure, Session  # noqa: E402
import pkg_fixtures as fx  # noqa: E402

TICKS_PER_SECOND = 10_000_000


def run(image, disk, icount):
    with Session(image, timeout=600, icount=icount, devices=[f"blk:{disk}"]) as s:
        s.expect(r"pkgclient: done")
        s.expect_exit(0)
        installs = [(int(a), int(b), int(c)) for a, b, c in re.findall(
            r"pkgclient: bench install \d -> (\d+): (\d+) instructions, (\d+) ticks", s.log)]
        costs = [tuple(int(x) for x in m) for m in re.findall(
            r"pkgsvc: costs of bench.pkg \(\d+ bytes\): read (\d+), verify (\d+), write (\d+)", s.log)]
        if len(installs) != 3 or any(e != 0 for e, _, _ in installs) or len(costs) != 3:
            raise ScenarioFailure(f"the benchmark's installs failed:\n{s.tail()}")
        return installs, costs


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default="build")
    args = ap.parse_args()
    image = os.path.join(args.build, "components", "pkgbench.img")
    with tempfile.TemporaryDirectory() as tmp:
        keys = fx.write_keys(tmp)
        pkg = fx.make_package(tmp, keys, 1, 1, "bench", "1.0.0", fx.wasm_payload(1 << 20, 1),
                              ["console = yes"])
        tree = os.path.join(tmp, "tree", "pkg", "staging")
        os.makedirs(tree)
        with open(os.path.join(tree, "bench.pkg"), "wb") as f:
            f.write(pkg)
        try:
            for icount in (True, False):
                disk = os.path.join(tmp, f"disk-{icount}.img")
                r = fx.store("mkfs", disk, "--size", "16M", "--from", os.path.join(tmp, "tree"))
                if r.returncode != 0:
                    raise ScenarioFailure(f"mkfs: {r.stdout!r}")
                installs, costs = run(image, disk, icount)
                mode = "-icount shift=0" if icount else "no -icount (real QEMU speed)"
                print(f"install of a {len(pkg):,}-byte package (1 MiB payload), {mode}:")
                for (e, ins, ticks), (rd, ver, wr) in zip(installs, costs):
                    print(f"  {ins:>13,} instructions, {ticks / TICKS_PER_SECOND * 1000:8.1f} ms"
                          f"  (service: read {rd:,}, verify {ver:,}, write {wr:,})")
        except ScenarioFailure as e:
            print(f"package benchmark failed: {e}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
