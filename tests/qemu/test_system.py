#!/usr/bin/env python3
"""The default system (idl/systems/anvaya.system, docs/tour.md) as ./tools/run.sh boots it:
the disk image made by tools/demo_disk.py, QEMU's user-mode network, the host's HTTP server
(tools/demo_http.py) on port 8480, all inside a private network namespace so that the fixed
port is this test's alone (root needed: skipped with 77 otherwise).

Boot 1 on a fresh disk: DHCP; the boot plan installs the three staged packages, downloads
fetch (installed) and the tampered notes (refused: DIGEST, with the service's reason) and
refuses the older counter (ROLLBACK); the four runners run their packages with exactly
their grants (each grant line checked): hello's output, the counter's first boot, the
host's page fetched over TCP (length and SHA-256), misbehave refused the network and
entropy (ENOTCAPABLE) and ended by its fuel; every process's capabilities, as the loader
reports them (boot argument anvaya.report=cspace), are its generated CSpace manifest's;
the system shuts down with status 0 once the apps have ended. Boot 2 on the same disk:
everything already installed, the same refusals, and the counter's second boot. On the image afterwards: the store consistent, installed/ exactly the four
packages, each verifying with anvaya-pkg. Then a crash: a fresh disk, QEMU killed during
the installs (at a moment drawn from a seed the test prints), the store consistent and
every installed package whole, and a reboot that completes the plan."""
import hashlib
import os
import random
import re
import subprocess
import sys
import tempfile
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools"))
sys.path.insert(0, HERE)
from qemu_harness import ScenarioFailure  # noqa: E402
from test_demo import check_loader_caps as check_caps  # noqa: E402
from test_netstack import run_in_namespace, sh  # noqa: E402

ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
TOOLS = os.path.join(ROOT, "tools")
STORE = os.path.join(TOOLS, "anvaya-store")
PKG = os.path.join(TOOLS, "anvaya-pkg")
PORT = 8480
DEVICES = ["net:user@7", "rng@6"]
INSTALLED = {"counter": "1.1.0", "fetch": "1.0.0", "hello": "1.0.0", "misbehave": "1.0.0"}
STAGED = ["hello-1.0.0.pkg", "counter-1.1.0.pkg", "misbehave-1.0.0.pkg"]


def tool(*argv):
    r = subprocess.run(list(argv), capture_output=True)
    return r.returncode, r.stdout.decode(errors="replace") + r.stderr.decode(errors="replace")


def make_disk(apps, out):
    rc, text = tool("/usr/bin/python3", os.path.join(TOOLS, "demo_disk.py"), "--apps", apps,
                    "--out", out, "--force")
    if rc != 0:
        raise ScenarioFailure(f"demo_disk.py: {text}")
    return os.path.join(out, "disk.img")


def start_server(www, log):
    """demo_http.py in this namespace; its request lines go to log."""
    ready = os.path.join(os.path.dirname(www), "http.ready")
    p = subprocess.Popen(["/usr/bin/python3", os.path.join(TOOLS, "demo_http.py"), www,
                          "--port", str(PORT), "--ready", ready],
                         stderr=subprocess.PIPE, text=True)
    threading.Thread(target=lambda: log.extend(p.stderr), daemon=True).start()
    for _ in range(50):
        if os.path.exists(ready) or p.poll() is not None:
            break
        threading.Event().wait(0.1)
    if not os.path.exists(ready):
        raise ScenarioFailure("the host's HTTP server did not start")
    return p


