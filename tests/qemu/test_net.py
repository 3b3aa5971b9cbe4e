#!/usr/bin/env python3
"""The virtio-net driver against the test itself (idl/systems/nettest.system): QEMU's
UDP socket backend carries the guest NIC's frames to and from a socket here, so the test
sends Ethernet frames of every size and checks each one comes back byte for byte (the
guest's echo client swaps the addresses). Frames shorter than an Ethernet header and
longer than a full frame are not believed; sizes the driver refuses to send are refused.
Run on the modern and the legacy transport."""
import os
import random
import socket
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools"))
from qemu_harness import run_scenario  # noqa: E402

SIZE = 502
INVALID = 7  # ANV_E_INVALID_ARG (kernel/include/anvaya/abi.h)
OURS = bytes.fromhex("021122334455")
STOP = 0x88B5
TYPE = 0x88B6


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as t:
        t.bind(("127.0.0.1", 0))
        return t.getsockname()[1]


def one_run(args, legacy):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(5)
    ours = sock.getsockname()[1]
    qemu = free_port()
    backend = f"socket,udp=127.0.0.1:{ours},localaddr=127.0.0.1:{qemu}"
    s = args.session(devices=[f"net:{backend}"], legacy_virtio=legacy)
    try:
        s.start()
        m = s.expect(r"virtio-net: device in slot \d+ \((\w+)\), mac ([0-9a-f:]{17}), 32 receive "
                     r"buffers posted, header (\d+) bytes")
        s.check(m.group(1) == ("legacy" if legacy else "modern"), f"the {m.group(1)} transport")
        s.check(int(m.group(3)) == (10 if legacy else 12), "the header of the transport")
        mac = bytes.fromhex(m.group(2).replace(":", ""))
        s.check(mac == bytes.fromhex("525400123456"), f"QEMU's default MAC ({m.group(2)})")
        s.expect(rf"netecho: info 0 mac {m.group(2)} mtu 1500")
        s.expect(rf"netecho: send 13 -> {SIZE}, send 1515 -> {SIZE}")
        # A batch is checked whole before any frame of it goes: nothing is sent (tx below).
        s.expect(rf"netecho: send_batch 0 -> {INVALID}, 17 -> {INVALID}, "
                 rf"2 with a 1515-byte second -> {SIZE}")
        rng = random.Random(1234)
        sizes = list(range(14, 80)) + [128, 256, 512, 1000, 1499, 1500, 1513, 1514] + \
            [rng.randrange(14, 1515) for _ in range(100)]
        total = 0
        for n in sizes:
            frame = mac + OURS + TYPE.to_bytes(2, "big") + bytes(rng.randrange(256) for _ in range(n - 14))
            sock.sendto(frame, ("127.0.0.1", qemu))
            back, _ = sock.recvfrom(4096)
            want = OURS + mac + frame[12:]
            s.check(back == want, f"a {n}-byte frame comes back unchanged ({len(back)} bytes)")
            total += n
        # Not believed: shorter than an Ethernet header (the device delivers what it got).
        sock.sendto(mac + OURS, ("127.0.0.1", qemu))
        # Longer than a frame: QEMU cannot fit it in one 2 KiB receive buffer either way.
        sock.sendto(mac + OURS + TYPE.to_bytes(2, "big") + bytes(1700), ("127.0.0.1", qemu))
        # One more good frame: the run goes on after the bad ones.
        frame = mac + OURS + TYPE.to_bytes(2, "big") + b"after the bad ones"
        sock.sendto(frame, ("127.0.0.1", qemu))
        back, _ = sock.recvfrom(4096)
        s.check(back == OURS + mac + frame[12:], "the NIC still works after the bad frames")
        sock.sendto(mac + OURS + STOP.to_bytes(2, "big") + bytes(50), ("127.0.0.1", qemu))
        n = len(sizes) + 1
        m = s.expect(r"netecho: echoed (\d+) frames, (\d+) bytes; driver 0: rx (\d+) tx (\d+) "
                     r"dropped (\d+) interrupts (\d+)")
        echoed, nbytes, rx, tx, dropped, irqs = (int(g) for g in m.groups())
        s.check(echoed == n and nbytes == total + len(frame), f"{n} frames echoed ({echoed})")
        s.check(rx == n + 1 and tx == n, f"counters: rx {rx} tx {tx}")
        s.check(dropped >= 1, f"the short frame was dropped and counted ({dropped})")
        s.check(irqs >= 1, "interrupts")
        s.expect_exit(0)
    finally:
        s.close()
        sock.close()


def scenario(args):
    one_run(args, legacy=False)
    one_run(args, legacy=True)


if __name__ == "__main__":
    sys.exit(run_scenario(scenario))
