"""lib/http against a real server: Python's http.server on loopback sends bodies framed by
Content-Length, by chunks of random sizes and by closing the connection, in writes of random
sizes; tests/host/http/http_fetch (lib/http over a socket) must report the same status,
length and SHA-512, and the errors a broken server provokes."""
import hashlib
import http.server
import random
import socketserver
import subprocess
import sys
import threading

FETCH = sys.argv[1]
rng = random.Random(20261201)
BODIES = {n: bytes(rng.getrandbits(8) for _ in range(n)) for n in (0, 1, 1500, 100_000)}
BODIES[1 << 20] = rng.randbytes(1 << 20)


def dribble(wfile, data):
    """Writes data in pieces of 1 to 3000 bytes, each flushed, so reads split anywhere."""
    at = 0
    while at < len(data):
        n = rng.randint(1, 3000)
        wfile.write(data[at:at + n])
        wfile.flush()
        at += n


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        parts = self.path.strip("/").split("/")
        kind, n = parts[0], int(parts[1]) if len(parts) > 1 else 0
        body = BODIES.get(n, b"")
        if kind == "fixed":
            head = f"HTTP/1.1 200 OK\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
            dribble(self.wfile, head.encode() + body)
        elif kind == "chunked":
            out = bytearray(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
            at = 0
            while at < len(body):
                k = rng.randint(1, 5000)
                chunk = body[at:at + k]
                out += b"%x;n=%d\r\n" % (len(chunk), at) + chunk + b"\r\n"
                at += k
            out += b"0\r\nX-Done: yes\r\n\r\n"
            dribble(self.wfile, bytes(out))
        elif kind == "close":
            dribble(self.wfile, b"HTTP/1.0 200 OK\r\nServer: t\r\n\r\n" + body)
        elif kind == "short":
            head = f"HTTP/1.1 200 OK\r\nContent-Length: {len(body) + 10}\r\n\r\n"
            dribble(self.wfile, head.encode() + body)
        elif kind == "smuggle":
            dribble(self.wfile, b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n"
                    b"Transfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n0\r\n\r\n")
        elif kind == "missing":
            self.send_response(404)
            self.send_header("Content-Length", "9")
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(b"not found")
        self.close_connection = True


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


def main():
    srv = Server(("127.0.0.1", 0), Handler)
    port = srv.server_address[1]
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    failures = 0

    def fetch(path, max_body=1 << 21):
        out = subprocess.run([FETCH, f"http://127.0.0.1:{port}{path}", str(max_body)],
                             capture_output=True, text=True, timeout=60)
        if out.returncode != 0:
            raise SystemExit(f"http_fetch failed: {out.stderr}")
        return dict(kv.split("=", 1) for kv in out.stdout.split())

    def expect(path, want, max_body=1 << 21):
        nonlocal failures
        got = fetch(path, max_body)
        bad = {k: (got.get(k), v) for k, v in want.items() if got.get(k) != v}
        print(f"{path}: {'ok' if not bad else 'FAIL ' + repr(bad)}")
        failures += bool(bad)

    for kind in ("fixed", "chunked", "close"):
        for n, body in BODIES.items():
            expect(f"/{kind}/{n}", {"status": "200", "bytes": str(n),
                                    "sha512": hashlib.sha512(body).hexdigest(),
                                    "chunked": "1" if kind == "chunked" else "0"})
    expect("/missing", {"status": "404", "bytes": "9",
                        "sha512": hashlib.sha512(b"not found").hexdigest()})
    expect("/short/1500", {"error": "connection_closed_before_the_message_ended",
                           "bytes": "1500"})
    expect("/smuggle", {"error": "unsupported_transfer_coding", "bytes": "0"})
    for kind in ("fixed", "chunked", "close"):
        expect(f"/{kind}/100000", {"error": "body_larger_than_allowed"}, max_body=99_999)
    expect("/fixed/100000", {"status": "200", "bytes": "100000"}, max_body=100_000)
    srv.shutdown()
    print(f"{failures} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
