#!/usr/bin/env python3
"""WebAssembly apps run from the package service (idl/systems/wasmpkg.system), each in a
runner with exactly the capabilities its package requests and its runner is granted, on a
disk image tools/anvaya-store made here, preloaded with hello, counter and misbehave
packaged and signed now with tools/anvaya-pkg (tests/qemu/pkg_fixtures.py) and put in the
service's installed/ (the service verifies each at start; the system has no installer:
see the system file).

Boot 1: each runner reads its package's verified payload through PackageReader and prints
what it granted and refused. hello (console, monotonic clock, entropy from virtio-rng, no
storage) prints node's output for the same arguments but for the wall-clock line (no wall
clock granted), and draws random bytes; counter (its own directory) prints
"counter: boot 1"; misbehave asks for entropy in a runner without an Entropy connection
and gets ENOTCAPABLE from random_get, and its runner says why. Every process's
capabilities, as the loader reports them (anvaya.report=cspace), are its generated CSpace
manifest's. Boot 2 on the same disk, under -icount shift=0: "counter: boot 2", and each
runner's instructions to read (the service's verification included), load and
instantiate its package are printed. Afterwards the store is consistent and apps/counter
holds exactly home/count = "2\\n". Boot 3, a disk without misbehave: its runner says it
waits, gives up after its wait_ms (10 s) with status 69, and the others run as before.

Last, idl/systems/wasmpkgwait.system: a runner that starts before its package is there.
A client (components/pkglater) installs the staged hello half a second after boot; the
runner's first look finds nothing, it says it waits, and runs hello once installed (its
output node's); every process's capabilities are its manifest's there too.

usage: test_wasm_pkg.py --image IMG -- APPS_DIR NODE_WASI_MJS CSPACE_JSON WAIT_IMG WAIT_CSPACE_JSON"""
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools"))
sys.path.insert(0, HERE)
from qemu_harness import ScenarioFailure, Session, run_scenario  # noqa: E402
from test_demo import check_loader_caps as check_caps  # noqa: E402
import pkg_fixtures as fx  # noqa: E402

DEVICES = ["rng@6"]
PACKAGES = {  # name: (module, manifest lines beyond name, version and kind)
    "hello": ("hello", ["console = yes", "clocks = monotonic wall", "entropy = yes"]),
    "counter": ("counter", ["storage = apps/counter 65536", "console = yes"]),
    "misbehave": ("misbehave", ["console = yes", "entropy = yes"]),
}
GRANTS = {
    "wphello": "grants: console entropy clocks=monotonic+wall; not requested: storage net",
    "wpcounter": "grants: storage console; not requested: net entropy clocks",
    "wpmis": "grants: console; refused: entropy (requested, not granted to this runner); "
            "not requested: storage net clocks",
}
GRANTS["wpoob"] = GRANTS["wprec"] = GRANTS["wpmis"]
STATUS = {"wphello": 3, "wpcounter": 0, "wpmis": 0, "wpoob": 70, "wprec": 70, "wpabsent": 69}
MISBEHAVE = ("wpmis", "wpoob", "wprec")


def tool(*argv):
    r = subprocess.run([fx.STORE_TOOL, *argv], capture_output=True)
    return r.returncode, r.stdout


def node(mjs, module, args, env=()):
    argv = ["node", "--experimental-wasi-unstable-preview1", "--no-warnings", mjs]
    for e in env:
        argv += ["--env", e]
    r = subprocess.run(argv + [module, *args], capture_output=True, timeout=120)
    return r.returncode, r.stdout.decode()


def app_stdout(log, inst):
    return "".join(m.group(1) + "\n" for m in re.finditer(rf"^{inst}> (.*?)\r?$", log, re.M))


def make_image(tmp, apps, names):
    keys = fx.write_keys(tmp)
    image = os.path.join(tmp, "disk.img")
    steps = [["mkfs", image, "--size", "8M"], ["mkdir", image, "pkg"],
             ["mkdir", image, "pkg/installed"], ["mkdir", image, "apps"],
             ["mkdir", image, "apps/counter"]]
    for name in names:
        module, extra = PACKAGES[name]
        with open(os.path.join(apps, module + ".wasm"), "rb") as f:
            payload = f.read()
        pkg = fx.make_package(tmp, keys, 1, 1, name, "1.0.0", payload, extra)
        path = os.path.join(tmp, f"{name}-1.0.0.pkg")
        with open(path, "wb") as f:
            f.write(pkg)
        steps.append(["put", image, f"pkg/installed/{name}", path])
    for argv in steps:
        rc, out = tool(*argv)
        if rc != 0:
            raise ScenarioFailure(f"anvaya-store {' '.join(argv)}: {out!r}")
    return image


