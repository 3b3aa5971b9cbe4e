#!/usr/bin/env python3
"""init as service manager, against idl/systems/svctest.system: a registry of one entry
and two services that each need it.
- echo_b's start is refused at boot (registry full) and it stays stopped;
- the client resolves echo_a.echo and gets exactly w with its badge; it cannot widen the
  copy; a name routed to another client is refused, an unknown name is not found;
- stopping echo_a revokes the copy the client held and reclaims the registry entry, which
  echo_b then gets; starting echo_a again is refused; resolving a stopped service is
  refused; a service the client does not manage cannot be stopped by it;
- a two-threaded service whose second thread faults is stopped and restarted whole,
  its image reloaded;
- malformed requests (a bad name, an unknown operation, capabilities sent along) are
  refused and change nothing;
- the peer, with a `wg` route, resolves echo_b once it runs and gets wg;
- three services that exit (status 3, then 0) under the restart policies on-failure,
  always and never: each exit is logged as `running -> exited (status N)` and followed
  by exactly what its policy and restart limit say."""
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools"))
from qemu_harness import run_scenario  # noqa: E402

NOT_FOUND, DENIED, UNAVAILABLE, FULL, NOT_MANAGED, STATE = 64, 65, 66, 67, 68, 69
ANV_E_STALE_HANDLE, ANV_E_RIGHTS, INVALID = 3, 6, 7


def scenario(args):
    s = args.session()
    s.start()
    s.expect(r"init: supervising 8 services, registry capacity 1")
    s.expect(r"^init: echo_a stopped -> running \(start\)$")
    s.expect(r"^init: echo_b stopped -> stopped \(refused: registry full\)$")
    s.expect(r"^init: client stopped -> running \(start\)$")
    s.expect(r"^init: peer stopped -> running \(start\)$")
    s.expect(r"^echo_a: serving \(run 0\)$")
    s.expect(r"^init: registry client resolved echo_a.echo \(-w--, badge 0x1\)$")
    s.expect(r"^client: resolve echo_a.echo: err 0 type 3 rights 0x2 badge 0x1$")
    s.expect(r"^client: echo_a 41 -> 42 \(err 0\)$")
    s.expect(rf"^client: widen echo_a.echo to wg: err {ANV_E_RIGHTS}$")
    s.expect(r"^init: registry client refused echo_b.echo \(not declared for this client\)$")
    s.expect(rf"^client: resolve echo_b.echo: err {DENIED}$")
    s.expect(rf"^client: resolve nope.echo: err {NOT_FOUND}$")
    s.expect(r"^client: status echo_b: state 0 restarts 0 \(err 0\)$")
    s.expect(r"^init: echo_b stopped -> stopped \(refused: registry full\)$")
    s.expect(rf"^client: start echo_b: err {FULL}$")
    s.expect(r"^init: echo_a running -> stopped \(stop requested by client\)$")
    s.expect(r"^client: stop echo_a: err 0$")
    # The revoke emptied the client's slot: its handle's generation no longer matches.
    s.expect(rf"^client: echo_a through the old handle: err {ANV_E_STALE_HANDLE}$")
    s.expect(r"^client: status echo_a: state 0 restarts 0 \(err 0\)$")
    s.expect(r"^init: echo_b stopped -> running \(start requested by client\)$")
    s.expect(r"^echo_b: serving \(run 0\)$")
    s.expect(r"^client: start echo_b: err 0$")
    s.expect(r"^init: echo_a stopped -> stopped \(refused: registry full\)$")
    s.expect(rf"^client: start echo_a: err {FULL}$")
    s.expect(r"^init: registry client refused echo_a.echo \(service not running\)$")
    s.expect(rf"^client: resolve echo_a.echo again: err {UNAVAILABLE}$")
    s.expect(rf"^client: stop echo_a: err {STATE}$")
    s.expect(r"^init: request client stop peer -> refused \(not declared for this client\)$")
    s.expect(rf"^client: stop peer: err {DENIED}$")
    # Malformed requests are refused without effect; capabilities sent along are deleted
    # (100 of them, more than init's CSpace has slots, and none refused for want of one).
    s.expect(rf"^client: malformed: short name {INVALID}, NUL in name {INVALID}, unknown "
             rf"operation {INVALID}, with a capability 100 refused 0 otherwise$")
    s.expect(r"^client: status echo_b: state 1 restarts 0 \(err 0\)$")
    s.expect(r"^init: registry peer resolved echo_b.echo \(-w-g, badge 0x1\)$")
    s.expect(r"^peer: resolve echo_b.echo: err 0 after \d+ refusals, rights 0xa badge 0x1, "
             r"echo 7 -> 8 \(err 0\)$")
    s.expect(r"^client: done$")
    s.expect_exit(0)

    # The two-threaded service, whose lines interleave with the client's: a fault in its
    # second thread restarts both, and the reload puts .data back (the start counter
    # begins again at 1).
    twin = re.findall(r"^(?:init: twin .*|twin: .*)$", s.log, re.M)
    s.check(twin == ["init: twin stopped -> running (start)",
                     "twin: thread 0 run 0, starts seen since load 1",
                     "twin: thread 1 run 0, starts seen since load 2",
                     "twin: thread 1 faulting on purpose",
                     twin[4] if len(twin) > 4 else "",
                     "init: twin stopped -> running (restart 1 of 1)",
                     "twin: thread 0 run 1, starts seen since load 1",
                     "twin: thread 1 run 1, starts seen since load 2"] and
            twin[4].startswith("init: twin running -> stopped (fault: store page fault at 0x8, "),
            f"twin restarted whole after its thread 1 faulted ({twin})")
    # Exits (proc.exit by returning from main): status 3 on the first run, 0 after, under
    # each restart policy; every exit is seen by init and logged.
    def lines(name):
        return re.findall(rf"^(?:init: {name} .*|{name}: .*)$", s.log, re.M)

    want = {
        "quit_fail": ["init: quit_fail stopped -> running (start)",
                      "quit_fail: run 0, exiting with 3",
                      "init: quit_fail running -> exited (status 3)",
                      "init: quit_fail exited -> running (restart 1 of 3)",
                      "quit_fail: run 1, exiting with 0",
                      "init: quit_fail running -> exited (status 0)"],
        "quit_always": ["init: quit_always stopped -> running (start)",
                        "quit_always: run 0, exiting with 3",
                        "init: quit_always running -> exited (status 3)",
                        "init: quit_always exited -> running (restart 1 of 2)",
                        "quit_always: run 1, exiting with 0",
                        "init: quit_always running -> exited (status 0)",
                        "init: quit_always exited -> running (restart 2 of 2)",
                        "quit_always: run 2, exiting with 0",
                        "init: quit_always running -> exited (status 0)",
                        "init: quit_always exited -> failed (restart limit 2 reached)"],
        "quit_never": ["init: quit_never stopped -> running (start)",
                       "quit_never: run 0, exiting with 3",
                       "init: quit_never running -> exited (status 3)"],
    }
    for name, expected in want.items():
        got = lines(name)
        s.check(got == expected, f"{name} follows its restart policy ({got})")
    s.absent(r"PANIC|invariant violated", "no panic")


if __name__ == "__main__":
    sys.exit(run_scenario(scenario))
