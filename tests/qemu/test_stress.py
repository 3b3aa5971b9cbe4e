#!/usr/bin/env python3
"""Seeded random-syscall stress: 100,000 syscalls with random numbers, handles and
arguments from a user process, some of them stopping, resuming and restarting (with and
without reloading) the peer it calls. The kernel never panics, and in debug builds its
invariant checker runs after every syscall and finds nothing."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools"))
from qemu_harness import run_scenario  # noqa: E402


def scenario(args):
    s = args.session()
    s.start()
    checks = "checks" in s.expect(r"Anvaya Nucleus \S+ \(([^)]*)\)").group(1)
    s.expect(r"kstress: start, 100000 random syscalls")
    s.expect(r"kwatch: stress finished after 100000 syscalls")
    m = s.expect(r"kwatch: results by error code:([ 0-9:]+)\n")
    counts = dict(tuple(int(x) for x in kv.split(":")) for kv in m.group(1).split())
    s.check(sum(counts.values()) == 100000, "every syscall accounted for")
    s.check(counts.get(0, 0) > 1000, "a good share of calls succeeded (%d)" % counts.get(0, 0))
    s.check(counts.get(1, 0) > 1000, "invalid syscall numbers refused with ANV_E_NOSYS")
    m = s.expect(r"kwatch: successes by syscall:([ 0-9:]+)\n")
    ok = dict(tuple(int(x) for x in kv.split(":")) for kv in m.group(1).split())
    # thread.resume, thread.stop, thread.restart on the sink, caught in every state.
    for nr, least in ((18, 50), (23, 50), (24, 5)):
        s.check(ok.get(nr, 0) >= least, "syscall %d succeeded %d times" % (nr, ok.get(nr, 0)))
    for code in (2, 3, 4):
        s.check(counts.get(code, 0) > 1000, "bad/stale/empty handles refused (code %d)" % code)
    if checks:  # a build with kernel_checks: the checker ran after every syscall
        m = s.expect(r"system: invariant checker ran (\d+) times, no violations")
        s.check(int(m.group(1)) >= 100000, "checker ran after every syscall")
    s.expect(r"system: shutdown\n")
    s.absent(r"PANIC|invariant violated")
    s.expect_exit(0)


if __name__ == "__main__":
    sys.exit(run_scenario(scenario))
