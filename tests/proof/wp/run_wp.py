#!/usr/bin/env python3
"""Run Frama-C's WP on kernel sources and fail unless every proof obligation is proved.

Usage: run_wp.py NAME -- FRAMA-C ARGUMENTS...
Prints the goal counts and every goal that was not proved; exit status 0 only when WP ran,
scheduled at least one goal and proved all of them."""
import re
import shutil
import subprocess
import sys

SUMMARY = re.compile(r"^\[wp\] Proved goals:\s+(\d+)\s*/\s*(\d+)", re.M)
PROVER_LINE = re.compile(r"^  (Qed|Z3|CVC4|Alt-Ergo)\b[^:]*:\s+\d+")
# Frama-C 25 prints each goal's result as "[wp] [<prover>] Goal <name> : <status> ..."; with
# two provers a goal one of them fails may be proved by the other, so a goal counts as not
# proved only when no line says it is valid.
GOAL_RESULT = re.compile(r"^\[wp\] \[[^\]]+\] Goal (\S+) : (\w+)", re.M)


def main():
    if len(sys.argv) < 3 or sys.argv[2] != "--":
        print(__doc__, file=sys.stderr)
        return 2
    name, args = sys.argv[1], sys.argv[3:]
    frama_c = shutil.which("frama-c")
    if frama_c is None:
        print(f"{name}: frama-c not found: install frama-c-base why3 z3 cvc4 "
              "(tools/setup.sh does) and run `why3 config detect`", file=sys.stderr)
        return 1
    proc = subprocess.run([frama_c] + args, capture_output=True, text=True)
    out = proc.stdout + proc.stderr
    summary = SUMMARY.search(out)
    if proc.returncode != 0 or summary is None:
        print(out)
        print(f"{name}: frama-c failed (exit {proc.returncode}) before reporting goals",
              file=sys.stderr)
        return 1
    proved, total = int(summary.group(1)), int(summary.group(2))
    # The summary and the per-prover lines under it say who proved what.
    print(summary.group(0))
    for line in out[summary.end():].splitlines()[1:8]:
        if PROVER_LINE.match(line):
            print(line)
    results = GOAL_RESULT.findall(out)
    valid = {goal for goal, status in results if status == "Valid"}
    unproved = sorted({goal for goal, status in results if status != "Valid"} - valid)
    for goal in unproved:
        print(f"{name}: NOT PROVED: {goal}")
    if total == 0:
        print(f"{name}: WP scheduled no goals: the function list names nothing", file=sys.stderr)
        return 1
    if "Warning: Missing RTE guards" in out:
        print(f"{name}: WP ran without its run-time-error guards", file=sys.stderr)
        return 1
    print(f"{name}: {proved} of {total} goals proved")
    return 0 if proved == total and not unproved else 1


if __name__ == "__main__":
    sys.exit(main())
