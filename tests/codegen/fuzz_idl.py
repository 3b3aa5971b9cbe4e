"""In-process fuzz campaign for the generator's front end (parser, checker) and, for every
mutant it accepts, its emitters: the project's own IDL, system files and platform JSON are
mutated (bytes, tokens, spans, splices, truncation) and each mutant must end either in a
system or in diagnostics (GenError), never in any other exception. Kept regression inputs
(tests/codegen/fuzz-regressions/) are replayed first. Deterministic for a given --seed.

    fuzz_idl.py [--runs N] [--max-time S] [--seed K] [--artifacts DIR]
Exit 1 with the input saved under --artifacts when a mutant raises."""
import argparse
import glob
import os
import random
import shutil
import sys
import tempfile
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, ROOT)

from codegen import GenError, load  # noqa: E402
from codegen import generate as gen  # noqa: E402

# Fragments a person (or a bad editor) really produces: keywords, numbers at and past the
# limits, odd escapes, encodings, unbalanced delimiters.
DICT = [
    b"import", b"enum", b"struct", b"interface", b"error", b"component", b"provides", b"uses",
    b"emits", b"consumes", b"dataport", b"device", b"thread", b"passive", b"config", b"system",
    b"instance", b"connect", b"platform", b"in", b"out", b"inout", b"true", b"false", b"bytes",
    b"dma", b"region", b"all", b"supervises", b"kernel", b"faults", b"restart", b"on-failure",
    b"rpc", b"event", b"manage", b"control", b"resolve", b"fault", b"budget", b"period",
    b"priority", b"cspace", b"threads", b"optional", b"errors", b"uses errors", b"cap<",
    b"0", b"00", b"007", b"0x", b"0x_", b"1__0", b"1_", b"4294967295", b"4294967296",
    b"18446744073709551615", b"18446744073709551616", b"9" * 5000, b"0x" + b"f" * 40,
    b"16KB", b"4K", b"1M", b"10ms", b"-1", b"-",
    b'"', b'"\\x"', b'"\\xZZ"', b'"\\u12"', b'"C:\\new\\dir.idl"', b'"\\\\"', b'"\\0"',
    b'"\xc3\xa9t\xc3\xa9"', b"\xff", b"\xc3", b"\x00", b"\xef\xbb\xbf", b"\r\n", b"\t",
    b"/*", b"*/", b"//", b"{", b"}", b"(", b")", b"[", b"]", b"<", b">", b";", b",", b".",
    b"->", b"=", b":", b"{" * 2000, b"(" * 2000, b"bytes<" * 500, b"a." * 2000,
    b"rwx", b"rw", b"r", b"x", b"g", b"int", b"return", b"_Bool", b"__x", b"msg", b"badge",
    b"a" * 300, b"\xe2\x80\xae",
]


def mutate(rng, data, others):
    n = rng.randint(1, 4)
    for _ in range(n):
        op = rng.randrange(9)
        pos = rng.randint(0, len(data)) if data else 0
        if op == 0 and data:                               # flip a byte
            i = rng.randrange(len(data))
            data = data[:i] + bytes([rng.randrange(256)]) + data[i + 1:]
        elif op == 1:                                      # insert a dictionary fragment
            data = data[:pos] + rng.choice(DICT) + data[pos:]
        elif op == 2 and data:                             # delete a span
            j = min(len(data), pos + rng.randint(1, 64))
            data = data[:pos] + data[j:]
        elif op == 3 and data:                             # duplicate a span
            j = min(len(data), pos + rng.randint(1, 200))
            data = data[:j] + data[pos:j] + data[j:]
        elif op == 4:                                      # truncate
            data = data[:pos]
        elif op == 5 and others:                           # splice lines of another file
            o = rng.choice(others).split(b"\n")
            a = rng.randrange(len(o))
            data = data[:pos] + b"\n".join(o[a:a + rng.randint(1, 10)]) + data[pos:]
        elif op == 6 and data:                             # replace a word by a fragment
            i = rng.randrange(len(data))
            j = i
            while j < len(data) and j - i < 40 and (chr(data[j]).isalnum() or data[j] == 95):
                j += 1
            data = data[:i] + rng.choice(DICT) + data[j:]
        elif op == 7 and data:                             # swap two lines
            ls = data.split(b"\n")
            a, b = rng.randrange(len(ls)), rng.randrange(len(ls))
            ls[a], ls[b] = ls[b], ls[a]
            data = b"\n".join(ls)
        else:                                              # a digit changed into a big one
            i = data.find(b"=", pos)
            if i >= 0:
                data = data[:i + 1] + b" " + rng.choice([b"0", b"4294967296", b"1" * 25,
                                                          b"0x100000000", b"-5"]) + data[i + 1:]
    return data


