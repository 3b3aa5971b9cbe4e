#!/usr/bin/python3
"""The default system's disk image and download directory (docs/tour.md).

    demo_disk.py --apps BUILD/apps --out DIR [--module NAME=PATH ...] [--force]

makes, in DIR: publisher.key and publisher.pub, the demo's publisher key (derived from a
fixed seed, so idl/systems/anvaya.system can name it; it is nobody's real key); disk.img, a
16 MiB file store whose staging area holds the signed packages the boot plan installs
(hello, counter 1.1.0 and the older counter 1.0.0, misbehave); and www/, what the host
serves over HTTP: fetch-1.0.0.pkg, signed, notes-1.0.0.pkg, signed and then tampered
with (one payload byte changed), and page.txt, the page the fetch app downloads. Each package's manifest is apps/<app>/package.manifest
with its version set here. An existing disk.img is kept (the system's state lives on it)
unless --force; the packages in www/ are made afresh each time (files of your own there
stay). --module replaces an app's module (a file of your own)."""
import argparse
import base64
import hashlib
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PKG_TOOL = os.path.join(ROOT, "tools", "anvaya-pkg")
STORE_TOOL = os.path.join(ROOT, "tools", "anvaya-store")
SEED_LABEL = b"anvaya demo publisher"
# The key idl/systems/anvaya.system trusts (its key1_pub); checked against the seed below.
DEMO_PUB = "a14e6e54ba8989d3eab0cb6e9ce636d6de28b31d90658e07f0c367d11904572c"
PKCS8_PREFIX = bytes.fromhex("302e020100300506032b657004220420")  # RFC 8410, then the seed
DISK_SIZE = "16M"

# (app, version, where): "disk" staged on the image, "www" served by the host, "tampered"
# served with one payload byte flipped. The boot plan (anvaya.system) names these files.
PACKAGES = [("hello", "1.0.0", "disk"), ("counter", "1.1.0", "disk"),
            ("counter", "1.0.0", "disk"), ("misbehave", "1.0.0", "disk"),
            ("fetch", "1.0.0", "www"), ("notes", "1.0.0", "tampered")]
MODULES = {"notes": "files"}   # the tampered package carries the files app
# The page the fetch app downloads (www/page.txt): a first line to show and 8 KiB in all,
# so the transfer takes several TCP segments.
PAGE = b"A page from the host, fetched over TCP by a WebAssembly app.\n" + \
    b"".join(b"line %04d of the page's filler text, to make it longer than one segment\n" % i
             for i in range(112))


class DiskError(Exception):
    pass


def run(*argv):
    r = subprocess.run(list(argv), capture_output=True)
    if r.returncode != 0:
        raise DiskError(f"{' '.join(argv)}:\n{r.stdout.decode(errors='replace')}"
                        f"{r.stderr.decode(errors='replace')}")
    return r.stdout


def write_key(out):
    """publisher.key (PKCS#8 PEM) and publisher.pub (hex) from the fixed seed."""
    seed = hashlib.sha512(SEED_LABEL).digest()[:32]
    key, pub = os.path.join(out, "publisher.key"), os.path.join(out, "publisher.pub")
    der = PKCS8_PREFIX + seed
    with open(key, "wb") as f:
        f.write(b"-----BEGIN PRIVATE KEY-----\n" + base64.encodebytes(der) +
                b"-----END PRIVATE KEY-----\n")
    os.chmod(key, 0o600)
    with open(pub, "w") as f:
        f.write(DEMO_PUB + "\n")
    return key, pub


def manifest_text(app, version):
    path = os.path.join(ROOT, "apps", app, "package.manifest")
    if app in MODULES:
        path = os.path.join(ROOT, "apps", MODULES[app], "package.manifest")
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    out = []
    for line in lines:
        key = line.split("=", 1)[0].strip()
        if key == "version":
            line = f"version = {version}"
        elif key == "name":
            line = f"name = {app}"
        out.append(line)
    return "\n".join(out) + "\n"


def make_package(tmp, key, pub, app, version, module):
    base = os.path.join(tmp, f"{app}-{version}")
    with open(base + ".manifest", "w", encoding="utf-8") as f:
        f.write(manifest_text(app, version))
    run(PKG_TOOL, "build", "--manifest", base + ".manifest", "--payload", module,
        "--publisher", pub, "-o", base + ".pkg")
    run(PKG_TOOL, "sign", "--key", key, base + ".pkg")
    with open(base + ".pkg", "rb") as f:
        return f.read()


def tamper(pkg):
    """One byte of the payload changed: the signature still verifies, the digest does not."""
    b = bytearray(pkg)
    b[len(b) - 16] ^= 0x01
    return bytes(b)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--apps", required=True, help="the build's apps directory (the .wasm files)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--module", action="append", default=[], metavar="NAME=PATH")
    ap.add_argument("--force", action="store_true", help="make disk.img afresh")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    overrides = dict(m.split("=", 1) for m in a.module)
    key, pub = write_key(a.out)
    disk = os.path.join(a.out, "disk.img")
    www = os.path.join(a.out, "www")
    os.makedirs(www, exist_ok=True)
    make_disk = a.force or not os.path.exists(disk)
    with open(os.path.join(www, "page.txt"), "wb") as f:
        f.write(PAGE)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            staged = []
            for app, version, where in PACKAGES:
                module = overrides.get(app) or os.path.join(a.apps, MODULES.get(app, app) + ".wasm")
                if not os.path.isfile(module):
                    raise DiskError(f"{module}: no such module (build the apps first)")
                pkg = make_package(tmp, key, pub, app, version, module)
                name = f"{app}-{version}.pkg"
                if where == "disk":
                    staged.append((name, pkg))
                    continue
                with open(os.path.join(www, name), "wb") as f:
                    f.write(tamper(pkg) if where == "tampered" else pkg)
            if make_disk:
                new = disk + ".new"
                run(STORE_TOOL, "mkfs", new, "--size", DISK_SIZE)
                for d in ("pkg", "pkg/staging", "apps"):
                    run(STORE_TOOL, "mkdir", new, d)
                for name, pkg in staged:
                    path = os.path.join(tmp, name)
                    with open(path, "wb") as f:
                        f.write(pkg)
                    run(STORE_TOOL, "put", new, f"pkg/staging/{name}", path)
                run(STORE_TOOL, "check", new)
                os.replace(new, disk)
                print(f"demo_disk: made {disk} with {len(staged)} staged packages")
            else:
                print(f"demo_disk: kept {disk} (its state is the system's; --force makes it afresh)")
    except DiskError as e:
        print(f"demo_disk: {e}", file=sys.stderr)
        return 1
    print(f"demo_disk: {www}: {', '.join(sorted(os.listdir(www)))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
