"""Mistakes in the build's list of systems (components/meson.build, component_sources) are
reported by `meson setup` next to their cause: a system entry with no .system file, an
instance the system does not have (a misspelling), and an instance of the system with no
sources. Each case configures a copy of the tracked source tree with one edit and checks
the exact message; configure stops there, nothing is compiled.

    run_build_errors.py"""
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
CROSS = os.path.join("platforms", "qemu-virt-rv64", "cross.ini")


def copy_tree(dst):
    """The files git tracks, as they are in the working tree; nothing built."""
    r = subprocess.run(["git", "-C", ROOT, "ls-files", "-z"], capture_output=True, check=True)
    for rel in r.stdout.decode().split("\0"):
        if not rel:
            continue
        src = os.path.join(ROOT, rel)
        if not os.path.isfile(src):
            continue
        out = os.path.join(dst, rel)
        os.makedirs(os.path.dirname(out), exist_ok=True)
        shutil.copy2(src, out)


def configure(tree, edit):
    path = os.path.join(tree, "components", "meson.build")
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if LOOPS not in text:
        raise SystemExit(f"{path}: no '{LOOPS}' to edit before")
    with open(path, "w", encoding="utf-8") as f:
        f.write(edit(text))
    build = os.path.join(tree, "build-" + str(abs(hash(edit)) % 10000))
    r = subprocess.run(["meson", "setup", build, "--cross-file", os.path.join(tree, CROSS)],
                       cwd=tree, capture_output=True, text=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return r.returncode, r.stdout + r.stderr


# The loops that check component_sources come right after it: each case replaces it by a
# one-system list there, so configure stops at the mistake after generating one system.
LOOPS = "# The bootable systems:"
HELLO = "'hello' : [files('hello/main.c')]"


def only(entries):
    return lambda t: t.replace(LOOPS, "component_sources = {" + entries + "}\n" + LOOPS, 1)


CASES = [
    ("a system entry without its file", only("'nosuch' : {'x' : [files('hello/main.c')]}"),
     "components/meson.build: component_sources names system 'nosuch', but there is no "),
    ("a misspelt instance", only("'hello' : {" + HELLO + ", 'helo' : [files('hello/main.c')]}"),
     "components/meson.build: system hello has no instance helo"),
    ("an instance without sources", only("'hello' : {}"),
     "components/meson.build: instance hello of system hello has no sources in component_sources"),
]


def main():
    failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        tree = os.path.join(tmp, "src")
        copy_tree(tree)
        for what, edit, want in CASES:
            rc, out = configure(tree, edit)
            ok = rc != 0 and want in out and "Traceback" not in out
            print(("ok   " if ok else "FAIL ") + f"{what}: meson setup exit {rc}" +
                  ("" if ok else f"\n  wanted: {want}\n  got: {out[-800:]}"))
            failed += not ok
    print("build-errors: " + ("all passed" if not failed else f"{failed} failed"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