def run_one(system_path):
    """None when the input ended in a system or in diagnostics; the traceback otherwise."""
    try:
        s = load(system_path)
        if s is not None:
            gen.outputs(s, {"c", "cspace", "graph", "image"})
        return None
    except GenError:
        return None
    except Exception:   # noqa: BLE001 - any other exception is the failure being hunted
        return traceback.format_exc()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3000)
    ap.add_argument("--max-time", type=float, default=20.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--artifacts", default=os.environ.get("MESON_BUILD_ROOT", tempfile.gettempdir()))
    a = ap.parse_args()

    failures = 0
    # 1. Kept regressions: each must end in a system or diagnostics.
    regs = sorted(glob.glob(os.path.join(HERE, "fuzz-regressions", "*.system")))
    for r in regs:
        tb = run_one(r)
        if tb:
            print(f"FAIL regression {os.path.relpath(r, ROOT)} raises again:\n{tb}")
            failures += 1
    print(f"{len(regs)} kept regression inputs replayed")

    # 2. Inputs too deep or too long for random mutation to reach: long import chains,
    # nested structs, open brackets by the thousand, megabyte lines.
    with tempfile.TemporaryDirectory() as tmp:
        n = 3000
        for i in range(n):
            with open(os.path.join(tmp, f"i{i}.idl"), "w", encoding="utf-8") as f:
                f.write(f'import "i{i + 1}.idl";\n')
        deep = {
            f"i{n}.idl": "component A { thread; };\n",
            "imports.system": 'import "i0.idl"; system S { instance a : A; }\n',
            "structs.system": "".join(f"struct S{i} {{ S{i + 1} a; }};\n" for i in range(n))
            + f"struct S{n} {{ u32 x; }};\ninterface I {{ f(in S0 v); }};\n"
            "component C { provides I p; thread; };\nsystem S { instance c : C; }\n",
            "brackets.system": "struct A { u32 " + "{" * 50000 + "(" * 50000 + "[" * 50000 + "\n",
            "blocks.system": "system S {" + " instance a : A {" * 20000 + "\n",
            "line.system": "component A { thread; }; // " + "x" * 1000000 + "\n" + "x" * 1000000,
            "cycle.system": 'import "cycle.system"; component A { thread; }; system S { instance a : A; }',
            # Grant lists nested by the thousand (refused at the inner "["), a list of
            # 20,000 values, and a connection block left open.
            "lists.system": "interface F { s(); };\ncomponent St { provides F f { grant u8 x[2] = "
            + "[" * 50000 + "]" * 50000 + "; }; thread; };\nsystem S { instance st : St; }\n",
            "longlist.system": "interface F { s(); };\ncomponent St { provides F f { grant u8 x[64] = ["
            + ", ".join("1" for _ in range(20000)) + "]; }; thread; };\nsystem S { instance st : St; }\n",
            # Error sets: a chain of 3000 including each other, and a cycle through all.
            "errchain.system": "".join(f"errors E{i} uses errors E{i + 1} {{ X{i} = {30 + i}; }};\n"
                                       for i in range(n)) + f"errors E{n} {{ X{n} = {30 + n}; }};\n"
            "interface I uses errors E0 { f(); };\ncomponent C { provides I p; thread; };\n"
            "system S { instance c : C; }\n",
            "errcycle.system": "".join(f"errors E{i} uses errors E{(i + 1) % n} {{ X{i} = {30 + i}; }};\n"
                                       for i in range(n))
            + "interface I uses errors E0 { f(); };\ncomponent C { provides I p; thread; };\n"
            "system S { instance c : C; }\n",
            "grantblock.system": "interface F { s(); };\ncomponent St { provides F f { grant u8 x; }; thread; };\n"
            "component C { uses F f; thread; };\nsystem S { instance st : St; instance c : C;\n"
            "connect rpc c.f -> st.f {" + " x = 1;" * 20000 + "\n",
        }
        for name, text in deep.items():
            with open(os.path.join(tmp, name), "w", encoding="utf-8") as f:
                f.write(text)
        for name in sorted(deep):
            if name.endswith(".system"):
                tb = run_one(os.path.join(tmp, name))
                if tb:
                    print(f"FAIL structured input {name} raised:\n{tb}")
                    failures += 1
    print(f"{sum(1 for k in deep if k.endswith('.system'))} structured deep inputs checked")

    # 3. The device tree reader alone, on mutants of a real blob: PlatformError (a
    # ValueError) or nothing, never another exception.
    from codegen.platform import load_platform  # noqa: E402
    blob = open(os.path.join(HERE, "valid", "uart.dtb"), "rb").read()
    drng = random.Random(a.seed)
    dtb_runs = min(2000, a.runs)
    with tempfile.TemporaryDirectory() as tmp:
        dpath = os.path.join(tmp, "m.dtb")
        for k in range(dtb_runs):
            data = bytearray(blob)
            for _ in range(drng.randint(1, 6)):
                op = drng.randrange(4)
                i = drng.randrange(len(data)) if data else 0
                if op == 0 and data:
                    data[i] = drng.randrange(256)
                elif op == 1:
                    data[i:i] = drng.choice([b"\xff\xff\xff\xff", b"\0\0\0\3", b"\0\0\0\1", b"\0"])
                elif op == 2:
                    del data[i:i + drng.randint(1, 16)]
                else:
                    data = data[:i]
            if data[:4] != blob[:4] and drng.random() < 0.8:
                data[0:4] = blob[:4]   # keep the magic mostly, so the walk is reached
            with open(dpath, "wb") as f:
                f.write(bytes(data))
            try:
                load_platform(dpath)
            except (ValueError, OSError):
                pass
            except Exception:  # noqa: BLE001
                failures += 1
                out = os.path.join(a.artifacts, f"fuzz-dtb-crash-{k}.dtb")
                os.makedirs(a.artifacts, exist_ok=True)
                with open(out, "wb") as f:
                    f.write(bytes(data))
                print(f"FAIL device tree mutant {k} raised; saved to {out}\n{traceback.format_exc()}")
                break
    print(f"{dtb_runs} device tree mutants read")

    # 4. A scratch copy of the IDL trees so imports and platform paths resolve.
    rng = random.Random(a.seed)
    with tempfile.TemporaryDirectory() as tmp:
        for d in ("idl", os.path.join("tests", "codegen", "negative"), os.path.join("tests", "codegen", "valid"),
                  os.path.join("tests", "codegen", "stubs"), os.path.join("tests", "codegen", "threads")):
            src = os.path.join(ROOT, d)
            if os.path.isdir(src):
                shutil.copytree(src, os.path.join(tmp, d))
        # Each platform's device list, where the systems name it (platforms/<name>/devices.json).
        for src in glob.glob(os.path.join(ROOT, "platforms", "*", "devices.json")):
            dst = os.path.join(tmp, os.path.relpath(src, ROOT))
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            shutil.copy(src, dst)
        files = sorted(p for p in glob.glob(os.path.join(tmp, "**", "*"), recursive=True)
                       if p.endswith((".system", ".idl", ".json", ".dtb")))
        systems = [p for p in files if p.endswith(".system")]
        original = {p: open(p, "rb").read() for p in files}
        others = list(original.values())
        start = time.monotonic()
        runs = accepted = 0
        while runs < a.runs and time.monotonic() - start < a.max_time:
            runs += 1
            root = rng.choice(systems)
            # Mostly the system file itself; sometimes an import or the platform it reads.
            target = root if rng.random() < 0.7 else rng.choice(files)
            data = mutate(rng, original[target], others)
            with open(target, "wb") as f:
                f.write(data)
            tb = run_one(root)
            with open(target, "wb") as f:
                f.write(original[target])
            if tb is None:
                continue
            failures += 1
            os.makedirs(a.artifacts, exist_ok=True)
            out = os.path.join(a.artifacts, f"fuzz-idl-crash-{runs}-{os.path.basename(target)}")
            with open(out, "wb") as f:
                f.write(data)
            print(f"FAIL mutant {runs} of {os.path.relpath(target, tmp)} (root "
                  f"{os.path.relpath(root, tmp)}) raised; input saved to {out}\n{tb}")
            if failures >= 5:
                break
        elapsed = time.monotonic() - start
    print(f"fuzz-idl: {runs} mutants of {len(files)} files in {elapsed:.1f} s, seed {a.seed}, "
          f"{failures} failures")
    del accepted
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