def expect_plan(s, first):
    """The boot plan's console lines, in order, on a first boot or a later one."""
    s.expect(r"netstack: dhcp bound ip 10\.0\.2\.15 mask 255\.255\.255\.0 router 10\.0\.2\.2",
             timeout=60)
    for f in STAGED:
        name, version = f[:-4].rsplit("-", 1)
        if first:
            s.expect(rf"installer: installed {name} {re.escape(version)} from {re.escape(f)} "
                     r"\(\d+-byte payload\)")
        else:
            s.expect(rf"installer: install {re.escape(f)}: already installed")
    s.expect(r"installer: downloading http://10\.0\.2\.2:8480/fetch-1\.0\.0\.pkg")
    s.expect(r"installer: downloaded \d+ bytes into fetch-1\.0\.0\.pkg")
    s.expect(r"installer: installed fetch 1\.0\.0 from fetch-1\.0\.0\.pkg" if first else
             r"installer: install fetch-1\.0\.0\.pkg: already installed")
    s.expect(r"pkgsvc: audit install staging/notes-1\.0\.0\.pkg digest-mismatch 1209 notes "
             r"1\.0\.0: payload digest mismatch")
    s.expect(r"installer: install notes-1\.0\.0\.pkg refused: DIGEST \(1209\)")
    s.expect(r"pkgsvc: audit install staging/counter-1\.0\.0\.pkg rollback 1210 counter "
             r"1\.0\.0: highest ever installed 1\.1\.0")
    s.expect(r"installer: install counter-1\.0\.0\.pkg refused: ROLLBACK \(1210\)")
    want = "".join(f" {n} {v};" for n, v in sorted(INSTALLED.items()))
    s.expect(rf"installer: installed now:{re.escape(want)}")
    s.expect(r"installer: plan done, 0 unexpected outcomes")
    s.expect(r"installer: every awaited app has ended")
    s.expect(r"installer: shutting the system down \(status 0\)")
    s.expect_exit(0)


def app_stdout(log, inst):
    """The app's stdout as its runner marked it: lines '<inst>> text'."""
    return "".join(m.group(1) + "\n" for m in re.finditer(rf"^{inst}> (.*?)\r?$", log, re.M))


def check_apps(s, boot, page):
    """What each runner was granted and what its app did (runner lines come in any order
    with the installer's, so they are looked for in the whole log)."""
    grants = {
        "counter": "grants: storage console; not requested: net entropy clocks",
        "fetch": "grants: net console; not requested: storage entropy clocks",
        "greet": "grants: console clocks=monotonic; not requested: storage net entropy",
        "misbehave": "grants: console; refused: net (requested, not granted to this runner), "
                     "entropy (requested, not granted to this runner); not requested: storage clocks",
    }
    for inst, line in grants.items():
        s.find(rf"^{inst}: {re.escape(line)}\r?$", f"{inst}'s grants: {line}")
    want = ('hello from wasm: 5 arguments\nargv[0] = "hello"\nargv[1] = "from"\n'
            'argv[2] = "the"\nargv[3] = "default"\nargv[4] = "system"\nenv: PLACE=anvaya\n'
            '1 environment entry\nmonotonic clock: ok\nexiting with status 0\n')
    got = app_stdout(s.log, "greet")
    s.check(got == want, f"hello's output in the greet runner:\n{got}")
    s.check(app_stdout(s.log, "counter") == f"counter: boot {boot}\n",
            f"the counter says boot {boot}: {app_stdout(s.log, 'counter')!r}")
    first = page.split(b"\n", 1)[0].decode()
    want = (f"fetch: 10.0.2.2 is 10.0.2.2\nfetch: status HTTP/1.0 200 OK\n"
            f"fetch: body {len(page)} bytes, sha256 {hashlib.sha256(page).hexdigest()}\n"
            f"fetch: first line: {first}\n")
    got = app_stdout(s.log, "fetch")
    s.check(got == want, f"the fetch app got the host's page:\n{got}")
    want = ("misbehave: net\nmisbehave: connect 10.0.2.2:8480: errno 76 (Capabilities "
            "insufficient)\nmisbehave: entropy\nmisbehave: random_get -> 76 (ENOTCAPABLE: not "
            "granted)\nmisbehave: loop\n")
    got = app_stdout(s.log, "misbehave")
    s.check(got == want, f"misbehave refused the network and entropy, then looped:\n{got}")
    s.find(r"^misbehave: app ended by fuel exhausted \(status 70\)", "misbehave ended by fuel")
    for inst, status in (("counter", 0), ("fetch", 0), ("greet", 0), ("misbehave", 70)):
        s.find(rf"^init: {inst} running -> exited \(status {status}\)", f"init: {inst} exited {status}")


