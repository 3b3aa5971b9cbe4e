#!/usr/bin/python3
"""Frames built with scapy, fed to lib/net through net_replay, and the stack's answers
dissected by scapy: ARP, ICMP echo (plain, fragmented, via gateway, behind ARP
resolution), UDP echo and port unreachable, and malformed frames counted, not answered.

    test_scapy.py NET_REPLAY"""
import os
import struct
import subprocess
import sys
import tempfile

import logging
logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.all import (ARP, ICMP, IP, UDP, Ether, Raw, Padding, defragment, fragment,  # noqa: E402
                       raw, fuzz)

MAC = "02:00:00:00:00:02"
ME = "192.0.2.2"
GW = "192.0.2.1"
GWMAC = "02:00:00:00:00:01"
PEER = "192.0.2.9"
PEERMAC = "02:00:00:00:00:09"
REPLAY = sys.argv[1]

results = []


def run(frames):
    """frames: list of (clock_ms, bytes). Returns (list of (index, Ether), stats dict)."""
    with tempfile.TemporaryDirectory() as tmp:
        fin, fout = os.path.join(tmp, "in"), os.path.join(tmp, "out")
        with open(fin, "wb") as f:
            for t, b in frames:
                f.write(struct.pack(">IH", t, len(b)) + b)
        p = subprocess.run([REPLAY, fin, fout], capture_output=True, text=True)
        if p.returncode != 0:
            raise RuntimeError(f"net_replay exited {p.returncode}: {p.stderr[-2000:]}")
        stats = dict(line.split("=") for line in p.stderr.split())
        stats = {k: int(v) for k, v in stats.items()}
        out = []
        data = open(fout, "rb").read()
        off = 0
        while off < len(data):
            idx, n = struct.unpack(">IH", data[off:off + 6])
            out.append((idx, Ether(data[off + 6:off + 6 + n])))
            off += 6 + n
        return out, stats


def check(name, cond, detail=""):
    results.append((name, bool(cond)))
    print(("ok   " if cond else "FAIL ") + name + ("" if cond else f"  {detail}"))


def checksums_valid(pkt):
    """Rebuilds pkt with scapy computing every checksum; equal bytes mean they were right."""
    p = pkt.copy()
    for layer in (IP, ICMP, UDP):
        if layer in p:
            del p[layer].chksum
    if IP in p:
        del p[IP].len
    return raw(Ether(raw(p))) == raw(pkt)


def arp_from_gw():
    return raw(Ether(src=GWMAC, dst="ff:ff:ff:ff:ff:ff") /
               ARP(op=1, hwsrc=GWMAC, psrc=GW, pdst=ME))


def ping_from(src, mac, payload=b"x" * 56, ident=0x1234, seq=1):
    return Ether(src=mac, dst=MAC) / IP(src=src, dst=ME) / ICMP(id=ident, seq=seq) / Raw(payload)


