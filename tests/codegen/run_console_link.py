"""A component that prints but holds no console fails at link time: the C library's
stdout exists only in the generated code of a component with `kernel console`. Links
one program twice against the real SDK, picolibc and the generated linker script: with
the console it links, without it the linker names stdout."""
import argparse
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
GEN = os.path.join(ROOT, "tools", "anvaya-gen")
ARCH = ["-march=rv64imac_zicsr_zifencei", "-mabi=lp64", "-mcmodel=medany"]
PROGRAM = '#include <stdio.h>\n#include "talker_gen.h"\nint main(void)\n{\n' \
          '    printf("hello from talker\\n");\n    return 0;\n}\n'


def link(a, tmp, console):
    sysfile = os.path.join(tmp, "talk.system")
    with open(sysfile, "w", encoding="utf-8") as f:
        f.write("component Talker { %s thread; };\nsystem Talk { instance talker : Talker; }\n"
                % ("kernel console;" if console else ""))
    out = os.path.join(tmp, "con" if console else "nocon")
    r = subprocess.run([sys.executable, GEN, "generate", sysfile, "-o", out, "--only", "c"],
                       capture_output=True, text=True)
    if r.returncode:
        return r.returncode, r.stderr
    main = os.path.join(out, "main.c")
    with open(main, "w", encoding="utf-8") as f:
        f.write(PROGRAM)
    inc = ["-isystem", os.path.join(a.picolibc, "include"), "-I", out,
           "-I", os.path.join(ROOT, "kernel", "include"), "-I", os.path.join(ROOT, "components", "sdk", "include")]
    r = subprocess.run([a.cc] + ARCH + ["-std=c11", "-Wall", "-Werror", "-ftls-model=local-exec"] + inc +
                       [main, os.path.join(out, "talker_gen.c"), "-o", os.path.join(out, "talker.elf"),
                        "-nostdlib", "-nostartfiles", "-static", "-Wl,-u,_start", "-Wl,--gc-sections",
                        "-L", os.path.join(ROOT, "components", "sdk"), "-T", os.path.join(out, "talker.ld"),
                        "-Wl,--start-group", a.sdk, a.libc, a.libgcc, "-Wl,--end-group"],
                       capture_output=True, text=True)
    return r.returncode, r.stderr


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for k in ("cc", "sdk", "libc", "libgcc", "picolibc"):
        ap.add_argument("--" + k, required=True)
    a = ap.parse_args()
    failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        rc, err = link(a, tmp, True)
        if rc:
            failed += 1
            print(f"FAIL with `kernel console` the program does not link:\n{err}")
        else:
            print("ok   with `kernel console` printf links")
        rc, err = link(a, tmp, False)
        if rc == 0 or "undefined reference to `stdout'" not in err:
            failed += 1
            print(f"FAIL without a console the program links or fails for another reason ({rc}):\n{err}")
        else:
            print("ok   without a console printf is a link error naming stdout")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