def boot(args, image, icount=False, absent=()):
    s = args.session(devices=DEVICES + [f"blk:{image}@5"], append="anvaya.report=cspace",
                     icount=icount, timeout=max(args.timeout, 120))
    s.start()

    def seen(pattern):
        s._pos = 0
        return s.expect(pattern)
    n = len(PACKAGES) - (1 if absent else 0)   # the absent runners all wait for misbehave
    seen(rf"pkgsvc: ready: 1 keys, {n} installed")
    for inst, line in GRANTS.items():
        if inst in absent:
            continue
        seen(rf"{inst}: {re.escape(line)}\r?$")
        seen(rf"init: {inst} running -> exited \(status {STATUS[inst]}\)")
    for inst in absent:
        seen(rf"{inst}: package misbehave: not installed yet: waiting up to 10000 ms")
        seen(rf"{inst}: package misbehave: not installed after 10000 ms: giving up \(status 69\)")
        seen(rf"init: {inst} running -> exited \(status 69\)")
    # Let the last lines arrive, then stop the machine: nothing shuts it down.
    s.read_for(1)
    log = s.log
    s.close()
    return s, log


def scenario(args):
    apps, mjs, cspace_json = args.extra[0], args.extra[1], args.extra[2]
    with tempfile.TemporaryDirectory() as tmp:
        image = make_image(tmp, apps, PACKAGES)
        s, log = boot(args, image)
        check_caps(s, cspace_json)
        # hello: node's output for the same words, the lines HELLO_EXTRAS adds included:
        # the wall clock from the real-time clock service, random bytes from virtio-rng.
        rc, want = node(mjs, os.path.join(apps, "hello.wasm"), ["guest", "two"],
                        env=["HELLO_EXIT=3", "HELLO_EXTRAS=1"])
        want = want.replace(os.path.join(apps, "hello.wasm"), "hello")
        got = app_stdout(log, "wphello")
        s.check(rc == 3 and got == want, f"hello's stdout:\n{got}\n---- node's:\n{want}")
        s.check("realtime clock after 2020: yes" in got, "hello read the wall clock")
        s.check("random: two different draws" in got, "hello drew random bytes from virtio-rng")
        s.check(app_stdout(log, "wpcounter") == "counter: boot 1\n",
                f"counter's first boot: {app_stdout(log, 'wpcounter')!r}")
        s.check(app_stdout(log, "wpmis") ==
                "misbehave: entropy\nmisbehave: random_get -> 76 (ENOTCAPABLE: not granted)\n",
                f"misbehave's random_get denied: {app_stdout(log, 'wpmis')!r}")
        s.check("wphello: the entropy service failed" not in log, "entropy served every request")
        # A trap and an exhausted call stack each end their own app, logged with the reason.
        for inst, mode, reason in (("wpoob", "oob", "out of bounds memory access"),
                                   ("wprec", "recurse", "call stack exhausted")):
            s.check(app_stdout(log, inst) == f"misbehave: {mode}\n", f"{inst} ran {mode}")
            m = re.search(rf"^{inst}: app ended by (.*) \(status 70\)", log, re.M)
            s.check(m and reason in m.group(1).lower(),
                    f"{inst} ended by {reason}: {m.group(1) if m else 'no line'}")
            s.check("misbehave: still running" not in app_stdout(log, inst), f"{inst} stopped")
        rc, out = tool("get", image, "apps/counter/home/count")
        s.check(rc == 0 and out == b"1\n", f"count after boot 1: {out!r}")

        s, log = boot(args, image, icount=True)
        check_caps(s, cspace_json)
        s.check(app_stdout(log, "wpcounter") == "counter: boot 2\n",
                f"counter's second boot: {app_stdout(log, 'wpcounter')!r}")
        rc, out = tool("check", image)
        s.check(rc == 0, f"anvaya-store check: {out!r}")
        rc, out = tool("get", image, "apps/counter/home/count")
        s.check(rc == 0 and out == b"2\n", f"count after boot 2: {out!r}")
        rc, listing = tool("ls", image, "apps", "-r")
        left = sorted(line.split()[-1] for line in listing.decode().splitlines())
        s.check(left == ["apps/counter/", "apps/counter/home/", "apps/counter/home/count"],
                f"the counter's directory holds its count only: {left}")
        for inst, name in (("wphello", "hello"), ("wpcounter", "counter"), ("wpmis", "misbehave")):
            r = re.search(rf"^{inst}: instructions: package read (\d+)", log, re.M)
            ld = re.search(rf"^{inst}: instructions: load (\d+) \((\d+) module bytes\), "
                           rf"instantiate (\d+)", log, re.M)
            v = re.findall(rf"^pkgsvc: costs of reading {name} \((\d+) bytes\): read (\d+), "
                           rf"verify (\d+) instructions", log, re.M)
            s.check(r and ld and v, f"{inst}'s instruction counts")
            print(f"wasm-pkg: {name}: {ld.group(2)}-byte module in a {v[0][0]}-byte package: "
                  f"the service reads it from the store in {v[0][1]} and verifies it in "
                  f"{v[0][2]} instructions ({len(v)} time(s)); the runner's whole read "
                  f"{r.group(1)} (hart-wide), load {ld.group(1)}, instantiate {ld.group(3)} "
                  f"(-icount shift=0)")

        # A disk without misbehave: its runner waits for it, then gives up.
        with tempfile.TemporaryDirectory() as tmp3:
            image = make_image(tmp3, apps, ["hello", "counter"])
            s, log = boot(args, image, absent=MISBEHAVE)
            s.check(app_stdout(log, "wpcounter") == "counter: boot 1\n", "counter on the third disk")

        # The runner before its package, which a client installs half a second later.
        with tempfile.TemporaryDirectory() as tmp4:
            keys = fx.write_keys(tmp4)
            image = os.path.join(tmp4, "disk.img")
            with open(os.path.join(apps, "hello.wasm"), "rb") as f:
                hello = fx.make_package(tmp4, keys, 1, 1, "hello", "1.0.0", f.read(),
                                        ["console = yes", "clocks = monotonic"])
            path = os.path.join(tmp4, "hello-1.0.0.pkg")
            with open(path, "wb") as f:
                f.write(hello)
            for argv in (["mkfs", image, "--size", "8M"], ["mkdir", image, "pkg"],
                         ["mkdir", image, "pkg/staging"],
                         ["put", image, "pkg/staging/hello-1.0.0.pkg", path]):
                rc, out = tool(*argv)
                if rc != 0:
                    raise ScenarioFailure(f"anvaya-store {' '.join(argv)}: {out!r}")
            s = Session(args.extra[3], timeout=max(args.timeout, 120), log_path=args.log,
                        devices=[f"blk:{image}"], append="anvaya.report=cspace")
            try:
                s.start()
                s.expect(r"wwhello: package hello: not installed yet: waiting up to 30000 ms")
                s.expect(r"pkglater: installed hello 1\.0\.0 from hello-1\.0\.0\.pkg after 500 ms")
                s.expect(r"wwhello: package hello 1\.0\.0, \d+ payload bytes, verified by the "
                         r"service \(after waiting\)")
                s.expect(r"wwhello: grants: console clocks=monotonic; not requested: storage net "
                         r"entropy\r?$")
                s.expect(r"init: wwhello running -> exited \(status 0\)")
                s.read_for(1)
                log = s.log
            finally:
                s.close()
            check_caps(s, args.extra[4])
            rc, want = node(mjs, os.path.join(apps, "hello.wasm"), ["late"])
            want = want.replace(os.path.join(apps, "hello.wasm"), "hello")
            got = app_stdout(log, "wwhello")
            s.check(rc == 0 and got == want, f"the late hello's stdout is node's:\n{got}\n---- "
                                             f"node:\n{want}")
    print("wasm-pkg: three packages run with their grants, entropy from virtio-rng, "
          "ENOTCAPABLE without it, counter boot 1 then 2, a missing package given up, "
          "a runner that waited until its package was installed, capabilities as the manifest")
    return 0


if __name__ == "__main__":
    sys.exit(run_scenario(scenario))
