#!/usr/bin/env python3
"""The guest's WebAssembly figures: boot idl/systems/wasmbench.system (one runner alone)
under -icount shift=0 and read the instructions it retires (rdinstret: the runner and the
kernel) to run the compute kernels (apps/compute/bare.c, a module with no imports) and to
load and instantiate a module of about 100 KiB that this script generates and compiles.
The compute run is divided by the number of instructions the same module executes in
wabt's tracing interpreter (wasm-interp --trace: one line per step of wabt's own form, which
is the wasm instruction stream without block/loop/end, with br_if as br_unless plus br).

usage: tools/wasm_guest_bench.py [--build build]"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, os.path.join(ROOT, "tools"))
from qemu_harness import ScenarioFailure, Session  # noqa: E402


def big_module_source(n):
    """A WASI command with n distinct functions reached through a table, so none is
    dropped: integer and floating-point work of a few dozen instructions each."""
    out = ["#include <stdio.h>", "#include <stdint.h>", "typedef uint64_t (*fn)(uint64_t);"]
    for i in range(n):
        out.append(f"static uint64_t f{i}(uint64_t x) {{ uint64_t y = x * {2 * i + 3}u + {i};"
                   f" for (int k = 0; k < {i % 7 + 2}; k++) y = (y << {i % 13 + 1}) ^ (y >> 3) ^ k;"
                   f" double d = (double)(y & 0xffff) * {i + 0.5}; return y + (uint64_t)d; }}")
    out.append("static fn const table[] = {" + ", ".join(f"f{i}" for i in range(n)) + "};")
    out.append("int main(int argc, char **argv) { uint64_t s = (uint64_t)argc; "
               "for (unsigned i = 0; i < sizeof table / sizeof table[0]; i++) "
               "if (argv[0][0] == '!') s = table[i](s); printf(\"%llu\\n\", "
               "(unsigned long long)s); return 0; }")
    return "\n".join(out) + "\n"


def make_big_module(tmp, target=100 * 1024):
    n = 400
    for _ in range(8):
        c = os.path.join(tmp, "big.c")
        w = os.path.join(tmp, "big.wasm")
        with open(c, "w") as f:
            f.write(big_module_source(n))
        subprocess.run(["clang-14", "--target=wasm32-wasi", "--sysroot=/usr", "-O1",
                        "-Wl,--strip-all", c, "-o", w], check=True)
        size = os.path.getsize(w)
        if abs(size - target) <= target // 20:
            return w, size
        n = max(1, int(n * target / size))
    return w, size


def boot(build, module, tmp):
    disk = os.path.join(tmp, os.path.basename(module) + ".disk.img")
    tool = os.path.join(ROOT, "tools", "anvaya-store")
    for argv in (["mkfs", disk, "--size", "8M"], ["mkdir", disk, "bench"],
                 ["put", disk, "bench/app.wasm", module]):
        subprocess.run([tool, *argv], check=True, capture_output=True)
    image = os.path.join(build, "components", "wasmbench.img")
    with Session(image, timeout=600, icount=True, devices=[f"blk:{disk}"]) as s:
        s.expect(r"bwrun: app exited with status 0")
        m = s.expect(r"bwrun: instructions: load (\d+) \((\d+) module bytes\), "
                     r"instantiate (\d+), run (\d+)\r?\n")
        return [int(g) for g in m.groups()]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default="build")
    args = ap.parse_args()
    bare = os.path.join(args.build, "apps", "compute-bare.wasm")
    trace = subprocess.Popen(["wasm-interp", "--run-all-exports", "--trace", bare],
                             stdout=subprocess.PIPE)
    steps = sum(1 for line in trace.stdout if line.startswith(b"#"))
    if trace.wait() != 0:
        print("wasm-interp failed on compute-bare.wasm", file=sys.stderr)
        return 1
    try:
        with tempfile.TemporaryDirectory() as tmp:
            load, size, inst, run = boot(args.build, bare, tmp)
            print(f"compute kernels ({size} bytes): {steps} wasm steps (wabt), {run} guest "
                  f"instructions to run: {run / steps:.1f} per wasm instruction")
            print(f"  load (decode, validate, translate) {load}, instantiate {inst}")
            big, bsize = make_big_module(tmp)
            load, size, inst, run = boot(args.build, big, tmp)
            print(f"module of {size} bytes ({size / 1024:.0f} KiB): load (decode, validate, "
                  f"translate) {load} instructions, instantiate {inst}, together {load + inst} "
                  f"({(load + inst) / size:.0f} per module byte); its run {run}")
    except (ScenarioFailure, subprocess.CalledProcessError) as e:
        print(f"wasm guest benchmark failed: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
