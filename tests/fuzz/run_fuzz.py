#!/usr/bin/env python3
"""Run one libFuzzer harness for a bounded time as a test: the seed files (the build's
real manifests, images and ELFs) and the kept regression inputs form the starting
corpus, new inputs go to a scratch directory, and any crash, leak, sanitizer report or
timeout fails the test with the input saved next to the build. Prints the run count and
coverage libFuzzer reports.

    run_fuzz.py --fuzzer EXE --regressions DIR [--runs N] [--max-time S] SEED..."""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fuzzer", required=True)
    ap.add_argument("--regressions", required=True)
    ap.add_argument("--runs", type=int, default=200000)
    ap.add_argument("--max-time", type=int, default=15)
    ap.add_argument("--artifacts", default=os.environ.get("MESON_BUILD_ROOT", "."))
    ap.add_argument("seeds", nargs="*")
    args = ap.parse_args()
    name = os.path.basename(args.fuzzer)
    with tempfile.TemporaryDirectory() as tmp:
        seeds = os.path.join(tmp, "seeds")
        work = os.path.join(tmp, "work")
        os.makedirs(seeds)
        os.makedirs(work)
        for i, path in enumerate(args.seeds):
            shutil.copy(path, os.path.join(seeds, f"{i:03d}-{os.path.basename(path)}"))
        regressions = sorted(os.listdir(args.regressions)) if os.path.isdir(args.regressions) else []
        # Every kept crash input first, alone, so a regression names itself.
        for r in regressions:
            path = os.path.join(args.regressions, r)
            res = subprocess.run([args.fuzzer, path], capture_output=True, text=True)
            if res.returncode != 0:
                print(res.stderr[-4000:])
                print(f"FAIL {name}: regression input {r} crashes again")
                return 1
        prefix = os.path.join(os.path.abspath(args.artifacts), f"fuzz-{name}-")
        cmd = [args.fuzzer, f"-runs={args.runs}", f"-max_total_time={args.max_time}", "-seed=1",
               "-timeout=10", "-rss_limit_mb=2048", "-print_final_stats=1",
               f"-artifact_prefix={prefix}", work, seeds]
        if regressions:
            cmd.append(args.regressions)
        res = subprocess.run(cmd, capture_output=True, text=True)
        log = res.stderr
        done = re.findall(r"#(\d+)\s+DONE\s+cov: (\d+) ft: (\d+) corp: (\d+)", log)
        runs = re.search(r"stat::number_of_executed_units: (\d+)", log)
        if res.returncode != 0 or not done:
            print(log[-6000:])
            print(f"FAIL {name}: libFuzzer exit {res.returncode}; the input is saved as {prefix}*")
            return 1
        n, cov, ft, corp = done[-1]
        print(f"ok   {name}: {runs.group(1) if runs else n} runs, cov {cov}, ft {ft}, "
              f"corpus {corp} ({len(args.seeds)} seeds, {len(regressions)} regressions)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
