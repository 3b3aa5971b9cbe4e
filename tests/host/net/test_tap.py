#!/usr/bin/python3
"""lib/net against Linux's own stack: a private network namespace (unique name per run,
deleted afterwards even on failure) holds a tap device; net_tap runs the stack on it as
10.213.0.2 while the namespace's kernel is 10.213.0.1. Checks ping both ways (plain and
fragmented), UDP echo both ways, port unreachable, and (with --dhcp-dns) DHCP and DNS
against dnsmasq, and (--phases tcp) TCP both ways. With the relay phase the stack talks
UDP frames to tools/net_relay.py, which loses, duplicates, reorders and delays them on
their way to and from the tap. Every phase but hostile is captured by tcpdump on the tap
and the capture decoded by tshark with checksum validation on: no malformed packet, no
checksum error. Exits 77 (skip) when not root or without /dev/net/tun.

    test_tap.py NET_TAP [--phases ip,dhcp,dns,tcp,relay]"""
import os
import queue
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

NS_IP, STACK_IP = "10.213.0.1", "10.213.0.2"
results = []


def check(name, cond, detail=""):
    results.append((name, bool(cond)))
    print(("ok   " if cond else "FAIL ") + name + ("" if cond else f"  {detail}"), flush=True)


def sh(*args, check_rc=True, timeout=20):
    p = subprocess.run(list(args), capture_output=True, text=True, timeout=timeout)
    if check_rc and p.returncode != 0:
        raise RuntimeError(f"{' '.join(args)}: exit {p.returncode}: {p.stderr.strip()}")
    return p


class Harness:
    """net_tap as a child: commands on stdin, event lines collected by a reader thread."""

    def __init__(self, exe, *args):
        self.p = subprocess.Popen([exe, *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=sys.stderr, text=True, bufsize=1)
        self.lines = queue.Queue()
        self.log = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.p.stdout:
            self.lines.put(line.rstrip("\n"))

    def send(self, cmd):
        self.p.stdin.write(cmd + "\n")
        self.p.stdin.flush()

    def wait_for(self, prefix, timeout=10.0):
        """The first line starting with prefix; earlier lines are kept in self.log."""
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no '{prefix}' line from net_tap; seen: {self.log[-10:]}")
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                continue
            self.log.append(line)
            if line.startswith(prefix):
                return line

    def stop(self):
        if self.p.poll() is None:
            try:
                self.send("quit")
                self.p.wait(timeout=3)
            except Exception:
                self.p.kill()
                self.p.wait()
        return self.p.returncode


def fields(line):
    return dict(w.split("=", 1) for w in line.split() if "=" in w)


def phase_ip(h):
    h.send("udpecho 7777")
    h.wait_for("udpecho ok")
    # Linux pings the stack: plain, then 3000 bytes (fragmented both ways).
    p = sh("ping", "-c", "3", "-i", "0.2", "-W", "2", STACK_IP, check_rc=False)
    check("linux pings stack (3/3)", p.returncode == 0 and " 0% packet loss" in p.stdout, p.stdout)
    p = sh("ping", "-c", "2", "-i", "0.2", "-W", "2", "-s", "3000", STACK_IP, check_rc=False)
    check("linux pings stack with 3000-byte fragmented echo", p.returncode == 0 and
          " 0% packet loss" in p.stdout and "3008 bytes from" in p.stdout, p.stdout)
    # The stack pings Linux.
    h.send(f"ping {NS_IP} 3 56")
    f = fields(h.wait_for("ping done"))
    check("stack pings linux (3/3)", f.get("received") == "3", f)
    h.send(f"ping {NS_IP} 2 4000")
    f = fields(h.wait_for("ping done"))
    check("stack pings linux with 4000-byte fragmented echo", f.get("received") == "2", (f, h.log[-5:]))
    # UDP: Linux client, stack echo server.
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2)
    s.bind((NS_IP, 0))
    msg = secrets.token_hex(8).encode()
    s.sendto(msg, (STACK_IP, 7777))
    try:
        data, addr = s.recvfrom(2048)
        check("udp echo: linux -> stack -> linux", data == msg and addr == (STACK_IP, 7777), (data, addr))
    except socket.timeout:
        check("udp echo: linux -> stack -> linux", False, "timeout")
    big = bytes(i & 255 for i in range(5000))
    s.sendto(big, (STACK_IP, 7777))
    try:
        data, addr = s.recvfrom(8192)
        check("udp echo of 5000 bytes (fragmented both ways)", data == big, len(data))
    except socket.timeout:
        check("udp echo of 5000 bytes (fragmented both ways)", False, "timeout")
    # A closed port: the stack's ICMP port unreachable reaches the Linux socket.
    c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    c.settimeout(2)
    c.connect((STACK_IP, 9))
    c.send(b"anyone?")
    try:
        c.recv(100)
        check("closed port -> ECONNREFUSED", False, "got data")
    except ConnectionRefusedError:
        check("closed port -> ECONNREFUSED", True)
    except socket.timeout:
        check("closed port -> ECONNREFUSED", False, "timeout")
    c.close()
    # UDP: stack client, Linux echo server.
    srv = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    srv.bind((NS_IP, 9999))
    srv.settimeout(3)
    h.send("udplisten 40000")
    h.wait_for("udplisten ok")
    token = secrets.token_hex(6)
    h.send(f"udpsend 40000 {NS_IP} 9999 {token}")
    try:
        data, addr = srv.recvfrom(2048)
        check("udp: stack -> linux", data == token.encode() and addr == (STACK_IP, 40000), (data, addr))
        srv.sendto(data[::-1], addr)
        line = h.wait_for("udp from=")
        check("udp: linux -> stack reply", f"data={token[::-1]}" in line and f"from={NS_IP}:9999" in line, line)
    except socket.timeout:
        check("udp: stack -> linux", False, "timeout")
    s.close()
    srv.close()
    h.send("stats")
    f = fields(h.wait_for("stats"))
    check("no bad packets counted in normal traffic",
          all(f[k] == "0" for k in ("arp_bad", "ip_bad_header", "ip_bad_checksum", "ip_bad_length",
                                    "icmp_bad_checksum", "udp_bad", "udp_bad_checksum", "tx_errors")), f)
    check("reassembled and fragmented", int(f["frag_reassembled"]) >= 5 and int(f["tx_frags"]) >= 4, f)


