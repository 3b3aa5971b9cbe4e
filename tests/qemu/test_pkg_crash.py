#!/usr/bin/env python3
"""Installs cut by a power failure (idl/systems/pkgcrash.system): the client installs a
staged 600 KiB package, reads its payload back, waits as long as the install took and
uninstalls it, round after round; the
test kills QEMU with SIGKILL at a random moment, ROUNDS times on one image (12 by default,
ANVAYA_PKG_CRASH_ROUNDS for more), and after every kill checks with the host tools that
the store is consistent (anvaya-store check is clean) and that the package is either
installed whole (the file is the staged package byte for byte, and anvaya-pkg verify
accepts it) or absent: never a part of it under the installed name. The version record is
always one whole record naming the package at its version, and the next boot removes any
temporary file a cut install left and goes on."""
import hashlib
import os
import random
import re
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qemu_harness import ScenarioFailure, run_scenario  # noqa: E402
import pkg_fixtures as fx  # noqa: E402


def check_disk(image, pkg, keys, k):
    r = fx.store("check", image)
    if r.returncode != 0:
        raise ScenarioFailure(f"round {k}: anvaya-store check (exit {r.returncode}): "
                              f"{r.stdout.decode(errors='replace')}{r.stderr.decode(errors='replace')}")
    files = fx.snapshot(image)
    state = "absent"
    got = files.get("pkg/installed/big")
    if got is not None:
        if got != pkg:
            raise ScenarioFailure(f"round {k}: installed/big is {len(got)} bytes that are not "
                                  "the package")
        path = os.path.join(os.path.dirname(image), "check.pkg")
        with open(path, "wb") as f:
            f.write(got)
        fx.run(fx.PKG_TOOL, "verify", "--pub", keys[2][1], path)
        state = "installed"
    record = files.get("pkg/versions")
    want = f"big 1.0.0 {hashlib.sha512(fx.signed_part(pkg)).hexdigest()}\n".encode()
    if record is not None and record != want:
        raise ScenarioFailure(f"round {k}: the version record is {record!r}")
    if got is not None and record is None:
        raise ScenarioFailure(f"round {k}: installed without a version record")
    leftovers = sorted(p for p in files if p.endswith(".new"))
    return state, leftovers


def scenario(args):
    rounds = int(os.environ.get("ANVAYA_PKG_CRASH_ROUNDS", "12"))
    rng = random.Random(int(os.environ.get("ANVAYA_PKG_CRASH_SEED", "12")))
    with tempfile.TemporaryDirectory() as tmp:
        keys = fx.write_keys(tmp)
        pkg = fx.make_package(tmp, keys, 2, 2, "big", "1.0.0", fx.wasm_payload(600 * 1024, 3),
                              ["console = yes"])
        tree = os.path.join(tmp, "tree", "pkg", "staging")
        os.makedirs(tree)
        with open(os.path.join(tree, "big.pkg"), "wb") as f:
            f.write(pkg)
        image = os.path.join(tmp, "disk.img")
        r = fx.store("mkfs", image, "--size", "16M", "--from", os.path.join(tmp, "tree"))
        if r.returncode != 0:
            raise ScenarioFailure(f"mkfs: {r.stdout!r}")
        seen = {"installed": 0, "absent": 0}
        swept = 0
        cycles = 0
        left_before = []
        state = "absent"
        for k in range(rounds):
            s = args.session(devices=[f"blk:{image}"])
            s.start()
            m = s.expect(r"pkgsvc: ready: 1 keys, (\d) installed, record of (\d) names, "
                         r"(\d+) temporaries removed")
            s.check(int(m.group(3)) == len(left_before),
                    f"round {k}: {m.group(3)} temporaries removed, {len(left_before)} left")
            s.read_for(rng.uniform(0.2, 2.5))
            s.kill()
            s.find(r"pkgclient: mode 1", "the client's start")
            s.check("PANIC" not in s.log and "BAD" not in s.log, f"round {k}: clean run")
            # The kill can land mid-line: judge only the lines the guest finished printing.
            log = s.log[:s.log.rfind("\n") + 1]
            first = re.search(r"install big.pkg -> (\d+)", log)
            s.check(first is None or first.group(1) == ("1212" if state == "installed" else "0"),
                    f"round {k}: the first install answered {first and first.group(1)} with the "
                    f"package {state} before the boot")
            s.check(len(re.findall(r"install big.pkg -> (?!0 )", log)) <= (state == "installed"),
                    f"round {k}: an install was refused:\n{s.tail()}")
            s.check(not re.search(r"read big -> (?!0: 614400 of 614400 bytes)", log),
                    f"round {k}: a payload read back wrong:\n{s.tail()}")
            cycles += len(re.findall(r"uninstall -> 0", log))
            s.close()
            state, left_before = check_disk(image, pkg, keys, k)
            swept += bool(left_before)
            seen[state] += 1
        print(f"pkg crash test: {rounds} kills, {cycles} whole install/uninstall cycles; after "
              f"the kills the package was installed whole {seen['installed']} times and absent "
              f"{seen['absent']} times ({swept} times with a temporary file, swept at the next "
              "start), the store clean every time")


if __name__ == "__main__":
    sys.exit(run_scenario(scenario))
