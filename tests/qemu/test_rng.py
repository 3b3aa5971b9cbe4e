#!/usr/bin/env python3
"""The entropy path end to end (idl/systems/rngtest.system): the virtio-rng driver probes
the virtio-mmio slots, sets up a virtqueue in its DMA buffer at the physical address the
kernel tells it, and serves Entropy.read by interrupt. QEMU's device reads a file the test
wrote, so the test knows every byte the guest must receive. Run on the modern (version 2)
and the legacy (version 1) transport, and once with no device at all. The client holds
no DMA buffer and learns no physical address; the CSpace manifest marks the driver (and
only it) as trusted with physical memory."""
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools"))
from qemu_harness import ScenarioFailure, run_scenario  # noqa: E402

ROUNDS = 16
E_WRONG_TYPE = 5
ENTROPY_E_TOO_LONG = 302


def pattern(n):
    # Not constant and not periodic within what the guest reads.
    out, x = bytearray(), 0x2545F4914F6CDD1D
    for _ in range(n):
        x ^= (x << 13) & 0xFFFFFFFFFFFFFFFF
        x ^= x >> 7
        x ^= (x << 17) & 0xFFFFFFFFFFFFFFFF
        out.append(x & 0xFF)
    return bytes(out)


def one_run(args, source, legacy):
    s = args.session(devices=[f"rng:{source}"], legacy_virtio=legacy)
    s.start()
    want = "legacy, version 1" if legacy else "modern, version 2"
    m = s.expect(r"virtio-rng: device in slot (\d+) \((\w+), version (\d)\), queue of (\d+) "
                 r"at DMA 0x([0-9a-f]+)\r?\n")
    s.check(f"{m.group(2)}, version {m.group(3)}" == want, f"the {want} transport")
    pa = int(m.group(5), 16)
    s.check(0x80000000 <= pa < 0x90000000 and pa % 4096 == 0, f"a page-aligned RAM address ({pa:#x})")
    data = pattern(ROUNDS * 64 + 5)
    m = s.expect(r"rngtest: first 16 bytes((?: [0-9a-f]{2}){16})")
    got = bytes(int(b, 16) for b in m.group(1).split())
    s.check(got == data[:16], f"the device's bytes arrive unchanged ({got.hex()} vs {data[:16].hex()})")
    ones = sum(bin(b).count("1") for b in data[:ROUNDS * 64])
    s.expect(rf"rngtest: {ROUNDS} reads of 64 bytes, {ones} of {ROUNDS * 512} bits set, 0 repeats, "
             r"0 failures")
    s.expect(rf"rngtest: read 5 -> 0 \(5 bytes\), read 65 -> {ENTROPY_E_TOO_LONG}, "
             rf"read 0 -> {ENTROPY_E_TOO_LONG}")
    # One device request and one completion interrupt per read that reached the device.
    n = ROUNDS + 1
    s.expect(rf"rngtest: driver counters \(0\): {n} requests, {ROUNDS * 64 + 5} bytes, {n} interrupts")
    s.expect(rf"rngtest: frame_paddr ipcbuf={E_WRONG_TYPE} dataport={E_WRONG_TYPE} "
             rf"console={E_WRONG_TYPE} pa=0x0")
    s.expect(r"system: shutdown")
    s.expect_exit(0)
    s.close()


def scenario(args):
    with open(args.extra[0], encoding="utf-8") as f:
        cspace = json.load(f)
    trusted = cspace["trusted_with_physical_memory"]
    rng = next(i for i in cspace["instances"] if i["name"] == "rng")
    consumer = next(i for i in cspace["instances"] if i["name"] == "consumer")
    if trusted != ["rng"] or not rng["trusted_with_physical_memory"] or \
            consumer["trusted_with_physical_memory"] is not None:
        raise ScenarioFailure(f"the manifest's DMA trust: {trusted}")
    with tempfile.TemporaryDirectory() as tmp:
        source = os.path.join(tmp, "entropy.bin")
        with open(source, "wb") as f:
            f.write(pattern(ROUNDS * 64 + 5) + bytes(4096))
        one_run(args, source, legacy=False)
        one_run(args, source, legacy=True)
    # No device: the driver says so and ends; nothing else happens.
    s = args.session()
    s.start()
    s.expect(r"virtio-rng: no such device in any virtio-mmio slot")
    s.expect(r"exit: thread \d+ stopped, no handler \(word0=0x1 ")
    s.close()


if __name__ == "__main__":
    sys.exit(run_scenario(scenario))
