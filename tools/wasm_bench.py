#!/usr/bin/env python3
"""lib/wasm benchmark (a measurement, not a test): builds the compute modules in
tests/host/wasm/bench/ with clang-14 --target=wasm32 -mcpu=mvp -nostdlib, runs each in
lib/wasm (BUILD/tests/host/wasm/wasm_bench_run), wasm3 and node, checks that all three
return the same result, and prints wall-clock seconds (best of --repeat runs, one process
per run, so parsing and compiling count too), the ratios to lib/wasm and their geometric
means.

    /usr/bin/python3 tools/wasm_bench.py [--build build] [--wasm3 PATH] [--repeat 3]
    /usr/bin/python3 tools/wasm_bench.py --callgrind     # instructions, lib/wasm vs wasm3

--callgrind counts the instructions each whole process executes under valgrind's callgrind
(slow, but independent of what else the machine is doing); node, a JIT, is left out.

wasm3 is built beside the project and never committed:
    git clone https://github.com/wasm3/wasm3 /tmp/wasm3-src && cd /tmp/wasm3-src &&
    mkdir build && cd build &&
    cmake -DBUILD_WASI=simple -DBUILD_NATIVE=OFF -DCMAKE_BUILD_TYPE=Release .. && make -j2
"""
import argparse
import math
import os
import re
import shutil
import subprocess
import sys
import time

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
SRC = os.path.join(ROOT, "tests", "host", "wasm", "bench")


def best(cmd, repeat):
    """Best wall time of repeat runs and the result the program printed."""
    t_best, result = None, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        p = subprocess.run(cmd, capture_output=True, text=True, check=True)
        out = p.stdout + p.stderr
        t = time.perf_counter() - t0
        m = re.search(r"^(?:result|Result:) (-?\d+)", out, re.M)
        if not m:
            sys.exit(f"wasm_bench: no result from {' '.join(cmd)}: {out[-300:]}")
        result = int(m.group(1)) % (1 << 32)  # wasm3 prints i32 results signed
        t_best = t if t_best is None else min(t_best, t)
    return t_best, result


def instructions(cmd):
    """Instructions the whole process executed (callgrind's Ir) and its result."""
    res = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null"] + cmd,
                         capture_output=True, text=True, check=True)
    m = re.search(r"Collected : (\d+)", res.stderr)
    r = re.search(r"^(?:result|Result:) (-?\d+)", res.stdout + res.stderr, re.M)
    if not m or not r:
        sys.exit(f"wasm_bench: callgrind gave no count for {' '.join(cmd)}")
    return int(m.group(1)), int(r.group(1)) % (1 << 32)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--wasm3", default=os.environ.get("WASM3", "/tmp/wasm3-src/build/wasm3"))
    ap.add_argument("--node", default=shutil.which("node") or "node")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--callgrind", action="store_true")
    args = ap.parse_args()
    ours = os.path.join(args.build, "tests", "host", "wasm", "wasm_bench_run")
    if not os.access(ours, os.X_OK):
        sys.exit(f"wasm_bench: build {ours} first (ninja -C {args.build})")
    if not os.access(args.wasm3, os.X_OK):
        sys.exit(f"wasm_bench: no wasm3 at {args.wasm3} (see this script's docstring)")
    out = os.path.join(args.build, "wasm-bench")
    os.makedirs(out, exist_ok=True)
    if args.callgrind:
        print(f"{'benchmark':<10} {'lib/wasm Ir':>14} {'wasm3 Ir':>14} {'wasm3/ours':>11}")
    else:
        print(f"{'benchmark':<10} {'lib/wasm':>9} {'wasm3':>9} {'node':>9} {'wasm3/ours':>11} {'node/ours':>10}")
    q3, qn = [], []
    for src in sorted(f for f in os.listdir(SRC) if f.endswith(".c") and f != "bench_run.c"):
        name = src[:-2]
        mod = os.path.join(out, name + ".wasm")
        subprocess.run(["clang-14", "--target=wasm32", "-mcpu=mvp", "-nostdlib", "-ffreestanding", "-O2",
                        "-Wl,--no-entry", "-Wl,--export=run", "-o", mod,
                        os.path.join(SRC, src)], check=True)
        if args.callgrind:
            i_o, r_o = instructions([ours, mod])
            i_3, r_3 = instructions([args.wasm3, "--func", "run", mod])
            if r_o != r_3:
                sys.exit(f"wasm_bench: {name}: results differ: lib/wasm {r_o}, wasm3 {r_3}")
            q3.append(i_3 / i_o)
            print(f"{name:<10} {i_o:14d} {i_3:14d} {q3[-1]:11.2f}", flush=True)
            continue
        t_o, r_o = best([ours, mod], args.repeat)
        t_3, r_3 = best([args.wasm3, "--func", "run", mod], args.repeat)
        t_n, r_n = best([args.node, os.path.join(SRC, "bench_node.js"), mod], args.repeat)
        if not r_o == r_3 == r_n:
            sys.exit(f"wasm_bench: {name}: results differ: lib/wasm {r_o}, wasm3 {r_3}, node {r_n}")
        q3.append(t_3 / t_o)
        qn.append(t_n / t_o)
        print(f"{name:<10} {t_o:9.3f} {t_3:9.3f} {t_n:9.3f} {q3[-1]:11.2f} {qn[-1]:10.2f}", flush=True)
    g = lambda q: math.exp(sum(map(math.log, q)) / len(q))
    if args.callgrind:
        print(f"{'geomean':<10} {'':>14} {'':>14} {g(q3):11.2f}")
        print("(instructions of the whole process under callgrind; above 1 means lib/wasm "
              "executes fewer)")
        return
    print(f"{'geomean':<10} {'':>9} {'':>9} {'':>9} {g(q3):11.2f} {g(qn):10.2f}")
    print(f"(seconds: wall clock, best of {args.repeat}, one process per run; "
          "ratios above 1 mean lib/wasm is faster)")


if __name__ == "__main__":
    main()
