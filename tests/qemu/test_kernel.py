#!/usr/bin/env python3
"""The Nucleus from user space: components/ktest/ runs every syscall and its denial paths
across four processes (ending as a supervisor would: kfaulty and kserver stopped and
restarted, RELOAD included, and a reply carrying a capability) and prints each scenario's
checked values. Every scenario must report ok with the exact values below, the invariant
checker must have found nothing, and the system must shut down cleanly."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools"))
from qemu_harness import run_scenario  # noqa: E402

EXPECTED = [
    r"abi ok version=0x30000",
    r"attenuation ok grant-only copy: rights=0x8, \+WRITE=E_RIGHTS, \+READ=E_RIGHTS, "
    r"bad bits=E_INVALID_ARG, call=E_RIGHTS",
    r"stale-handle ok slot=40 gen (\d+)->(\d+) old=E_STALE_HANDLE",
    r"call-badge ok badge=0x1 seen by server, sum\(1\.\.4\)=10, 8 words sum=828, "
    r"rebadge=E_RIGHTS, mint=0x77",
    r"bad-length ok 65 words=E_MSG_TOO_LONG, 5 caps=E_TOO_MANY_CAPS, reply_preserved=1",
    r"grant ok transfer without GRANT=E_RIGHTS",
    r"quota ok allocated=16 then E_QUOTA, revoke reclaimed",
    r"memory ok W\+X=E_WX unaligned=E_BAD_ADDRESS overlap=E_OVERLAP ro->rw=E_RIGHTS "
    r"stale-unmap=E_STALE_HANDLE",
    r"transfer-revoke ok server read 0xC0FFEE through a READ copy; revoke removed 3 caps; "
    r"server: identify=stale unmap=E_STALE_HANDLE address free",
    r"revoke-ipc ok server's call through the revoked copy ended with E_REVOKED",
    r"wait-cancel ok timeout=ANV_WAIT_TIMEOUT cancel_token=E_CANCELLED "
    r"idle-token=E_NOTHING_PENDING ipc\.cancel\(receive\)=OK idle-cancel=E_NOTHING_PENDING",
    r"fault ok unmapped load scause=13 stval=0xdead0000, illegal scause=2, kernel load "
    r"scause=13 stval=0xffffffc080200000; skip, skip, stop, resume, stop",
    r"budget ok spinner took (\d+) ms of 1000 \(budget 100\)",
    r"audit ok records=\d+ denied=15 \(delegate/E_RIGHTS=3\) delegate=8 revoke=3 fault=4 "
    r"transfer=3$",
    r"restart ok stopped: stop=E_BUSY self=E_INVALID_ARG flags=E_INVALID_ARG running=E_BUSY; "
    r"restart runs=42 arg=1, reload runs=41 arg=2",
    r"server-restart ok served (\d+) before; stop, reload deleted 2 caps; after: arg=7 "
    r"served=1001, frame maps again",
    r"reply-caps ok without GRANT=E_RIGHTS \(reply kept\); with GRANT: FRAME rights=0x1, "
    r"mapped, marker=0x5ec0de",
    r"ipc-msg ok sum\(1\.\.4\)=10 mr\[0\.\.3\] kept=1, 8 words sum=828, refused=E_RIGHTS "
    r"message kept",
]


def scenario(args):
    # -icount shift=0: time is counted in guest instructions, so the budget scenario
    # measures the scheduler, not how busy this machine happens to be.
    s = args.session(icount=True)
    s.start()
    checks = "checks" in s.expect(r"Anvaya Nucleus \S+ \(([^)]*)\)").group(1)
    s.expect(r"loader: 4 processes, \d+ objects, \d+ slots, \d+ mappings, 4 threads")
    s.expect(r"ktest: start")
    for pattern in EXPECTED:
        m = s.expect(r"ktest: " + pattern, what="ktest: " + pattern.split(" ok")[0] + " ok")
        if pattern.startswith("stale-handle"):
            s.check(int(m.group(2)) == int(m.group(1)) + 1, "generation bumped by one")
        if pattern.startswith("budget"):
            ms = int(m.group(1))
            s.check(90 <= ms <= 115, "spinner held to its 10%% budget (took %d ms)" % ms)
    s.expect(r"ktest: %d passed, 0 failed" % len(EXPECTED))
    s.absent(r"ktest: FAIL")
    if checks:
        s.expect(r"system: invariant checker ran (\d+) times, no violations")
    s.expect(r"system: shutdown\n")
    s.absent(r"PANIC")
    s.expect_exit(0)


if __name__ == "__main__":
    sys.exit(run_scenario(scenario))
