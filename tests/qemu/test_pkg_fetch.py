#!/usr/bin/env python3
"""Downloads into the package service (idl/systems/pkgfetch.system) over QEMU's user-mode
network, from an HTTP server this test runs on the host (no root needed).

The server listens on 127.0.0.1 on a port chosen free now; slirp maps the guest's
10.0.2.2:PORT to it. The guest learns the port from the list of downloads the test writes
into the client's subtree of the disk image (fetchlist/list, with tools/anvaya-store): the
system grants the service `tcp-connect:10.0.2.2:*`, so the port is not built into the image,
and a fixed port would collide with parallel runs. The server offers a good signed package
(fetched, installed, then checked on the image with anvaya-store and anvaya-pkg verify), a
tampered one (fetched, refused by install with digest-mismatch), an older version of the
installed one (rollback), a 404, a body cut short, a Content-Length above the service's
limit and a chunked body that grows past it, a server that stops sending, a malformed
response, and a second publisher's package that is only staged. The client also asks for a
peer outside the grant (denied by the stack), a URL that is not http://, and a port on the
host nobody listens on; and a failed download over an already staged name, which must leave
that file as it was.

Checked on the console (every code, the stack's denial line) and on the image afterwards:
the store consistent; installed/ holds exactly the good package and extra; the version
record names both; staging/ holds only the second publisher's package and extra, byte for
byte; fetching/ is empty;
the audit file has exactly one line per fetch and install, in order.

The download of /tool.pkg is slow (nine pieces half a second apart): all through it the
watcher (pfwatch) must be answered, its list and read every 250 ms and its install of the
preloaded extra.pkg a second in, each before the fetch ends (answered_meanwhile).

ANVAYA_PKGFETCH_BENCH=1 runs the benchmark instead: three 1 MiB packages (versions 1, 2
and 3 of one name, so each install is an upgrade) fetched and installed, printing the time
and instructions of each fetch and install (ANVAYA_PKGFETCH_ICOUNT=1 adds -icount shift=0,
where the instructions are exact and the time virtual)."""
import hashlib
import http.server
import os
import re
import socket
import socketserver
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qemu_harness import ScenarioFailure, run_scenario  # noqa: E402
import pkg_fixtures as fx  # noqa: E402

OK, DIGEST, ROLLBACK = 0, 1209, 1210
URL, DENIED, NETWORK, STATUS, TRUNC, TOO_BIG, MALFORMED, TIMEOUT = range(1218, 1226)
WORD = {OK: "ok", DIGEST: "digest-mismatch", ROLLBACK: "rollback", URL: "bad-url",
        DENIED: "denied", NETWORK: "network", STATUS: "http-status", TRUNC: "http-truncated",
        TOO_BIG: "http-too-big", MALFORMED: "http-malformed", TIMEOUT: "timeout"}
MAX_PACKAGE = 2097152
SLOW_PIECES, SLOW_GAP = 9, 0.5   # the slow download: about 4 s
ALLOWED = ["console = yes", "clocks = monotonic"]
BENCH = os.environ.get("ANVAYA_PKGFETCH_BENCH") == "1"
ICOUNT = os.environ.get("ANVAYA_PKGFETCH_ICOUNT") == "1"


