#!/usr/bin/env python3
"""Crashes in QEMU (idl/systems/fscrash.system): a writer puts records into 16 files of
its subtree of the file store, syncing and acknowledging each. The test kills QEMU with
SIGKILL at a random moment, ROUNDS times on one image (100 by default, ANVAYA_CRASH_ROUNDS
for more), and after every kill checks with tools/anvaya-store that the store is
consistent (check is clean) and that every acknowledged record is there: each file holds
one whole record of its own, no older than the last one acknowledged for it and no newer
than the one in flight; the next boot's writer checks them again itself and goes on
from the highest."""
import os
import random
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools"))
from qemu_harness import ScenarioFailure, run_scenario  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
FILES = 16


def record_len(n):
    return 8 + (n * 2654435761) % 12000


def record(n):
    body = bytes(((n * 131) ^ (i * 7) ^ (i >> 9)) & 0xFF for i in range(8, record_len(n)))
    return n.to_bytes(8, "little") + body


def tool(*argv):
    return subprocess.run([os.path.join(ROOT, "tools", "anvaya-store"), *argv],
                          capture_output=True)


def check_disk(image, acked, last):
    r = tool("check", image)
    if r.returncode != 0:
        raise ScenarioFailure(f"anvaya-store check after a crash: {r.stdout.decode(errors='replace')}")
    for k in range(FILES):
        mine = [n for n in acked if n % FILES == k]
        r = tool("get", image, f"writer/ring/{k}")
        if r.returncode != 0:
            if mine:
                raise ScenarioFailure(f"ring/{k} missing although record {max(mine)} was acknowledged")
            continue
        data = r.stdout
        n = int.from_bytes(data[:8], "little") if len(data) >= 8 else -1
        if n < 0 or n % FILES != k or data != record(n):
            raise ScenarioFailure(f"ring/{k} holds no whole record of its own ({len(data)} bytes, n {n})")
        if mine and n < max(mine):
            raise ScenarioFailure(f"ring/{k} holds record {n}, older than acknowledged {max(mine)}")
        if n > last + 1:
            raise ScenarioFailure(f"ring/{k} holds record {n}, beyond the one in flight ({last + 1})")


def scenario(args):
    rounds = int(os.environ.get("ANVAYA_CRASH_ROUNDS", "100"))
    rng = random.Random(int(os.environ.get("ANVAYA_CRASH_SEED", "9")))
    with tempfile.TemporaryDirectory() as tmp:
        image = os.path.join(tmp, "disk.img")
        r = tool("mkfs", image, "--size", "4M")
        if r.returncode != 0:
            raise ScenarioFailure(f"mkfs: {r.stdout!r}")
        acked = set()
        last = 0
        total = 0
        for k in range(rounds):
            s = args.session(devices=[f"blk:{image}"])
            s.start()
            m = s.expect(r"writer: start \(mkdir -?\d+\): (\d+) records checked, (\d+) bad, "
                         r"highest (\d+)\n")
            s.check(m.group(2) == "0", f"round {k}: the writer found bad records")
            highest = int(m.group(3))
            s.check(highest >= last, f"round {k}: acknowledged record {last} lost (highest {highest})")
            # The record in flight at the last kill may have become durable without its
            # ack reaching the console; the writer goes on from the highest it found, so
            # the one in flight now is at most highest + 1 even if nothing is acked.
            last = highest
            s.read_for(rng.uniform(0.02, 0.6))
            s.kill()
            got = [int(x) for x in re.findall(r"^writer: ack (\d+)$", s.log, re.M)]
            s.check("PANIC" not in s.log and "BAD" not in s.log, f"round {k}: clean run")
            acked.update(got)
            if got:
                last = max(got)
            total += len(got)
            s.close()
            check_disk(image, acked, last)
        print(f"crash test: {rounds} kills, {total} records acknowledged, last {last}, "
              "every one found, the store clean every time")


if __name__ == "__main__":
    sys.exit(run_scenario(scenario))
