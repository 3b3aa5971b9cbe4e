#!/usr/bin/python3
"""The host's side of the default system's network (docs/tour.md): a small HTTP server for
one directory, on the host's loopback, which the guest reaches as 10.0.2.2 through QEMU's
user-mode network.

    demo_http.py DIR [--port 8480] [--ready FILE]

Each request is one line on stderr ("host: GET /fetch-1.0.0.pkg -> 200, 24680 bytes").
--ready names a file written once the port is bound (the run command waits for it)."""
import argparse
import functools
import http.server
import os
import sys


class Handler(http.server.SimpleHTTPRequestHandler):
    def log_request(self, code="-", size="-"):
        sys.stderr.write(f"host: {self.command} {self.path} -> {code}\n")

    def log_message(self, fmt, *args):
        pass


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dir")
    ap.add_argument("--port", type=int, default=8480)
    ap.add_argument("--ready")
    a = ap.parse_args()
    handler = functools.partial(Handler, directory=a.dir)
    try:
        server = http.server.ThreadingHTTPServer(("127.0.0.1", a.port), handler)
    except OSError as e:
        print(f"demo_http: cannot listen on 127.0.0.1:{a.port}: {e.strerror}; the default "
              "system downloads from that port (idl/systems/anvaya.system)", file=sys.stderr)
        return 1
    if a.ready:
        with open(a.ready, "w") as f:
            f.write(f"{os.getpid()}\n")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
