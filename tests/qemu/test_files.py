#!/usr/bin/env python3
"""The storage stack whole (idl/systems/fstest.system): the virtio-blk driver, the block
service and the file store (lib/store, the same C as tools/anvaya-store) with two clients
each confined to its subtree, on a disk image tools/anvaya-store made here with a
preloaded file. Checked in the guest (every operation's result, quotas, confinement) and
on the host afterwards (anvaya-store check is clean, the files hold exactly what the
guest wrote, the peer's subtree holds only its file); a second boot finds the boot
counter the first one left."""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools"))
from qemu_harness import run_scenario  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
QUOTA_BYTES, DOTDOT, ABSOLUTE, NOENT, NOTEMPTY, END = 613, 619, 618, 607, 611, 627


def tool(*argv):
    r = subprocess.run([os.path.join(ROOT, "tools", "anvaya-store"), *argv],
                       capture_output=True, text=False)
    return r.returncode, r.stdout


def pattern(n, salt):
    return bytes(((i * 31) ^ (i >> 8) ^ salt) & 0xFF for i in range(n))


def boot(args, image, n):
    s = args.session(devices=[f"blk:{image}"])
    s.start()
    s.expect(r"fstore: mounted 8192 sectors \(generation of the roots synced: success\)")
    s.expect(r"fstester: preloaded hello.txt: 0, 19 bytes: hello from the host")
    s.expect(rf"fstester: boot {n} \(write 0, sync 0\)")
    again = 0 if n == 1 else 608  # the second boot finds docs and docs/final there
    s.expect(rf"fstester: mkdir {again} create {again}/0 write 0/0 "
             rf"rename over 0 stat 0 size 20000 read 0 \(20000 bytes, 0 differ\), old name {NOENT}")
    s.expect(rf"fstester: create 0 truncate 0 stat 0 \(5000 bytes\) unlink 0 then {NOENT}; rmdir of "
             rf"a full directory {NOTEMPTY}")
    s.expect(rf"fstester: docs holds final \(1 entries, then {END}\); sync 0")
    s.expect(r"fstester: peer done: yes")
    s.expect_exit(0)
    peer_create = 0 if n == 1 else 608
    s.check(f"fspeer: create {peer_create} write 0 over-quota {QUOTA_BYTES} stat 0 size 4000 "
            f"sync 0; root: secret (1); ../ {DOTDOT} absolute {ABSOLUTE}" in s.log,
            "the peer: its quota refuses the overflow, it sees only its own file, cannot climb out")
    s.close()


def check_image(args, image, n, s_fail):
    rc, out = tool("check", image)
    if rc != 0:
        s_fail(f"anvaya-store check: {out.decode(errors='replace')}")
    rc, final = tool("get", image, "apps/tester/docs/final")
    if rc != 0 or final != pattern(20000, n):
        s_fail(f"apps/tester/docs/final as the guest wrote it ({rc}, {len(final)} bytes)")
    rc, boots = tool("get", image, "apps/tester/boots")
    if rc != 0 or boots != n.to_bytes(4, "little"):
        s_fail(f"the boot counter is {boots!r}")
    rc, secret = tool("get", image, "apps/peer/secret")
    if rc != 0 or secret != pattern(4000, 0x5B):
        s_fail("apps/peer/secret as the peer wrote it, nothing of the refused write")
    rc, listing = tool("ls", image, "apps/peer")
    names = [line.split()[-1] for line in listing.decode().splitlines() if line.strip()]
    if rc != 0 or names != ["apps/peer/secret"]:
        s_fail(f"the peer's subtree holds only its file ({names})")


def scenario(args):
    def fail(msg):
        print(f"FAIL: {msg}")
        raise SystemExit(1)

    with tempfile.TemporaryDirectory() as tmp:
        tree = os.path.join(tmp, "tree", "apps", "tester")
        os.makedirs(tree)
        with open(os.path.join(tree, "hello.txt"), "w") as f:
            f.write("hello from the host")
        image = os.path.join(tmp, "disk.img")
        rc, out = tool("mkfs", image, "--size", "4M", "--from", os.path.join(tmp, "tree"))
        if rc != 0:
            fail(f"mkfs: {out!r}")
        boot(args, image, 1)
        check_image(args, image, 1, fail)
        boot(args, image, 2)
        check_image(args, image, 2, fail)


if __name__ == "__main__":
    sys.exit(run_scenario(scenario))
