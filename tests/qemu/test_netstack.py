#!/usr/bin/env python3
"""The network stack component against Linux (idl/systems/netstack.system): QEMU's NIC is
a tap device in a private network namespace (a unique name per run, deleted afterwards
even on failure) where Linux is 10.213.9.1 and dnsmasq serves DHCP and DNS. Checks what
the system did: the lease dnsmasq wrote, Linux pinging the guest and the guest pinging
Linux, six lookups (an A record, a CNAME, a chain of three, NXDOMAIN, no A record, and
an answer too long for UDP, asked again over TCP), 16 MiB each way between a guest TCP client and a
Linux server (SHA-256 on both ends; tcpdump's capture of it, decoded by tshark, shows RFC 7323
window scaling negotiated and windows above 64 KiB used both ways), a Linux client to the guest's echo server, a UDP
datagram each way, and requests refused for want of a grant (both clients), each with its console
line. Prints the transfer times as goodput (and, with ANVAYA_NETSTACK_ICOUNT=1, QEMU's
exact instruction counts per KiB, per lookup and per connect). Exits 77 (skip) without root, /dev/net/tun,
iproute2 or dnsmasq.

    test_netstack.py --image netstack.img [--timeout S]"""
import hashlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
from qemu_harness import run_scenario  # noqa: E402
import dnsmasq_peer  # noqa: E402

NS_IP = "10.213.9.1"
SERVER_PORT, ECHO_PORT, UDP_PORT = 5001, 7, 9999
TRANSFER = 16 << 20  # the netclient's transfer_bytes in netstack.system
ECHO_BYTES = 200_000
BIG_ADDRS = [f"10.213.10.{i}" for i in range(1, 41)]
# The benchmark mode (docs/benchmarks.md): QEMU counts instructions exactly.
ICOUNT = os.environ.get("ANVAYA_NETSTACK_ICOUNT") == "1"


def sh(*args, check_rc=True, timeout=20):
    p = subprocess.run(list(args), capture_output=True, text=True, timeout=timeout)
    if check_rc and p.returncode != 0:
        raise RuntimeError(f"{' '.join(args)}: exit {p.returncode}: {p.stderr.strip()}")
    return p


def start_dnsmasq(tap, tmp):
    conf = os.path.join(tmp, "dnsmasq.conf")
    lines = [
        f"interface={tap}", "bind-interfaces", "except-interface=lo", "user=root",
        "no-resolv", "no-hosts", "no-poll", "port=53",
        "dhcp-range=10.213.9.50,10.213.9.60,255.255.255.0,2m",
        f"dhcp-option=option:router,{NS_IP}", f"dhcp-option=option:dns-server,{NS_IP}",
        f"dhcp-leasefile={tmp}/leases", f"pid-file={tmp}/pid",
        "local=/anvaya.test/",
        "host-record=target.anvaya.test,10.213.9.88",
        "cname=alias.anvaya.test,target.anvaya.test",
        # chain -> link -> alias -> target: three aliases followed.
        "cname=chain.anvaya.test,link.anvaya.test",
        "cname=link.anvaya.test,alias.anvaya.test",
        # An address of another family only: an A query is answered NOERROR, no records.
        "host-record=v6only.anvaya.test,fd00::1",
    ] + [
        # 40 addresses: 660 bytes of answer, so over UDP (512 bytes without EDNS) dnsmasq
        # sets TC and the stack asks again over TCP.
        f"host-record=big.anvaya.test,{a}" for a in BIG_ADDRS
    ] + [
        "log-queries", "log-dhcp", f"log-facility={tmp}/dnsmasq.log",
    ]
    p = dnsmasq_peer.start(conf, lines)
    return p