def main():
    # ARP request → reply with our address; the asker is learnt.
    out, st = run([(0, arp_from_gw())])
    rep = out[0][1] if out else None
    check("arp reply sent", len(out) == 1 and ARP in rep and rep[ARP].op == 2, out)
    if rep is not None and ARP in rep:
        check("arp reply fields", rep[ARP].hwsrc == MAC and rep[ARP].psrc == ME and
              rep[ARP].pdst == GW and rep[ARP].hwdst == GWMAC and rep.dst == GWMAC, rep.show(dump=True))
    check("arp learnt", st["arp_learned"] == 1, st)

    # Echo request → echo reply, same id/seq/data, checksums right.
    payload = bytes(range(256)) * 2
    out, st = run([(0, arp_from_gw()), (1, raw(ping_from(GW, GWMAC, payload)))])
    reps = [p for i, p in out if i == 1]
    ok = len(reps) == 1 and ICMP in reps[0] and reps[0][ICMP].type == 0
    check("echo reply", ok, out)
    if ok:
        r = reps[0]
        check("echo reply fields", r[ICMP].id == 0x1234 and r[ICMP].seq == 1 and
              bytes(r[ICMP].payload) == payload and r[IP].dst == GW and r[IP].src == ME and
              r.dst == GWMAC and r[IP].ttl == 64, r.show(dump=True))
        check("echo reply checksums", checksums_valid(r), r.show(dump=True))

    # An Ethernet-padded minimum frame: the IP total length, not the frame, bounds the data.
    small = ping_from(GW, GWMAC, b"ab") / Padding(b"\0" * 20)
    out, st = run([(0, arp_from_gw()), (1, raw(small))])
    reps = [p for i, p in out if i == 1]
    check("padded frame: reply carries only the real payload",
          len(reps) == 1 and bytes(reps[0][ICMP].payload) == b"ab", out)

    # Fragmented echo request (3000 bytes) → reassembled, answered in fragments.
    big = bytes((i * 7) & 255 for i in range(3000))
    pkt = Ether(src=GWMAC, dst=MAC) / IP(src=GW, dst=ME, id=777) / ICMP(id=5, seq=9) / Raw(big)
    frags = fragment(pkt[IP], fragsize=1000)
    frames = [(0, arp_from_gw())] + [(1, raw(Ether(src=GWMAC, dst=MAC) / f)) for f in reversed(frags)]
    out, st = run(frames)
    check("fragments reassembled", st["frag_reassembled"] == 1, st)
    reply_frags = [p[IP] for i, p in out if IP in p]
    check("reply fragmented", len(reply_frags) == 3 and st["tx_frags"] == 2, [p.summary() for p in reply_frags])
    if reply_frags:
        whole = defragment(reply_frags)
        whole = [w for w in whole if ICMP in w]
        check("fragmented reply reassembles (scapy) to the same payload",
              len(whole) == 1 and bytes(whole[0][ICMP].payload) == big and whole[0][ICMP].type == 0,
              [w.summary() for w in whole])

    # UDP echo on port 7, checksum verified by scapy.
    u = Ether(src=GWMAC, dst=MAC) / IP(src=GW, dst=ME) / UDP(sport=5555, dport=7) / Raw(b"hello udp")
    out, st = run([(0, arp_from_gw()), (1, raw(u))])
    reps = [p for i, p in out if i == 1 and UDP in p]
    check("udp echo", len(reps) == 1 and reps[0][UDP].dport == 5555 and reps[0][UDP].sport == 7 and
          bytes(reps[0][UDP].payload) == b"hello udp", out)
    if reps:
        check("udp echo checksums", checksums_valid(reps[0]), reps[0].show(dump=True))

    # UDP without checksum (0) is accepted; a wrong checksum is dropped and counted.
    u0 = Ether(src=GWMAC, dst=MAC) / IP(src=GW, dst=ME) / UDP(sport=5555, dport=7, chksum=0) / Raw(b"nock")
    ubad = Ether(src=GWMAC, dst=MAC) / IP(src=GW, dst=ME) / UDP(sport=5555, dport=7, chksum=0x1234) / Raw(b"bad")
    out, st = run([(0, arp_from_gw()), (1, raw(u0)), (2, raw(ubad))])
    check("udp checksum 0 accepted", any(i == 1 for i, _ in out), out)
    check("udp bad checksum dropped and counted",
          not any(i == 2 for i, _ in out) and st["udp_bad_checksum"] == 1, st)

    # A closed port → ICMP port unreachable quoting the datagram.
    uc = Ether(src=GWMAC, dst=MAC) / IP(src=GW, dst=ME) / UDP(sport=4444, dport=9) / Raw(b"closed")
    out, st = run([(0, arp_from_gw()), (1, raw(uc))])
    reps = [p for i, p in out if i == 1]
    ok = len(reps) == 1 and ICMP in reps[0] and reps[0][ICMP].type == 3 and reps[0][ICMP].code == 3
    check("port unreachable", ok, out)
    if ok:
        quoted = IP(bytes(reps[0][ICMP].payload))
        check("port unreachable quotes header + 8 bytes",
              UDP in quoted and quoted[UDP].dport == 9 and len(bytes(reps[0][ICMP].payload)) == 28,
              quoted.show(dump=True))
        check("port unreachable checksums", checksums_valid(reps[0]))

    # Off-link source: the reply goes to the gateway's MAC.
    out, st = run([(0, arp_from_gw()), (1, raw(ping_from("198.51.100.7", GWMAC)))])
    reps = [p for i, p in out if i == 1]
    check("off-link reply via gateway", len(reps) == 1 and reps[0].dst == GWMAC and
          reps[0][IP].dst == "198.51.100.7", out)

    # Unknown on-link source: ARP request first, the reply held until the answer.
    arp_ans = raw(Ether(src=PEERMAC, dst=MAC) / ARP(op=2, hwsrc=PEERMAC, psrc=PEER, hwdst=MAC, pdst=ME))
    out, st = run([(0, raw(ping_from(PEER, PEERMAC))), (10, arp_ans)])
    first = [p for i, p in out if i == 0]
    second = [p for i, p in out if i == 1]
    check("arp request for unknown neighbour",
          len(first) == 1 and ARP in first[0] and first[0][ARP].op == 1 and first[0][ARP].pdst == PEER and
          first[0].dst == "ff:ff:ff:ff:ff:ff", out)
    check("queued reply flushed on arp reply",
          len(second) == 1 and ICMP in second[0] and second[0].dst == PEERMAC, out)

    # Unanswered ARP: retried, then the queued frame is dropped and counted.
    out, st = run([(0, raw(ping_from(PEER, PEERMAC)))] + [(t, b"") for t in (1100, 2200, 3300, 4400)])
    reqs = [p for _, p in out if ARP in p]
    check("arp retried then given up", len(reqs) == 3 and st["arp_queue_dropped"] == 1, (len(reqs), st))

    # Malformed frames: counted, never answered.
    good = ping_from(GW, GWMAC)
    bad_ck = good.copy()
    bad_ck[IP].chksum = 0x1111
    cases = {
        "ip_bad_checksum": raw(bad_ck),
        "ip_bad_length": raw(good)[:40],  # total length says more than the frame holds
        "ip_bad_header": raw(Ether(src=GWMAC, dst=MAC) / IP(src=GW, dst=ME, ihl=4) / ICMP()),
        "icmp_bad_checksum": raw(Ether(src=GWMAC, dst=MAC) / IP(src=GW, dst=ME) / ICMP(chksum=7)),
        "rx_short": b"\x02\x00\x00\x00\x00\x02\x02",
        "arp_bad": raw(Ether(src=GWMAC, dst=MAC, type=0x806)) + b"\x00\x01\x08\x00\x06",
        "ip_not_for_us": raw(Ether(src=GWMAC, dst=MAC) / IP(src=GW, dst="192.0.2.77") / ICMP()),
        "ip_ttl_zero": raw(Ether(src=GWMAC, dst=MAC) / IP(src=GW, dst=ME, ttl=0) / ICMP()),
        "udp_bad": raw(Ether(src=GWMAC, dst=MAC) / IP(src=GW, dst=ME, proto=17) / Raw(b"\x00\x07\x00\x07\x00\x30\x00\x00")),
        "ip_bad_source": raw(Ether(src=GWMAC, dst=MAC) / IP(src="224.0.0.1", dst=ME) / ICMP()),
    }
    for counter, frame in cases.items():
        out, st = run([(0, arp_from_gw()), (1, frame)])
        check(f"malformed counted: {counter}", st[counter] == 1 and not any(i == 1 for i, _ in out),
              (st[counter], out))
    # Not for our MAC: ignored quietly.
    out, st = run([(0, raw(Ether(src=GWMAC, dst="02:00:00:00:00:99") / IP(src=GW, dst=ME) / ICMP()))])
    check("other MAC ignored", st["rx_not_for_us"] == 1 and not out, st)
    # Broadcast echo is not answered.
    out, st = run([(0, arp_from_gw()), (1, raw(Ether(src=GWMAC, dst="ff:ff:ff:ff:ff:ff") /
                                             IP(src=GW, dst="192.0.2.255") / ICMP()))])
    check("broadcast echo not answered", not any(i == 1 for i, _ in out), out)

    # Overlapping fragments: the datagram is refused.
    p = IP(src=GW, dst=ME, id=42, proto=1)
    f1 = p.copy(); f1.flags = "MF"; f1.frag = 0; f1 = f1 / Raw(raw(ICMP()) + b"a" * 16)
    f2 = p.copy(); f2.flags = 0; f2.frag = 1; f2 = f2 / Raw(b"b" * 16)  # overlaps f1's bytes 8..23
    out, st = run([(0, arp_from_gw()), (1, raw(Ether(src=GWMAC, dst=MAC) / f1)),
                   (2, raw(Ether(src=GWMAC, dst=MAC) / f2))])
    check("overlapping fragments dropped", st["frag_overlap"] == 1 and st["frag_reassembled"] == 0, st)

    # Too large to reassemble (offset beyond the buffer).
    f3 = p.copy(); f3.flags = "MF"; f3.frag = 8000 // 8; f3 = f3 / Raw(b"c" * 512)
    out, st = run([(0, raw(Ether(src=GWMAC, dst=MAC) / f3))])
    check("oversized fragment dropped", st["frag_too_big"] == 1, st)

    # A lone first fragment times out.
    out, st = run([(0, raw(Ether(src=GWMAC, dst=MAC) / f1)), (6000, b"")])
    check("incomplete datagram times out", st["frag_timeout"] == 1, st)

    # scapy's fuzz(): random field values in every layer; the stack must survive them all
    # (ASan/UBSan watch), and whatever it answers must be well-formed.
    frames = [(0, arp_from_gw())]
    for n in range(300):
        layer = [ICMP(), UDP(dport=7) / Raw(b"z" * (n % 40)), ARP()][n % 3]
        if ARP in layer:
            frames.append((1, raw(Ether(src=GWMAC, dst=MAC) / fuzz(ARP()))))
        else:
            frames.append((1, raw(Ether(src=GWMAC, dst=MAC) / fuzz(IP(dst=ME) / layer))))
    out, st = run(frames)
    bad = [p for _, p in out if (IP in p or ICMP in p or UDP in p) and not checksums_valid(p)]
    check("scapy fuzz(): 300 random frames survived, answers well-formed", not bad and st["rx_frames"] == 301,
          [p.summary() for p in bad][:5])

    passed = sum(1 for _, ok in results if ok)
    failed = len(results) - passed
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
