#!/usr/bin/env python3
"""WASI apps in the guest (idl/systems/wasmtest.system): three runners under init, each
its own process with its own subtree of the file store, on a disk image made here with
tools/anvaya-store and preloaded with the built modules. Checked: hello's output is the
one node's WASI prints for the same arguments and environment, and its exit status goes
through init's policy; the files app's output is node's too, and the files it left are on
the image afterwards (read back with anvaya-store) and nowhere else, and a second files
app in its own subtree sees none of them; the misbehaving app
is ended by fuel with the reason logged and init's exit line.

usage: test_wasm.py --image IMG -- APPS_DIR NODE_WASI_MJS"""
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools"))
from qemu_harness import run_scenario  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")


def tool(*argv):
    r = subprocess.run([os.path.join(ROOT, "tools", "anvaya-store"), *argv],
                       capture_output=True)
    return r.returncode, r.stdout


def node(apps, mjs, module, args, env=(), hostdir=None):
    argv = ["node", "--experimental-wasi-unstable-preview1", "--no-warnings", mjs]
    for e in env:
        argv += ["--env", e]
    if hostdir:
        argv += ["--dir", f"{hostdir}:."]
    r = subprocess.run(argv + [module, *args], capture_output=True, timeout=120)
    return r.returncode, r.stdout.decode()


def app_stdout(log, inst):
    """The app's stdout as the runner marked it: lines '<inst>> text'."""
    return "".join(m.group(1) + "\n" for m in re.finditer(rf"^{inst}> (.*?)\r?$", log, re.M))


def scenario(args):
    apps, mjs = args.extra[0], args.extra[1]
    with tempfile.TemporaryDirectory() as tmp:
        image = os.path.join(tmp, "disk.img")
        for argv in (["mkfs", image, "--size", "8M"],
                     ["mkdir", image, "apps"], ["mkdir", image, "apps/hello"],
                     ["mkdir", image, "apps/files"], ["mkdir", image, "apps/misbehave"],
                     ["mkdir", image, "apps/list"],
                     ["put", image, "apps/list/files.wasm", os.path.join(apps, "files.wasm")],
                     ["put", image, "apps/hello/hello.wasm", os.path.join(apps, "hello.wasm")],
                     ["put", image, "apps/files/files.wasm", os.path.join(apps, "files.wasm")],
                     ["put", image, "apps/misbehave/misbehave.wasm",
                      os.path.join(apps, "misbehave.wasm")]):
            rc, out = tool(*argv)
            if rc != 0:
                raise SystemExit(f"anvaya-store {' '.join(argv)}: {out!r}")
        s = args.session(devices=[f"blk:{image}"])
        s.start()
        # The three run side by side: each line is awaited from the start of the log.
        def seen(pattern):
            s._pos = 0
            return s.expect(pattern)
        seen(r"whello: app exited with status 3; (\d+) WASI calls")
        seen(r"init: whello running -> exited \(status 3\)")
        m = seen(r"wfiles: app exited with status 0; (\d+) WASI calls, fuel used (\d+), "
                 r"instantiate (\d+) ticks, run (\d+) ticks, sync 0")
        seen(r"init: wfiles running -> exited \(status 0\)")
        seen(r"init: wlist running -> exited \(status 0\)")
        seen(r"wmis: app ended by fuel exhausted \(status 70\)")
        seen(r"init: wmis running -> exited \(status 70\)")
        # Let the last lines arrive, then stop the machine: nothing shuts it down.
        s.read_for(1)
        log = s.log
        s.close()

        rc, want = node(apps, mjs, os.path.join(apps, "hello.wasm"), ["guest", "two"],
                        env=["HELLO_EXIT=3", "PLACE=anvaya"])
        # node's argv[0] is the path it was given; the runner's is the module's name.
        want = want.replace(os.path.join(apps, "hello.wasm"), "hello.wasm")
        got = app_stdout(log, "whello")
        s.check(rc == 3 and got == want, f"hello's stdout is node's:\n{got}\n---- node:\n{want}")
        s.check("whello! hello: this line goes to stderr" in log, "hello's stderr line")
        hostdir = os.path.join(tmp, "node")
        os.mkdir(hostdir)
        rc, want = node(apps, mjs, os.path.join(apps, "files.wasm"), ["run"], hostdir=hostdir)
        got = app_stdout(log, "wfiles")
        s.check(rc == 0 and got == want, f"files' stdout is node's:\n{got}\n---- node:\n{want}")
        s.check(app_stdout(log, "wmis") == "misbehave: loop\n", "misbehave printed its mode")
        # The second files app, in its own subtree, sees an empty directory whenever it runs.
        s.check(app_stdout(log, "wlist") == ".: 0 entries\n",
                f"the second files app sees nothing: {app_stdout(log, 'wlist')!r}")
        s.check("misbehave: still running" not in log, "the endless loop never ended by itself")

        rc, out = tool("check", image)
        s.check(rc == 0, f"anvaya-store check: {out!r}")
        for rel in ("notes/final.txt", "log.txt"):
            with open(os.path.join(hostdir, rel), "rb") as f:
                data = f.read()
            rc, got = tool("get", image, "apps/files/home/" + rel)
            s.check(rc == 0 and got == data, f"apps/files/home/{rel} on the image is node's")
        rc, listing = tool("ls", image, "apps", "-r")
        files_left = sorted(line.split()[-1] for line in listing.decode().splitlines())
        s.check(files_left == ["apps/files/", "apps/files/files.wasm", "apps/files/home/",
                               "apps/files/home/log.txt", "apps/files/home/notes/",
                               "apps/files/home/notes/final.txt", "apps/hello/",
                               "apps/hello/hello.wasm", "apps/hello/home/", "apps/list/",
                               "apps/list/files.wasm", "apps/list/home/",
                               "apps/misbehave/", "apps/misbehave/home/",
                               "apps/misbehave/misbehave.wasm"],
                f"the files app's files are in its own subtree only: {files_left}")
        print(f"wasm: hello and files identical to node, files on the image, misbehave ended "
              f"by fuel; files app: {m.group(1)} WASI calls, fuel {m.group(2)}, "
              f"instantiate {m.group(3)} ticks, run {m.group(4)} ticks")


if __name__ == "__main__":
    sys.exit(run_scenario(scenario))
