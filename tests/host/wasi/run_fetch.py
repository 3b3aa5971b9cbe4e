#!/usr/bin/env python3
"""apps/fetch under anvaya-wasm (ASan, UBSan) with the host's sockets, against Python's
http.server on 127.0.0.1: the 64 KiB page's exact length, SHA-256 and first line, by
address and by name; a 404; a refused port; no grant (and a grant for another peer):
ENOTCAPABLE with the tool's denial line; misbehave's `net` mode likewise, without a trap.

usage: run_fetch.py ANVAYA_WASM APPS_DIR"""
import hashlib
import os
import socket
import subprocess
import sys
import tempfile
import time

anvaya, apps = sys.argv[1:3]
fetch = os.path.join(apps, "fetch.wasm")
misbehave = os.path.join(apps, "misbehave.wasm")
failures = []


def page_bytes():
    """64 KiB: a first line, then numbered lines, cut to exactly 65536 bytes."""
    out = bytearray(b"anvaya fetch test page\n")
    i = 0
    while len(out) < 65536:
        out += b"line %06d abcdefghijklmnopqrstuvwxyz0123456789\n" % i
        i += 1
    return bytes(out[:65536])


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def run(args, net=None):
    argv = [anvaya] + (["--net", net] if net is not None else []) + args
    r = subprocess.run(argv, capture_output=True, timeout=60)
    return r.returncode, r.stdout.decode(), r.stderr.decode()


def expect(label, got, want_rc, want_out, want_err=None):
    rc, out, err = got
    if rc != want_rc or out != want_out or (want_err is not None and want_err not in err):
        failures.append(f"{label}: exit {rc} (want {want_rc})\n  stdout {out!r}\n  want   "
                        f"{want_out!r}\n  stderr {err!r}" + (f"\n  want in stderr {want_err!r}"
                                                            if want_err else ""))
    else:
        print(f"{label}: ok (exit {rc})")


with tempfile.TemporaryDirectory() as root:
    body = page_bytes()
    with open(os.path.join(root, "page.txt"), "wb") as f:
        f.write(body)
    digest = hashlib.sha256(body).hexdigest()
    port = free_port()
    server = subprocess.Popen(["/usr/bin/python3", "-m", "http.server", str(port), "--bind",
                               "127.0.0.1", "--directory", root],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        ok_tail = (f"fetch: status HTTP/1.0 200 OK\n"
                   f"fetch: body {len(body)} bytes, sha256 {digest}\n"
                   f"fetch: first line: anvaya fetch test page\n")
        grant = "tcp-connect:127.0.0.1:* resolve"
        expect("fetch by address", run([fetch, f"http://127.0.0.1:{port}/page.txt"], grant), 0,
               "fetch: 127.0.0.1 is 127.0.0.1\n" + ok_tail)
        expect("fetch by name", run([fetch, f"http://localhost:{port}/page.txt"], grant), 0,
               "fetch: localhost is 127.0.0.1\n" + ok_tail)
        rc, out, err = run([fetch, f"http://127.0.0.1:{port}/missing"], grant)
        if rc != 1 or "fetch: status HTTP/1.0 404 File not found\n" not in out:
            failures.append(f"404: exit {rc} stdout {out!r}")
        else:
            print("fetch 404: ok (exit 1)")
        closed = free_port()
        expect("refused", run([fetch, f"http://127.0.0.1:{closed}/"], grant), 2,
               f"fetch: 127.0.0.1 is 127.0.0.1\nfetch: connect 127.0.0.1:{closed}: "
               f"Connection refused (errno 14)\n")
        expect("no grant", run([fetch, f"http://127.0.0.1:{port}/page.txt"]), 2,
               f"fetch: 127.0.0.1 is 127.0.0.1\nfetch: connect 127.0.0.1:{port}: "
               f"Capabilities insufficient (errno 76)\n",
               f"anvaya-wasm: denied tcp-connect 127.0.0.1:{port} (not granted)")
        expect("no resolve grant", run([fetch, f"http://localhost:{port}/"],
                                       "tcp-connect:127.0.0.1:*"), 2,
               "fetch: resolve localhost: Capabilities insufficient (errno 76)\n",
               "anvaya-wasm: denied resolve (not granted)")
        expect("misbehave net", run([misbehave, "net", "127.0.0.1", str(port)],
                                    "tcp-connect:127.0.0.2:*"), 0,
               f"misbehave: net\nmisbehave: connect 127.0.0.1:{port}: errno 76 "
               f"(Capabilities insufficient)\n",
               f"anvaya-wasm: denied tcp-connect 127.0.0.1:{port} (not granted)")
        rc, out, err = run([fetch, "http://127.0.0.1/"], "tcp-connect:300.0.0.1:*")
        if rc != 64 or "--net: bad grant at offset 0" not in err:
            failures.append(f"bad grant text: exit {rc} stderr {err!r}")
        else:
            print("bad grant text: ok (exit 64)")
    finally:
        server.terminate()
        server.wait(timeout=10)

if failures:
    print("\n".join(failures))
    sys.exit(1)
print("fetch: all cases passed")
