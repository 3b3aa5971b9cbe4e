#!/usr/bin/env python3
"""Differential fuzzing of lib/wasm against node: binaryen's `wasm-opt --translate-to-fuzz`
turns random bytes into valid MVP modules; wasm_diffrun (lib/wasm) and diff_node.js (V8)
each call every exported function and print calls, logs, results (as bits, NaN as "nan")
and traps; any difference, crash or sanitizer report is a failure. Prints the campaign size.

NaN payloads are nondeterministic in the specification (any arithmetic NaN may come out
of an operation on a non-canonical NaN) and become visible through reinterpretations, so
the modules are instrumented with binaryen's --denan unless --keep-nans is given; the
spec suite checks the NaN rules themselves (nan:canonical, nan:arithmetic).

    wasm_difffuzz.py --runner BUILD/tests/fuzz/wasm/wasm_diffrun [--count N] [--seed S]
                     [--node-script tests/fuzz/wasm/diff_node.js] [--keep DIR]

A small bounded run is the `fuzz-wasm_diff` test; long campaigns: raise --count."""
import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runner", required=True)
    ap.add_argument("--node-script", default=os.path.join(HERE, "..", "tests", "fuzz", "wasm",
                                                          "diff_node.js"))
    ap.add_argument("--count", type=int, default=100)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--bytes", type=int, default=6000)
    ap.add_argument("--keep", default=None, help="directory for mismatching modules")
    ap.add_argument("--keep-nans", action="store_true", help="do not instrument with --denan")
    ap.add_argument("--wasm-opt", default=shutil.which("wasm-opt") or "wasm-opt")
    ap.add_argument("--node", default=shutil.which("node") or "node")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    modules = calls = traps = mismatches = failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.count):
            raw = os.path.join(tmp, "in.dat")
            mod = os.path.join(tmp, "m.wasm")
            with open(raw, "wb") as f:
                f.write(bytes(rng.getrandbits(8) for _ in range(args.bytes)))
            gen = subprocess.run([args.wasm_opt, raw, "-ttf", "--mvp-features"] +
                                 ([] if args.keep_nans else ["--denan"]) + ["-o", mod],
                                 capture_output=True, text=True)
            if gen.returncode != 0:
                print(f"wasm-opt failed on case {i}: {gen.stderr[-500:]}")
                failures += 1
                continue
            ours = subprocess.run([args.runner, mod], capture_output=True, text=True, timeout=60)
            ref = subprocess.run([args.node, "--experimental-wasm-type-reflection",
                                  "--stack-size=4000", args.node_script, mod],
                                 capture_output=True, text=True, timeout=60)
            modules += 1
            bad = None
            if ours.returncode != 0 or ours.stderr.strip():
                bad = f"lib/wasm exit {ours.returncode}: {ours.stderr[-2000:]}"
            elif ref.returncode != 0:
                bad = f"node exit {ref.returncode}: {ref.stderr[-1000:]}"
            elif ours.stdout.split() != ref.stdout.split():
                a, b = ours.stdout.splitlines(), ref.stdout.splitlines()
                k = next((j for j in range(min(len(a), len(b))) if a[j] != b[j]), min(len(a), len(b)))
                bad = (f"outputs differ at line {k + 1}: lib/wasm {a[k] if k < len(a) else '<end>'!r}"
                       f" vs node {b[k] if k < len(b) else '<end>'!r}")
            lines = ours.stdout.splitlines()
            calls += sum(1 for l in lines if l.startswith("call "))
            traps += sum(1 for l in lines if l == "trap")
            if bad:
                mismatches += 1
                print(f"MISMATCH case {i} (seed {args.seed}): {bad}")
                if args.keep:
                    os.makedirs(args.keep, exist_ok=True)
                    shutil.copy(mod, os.path.join(args.keep, f"diff-{args.seed}-{i}.wasm"))
    print(f"campaign: {modules} modules, {calls} exported calls ({traps} traps), "
          f"{mismatches} mismatches, {failures} generator failures (seed {args.seed})")
    return 1 if mismatches or failures or modules == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
