#!/usr/bin/python3
"""Seeds for the lib/net fuzzers, built with scapy into the build directory: frame
sequences ([u8 clock step][u16 len][frame]...) for fuzz_net_frames, DNS responses for
fuzz_net_dns and DHCP server messages for fuzz_net_dhcp.

    make_net_seeds.py OUTDIR"""
import os
import struct
import sys
import logging
logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.all import (TCP, ARP, BOOTP, DHCP, DNS, DNSQR, DNSRR, ICMP, IP, UDP, Ether, Raw,  # noqa: E402
                       fragment, raw)

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
ME, GW, MAC, GWMAC = "192.0.2.2", "192.0.2.1", "02:00:00:00:00:02", "02:00:00:00:00:01"
MACB = bytes.fromhex("020000000002")


def seq(name, mode, frames):
    b = bytes([mode])
    for step, f in frames:
        b += struct.pack(">BH", step, len(f)) + f
    open(os.path.join(out, name), "wb").write(b)


def eth(p, src=GWMAC):
    return raw(Ether(src=src, dst=MAC) / p)


arp = raw(Ether(src=GWMAC, dst="ff:ff:ff:ff:ff:ff") / ARP(op=1, hwsrc=GWMAC, psrc=GW, pdst=ME))
ping = eth(IP(src=GW, dst=ME) / ICMP(id=1, seq=1) / Raw(b"p" * 32))
udp = eth(IP(src=GW, dst=ME) / UDP(sport=1000, dport=7) / Raw(b"hello"))
big = IP(src=GW, dst=ME, id=9) / ICMP() / Raw(b"f" * 3000)
frags = [eth(f) for f in fragment(big, fragsize=1000)]
dns_resp = raw(DNS(id=0, qr=1, rd=1, ra=1, qd=DNSQR(qname="www.example.test"),
                   an=DNSRR(rrname="www.example.test", type="CNAME", rdata="web.example.test") /
                   DNSRR(rrname="web.example.test", type="A", rdata="192.0.2.80")))
dns_frame = eth(IP(src=GW, dst=ME) / UDP(sport=53, dport=49152) / Raw(dns_resp))
seq("ip.seed", 1, [(0, arp), (1, ping), (1, udp)] + [(0, f) for f in frags] + [(1, dns_frame)])
syn = eth(IP(src=GW, dst=ME) / TCP(sport=4000, dport=80, flags="S", seq=1000, options=[("MSS", 1400)]))
synack = eth(IP(src=GW, dst=ME) / TCP(sport=80, dport=49152, flags="SA", seq=5000, ack=1))
est = eth(IP(src=GW, dst=ME) / TCP(sport=80, dport=49152, flags="PA", seq=5001, ack=1) / Raw(b"data"))
fin = eth(IP(src=GW, dst=ME) / TCP(sport=80, dport=49152, flags="FA", seq=5005, ack=1))
seq("tcp.seed", 1, [(0, arp), (1, syn), (1, synack), (1, est), (1, fin), (30, fin)])
seq("arp-only.seed", 1, [(0, arp), (20, arp)])


# SACK, the sending side: the client (ISN 0) is permitted SACK, sends the input as data
# (a frame whose last byte is 1 makes it send; the byte is Ethernet padding), and the
# peer's ACKs name blocks: holes, a D-SACK below SND.UNA, one past SND.MAX, reversed.
def sack_ack(ack, blocks, pad=b""):
    opts = [("NOP", None), ("NOP", None), ("SAck", blocks)] if blocks else []
    return eth(IP(src=GW, dst=ME) / TCP(sport=80, dport=49152, flags="A", seq=5001, ack=ack,
                                        window=8192, options=opts)) + pad


synack_sack = eth(IP(src=GW, dst=ME) / TCP(sport=80, dport=49152, flags="SA", seq=5000, ack=1,
                                           window=8192,
                                           options=[("MSS", 536), ("NOP", None), ("NOP", None),
                                                    ("SAckOK", b"")])) + b"\x01"
seq("tcp-sack.seed", 1, [(0, arp), (1, synack_sack),
                         (1, sack_ack(1, (537, 1073))), (0, sack_ack(1, (537, 1609))),
                         (0, sack_ack(1, (1609, 2145, 537, 1073))),
                         (0, sack_ack(1, (1, 537, 537, 2145), b"\x01")),
                         (0, sack_ack(1073, (1, 537, 1609, 9000, 1200, 1100))),
                         (0, sack_ack(2145, ())), (30, sack_ack(2145, ())),
                         (0, b"\xff" * 1800)])  # not Ethernet II: ignored, but makes 2144 bytes to send


def dhcp_msg(mtype):
    return (BOOTP(op=2, xid=0, yiaddr="192.0.2.50", chaddr=MACB + b"\0" * 10) /
            DHCP(options=[("message-type", mtype), ("server_id", GW), ("lease_time", 120),
                          ("subnet_mask", "255.255.255.0"), ("router", GW), ("name_server", GW),
                          "end"]))


offer = eth(IP(src=GW, dst="255.255.255.255") / UDP(sport=67, dport=68) / dhcp_msg("offer"))
ack = eth(IP(src=GW, dst="255.255.255.255") / UDP(sport=67, dport=68) / dhcp_msg("ack"))
seq("dhcp.seed", 0, [(0, offer), (1, ack), (250, ack)])
open(os.path.join(out, "dns-cname.seed"), "wb").write(b"\0" + dns_resp)
nx = raw(DNS(id=0x1234, qr=1, rcode=3, qd=DNSQR(qname="www.example.test")))
open(os.path.join(out, "dns-nx.seed"), "wb").write(b"\0" + nx)
open(os.path.join(out, "dhcp-ack.seed"), "wb").write(raw(dhcp_msg("ack")))
open(os.path.join(out, "dhcp-offer.seed"), "wb").write(raw(dhcp_msg("offer")))
