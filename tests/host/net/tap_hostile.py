"""Hostile phase of test_tap.py: while Linux holds an established connection to the
stack's echo listener, scapy writes crafted frames onto the tap (they reach only the
stack): bad checksums, truncated and oversized headers, bogus IP and TCP options,
overlapping, old and out-of-window segments, segments with an unacceptable ACK, in- and
out-of-window RSTs, a SYN flood from addresses that never answer, ARP spoofing (a claim to
the stack's own address, a gratuitous change of the peer's MAC) and DNS answers for
queries never sent. Each is counted and dropped; the harness stays up, and the
established connection still echoes intact data afterwards."""
import os
import random
import socket
import threading
import time

from scapy.all import ARP, DNS, DNSQR, DNSRR, IP, TCP, UDP, AsyncSniffer, Ether, Raw, conf, \
    get_if_hwaddr, sendp

NS_IP, STACK_IP = "10.213.0.1", "10.213.0.2"
conf.verb = 0


def echo_ok(c, n=3000):
    data = os.urandom(n)
    c.sendall(data)
    got = bytearray()
    end = time.monotonic() + 5
    while len(got) < n and time.monotonic() < end:
        try:
            b = c.recv(65536)
        except socket.timeout:
            break
        if not b:
            break
        got.extend(b)
    return bytes(got) == data


