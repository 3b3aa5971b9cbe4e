#!/usr/bin/env python3
"""WASI name resolution in the guest (idl/systems/wasmnet.system, the wasm-net image): the
NIC is a tap device in a private network namespace (test_netstack.py's run_in_namespace),
where Linux takes slirp's host address 10.0.2.2 and dnsmasq serves DHCP and DNS (page.test
is 10.0.2.2, every other name under test. NXDOMAIN). fetch asks for
http://page.test:PORT/page.txt: the name goes through anvaya.resolve, the runner's backend
and the stack's resolver to dnsmasq, whose log must show the guest's query; everything
else is checked as in test_wasm_net.py (the page's exact length, SHA-256 and first line,
misbehave denied, the CSpace manifest). Exits 77 (skip) without root, /dev/net/tun,
iproute2 or dnsmasq.

usage: test_wasm_net_dns.py --image IMG -- APPS_DIR CSPACE_JSON"""
import os
import re
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools"))
sys.path.insert(0, HERE)
from qemu_harness import ScenarioFailure  # noqa: E402
import dnsmasq_peer  # noqa: E402
from test_netstack import run_in_namespace, sh  # noqa: E402
import test_wasm_net as wn  # noqa: E402
import test_pkg_fetch_dns as pd  # noqa: E402

HOST_IP = "10.0.2.2"
GUEST_IP = "10.0.2.15"
NAME = "page.test"


def scenario(args):
    apps, cspace_json = args.extra[0], args.extra[1]
    tmp = tempfile.mkdtemp(prefix="anvwasmdns-")
    tap = "anvwd" + os.urandom(3).hex()
    dnsmasq = None
    try:
        sh("ip", "link", "set", "lo", "up")
        sh("ip", "tuntap", "add", "dev", tap, "mode", "tap")
        sh("ip", "addr", "add", HOST_IP + "/24", "dev", tap)
        sh("ip", "link", "set", tap, "up")
        # pkg-fetch-dns's dnsmasq set-up, with our name in place of its.
        pd.NAME = NAME
        dnsmasq = pd.start_dnsmasq(tap, tmp)
        text = wn.run_system(args, apps, cspace_json, HOST_IP, NAME,
                             lambda image: [f"net:tap,ifname={tap},script=no,downscript=no@7",
                                            "rng@6", f"blk:{image}@5"])
        log = open(os.path.join(tmp, "dnsmasq.log")).read()
        if not re.search(rf"query\[A\] {re.escape(NAME)} from {re.escape(GUEST_IP)}", log):
            raise ScenarioFailure(f"dnsmasq saw no query for {NAME} from the guest:\n{log}")
        if f"{NAME} is {HOST_IP}" not in log:
            raise ScenarioFailure(f"dnsmasq's log lacks the answer for {NAME}:\n{log}")
        print("wasm-net-dns: " + text + f"; {NAME} resolved by dnsmasq")
    finally:
        dnsmasq_peer.stop(dnsmasq)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(run_in_namespace(__file__, scenario, "anvwasmdns", 300))