def free_port(host="127.0.0.1"):
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    files = {}
    requests = []
    # Paths whose body is sent in SLOW_PIECES pieces SLOW_GAP s apart (each gap well under
    # the service's 3 s fetch timeout), and when the first and last piece went out.
    slow = set()
    slow_times = {}

    def log_message(self, fmt, *a):
        pass

    def send_body(self, data):
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        Handler.requests.append(self.path)
        self.close_connection = True
        p = self.path
        if p in Handler.slow and p in Handler.files:
            data = Handler.files[p]
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Connection", "close")
            self.end_headers()
            step = -(-len(data) // SLOW_PIECES)
            t0 = time.monotonic()
            for k in range(SLOW_PIECES):
                if k:
                    time.sleep(SLOW_GAP)
                self.wfile.write(data[k * step:(k + 1) * step])
                self.wfile.flush()
            Handler.slow_times[p] = (t0, time.monotonic())
        elif p in Handler.files:
            self.send_body(Handler.files[p])
        elif p == "/short.pkg":
            data = Handler.files["/good.pkg"]
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[:len(data) // 2])
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
        elif p == "/huge.pkg":
            self.send_response(200)
            self.send_header("Content-Length", str(MAX_PACKAGE + 1))
            self.end_headers()
            self.wfile.write(b"\0" * 4096)
        elif p == "/growing.pkg":
            # Chunked, so the size is not known in advance: refused the moment it passes
            # the limit, with what was written so far removed.
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            chunk = bytes(range(256)) * 256
            try:
                for _ in range(MAX_PACKAGE // len(chunk) + 2):
                    self.wfile.write(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
                self.wfile.write(b"0\r\n\r\n")
            except OSError:
                pass
        elif p == "/stall.pkg":
            self.send_response(200)
            self.send_header("Content-Length", "100000")
            self.end_headers()
            self.wfile.write(b"\0" * 1000)
            self.wfile.flush()
            time.sleep(6)
        elif p == "/garbage.pkg":
            self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: 12x\r\n\r\nhello")
        else:
            self.send_error(404)


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def make_packages(tmp):
    keys = fx.write_keys(tmp)

    def mk(signer, name, version, size, salt):
        return fx.make_package(tmp, keys, signer, signer, name, version,
                               fx.wasm_payload(size, salt), ALLOWED)
    p = {}
    p["/good.pkg"] = mk(1, "hello", "1.1.0", 150000, 2)
    newer = bytearray(mk(1, "hello", "1.2.0", 30000, 4))
    newer[-1] ^= 0x01
    p["/tampered.pkg"] = bytes(newer)
    p["/old.pkg"] = mk(1, "hello", "1.0.0", 20000, 1)
    p["/tool.pkg"] = mk(2, "tool", "2.0.0", 9000, 8)
    return keys, p


def make_extra(tmp, keys):
    """The package the watcher installs during the slow download: preloaded, not served."""
    return fx.make_package(tmp, keys, 2, 2, "extra", "1.0.0", fx.wasm_payload(5000, 9), ALLOWED)


def list_lines(port, closed_port):
    h = f"http://10.0.2.2:{port}"
    # (url, staged file, action, fetch code, install code or None)
    return [
        (f"{h}/good.pkg", "good.pkg", "install", OK, OK),
        (f"{h}/tampered.pkg", "tampered.pkg", "install", OK, DIGEST),
        (f"{h}/old.pkg", "old.pkg", "install", OK, ROLLBACK),
        (f"{h}/tool.pkg", "tool.pkg", "fetch watched", OK, None),   # slow: see answered_meanwhile
        (f"{h}/missing.pkg", "tool.pkg", "install", STATUS, None),   # over a staged name
        (f"{h}/short.pkg", "short.pkg", "install", TRUNC, None),
        (f"{h}/huge.pkg", "huge.pkg", "install", TOO_BIG, None),
        (f"{h}/growing.pkg", "growing.pkg", "install", TOO_BIG, None),
        (f"{h}/stall.pkg", "stall.pkg", "install", TIMEOUT, None),
        (f"{h}/garbage.pkg", "garbage.pkg", "install", MALFORMED, None),
        ("http://10.0.2.3:80/good.pkg", "other.pkg", "install", DENIED, None),
        (f"ftp://10.0.2.2:{port}/good.pkg", "ftp.pkg", "install", URL, None),
        (f"http://10.0.2.2:{closed_port}/good.pkg", "closed.pkg", "install", NETWORK, None),
    ]


def audit_tuples(text):
    out = []
    for line in text.decode().splitlines():
        head = line.split(": ", 1)[0].split()
        out.append((head[0], head[1], head[2], int(head[3])))
    return out


def make_image(tmp, lines, staged=None):
    tree = os.path.join(tmp, "tree")
    os.makedirs(os.path.join(tree, "fetchlist"))
    os.makedirs(os.path.join(tree, "pkg", "staging"))
    for name, data in (staged or {}).items():
        with open(os.path.join(tree, "pkg", "staging", name), "wb") as f:
            f.write(data)
    with open(os.path.join(tree, "fetchlist", "list"), "w") as f:
        for url, name, action, *_ in lines:
            f.write(f"{url} {name} {action}\n")
    image = os.path.join(tmp, "disk.img")
    r = fx.store("mkfs", image, "--size", "16M", "--from", tree)
    if r.returncode != 0:
        raise ScenarioFailure(f"mkfs: {r.stdout!r} {r.stderr!r}")
    return image


def serve(pkgs, host="127.0.0.1", slow=()):
    Handler.files = dict(pkgs)
    Handler.requests = []
    Handler.slow = set(slow)
    Handler.slow_times = {}
    port = free_port(host)
    srv = Server((host, port), Handler)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    return srv, port


def boot(args, image, timeout):
    s = args.session(devices=["net:user@7", "rng@6", f"blk:{image}@5"],
                     timeout=max(args.timeout, timeout), icount=ICOUNT)
    s.start()
    # The client's first list is answered once the service is ready, which may be before
    # or after the lease (leased(): checked once a download has gone through).
    s.expect(r"pkgfetch: list: \(then 1213\)", timeout=60)
    # A pinned driver probes only its own slot (index 0 of its list): found means placed.
    s.find(r"virtio-net: device in slot 0 ", "the NIC in its slot")
    s.find(r"virtio-rng: device in slot 0 ", "the RNG in its slot")
    s.find(r"virtio-blk: device in slot 0 ", "the disk in its slot")
    s.find(r"pkgsvc: downloads through the network stack: 3000 ms without progress or "
           r"60000 ms in all end a download", "the service's download settings")
    return s


SLOW_PATH = "/tool.pkg"
WATCH_ROUND = re.compile(r"^pkgwatch: round \d+ at \d+ ms: (.*), answered in (\d+) ms$", re.M)
# hello's first 64 KiB until the watcher installed extra, which then lists first.
WATCH_OK = re.compile(r"list (hello 1\.1\.0, read 65536 of 150000|extra 1\.0\.0, read (\d+) of \2) -> 0")


def answered_meanwhile(s, between, fetch_ms, url):
    """The console from the slow fetch's call to its result: the watcher's list and read
    were answered, quickly, all through the download, and the service's audit line of the
    fetch comes after them (the single-threaded service answered nothing meanwhile)."""
    sent = Handler.slow_times.get(SLOW_PATH)
    s.check(sent is not None and sent[1] - sent[0] >= SLOW_GAP * (SLOW_PIECES - 1) * 0.95,
            f"the server sent {SLOW_PATH} slowly ({sent})")
    s.check(fetch_ms >= SLOW_GAP * (SLOW_PIECES - 1) * 1000 * 0.9,
            f"the slow fetch took {fetch_ms} ms")
    rounds = WATCH_ROUND.findall(between)
    s.check(all(WATCH_OK.fullmatch(what) for what, _ in rounds),
            f"every watcher round during the download listed and read a package: {rounds}")
    worst = max((int(ms) for _, ms in rounds), default=None)
    s.check(len(rounds) >= 4, f"at least 4 watcher rounds during the {fetch_ms} ms download "
            f"(got {len(rounds)})")
    s.check(worst is not None and worst < 1000,
            f"each answered in under 1 s while the download ran (slowest {worst} ms)")
    audit_at = between.find(f"pkgsvc: audit fetch {url}->staging/")
    last_round = [m.start() for m in WATCH_ROUND.finditer(between)][3]
    s.check(audit_at > last_round, "the console shows watcher rounds, then the fetch's end")
    # The second installer: a second after the download began, its install of a staged
    # package is answered (and audited) before the download ends.
    m = re.search(r"^pkgwatch: install extra\.pkg at \d+ ms -> (-?\d+)(?: \((\S+ \S+)\))?, "
                  r"answered in (\d+) ms$", between, re.M)
    s.check(m is not None and m.group(1) == "0" and m.group(2) == "extra 1.0.0",
            f"the watcher's install during the download: {m.group(0) if m else None}")
    inst_audit = between.find("pkgsvc: audit install staging/extra.pkg ok 0 extra 1.0.0")
    s.check(0 <= inst_audit < audit_at and m.start() < audit_at,
            "the install's audit line and answer come before the fetch's end")
    print(f"pkg-fetch: during the {fetch_ms} ms download of {SLOW_PATH}, {len(rounds)} watcher "
          f"rounds (list + 64 KiB read) answered, the slowest in {worst} ms; a second "
          f"client's install answered in {m.group(3)} ms")


QUEUED = "http://10.0.2.2:1/queued.pkg"   # pfwatch's queued_url in pkgfetch.system


def second_download_waited(s, audit):
    """pfwatch's fetch, asked for while the slow download ran, was answered only after that
    download's end (one download at a time), then ran: port 1 refuses (NETWORK). Returns the
    audit list with its line put where it came (after the slow fetch's; pfclient's next
    fetch may claim the downloader first)."""
    slow = s.find(rf"pkgfetch: fetching \S+{re.escape(SLOW_PATH)} at (\d+) ms\n")
    done = s.find(rf"pkgfetch: fetch \S+{re.escape(SLOW_PATH)} -> 0: \d+ bytes, (\d+) ms")
    m = s.find(rf"pkgwatch: fetch {re.escape(QUEUED)} at (\d+) ms -> (\d+), answered in (\d+) ms")
    t_slow, slow_ms, t_q = int(slow.group(1)), int(done.group(1)), int(m.group(1))
    s.check(t_slow < t_q < t_slow + slow_ms, f"the second fetch was asked for during the first "
            f"(at {t_q} ms, the first from {t_slow} ms for {slow_ms} ms)")
    s.check(m.group(2) == str(NETWORK), f"the second fetch ran and was refused ({m.group(2)})")
    slow_audit = s.find(rf"pkgsvc: audit fetch \S+{re.escape(SLOW_PATH)}->staging/\S+ ok 0")
    q_audit = s.find(rf"pkgsvc: audit fetch {re.escape(QUEUED)}->staging/queued\.pkg network "
                     r"1220: [^\n]*: connection refused \(\d+\)$")
    s.check(slow_audit.start() < q_audit.start() < m.start(),
            "the second download ran after the first had ended, then was answered")
    print(f"pkg-fetch: a second fetch asked for {t_q - t_slow} ms into the slow download "
          f"waited its turn and was answered {m.group(3)} ms later")
    return audit


def leased(s, ip="10.0.2.15", router="10.0.2.2", dns="10.0.2.3"):
    """After a download went through, the stack's lease is on the console (in whatever
    order it came with the client's first lines). The defaults are slirp's."""
    s.find(rf"netstack: dhcp bound ip {re.escape(ip)} mask 255\.255\.255\.0 router "
           rf"{re.escape(router)} dns {re.escape(dns)} ", "the lease")


def scenario(args):
    def fail(msg):
        raise ScenarioFailure(msg)

    if BENCH:
        return bench(args)
    with tempfile.TemporaryDirectory() as tmp:
        keys, pkgs = make_packages(tmp)
        extra = make_extra(tmp, keys)
        srv, port = serve(pkgs, slow=[SLOW_PATH])
        closed_port = free_port()
        try:
            lines = list_lines(port, closed_port)
            image = make_image(tmp, lines, {"extra.pkg": extra})
            s = boot(args, image, 180)
            audit = []
            for url, name, action, fc, ic in lines:
                start = s.expect(rf"pkgfetch: fetching {re.escape(url)} at \d+ ms\n").end()
                if fc == OK:
                    n = len(pkgs[url[url.rindex("/"):]])
                    m = s.expect(rf"pkgfetch: fetch {url} -> 0: {n} bytes, (\d+) ms, \d+ instructions\n")
                    if url.endswith(SLOW_PATH):
                        answered_meanwhile(s, s.log[start:m.start()], int(m.group(1)), url)
                        audit.append(("install", "staging/extra.pkg", "ok", OK))
                else:
                    s.expect(rf"pkgfetch: fetch {url} -> {fc}: 0 bytes")
                audit.append(("fetch", f"{url}->staging/{name}", WORD[fc], fc))
                if fc == OK and action == "install":
                    if ic == OK:
                        s.expect(rf"pkgfetch: install {name} -> 0 \(hello 1\.1\.0, payload 150000\)")
                    else:
                        s.expect(rf"pkgfetch: install {name} -> {ic}\n")
                    s.expect(rf"pkgfetch: unstage {name} -> 0\n")
                    audit.append(("install", f"staging/{name}", WORD[ic], ic))
            leased(s)
            s.expect(r"pkgfetch: list: extra=1\.0\.0 hello=1\.1\.0 \(then 1213\)")
            s.expect(rf"pkgfetch: done, {len(lines)} downloads asked for")
            s.expect_exit(0)
            # Each refusal's reason on the console, as in the audit file.
            s.find(r"pkgsvc: audit install staging/tampered.pkg digest-mismatch 1209 hello 1\.2\.0",
                   "the tampered package's reason")
            s.find(r"pkgsvc: audit install staging/old.pkg rollback 1210 hello 1\.0\.0: highest "
                   r"ever installed 1\.1\.0", "the rollback's reason")
            s.find(r"pkgsvc: audit fetch \S+/missing.pkg->staging/tool.pkg http-status 1221: status 404",
                   "the 404")
            s.find(r"pkgsvc: audit fetch \S+/short.pkg->staging/short.pkg http-truncated 1222: ",
                   "the short body")
            s.find(r"pkgsvc: audit fetch \S+/huge.pkg->staging/huge.pkg http-too-big 1223: ",
                   "the Content-Length above the limit")
            s.find(r"pkgsvc: audit fetch \S+/stall.pkg->staging/stall.pkg timeout 1225: nothing "
                   r"arrived in time after 1000 body bytes", "the stalled server")
            s.find(r"netstack: client 1 \(pfsvc\.net\) holds 2 grants: tcp-connect:10\.0\.2\.2:\* resolve",
                   "the service's grant")
            s.find(r"netstack: client 1 denied tcp-connect 10\.0\.2\.3:80 \(not granted\)",
                   "the stack's denial")
            s.absent(r"PANIC|BAD", "a clean run")
            second_download_waited(s, audit)
            s.close()
        finally:
            srv.shutdown()
            srv.server_close()
        asked = sorted(set(Handler.requests))
        want = sorted({u[u.index("/", 7):] for u, *_ in lines if u.startswith(f"http://10.0.2.2:{port}/")})
        if asked != want:
            fail(f"the server saw requests for {asked}, expected {want}")

        r = fx.store("check", image)
        if r.returncode != 0:
            fail(f"anvaya-store check: {r.stdout.decode(errors='replace')}")
        files = fx.snapshot(image)
        pk = {p: d for p, d in files.items() if p.startswith("pkg/")}
        expect_names = {"pkg/installed/hello", "pkg/installed/extra", "pkg/versions",
                        "pkg/audit.log", "pkg/staging/tool.pkg", "pkg/staging/extra.pkg"}
        if set(pk) != expect_names:
            fail(f"the service's subtree holds {sorted(pk)}, expected {sorted(expect_names)}")
        if pk["pkg/installed/hello"] != pkgs["/good.pkg"]:
            fail("installed/hello is not the good package byte for byte")
        if pk["pkg/installed/extra"] != extra or pk["pkg/staging/extra.pkg"] != extra:
            fail("installed/extra or staging/extra.pkg is not the preloaded package byte for byte")
        if pk["pkg/staging/tool.pkg"] != pkgs["/tool.pkg"]:
            fail("staging/tool.pkg is not what the server sent (or the failed fetch over it changed it)")
        path = os.path.join(tmp, "installed-hello.pkg")
        with open(path, "wb") as f:
            f.write(pk["pkg/installed/hello"])
        fx.run(fx.PKG_TOOL, "verify", "--pub", keys[1][1], path)
        want_rec = (f"extra 1.0.0 {hashlib.sha512(fx.signed_part(extra)).hexdigest()}\n"
                    f"hello 1.1.0 {hashlib.sha512(fx.signed_part(pkgs['/good.pkg'])).hexdigest()}\n")
        if pk["pkg/versions"].decode() != want_rec:
            fail(f"the version record is {pk['pkg/versions']!r}, expected {want_rec!r}")
        got = audit_tuples(pk["pkg/audit.log"])
        queued = ("fetch", f"{QUEUED}->staging/queued.pkg", "network", NETWORK)
        slow = [a for a in audit if a[0] == "fetch" and a[1].endswith(f"{SLOW_PATH}->staging/tool.pkg")]
        if queued not in got or not slow or slow[0] not in got or \
                got.index(queued) < got.index(slow[0]):
            fail(f"the audit file lacks the queued fetch after the slow one: {got}")
        got.remove(queued)
        if got != audit:
            fail(f"the audit file holds {got}\nexpected {audit}")
        print(f"pkg-fetch test: {len(lines)} downloads ({sum(1 for l in lines if l[3] == OK)} "
              f"accepted), {len(audit)} audit records, the image checked")


def bench(args):
    """Three 1 MiB packages (versions 1, 2, 3 of one name) fetched and installed."""
    with tempfile.TemporaryDirectory() as tmp:
        keys = fx.write_keys(tmp)
        pkgs = {f"/big-{v}.pkg": fx.make_package(tmp, keys, 1, 1, "big", f"{v}.0.0",
                                                  fx.wasm_payload(1024 * 1024, v), ALLOWED)
                for v in (1, 2, 3)}
        srv, port = serve(pkgs)
        try:
            lines = [(f"http://10.0.2.2:{port}/big-{v}.pkg", f"big-{v}.pkg", "install", OK, OK)
                     for v in (1, 2, 3)]
            image = make_image(tmp, lines)
            t0 = time.monotonic()
            s = boot(args, image, 600)
            for url, name, *_ in lines:
                m = s.expect(rf"pkgfetch: fetch {url} -> 0: (\d+) bytes, (\d+) ms, (\d+) instructions\n")
                f_bytes, f_ms, f_ins = (int(x) for x in m.groups())
                m = s.expect(rf"pkgfetch: install {name} -> 0 \(big \d\.0\.0, payload 1048576\): "
                             rf"(\d+) ms, (\d+) instructions\n")
                i_ms, i_ins = (int(x) for x in m.groups())
                print(f"pkgfetch bench: {name}: fetch {f_bytes} bytes in {f_ms} ms "
                      f"({f_ins} instructions, {f_ins / f_bytes:.0f} per byte), install in "
                      f"{i_ms} ms ({i_ins} instructions)")
            leased(s)
            s.expect(r"pkgfetch: done, 3 downloads asked for")
            s.expect_exit(0)
            s.close()
            print(f"pkgfetch bench: whole run {time.monotonic() - t0:.1f} s wall"
                  f"{', -icount shift=0' if ICOUNT else ''}")
        finally:
            srv.shutdown()
            srv.server_close()


if __name__ == "__main__":
    sys.exit(run_scenario(scenario))
