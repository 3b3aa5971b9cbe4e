#!/usr/bin/python3
"""Wycheproof's Ed25519 verification cases against lib/crypto: every "valid" case must verify
and every "invalid" one be refused. Prints the counts and the refusal reasons.

Usage: wycheproof.py VERIFY_LINES_BINARY WYCHEPROOF_JSON
"""
import collections
import json
import subprocess
import sys


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    binary, path = sys.argv[1:]
    with open(path, encoding='utf-8') as f:
        doc = json.load(f)
    cases = []
    for group in doc['testGroups']:
        pub = group['publicKey']['pk']
        for t in group['tests']:
            cases.append((t, 'verify %s %s %s' % (pub, t['msg'] or '-', t['sig'] or '-')))
    if len(cases) != doc['numberOfTests']:
        sys.exit('expected %d cases, found %d' % (doc['numberOfTests'], len(cases)))
    out = subprocess.run([binary], input=''.join(c[1] + '\n' for c in cases), text=True,
                         capture_output=True, check=True).stdout.split()
    if len(out) != len(cases):
        sys.exit('binary answered %d of %d lines' % (len(out), len(cases)))
    counts = collections.Counter()
    bad = 0
    for (t, _), got in zip(cases, out):
        ok = got == 'OK'
        want = t['result'] == 'valid'
        counts[(t['result'], got)] += 1
        if ok != want:
            bad += 1
            print('MISMATCH tcId %d (%s, %s): %s' % (t['tcId'], t['result'],
                                                     ','.join(t['flags']), got))
    for (res, got), n in sorted(counts.items()):
        print('%-8s -> %-15s %4d' % (res, got, n))
    print('wycheproof: %d cases, %d valid verified, %d invalid refused, %d mismatches' % (
        len(cases), sum(n for (r, g), n in counts.items() if r == 'valid' and g == 'OK'),
        sum(n for (r, g), n in counts.items() if r == 'invalid' and g != 'OK'), bad))
    sys.exit(1 if bad else 0)


if __name__ == '__main__':
    main()
