#!/usr/bin/env python3
"""The network stack component under attack (idl/systems/netstack.system on a tap in a
private namespace, as test_netstack.py): once the client's transfers are done and a Linux
client's connection to the guest's echo server is established and has carried data,
scapy sends at the guest, through the tap, frames with bad IP, TCP, UDP and ICMP
checksums, truncated and oversized headers, bogus IP and TCP options, overlapping, stale
and out-of-window segments, in- and out-of-window RSTs, a SYN in the connection, a SYN
flood at the listener, ARP replies claiming the guest's own address and a new MAC for the
gateway, and DNS answers for a query never sent. Then the same connection must still
echo new data exactly (the echo checked by content and by the guest's own SHA-256), the
guest must answer ping, run its script to its end and exit 0, and its counters (the
stack's `netstack: dropped:` line) must show the frames dropped by the layer that
refused them. Exits 77 (skip) without root, /dev/net/tun, iproute2, dnsmasq or scapy.

    test_netstack_hostile.py --image netstack.img [--timeout S]"""
import hashlib
import os
import re
import secrets
import shutil
import socket
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools"))
sys.path.insert(0, HERE)
import test_netstack as ns  # noqa: E402
import dnsmasq_peer  # noqa: E402

FAKE_MAC = "02:00:00:66:66:66"
FLOOD = 300  # SYNs at the listener, from addresses that never answer
BATCH = 4  # copies of each malformed frame


def recv_exact(c, n):
    out = bytearray()
    while len(out) < n:
        d = c.recv(min(65536, n - len(out)))
        if not d:
            break
        out.extend(d)
    return bytes(out)


def counters(s):
    """The stack's last `netstack: dropped:` line so far (it prints one per stats call)."""
    lines = re.findall(r"netstack: dropped: (.*)$", s.log, re.MULTILINE)
    s.check(bool(lines), "the stack printed its drop counters")
    return dict(zip(*[iter(lines[-1].split())] * 2))


