#!/usr/bin/python3
"""net_relay.py: a lossy Ethernet relay between a QEMU-style UDP frame socket (QEMU's
`-netdev dgram` or `-netdev socket,udp=`: one datagram is one frame) and a Linux tap
device, standing in for netem (this machine's kernel has none).

Every frame, in either direction, is dropped with probability --drop, otherwise delayed
by --delay-ms plus up to --jitter-ms; with probability --reorder it is held back a further
--reorder-ms so that later frames overtake it, and with probability --dup a second copy
follows. The choices come from one random.Random(--seed), so a seed names a run (timing
still varies with the host's scheduling). Counters go to stdout as one line
"relay stats ..." at exit (SIGTERM, SIGINT, "quit" or end of stdin) and on a "stats" line
on stdin.

    net_relay.py --tap TAP --local 127.0.0.1:PORT --remote 127.0.0.1:PORT [--drop 0.05]
                 [--dup 0.01] [--reorder 0.02] [--reorder-ms 4] [--delay-ms 1]
                 [--jitter-ms 1] [--seed N]

It creates the tap itself (root, /dev/net/tun), prints "relay ready tap=... seed=..." and
forwards until told to stop. QEMU (or tests/host/net/net_tap --udp) sends to --local and
receives from it at --remote."""
import argparse
import fcntl
import heapq
import os
import random
import select
import signal
import socket
import struct
import sys
import time

TUNSETIFF = 0x400454CA
IFF_TAP, IFF_NO_PI = 0x0002, 0x1000
FRAME_MAX = 65536
# Frames scheduled but not yet delivered; past this, new frames are dropped and counted
# (a stalled peer must not make the relay grow without bound).
QUEUE_MAX = 4096


def open_tap(name):
    fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK)
    ifr = struct.pack("16sH22x", name.encode(), IFF_TAP | IFF_NO_PI)
    fcntl.ioctl(fd, TUNSETIFF, ifr)
    return fd


def hostport(text):
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, got {text!r}")
    return host, int(port)


def prob(text):
    v = float(text)
    if not 0.0 <= v <= 1.0:
        raise argparse.ArgumentTypeError(f"a probability is between 0 and 1, got {text}")
    return v


def nonneg(text):
    v = float(text)
    if v < 0:
        raise argparse.ArgumentTypeError(f"expected a non-negative number, got {text}")
    return v


class Direction:
    def __init__(self, name):
        self.name = name
        self.counts = dict.fromkeys(
            ("in", "out", "dropped", "duplicated", "reordered", "overflow", "send_errors"), 0)


class Relay:
    def __init__(self, args):
        self.a = args
        self.rng = random.Random(args.seed)
        self.tap = open_tap(args.tap)
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        self.udp.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
        self.udp.bind(args.local)
        self.udp.setblocking(False)
        self.remote = args.remote
        self.to_tap, self.to_udp = Direction("udp_to_tap"), Direction("tap_to_udp")
        self.queue = []  # (due, serial, direction, frame)
        self.serial = 0
        self.stop = False

    def schedule(self, d, frame, now):
        d.counts["in"] += 1
        r = self.rng
        if r.random() < self.a.drop:
            d.counts["dropped"] += 1
            return
        copies = 1
        if r.random() < self.a.dup:
            copies = 2
            d.counts["duplicated"] += 1
        for _ in range(copies):
            delay = self.a.delay_ms + r.random() * self.a.jitter_ms
            if r.random() < self.a.reorder:
                delay += self.a.reorder_ms
                d.counts["reordered"] += 1
            if len(self.queue) >= QUEUE_MAX:
                d.counts["overflow"] += 1
                continue
            self.serial += 1
            heapq.heappush(self.queue, (now + delay / 1000.0, self.serial, d, frame))

    def deliver(self, now):
        while self.queue and self.queue[0][0] <= now:
            _, _, d, frame = heapq.heappop(self.queue)
            try:
                if d is self.to_tap:
                    os.write(self.tap, frame)
                else:
                    self.udp.sendto(frame, self.remote)
                d.counts["out"] += 1
            except OSError:
                d.counts["send_errors"] += 1  # a full queue on the far side is a loss too

    def stats_line(self):
        parts = [f"seed={self.a.seed}"]
        for d in (self.to_tap, self.to_udp):
            parts += [f"{d.name}_{k}={v}" for k, v in d.counts.items()]
        return "relay stats " + " ".join(parts)

    def run(self):
        print(f"relay ready tap={self.a.tap} seed={self.a.seed}", flush=True)
        stdin_open = True
        while not self.stop:
            now = time.monotonic()
            timeout = 0.05
            if self.queue:
                timeout = max(0.0, min(timeout, self.queue[0][0] - now))
            fds = [self.tap, self.udp] + ([sys.stdin] if stdin_open else [])
            try:
                ready, _, _ = select.select(fds, [], [], timeout)
            except InterruptedError:
                continue
            now = time.monotonic()
            if self.udp in ready:
                for _ in range(256):  # bounded per wakeup so the other side is served
                    try:
                        frame = self.udp.recv(FRAME_MAX)
                    except BlockingIOError:
                        break
                    if 14 <= len(frame) <= 1514 + 4:
                        self.schedule(self.to_tap, frame, now)
            if self.tap in ready:
                for _ in range(256):
                    try:
                        frame = os.read(self.tap, FRAME_MAX)
                    except BlockingIOError:
                        break
                    if not frame:
                        break
                    self.schedule(self.to_udp, frame, now)
            if stdin_open and sys.stdin in ready:
                line = sys.stdin.readline()
                if not line:
                    stdin_open = False
                    self.stop = True
                elif line.strip() == "stats":
                    print(self.stats_line(), flush=True)
                elif line.strip() == "quit":
                    self.stop = True
            self.deliver(time.monotonic())
        print(self.stats_line(), flush=True)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--tap", required=True)
    p.add_argument("--local", type=hostport, required=True)
    p.add_argument("--remote", type=hostport, required=True)
    p.add_argument("--drop", type=prob, default=0.05)
    p.add_argument("--dup", type=prob, default=0.01)
    p.add_argument("--reorder", type=prob, default=0.02)
    p.add_argument("--reorder-ms", type=nonneg, default=4.0)
    p.add_argument("--delay-ms", type=nonneg, default=1.0)
    p.add_argument("--jitter-ms", type=nonneg, default=0.0)
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args()
    if len(args.tap) >= 16:
        p.error("a tap name has at most 15 characters")
    try:
        relay = Relay(args)
    except OSError as e:
        print(f"net_relay: {e}", file=sys.stderr)
        return 77 if e.errno in (1, 2, 13) else 2

    def stop(*_):
        relay.stop = True
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    relay.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