RELAY = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "tools",
                     "net_relay.py")


def start_relay(tap):
    """tools/net_relay.py between the tap and a UDP port pair on 127.0.0.1."""
    socks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(2)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    seed = int(os.environ.get("ANVAYA_NET_RELAY_SEED", "11"))
    relay = Harness("/usr/bin/python3", RELAY, "--tap", tap, "--local", f"127.0.0.1:{ports[0]}",
                    "--remote", f"127.0.0.1:{ports[1]}", "--seed", str(seed),
                    "--drop", os.environ.get("ANVAYA_NET_RELAY_DROP", "0.05"),
                    "--dup", "0.01", "--reorder", "0.02", "--delay-ms", "1")
    relay.wait_for("relay ready", timeout=5)
    return relay, ports


def start_capture(tap, path):
    """tcpdump on the tap, full frames, written as they come; None if tcpdump is missing."""
    if not shutil.which("tcpdump"):
        return None
    p = subprocess.Popen(["tcpdump", "-i", tap, "-U", "-s", "0", "-Z", "root", "-w", path],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    for line in p.stderr:  # "listening on ..." once the capture runs
        if "listening on" in line:
            break
    threading.Thread(target=lambda: p.stderr.read(), daemon=True).start()
    return p


def check_capture(p, path, label):
    """Ends tcpdump and decodes its file with tshark, checksums validated: no malformed
    packet and no checksum error (expert errors of those groups)."""
    if p is None:
        return
    p.terminate()
    p.wait(timeout=10)
    keep = os.environ.get("ANVAYA_NET_KEEP_CAPTURE")
    if keep:
        shutil.copy(path, keep)
    if not shutil.which("tshark"):
        check(f"{label}: tshark installed to decode the capture", False, "tshark missing")
        return
    opts = []
    for o in ("ip.check_checksum", "tcp.check_checksum", "udp.check_checksum"):
        opts += ["-o", o + ":TRUE"]
    # The test ports carry raw bytes: decode them as data, not as whatever protocol
    # tshark guesses from the number (7000 would be Gryphon and its PDUs garbage).
    for port in (7000, 8080, 9090, 9191):
        opts += ["-d", f"tcp.port=={port},data"]
    r = subprocess.run(["tshark", "-n", "-r", path] + opts +
                       ["-q", "-z", "expert,error", "-z", "io,stat,0"],
                       capture_output=True, text=True, timeout=120)
    out = r.stdout
    # io,stat's one interval row: "| 0.000 <> 12.345 | FRAMES | BYTES |"
    m = re.search(r"<>\s*[0-9.]+\s*\|\s*(\d+)\s*\|", out)
    npk = int(m.group(1)) if m else 0
    bad = [ln for ln in out.splitlines()
           if "Malformed" in ln or "checksum" in ln.lower() or "Error" in ln and "Group" not in ln]
    check(f"{label}: tshark decodes the capture ({npk} packets): no malformed packet, "
          "no checksum error", r.returncode == 0 and npk > 0 and not bad,
          (r.returncode, r.stderr[-300:], bad[:10]))


def inner(exe, phases):
    tap = "anvtap" + secrets.token_hex(3)
    sh("ip", "link", "set", "lo", "up")
    relay = None
    if "relay" in phases:
        relay, ports = start_relay(tap)
        h = Harness(exe, "--udp", str(ports[1]), str(ports[0]))
    else:
        h = Harness(exe, tap)
    capdir = tempfile.mkdtemp(prefix="anvcap")
    cap_path = os.path.join(capdir, "tap.pcap")
    cap = None
    try:
        h.wait_for("ready", timeout=5)
        sh("ip", "addr", "add", NS_IP + "/24", "dev", tap)
        sh("ip", "link", "set", tap, "up")
        if "hostile" not in phases:
            cap = start_capture(tap, cap_path)
        if "dhcp" not in phases:
            h.send(f"config {STACK_IP} 255.255.255.0 0.0.0.0")
            h.wait_for("config ok")
        for name in phases:
            if name == "ip":
                phase_ip(h)
            elif name == "tcp":
                import tap_tcp  # beside this file
                tap_tcp.phase_tcp(h, tap, check, sh, fields)
            elif name == "relay":
                import tap_relay
                tap_relay.phase_relay(h, relay, check, fields)
            elif name == "hostile":
                import tap_hostile
                tap_hostile.phase_hostile(h, tap, check, fields)
            else:
                import tap_services  # DHCP and DNS phases, beside this file
                getattr(tap_services, "phase_" + name)(h, tap, check, sh, fields)
    except Exception as e:  # a broken phase is a failure, never a hang
        check("harness ran to the end", False, repr(e))
    finally:
        if "dhcp" in phases or "dns" in phases:
            import tap_services
            tap_services.stop_dnsmasq()
        rc = h.stop()
        check("net_tap exited cleanly (no sanitizer report)", rc == 0, rc)
        if relay is not None:
            relay.send("stats")
            try:
                print(relay.wait_for("relay stats", timeout=5), flush=True)
            except TimeoutError:
                pass
            relay.stop()
        try:
            check_capture(cap, cap_path, "capture")
        finally:
            shutil.rmtree(capdir, ignore_errors=True)
    passed = sum(1 for _, ok in results if ok)
    failed = len(results) - passed
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


def main():
    args = sys.argv[1:]
    if len(args) >= 3 and args[0] == "--inner":
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        return inner(args[1], args[2].split(","))
    exe = os.path.abspath(args[0])
    phases = "ip"
    if len(args) == 3 and args[1] == "--phases":
        phases = args[2]
    limit = int(os.environ.get("ANVAYA_NET_TAP_TIMEOUT", "100"))
    if "relay" in phases:  # a bigger transfer gets the time it needs
        limit = max(limit, int(60 + 8 * int(os.environ.get("ANVAYA_NET_RELAY_MIB", "16"))))
    if os.geteuid() != 0 or not os.path.exists("/dev/net/tun") or not shutil.which("ip"):
        print("skip: needs root, /dev/net/tun and iproute2")
        return 77
    ns = f"anvnet{os.getpid()}x{secrets.token_hex(3)}"
    # meson's timeout sends SIGTERM: turn it into an exception so the cleanup still runs.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    sh("ip", "netns", "add", ns)
    try:
        p = subprocess.run(["ip", "netns", "exec", ns, sys.executable, os.path.abspath(__file__),
                            "--inner", exe, phases], timeout=limit)
        return p.returncode
    finally:
        # Anything still running in the namespace was started by this test: end it by pid.
        pids = sh("ip", "netns", "pids", ns, check_rc=False).stdout.split()
        for pid in pids:
            try:
                os.kill(int(pid), 9)
            except (ProcessLookupError, ValueError):
                pass
        sh("ip", "netns", "del", ns, check_rc=False)


if __name__ == "__main__":
    sys.exit(main())
