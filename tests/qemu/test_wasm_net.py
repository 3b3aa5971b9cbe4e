#!/usr/bin/env python3
"""WASI sockets in the guest (idl/systems/wasmnet.system) over QEMU's user-mode network.

The test serves a 64 KiB page with Python's http.server on 127.0.0.1 at a port chosen free
now (slirp maps the guest's 10.0.2.2:PORT to it) and writes the URL into fetch's home on
the image (apps/fetch/home/url.txt, with tools/anvaya-store): the runner's arguments are
fixed when the system is built. Checked: fetch prints the page's exact length, SHA-256 and
first line and exits 0 through init; the server saw exactly one GET of the page;
misbehave's connect (no grant) gets errno 76 (ENOTCAPABLE) without a trap, the stack logs
its DENIED line, and init logs its exit; the echo app listens on the guest's port 7
(granted `tcp-listen:7` only), takes the test's connection through slirp's host forward
(sock_accept), sends back 200,000 random bytes exactly and prints their SHA-256; the
stack's grants and the runners' Socket slots are the ones the generated CSpace manifest
shows.

ANVAYA_WASMNET_ICOUNT=1 boots with -icount shift=0 and prints the runner's instruction
counts (load, instantiate, run) for the one fetch: the benchmark figure.
ANVAYA_WASMNET_PAGE_BYTES=N serves a page of N bytes (at least 24) instead of 64 KiB, so
the cost per byte can be told from the fixed cost.

usage: test_wasm_net.py --image IMG -- APPS_DIR CSPACE_JSON"""
import hashlib
import http.server
import json
import os
import re
import socket
import socketserver
import subprocess
import sys
import tempfile
import threading

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools"))
from qemu_harness import ScenarioFailure, run_scenario  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
ICOUNT = os.environ.get("ANVAYA_WASMNET_ICOUNT") == "1"
GRANT = "tcp-connect:10.0.2.2:* resolve"
PAGE_BYTES = max(24, int(os.environ.get("ANVAYA_WASMNET_PAGE_BYTES", "65536")))


def page_bytes():
    """64 KiB (PAGE_BYTES): a first line, then numbered lines, cut to exactly that size."""
    out = bytearray(b"anvaya guest fetch page\n")
    i = 0
    while len(out) < PAGE_BYTES:
        out += b"line %06d the quick brown fox jumps over the lazy dog\n" % i
        i += 1
    return bytes(out[:PAGE_BYTES])


class Handler(http.server.SimpleHTTPRequestHandler):
    requests = []

    def log_message(self, fmt, *a):
        Handler.requests.append(self.requestline)


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def store(*argv):
    r = subprocess.run([os.path.join(ROOT, "tools", "anvaya-store"), *argv], capture_output=True)
    if r.returncode != 0:
        raise ScenarioFailure(f"anvaya-store {' '.join(argv)}: {r.stdout!r} {r.stderr!r}")
    return r.stdout


def app_stdout(log, inst):
    return "".join(m.group(1) + "\n" for m in re.finditer(rf"^{inst}> (.*?)\r?$", log, re.M))


def check_manifest(s, cspace_json):
    """The grants the stack enforces are the ones the CSpace manifest shows, on the stack
    (grants given) and on each runner's Socket slot (fetch's one grant; misbehave none)."""
    with open(cspace_json, encoding="utf-8") as f:
        system = json.load(f)
    inst = {i["name"]: i for i in system["instances"]}
    given = {g["client"]: g["grants"] for g in inst["wnnet"]["grants_given"]}
    s.check(given == {"wnfetch.net": {"allow": GRANT}, "wnmis.net": {"allow": ""},
                      "wnsrv.net": {"allow": "tcp-listen:7"}},
            f"the stack's manifest lists each runner's grant: {given!r}")
    # Every capability each runner holds, with its peer and grants: nothing beyond its
    # store subtree, its Socket endpoint (with the grant) and their dataports.
    for name, n, root, allow in (("wnfetch", 1, "apps/fetch", GRANT), ("wnmis", 2, "apps/misbehave", "")):
        got = [(c["name"], c["type"], c["peer"], c.get("grants")) for c in inst[name]["slots"]]
        want = [("cspace", "CSPACE", "", None), ("vspace", "VSPACE", "", None),
                ("thread", "THREAD", "", None), ("ipcbuf", "FRAME", "", None),
                ("fault", "ENDPOINT", "wninit (supervisor)", None),
                ("console", "CONSOLE", "", None), ("events", "NOTIFICATION", "", None),
                ("files", "ENDPOINT", "wnstore.files",
                 {"root": root, "quota_bytes": 0, "quota_entries": 0}),
                ("net", "ENDPOINT", "wnnet.sockets", {"allow": allow}),
                ("buf", "FRAME", f"wnstore.client{n}", None),
                ("pkgbuf", "FRAME", "", None),   # optional, unconnected: a page of its own
                ("netbuf", "FRAME", f"wnnet.client{n}", None)]
        s.check(got == want, f"{name}'s CSpace manifest: {got!r}")


def echo_exchange(s, addr, size=200000):
    """Connects to the guest's echo app at addr, sends size random bytes, half-closes, and
    checks every byte comes back and the app's own count and SHA-256."""
    data = os.urandom(size)
    got = b""
    with socket.create_connection(addr, timeout=30) as c:
        def send():
            c.sendall(data)
            c.shutdown(socket.SHUT_WR)
        t = threading.Thread(target=send, daemon=True)
        t.start()
        while True:
            b = c.recv(65536)
            if not b:
                break
            got += b
        t.join(30)
    s.check(got == data, f"the echo app sent back the {size} bytes exactly ({len(got)} came)")
    s.expect(rf"wnsrv> echo: echoed {size} bytes, sha256 {hashlib.sha256(data).hexdigest()}")
    s.expect(r"init: wnsrv running -> exited \(status 0\)")


