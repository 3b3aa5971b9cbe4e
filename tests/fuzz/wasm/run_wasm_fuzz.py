#!/usr/bin/env python3
"""Run a lib/wasm libFuzzer harness through the project's run_fuzz.py, seeded with every
module wast2json made from the spec scripts (a directory known only at build time), in a
fixed order and at most --max-seeds of them.

    run_wasm_fuzz.py --run-fuzz RUN_FUZZ.PY --seed-dir DIR [--max-seeds N] -- RUN_FUZZ_ARGS..."""
import argparse
import os
import subprocess
import sys


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--run-fuzz", required=True)
    ap.add_argument("--seed-dir", required=True)
    ap.add_argument("--max-seeds", type=int, default=3000)
    ap.add_argument("rest", nargs=argparse.REMAINDER)
    args = ap.parse_args()
    rest = args.rest[1:] if args.rest[:1] == ["--"] else args.rest
    seeds = sorted(f for f in os.listdir(args.seed_dir) if f.endswith(".wasm"))
    if not seeds:
        print(f"FAIL: no spec modules in {args.seed_dir}")
        return 1
    seeds = [os.path.join(args.seed_dir, f) for f in seeds[: args.max_seeds]]
    return subprocess.call([sys.executable, args.run_fuzz] + rest + seeds)


if __name__ == "__main__":
    sys.exit(main())
