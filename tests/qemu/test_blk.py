#!/usr/bin/env python3
"""Storage below the file store (idl/systems/blktest.system): the virtio-blk driver, the
block service and two clients with a partition each, on a disk image this test writes
with a known pattern and reads back afterwards.
- the tester reads 64 KiB (eight device requests in flight at once) and every byte is
  the image's; it writes 16 sectors, flushes and reads them back; everything outside its
  partition or its buffer is refused with RANGE before the driver hears of it;
- the peer writes its four sectors and cannot reach past its partition;
- after the run the image holds both clients' writes at their partitions' absolute
  offsets and every other byte as it was; a second boot finds the tester's marker;
- on a read-only disk the write is refused with READ_ONLY and the image is unchanged;
- on the legacy transport the same run gives the same image."""
import os
import re
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools"))
from qemu_harness import run_scenario  # noqa: E402

SECTOR = 512
SECTORS = 8192
TESTER_FIRST, PEER_FIRST, PART = 64, 2048, 1024
TESTER_MARK, PEER_MARK = 0xA5, 0x5B
RANGE, READ_ONLY = 402, 403


def pattern(offset):
    return ((offset * 7) ^ (offset >> 9) ^ 0x3C) & 0xFF


def marker(who, i):
    return (who ^ (i * 13)) & 0xFF


def make_image(path):
    with open(path, "wb") as f:
        f.write(bytes(pattern(o) for o in range(SECTORS * SECTOR)))


def expected_image(tester=True, peer=True):
    img = bytearray(pattern(o) for o in range(SECTORS * SECTOR))
    if tester:
        base = (TESTER_FIRST + 10) * SECTOR
        for i in range(16 * SECTOR):
            img[base + i] = marker(TESTER_MARK, i)
    if peer:
        base = PEER_FIRST * SECTOR
        for i in range(4 * SECTOR):
            img[base + i] = marker(PEER_MARK, i)
    return bytes(img)


def first_difference(a, b):
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return f"byte {i} (sector {i // SECTOR}): {x:#04x}, want {y:#04x}"
    return "lengths differ" if len(a) != len(b) else "none"


def boot(args, image, ro=False, legacy=False, earlier=False):
    s = args.session(devices=[f"blk:{image}" + (":ro" if ro else "")], legacy_virtio=legacy)
    s.start()
    m = s.expect(r"virtio-blk: device in slot \d+ \((\w+)\), 8192 sectors, block 512, seg_max \d+, "
                 r"size_max \d+(, read-only)?(, flush)?, queue of 32\r?\n")
    s.check(m.group(1) == ("legacy" if legacy else "modern"), f"the {m.group(1)} transport")
    s.check(bool(m.group(2)) == ro, "the read-only feature as the disk is")
    s.expect(r"blocks: disk of 8192 sectors" + (r" \(read-only\)" if ro else "") +
             r"; partitions 1:\[2048,\+1024\) 2:\[64,\+1024\)")
    s.expect(rf"blktester: info 0: {PART} sectors, block 512, max 128, read-only {int(ro)}, flush")
    s.expect(r"blktester: read 128 sectors at 100: 0, 0 bytes differ from the image")
    s.expect(r"blktester: sector 10 before writing: 0, " +
             ("holds the marker" if earlier else "as the image was made"))
    if ro:
        s.expect(rf"blktester: write 16 at 10: {READ_ONLY}, flush 0, read back 0, "
                 + (r"0 bytes differ" if earlier else r"\d+ bytes differ"))
    else:
        s.expect(r"blktester: write 16 at 10: 0, flush 0, read back 0, 0 bytes differ")
    s.expect(rf"blktester: refused past-end {RANGE} straddle {RANGE} wrap {RANGE} zero {RANGE} "
             rf"too-many {RANGE} past-buffer {RANGE}")
    s.expect(r"blktester: peer done: yes")
    m = s.expect(r"blktester: driver 0: (\d+) requests, (\d+) interrupts, at most (\d+) in flight, "
                 r"(\d+) errors")
    s.check(int(m.group(3)) == 8, "eight requests in flight for a 64 KiB read")
    s.check(int(m.group(4)) == 0 and int(m.group(2)) >= 1,
            f"interrupt-driven, no device error ({m.group(0)})")
    s.expect_exit(0)
    # The peer's line comes whenever it ran: look for it in the whole log.
    peer = (rf"blkpeer: write {READ_ONLY} flush 0 read 0, \d+ bytes differ; beyond {RANGE} "
            rf"straddle {RANGE}") if ro else \
        (rf"blkpeer: write 0 flush 0 read 0, 0 bytes differ; beyond {RANGE} straddle {RANGE}")
    s.check(re.search(peer, s.log) is not None, "the peer wrote, read back and was confined")
    s.close()


def check_image(args, image, want, what):
    with open(image, "rb") as f:
        got = f.read()
    if got != want:
        print(f"FAIL: {what}: first difference {first_difference(got, want)}")
        raise SystemExit(1)


def scenario(args):
    with tempfile.TemporaryDirectory() as tmp:
        image = os.path.join(tmp, "disk.img")
        make_image(image)
        boot(args, image)
        check_image(args, image, expected_image(), "the image after the first boot")
        boot(args, image, earlier=True)
        check_image(args, image, expected_image(), "the image after the second boot")

        ro = os.path.join(tmp, "ro.img")
        make_image(ro)
        boot(args, ro, ro=True)
        check_image(args, ro, expected_image(False, False), "a read-only image")

        legacy = os.path.join(tmp, "legacy.img")
        make_image(legacy)
        boot(args, legacy, legacy=True)
        check_image(args, legacy, expected_image(), "the image written over the legacy transport")


if __name__ == "__main__":
    sys.exit(run_scenario(scenario))
