#!/usr/bin/env python3
"""The network stack component through a lossy network (idl/systems/netstack.system): the
guest's NIC uses QEMU's `-netdev socket,udp=` backend into tools/net_relay.py, which
forwards to a tap device in a private namespace (Linux 10.213.9.1, dnsmasq) and drops
5 % of the frames, duplicates 1 %, holds back 2 % (overtaken by later ones) and delays
every frame 1 ms plus up to 1 ms, both ways. The guest's client sends 16 MiB to a Linux
server and receives 16 MiB from it, SHA-256 on both ends, and its echo server returns
200,000 bytes to a Linux client; the relay's counters must show frames really dropped,
duplicated and reordered both ways, the stack's counters retransmissions and no bad
frame, and tcpdump's capture on the tap, decoded by tshark, no malformed packet and no
checksum error. ANVAYA_NETSTACK_LOSS_SEED picks the relay's seed (default 11);
ANVAYA_NETSTACK_LOSS_MIB the size Linux sends (default 4 MiB: the guest sends the 16 MiB its
image says; 16 makes both ways 16 MiB, about a minute longer).
ANVAYA_NETSTACK_LOSS_PCAP=FILE keeps the tap's capture there, pass or fail.
Exits 77 (skip) without root, /dev/net/tun, iproute2 or dnsmasq.

    test_netstack_loss.py --image netstack.img [--timeout S]"""
import hashlib
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools"))
sys.path.insert(0, HERE)
import test_netstack as ns  # noqa: E402
import dnsmasq_peer  # noqa: E402

RELAY = os.path.join(HERE, "..", "..", "tools", "net_relay.py")
SEED = int(os.environ.get("ANVAYA_NETSTACK_LOSS_SEED", "11"))
RECV_SIZE = int(os.environ.get("ANVAYA_NETSTACK_LOSS_MIB", "4")) << 20
RELAY_ARGS = ["--drop", "0.05", "--dup", "0.01", "--reorder", "0.02", "--reorder-ms", "4",
              "--delay-ms", "1", "--jitter-ms", "1", "--seed", str(SEED)]


def free_udp_ports(n):
    """n distinct UDP ports on 127.0.0.1 that were free a moment ago."""
    socks, ports = [], []
    for _ in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("127.0.0.1", 0))
        socks.append(s)
        ports.append(s.getsockname()[1])
    for s in socks:
        s.close()
    return ports


