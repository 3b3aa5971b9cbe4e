#!/usr/bin/env python3
"""Differential test of lib/wasi: every app (apps/) runs under our runtime (anvaya-wasm,
built with ASan and UBSan) and under node 20's own WASI with a preopened temp directory;
stdout and the exit status must be identical (a trap is exit status 70 in both, and our
stderr must name the trap the case expects). The files app also runs on a store image
(made and read back with anvaya-store): the files it leaves there must be the bytes node
left in its directory.

usage: run_wasi_diff.py ANVAYA_WASM ANVAYA_STORE NODE_WASI_MJS APPS_DIR"""
import os
import subprocess
import sys
import tempfile

anvaya, store_tool, node_mjs, apps = sys.argv[1:5]
failures = []


def app(name):
    return os.path.join(apps, name + ".wasm")


def ours(module, args, env=(), dirname=None, extra=()):
    argv = [anvaya, *extra]
    for e in env:
        argv += ["--env", e]
    if dirname:
        argv += ["--dir", dirname]
    r = subprocess.run(argv + [module, *args], capture_output=True, timeout=120)
    return r.returncode, r.stdout, r.stderr


def node(module, args, env=(), hostdir=None, dirname=None):
    argv = ["node", "--experimental-wasi-unstable-preview1", "--no-warnings", node_mjs]
    for e in env:
        argv += ["--env", e]
    if hostdir:
        argv += ["--dir", f"{hostdir}:{dirname}"]
    r = subprocess.run(argv + [module, *args], capture_output=True, timeout=120)
    return r.returncode, r.stdout, r.stderr


def case(label, module, args, env=(), dirname=None, trap=None, status=None, fuel_only=False):
    with tempfile.TemporaryDirectory() as tmp:
        extra = ["--fuel", "50000000"] if fuel_only else []
        rc, out, err = ours(module, args, env, dirname, extra)
        if trap is not None and trap.encode() not in err:
            failures.append(f"{label}: our stderr does not name the trap '{trap}': {err!r}")
        if status is not None and rc != status:
            failures.append(f"{label}: our exit status {rc}, expected {status}")
        if fuel_only:
            # node has no fuel: an endless loop is only ours to end.
            print(f"{label}: ours exit {rc}, {len(out)} bytes of stdout ({err.decode().strip()})")
            return out
        nrc, nout, nerr = node(module, args, env, tmp if dirname else None, dirname)
        if (rc, out) != (nrc, nout):
            failures.append(f"{label}: ours exit {rc} stdout {out!r}\n   node exit {nrc} stdout "
                            f"{nout!r} stderr {nerr!r}")
        else:
            print(f"{label}: identical (exit {rc}, {len(out)} bytes of stdout)")
        return out


case("hello", app("hello"), ["one", "two words", ""],
     env=["HELLO_EXIT=0", "LANG=C", "HELLO_EXTRAS=1"], status=0)
case("hello exit 7", app("hello"), [], env=["HELLO_EXIT=7"], status=7)
case("hello no env", app("hello"), ["--flag"], status=0)
case("files run", app("files"), ["run"], dirname=".", status=0)
case("files list (empty directory)", app("files"), ["list"], dirname=".", status=0)
case("files without a directory", app("files"), ["run"])
case("compute", app("compute"), ["1"], status=0)
case("misbehave oob", app("misbehave"), ["oob"], trap="out of bounds memory access",
     status=70)
case("misbehave recurse", app("misbehave"), ["recurse"],
     trap="call stack exhausted", status=70)
case("misbehave loop", app("misbehave"), ["loop"], trap="fuel exhausted",
     status=70, fuel_only=True)
case("misbehave usage", app("misbehave"), [], status=64)
case("misbehave entropy", app("misbehave"), ["entropy"], status=0)
case("counter", app("counter"), [], dirname=".", status=0)
case("counter without a directory", app("counter"), [], status=1)

# The counter twice on one store image and twice in one node directory: boot 1, then
# boot 2, and the same `count` file left in both.
with tempfile.TemporaryDirectory() as tmp:
    image = os.path.join(tmp, "disk.img")
    subprocess.run([store_tool, "mkfs", image, "--size", "4M"], check=True, capture_output=True)
    hostdir = os.path.join(tmp, "node")
    os.mkdir(hostdir)
    for boot in (1, 2):
        rc, out, _ = ours(app("counter"), [], dirname=".",
                          extra=["--image", image, "--root", "apps/counter"])
        nrc, nout, _ = node(app("counter"), [], hostdir=hostdir, dirname=".")
        want = f"counter: boot {boot}\n".encode()
        if (rc, out) != (0, want) or (nrc, nout) != (0, want):
            failures.append(f"counter run {boot}: ours {rc} {out!r}, node {nrc} {nout!r}")
    g = subprocess.run([store_tool, "get", image, "apps/counter/count"], capture_output=True)
    nodecount = open(os.path.join(hostdir, "count"), "rb").read()
    left = sorted(os.listdir(hostdir))
    if g.stdout != b"2\n" or nodecount != b"2\n" or left != ["count"]:
        failures.append(f"counter's file: ours {g.stdout!r}, node {nodecount!r} (node dir {left})")
    print("counter twice on one image and in one node directory: boot 1, boot 2, count = 2")

# The files app on a store image: what it leaves is what node left on disk.
with tempfile.TemporaryDirectory() as tmp:
    image = os.path.join(tmp, "disk.img")
    subprocess.run([store_tool, "mkfs", image, "--size", "4M"], check=True, capture_output=True)
    rc, out, err = ours(app("files"), ["run"], dirname=".",
                        extra=["--image", image, "--root", "apps/files"])
    hostdir = os.path.join(tmp, "node")
    os.mkdir(hostdir)
    nrc, nout, _ = node(app("files"), ["run"], hostdir=hostdir, dirname=".")
    if (rc, out) != (nrc, nout):
        failures.append(f"files on an image: ours {rc} {out!r}, node {nrc} {nout!r}")
    c = subprocess.run([store_tool, "check", image], capture_output=True)
    if c.returncode != 0:
        failures.append(f"anvaya-store check after the files app: {c.stdout!r} {c.stderr!r}")
    want = {}
    for d, _, names in os.walk(hostdir):
        for n in names:
            p = os.path.join(d, n)
            want[os.path.relpath(p, hostdir)] = open(p, "rb").read()
    ls = subprocess.run([store_tool, "ls", image, "apps/files", "-r"], capture_output=True,
                        text=True)
    for rel, data in sorted(want.items()):
        g = subprocess.run([store_tool, "get", image, "apps/files/" + rel], capture_output=True)
        if g.returncode != 0 or g.stdout != data:
            failures.append(f"image apps/files/{rel}: {g.stdout!r}, node wrote {data!r}")
    print(f"files on an image: {len(want)} files, each as node left it; store listing:\n"
          + ls.stdout.rstrip())

if failures:
    print("\n".join("FAIL " + f for f in failures))
    sys.exit(1)
print("all cases identical")
