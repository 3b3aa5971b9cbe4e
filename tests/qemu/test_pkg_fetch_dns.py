#!/usr/bin/env python3
"""Downloads by name (idl/systems/pkgfetch.system, the same image as pkg-fetch): QEMU's NIC is
a tap device in a private network namespace (test_netstack.py's run_in_namespace: a unique
name per run, deleted afterwards even on failure) where Linux takes the address slirp's host
has, 10.0.2.2, so the system's grant (tcp-connect:10.0.2.2:* resolve) is unchanged, and
dnsmasq serves DHCP (the guest gets 10.0.2.15) and DNS: pkgs.test is 10.0.2.2, and every
other name under test. is NXDOMAIN. The test's HTTP server listens on 10.0.2.2.

The guest fetches http://pkgs.test:PORT/good.pkg (the name through the stack's resolver,
asked of dnsmasq, whose log must show the query from the guest; the server must see the
name in the Host header) and installs it; http://nosuch.pkgs.test:PORT/good.pkg fails with
NETWORK (1220) and an audit line naming the lookup's NXDOMAIN, and nothing is staged.
Checked on the image afterwards: the store clean, installed/hello byte for byte the package,
accepted by anvaya-pkg verify, staging/ and fetching/ empty, the audit file's lines in
order. Exits 77 (skip) without root, /dev/net/tun, iproute2 or dnsmasq.

    test_pkg_fetch_dns.py --image pkgfetch.img [--timeout S]"""
import os
import re
import shutil
import sys
import tempfile
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools"))
sys.path.insert(0, HERE)
from qemu_harness import ScenarioFailure  # noqa: E402
import dnsmasq_peer  # noqa: E402
import pkg_fixtures as fx  # noqa: E402
import test_pkg_fetch as pf  # noqa: E402
from test_netstack import run_in_namespace, sh  # noqa: E402

HOST_IP = "10.0.2.2"     # what slirp's host is, so pkgfetch.system's grant holds as it is
GUEST_IP = "10.0.2.15"
NAME = "pkgs.test"
NOSUCH = "nosuch.pkgs.test"


def start_dnsmasq(tap, tmp):
    conf = os.path.join(tmp, "dnsmasq.conf")
    lines = [
        f"interface={tap}", "bind-interfaces", "except-interface=lo", "user=root",
        "no-resolv", "no-hosts", "no-poll", "port=53",
        # no-ping: dnsmasq's check that the address is free delays the offer by 3 s, and
        # the client's first fetch (3 s without progress ends it) starts at once.
        f"dhcp-range={GUEST_IP},{GUEST_IP},255.255.255.0,2m", "no-ping",
        f"dhcp-option=option:router,{HOST_IP}", f"dhcp-option=option:dns-server,{HOST_IP}",
        f"dhcp-leasefile={tmp}/leases", f"pid-file={tmp}/pid",
        "local=/test/", f"host-record={NAME},{HOST_IP}",
        "log-queries", f"log-facility={tmp}/dnsmasq.log",
    ]
    p = dnsmasq_peer.start(conf, lines, ScenarioFailure)
    return p


class HostHandler(pf.Handler):
    """pkg-fetch's handler, also keeping each request's Host header."""
    hosts = []

    def do_GET(self):
        HostHandler.hosts.append(self.headers.get("Host"))
        super().do_GET()


