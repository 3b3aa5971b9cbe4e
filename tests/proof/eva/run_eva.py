#!/usr/bin/env python3
"""Run Frama-C Eva on one boot-time decoder through its analysis driver and compare the
alarms with the triaged set (triage.txt).

Fails when Eva reports an alarm that is not triaged, any property it proves invalid, or
an analysis that did not run to the end of the driver. Triaged alarms that no longer
appear are listed so the triage file can shrink. An alarm is keyed by decoder, file,
function, kind and the property text, not by line, so unrelated edits do not untriage it."""
import argparse
import csv
import pathlib
import re
import subprocess
import sys


def load_triage(path, decoder):
    entries = {}
    for n, line in enumerate(pathlib.Path(path).read_text().splitlines(), 1):
        if not line.strip() or line.startswith('#'):
            continue
        fields = line.split('\t')
        if len(fields) != 6 or not fields[5].strip():
            sys.exit('%s:%d: want 6 tab-separated fields (decoder, file, function, kind, '
                     'property, verdict)' % (path, n))
        if fields[0] == decoder:
            entries[tuple(fields[1:5])] = fields[5]
    return entries


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument('--frama-c', required=True)
    ap.add_argument('--decoder', required=True, help='name used in triage.txt')
    ap.add_argument('--triage', required=True)
    ap.add_argument('--include', action='append', default=[])
    ap.add_argument('--workdir', required=True)
    ap.add_argument('--precision', default='1', help='-eva-precision (0..11)')
    ap.add_argument('--eva-opt', action='append', default=[],
                    help='one extra Eva option (repeatable)')
    ap.add_argument('sources', nargs='+', help='the decoder sources, then the driver')
    args = ap.parse_args()

    work = pathlib.Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    report = work / (args.decoder + '-alarms.csv')
    log = work / (args.decoder + '-eva.log')
    if report.exists():
        report.unlink()
    cpp = ' '.join('-I' + i for i in args.include)
    # The kernel is rv64 lp64: the x86_64 machdep has the same type sizes (LP64).
    cmd = [args.frama_c, '-c11', '-machdep', 'x86_64', '-cpp-extra-args=' + cpp] + args.sources + \
          ['-eva', '-eva-precision', args.precision] + args.eva_opt + \
          ['-then', '-report-csv', str(report), '-report-no-proven']
    proc = subprocess.run(cmd, capture_output=True, text=True)
    out = proc.stdout + proc.stderr
    log.write_text(out)
    if proc.returncode != 0 or not report.exists():
        print(out[-4000:])
        print('FAIL: frama-c exited with %d' % proc.returncode)
        return 1
    if 'NON TERMINATING FUNCTION' in out or re.search(r'main.*: NON TERMINATING', out):
        print(out[-4000:])
        print('FAIL: Eva found no path through the driver: the analysis proves nothing')
        return 1
    cov = re.search(r'(\d+) statements reached \(out of (\d+)\)', out)
    coverage = '%s of %s statements reached' % cov.groups() if cov else 'coverage unknown'

    triage = load_triage(args.triage, args.decoder)
    alarms = []
    with open(report, newline='') as f:
        for row in csv.DictReader(f, delimiter='\t'):
            status = row['status']
            if status in ('Valid', 'Considered valid', 'Extern') or row['property kind'] in (
                    'precondition of', 'assigns', 'from'):
                continue
            if status == 'Invalid' or status.startswith('Invalid'):
                print('FAIL: Eva proves an error: %s:%s %s %s' % (
                    row['file'], row['line'], row['function'], row['property']))
                return 1
            alarms.append(row)

    untriaged = []
    seen = set()
    for a in alarms:
        key = (a['file'], a['function'], a['property kind'], a['property'])
        seen.add(key)
        if key not in triage:
            untriaged.append(a)
    print('%s: %s; %d alarms (%d triaged as false, %d untriaged)' % (
        args.decoder, coverage, len(alarms), len(alarms) - len(untriaged), len(untriaged)))
    for a in alarms:
        key = (a['file'], a['function'], a['property kind'], a['property'])
        mark = 'triaged' if key in triage else 'NEW'
        print('  %-7s %s:%s %s [%s] %s' % (mark, a['file'], a['line'], a['function'],
                                          a['property kind'], a['property']))
    for key in sorted(set(triage) - seen):
        print('  gone    %s %s [%s] %s (remove it from triage.txt)' % key)
    if untriaged:
        print('FAIL: %d alarm(s) not in %s: a real bug to fix, or a false alarm to explain'
              % (len(untriaged), args.triage))
        return 1
    print('PASS')
    return 0


if __name__ == '__main__':
    sys.exit(main())
