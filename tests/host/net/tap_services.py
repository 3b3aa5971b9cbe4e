"""DHCP and DNS phases of test_tap.py: dnsmasq runs in the test's namespace on the tap,
from a temporary config and lease file, and is stopped (by its pid) afterwards."""
import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "qemu"))
import dnsmasq_peer  # noqa: E402

NS_IP = "10.213.0.1"
_dnsmasq = {}


def start_dnsmasq(tap):
    if "p" in _dnsmasq:
        return _dnsmasq
    tmp = tempfile.mkdtemp(prefix="anvnet-dnsmasq-")
    conf = os.path.join(tmp, "dnsmasq.conf")
    lines = [
        f"interface={tap}", "bind-interfaces", "except-interface=lo", "user=root",
        "no-resolv", "no-hosts", "no-poll", "port=53",
        f"dhcp-range=10.213.0.50,10.213.0.60,255.255.255.0,2m",
        f"dhcp-option=option:router,{NS_IP}",
        f"dhcp-option=option:dns-server,{NS_IP}",
        f"dhcp-leasefile={tmp}/leases", f"pid-file={tmp}/pid",
        "local=/anvaya.test/",
        "address=/fixed.anvaya.test/10.213.0.77",
        "host-record=target.anvaya.test,10.213.0.88",
        "cname=alias.anvaya.test,target.anvaya.test",
        "cname=alias2.anvaya.test,alias.anvaya.test",
        "host-record=two.anvaya.test,10.213.0.91",
        "host-record=two.anvaya.test,10.213.0.92",
        "log-queries", "log-dhcp", f"log-facility={tmp}/log",
    ]
    # Enough A records for one name that the answer passes 512 bytes: dnsmasq truncates.
    lines += [f"host-record=big.anvaya.test,10.213.1.{i}" for i in range(1, 41)]
    p = dnsmasq_peer.start(conf, lines)
    _dnsmasq.update(p=p, tmp=tmp)
    return _dnsmasq


def stop_dnsmasq():
    p = _dnsmasq.pop("p", None)
    dnsmasq_peer.stop(p)
    tmp = _dnsmasq.pop("tmp", None)
    if tmp:
        shutil.rmtree(tmp, ignore_errors=True)


def phase_dhcp(h, tap, check, sh, fields):
    dm = start_dnsmasq(tap)
    h.send("dhcp")
    h.wait_for("dhcp start ok")
    f = fields(h.wait_for("dhcp bound", timeout=10))
    ip = f.get("ip", "")
    last = int(ip.rsplit(".", 1)[1]) if ip.startswith("10.213.0.") else -1
    check("dhcp: bound to an address from dnsmasq's range", 50 <= last <= 60, f)
    check("dhcp: netmask, router, server, dns from the ack",
          f.get("mask") == "255.255.255.0" and f.get("router") == NS_IP and
          f.get("server") == NS_IP and f.get("dns") == NS_IP, f)
    check("dhcp: 2-minute lease, T1 and T2", f.get("lease") == "120" and f.get("t1") == "60" and
          f.get("t2") == "105", f)
    leases = open(os.path.join(dm["tmp"], "leases")).read()
    mac = h.log[0].split("mac=")[1]
    check("dhcp: dnsmasq's lease file holds our MAC and address", mac in leases and ip in leases, leases)
    p = sh("ping", "-c", "2", "-i", "0.2", "-W", "2", ip, check_rc=False)
    check("dhcp: linux pings the leased address", p.returncode == 0, p.stdout)
    # T1: jump the stack's clock past 60 s; it must renew by unicast and be acked.
    h.send("advance 61000")
    f2 = fields(h.wait_for("dhcp renewed", timeout=10))
    check("dhcp: renewed at T1 with the same address", f2.get("ip") == ip, f2)
    h.send("dhcpstate")
    st = fields(h.wait_for("dhcpstate"))
    check("dhcp: bound after renewal, no bad messages", st.get("state") == "bound" and
          st.get("renewals") == "1" and st.get("bad") == "0" and st.get("naks") == "0", st)
    log = open(os.path.join(dm["tmp"], "log")).read()
    check("dhcp: dnsmasq saw DISCOVER, REQUEST twice, ACK twice",
          "DHCPDISCOVER" in log and log.count("DHCPREQUEST") >= 2 and log.count("DHCPACK") >= 2, log[-1500:])


def phase_dns(h, tap, check, sh, fields):
    start_dnsmasq(tap)
    try:
        def q(name, timeout=8):
            h.send(f"dns {name}")
            return h.wait_for(f"dns {name} ", timeout=timeout)
        r = fields(q("fixed.anvaya.test"))
        check("dns: A record (--address)", r.get("addrs") == "10.213.0.77" and r.get("hops") == "0", r)
        r = fields(q("target.anvaya.test"))
        check("dns: A record (host-record)", r.get("addrs") == "10.213.0.88", r)
        r = fields(q("alias.anvaya.test"))
        check("dns: one CNAME followed", r.get("addrs") == "10.213.0.88" and r.get("hops") == "1" and
              r.get("canonical") == "target.anvaya.test", r)
        r = fields(q("ALIAS2.Anvaya.Test"))
        check("dns: CNAME chain of two, case-insensitive match", r.get("addrs") == "10.213.0.88" and
              r.get("hops") == "2", r)
        r = fields(q("two.anvaya.test"))
        check("dns: two A records", sorted(r.get("addrs", "").split(",")) == ["10.213.0.91", "10.213.0.92"], r)
        line = q("nosuch.anvaya.test")
        check("dns: NXDOMAIN reported", "err=name does not exist (NXDOMAIN)" in line, line)
        line = q("big.anvaya.test")
        check("dns: truncated answer reported", "err=answer truncated" in line, line)
        # A server that does not answer: retries, then a timeout (3 tries of 1 s).
        h.send("dnsserver 10.213.0.1")
        h.wait_for("dnsserver ok")
        h.send("dnsstats")
        before = int(fields(h.wait_for("dnsstats"))["sent"])
        stop_dnsmasq()
        t0 = time.monotonic()
        line = q("fixed.anvaya.test", timeout=10)
        took = time.monotonic() - t0
        h.send("dnsstats")
        st = fields(h.wait_for("dnsstats"))
        check("dns: no answer -> 3 tries then timeout", "err=timed out" in line and
              int(st["sent"]) - before == 3 and 2.5 < took < 5, (line, st, took))
        check("dns: nothing mismatched or malformed from dnsmasq", st["mismatched"] == "0" and
              st["malformed"] == "0", st)
    finally:
        stop_dnsmasq()
