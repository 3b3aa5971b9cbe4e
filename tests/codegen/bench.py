"""Benchmark (not a timed test): parse, validate and run every emitter over synthetic
systems of N components with 3N connections (2 rpc + 1 event each), N = 50..400, and
print the time per size so the growth can be checked for linearity."""
import os
import resource
import subprocess
import sys
import tempfile
import time

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
sys.path.insert(0, ROOT)

from codegen import load  # noqa: E402
from codegen.generate import layout_for, outputs, write  # noqa: E402


def synth(n):
    out = ["interface Svc {", "    get(in u32 key, out u64 value, out bytes<32> name);",
           "    put(in u32 key, in u64 value);", "};"]
    for i in range(n):
        out += [f"component C{i} {{", "    provides Svc s;", "    uses Svc u0;", "    uses Svc u1;",
                "    emits e;", "    consumes c;", "    dataport d[8K] rw optional;", "    thread;",
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


def measure_picture(n):
    """Seconds to write every output and render the picture (the layout `generate` picks),
    the generator's peak resident memory, and the layout program's, measured by
    /usr/bin/time around it (a child's own figure would include the forked parent)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "synth.system")
        with open(path, "w", encoding="utf-8") as f:
            f.write(synth(n))
        out = os.path.join(tmp, "out")
        t0 = time.perf_counter()
        write(outputs(load(path)), out, svg=False)
        dot = os.path.join(out, "synth.dot")
        with open(dot, encoding="utf-8") as f:
            engine, extra = layout_for(f.read())
        rss = os.path.join(tmp, "rss")
        subprocess.run(["/usr/bin/time", "-o", rss, "-f", "%M", engine] + extra +
                       ["-Tsvg", dot, "-o", os.path.join(out, "synth.svg")], check=True)
        dt = time.perf_counter() - t0
        with open(rss, encoding="utf-8") as f:
            layout_kib = int(f.read().split()[-1])
    me = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    return dt, engine, me, layout_kib // 1024


def main():
    args = sys.argv[1:]
    picture = "--picture" in args
    sizes = [int(a) for a in args if a != "--picture"] or [50, 100, 200, 400]
    if picture:
        # Whole `generate`, files written and the SVG drawn: the 10 s target at 1,000.
        print(f"{'components':>10} {'connections':>11} {'seconds':>8} {'layout':>6} "
              f"{'peak MiB':>9} {'layout peak MiB':>16}")
        for n in sizes:
            dt, engine, me, kids = measure_picture(n)
            print(f"{n:>10} {3 * n:>11} {dt:>8.2f} {engine:>6} {me:>9} {kids:>16}")
        return
    print(f"{'components':>10} {'connections':>11} {'files':>6} {'bytes':>9} {'seconds':>8} {'ms/comp':>8}")
    for n in sizes:
        dt, nfiles, nbytes = measure(n)
        print(f"{n:>10} {3 * n:>11} {nfiles:>6} {nbytes:>9} {dt:>8.3f} {1000 * dt / n:>8.2f}")


if __name__ == "__main__":
    main()
