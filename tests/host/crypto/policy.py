#!/usr/bin/python3
"""The Ed25519 verification policy of docs/crypto.md, case by case: crafts the edge-case
inputs (S + L, y >= p encodings, the eight small-order points as key and as R, mixed-order
keys and R, points off the curve, negative zero, the cofactored-only signatures) with an
independent big-integer model of the curve written here, runs them through lib/crypto, and
checks every result code. OpenSSL's answer (through python3-cryptography) is printed beside
ours, and everything we accept must be accepted by OpenSSL too.

Usage: policy.py VERIFY_LINES_BINARY
"""
import hashlib
import subprocess
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

P = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493
D = -121665 * pow(121666, P - 2, P) % P
SQRTM1 = pow(2, (P - 1) // 4, P)
IDENTITY = (0, 1)


def inv(x):
    return pow(x, P - 2, P)


def add(p, q):
    (x1, y1), (x2, y2) = p, q
    t = D * x1 * x2 * y1 * y2 % P
    return ((x1 * y2 + y1 * x2) * inv(1 + t) % P, (y1 * y2 + x1 * x2) * inv(1 - t) % P)


def neg(p):
    return (-p[0] % P, p[1])


def mul(k, p):
    r = IDENTITY
    while k:
        if k & 1:
            r = add(r, p)
        p = add(p, p)
        k >>= 1
    return r


def x_for(y, sign):
    """The x of the point with this y and sign, or None (RFC 8032 5.1.3 with y < p)."""
    xx = (y * y - 1) * inv(D * y * y + 1) % P
    x = pow(xx, (P + 3) // 8, P)
    if (x * x - xx) % P:
        x = x * SQRTM1 % P
    if (x * x - xx) % P:
        return None
    if x == 0 and sign:
        return None
    if x & 1 != sign:
        x = P - x
    return x


def enc_raw(y, sign):
    """32 bytes for any y below 2^255, canonical or not."""
    assert 0 <= y < 2**255
    return (y | sign << 255).to_bytes(32, 'little')


def enc(p):
    return enc_raw(p[1], p[0] & 1)


BASE = (x_for(4 * inv(5) % P, 0), 4 * inv(5) % P)


def h_int(*parts):
    return int.from_bytes(hashlib.sha512(b''.join(parts)).digest(), 'little')


def order(p):
    for n in (1, 2, 4, 8):
        if mul(n, p) == IDENTITY:
            return n
    return None


def torsion8():
    """A point of order 8: [L] of points with small y until one lands on order 8."""
    for y in range(2, 1000):
        x = x_for(y, 0)
        if x is None:
            continue
        t = mul(L, (x, y))
        if order(t) == 8:
            return t
    raise RuntimeError('no point of order 8 found')


T8 = torsion8()
SMALL = [mul(i, T8) for i in range(8)]


def secret(seed_byte):
    a = 0x4000000000000000000000000000000000000000000000000000000000000000 + seed_byte * 8 + 977
    return a % L


def sign_with(a_point_enc, a, msg, r, r_point=None):
    """R = [r]B (or r_point), k = H(R || A || M), S = r + k a: the textbook signature."""
    rp = r_point if r_point is not None else mul(r, BASE)
    r_enc = enc(rp) if isinstance(rp, tuple) else rp
    k = h_int(r_enc, a_point_enc, msg) % L
    return r_enc, k, (r + k * a) % L


def openssl_accepts(pub, msg, sig):
    try:
        key = Ed25519PublicKey.from_public_bytes(pub)
    except ValueError:
        return False
    try:
        key.verify(sig, msg)
        return True
    except InvalidSignature:
        return False


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    cases = []  # (name, kind, pub, msg, sig, expected)

    def verify(name, pub, msg, sig, expected):
        assert len(pub) == 32 and len(sig) == 64, name
        cases.append((name, 'verify', pub, msg, sig, expected))

    def validate(name, pub, expected):
        cases.append((name, 'validate', pub, b'', b'', expected))
        cases.append((name.replace('validate', 'prepare'), 'prepare', pub, b'', b'', expected))

    a = secret(1)
    A = mul(a, BASE)
    a_enc = enc(A)
    msg = b'anvaya policy'
    r_enc, k, s = sign_with(a_enc, a, msg, 12345)
    sig = r_enc + s.to_bytes(32, 'little')
    verify('valid signature', a_enc, msg, sig, 'OK')
    validate('validate: valid key', a_enc, 'OK')

    # S not below L
    verify('S + L', a_enc, msg, r_enc + (s + L).to_bytes(32, 'little'), 'S_NONCANONICAL')
    verify('S = L', a_enc, msg, r_enc + L.to_bytes(32, 'little'), 'S_NONCANONICAL')
    verify('S = 2^256 - 1', a_enc, msg, r_enc + b'\xff' * 32, 'S_NONCANONICAL')
    verify('S = L - 1 (canonical, wrong)', a_enc, msg, r_enc + (L - 1).to_bytes(32, 'little'),
           'EQUATION')

    # Public keys with y >= p: y = p + y0 for y0 = 0..18, both signs.
    for y0 in range(19):
        for sign in (0, 1):
            verify('A: y = p + %d, sign %d' % (y0, sign), enc_raw(P + y0, sign), msg, sig,
                   'A_NONCANONICAL')
    # y = p + 1 is the identity written the long way; with R = [S]B the cofactorless equation
    # holds whatever k is, so only the encoding check stops it.
    s_any = 987654321
    forged = enc(mul(s_any, BASE)) + s_any.to_bytes(32, 'little')
    verify('A: identity as y = p + 1, R = [S]B', enc_raw(P + 1, 0), msg, forged, 'A_NONCANONICAL')
    verify('A: identity, R = [S]B', enc(IDENTITY), msg, forged, 'A_SMALL_ORDER')
    # Negative zero: x = 0 with the sign bit set, for (0, 1) and (0, -1).
    verify('A: (0, 1) with sign bit', enc_raw(1, 1), msg, forged, 'A_NONCANONICAL')
    verify('A: (0, -1) with sign bit', enc_raw(P - 1, 1), msg, sig, 'A_NONCANONICAL')
    # Not on the curve.
    off = [y for y in range(2, 200) if x_for(y, 0) is None][:3]
    for y in off:
        verify('A: y = %d, no such point' % y, enc_raw(y, 0), msg, sig, 'A_NOT_ON_CURVE')
        validate('validate A: y = %d, no such point' % y, enc_raw(y, 0), 'A_NOT_ON_CURVE')

    # The eight small-order points as the key, each with a signature the cofactorless equation
    # accepts: R = [r]B, S = r, and a message for which [k]A is the identity.
    for i, t in enumerate(SMALL):
        t_enc = enc(t)
        n = order(t)
        for j in range(200):
            m = b'small order key %d/%d' % (i, j)
            rr = 1000 + j
            r_enc2, k2, _ = sign_with(t_enc, 0, m, rr)
            if k2 % n == 0:
                break
        else:
            raise RuntimeError('no message found')
        verify('A: small order %d (order %d), equation holds' % (i, n), t_enc, m,
               r_enc2 + rr.to_bytes(32, 'little'), 'A_SMALL_ORDER')
        validate('validate A: small order %d' % i, t_enc, 'A_SMALL_ORDER')

    # A mixed-order key A + T8: verification accepts when the cofactorless equation holds
    # (k = 0 mod 8), refuses when only the cofactored one does; validation refuses the key.
    am = add(A, T8)
    am_enc = enc(am)
    validate('validate A: mixed order A + T8', am_enc, 'A_TORSION')
    found = {}
    for j in range(400):
        m = b'mixed key %d' % j
        r_enc2, k2, s2 = sign_with(am_enc, a, m, 5000 + j)
        key = 'zero' if k2 % 8 == 0 else 'nonzero'
        if key not in found:
            found[key] = (m, r_enc2 + s2.to_bytes(32, 'little'))
        if len(found) == 2:
            break
    verify('A: mixed order, k = 0 mod 8 (cofactorless holds)', am_enc, found['zero'][0],
           found['zero'][1], 'OK')
    verify('A: mixed order, k != 0 mod 8 (only cofactored holds)', am_enc,
           found['nonzero'][0], found['nonzero'][1], 'EQUATION')

    # R with y >= p: the identity as y = p + 1 with S = k a, so that [S]B - [k]A = R in value.
    for y0, sign in ((1, 0), (0, 0), (0, 1), (5, 0)):
        r_raw = enc_raw(P + y0, sign)
        _, k3, s3 = sign_with(a_enc, a, msg, 0, r_point=r_raw)
        verify('R: y = p + %d, sign %d' % (y0, sign), a_enc, msg,
               r_raw + ((k3 * a) % L).to_bytes(32, 'little'), 'R_NONCANONICAL')
    for y0, name in ((1, '(0, 1)'), (P - 1, '(0, -1)')):
        r_raw = enc_raw(y0, 1)
        _, k3, _ = sign_with(a_enc, a, msg, 0, r_point=r_raw)
        verify('R: %s with sign bit' % name, a_enc, msg,
               r_raw + ((k3 * a) % L).to_bytes(32, 'little'), 'R_NONCANONICAL')
    for y in off:
        verify('R: y = %d, no such point' % y, a_enc, msg, enc_raw(y, 0) + sig[32:],
               'R_NOT_ON_CURVE')

    # The eight small-order points as R, with S = k a: [S]B - [k]A is the identity, so the
    # cofactorless equation holds for R = (0, 1) and the cofactored one for all eight.
    for i, t in enumerate(SMALL):
        t_enc = enc(t)
        _, k4, _ = sign_with(a_enc, a, msg, 0, r_point=t_enc)
        verify('R: small order %d (order %d), S = k a' % (i, order(t)), a_enc, msg,
               t_enc + ((k4 * a) % L).to_bytes(32, 'little'), 'R_SMALL_ORDER')

    # A mixed-order R = [r]B + T8 with S = r + k a: only the cofactored equation holds.
    rm = add(mul(777, BASE), T8)
    r_enc5, k5, s5 = sign_with(a_enc, a, msg, 777, r_point=rm)
    verify('R: mixed order [r]B + T8 (only cofactored holds)', a_enc, msg,
           r_enc5 + s5.to_bytes(32, 'little'), 'EQUATION')

    # Which check speaks first when several would refuse.
    verify('order: S >= L and A off the curve', enc_raw(off[0], 0), msg,
           r_enc + (s + L).to_bytes(32, 'little'), 'S_NONCANONICAL')
    verify('order: A non-canonical and R off the curve', enc_raw(P + 1, 0), msg,
           enc_raw(off[0], 0) + sig[32:], 'A_NONCANONICAL')
    verify('order: R small order and wrong S', a_enc, msg, enc(SMALL[3]) + sig[32:],
           'R_SMALL_ORDER')
    verify('wrong message', a_enc, msg + b'!', sig, 'EQUATION')

    lines = []
    for name, kind, pub, m, sg, _ in cases:
        if kind == 'verify':
            lines.append('verify %s %s %s' % (pub.hex(), m.hex() or '-', sg.hex()))
        else:
            lines.append('%s %s' % (kind, pub.hex()))
    out = subprocess.run([sys.argv[1]], input='\n'.join(lines) + '\n', text=True,
                         capture_output=True, check=True).stdout.split()
    if len(out) != len(cases):
        sys.exit('binary answered %d of %d lines' % (len(out), len(cases)))
    bad = 0
    stricter = 0
    print('%-58s %-16s %s' % ('case', 'ours', 'OpenSSL'))
    for (name, kind, pub, m, sg, want), got in zip(cases, out):
        theirs = openssl_accepts(pub, m, sg) if kind == 'verify' else None
        mark = ''
        if got != want:
            bad += 1
            mark = '  <-- expected %s' % want
        if kind == 'verify' and got == 'OK' and not theirs:
            bad += 1
            mark += '  <-- we accept what OpenSSL refuses'
        if kind == 'verify' and got != 'OK' and theirs:
            stricter += 1
        print('%-58s %-16s %s%s' % (name, got, {None: '-', True: 'accepts', False: 'refuses'}[theirs], mark))
    print('policy: %d cases, %d as documented, %d refused here but accepted by OpenSSL, '
          '%d wrong' % (len(cases), len(cases) - bad, stricter, bad))
    sys.exit(1 if bad else 0)


if __name__ == '__main__':
    main()
