"""Relay phase of test_tap.py: the stack reaches the tap through tools/net_relay.py (5 %
of frames dropped, 1 % duplicated, 2 % held back and overtaken, 1 ms delay each way), and
16 MiB go each way at once between Linux's TCP and the stack's, checked by SHA-256.
ANVAYA_NET_RELAY_MIB sets the size (default 16) for longer runs."""
import hashlib
import os
import socket
import threading
import time

NS_IP, STACK_IP = "10.213.0.1", "10.213.0.2"


def phase_relay(h, relay, check, fields):
    size = int(os.environ.get("ANVAYA_NET_RELAY_MIB", "16")) << 20
    dirs = os.environ.get("ANVAYA_NET_RELAY_DIRS", "in,out").split(",")  # for diagnosis
    limit = 45 + size / (1 << 20) * 6  # seconds; the default run takes well under this
    h.send("tcpsink 7000")
    h.wait_for("tcpsink ok")
    data = os.urandom(size)
    want_in = hashlib.sha256(data).hexdigest()
    res = {}

    def linux_sender():  # Linux -> stack
        try:
            c = socket.create_connection((STACK_IP, 7000), timeout=limit)
            c.sendall(data)
            c.shutdown(socket.SHUT_WR)
            while c.recv(65536):
                pass
            c.close()
            res["sent"] = True
        except Exception as e:
            res["send_error"] = repr(e)

    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((NS_IP, 9191))
    srv.listen(1)
    srv.settimeout(limit)

    def linux_receiver():  # stack -> Linux
        try:
            s, _ = srv.accept()
            s.settimeout(limit)
            hs, n = hashlib.sha256(), 0
            while True:
                b = s.recv(1 << 20)
                if not b:
                    break
                hs.update(b)
                n += len(b)
            s.close()
            res["got"], res["got_sha"] = n, hs.hexdigest()
        except Exception as e:
            res["recv_error"] = repr(e)

    t0 = time.monotonic()
    threads = []
    if "out" in dirs:
        threads.append(threading.Thread(target=linux_receiver))
    if "in" in dirs:
        threads.append(threading.Thread(target=linux_sender))
    for t in threads:
        t.start()
    src_h = None
    if "out" in dirs:
        h.send(f"tcpsource {NS_IP} 9191 {size}")
        src_h = fields(h.wait_for("tcpconnect ok"))["h"]
    closed = {}
    end = time.monotonic() + limit
    time_wait = False
    while len(closed) < len(threads) and time.monotonic() < end:
        try:
            line = h.wait_for("tcp ", timeout=end - time.monotonic())
        except TimeoutError:
            break
        f = fields(line)
        if line.startswith("tcp closed"):
            closed[f["h"]] = f
        elif line.startswith(f"tcp state h={src_h} state=time-wait") and not time_wait:
            time_wait = True
            h.send("advance 61000")  # TIME_WAIT is the clock's business, not the test's
    took = time.monotonic() - t0
    for t in threads:
        t.join(timeout=10)
    srv.close()
    src = closed.get(src_h, {})
    sink = next((f for k, f in closed.items() if k != src_h), {})
    mib = size >> 20
    print(f"relay: {size} bytes each way in {took:.1f} s", flush=True)
    check(f"relay: {mib} MiB linux -> stack intact (SHA-256) through loss, duplication, "
          "reordering", sink.get("received") == str(size) and sink.get("rxsha256") == want_in
          and sink.get("err") == "ok", (sink, res.get("send_error")))
    check(f"relay: {mib} MiB stack -> linux intact (SHA-256)",
          res.get("got") == size and res.get("got_sha") == src.get("txsha256")
          and src.get("sent") == str(size) and src.get("err") == "ok",
          (src, res.get("got"), res.get("recv_error")))
    h.send("tcpstats")
    st = fields(h.wait_for("tcpstats"))
    relay.send("stats")
    rs = fields(relay.wait_for("relay stats", timeout=5))
    print(f"relay: both directions done in {took:.1f} s; stack {st}; relay {rs}", flush=True)
    check("relay: the relay really lost frames both ways",
          int(rs["udp_to_tap_dropped"]) > 0 and int(rs["tap_to_udp_dropped"]) > 0, rs)
    check("relay: losses repaired by fast retransmit and the out-of-order queue",
          int(st["fast_retransmits"]) > 0 and int(st["ooo_queued"]) > 0, st)
    check("relay: no bad segments", st["bad"] == "0" and st["bad_checksum"] == "0", st)
    # Linux permits SACK and names its holes; the stack's sender takes its blocks
    # (RFC 2018) and repairs the holes by them (RFC 6675), not one per round trip.
    check("relay: the stack's recoveries ran on Linux's SACK blocks",
          int(st["sack_blocks"]) > 0 and int(st["sack_recoveries"]) > 0 and
          int(st["sack_rexmits"]) > 0, st)