class TcpServer(threading.Thread):
    """One connection: read TRANSFER bytes, then send send_size random bytes and close."""

    def __init__(self, io_timeout=60, send_size=TRANSFER):
        super().__init__(daemon=True)
        self.io_timeout = io_timeout
        self.send_size = send_size
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((NS_IP, SERVER_PORT))
        self.sock.listen(1)
        self.sock.settimeout(90)
        self.got_hash = self.sent_hash = self.error = self.peer = None
        self.got = 0

    def run(self):
        phase = ""
        try:
            c, self.peer = self.sock.accept()
            c.settimeout(self.io_timeout)
            h = hashlib.sha256()
            while self.got < TRANSFER:
                d = c.recv(min(65536, TRANSFER - self.got))
                if not d:
                    break
                h.update(d)
                self.got += len(d)
            self.got_hash = h.hexdigest()
            data = os.urandom(self.send_size)
            phase = ", while sending"
            c.sendall(data)
            self.sent_hash = hashlib.sha256(data).hexdigest()
            c.shutdown(socket.SHUT_WR)
            # The guest closes after reading to the end; wait for its FIN.
            phase = ", after sending, waiting for the guest's FIN"
            while c.recv(4096):
                pass
            c.close()
        except Exception as e:  # reported by the scenario, never a hang
            self.error = f"{e!r} after receiving {self.got} bytes" + phase
        finally:
            self.sock.close()


def echo_client(ip, data):
    """Sends data to the guest's echo server while reading the echo; returns the echo."""
    c = socket.create_connection((ip, ECHO_PORT), timeout=30)
    back = bytearray()

    def reader():
        while True:
            d = c.recv(65536)
            if not d:
                return
            back.extend(d)

    t = threading.Thread(target=reader, daemon=True)
    t.start()
    c.sendall(data)
    c.shutdown(socket.SHUT_WR)
    t.join(40)
    c.close()
    return bytes(back)


def check_lookups(s, timeout=None):
    """The netclient's six lookups against dnsmasq's names (start_dnsmasq), in order: the
    exact address and alias count, or the exact error code."""
    s.expect(r"netclient: lookup target\.anvaya\.test -> 10\.213\.9\.88 \(0 aliases\)", timeout)
    s.expect(r"netclient: lookup alias\.anvaya\.test -> 10\.213\.9\.88 \(1 aliases\)", timeout)
    s.expect(r"netclient: lookup chain\.anvaya\.test -> 10\.213\.9\.88 \(3 aliases\)", timeout)
    s.expect(r"netclient: lookup nosuch\.anvaya\.test -> error 1111 \(NXDOMAIN\)", timeout)
    s.expect(r"netclient: lookup v6only\.anvaya\.test -> error 1112 \(NODATA\)", timeout)
    m = s.expect(r"netclient: lookup big\.anvaya\.test -> (\S+) \(0 aliases\)", timeout)
    s.check(m.group(1) in BIG_ADDRS, f"big.anvaya.test resolved to one of its 40 addresses "
            f"({m.group(1)})")
    # Over UDP its answer was truncated (TC): the stack asked again over TCP and got all 40.
    s.find(r"netstack: lookup big\.anvaya\.test truncated over udp, asked over tcp: ok, "
           r"40 addresses", what="the truncated answer asked again over TCP, all 40 addresses")


GRANTED = "tcp-connect:10.213.9.1:5001 tcp-listen:7 resolve udp-bind:* udp-send:10.213.9.1:*"


def check_manifest(s, cspace_json):
    """The grants the stack enforces are the ones the generated CSpace manifest shows."""
    with open(cspace_json, encoding="utf-8") as f:
        system = json.load(f)
    inst = {i["name"]: i for i in system["instances"]}
    given = {g["client"]: g["grants"] for g in inst["netstack"]["grants_given"]}
    s.check(given == {"netclient.net": {"allow": GRANTED}, "netdeny.net": {"allow": ""}},
            f"netstack's manifest lists each client's grants: {given!r}")
    slots = [c for c in inst["netclient"]["slots"] if c.get("grants")]
    s.check([c["grants"] for c in slots] == [{"allow": GRANTED}],
            "netclient's manifest shows its grant on its Socket slot")