def scenario(args):
    tmp = tempfile.mkdtemp(prefix="anvpkgdns-")
    try:
        run(args, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run(args, tmp):
    tap = "anvpd" + os.urandom(3).hex()
    dnsmasq = srv = None
    try:
        sh("ip", "link", "set", "lo", "up")
        sh("ip", "tuntap", "add", "dev", tap, "mode", "tap")
        sh("ip", "addr", "add", HOST_IP + "/24", "dev", tap)
        sh("ip", "link", "set", tap, "up")
        dnsmasq = start_dnsmasq(tap, tmp)
        keys, pkgs = pf.make_packages(tmp)
        pf.Handler.files = {"/good.pkg": pkgs["/good.pkg"]}
        pf.Handler.requests = []
        HostHandler.hosts = []
        port = pf.free_port(HOST_IP)
        srv = pf.Server((HOST_IP, port), HostHandler)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        good = f"http://{NAME}:{port}/good.pkg"
        bad = f"http://{NOSUCH}:{port}/good.pkg"
        lines = [(good, "good.pkg", "install", pf.OK, pf.OK),
                 (bad, "nosuch.pkg", "install", pf.NETWORK, None)]
        image = pf.make_image(tmp, lines)
        s = args.session(devices=[f"net:tap,ifname={tap},script=no,downscript=no@7", "rng@6",
                                  f"blk:{image}@5"], timeout=max(args.timeout, 180))
        s.start()
        # The client's first list and the lease come in either order; the first download
        # comes after both (it waits for the address).
        s.expect(r"pkgfetch: list: \(then 1213\)", timeout=60)
        n = len(pkgs["/good.pkg"])
        s.expect(rf"pkgfetch: fetching {re.escape(good)} at \d+ ms\n")
        s.expect(rf"pkgsvc: audit fetch {re.escape(good)}->staging/good\.pkg ok 0: {n} bytes in ")
        s.expect(rf"pkgfetch: fetch {re.escape(good)} -> 0: {n} bytes, \d+ ms, \d+ instructions\n")
        pf.leased(s, GUEST_IP, HOST_IP, HOST_IP)
        s.expect(r"pkgfetch: install good\.pkg -> 0 \(hello 1\.1\.0, payload 150000\)")
        s.expect(r"pkgfetch: unstage good\.pkg -> 0\n")
        s.expect(rf"pkgfetch: fetching {re.escape(bad)} at \d+ ms\n")
        s.expect(rf"pkgsvc: audit fetch {re.escape(bad)}->staging/nosuch\.pkg network 1220: "
                 rf"lookup {re.escape(NOSUCH)}: NXDOMAIN, no such name \(1111\)",
                 what="the unknown name's audit line naming NXDOMAIN")
        s.expect(rf"pkgfetch: fetch {re.escape(bad)} -> 1220: 0 bytes")
        s.expect(r"pkgfetch: list: hello=1\.1\.0 \(then 1213\)")
        s.expect(r"pkgfetch: done, 2 downloads asked for")
        s.expect_exit(0)
        s.absent(r"PANIC|BAD", "a clean run")
        s.close()
        log = open(os.path.join(tmp, "dnsmasq.log")).read()
        for name, answer in ((NAME, f"{NAME} is {HOST_IP}"), (NOSUCH, f"{NOSUCH} is NXDOMAIN")):
            if not re.search(rf"query\[A\] {re.escape(name)} from {re.escape(GUEST_IP)}", log):
                raise ScenarioFailure(f"dnsmasq saw no query for {name} from the guest:\n{log}")
            if answer not in log:
                raise ScenarioFailure(f"dnsmasq's log lacks {answer!r}:\n{log}")
        if pf.Handler.requests != ["/good.pkg"] or HostHandler.hosts != [f"{NAME}:{port}"]:
            raise ScenarioFailure(f"the server saw {pf.Handler.requests} with Host "
                                  f"{HostHandler.hosts}, expected one GET /good.pkg for {NAME}:{port}")
    finally:
        if srv is not None:
            srv.shutdown()
            srv.server_close()
        dnsmasq_peer.stop(dnsmasq)
    r = fx.store("check", image)
    if r.returncode != 0:
        raise ScenarioFailure(f"anvaya-store check: {r.stdout.decode(errors='replace')}")
    pk = {p: d for p, d in fx.snapshot(image).items() if p.startswith("pkg/")}
    if set(pk) != {"pkg/installed/hello", "pkg/versions", "pkg/audit.log"}:
        raise ScenarioFailure(f"the service's subtree holds {sorted(pk)}")
    if pk["pkg/installed/hello"] != pkgs["/good.pkg"]:
        raise ScenarioFailure("installed/hello is not the package the server sent")
    path = os.path.join(tmp, "installed-hello.pkg")
    with open(path, "wb") as f:
        f.write(pk["pkg/installed/hello"])
    fx.run(fx.PKG_TOOL, "verify", "--pub", keys[1][1], path)
    want = [("fetch", f"{good}->staging/good.pkg", "ok", 0),
            ("install", "staging/good.pkg", "ok", 0),
            ("fetch", f"{bad}->staging/nosuch.pkg", "network", pf.NETWORK)]
    got = pf.audit_tuples(pk["pkg/audit.log"])
    if got != want:
        raise ScenarioFailure(f"the audit file holds {got}\nexpected {want}")
    print(f"pkg-fetch-dns test: {NAME} resolved by dnsmasq and installed; {NOSUCH} "
          f"NXDOMAIN -> NETWORK; the image checked")


if __name__ == "__main__":
    sys.exit(run_in_namespace(__file__, scenario, "anvpkgdns", 400))
