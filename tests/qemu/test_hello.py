#!/usr/bin/env python3
"""The smallest system (idl/systems/hello.system): the loader builds hello's process from
the manifest, hello prints through the SDK's stdio, reads its capabilities and shuts the
system down through its sysctl capability: QEMU exits 0."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools"))
from qemu_harness import run_scenario  # noqa: E402


def scenario(args):
    s = args.session()
    s.start()
    m = s.expect(r"loader: (\d+) processes, (\d+) objects, (\d+) slots, (\d+) mappings, "
                 r"(\d+) threads")
    s.check(m.group(1) == "1" and m.group(5) == "1", "one process with one thread")
    s.expect(r"hello: ABI 3\.0 \(err 0\), 32 CSpace slots")
    s.expect(r"hello: console capability type 11 rights 0x2 \(err 0\)")
    s.expect(r"hello: shutting down")
    s.expect(r"system: invariant checker ran \d+ times, no violations|system: shutdown")
    s.expect_exit(0)


if __name__ == "__main__":
    sys.exit(run_scenario(scenario))
