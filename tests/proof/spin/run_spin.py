#!/usr/bin/env python3
"""Run one spin model exhaustively: generate the verifier (spin -a), compile it, run it.

A model must come out with no error on a complete search; a mutant (--define MUTANT_x,
--expect-violation) must be caught, or the check has no teeth. Prints the states explored
and, for a mutant, the violation spin found and the trail's last steps."""
import argparse
import pathlib
import re
import shutil
import subprocess
import sys


def run(cmd, cwd, timeout):
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument('--spin', required=True)
    ap.add_argument('--cc', required=True)
    ap.add_argument('--model', required=True)
    ap.add_argument('--workdir', required=True)
    ap.add_argument('--define', action='append', default=[],
                    help='NAME or NAME=VALUE for the model preprocessor')
    ap.add_argument('--expect-violation', action='store_true')
    ap.add_argument('--depth', default='200000', help='pan -m: the DFS depth bound')
    args = ap.parse_args()

    model = pathlib.Path(args.model).resolve()
    work = pathlib.Path(args.workdir)
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    defs = ['-D' + d for d in args.define]

    gen = run([args.spin] + defs + ['-a', str(model)], work, 60)
    if gen.returncode != 0 or not (work / 'pan.c').exists():
        print(gen.stdout + gen.stderr)
        print('FAIL: spin could not generate the verifier')
        return 1
    # SAFETY: assertions and invalid end states (the models' properties), no cycle search.
    # -O0: the verifier compiles in a second and still runs a million states in two.
    comp = run([args.cc, '-O0', '-w', '-DSAFETY', '-o', 'pan', 'pan.c'], work, 300)
    if comp.returncode != 0:
        print(comp.stdout + comp.stderr)
        print('FAIL: the verifier does not compile')
        return 1
    pan = run(['./pan', '-m' + args.depth], work, 600)
    out = pan.stdout + pan.stderr
    m_err = re.search(r'errors: (\d+)', out)
    m_states = re.search(r'(\d+) states, stored', out)
    if not m_err or not m_states:
        print(out)
        print('FAIL: no verdict in the verifier output')
        return 1
    errors = int(m_err.group(1))
    states = int(m_states.group(1))
    label = model.name + (' ' + ' '.join(args.define) if args.define else '')
    print('%s: %d states stored, %d errors' % (label, states, errors))

    if args.expect_violation:
        violation = re.search(r'pan:1: (.*)', out)
        if errors == 0 or not violation:
            print(out)
            print('FAIL: the mutant was not caught: the check has no teeth')
            return 1
        print('caught as expected: ' + violation.group(1))
        trail = run([args.spin] + defs + ['-t', '-p', '-k', str(work / (model.name + '.trail')),
                                            str(model)], work, 60)
        steps = [l for l in trail.stdout.splitlines() if re.match(r'\s*\d+:\s+proc.*\[', l)]
        print('last steps of the counterexample (%d steps):' % len(steps))
        for line in steps[-8:]:
            print('  ' + line.strip())
        return 0

    if errors != 0:
        print(out)
        trail = run([args.spin] + defs + ['-t', '-p', '-k', str(work / (model.name + '.trail')),
                                            str(model)], work, 60)
        print(trail.stdout[-6000:])
        print('FAIL: the model has a violation')
        return 1
    if 'Search not completed' in out or 'max search depth too small' in out:
        print(out)
        print('FAIL: the search was cut short (raise --depth)')
        return 1
    print('PASS: complete search, no violation')
    return 0


if __name__ == '__main__':
    sys.exit(main())