class Relay:
    """tools/net_relay.py as a child process: its stdout read by a thread, line by line."""

    def __init__(self, tap, local, remote):
        self.p = subprocess.Popen(
            ["/usr/bin/python3", RELAY, "--tap", tap, "--local", f"127.0.0.1:{local}",
             "--remote", f"127.0.0.1:{remote}"] + RELAY_ARGS,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.lines = []
        self.cv = threading.Condition()
        threading.Thread(target=self._reader, daemon=True).start()

    def _reader(self):
        for line in self.p.stdout:
            with self.cv:
                self.lines.append(line.strip())
                self.cv.notify_all()

    def wait_for(self, prefix, timeout=10, start=0):
        end = time.monotonic() + timeout
        with self.cv:
            while True:
                for k in range(start, len(self.lines)):
                    if self.lines[k].startswith(prefix):
                        return self.lines[k], k
                left = end - time.monotonic()
                if left <= 0 or self.p.poll() is not None:
                    raise RuntimeError(f"relay: no '{prefix}' line: {self.lines[-5:]}")
                self.cv.wait(min(left, 0.5))

    def stats(self):
        start = len(self.lines)
        self.p.stdin.write("stats\n")
        self.p.stdin.flush()
        line, _ = self.wait_for("relay stats", start=start)
        return dict(kv.split("=", 1) for kv in line.split()[2:])

    def stop(self):
        if self.p.poll() is None:
            try:
                self.p.stdin.write("quit\n")
                self.p.stdin.flush()
                self.p.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                self.p.kill()
                self.p.wait()


def start_capture(tap, path):
    """tcpdump on the tap, whole frames, written as they come; None without tcpdump."""
    if not shutil.which("tcpdump"):
        return None
    p = subprocess.Popen(["tcpdump", "-i", tap, "-U", "-s", "0", "-Z", "root", "-w", path],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    for line in p.stderr:  # "listening on ..." once the capture runs
        if "listening on" in line:
            break
    threading.Thread(target=lambda: p.stderr.read(), daemon=True).start()
    return p


def conflicting_overlaps(path):
    """Reads the pcap (libpcap format, Ethernet) and replays every TCP stream's payload by
    sequence number: returns the segments (frame number, ports, stream offset) that carry
    different bytes than an earlier segment for the same sequence numbers. A correct
    sender's retransmissions repeat its bytes exactly, however it cuts them."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24 or data[:4] != b"\xd4\xc3\xb2\xa1":
        return [("not a little-endian pcap", path)]
    off, n, flows, found = 24, 0, {}, []
    while off + 16 <= len(data) and len(found) < 10:
        incl = int.from_bytes(data[off + 8:off + 12], "little")
        pkt = data[off + 16:off + 16 + incl]
        off += 16 + incl
        n += 1
        if len(pkt) < 54 or pkt[12:14] != b"\x08\x00" or pkt[23] != 6:
            continue
        ihl = (pkt[14] & 15) * 4
        ip = pkt[14:14 + int.from_bytes(pkt[16:18], "big")]
        tcp = ip[ihl:]
        if len(tcp) < 20:
            continue
        sport, dport = int.from_bytes(tcp[0:2], "big"), int.from_bytes(tcp[2:4], "big")
        seq = int.from_bytes(tcp[4:8], "big")
        payload = tcp[(tcp[12] >> 4) * 4:]
        key = (ip[12:16], sport, ip[16:20], dport)
        if tcp[13] & 2:  # SYN: the stream starts after it
            flows[key] = [seq + 1, bytearray(), bytearray()]
            continue
        if key not in flows or not payload:
            continue
        base, buf, have = flows[key]
        rel = (seq - base) & 0xFFFFFFFF
        if rel > 1 << 30:  # before the SYN's sequence number (never in a correct stream)
            continue
        end = rel + len(payload)
        if len(buf) < end:
            buf.extend(bytes(end - len(buf)))
            have.extend(bytes(end - len(have)))
        seen = have[rel:end]
        if seen.count(0) == 0:
            if buf[rel:end] != payload:
                found.append((n, sport, dport, rel))
        elif seen.count(1) == 0:
            buf[rel:end] = payload
            have[rel:end] = b"\x01" * len(payload)
        else:
            for i, b in enumerate(payload):
                if have[rel + i] and buf[rel + i] != b:
                    found.append((n, sport, dport, rel + i))
                    break
                buf[rel + i], have[rel + i] = b, 1
    return found


def classify_retransmissions(path, ip):
    """The guest's retransmissions to the Linux server, against what Linux had told it
    (as the tap saw it) when each was sent: a list of (stream, kind) with kind "hole" (some
    byte neither acknowledged nor SACKed), "sacked" (every byte inside Linux's SACK
    blocks above its ACK) or "acked" (below Linux's cumulative ACK: that ACK was still on
    its way or lost). Linux's blocks are taken as a union above its latest ACK; it does
    not renege. The relay's duplicates (the same IP ID again) are no retransmissions."""
    r = subprocess.run(["tshark", "-n", "-r", path, "-Y", f"tcp.port == {ns.SERVER_PORT}",
                        "-d", f"tcp.port=={ns.SERVER_PORT},data",
                        "-T", "fields", "-E", "separator=|", "-E", "aggregator=;",
                        "-e", "tcp.stream", "-e", "ip.src", "-e", "tcp.seq", "-e", "tcp.len",
                        "-e", "tcp.ack", "-e", "tcp.options.sack_le", "-e", "tcp.options.sack_re",
                        "-e", "tcp.analysis.retransmission", "-e", "ip.id",
                        "-e", "frame.time_relative"],
                       capture_output=True, text=True, timeout=240)
    if r.returncode != 0:
        return None
    acked, sacked, out, ids, last, quiet = {}, {}, [], set(), {}, {}
    for line in r.stdout.splitlines():
        f = line.split("|")
        if len(f) < 10 or not f[2] or not f[3]:
            continue
        st, src, seq, n = f[0], f[1], int(f[2]), int(f[3])
        if src != ip:  # Linux: its ACK and blocks for the guest's data
            if f[4]:
                a = int(f[4])
                if a > acked.get(st, 0):
                    acked[st] = a
            blk = sacked.setdefault(st, [])
            if f[5] and f[6]:
                for le, re_ in zip(f[5].split(";"), f[6].split(";")):
                    if int(re_) > int(le):
                        blk.append((int(le), int(re_)))
            blk[:] = [(max(le, acked.get(st, 0)), re_) for le, re_ in blk if re_ > acked.get(st, 0)]
            continue
        if n == 0 or (st, f[8]) in ids:
            continue
        ids.add((st, f[8]))
        now = float(f[9])
        # A pause of 100 ms or more in the guest's data (the RTO floor is 200 ms) is a
        # timeout; go-back-N follows it and may resend what Linux had SACKed.
        if now - last.get(st, now) >= 0.1:
            quiet[st] = now
        last[st] = now
        if not f[7]:
            continue
        end = seq + n
        if end <= acked.get(st, 0):
            out.append((st, "acked"))
            continue
        lo = max(seq, acked.get(st, 0))
        covered = 0
        for le, re_ in sorted(set(sacked.get(st, []))):  # merged walk over the union
            if re_ <= lo or le >= end:
                continue
            s0, e0 = max(le, lo), min(re_, end)
            if s0 <= lo + covered:
                covered = max(covered, e0 - lo)
        kind = "hole"
        if lo + covered >= end:
            kind = "sacked after a timeout" if now - quiet.get(st, -9) < 0.05 else "sacked"
        out.append((st, kind))
    return out


def check_sack(s, path, ip):
    """RFC 2018 in the capture: the guest's SYN to the server permits SACK, Linux's SYN-ACK
    permits it back, and while Linux's data waits out of order in the guest, the guest's
    ACKs carry SACK blocks (up to 4)."""
    r = subprocess.run(["tshark", "-n", "-r", path, "-Y", f"tcp.port == {ns.SERVER_PORT}",
                        "-T", "fields", "-E", "separator=,", "-e", "ip.src", "-e", "tcp.flags.syn",
                        "-e", "tcp.flags.ack", "-e", "tcp.options.sack_perm",
                        "-e", "tcp.options.sack.count"],
                       capture_output=True, text=True, timeout=240)
    s.check(r.returncode == 0, f"tshark reads the capture for SACK ({r.stderr.strip()[:200]})")
    syn_perm = synack_perm = False
    blocks = {}
    for line in r.stdout.splitlines():
        f = line.split(",")
        if len(f) < 5:
            continue
        src, syn, ack, perm, count = f[:5]
        if syn in ("1", "True"):
            if src == ip and ack in ("0", "False"):
                syn_perm = syn_perm or perm != ""
            elif src != ip and ack in ("1", "True"):
                synack_perm = synack_perm or perm != ""
        elif src == ip and count:
            blocks[count] = blocks.get(count, 0) + 1
    s.check(syn_perm, "the guest's SYN permits SACK")
    s.check(synack_perm, "Linux's SYN-ACK permits SACK")
    s.check(sum(blocks.values()) > 0 and all(c in ("1", "2", "3", "4") for c in blocks),
            f"the guest's ACKs carry SACK blocks, 1 to 4 of them ({blocks})")
    print(f"capture: the guest's ACKs with SACK blocks, by count: {dict(sorted(blocks.items()))}")
    kinds = classify_retransmissions(path, ip)
    s.check(kinds is not None, "tshark reads the capture for the guest's retransmissions")
    count = {k: sum(1 for _, kk in kinds if kk == k)
             for k in ("hole", "sacked", "sacked after a timeout", "acked")}
    print(f"capture: the guest's retransmissions to Linux: {len(kinds)}, into holes "
          f"{count['hole']}, of data Linux had SACKed {count['sacked']} (and within 50 ms "
          f"of a timeout {count['sacked after a timeout']}), below its ACK {count['acked']}")
    # The sender retransmits by its scoreboard: holes, not what Linux holds. What it may
    # still resend: go-back-N after a timeout (the scoreboard is cleared, RFC 6675 5.1),
    # and data whose SACK the relay dropped on the way to the guest.
    s.check(count["hole"] * 2 >= len(kinds) and count["sacked"] * 50 <= len(kinds),
            f"the guest's retransmissions are holes, not data Linux had SACKed ({count})")


def check_capture(s, p, path):
    """Ends tcpdump and has tshark decode the file with IP, TCP and UDP checksums
    validated: the expert report must hold no malformed packet and no checksum error."""
    s.check(p is not None, "tcpdump installed to capture the tap")
    p.terminate()
    p.wait(timeout=10)
    s.check(shutil.which("tshark") is not None, "tshark installed to decode the capture")
    opts = []
    for o in ("ip.check_checksum", "tcp.check_checksum", "udp.check_checksum"):
        opts += ["-o", o + ":TRUE"]
    # The transfers carry random bytes. On a port with no dissector of its own (5001) tshark
    # tries its heuristic dissectors, and now and then one (Thrift) takes a segment for its
    # protocol and asks TCP to reassemble what follows; the retransmissions that loss brings
    # then overlap that reassembly and tshark reports each as "Malformed: New fragment
    # overlaps old data" although their bytes are the same (conflicting_overlaps checks
    # that itself). Both streams are plain data to this test, so tshark is told so.
    opts += ["-d", f"tcp.port=={ns.SERVER_PORT},data", "-d", f"tcp.port=={ns.ECHO_PORT},data"]
    r = subprocess.run(["tshark", "-n", "-r", path] + opts + ["-q", "-z", "expert,error"],
                       capture_output=True, text=True, timeout=240)
    # capinfos counts the packets without decoding them a second time.
    m = re.search(r"Number of packets:\s*(\d+)",
                  subprocess.run(["capinfos", "-c", "-M", path], capture_output=True, text=True,
                                 timeout=60).stdout)
    npk = range(int(m.group(1)) if m else 0)
    # The rule: no malformed packet and no checksum error. Other expert errors
    # are printed (they say something about the run) but are not this check's business.
    bad = [ln for ln in r.stdout.splitlines()
           if re.search(r"\bMalformed\b", ln) or "checksum" in ln.lower()]
    others = [ln.strip() for ln in r.stdout.splitlines()
              if re.match(r"\s+\d+\s", ln) and ln not in bad]
    if others:
        print(f"capture: tshark's other expert errors: {others}", flush=True)
    if bad:
        print(f"capture: tshark reports {bad[:5]}; segments contradicting earlier ones: "
              f"{conflicting_overlaps(path)}", flush=True)
    s.check(r.returncode == 0 and len(npk) > (ns.TRANSFER + RECV_SIZE) // 1460 and not bad,
            f"tshark decodes the capture ({len(npk)} packets): no malformed packet, no "
            f"checksum error ({r.returncode}, {r.stderr[-300:]!r}, {bad[:10]})")
    print(f"capture: {len(npk)} packets on the tap, no malformed packet, no checksum error")
    conflicts = conflicting_overlaps(path)
    s.check(not conflicts, f"no TCP segment in the capture contradicts an earlier one for the "
            f"same sequence numbers: {conflicts}")


def scenario(args):
    tap = "anvls" + secrets.token_hex(3)
    tmp = tempfile.mkdtemp(prefix="anvnetloss-")
    dnsmasq = relay = cap = None
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        ns.sh("ip", "link", "set", "lo", "up")
        qemu_port, relay_port = free_udp_ports(2)
        relay = Relay(tap, relay_port, qemu_port)  # it creates the tap
        relay.wait_for("relay ready")
        ns.sh("ip", "addr", "add", ns.NS_IP + "/24", "dev", tap)
        ns.sh("ip", "link", "set", tap, "up")
        cap_path = os.path.join(tmp, "loss.pcap")
        cap = start_capture(tap, cap_path)
        dnsmasq = ns.start_dnsmasq(tap, tmp)
        server = ns.TcpServer(io_timeout=180, send_size=RECV_SIZE)
        server.start()
        udp.bind((ns.NS_IP, ns.UDP_PORT))
        udp.settimeout(5)
        netdev = f"net:socket,udp=127.0.0.1:{relay_port},localaddr=127.0.0.1:{qemu_port}"
        s = args.session(devices=[netdev, "rng"], timeout=max(args.timeout, 400))
        t_boot = time.monotonic()
        s.start()
        s.expect(r"virtio-net: device in slot 0 \(modern\), mac ([0-9a-f:]{17})")
        mac = s.expect(r"netstack: mac ([0-9a-f:]{17}), dhcp discover sent").group(1)
        m = s.expect(r"netstack: dhcp bound ip (10\.213\.9\.\d+) mask 255\.255\.255\.0 router "
                     r"10\.213\.9\.1 dns 10\.213\.9\.1 lease 120 s", timeout=60)
        ip = m.group(1)
        leases = open(os.path.join(tmp, "leases")).read()
        s.check(any(mac in line and ip in line for line in leases.splitlines()),
                f"dnsmasq's lease file holds {mac} {ip} (DHCP through the relay): {leases!r}")
        p = ns.sh("ping", "-c", "10", "-i", "0.2", "-W", "2", ip, check_rc=False)
        got = re.search(r"(\d+) received", p.stdout)
        s.check(got is not None and int(got.group(1)) >= 5,
                f"Linux pings the guest through the relay (most of 10 answered): {p.stdout}")
        s.expect(r"netstack: ping 10\.213\.9\.1: 3 sent, (\d) replies")
        ns.check_lookups(s, timeout=60)
        s.expect(r"netclient: connect 10\.213\.9\.1:5001 -> ok", timeout=60)
        t0 = time.monotonic()
        m = s.expect(r"netclient: tcp sent (\d+) bytes in (\d+) ms sha256 ([0-9a-f]{64})",
                     timeout=200)
        sent_ms = int(m.group(2))
        server.join(200)
        s.check(server.error is None, f"the Linux server ran without error ({server.error})")
        s.check(int(m.group(1)) == ns.TRANSFER and server.got == ns.TRANSFER and
                server.got_hash == m.group(3),
                f"guest -> Linux through loss: {server.got} bytes, sha256 {server.got_hash} vs "
                f"{m.group(3)}")
        m = s.expect(r"netclient: tcp received (\d+) bytes in (\d+) ms sha256 ([0-9a-f]{64}) "
                     r"\(ended CLOSED\)", timeout=200)
        recv_ms = int(m.group(2))
        s.check(int(m.group(1)) == RECV_SIZE and m.group(3) == server.sent_hash,
                f"Linux -> guest through loss: {m.group(1)} bytes, sha256 {m.group(3)} vs "
                f"{server.sent_hash}")
        t_transfers = time.monotonic() - t0
        s.expect(rf"netclient: listen on {ns.ECHO_PORT} -> ok")
        data = os.urandom(ns.ECHO_BYTES)
        back = ns.echo_client(ip, data)
        s.check(back == data, f"the guest's echo server returned {len(data)} bytes exactly "
                f"through the relay (got {len(back)})")
        m = s.expect(r"netclient: echoed (\d+) bytes sha256 ([0-9a-f]{64}) \(ended CLOSED, "
                     r"close ok/ok\)")
        s.check(int(m.group(1)) == ns.ECHO_BYTES and m.group(2) == hashlib.sha256(data).hexdigest(),
                "the echo server's own count and hash")
        try:
            with socket.create_connection((ip, ns.ECHO_PORT), timeout=20) as c:
                # The stack's RST may be the frame the relay drops: a byte sent makes Linux
                # retransmit until the stack answers it (with a RST, as it holds nothing).
                c.sendall(b"x")
                outcome = f"read {c.recv(10)!r}"
        except ConnectionResetError:
            outcome = "reset"
        except OSError as e:
            outcome = repr(e)
        s.check(outcome == "reset", f"a connection to the closed listener's port is reset ({outcome})")
        # UDP has no retransmission: a datagram the relay drops stays lost, and the client
        # says so (its wait ends after 10 s). Count those outcomes; all else must pass.
        s.expect(r"netclient: udp 4000 -> 10\.213\.9\.1:9999 -> ok")
        try:
            d, addr = udp.recvfrom(2048)
        except socket.timeout:
            d, addr = b"", None
        if addr:
            s.check(d == b"netclient udp hello" and addr == (ip, 4000),
                    f"the guest's datagram from port 4000 ({d!r} from {addr})")
            udp.sendto(d[::-1], addr)
        m = s.expect(r"netclient: udp from \S+ -> (\w+), (\d+) bytes '([^']*)'", timeout=30)
        udp_lost = m.group(1) != "ok"
        s.check(udp_lost and (m.group(1), m.group(2)) == ("AGAIN", "0") or
                not udp_lost and addr is not None and m.group(3) == "olleh pdu tneilcten",
                f"the UDP reply arrived or was lost by the relay (guest: {m.group(0)!r}; "
                f"Linux got {d!r})")
        m = s.expect(r"netclient: stack stats ok: rx (\d+) tx (\d+) bad (\d+) retransmits (\d+)")
        rx, tx, bad, rexmit = (int(g) for g in m.groups())
        s.check(bad == 0, f"no bad frame counted ({bad}): loss is not corruption")
        s.check(rexmit > 0, f"the stack retransmitted what the relay dropped ({rexmit})")
        s.expect(rf"netclient: done, {1 if udp_lost else 0} failures")
        s.expect_exit(1 if udp_lost else 0)
        t_all = time.monotonic() - t_boot
        rs = relay.stats()
        for d in ("udp_to_tap", "tap_to_udp"):
            s.check(int(rs[f"{d}_dropped"]) > 0 and int(rs[f"{d}_duplicated"]) > 0 and
                    int(rs[f"{d}_reordered"]) > 0,
                    f"the relay really dropped, duplicated and reordered frames {d}: {rs}")
        s.check(int(rs["udp_to_tap_dropped"]) * 100 >= 3 * int(rs["udp_to_tap_in"]),
                f"about 5 % of the guest's frames dropped: {rs}")
        print(f"relay: seed {SEED}, guest->tap {rs['udp_to_tap_in']} in, "
              f"{rs['udp_to_tap_dropped']} dropped, {rs['udp_to_tap_duplicated']} duplicated, "
              f"{rs['udp_to_tap_reordered']} reordered; tap->guest {rs['tap_to_udp_in']} in, "
              f"{rs['tap_to_udp_dropped']} dropped, {rs['tap_to_udp_duplicated']} duplicated, "
              f"{rs['tap_to_udp_reordered']} reordered")
        print(f"stack: rx {rx} frames, tx {tx}, bad {bad}, retransmits {rexmit}; udp "
              f"{'lost' if udp_lost else 'delivered'}")
        mib, rmib = ns.TRANSFER / (1 << 20), RECV_SIZE / (1 << 20)
        print(f"figure: through the lossy relay, tcp guest->linux {ns.TRANSFER} bytes in "
              f"{sent_ms} ms ({mib / max(sent_ms, 1) * 1000:.2f} MiB/s); linux->guest "
              f"{RECV_SIZE} bytes in {recv_ms} ms ({rmib / max(recv_ms, 1) * 1000:.2f} MiB/s); "
              f"both transfers "
              f"{t_transfers:.1f} s, the whole run {t_all:.1f} s")
        check_capture(s, cap, cap_path)
        cap = None  # ended by check_capture
        check_sack(s, cap_path, ip)
    finally:
        udp.close()
        if cap is not None:
            cap.terminate()
            cap.wait(timeout=10)
        keep = os.environ.get("ANVAYA_NETSTACK_LOSS_PCAP")
        if keep and os.path.exists(os.path.join(tmp, "loss.pcap")):  # to look at afterwards
            shutil.copyfile(os.path.join(tmp, "loss.pcap"), keep)
        dnsmasq_peer.stop(dnsmasq)
        if relay is not None:
            relay.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(ns.run_in_namespace(__file__, scenario, "anvls", 600))
