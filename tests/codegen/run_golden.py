"""Golden test: generating the example system must reproduce tests/codegen/golden/ byte
for byte (SVG excepted: graphviz versions differ), and two runs must be identical.
`run_golden.py --update` rewrites the golden files after an intended change."""
import os
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, ROOT)

from codegen import load  # noqa: E402
from codegen.generate import outputs  # noqa: E402

SYSTEM = os.path.join("idl", "systems", "example.system")
GOLDEN = os.path.join(HERE, "golden")


def produce():
    os.chdir(ROOT)
    return outputs(load(SYSTEM))


def as_bytes(v):
    return v if isinstance(v, bytes) else v.encode("utf-8")


def main():
    first, second = produce(), produce()
    if {k: as_bytes(v) for k, v in first.items()} != {k: as_bytes(v) for k, v in second.items()}:
        print("FAIL: two runs over the same input differ")
        return 1
    if "--update" in sys.argv:
        shutil.rmtree(GOLDEN, ignore_errors=True)
        os.makedirs(GOLDEN)
        for name, data in first.items():
            with open(os.path.join(GOLDEN, name), "wb") as f:
                f.write(as_bytes(data))
        print(f"updated {len(first)} golden files")
        return 0
    want = sorted(os.listdir(GOLDEN))
    failed = 0
    if want != sorted(first):
        print(f"FAIL: output set differs: missing {sorted(set(want) - set(first))}, "
              f"extra {sorted(set(first) - set(want))}")
        failed += 1
    for name in sorted(set(want) & set(first)):
        with open(os.path.join(GOLDEN, name), "rb") as f:
            if f.read() != as_bytes(first[name]):
                print(f"FAIL: {name} differs from golden (run with --update if intended)")
                failed += 1
    print(f"{len(want) - failed}/{len(want)} golden files match; output deterministic")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
