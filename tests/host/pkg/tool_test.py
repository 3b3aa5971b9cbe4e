#!/usr/bin/python3
"""tools/anvaya-pkg end to end: keygen, build, sign, inspect, verify, and the refusals a
user meets (tampered payload or manifest, another key, truncation, bad manifest text).

Usage: tool_test.py TOOL HELPER
"""
import os
import subprocess
import sys
import tempfile

FAILS = []


def run(tool, helper, *args):
    env = dict(os.environ, ANVAYA_PKG_HELPER=helper)
    res = subprocess.run(['/usr/bin/python3', tool] + list(args), capture_output=True, text=True,
                         env=env)
    return res.returncode, res.stdout + res.stderr


def check(name, cond, detail=''):
    print('%s %s%s' % ('ok  ' if cond else 'FAIL', name, '' if cond else ': ' + detail))
    if not cond:
        FAILS.append(name)


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    tool, helper = sys.argv[1:]
    with tempfile.TemporaryDirectory() as d:
        def p(n):
            return os.path.join(d, n)

        def t(*args):
            return run(tool, helper, *args)

        with open(p('m.wasm'), 'wb') as f:
            f.write(b'\0asm\1\0\0\0\1\4\1\x60\0\0')
        with open(p('hello.manifest'), 'w') as f:
            f.write('# a test package\nname = hello\nversion = 1.2.3\nkind = wasm\n'
                    'storage = apps/hello 65536\nnetwork = udp 0.0.0.0:53\n'
                    'network = tcp-connect 10.0.2.2:8080\nconsole = yes\nclocks = monotonic\n')
        rc, out = t('keygen', p('dev'))
        check('keygen', rc == 0 and os.path.exists(p('dev.key')) and
              os.stat(p('dev.key')).st_mode & 0o777 == 0o600, out)
        rc, out = t('keygen', p('dev'))
        check('keygen refuses to overwrite', rc == 1 and 'not overwriting' in out, out)
        t('keygen', p('other'))
        rc, out = t('build', '--manifest', p('hello.manifest'), '--payload', p('m.wasm'),
                    '--publisher', p('dev.pub'), '-o', p('h.pkg'))
        check('build', rc == 0, out)
        rc, out = t('verify', '--pub', p('dev.pub'), p('h.pkg'))
        check('unsigned package refused', rc == 1 and 'bad signature' in out, out)
        rc, out = t('sign', '--key', p('other.key'), p('h.pkg'))
        check('sign refuses a key the manifest does not name', rc == 1 and 'names publisher key' in out, out)
        rc, out = t('sign', '--key', p('dev.key'), p('h.pkg'))
        check('sign', rc == 0, out)
        rc, out = t('inspect', p('h.pkg'))
        want = ['name: hello', 'version: 1.2.3', 'payload-kind: wasm', 'payload-length: 14',
                'storage: apps/hello 65536', 'network: tcp-connect 10.0.2.2:8080',
                'network: udp 0.0.0.0:53', 'console: yes', 'clocks: monotonic']
        check('inspect', rc == 0 and all(w in out.splitlines() for w in want)
              and 'entropy' not in out, out)
        rc, out = t('verify', '--pub', p('dev.pub'), p('h.pkg'))
        check('verify', rc == 0 and out.strip() == 'verified: hello 1.2.3', out)
        rc, out = t('verify', '--pub', p('other.pub'), p('h.pkg'))
        check('another key', rc == 1 and 'different publisher key' in out, out)

        data = open(p('h.pkg'), 'rb').read()
        tampered = bytearray(data)
        tampered[-1] ^= 1
        open(p('payload.pkg'), 'wb').write(tampered)
        rc, out = t('verify', '--pub', p('dev.pub'), p('payload.pkg'))
        check('tampered payload', rc == 1 and 'digest mismatch' in out, out)
        tampered = bytearray(data)
        tampered[24 + 3 + 5 + 3 + 8] ^= 1  # the patch version
        open(p('manifest.pkg'), 'wb').write(tampered)
        rc, out = t('verify', '--pub', p('dev.pub'), p('manifest.pkg'))
        check('tampered manifest', rc == 1 and 'bad signature' in out, out)
        open(p('short.pkg'), 'wb').write(data[:-1])
        rc, out = t('verify', '--pub', p('dev.pub'), p('short.pkg'))
        check('truncated', rc == 1 and 'truncated' in out, out)
        open(p('long.pkg'), 'wb').write(data + b'\0')
        rc, out = t('inspect', p('long.pkg'))
        check('oversized', rc == 1 and 'oversized' in out, out)

        for text, msg in (('name = hello\nversion = 1.2\nkind = wasm\n', 'MAJOR.MINOR.PATCH'),
                          ('name = hello\nversion = 1.2.3\nkind = wasm\ncolour = red\n', "unknown key 'colour'"),
                          ('version = 1.2.3\nkind = wasm\n', 'name is required'),
                          ('name = Hello\nversion = 1.2.3\nkind = wasm\n', 'would be refused: refused: manifest: name'),
                          ('name = a\nversion = 1.2.3\nkind = wasm\nstorage = ../x 10\n', 'storage path'),
                          ('name = a\nversion = 1.2.3\nkind = wasm\nnetwork = tcp-listen 1.2.3.4:80\n', 'network entry')):
            with open(p('bad.manifest'), 'w') as f:
                f.write(text)
            rc, out = t('build', '--manifest', p('bad.manifest'), '--payload', p('m.wasm'),
                        '--publisher', p('dev.pub'), '-o', p('bad.pkg'))
            check('build refuses: %s' % msg, rc == 1 and msg in out and not os.path.exists(p('bad.pkg')), out)
    print('tool: %d checks failed' % len(FAILS))
    sys.exit(1 if FAILS else 0)


if __name__ == '__main__':
    main()
