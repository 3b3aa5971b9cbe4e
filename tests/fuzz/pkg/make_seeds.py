#!/usr/bin/python3
"""Seeds for fuzz_pkg: two packages (every capability; only the required fields) built and
signed with tools/anvaya-pkg under a fixed key (seed bytes 0x42), and the key's public half
as a C initializer for the harness.

Usage: make_seeds.py TOOL HELPER OUT_DIR
"""
import os
import subprocess
import sys
import tempfile

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

MANIFESTS = {
    'full': 'name = fuzz-seed\nversion = 3.1.4\nkind = wasm\nstorage = apps/seed 4096\n'
            'network = tcp-connect 10.0.2.2:80\nnetwork = tcp-listen 0.0.0.0:7\n'
            'network = udp 0.0.0.0:53\nconsole = yes\nentropy = yes\nclocks = monotonic wall\n',
    'min': 'name = m\nversion = 0.0.1\nkind = wasm\n',
}


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    tool, helper, out = sys.argv[1:]
    sk = Ed25519PrivateKey.from_private_bytes(b'\x42' * 32)
    pub = sk.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    env = dict(os.environ, ANVAYA_PKG_HELPER=helper)
    with tempfile.TemporaryDirectory() as d:
        key = os.path.join(d, 'k.key')
        with open(key, 'wb') as f:
            f.write(sk.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                     serialization.NoEncryption()))
        with open(os.path.join(d, 'k.pub'), 'w') as f:
            f.write(pub.hex() + '\n')
        wasm = os.path.join(d, 'm.wasm')
        with open(wasm, 'wb') as f:
            f.write(b'\0asm\1\0\0\0\1\4\1\x60\0\0')
        for name, text in MANIFESTS.items():
            man = os.path.join(d, name + '.manifest')
            with open(man, 'w') as f:
                f.write(text)
            dst = os.path.join(out, 'seed-%s.pkg' % name)
            for args in (['build', '--manifest', man, '--payload', wasm, '--publisher',
                          os.path.join(d, 'k.pub'), '-o', dst], ['sign', '--key', key, dst]):
                subprocess.run(['/usr/bin/python3', tool] + args, check=True, env=env,
                               stdout=subprocess.DEVNULL)
    with open(os.path.join(out, 'fuzz_pkg_key.inc'), 'w') as f:
        f.write(', '.join('0x%02x' % b for b in pub) + '\n')


if __name__ == '__main__':
    main()
