"""One ABI source: the numbers the generator, the SDK and init share are defined once, in
kernel/include/anvaya/abi.h (or manifest.h). Checks that no second definition of them is
back in the generator, the SDK or init, that rights letters round-trip through abi.h's
ANV_RIGHT_LETTERS, and that tools/abi_subst.py writes the SDK's stand-alone linker script
with abi.h's image base (and refuses a name abi.h does not define).

    run_abi.py [BUILT_COMPONENT_LD]"""
import glob
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, ROOT)

from codegen.abi import load_abi  # noqa: E402

failed = 0


def expect(cond, what):
    global failed
    print(("ok   " if cond else "FAIL ") + what)
    failed += not cond


abi = load_abi()

# 1. No second definition of a shared number: neither a #define of the same name outside
#    abi.h nor, in the generator, a literal of an address abi.h's layout defines.
shared = [k for k in abi.values if re.match(r"ANV_(USER_|SM_BADGE|SM_MAX|IRQ_MAX|KERNEL_RESERVED|"
                                             r"AUDIT_RECORD|RIGHT_LETTERS)", k)]
expect(len(shared) >= 16, f"abi.h defines the shared numbers ({len(shared)} of them)")
c_files = [p for pat in ("components/sdk/**/*.[ch]", "components/init/*.[ch]", "kernel/**/*.[ch]",
                         "tests/codegen/*.c")
           for p in glob.glob(os.path.join(ROOT, pat), recursive=True)
           if not p.endswith(os.path.join("anvaya", "abi.h"))]
for name in shared:
    where = [os.path.relpath(p, ROOT) for p in c_files
             if re.search(rf"^\s*#\s*define\s+{name}\b", open(p, encoding="utf-8").read(), re.M)]
    expect(not where, f"{name} is defined only in abi.h" + (f" (also in {', '.join(where)})" if where else ""))
# The model's stages and the emitters are where the layout is used (the parser's and the
# platform reader's own hex numbers are examples and DTB fields, not addresses).
gen_files = sorted([os.path.join(ROOT, "codegen", f) for f in
                    ("model.py", "idltypes.py", "validate.py", "authority.py", "layout.py")] +
                   glob.glob(os.path.join(ROOT, "codegen", "emitters", "*.py")) +
                   glob.glob(os.path.join(ROOT, "codegen", "templates", "*.j2")))
layout = {k: v for k, v in abi.values.items() if k.startswith("ANV_USER_") and isinstance(v, int)}
for p in gen_files:
    text = open(p, encoding="utf-8").read()
    found = sorted({m for m in re.findall(r"\b0[xX][0-9a-fA-F_]+\b", text)
                    if int(m.replace("_", ""), 16) in layout.values()})
    expect(not found, f"{os.path.relpath(p, ROOT)} has no copy of an ANV_USER_* address"
           + (f" ({', '.join(found)})" if found else ""))

# 2. Rights letters: every combination of the four rights as text and back.
letters = abi.values["ANV_RIGHT_LETTERS"]
expect(letters == "rwxg" and abi.rights_text(abi.RIGHT_READ | abi.RIGHT_GRANT) == "r--g",
       f"rights letters from abi.h: {letters!r}, READ|GRANT is {abi.rights_text(abi.RIGHT_READ | abi.RIGHT_GRANT)!r}")
expect(all(abi.parse_rights(abi.rights_text(r).replace("-", "")) == r for r in range(abi.RIGHTS_ALL + 1)),
       "every rights mask survives text and back")
expect([abi.parse_rights(t) for t in ("rr", "q", "", "gw")] == [None, None, 0, abi.RIGHT_WRITE | abi.RIGHT_GRANT],
       "a repeated or unknown letter is refused; letters in any order")

# 3. abi_subst: the SDK's linker script, and a name abi.h does not define.
subst = [sys.executable, os.path.join(ROOT, "tools", "abi_subst.py")]
with tempfile.TemporaryDirectory() as tmp:
    out = os.path.join(tmp, "component.ld")
    r = subprocess.run(subst + [os.path.join(ROOT, "components", "sdk", "component.ld.in"), out],
                       capture_output=True, text=True)
    text = open(out).read() if r.returncode == 0 else ""
    expect(f"__anv_image_base = {abi.USER_IMAGE_BASE:#x};" in text and "@" not in text,
           f"component.ld.in gets the image base {abi.USER_IMAGE_BASE:#x} and nothing is left unsubstituted")
    bad = os.path.join(tmp, "bad.in")
    with open(bad, "w") as f:
        f.write("x = @ANV_NO_SUCH_NUMBER@;\n")
    r = subprocess.run(subst + [bad, os.path.join(tmp, "bad.out")], capture_output=True, text=True)
    expect(r.returncode == 1 and "no integer #define ANV_NO_SUCH_NUMBER" in r.stderr
           and not os.path.exists(os.path.join(tmp, "bad.out")),
           f"an unknown name is an error naming it, with no output: {r.stderr.strip()}")
    # The kernel's script takes the direct map's offset from memlayout.h; a linker script
    # of the platform holds no literal of it.
    memlayout = os.path.join(ROOT, "kernel", "arch", "riscv64", "memlayout.h")
    offset = int(re.search(r"#define KERNEL_VIRT_OFFSET (0x[0-9A-Fa-f]+)", open(memlayout).read()).group(1), 16)
    kld_in = os.path.join(ROOT, "platforms", "qemu-virt-rv64", "kernel.ld.in")
    out = os.path.join(tmp, "kernel.ld")
    r = subprocess.run(subst + [kld_in, out, "--layout", memlayout], capture_output=True, text=True)
    text = open(out).read() if r.returncode == 0 else ""
    expect(f"KERNEL_VIRT_OFFSET = {offset:#x};" in text and "@" not in text,
           f"kernel.ld.in gets memlayout.h's direct map offset {offset:#x}: {r.stderr.strip()}")
    copies = [os.path.relpath(p, ROOT) for p in glob.glob(os.path.join(ROOT, "platforms", "**", "*.ld*"), recursive=True)
              if re.search(rf"0x0*{offset:x}\b", open(p).read(), re.I)]
    expect(not copies, f"no linker script has its own copy of the direct map offset {copies}")
if len(sys.argv) > 1:
    built = open(sys.argv[1]).read()
    expect(f"__anv_image_base = {abi.USER_IMAGE_BASE:#x};" in built,
           f"the build's {os.path.basename(sys.argv[1])} has abi.h's image base")

print("abi: all passed" if not failed else f"abi: {failed} failed")
sys.exit(1 if failed else 0)
