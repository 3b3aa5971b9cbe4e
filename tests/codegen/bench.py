"""Benchmark (not a timed test): parse, validate and run every emitter over synthetic
systems of N components with 3N connections (2 rpc + 1 event each), N = 50..400, and
print the time per size so the growth can be checked for linearity."""
import os
import sys
import tempfile
import time

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
sys.path.insert(0, ROOT)

from codegen import load  # noqa: E402
from codegen.generate import outputs  # noqa: E402


def synth(n):
    out = ["interface Svc {", "    get(in u32 key, out u64 value, out bytes<32> name);",
           "    put(in u32 key, in u64 value);", "};"]
    for i in range(n):
        out += [f"component C{i} {{", "    provides Svc s;", "    uses Svc u0;", "    uses Svc u1;",
                "    emits e;", "    consumes c;", "    dataport d[8K] rw;", "    thread;",
                "    priority = 100;", "};"]
    out.append("system Synth {")
    for i in range(n):
        out.append(f"    instance i{i} : C{i};")
    for i in range(n):
        out.append(f"    connect rpc i{i}.u0 -> i{(i + 1) % n}.s;")
        out.append(f"    connect rpc i{i}.u1 -> i{(i + 7) % n}.s;")
        out.append(f"    connect event i{i}.e -> i{(i + 3) % n}.c;")
    out.append("}")
    return "\n".join(out) + "\n"


def measure(n, repeat=3):
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "synth.system")
        with open(path, "w", encoding="utf-8") as f:
            f.write(synth(n))
        best = None
        for _ in range(repeat):
            t0 = time.perf_counter()
            s = load(path)
            files = outputs(s)
            dt = time.perf_counter() - t0
            best = dt if best is None else min(best, dt)
        return best, len(files), sum(len(v) for v in files.values())


def main():
    sizes = [int(a) for a in sys.argv[1:]] or [50, 100, 200, 400]
    print(f"{'components':>10} {'connections':>11} {'files':>6} {'bytes':>9} {'seconds':>8} {'ms/comp':>8}")
    for n in sizes:
        dt, nfiles, nbytes = measure(n)
        print(f"{n:>10} {3 * n:>11} {nfiles:>6} {nbytes:>9} {dt:>8.3f} {1000 * dt / n:>8.2f}")


if __name__ == "__main__":
    main()