def check_image(s, image, pub, allow_temporaries=False):
    rc, out = tool(STORE, "check", image)
    s.check(rc == 0, f"anvaya-store check after the run: {out}")
    rc, out = tool(STORE, "ls", image, "pkg/installed")
    if rc != 0 and allow_temporaries and "no such file or directory" in out:
        # Killed before the service's first sync made installed/ durable: nothing was
        # installed yet, and the next start makes the directory again.
        return []
    s.check(rc == 0, f"anvaya-store ls pkg/installed: {out}")
    names = sorted(line.split()[-1].rsplit("/", 1)[-1] for line in out.splitlines() if line.strip())
    # `<name>.new` is an install cut short: never offered, removed at the next start.
    temporaries = [n for n in names if n.endswith(".new")]
    names = [n for n in names if not n.endswith(".new")]
    s.check(allow_temporaries or not temporaries, f"no temporaries left in installed/: {temporaries}")
    with tempfile.TemporaryDirectory() as tmp:
        for n in names:
            path = os.path.join(tmp, n + ".pkg")
            rc, _ = tool(STORE, "get", image, f"pkg/installed/{n}", path)
            s.check(rc == 0, f"pkg/installed/{n} readable")
            rc, out = tool(PKG, "verify", "--pub", pub, path)
            s.check(rc == 0 and f"verified: {n} " in out, f"installed {n} verifies: {out}")
    return names


def scenario(args):
    cspace_json = args.extra[0]
    apps = os.path.join(args.workdir, "apps")
    sh("ip", "link", "set", "lo", "up")
    with tempfile.TemporaryDirectory() as tmp:
        demo = os.path.join(tmp, "demo")
        image = make_disk(apps, demo)
        pub = os.path.join(demo, "publisher.pub")
        with open(os.path.join(demo, "www", "page.txt"), "rb") as f:
            page = f.read()
        requests = []
        server = start_server(os.path.join(demo, "www"), requests)
        try:
            for boot in (1, 2):
                s = args.session(devices=DEVICES + [f"blk:{image}@5"], append="anvaya.report=cspace",
                                 timeout=max(args.timeout, 120))
                s.start()
                expect_plan(s, boot == 1)
                check_caps(s, cspace_json)
                check_apps(s, boot, page)
                s.close()
            names = check_image(s, image, pub)
            s.check(names == sorted(INSTALLED), f"installed/ holds exactly {sorted(INSTALLED)}: {names}")
            got = sorted(r.strip() for r in requests)
            s.check(got == sorted(["host: GET /fetch-1.0.0.pkg -> 200", "host: GET /notes-1.0.0.pkg -> 200",
                                   "host: GET /page.txt -> 200"] * 2),
                    f"the host served each download and the page once per boot: {got}")

            # A crash during the installs, then a reboot.
            seed = int(os.environ.get("ANVAYA_SYSTEM_SEED", random.randrange(1 << 30)))
            rnd = random.Random(seed)
            image = make_disk(apps, demo)
            s = args.session(devices=DEVICES + [f"blk:{image}@5"], timeout=max(args.timeout, 120))
            s.start()
            s.expect(r"pkgsvc: ready: 1 keys, 0 installed", timeout=60)
            delay = rnd.uniform(0.0, 0.5)  # the installs take about half a second
            s.read_for(delay)
            done = len(re.findall(r"^installer: installed ", s.log, re.M))
            s.kill()
            s.close()
            print(f"system: seed {seed}: QEMU killed {delay:.2f} s after the service was ready, "
                  f"{done} installs reported")
            names = check_image(s, image, pub, allow_temporaries=True)
            s.check(set(names) <= set(INSTALLED), f"only whole packages installed: {names}")
            s = args.session(devices=DEVICES + [f"blk:{image}@5"], timeout=max(args.timeout, 120))
            s.start()
            s.expect(r"pkgsvc: ready: 1 keys, \d+ installed, record of \d+ names, \d+ temporaries removed",
                     timeout=60)
            s.expect(r"installer: plan done, 0 unexpected outcomes")
            s.expect_exit(0)
            s.close()
            names = check_image(s, image, pub)
            s.check(names == sorted(INSTALLED), f"after the reboot installed/ is whole: {names}")
        finally:
            server.kill()
            server.wait()
    print("system: two boots on one disk, the plan's refusals, capabilities as the manifest, "
          "a crash during installs recovered")
    return 0


if __name__ == "__main__":
    sys.exit(run_in_namespace(__file__, scenario, "anvsys", 560))
