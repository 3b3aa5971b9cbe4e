"""TCP phase of test_tap.py: Linux's TCP (Python sockets in the namespace) against
lib/net's, both as server and as client, with lost segments, resets and TIME_WAIT."""
import hashlib
import os
import socket
import struct
import threading
import time

NS_IP, STACK_IP = "10.213.0.1", "10.213.0.2"


def pattern(n):
    return bytes((i * 31 + 7) & 255 for i in range(n))


def phase_tcp(h, tap, check, sh, fields):
    # 1. The stack as an echo server; Linux sends 200 KB while reading the echo. The
    #    first echo segments are dropped by the harness, so they must be retransmitted.
    h.send("tcplisten 8080")
    h.wait_for("tcplisten ok")
    data = os.urandom(200_000)
    got = bytearray()
    c = socket.create_connection((STACK_IP, 8080), timeout=5)
    line = h.wait_for("tcp accepted")
    check("tcp: linux connects to the stack's listener", f"from={NS_IP}:" in line, line)
    mss = c.getsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG)
    check("tcp: MSS option honoured (1460)", mss == 1460, mss)
    h.send("droptcp 3")
    h.wait_for("droptcp")

    def reader():
        while True:
            b = c.recv(65536)
            if not b:
                return
            got.extend(b)
    r = threading.Thread(target=reader)
    r.start()
    c.sendall(data)
    c.shutdown(socket.SHUT_WR)  # our FIN: the stack goes to CLOSE_WAIT, then closes
    r.join(timeout=20)
    check("tcp: 200 KB echoed intact through the stack", bytes(got) == data, (len(got), len(data)))
    line = h.wait_for("tcp closed")
    f = fields(line)
    check("tcp: passive close (CLOSE_WAIT, LAST_ACK) ends cleanly",
          f.get("err") == "ok" and f.get("received") == "200000", line)
    c.close()
    h.send("tcpstats")
    st = fields(h.wait_for("tcpstats"))
    check("tcp: dropped segments were retransmitted", int(st["retransmits"]) >= 1, st)
    check("tcp: RTT sampled", int(st["rtt_samples"]) >= 2, st)

    # 2. The stack as a client: it sends 100 000 bytes and closes; Linux answers with
    #    10 000 bytes and closes; the stack waits in TIME_WAIT until its clock passes 60 s.
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((NS_IP, 9090))
    srv.listen(1)
    srv.settimeout(10)
    result = {}

    def server():
        try:
            s, addr = srv.accept()
            s.settimeout(10)
            buf = bytearray()
            while True:
                b = s.recv(65536)
                if not b:
                    break
                buf.extend(b)
            result["got"] = bytes(buf)
            result["addr"] = addr
            s.sendall(pattern(10_000))
            s.close()
        except Exception as e:
            result["error"] = repr(e)
    t = threading.Thread(target=server)
    t.start()
    h.send("tcpstats")
    before = int(fields(h.wait_for("tcpstats"))["retransmits"])
    h.send("droptcp 1")  # the SYN is lost: the connect must retransmit it after the RTO
    h.wait_for("droptcp")
    t0 = time.monotonic()
    mark = len(h.log)
    h.send(f"tcpconnect {NS_IP} 9090 100000")
    h.wait_for("tcpconnect ok")
    h.wait_for("tcp connected", timeout=5)
    took = time.monotonic() - t0
    h.send("tcpstats")
    after = int(fields(h.wait_for("tcpstats"))["retransmits"])
    check("tcp: lost SYN retransmitted after the 1 s initial RTO",
          after == before + 1 and 0.9 < took < 2.5, (before, after, took))
    # The transfer may be over (and the line read past) while the stats were asked for.
    line = next((ln for ln in h.log[mark:] if ln.startswith("tcp state h=0 state=time-wait")),
                None) or h.wait_for("tcp state h=0 state=time-wait", timeout=15)
    t.join(timeout=10)
    check("tcp: stack -> linux 100 000 bytes intact", result.get("got") == pattern(100_000),
          (len(result.get("got", b"")), result.get("error")))
    check("tcp: active close reaches TIME_WAIT", "time-wait" in line, line)
    h.send("advance 61000")
    f = fields(h.wait_for("tcp closed", timeout=5))
    want = 0
    for b in pattern(10_000):
        want = (want * 31 + b) & 0xffffffff
    check("tcp: linux -> stack 10 000 bytes intact, closed after TIME_WAIT",
          f.get("err") == "ok" and f.get("received") == "10000" and f.get("sum") == f"{want:08x}", f)
    srv.close()

    # 3. Resets: a closed port on either side, and an abortive close by Linux.
    h.send(f"tcpconnect {NS_IP} 9 0")
    line = h.wait_for("tcp closed", timeout=5)
    check("tcp: RST from linux -> connection refused", "err=connection refused" in line, line)
    try:
        socket.create_connection((STACK_IP, 9), timeout=3).close()
        check("tcp: linux to a closed stack port -> ECONNREFUSED", False, "connected")
    except ConnectionRefusedError:
        check("tcp: linux to a closed stack port -> ECONNREFUSED", True)
    c = socket.create_connection((STACK_IP, 8080), timeout=5)
    h.wait_for("tcp accepted")
    c.sendall(b"x" * 100)
    c.recv(100)
    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    c.close()  # RST
    line = h.wait_for("tcp closed", timeout=5)
    check("tcp: RST from linux -> connection reset", "err=connection reset by peer" in line, line)
    h.send("tcpstats")
    st = fields(h.wait_for("tcpstats"))
    check("tcp: no bad segments from linux", st["bad"] == "0" and st["bad_checksum"] == "0", st)

    # 4. Sixteen Linux connections open at once to the stack's echo listener (the whole
    #    connection table), each sending 64 KiB of its own and reading its echo while the
    #    others do the same.
    n_conns = 16
    socks = []
    for _ in range(n_conns):
        socks.append(socket.create_connection((STACK_IP, 8080), timeout=10))
    for _ in range(n_conns):
        h.wait_for("tcp accepted")
    payloads = [os.urandom(65536) for _ in range(n_conns)]
    echoed = [bytearray() for _ in range(n_conns)]

    def run(i):
        s = socks[i]

        def rd():
            while True:
                try:
                    b = s.recv(65536)
                except OSError:
                    return
                if not b:
                    return
                echoed[i].extend(b)
        t = threading.Thread(target=rd)
        t.start()
        s.sendall(payloads[i])
        s.shutdown(socket.SHUT_WR)
        t.join(timeout=30)
        s.close()
    ths = [threading.Thread(target=run, args=(i,)) for i in range(n_conns)]
    for t in ths:
        t.start()
    for t in ths:
        t.join(timeout=40)
    good = sum(1 for i in range(n_conns) if bytes(echoed[i]) == payloads[i])
    check("tcp: 16 simultaneous connections, 64 KiB echoed intact on each", good == n_conns,
          [len(e) for e in echoed])
    closed = 0
    for _ in range(n_conns):
        f = fields(h.wait_for("tcp closed", timeout=10))
        closed += f.get("err") == "ok" and f.get("received") == "65536"
    check("tcp: all 16 closed cleanly", closed == n_conns, closed)
