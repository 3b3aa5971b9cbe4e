#!/usr/bin/python3
"""Seeds for fuzz_crypto from the SUPERCOP sign.input lines: op || key || signature ||
message, one file per line, for the first N lines.

Usage: make_seeds.py SIGN_INPUT N OUT_DIR
"""
import os
import sys


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    path, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    with open(path, encoding='ascii') as f:
        for i, line in enumerate(f):
            if i >= n:
                break
            _, pub, msg, sigmsg, _ = line.split(':')
            data = bytes([i % 256]) + bytes.fromhex(pub) + bytes.fromhex(sigmsg[:128]) + bytes.fromhex(msg)
            with open(os.path.join(out, 'seed-%02d' % i), 'wb') as g:
                g.write(data)


if __name__ == '__main__':
    main()
