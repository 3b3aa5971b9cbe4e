"""Golden test: generating each golden system must reproduce its golden directory byte
for byte (SVG excepted: graphviz versions differ), and two runs must be identical.
`run_golden.py --update` rewrites the golden files after an intended change.
The example system covers the rpc/event/dataport/device language; ktest covers what the
kernel grants (console, sysctl, audit, pool, fault endpoints, thread control); threads covers
multi-thread instances and an rpc from an instance to its own port; caps covers procedures
that return capabilities; errsets covers shared error sets; incaps covers capabilities in
requests."""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, ROOT)

from codegen import load  # noqa: E402
from codegen.generate import outputs  # noqa: E402

GOLDEN = os.path.join(HERE, "golden")
# (system, golden directory): ktest's files live in a subdirectory so the example's
# directory keeps its place and its history.
SYSTEMS = [(os.path.join("idl", "systems", "example.system"), GOLDEN),
           (os.path.join("idl", "systems", "ktest.system"), os.path.join(GOLDEN, "ktest")),
           # Multi-thread instances (`threads = N;`) and an rpc to the instance's own port.
           (os.path.join("tests", "codegen", "threads", "threads.system"),
            os.path.join(GOLDEN, "threads")),
           # Procedures that return capabilities (`out cap<I>`): mint slot, object dispatch,
           # object badges, client stubs taking a handle.
           (os.path.join("tests", "codegen", "valid", "caps.system"), os.path.join(GOLDEN, "caps")),
           # Shared error sets (`errors Name { ... }`, `uses errors`): one enum per set.
           (os.path.join("tests", "codegen", "valid", "errsets.system"),
            os.path.join(GOLDEN, "errsets")),
           # Capabilities in requests (`in cap<I>`): the client's stubs send them, the
           # relay's dispatch routes and deletes them, its manifest lists them.
           (os.path.join("tests", "codegen", "valid", "incaps.system"),
            os.path.join(GOLDEN, "incaps"))]


def produce(system):
    os.chdir(ROOT)
    return outputs(load(system))


def as_bytes(v):
    return v if isinstance(v, bytes) else v.encode("utf-8")


def files_in(directory):
    return sorted(n for n in os.listdir(directory) if os.path.isfile(os.path.join(directory, n)))


def check(system, golden, update):
    first, second = produce(system), produce(system)
    if {k: as_bytes(v) for k, v in first.items()} != {k: as_bytes(v) for k, v in second.items()}:
        print(f"FAIL: {system}: two runs over the same input differ")
        return 1
    if update:
        os.makedirs(golden, exist_ok=True)
        for name in files_in(golden):
            os.remove(os.path.join(golden, name))
        for name, data in first.items():
            with open(os.path.join(golden, name), "wb") as f:
                f.write(as_bytes(data))
        print(f"{system}: updated {len(first)} golden files")
        return 0
    want = files_in(golden)
    failed = 0
    if want != sorted(first):
        print(f"FAIL: {system}: output set differs: missing {sorted(set(want) - set(first))}, "
              f"extra {sorted(set(first) - set(want))}")
        failed += 1
    for name in sorted(set(want) & set(first)):
        with open(os.path.join(golden, name), "rb") as f:
            if f.read() != as_bytes(first[name]):
                print(f"FAIL: {system}: {name} differs from golden (run with --update if intended)")
                failed += 1
    print(f"{system}: {len(want) - failed}/{len(want)} golden files match; output deterministic")
    return failed


def main():
    update = "--update" in sys.argv
    failed = sum(check(s, g, update) for s, g in SYSTEMS)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
