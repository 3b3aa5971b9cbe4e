#!/usr/bin/env python3
"""The network stack's goodput benchmark (idl/systems/netbench.system; docs/benchmarks.md):
on a tap device in a private namespace, as in test_netstack.py, the stack first sends
raw_tx_frames full frames through its driver (the raw frame rate, the reference), then
its one client sends a Linux server 64 MiB of a fixed pattern and receives 64 MiB of it
back. Linux checks every byte it receives against the pattern and the client checks what
it receives word by word, so neither side's check costs more than a copy (the test's
SHA-256 costs the guest over a hundred instructions a byte). Prints the goodput each way
as a share of the raw frame rate, MiB/s beside it, and, with ANVAYA_NETSTACK_ICOUNT=1
(QEMU's -icount shift=0), instructions per KiB. A benchmark, not in any test suite.
Exits 77 without root, /dev/net/tun, iproute2 or dnsmasq.

    test_netstack_bench.py --image build/components/netbench.img [--timeout S]"""
import os
import secrets
import shutil
import socket
import sys
import tempfile
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools"))
sys.path.insert(0, HERE)
import test_netstack as ns  # noqa: E402
import dnsmasq_peer  # noqa: E402

BENCH = 64 << 20  # bench_bytes in netbench.system
PERIOD = 65528    # BENCH_PERIOD in components/netclient/netclient.c
ICOUNT = os.environ.get("ANVAYA_NETSTACK_ICOUNT") == "1"


def pattern():
    """The client's pattern: xorshift64 from its seed, eight little-endian bytes a step."""
    x, m, out = 0x9E3779B97F4A7C15, (1 << 64) - 1, bytearray()
    for _ in range(PERIOD // 8):
        x ^= (x << 13) & m
        x ^= x >> 7
        x ^= (x << 17) & m
        out += x.to_bytes(8, "little")
    return bytes(out)


class BenchServer(threading.Thread):
    """One connection: BENCH bytes in, each compared with the pattern at its position;
    then BENCH bytes of the pattern out, and a close once the guest has closed."""

    def __init__(self, pat):
        super().__init__(daemon=True)
        self.pat = pat * 3  # any window of up to 2 periods starts inside the first
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((ns.NS_IP, ns.SERVER_PORT))
        self.sock.listen(1)
        self.sock.settimeout(90)
        self.got, self.bad_at, self.sent, self.error = 0, None, 0, None

    def run(self):
        try:
            c, _ = self.sock.accept()
            c.settimeout(120)
            while self.got < BENCH:
                d = c.recv(min(PERIOD, BENCH - self.got))
                if not d:
                    break
                o = self.got % PERIOD
                if self.bad_at is None and d != self.pat[o:o + len(d)]:
                    self.bad_at = self.got
                self.got += len(d)
            while self.sent < BENCH:
                n = min(PERIOD, BENCH - self.sent)
                o = self.sent % PERIOD
                c.sendall(self.pat[o:o + n])
                self.sent += n
            c.shutdown(socket.SHUT_WR)
            while c.recv(4096):
                pass
            c.close()
        except Exception as e:  # reported by the scenario
            self.error = f"{e!r} after receiving {self.got} and sending {self.sent} bytes"
        finally:
            self.sock.close()


def scenario(args):
    tap = "anvnb" + secrets.token_hex(3)
    tmp = tempfile.mkdtemp(prefix="anvnetbench-")
    dnsmasq = None
    try:
        ns.sh("ip", "link", "set", "lo", "up")
        ns.sh("ip", "tuntap", "add", "dev", tap, "mode", "tap")
        ns.sh("ip", "addr", "add", ns.NS_IP + "/24", "dev", tap)
        ns.sh("ip", "link", "set", tap, "up")
        dnsmasq = ns.start_dnsmasq(tap, tmp)
        server = BenchServer(pattern())
        server.start()
        s = args.session(devices=[f"net:tap,ifname={tap},script=no,downscript=no@7", "rng@6"],
                         timeout=max(args.timeout, 300), icount=ICOUNT)
        s.start()
        # Each figure's line is matched up to its end: a line still arriving would give a
        # number cut short.
        m = s.expect(r"netstack: raw tx (\d+) frames of 1514 bytes in (\d+) ms, 0 failed")
        raw_bytes, raw_ms = int(m.group(1)) * 1514, int(m.group(2))
        s.expect(r"netstack: dhcp bound ip (10\.213\.9\.\d+)", timeout=30)
        s.expect(r"netclient: bench connect -> ok", timeout=60)
        m = s.expect(r"netclient: bench sent (\d+) bytes in (\d+) ms; instructions (\d+), the "
                     r"stack's own (\d+), in the NIC's send (\d+)\r?\n", timeout=200)
        sent, sent_ms, s_all, s_stack, s_nic = (int(g) for g in m.groups())
        m = s.expect(r"netclient: bench received (\d+) bytes in (\d+) ms, pattern (\w+) \(ended "
                     r"(\w+)\); instructions (\d+), the stack's own (\d+), in the NIC's send (\d+)\r?\n",
                     timeout=200)
        got, recv_ms = int(m.group(1)), int(m.group(2))
        r_all, r_stack, r_nic = int(m.group(5)), int(m.group(6)), int(m.group(7))
        server.join(60)
        s.check(server.error is None, f"the Linux server ran without error ({server.error})")
        s.check(sent == BENCH and server.got == BENCH and server.bad_at is None,
                f"guest -> Linux: {server.got} of {BENCH} bytes, the pattern "
                f"{'kept' if server.bad_at is None else f'broken at byte {server.bad_at}'}")
        s.check(got == BENCH and m.group(3) == "ok" and m.group(4) == "CLOSED",
                f"Linux -> guest: {got} of {BENCH} bytes, pattern {m.group(3)}, ended {m.group(4)}")
        s.expect(r"netclient: bench done -> ok")
        s.expect_exit(0)
        raw = raw_bytes / (1 << 20) / max(raw_ms, 1) * 1000
        mib = BENCH / (1 << 20)
        tx = mib / max(sent_ms, 1) * 1000
        rx = mib / max(recv_ms, 1) * 1000
        print(f"figure: raw frames guest->linux {raw:.2f} MiB/s ({raw_bytes // 1514} frames "
              f"in {raw_ms} ms)")
        print(f"figure: tcp goodput guest->linux {tx:.2f} MiB/s = {tx / raw:.2f} of the raw "
              f"frame rate; linux->guest {rx:.2f} MiB/s = {rx / raw:.2f} of it "
              f"({BENCH} bytes each way in {sent_ms} and {recv_ms} ms)")
        if ICOUNT:
            kib = BENCH / 1024
            print(f"figure: instructions per KiB sent: the whole machine {s_all / kib:.0f}, the "
                  f"stack's thread {(s_stack - s_nic) / kib:.0f} outside the NIC's send, "
                  f"{s_nic / kib:.0f} in it; raw frames {1e9 / (raw * 1024):.0f} a KiB")
            print(f"figure: instructions per KiB received: the whole machine {r_all / kib:.0f}, "
                  f"the stack's thread {(r_stack - r_nic) / kib:.0f} outside the NIC's send, "
                  f"{r_nic / kib:.0f} in it")
    finally:
        dnsmasq_peer.stop(dnsmasq)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(ns.run_in_namespace(__file__, scenario, "anvnb", 600))