def run_system(args, apps, cspace_json, bind_ip, url_host, devices, echo_addr=None):
    """Serves the page on bind_ip, boots wasmnet with the NIC devices(image) gives and fetch
    asking for http://url_host:PORT/page.txt, and checks everything; with echo_addr (where
    the guest's port 7 is reached from here) also the echo app; returns the figures."""
    body = page_bytes()
    digest = hashlib.sha256(body).hexdigest()
    with tempfile.TemporaryDirectory() as tmp:
        www = os.path.join(tmp, "www")
        os.mkdir(www)
        with open(os.path.join(www, "page.txt"), "wb") as f:
            f.write(body)
        Handler.requests = []
        srv = Server((bind_ip, 0), lambda *a, **k: Handler(*a, directory=www, **k))
        port = srv.server_address[1]
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        try:
            url = f"http://{url_host}:{port}/page.txt"
            urlfile = os.path.join(tmp, "url.txt")
            with open(urlfile, "w") as f:
                f.write(url + "\n")
            image = os.path.join(tmp, "disk.img")
            store("mkfs", image, "--size", "8M")
            for d in ("apps", "apps/fetch", "apps/fetch/home", "apps/misbehave", "apps/echo"):
                store("mkdir", image, d)
            store("put", image, "apps/echo/echo.wasm", os.path.join(apps, "echo.wasm"))
            store("put", image, "apps/fetch/fetch.wasm", os.path.join(apps, "fetch.wasm"))
            store("put", image, "apps/fetch/home/url.txt", urlfile)
            store("put", image, "apps/misbehave/misbehave.wasm",
                  os.path.join(apps, "misbehave.wasm"))
            s = args.session(devices=devices(image), timeout=max(args.timeout, 120),
                             icount=ICOUNT)
            s.start()

            def seen(pattern):
                s._pos = 0
                return s.expect(pattern)

            seen(r"netstack: dhcp bound ip 10\.0\.2\.15 ")
            seen(r"wnfetch: sockets through the network stack")
            m = seen(r"wnfetch: app exited with status 0; (\d+) WASI calls")
            calls = m.group(1)
            m = seen(r"wnfetch: instructions: load (\d+) \((\d+) module bytes\), instantiate "
                     r"(\d+), run (\d+)\r?\n")
            figures = m.groups()
            seen(r"init: wnfetch running -> exited \(status 0\)")
            seen(r"wnmis: app exited with status 0")
            seen(r"init: wnmis running -> exited \(status 0\)")
            if echo_addr is not None:
                seen(r"wnsrv> echo: listening on 7")
                echo_exchange(s, echo_addr)
            s.read_for(1)
            log = s.log
            s.close()
            want = (f"fetch: {url_host} is 10.0.2.2\n"
                    f"fetch: status HTTP/1.0 200 OK\n"
                    f"fetch: body {len(body)} bytes, sha256 {digest}\n"
                    f"fetch: first line: anvaya guest fetch page\n")
            got = app_stdout(log, "wnfetch")
            s.check(got == want, f"fetch's output:\n{got}---- expected:\n{want}")
            s.check(Handler.requests == ["GET /page.txt HTTP/1.0"],
                    f"the server saw one GET of the page: {Handler.requests!r}")
            got = app_stdout(log, "wnmis")
            s.check(got == "misbehave: net\nmisbehave: connect 10.0.2.2:8080: errno 76 "
                           "(Capabilities insufficient)\n", f"misbehave's output: {got!r}")
            s.find(r"netstack: client 2 denied tcp-connect 10\.0\.2\.2:8080 \(not granted\)",
                   "the stack's DENIED line for misbehave")
            s.find(r"wnmis: app's connect to 10\.0\.2\.2:8080 denied by the stack",
                   "the runner's denial line")
            s.find(rf"netstack: client 1 \(wnfetch\.net\) holds 2 grants: {re.escape(GRANT)}",
                   "fetch's grant, as the stack holds it")
            s.absent(r"netstack: client 1 denied", "fetch was never refused")
            s.absent(r"app ended by|PANIC", "no app trapped or ran out, no panic")
            check_manifest(s, cspace_json)
        finally:
            srv.shutdown()
            srv.server_close()
    return (f"fetched {len(body)} bytes (sha256 {digest[:16]}...) from {url_host} in {calls} "
            f"WASI calls; instructions: load {figures[0]} ({figures[1]} module bytes), "
            f"instantiate {figures[2]}, run {figures[3]}{' (-icount shift=0)' if ICOUNT else ''}; "
            f"misbehave denied with errno 76")


def scenario(args):
    apps, cspace_json = args.extra[0], args.extra[1]
    # slirp: the host's 127.0.0.1 is the guest's 10.0.2.2.
    # The echo app's port 7 is reached through a host forward on a free port of ours.
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    fwd = probe.getsockname()[1]
    probe.close()
    text = run_system(args, apps, cspace_json, "127.0.0.1", "10.0.2.2",
                      lambda image: [f"net:user,hostfwd=tcp:127.0.0.1:{fwd}-:7@7", "rng@6",
                                     f"blk:{image}@5"], echo_addr=("127.0.0.1", fwd))
    print("wasm-net: " + text)


if __name__ == "__main__":
    sys.exit(run_scenario(scenario))