def phase_hostile(h, tap, check, fields):
    rnd = random.Random(5)
    stack_mac = next(fields(ln)["mac"] for ln in h.log if ln.startswith("ready"))
    linux_mac = get_if_hwaddr(tap)

    def stats():
        h.send("stats")
        net = fields(h.wait_for("stats"))
        h.send("tcpstats")
        return {k: int(v) for k, v in net.items()}, \
            {k: int(v) for k, v in fields(h.wait_for("tcpstats")).items()}

    def conn_of(port):
        h.send("tcpconns")
        found = None
        while True:
            line = h.wait_for("tcpconn")
            if line.startswith("tcpconns done"):
                return found
            f = fields(line)
            if f["peer"] == f"{NS_IP}:{port}":
                found = {k: (int(v) if v.isdigit() else v) for k, v in f.items()}

    def send(frames):
        sendp(frames, iface=tap)
        time.sleep(0.3)  # let the harness take them before counters are read

    h.send("tcplisten 8080")
    h.wait_for("tcplisten ok")
    c = socket.create_connection((STACK_IP, 8080), timeout=5)
    h.wait_for("tcp accepted")
    check("hostile: the connection echoes before the attack", echo_ok(c))
    cport = c.getsockname()[1]
    k = conn_of(cport)
    eth = Ether(src=linux_mac, dst=stack_mac)
    ip = IP(src=NS_IP, dst=STACK_IP)

    def seg(**kw):
        t = dict(sport=cport, dport=8080, flags="A", seq=k["rcv_nxt"], ack=k["snd_nxt"],
                 window=64240)
        t.update(kw)
        return TCP(**t)

    n0, t0 = stats()
    # Checksums: one bad IPv4 header checksum, one bad TCP checksum.
    send([eth / IP(src=NS_IP, dst=STACK_IP, chksum=0x1234) / seg() / b"junk",
          eth / ip / seg(chksum=0xdead) / b"junk"])
    n1, t1 = stats()
    check("hostile: bad IPv4 checksum counted", n1["ip_bad_checksum"] == n0["ip_bad_checksum"] + 1,
          (n0["ip_bad_checksum"], n1["ip_bad_checksum"]))
    check("hostile: bad TCP checksum counted", t1["bad_checksum"] == t0["bad_checksum"] + 1,
          (t0["bad_checksum"], t1["bad_checksum"]))

    # Truncated and oversized headers.
    good = bytes(eth / ip / seg() / b"hello")
    ip6 = IP(src=NS_IP, dst=STACK_IP, proto=6)  # scapy would say 0 in front of Raw
    tcp_doff15 = eth / ip6 / Raw(bytes(seg(dataofs=15)))  # data offset past the segment
    # (Frames shorter than an Ethernet header cannot be written to a tap; net_scapy
    # feeds those to the stack directly.)
    send([Raw(good[:14]),                       # an Ethernet header and nothing after it
          Raw(good[:14 + 12]),                  # half an IPv4 header
          eth / IP(src=NS_IP, dst=STACK_IP, ihl=15) / seg(),  # IHL past the packet
          eth / IP(src=NS_IP, dst=STACK_IP, len=1400) / seg() / b"x",  # length past the frame
          tcp_doff15,
          eth / ip6 / Raw(bytes(seg())[:12])])  # a TCP header cut short
    n2, t2 = stats()
    check("hostile: truncated/oversized IPv4 headers counted (4 frames)",
          n2["ip_bad_header"] + n2["ip_bad_length"] + n2["rx_short"] ==
          n1["ip_bad_header"] + n1["ip_bad_length"] + n1["rx_short"] + 4, (n1, n2))
    check("hostile: bad TCP data offsets and short TCP headers counted",
          t2["bad"] == t1["bad"] + 2, (t1["bad"], t2["bad"]))

    # Bogus options: IPv4 options of garbage (skipped), TCP options that overrun the
    # header or have impossible lengths (the MSS falls back to 536), on SYNs to the
    # listener and on a segment of the connection.
    bad_opts = [b"\x02\x00\x05\xb4", b"\x02\x01", b"\xfe\x28" + b"\x00" * 6, b"\x03\x03"]
    frames = [eth / IP(src=NS_IP, dst=STACK_IP, options=b"\xff\x02\x00\x00\x07\x28") / seg()]
    for i, o in enumerate(bad_opts):
        raw = bytearray(bytes(TCP(sport=40000 + i, dport=8080, flags="S", seq=1000,
                                  options=[("NOP", None)] * 8)))
        raw[20:20 + len(o)] = o
        frames.append(eth / IP(src=NS_IP, dst=STACK_IP, proto=6) / Raw(bytes(raw)))
    send(frames)
    check("hostile: the connection echoes after bad checksums, headers and options",
          echo_ok(c))

    # Segments of the connection that must not reach the stream: data far outside the
    # window, data with an ACK for bytes never sent, and wholly old (overlapping) data.
    k = conn_of(cport)
    _, t3 = stats()
    send([eth / ip / seg(seq=(k["rcv_nxt"] + 1_000_000) & 0xffffffff, flags="PA") / b"OUTSIDE",
          eth / ip / seg(ack=(k["snd_nxt"] + 100_000) & 0xffffffff, flags="PA") / b"BADACK",
          eth / ip / seg(seq=(k["rcv_nxt"] - 4) & 0xffffffff, flags="PA") / b"OLD!"])
    _, t4 = stats()
    check("hostile: out-of-window data not queued", t4["ooo_queued"] == t3["ooo_queued"], (t3, t4))
    check("hostile: data with an unacceptable ACK dropped (RFC 5961 5.2)",
          t4["ack_unacceptable"] == t3["ack_unacceptable"] + 1, (t3, t4))
    check("hostile: the stream is unchanged after overlapping, old and out-of-window data",
          echo_ok(c))

    # RSTs: far outside the window (ignored), in the window but not at RCV.NXT (a
    # challenge ACK, RFC 5961 3), both leave the connection up.
    k = conn_of(cport)
    send([eth / ip / seg(seq=(k["rcv_nxt"] + 3_000_000) & 0xffffffff, flags="R"),
          eth / ip / seg(seq=(k["rcv_nxt"] + 100) & 0xffffffff, flags="R")])
    _, t5 = stats()
    check("hostile: in- and out-of-window RSTs counted", t5["rst_rx"] == t4["rst_rx"] + 2, t5)
    check("hostile: the connection survives both RSTs", echo_ok(c) and
          conn_of(cport)["state"] == "established")

    # A SYN flood from addresses on the link that never answer ARP: the half-open cap
    # holds, the oldest half-open connection gives way, the established connection
    # keeps working, and a new connection from Linux gets in during the flood.
    flood = [eth / IP(src=f"10.213.0.{100 + i % 100}", dst=STACK_IP) /
             TCP(sport=1024 + i, dport=8080, flags="S", seq=rnd.getrandbits(32))
             for i in range(400)]
    send(flood)
    _, t6 = stats()
    check("hostile: SYN flood fills the half-open slots and evicts the oldest",
          t6["half_open_evicted"] >= 300, t6["half_open_evicted"])
    check("hostile: the established connection works during the flood", echo_ok(c))
    c2 = socket.create_connection((STACK_IP, 8080), timeout=5)
    h.wait_for("tcp accepted")
    check("hostile: a new connection is accepted after the flood", echo_ok(c2))
    c2.close()

    # ARP spoofing: a claim to the stack's own address, and a gratuitous reply moving
    # Linux's address to another MAC. Neither is learnt: traffic still reaches Linux.
    evil = "02:ee:ee:00:00:01"
    n6, _ = stats()
    send([Ether(src=evil, dst="ff:ff:ff:ff:ff:ff") /
          ARP(op=2, hwsrc=evil, psrc=STACK_IP, hwdst="ff:ff:ff:ff:ff:ff", pdst=STACK_IP),
          Ether(src=evil, dst="ff:ff:ff:ff:ff:ff") /
          ARP(op=2, hwsrc=evil, psrc=NS_IP, hwdst="ff:ff:ff:ff:ff:ff", pdst=NS_IP),
          Ether(src=evil, dst=stack_mac) /
          ARP(op=1, hwsrc=evil, psrc=NS_IP, hwdst="00:00:00:00:00:00", pdst=STACK_IP)])
    n7, _ = stats()
    check("hostile: a claim to our own address is counted and not learnt",
          n7["arp_own_claimed"] == n6["arp_own_claimed"] + 1, n7)
    check("hostile: gratuitous MAC changes for the peer are ignored",
          n7["arp_mac_change_ignored"] == n6["arp_mac_change_ignored"] + 2, n7)
    check("hostile: the connection still reaches Linux after ARP spoofing", echo_ok(c))

    # DNS: an answer to a port with no query is dropped (port unreachable); with a query
    # outstanding, answers with the wrong ID or question are ignored and counted, and
    # the genuine answer still resolves.
    send([eth / ip / UDP(sport=53, dport=53535) /
          DNS(id=7, qr=1, qd=DNSQR(qname="evil.test"), an=DNSRR(rrname="evil.test", rdata="6.6.6.6"))])
    n8, _ = stats()
    check("hostile: a DNS answer nobody asked for is dropped",
          n8["udp_no_port"] == n7["udp_no_port"] + 1, n8)
    h.send(f"dnsserver {NS_IP}")
    h.wait_for("dnsserver ok")
    sniffer = AsyncSniffer(iface=tap, filter="udp dst port 53", count=1)
    sniffer.start()
    time.sleep(0.2)
    h.send("dns real.test")
    sniffer.join(timeout=3)
    q = sniffer.results[0] if sniffer.results else None
    if q is None:
        check("hostile: the resolver's query seen", False, "no query")
    else:
        qid, qport = q[DNS].id, q[UDP].sport
        base = eth / ip / UDP(sport=53, dport=qport)
        send([base / DNS(id=(qid + 1) & 0xffff, qr=1, rd=1, ra=1, qd=DNSQR(qname="real.test"),
                         an=DNSRR(rrname="real.test", rdata="6.6.6.6")),
              base / DNS(id=qid, qr=1, rd=1, ra=1, qd=DNSQR(qname="other.test"),
                         an=DNSRR(rrname="other.test", rdata="6.6.6.6")),
              base / DNS(id=qid, qr=1, rd=1, ra=1, qd=DNSQR(qname="real.test"),
                         an=DNSRR(rrname="real.test", rdata="10.213.0.77"))])
        line = h.wait_for("dns real.test", timeout=5)
        check("hostile: forged DNS answers ignored, the genuine one resolves",
              "ok addrs=10.213.0.77" in line, line)
        h.send("dnsstats")
        ds = fields(h.wait_for("dnsstats"))
        check("hostile: both forged DNS answers counted as mismatched",
              int(ds["mismatched"]) == 2, ds)

    check("hostile: after everything the connection carries data intact", echo_ok(c, 20000))
    c.close()
    h.wait_for("tcp closed", timeout=5)
