#!/usr/bin/env python3
"""Storage figures: boot idl/systems/storebench.system under -icount shift=0 on a fresh
8 MiB disk (the store made by tools/anvaya-store on its first half) and print the
instructions per operation through the file store and through the raw driver, as the
guest counts them (rdinstret: every process and the kernel). A benchmark, not a test."""
import argparse
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))
from qemu_harness import ScenarioFailure, Session  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default="build")
    args = ap.parse_args()
    image = os.path.join(args.build, "components", "storebench.img")
    with tempfile.TemporaryDirectory() as tmp:
        disk = os.path.join(tmp, "disk.img")
        subprocess.run([os.path.join(ROOT, "tools", "anvaya-store"), "mkfs", disk, "--size", "4M"],
                       check=True, capture_output=True)
        with open(disk, "r+b") as f:
            f.truncate(8 * 1024 * 1024)  # the raw partition: the second half
        try:
            # Under -icount the guest's counter also runs while it idles, at one per
            # nanosecond of virtual time, which follows the host's clock then: a flush
            # that the host turns into an fsync would count its milliseconds. cache=unsafe
            # makes the host complete every request from its page cache, so what is
            # counted is the guest's own work (the flushes still reach the device).
            drive = ["-drive", f"if=none,id=disk0,format=raw,file={disk},cache=unsafe",
                     "-device", "virtio-blk-device,drive=disk0"]
            with Session(image, timeout=300, icount=True, drives=[drive]) as s:
                m = s.expect(r"storebench: done \(errors (-?\d+)\)")
                if m.group(1) != "0":
                    print("storage benchmark: an operation failed", file=sys.stderr)
                    return 1
                s.expect_exit(0)
                for line in re.findall(r"^storebench: (?!done).*$", s.log, re.M):
                    print(line[len("storebench: "):])
        except ScenarioFailure as e:
            print(f"storage benchmark failed: {e}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
