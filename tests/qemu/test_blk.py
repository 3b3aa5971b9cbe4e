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
- on the legacy transport the same run gives the same image;
- on a disk whose backing fails (QEMU's blkdebug: EIO for one of the eight requests of
  the tester's 64 KiB read, and for its write at sector 10, each rule firing once, so a
  retry would succeed) the tester gets IO (400) from exactly those two calls, the driver
  counts the failed requests (the read's eight, which QEMU merged into one, and the
  write's one) and issues exactly the requests of a clean boot (nothing retried),
  the image keeps its old contents where the failed write was, and the later requests
  work;
- on a device that answers only after the driver's timeout (QEMU's null-co driver with a
  latency) every call that reaches it is reported as TIMEOUT (401), once, and the device
  is reset each time."""
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
IO, TIMEOUT, RANGE, READ_ONLY = 400, 401, 402, 403
# The sectors blkdebug fails (absolute): inside the third of the tester's eight 8 KiB read
# requests (sectors 100.. of its partition at 64), and inside its 16-sector write at 10.
FAIL_READ_SECTOR, FAIL_WRITE_SECTOR = TESTER_FIRST + 100 + 36, TESTER_FIRST + 10 + 6


def blkdebug_rules():
    """Two rules for QEMU's blkdebug driver, each firing once: EIO for the read request
    that covers FAIL_READ_SECTOR and for the write that covers FAIL_WRITE_SECTOR."""
    rule = '[inject-error]\nevent = "{}"\nerrno = "5"\nsector = "{}"\nonce = "on"\n'
    return rule.format("read_aio", FAIL_READ_SECTOR) + "\n" + rule.format("write_aio", FAIL_WRITE_SECTOR)


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


def boot(args, image, ro=False, legacy=False, earlier=False, rules=None):
    """One boot; returns the driver's request count. rules: a blkdebug configuration
    file (blkdebug_rules()) under the image."""
    if rules is None:
        s = args.session(devices=[f"blk:{image}" + (":ro" if ro else "")], legacy_virtio=legacy)
    else:
        drive = ["-drive", f"if=none,id=disk0,format=raw,file=blkdebug:{rules}:{image}",
                 "-device", "virtio-blk-device,drive=disk0"]
        s = args.session(drives=[drive])
    s.start()
    m = s.expect(r"virtio-blk: device in slot \d+ \((\w+)\), 8192 sectors, block 512, seg_max \d+, "
                 r"size_max \d+(, read-only)?(, flush)?, queue of 32\r?\n")
    s.check(m.group(1) == ("legacy" if legacy else "modern"), f"the {m.group(1)} transport")
    s.check(bool(m.group(2)) == ro, "the read-only feature as the disk is")
    s.expect(r"blocks: disk of 8192 sectors" + (r" \(read-only\)" if ro else "") +
             r"; partitions 1:\[2048,\+1024\) 2:\[64,\+1024\)")
    s.expect(rf"blktester: info 0: {PART} sectors, block 512, max 128, read-only {int(ro)}, flush")
    if rules is None:
        s.expect(r"blktester: read 128 sectors at 100: 0, 0 bytes differ from the image")
    else:
        s.expect(rf"blktester: read 128 sectors at 100: {IO}, \d+ bytes differ from the image")
    s.expect(r"blktester: sector 10 before writing: 0, " +
             ("holds the marker" if earlier else "as the image was made"))
    if ro:
        s.expect(rf"blktester: write 16 at 10: {READ_ONLY}, flush 0, read back 0, "
                 + (r"0 bytes differ" if earlier else r"\d+ bytes differ"))
    elif rules is not None:
        # The write failed and was not repeated: reading back finds the old sectors.
        s.expect(rf"blktester: write 16 at 10: {IO}, flush 0, read back 0, [1-9]\d* bytes differ")
    else:
        s.expect(r"blktester: write 16 at 10: 0, flush 0, read back 0, 0 bytes differ")
    s.expect(rf"blktester: refused past-end {RANGE} straddle {RANGE} wrap {RANGE} zero {RANGE} "
             rf"too-many {RANGE} past-buffer {RANGE}")
    s.expect(r"blktester: peer done: yes")
    m = s.expect(r"blktester: driver 0: (\d+) requests, (\d+) interrupts, at most (\d+) in flight, "
                 r"(\d+) errors")
    s.check(int(m.group(3)) == 8, "eight requests in flight for a 64 KiB read")
    # Under blkdebug: QEMU's virtio-blk merges the eight adjacent requests of the 64 KiB
    # read (one kick) into one read of the backing file, so the injected EIO fails all
    # eight, each reported; then the write's one request.
    errors = 0 if rules is None else 9
    s.check(int(m.group(4)) == errors and int(m.group(2)) >= 1,
            f"interrupt-driven, {errors} device errors ({m.group(0)})")
    s.expect_exit(0)
    # The peer's line comes whenever it ran: look for it in the whole log.
    peer = (rf"blkpeer: write {READ_ONLY} flush 0 read 0, \d+ bytes differ; beyond {RANGE} "
            rf"straddle {RANGE}") if ro else \
        (rf"blkpeer: write 0 flush 0 read 0, 0 bytes differ; beyond {RANGE} straddle {RANGE}")
    s.check(re.search(peer, s.log) is not None, "the peer wrote, read back and was confined")
    s.close()
    return int(m.group(1))


def boot_unanswering(args):
    """A device that answers too late: QEMU's null-co block driver completes every request
    after 2.3 s, past the driver's 2 s timeout. Each of the eight calls that reach the
    device (the peer's write, flush and read; the tester's two reads, write, flush and
    read back) is reported to its caller as TIMEOUT once, the driver resets the device
    each time and counts eight errors and no completed request: nothing is retried."""
    drive = ["-blockdev", "driver=null-co,node-name=disk0,size=4194304,"
             "latency-ns=2300000000,read-zeroes=on",
             "-device", "virtio-blk-device,drive=disk0"]
    s = args.session(drives=[drive], timeout=max(args.timeout, 90))
    s.start()
    s.expect(rf"blktester: read 128 sectors at 100: {TIMEOUT}, \d+ bytes differ from the image")
    s.expect(rf"blktester: sector 10 before writing: {TIMEOUT}, as the image was made")
    s.expect(rf"blktester: write 16 at 10: {TIMEOUT}, flush {TIMEOUT}, read back {TIMEOUT}, "
             r"\d+ bytes differ")
    s.expect(r"blktester: peer done: yes")
    s.expect(r"blktester: driver 0: 0 requests, \d+ interrupts, at most 8 in flight, 8 errors")
    s.expect_exit(0)
    s.check(re.search(rf"blkpeer: write {TIMEOUT} flush {TIMEOUT} read {TIMEOUT}, ", s.log)
            is not None, "the peer's three calls timed out")
    resets = len(re.findall(r"virtio-blk: no answer in time, resetting the device", s.log))
    s.check(resets == 8, f"one reset per call that timed out ({resets})")
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
        clean_requests = boot(args, image)
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

        failing = os.path.join(tmp, "failing.img")
        make_image(failing)
        rules = os.path.join(tmp, "blkdebug.conf")
        with open(rules, "w") as f:
            f.write(blkdebug_rules())
        requests = boot(args, failing, rules=rules)
        if requests != clean_requests:
            print(f"FAIL: {requests} device requests with two failing, {clean_requests} on a "
                  "clean disk: something was retried or dropped")
            raise SystemExit(1)
        check_image(args, failing, expected_image(tester=False),
                    "the image under failing requests (the failed write must not land)")

        boot_unanswering(args)


if __name__ == "__main__":
    sys.exit(run_scenario(scenario))
