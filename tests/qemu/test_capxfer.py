#!/usr/bin/env python3
"""Capabilities in requests under QEMU (idl/systems/capxfer.system, docs/idl.md): the giver
opens a Counter at the vault and hands it to the keeper with `in cap<Counter>`. The keeper
gets a handle in its own CSpace to the same object (type ENDPOINT, the vault's badge) and
adds through it; not kept, it is deleted after the call (a later poke finds nothing); kept,
it reaches the same counter the giver's copy does. The keeper's forged handles (an empty
slot, one past its CSpace) and the giver's unheld ones (an empty slot, a stale handle) are
refused by the kernel, the keeper never called for the latter; the giver's revoke of its
own copy takes back the keeper's, while its own copy still works."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools"))
from qemu_harness import run_scenario  # noqa: E402

E_BAD_HANDLE, E_STALE_HANDLE, E_EMPTY_SLOT = 2, 3, 4


def scenario(args):
    s = args.session()
    s.start()
    s.expect(r"giver: opened a counter at 10 in slot (\d+) \(err 0\)")
    s.expect(r"giver: add 1 -> 11 \(err 0\)")
    m = s.expect(r"keeper: handed slot (\d+), type (\d+) rights 0x([0-9a-f]+) badge 0x([0-9a-f]+) \(err 0\)")
    s.check(m.group(2) == "3", f"the keeper's handle is an endpoint (type {m.group(2)})")
    s.check(int(m.group(3), 16) == 0x2, f"with the giver's rights, -w-- (0x{m.group(3)})")
    s.check(int(m.group(4), 16) == 1 << 48, f"badged as the vault's first Counter (0x{m.group(4)})")
    handed = int(m.group(1))
    s.expect(r"keeper: add 5 through it -> 16 \(err 0\)")
    s.expect(r"giver: keeper added 5 -> 16 \(err 0\)")
    # Not kept: deleted by the dispatch, so the keeper holds nothing to poke.
    s.expect(rf"keeper: poke 1 through the kept one -> \d+ \(err {E_BAD_HANDLE}\)")
    s.expect(rf"giver: poke before hold -> err {E_BAD_HANDLE}")
    m = s.expect(r"keeper: holding slot (\d+)")
    s.check(int(m.group(1)) == handed, f"the window's slot again ({m.group(1)}): the first was freed")
    s.expect(r"giver: hold \(err 0\)")
    s.expect(r"keeper: poke 2 through the kept one -> 18 \(err 0\)")
    s.expect(r"giver: keeper poked 2 -> 18 \(err 0\)")
    s.expect(r"giver: add 1 -> 19 \(err 0\)")
    s.expect(rf"giver: keeper's forged handles -> {E_EMPTY_SLOT}, {E_BAD_HANDLE}")
    s.expect(rf"giver: hand an empty slot -> {E_EMPTY_SLOT}")
    s.expect(rf"giver: hand a stale handle -> {E_STALE_HANDLE}")
    s.expect(r"giver: revoked its counter \(err 0\)")
    # The keeper's copy went with the giver's revoke: its handle is stale.
    s.expect(rf"keeper: poke 1 through the kept one -> \d+ \(err {E_STALE_HANDLE}\)")
    s.expect(rf"giver: keeper poke after revoke -> {E_STALE_HANDLE}")
    s.expect(r"giver: its own add -> 20 \(err 0\)")
    s.expect(r"giver: done")
    s.expect_exit(0)
    # Between the two refused hands the keeper printed nothing: it was never called.
    seg = s.log[s.log.find("giver: keeper's forged handles"):s.log.find("giver: revoked its counter")]
    s.check("giver: hand a stale handle" in seg and "keeper:" not in seg,
            "the keeper was not called for handles the giver does not hold")


if __name__ == "__main__":
    sys.exit(run_scenario(scenario))