def with_ip_options(frame, opts):
    """An Ethernet+IPv4 frame with raw option bytes (a multiple of 4) inserted after its
    IP header: header length, total length and header checksum made consistent."""
    b = bytearray(frame[:34] + opts + frame[34:])
    b[14] = 0x40 | (5 + len(opts) // 4)
    total = int.from_bytes(b[16:18], "big") + len(opts)
    b[16:18] = total.to_bytes(2, "big")
    b[24:26] = b"\0\0"
    hdr = bytes(b[14:14 + 20 + len(opts)])
    acc = sum(int.from_bytes(hdr[i:i + 2], "big") for i in range(0, len(hdr), 2))
    while acc >> 16:
        acc = (acc & 0xffff) + (acc >> 16)
    b[24:26] = (~acc & 0xffff).to_bytes(2, "big")
    return bytes(b)


def hostile_frames(sc, tap_mac, guest_mac, guest_ip, lport, guest_snd, guest_rcv):
    """The attack, as a list of (name, frames). lport is Linux's port of the echo
    connection; guest_rcv is the next sequence number the guest expects from Linux,
    guest_snd the next it will send."""
    Ether, IP, TCP, UDP, ICMP, ARP, Raw = sc.Ether, sc.IP, sc.TCP, sc.UDP, sc.ICMP, sc.ARP, sc.Raw
    DNS, DNSQR, DNSRR = sc.DNS, sc.DNSQR, sc.DNSRR
    eth = Ether(src=tap_mac, dst=guest_mac)
    ip = IP(src=ns.NS_IP, dst=guest_ip)

    def seg(seq, flags="A", payload=b"", ack=guest_snd, **kw):
        return TCP(sport=lport, dport=ns.ECHO_PORT, seq=seq & 0xffffffff, ack=ack & 0xffffffff,
                   flags=flags, window=65535, **kw) / Raw(payload)

    evil = b"EVIL" * 64
    raw_ok = bytes(eth / ip / seg(guest_rcv, "PA", evil))

    def corrupt(frame, at, value):
        b = bytearray(frame)
        b[at] = value
        return bytes(b)

    frames = []
    # Checksums: the data would land exactly where the guest expects the next byte.
    frames.append(("bad tcp checksum", [eth / ip / seg(guest_rcv, "PA", evil, chksum=0x1234)]))
    frames.append(("bad ip checksum", [eth / IP(src=ns.NS_IP, dst=guest_ip, chksum=0x1234) /
                                       seg(guest_rcv, "PA", evil)]))
    frames.append(("bad udp checksum", [eth / ip / UDP(sport=53, dport=4000, chksum=0x1234) /
                                        Raw(b"x" * 20)]))
    frames.append(("bad icmp checksum", [eth / ip / ICMP(type=8, chksum=0x1234) / Raw(b"p" * 32)]))
    # Truncated and oversized headers.
    frames.append(("runt ethernet frame", [raw_ok[:10]]))
    frames.append(("truncated ip header", [raw_ok[:14 + 12]]))
    frames.append(("ip total length past the frame", [eth / IP(src=ns.NS_IP, dst=guest_ip,
                                                               len=1400) / seg(guest_rcv, "PA", b"z")]))
    frames.append(("ip header length 15 words in 20 bytes", [corrupt(raw_ok, 14, 0x4f)]))
    frames.append(("ip header length below 5", [corrupt(raw_ok, 14, 0x43)]))
    frames.append(("ip version 6 in an ipv4 frame", [corrupt(raw_ok, 14, 0x65)]))
    frames.append(("truncated tcp header", [eth / IP(src=ns.NS_IP, dst=guest_ip, proto=6) /
                                            Raw(bytes(seg(guest_rcv))[:12])]))
    frames.append(("tcp data offset 15", [eth / ip / TCP(sport=lport, dport=ns.ECHO_PORT,
                                                         seq=guest_rcv, ack=guest_snd,
                                                         flags="PA", dataofs=15) / Raw(b"q" * 8)]))
    frames.append(("tcp data offset 2", [eth / ip / TCP(sport=lport, dport=ns.ECHO_PORT,
                                                        seq=guest_rcv, ack=guest_snd,
                                                        flags="PA", dataofs=2) / Raw(evil)]))
    # Bogus options on otherwise valid packets: stale data, so taking it would show.
    stale = guest_rcv - len(evil)
    stale_frame = bytes(eth / ip / seg(stale, "PA", evil))
    frames.append(("ip option of length 0", [with_ip_options(stale_frame, b"\x44\x00\x00\x00")]))
    frames.append(("ip option running past the header",
                   [with_ip_options(stale_frame, b"\x07\x28\x04\x00")]))
    frames.append(("tcp mss option of length 0", [eth / ip / seg(stale, "PA", evil,
                                                                 options=[(2, b"")])]))
    frames.append(("tcp option running past the header", [
        eth / ip / TCP(sport=lport, dport=ns.ECHO_PORT, seq=stale, ack=guest_snd, flags="PA",
                       dataofs=6, options=[]) / Raw(b"\x08\x30" + b"\x00\x00" + evil)]))
    # Overlapping (entirely old) and out-of-window segments.
    frames.append(("overlapping old data", [eth / ip / seg(guest_rcv - 1000, "PA", b"O" * 1000),
                                            eth / ip / seg(guest_rcv - 10, "PA", b"P" * 10)]))
    frames.append(("segment far beyond the window", [eth / ip / seg(guest_rcv + (1 << 30), "PA", evil)]))
    frames.append(("segment far behind", [eth / ip / seg(guest_rcv - (1 << 30), "PA", evil)]))
    frames.append(("ack of data never sent", [eth / ip / seg(guest_rcv, "A", b"", ack=guest_snd + 100000)]))
    # RSTs: out of the window (ignored) and in it but not exact (a challenge ACK, RFC 5961).
    frames.append(("rst out of window", [eth / ip / seg(guest_rcv + (1 << 30), "R")]))
    frames.append(("rst in window, not exact", [eth / ip / seg(guest_rcv + 100, "R"),
                                                 eth / ip / seg(guest_rcv + 1000, "RA")]))
    frames.append(("syn inside the connection", [eth / ip / seg(guest_rcv + 5, "S")]))
    # A SYN flood at the listener from addresses that never complete the handshake.
    flood = []
    for k in range(FLOOD):
        flood.append(eth / IP(src=f"198.18.{k // 250}.{k % 250 + 1}", dst=guest_ip) /
                     TCP(sport=20000 + k, dport=ns.ECHO_PORT, seq=k * 7919, flags="S"))
    frames.append(("syn flood", flood))
    # ARP spoofing: a claim to the guest's own address, a new MAC for the gateway (as a
    # gratuitous broadcast and as a reply to the guest).
    frames.append(("arp claim to the guest's address", [
        Ether(src=FAKE_MAC, dst="ff:ff:ff:ff:ff:ff") /
        ARP(op=2, hwsrc=FAKE_MAC, psrc=guest_ip, hwdst="ff:ff:ff:ff:ff:ff", pdst=guest_ip)]))
    frames.append(("arp new mac for the gateway", [
        Ether(src=FAKE_MAC, dst="ff:ff:ff:ff:ff:ff") /
        ARP(op=2, hwsrc=FAKE_MAC, psrc=ns.NS_IP, hwdst="ff:ff:ff:ff:ff:ff", pdst=ns.NS_IP),
        Ether(src=FAKE_MAC, dst=guest_mac) /
        ARP(op=2, hwsrc=FAKE_MAC, psrc=ns.NS_IP, hwdst=guest_mac, pdst=guest_ip)]))
    # DNS answers for a query the guest never sent, to its likely ports.
    dns = []
    for port in (53, 4000, 33000, 49152, 50000, 60000):
        dns.append(eth / ip / UDP(sport=53, dport=port) /
                   DNS(id=0x4242, qr=1, aa=1, qd=DNSQR(qname="alias.anvaya.test"),
                       an=DNSRR(rrname="alias.anvaya.test", rdata="6.6.6.6")))
    frames.append(("dns answers never asked for", dns))
    return frames


def scenario(args):
    import scapy.all as sc
    sc.conf.verb = 0
    tap = "anvht" + secrets.token_hex(3)
    tmp = tempfile.mkdtemp(prefix="anvnethostile-")
    dnsmasq = None
    try:
        ns.sh("ip", "link", "set", "lo", "up")
        ns.sh("ip", "tuntap", "add", "dev", tap, "mode", "tap")
        ns.sh("ip", "addr", "add", ns.NS_IP + "/24", "dev", tap)
        ns.sh("ip", "link", "set", tap, "up")
        tap_mac = open(f"/sys/class/net/{tap}/address").read().strip()
        dnsmasq = ns.start_dnsmasq(tap, tmp)
        server = ns.TcpServer()
        server.start()
        # The client's UDP exchange at the end of its script: answered reversed, as in
        # test_netstack.py.
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        udp.bind((ns.NS_IP, ns.UDP_PORT))
        udp.settimeout(200)

        def udp_answer():
            try:
                d, addr = udp.recvfrom(2048)
                udp.sendto(d[::-1], addr)
            except OSError:
                pass
        threading.Thread(target=udp_answer, daemon=True).start()
        s = args.session(devices=[f"net:tap,ifname={tap},script=no,downscript=no", "rng"],
                         timeout=max(args.timeout, 240))
        s.start()
        guest_mac = s.expect(r"netstack: mac ([0-9a-f:]{17}), dhcp discover sent").group(1)
        ip = s.expect(r"netstack: dhcp bound ip (10\.213\.9\.\d+) ", timeout=30).group(1)
        m = s.expect(r"netclient: tcp sent (\d+) bytes in \d+ ms sha256 ([0-9a-f]{64})", timeout=120)
        server.join(120)
        s.check(server.got_hash == m.group(2), "the 16 MiB to Linux arrived intact")
        m = s.expect(r"netclient: tcp received (\d+) bytes in \d+ ms sha256 ([0-9a-f]{64}) "
                     r"\(ended CLOSED\)", timeout=120)
        s.check(m.group(2) == server.sent_hash, "the 16 MiB from Linux arrived intact")
        s.expect(rf"netclient: listen on {ns.ECHO_PORT} -> ok")
        before = counters(s)

        # The connection under attack: established, and carrying data before and after.
        sniff = sc.AsyncSniffer(iface=tap, filter=f"tcp port {ns.ECHO_PORT}", store=True)
        sniff.start()
        time.sleep(0.5)
        c = socket.create_connection((ip, ns.ECHO_PORT), timeout=30)
        c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        lport = c.getsockname()[1]
        first = os.urandom(30000)
        c.sendall(first)
        back1 = recv_exact(c, len(first))
        s.check(back1 == first, f"the echo before the attack ({len(back1)} bytes) is exact")
        time.sleep(0.5)  # quiet: every segment acknowledged both ways
        pkts = sniff.stop()
        from_guest = [p for p in pkts if p.haslayer(sc.TCP) and p[sc.IP].src == ip and
                      p[sc.TCP].dport == lport]
        s.check(bool(from_guest), f"the sniffer saw the guest's segments ({len(pkts)} packets)")
        last = from_guest[-1][sc.TCP]
        payload = len(bytes(last.payload))
        guest_snd = (last.seq + payload) & 0xffffffff
        guest_rcv = last.ack
        frames = hostile_frames(sc, tap_mac, guest_mac, ip, lport, guest_snd, guest_rcv)
        sent, probes = 0, []
        c.settimeout(10)
        for name, fl in frames:
            for _ in range(1 if name == "syn flood" else BATCH):
                sc.sendp(fl, iface=tap)
                sent += len(fl)
            # After each kind, the connection must still carry data, byte for byte.
            probe = os.urandom(1000)
            c.sendall(probe)
            try:
                back = recv_exact(c, len(probe))
            except socket.timeout:
                back = b""
            s.check(back == probe, f"after '{name}' the connection still echoes exactly "
                    f"({len(back)} of {len(probe)} bytes)")
            probes.append(probe)
        print(f"hostile: sent {sent} frames in {len(frames)} kinds at {ip}", flush=True)
        time.sleep(1.0)
        second = os.urandom(30000)
        c.sendall(second)
        try:
            back2 = recv_exact(c, len(second))
        except socket.timeout:
            back2 = b""
        s.check(back2 == second, f"the same connection still echoes exactly after the attack "
                f"({len(back2)} of {len(second)} bytes)")
        # While the echo server still holds the connection (the script ends soon after).
        p = ns.sh("ping", "-c", "3", "-i", "0.2", "-W", "2", ip, check_rc=False)
        s.check(p.returncode == 0 and " 0% packet loss" in p.stdout,
                f"the guest still answers ping: {p.stdout}")
        c.shutdown(socket.SHUT_WR)
        rest = c.recv(10)
        c.close()
        s.check(rest == b"", f"nothing but the echo came back ({rest!r})")
        whole = first + b"".join(probes) + second
        m = s.expect(r"netclient: echoed (\d+) bytes sha256 ([0-9a-f]{64}) \(ended CLOSED, "
                     r"close ok/ok\)")
        s.check(int(m.group(1)) == len(whole) and m.group(2) == hashlib.sha256(whole).hexdigest(),
                f"the guest echoed exactly the {len(whole)} bytes sent, by its own SHA-256")
        m = s.expect(r"netclient: stack stats ok: rx (\d+) tx (\d+) bad (\d+) retransmits (\d+)")
        s.check(int(m.group(3)) > 0, f"the stack's bad-frame count grew ({m.group(0)})")
        after = counters(s)
        grew = {k: int(after[k]) - int(before[k]) for k in after}
        print(f"hostile: counters grew {grew}", flush=True)
        # What each layer must have refused (BATCH copies of each kind): the header and
        # checksum drops of IPv4 are summed, as a frame with a damaged first byte also has
        # a wrong checksum and either check may refuse it first. (A frame shorter than an
        # Ethernet header arrives padded to 60 bytes by QEMU, with EtherType 0.)
        ip_drops = grew["ip-header"] + grew["ip-checksum"]
        s.check(ip_drops >= 5 * BATCH, f"the guest refused the bad IPv4 headers and checksums "
                f"({ip_drops} >= {5 * BATCH})")
        need = {"ip-length": BATCH, "icmp-checksum": BATCH, "udp-checksum": BATCH,
                "tcp-checksum": BATCH, "tcp-bad": 3 * BATCH, "tcp-out-of-order": 8 * BATCH,
                "tcp-rst-rx": 3 * BATCH, "arp-bad": 3 * BATCH, "udp-no-port": 6 * BATCH,
                "tcp-half-open-evicted": FLOOD - 8}
        for k, n in need.items():
            s.check(grew.get(k, 0) >= n, f"the guest counted {k} drops ({grew.get(k)} >= {n})")
        s.expect(r"netclient: done, 0 failures")
        s.expect_exit(0)
        udp.close()
    finally:
        dnsmasq_peer.stop(dnsmasq)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(ns.run_in_namespace(__file__, scenario, "anvht", 400, needs_scapy=True))
