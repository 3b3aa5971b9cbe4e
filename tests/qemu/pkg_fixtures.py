"""Packages made and signed at test time for the package service's QEMU tests and benchmark
(tests/qemu/test_pkg.py, test_pkg_crash.py, tools/pkg_bench.py), with tools/anvaya-pkg.

The two trusted publisher keys are derived from fixed seeds (SHA-512 of a label, first 32
bytes), so that idl/systems/pkgtest.system can name their public keys; the untrusted key
is made fresh by `anvaya-pkg keygen` each run. Nothing here is a real publisher's key."""
import base64
import hashlib
import os
import subprocess

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
PKG_TOOL = os.path.join(ROOT, "tools", "anvaya-pkg")
STORE_TOOL = os.path.join(ROOT, "tools", "anvaya-store")
SEEDS = {1: b"anvaya pkgtest publisher 1", 2: b"anvaya pkgtest publisher 2"}
# The public keys pkgtest.system and pkgcrash.system trust (checked against the seeds).
PUBS = {1: "402016a03dd864efd2cbdb2cd1a165ccecb83666b4889faf89fe4301f97f8bdf",
        2: "3f22cd839923189916d96fac3f2cfe1682f21d4bde4e8001a63c9b95565a1739"}
# PKCS#8 for Ed25519 is this fixed DER prefix and the 32-byte seed (RFC 8410).
PKCS8_PREFIX = bytes.fromhex("302e020100300506032b657004220420")


class FixtureError(Exception):
    pass


def run(*argv):
    r = subprocess.run(list(argv), capture_output=True)
    if r.returncode != 0:
        raise FixtureError(f"{' '.join(argv)}: {r.stdout.decode(errors='replace')}"
                           f"{r.stderr.decode(errors='replace')}")
    return r.stdout


def store(*argv):
    return subprocess.run([STORE_TOOL, *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def write_keys(d):
    """The two fixed publisher keys (PEM and hex) and a fresh untrusted one, in d."""
    keys = {}
    for n, label in SEEDS.items():
        seed = hashlib.sha512(label).digest()[:32]
        der = PKCS8_PREFIX + seed
        pem = (b"-----BEGIN PRIVATE KEY-----\n" + base64.encodebytes(der) +
               b"-----END PRIVATE KEY-----\n")
        key = os.path.join(d, f"pub{n}.key")
        with open(key, "wb") as f:
            f.write(pem)
        os.chmod(key, 0o600)
        pub = os.path.join(d, f"pub{n}.pub")
        with open(pub, "w") as f:
            f.write(PUBS[n] + "\n")
        keys[n] = (key, pub)
    run(PKG_TOOL, "keygen", os.path.join(d, "stranger"))
    keys["stranger"] = (os.path.join(d, "stranger.key"), os.path.join(d, "stranger.pub"))
    return keys


def wasm_payload(size, salt):
    """A WebAssembly module of exactly `size` bytes: the header and one custom section whose
    contents are a pattern of salt."""
    assert size >= 64
    body_len = size - 8 - 1 - 5  # header, section id, 5-byte LEB128 size
    name = b"anvaya-test"
    data_len = body_len - 1 - len(name)
    data = bytes(((i * 131) ^ (i >> 7) ^ salt) & 0xFF for i in range(data_len))
    leb = bytes([(body_len >> (7 * k) & 0x7F) | (0x80 if k < 4 else 0) for k in range(5)])
    mod = b"\0asm\1\0\0\0" + b"\0" + leb + bytes([len(name)]) + name + data
    assert len(mod) == size
    return mod


def make_package(d, keys, signer, publisher, name, version, payload, extra=()):
    """A package signed by signer's key naming publisher's key; returns its bytes."""
    base = os.path.join(d, f"{name}-{version}-{signer}-{len(payload)}-{hashlib.sha1(payload).hexdigest()[:8]}")
    with open(base + ".wasm", "wb") as f:
        f.write(payload)
    with open(base + ".manifest", "w") as f:
        f.write(f"name = {name}\nversion = {version}\nkind = wasm\n")
        for line in extra:
            f.write(line + "\n")
    run(PKG_TOOL, "build", "--manifest", base + ".manifest", "--payload", base + ".wasm",
        "--publisher", keys[publisher][1], "-o", base + ".pkg")
    run(PKG_TOOL, "sign", "--key", keys[signer][0], base + ".pkg")
    with open(base + ".pkg", "rb") as f:
        return f.read()


def fnv1a(data):
    h = 0xcbf29ce484222325
    for b in data:
        h = ((h ^ b) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return h


def manifest_length(pkg):
    return int.from_bytes(pkg[12:16], "little")


def signed_part(pkg):
    """Header and manifest: what the signature covers, and the version record's digest."""
    return pkg[:24 + manifest_length(pkg)]


def payload_of(pkg):
    return pkg[88 + manifest_length(pkg):]


def snapshot(image, top="pkg"):
    """Every file below top in the image: {path: bytes}."""
    r = store("ls", image, top, "-r")
    if r.returncode != 0:
        raise FixtureError(f"anvaya-store ls: {r.stdout!r}")
    files = {}
    for line in r.stdout.decode().splitlines():
        parts = line.split()
        if not parts or parts[0] != "-":
            continue
        path = parts[-1]
        g = store("get", image, path)
        if g.returncode != 0:
            raise FixtureError(f"anvaya-store get {path}: {g.stdout!r}")
        files[path] = g.stdout
    return files
