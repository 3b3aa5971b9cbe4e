"""Valid edge cases (tests/codegen/valid/*.system): each must pass `check`, generate, and
its generated C must compile with the project's warnings as errors, with the cross compiler
and the host compiler. Every configuration macro of every generated header is used by a
probe file, so a literal C would refuse cannot hide in an unused #define.

    run_valid.py --cc CC --cross-cc CROSS_CC"""
import argparse
import glob
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
GEN = os.path.join(ROOT, "tools", "anvaya-gen")
WARN = ["-std=c11", "-Wall", "-Wextra", "-Wpedantic", "-Wshadow", "-Wstrict-prototypes",
        "-Wmissing-prototypes", "-Wpointer-arith", "-Wvla", "-Wundef", "-Wcast-qual",
        "-Wwrite-strings", "-Wformat=2", "-Wimplicit-fallthrough", "-Werror"]
CROSS = ["-march=rv64imac", "-mabi=lp64", "-mcmodel=medany", "-ffreestanding",
         "-isystem", "/usr/lib/picolibc/riscv64-unknown-elf/include"]
INC = ["-I", os.path.join(ROOT, "kernel", "include"), "-I", os.path.join(ROOT, "components", "sdk", "include")]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cc", default="cc")
    ap.add_argument("--cross-cc", default="riscv64-unknown-elf-gcc")
    a = ap.parse_args()
    failed = total = 0
    for path in sorted(glob.glob(os.path.join(HERE, "valid", "*.system"))):
        rel = os.path.relpath(path, ROOT)
        with tempfile.TemporaryDirectory() as out:
            r = subprocess.run([sys.executable, GEN, "generate", path, "-o", out, "--no-svg"],
                               capture_output=True, text=True, cwd=ROOT)
            if r.returncode != 0:
                print(f"FAIL {rel}: generate refused it\n{r.stderr}")
                failed += 1
                continue
            sources = sorted(glob.glob(os.path.join(out, "*_gen.c")))
            probe = os.path.join(out, "config_probe.c")
            with open(probe, "w", encoding="utf-8") as f:
                uses = []
                for h in sorted(glob.glob(os.path.join(out, "*_gen.h"))):
                    f.write(f'#include "{os.path.basename(h)}"\n')
                    for m in re.findall(r"^#define (\w+_CONFIG_\w+) ", open(h, encoding="utf-8").read(), re.M):
                        uses.append(m)
                f.write("unsigned long long config_probe(void);\n"
                        "unsigned long long config_probe(void)\n{\n    unsigned long long sum = 0;\n")
                for u in uses:
                    f.write(f"    sum += (unsigned long long)sizeof({u});\n"
                            f"    sum += (unsigned long long)({u} ? 1 : 0);\n")
                f.write("    return sum;\n}\n")
            # Each header alone; then the probe includes them all (distinct component
            # headers must coexist in one translation unit too).
            for cc, extra in ((a.cc, []), (a.cross_cc, CROSS)):
                for src in sources + [probe]:
                    total += 1
                    r = subprocess.run([cc] + WARN + extra + INC + ["-I", out, "-c", src, "-o", os.devnull],
                                       capture_output=True, text=True)
                    if r.returncode != 0:
                        failed += 1
                        print(f"FAIL {rel}: {os.path.basename(src)} with {os.path.basename(cc)}\n{r.stderr[-3000:]}")
            print(f"ok   {rel}: {len(sources)} stubs and {len(uses)} config macros compiled")
    print(f"{total - failed}/{total} compilations passed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