def start_capture(tap, path):
    """tcpdump on the tap, the transfer port's headers only; None without tcpdump."""
    if not shutil.which("tcpdump"):
        return None
    p = subprocess.Popen(["tcpdump", "-i", tap, "-U", "-s", "96", "-Z", "root", "-w", path,
                          "tcp", "port", str(SERVER_PORT)],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    for line in p.stderr:  # "listening on ..." once the capture runs
        if "listening on" in line:
            break
    threading.Thread(target=lambda: p.stderr.read(), daemon=True).start()
    return p


def check_window_scaling(s, p, path, ip):
    """Ends tcpdump; tshark decodes the transfer's handshake and segments: both SYNs carry
    a window scale option (the guest's shift 2: 255 KiB buffers), each side offers a
    window above 64 KiB once scaled, and Linux has more than 64 KiB in flight to the guest
    (the guest's own flight is printed, not checked: its client makes and hashes the data
    at a rate that often keeps it under 64 KiB)."""
    s.check(p is not None, "tcpdump installed to capture the tap")
    p.terminate()
    p.wait(timeout=10)
    s.check(shutil.which("tshark") is not None, "tshark installed to decode the capture")
    r = subprocess.run(["tshark", "-n", "-r", path, "-T", "fields", "-E", "separator=,",
                        "-e", "ip.src", "-e", "tcp.flags.syn", "-e", "tcp.flags.ack",
                        "-e", "tcp.options.wscale.shift", "-e", "tcp.window_size",
                        "-e", "tcp.analysis.bytes_in_flight"],
                       capture_output=True, text=True, timeout=120)
    s.check(r.returncode == 0, f"tshark reads the capture ({r.stderr.strip()[:200]})")
    syn_shift = synack_shift = None
    win_guest = win_linux = flight_guest = flight_linux = 0
    for line in r.stdout.splitlines():
        f = line.split(",")
        if len(f) < 6:
            continue
        src, syn, ack, shift, win, flight = f[:6]
        mine = src == ip
        if syn in ("1", "True"):
            if mine and ack in ("0", "False"):
                syn_shift = shift
            elif not mine and ack in ("1", "True"):
                synack_shift = shift
            continue
        w = int(win) if win.isdigit() else 0
        fl = int(flight) if flight.isdigit() else 0
        if mine:
            win_guest, flight_guest = max(win_guest, w), max(flight_guest, fl)
        else:
            win_linux, flight_linux = max(win_linux, w), max(flight_linux, fl)
    s.check(syn_shift == "2", f"the guest's SYN offers window scale shift 2 ({syn_shift!r})")
    s.check(synack_shift not in (None, ""), f"Linux's SYN-ACK answers with its shift ({synack_shift!r})")
    s.check(win_guest > 65535, f"the guest offered a window above 64 KiB ({win_guest} bytes)")
    s.check(win_linux > 65535, f"Linux offered a window above 64 KiB ({win_linux} bytes)")
    s.check(flight_linux > 65535, f"Linux had more than 64 KiB in flight to the guest ({flight_linux} bytes)")
    print(f"capture: shifts guest {syn_shift} Linux {synack_shift}; largest windows offered: guest "
          f"{win_guest}, Linux {win_linux}; most in flight: guest {flight_guest}, Linux {flight_linux}")


def scenario(args):
    check_manifest_json = args.extra[0] if args.extra else None
    tap = "anvns" + secrets.token_hex(3)
    tmp = tempfile.mkdtemp(prefix="anvnetstack-")
    dnsmasq = None
    capture = None
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sh("ip", "link", "set", "lo", "up")
        sh("ip", "tuntap", "add", "dev", tap, "mode", "tap")
        sh("ip", "addr", "add", NS_IP + "/24", "dev", tap)
        sh("ip", "link", "set", tap, "up")
        dnsmasq = start_dnsmasq(tap, tmp)
        cap_path = os.path.join(tmp, "transfer.pcap")
        capture = start_capture(tap, cap_path)
        server = TcpServer()
        server.start()
        udp.bind((NS_IP, UDP_PORT))
        udp.settimeout(5)
        # Each device in the slot its pinned driver probes (virtio_pinned.idl): NIC 7, RNG 6.
        s = args.session(devices=[f"net:tap,ifname={tap},script=no,downscript=no@7", "rng@6"],
                         timeout=max(args.timeout, 120), icount=ICOUNT)
        if check_manifest_json:
            check_manifest(s, check_manifest_json)
        s.start()
        s.expect(r"virtio-net: device in slot 0 \(modern\), mac ([0-9a-f:]{17})")
        s.expect(r"virtio-rng: device in slot 0 \(modern")
        s.expect(r"netstack: client 1 \(netclient\.net\) holds 5 grants: tcp-connect:10\.213\.9\.1:5001 ")
        m = s.expect(r"netstack: raw tx (\d+) frames of 1514 bytes in (\d+) ms, 0 failed")
        raw_bytes, raw_ms = int(m.group(1)) * 1514, int(m.group(2))
        mac = s.expect(r"netstack: mac ([0-9a-f:]{17}), dhcp discover sent").group(1)
        m = s.expect(r"netstack: dhcp bound ip (10\.213\.9\.\d+) mask 255\.255\.255\.0 router "
                     r"10\.213\.9\.1 dns 10\.213\.9\.1 lease 120 s", timeout=30)
        ip = m.group(1)
        s.check(50 <= int(ip.rsplit(".", 1)[1]) <= 60, f"the address is from dnsmasq's range ({ip})")
        leases = open(os.path.join(tmp, "leases")).read()
        s.check(any(mac in line and ip in line for line in leases.splitlines()),
                f"dnsmasq's lease file holds {mac} {ip}: {leases!r}")
        p = sh("ping", "-c", "3", "-i", "0.2", "-W", "2", ip, check_rc=False)
        s.check(p.returncode == 0 and " 0% packet loss" in p.stdout, f"Linux pings the guest: {p.stdout}")
        # The stack pings its router once bound, before it gives its clients the address.
        s.expect(r"netstack: ping 10\.213\.9\.1: 3 sent, 3 replies",
                 what="the guest's three echo requests to Linux all answered")
        s.expect(rf"netclient: address {re.escape(ip)} mask 255\.255\.255\.0 gateway 10\.213\.9\.1 "
                 r"dns 10\.213\.9\.1")
        check_lookups(s)
        s.expect(r"netclient: connect 10\.213\.9\.1:5001 -> ok")
        m = s.expect(r"netclient: tcp sent (\d+) bytes in (\d+) ms sha256 ([0-9a-f]{64})")
        sent_ms = int(m.group(2))
        server.join(60)
        s.check(server.error is None, f"the Linux server ran without error ({server.error})")
        s.check(server.peer == (ip, server.peer[1]) if server.peer else False,
                f"the connection came from the guest ({server.peer})")
        s.check(int(m.group(1)) == TRANSFER and server.got == TRANSFER and
                server.got_hash == m.group(3),
                f"guest -> Linux: {server.got} bytes, sha256 {server.got_hash} vs {m.group(3)}")
        m = s.expect(r"netclient: tcp received (\d+) bytes in (\d+) ms sha256 ([0-9a-f]{64}) "
                     r"\(ended CLOSED\)")
        recv_ms = int(m.group(2))
        s.check(int(m.group(1)) == TRANSFER and m.group(3) == server.sent_hash,
                f"Linux -> guest: {m.group(1)} bytes, sha256 {m.group(3)} vs {server.sent_hash}")
        check_window_scaling(s, capture, cap_path, ip)
        capture = None
        s.expect(rf"netclient: listen on {ECHO_PORT} -> ok")
        data = os.urandom(ECHO_BYTES)
        back = echo_client(ip, data)
        s.check(back == data, f"the guest's echo server returned the {len(data)} bytes exactly "
                f"(got {len(back)})")
        s.expect(rf"netclient: accepted 10\.213\.9\.1:\d+")
        m = s.expect(r"netclient: echoed (\d+) bytes sha256 ([0-9a-f]{64}) \(ended CLOSED, close ok/ok\)")
        s.check(int(m.group(1)) == ECHO_BYTES and m.group(2) == hashlib.sha256(data).hexdigest(),
                "the echo server's own count and hash")
        s.expect(rf"netclient: listen on {ECHO_PORT} again -> ok, a second time -> INUSE, close -> ok")
        s.expect(r"netstack: client 1 denied tcp-connect 10\.213\.9\.1:5002 \(not granted\)")
        s.expect(r"netclient: connect 10\.213\.9\.1:5002 \(not granted\) -> DENIED")
        s.expect(r"netstack: client 1 denied tcp-listen port 8 \(not granted\)")
        s.expect(r"netclient: listen on 8 \(not granted\) -> DENIED")
        s.expect(r"netclient: udp 4000 -> 10\.213\.9\.1:9999 -> ok")
        # Port 7 has no listener socket now (lib/net still listens: it cannot stop); a
        # connection to it is reset by the stack, not left hanging.
        try:
            with socket.create_connection((ip, ECHO_PORT), timeout=10) as c:
                outcome = f"read {c.recv(10)!r}"
        except ConnectionResetError:
            outcome = "reset"
        except OSError as e:
            outcome = repr(e)
        s.check(outcome == "reset", f"a connection to the closed listener's port is reset ({outcome})")
        try:
            d, addr = udp.recvfrom(2048)
        except socket.timeout:
            d, addr = b"", None
        s.check(d == b"netclient udp hello" and addr == (ip, 4000),
                f"the guest's datagram reached Linux from port 4000 ({d!r} from {addr})")
        if addr:
            udp.sendto(d[::-1], addr)
        s.expect(r"netclient: udp from 10\.213\.9\.1:9999 -> ok, 19 bytes 'olleh pdu tneilcten'")
        s.expect(r"netstack: client 1 denied udp-send 10\.213\.9\.2:9999 \(not granted\)")
        s.expect(r"netclient: udp 4000 -> 10\.213\.9\.2:9999 \(not granted\) -> DENIED")
        # close revoked the socket's capability: the client's handle is stale at once.
        s.expect(r"netclient: close of a closed socket -> STALE_HANDLE, sendto on it -> STALE_HANDLE")
        # More sockets than free slots (netclient's cspace = 17: 5 free): the sixth reply is
        # refused by the kernel, the stack closes that socket again; nothing is leaked.
        s.expect(r"netstack: client 1 has no free slot for a socket: socket closed")
        s.expect(r"netclient: sockets until the CSpace is full: 5 of 5 free slots, then NO_SLOTS; "
                 r"closed -> ok; bind again -> ok, close -> ok")
        m = s.expect(r"netclient: stack stats ok: rx (\d+) tx (\d+) bad (\d+) retransmits (\d+)")
        rx, tx, bad, rexmit = (int(g) for g in m.groups())
        s.check(rx > TRANSFER // 1460 and tx > TRANSFER // 1460,
                f"the stack's frame counters cover the transfers (rx {rx} tx {tx})")
        s.check(bad == 0, f"no bad frame from Linux counted ({bad})")
        print(f"stack: rx {rx} frames, tx {tx}, bad {bad}, retransmits {rexmit}")
        s.expect(r"netclient: done, 0 failures")
        s.expect_exit(0)
        # The client with no grants: refused everything, each refusal on the console.
        for what in ("tcp-connect 10\\.213\\.9\\.1:5001", "tcp-listen port 7", "udp-bind port 53",
                     "resolve"):
            s.find(rf"netstack: client 2 denied {what} \(not granted\)", f"client 2's {what} refused")
        s.find(r"netdeny: connect 1100 \(DENIED\), listen 1100 \(DENIED\), bind 1100 \(DENIED\), "
               r"lookup 1100 \(DENIED\)")
        s.find(r"netdeny: address -> ok")
        # Socket calls on capabilities it does not hold: an empty slot (where netclient's
        # first socket is in netclient's CSpace) ANV_E_EMPTY_SLOT 4, a slot past its CSpace
        # ANV_E_BAD_HANDLE 2, its dataport's frame ANV_E_WRONG_TYPE 5, its Sockets
        # capability (not a socket's badge) ANV_E_INVALID_ARG 7, the null handle 2; a forged
        # socket badge (cap.delegate on its badged endpoint) ANV_E_RIGHTS 6; a NUL in a name
        # INVAL 1102; and the stack served on.
        s.find(r"netdeny: bad calls 4 2 5 7 2 6 1102 4")
        if ICOUNT:
            ins = {}
            for key, pat in (("send", r"instructions sending (\d+), of them making and hashing "
                                      r"the data (\d+), the stack's own (\d+), in the NIC's send (\d+)"),
                             ("recv", r"instructions receiving (\d+), of them hashing the data "
                                      r"(\d+), the stack's own (\d+), in the NIC's send (\d+)")):
                m = s.find(r"netclient: " + pat)
                ins[key] = tuple(int(g) for g in m.groups())
            kib = TRANSFER / 1024
            for key, what in (("send", "sent"), ("recv", "received")):
                total, own, stack, nic = ins[key]
                print(f"figure: instructions per KiB {what}: the stack's thread "
                      f"{(stack - nic) / kib:.0f} outside the NIC's send, {nic / kib:.0f} in it "
                      f"(waits included); the whole machine {total / kib:.0f} (idle included), of "
                      f"which the client making and hashing data {own / kib:.0f}")
            for name in ("target.anvaya.test", "alias.anvaya.test", "nosuch.anvaya.test",
                         "big.anvaya.test"):
                m = s.find(rf"netclient: instructions lookup {re.escape(name)} (\d+)")
                print(f"figure: instructions for the lookup of {name}: {m.group(1)}")
            m = s.find(r"netclient: instructions connect (\d+)")
            print(f"figure: instructions for a TCP connect (to established): {m.group(1)}")
        mib = TRANSFER / (1 << 20)
        raw = raw_bytes / (1 << 20) / max(raw_ms, 1) * 1000
        sent_rate = mib / max(sent_ms, 1) * 1000
        print(f"figure: raw frames guest->linux {raw:.2f} MiB/s of frames; tcp goodput "
              f"guest->linux {sent_rate / raw:.2f} of it")
        print(f"figure: tcp guest->linux {TRANSFER} bytes in {sent_ms} ms "
              f"({mib / max(sent_ms, 1) * 1000:.2f} MiB/s); linux->guest in {recv_ms} ms "
              f"({mib / max(recv_ms, 1) * 1000:.2f} MiB/s)")
    finally:
        if capture is not None:
            capture.kill()
            capture.wait()
        udp.close()
        dnsmasq_peer.stop(dnsmasq)
        shutil.rmtree(tmp, ignore_errors=True)


def run_in_namespace(script, scenario_fn, prefix, timeout, needs_scapy=False):
    """The main of every netstack test: `--inner` runs the scenario (already inside the
    namespace); otherwise check the test can run here (77: skipped), make a private
    namespace, run the script again inside it, and always delete it afterwards."""
    argv = sys.argv[1:]
    if argv[:1] == ["--inner"]:
        return run_scenario(scenario_fn, argv[1:])
    needs = "root, /dev/net/tun, iproute2, dnsmasq" + (" and scapy" if needs_scapy else "")
    have_scapy = not needs_scapy or subprocess.run(
        [sys.executable, "-c", "import scapy.all"], capture_output=True).returncode == 0
    if os.geteuid() != 0 or not os.path.exists("/dev/net/tun") or not shutil.which("ip") \
            or not shutil.which("dnsmasq") or not have_scapy:
        print(f"skip: needs {needs}")
        return 77
    netns = f"{prefix}{os.getpid()}x{secrets.token_hex(3)}"
    # meson's timeout sends SIGTERM: turn it into an exception so the cleanup still runs.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    sh("ip", "netns", "add", netns)
    try:
        p = subprocess.run(["ip", "netns", "exec", netns, sys.executable, os.path.abspath(script),
                            "--inner"] + argv, timeout=timeout)
        return p.returncode
    finally:
        # Anything still running in the namespace was started by this test: end it by pid.
        for pid in sh("ip", "netns", "pids", netns, check_rc=False).stdout.split():
            try:
                os.kill(int(pid), 9)
            except (ProcessLookupError, ValueError):
                pass
        sh("ip", "netns", "del", netns, check_rc=False)


if __name__ == "__main__":
    sys.exit(run_in_namespace(__file__, scenario, "anvns", 280))
