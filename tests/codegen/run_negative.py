"""Negative tests: each tests/codegen/negative/*.system states the errors it must produce
(`// expect: LINE:COL: message` and `// hint: text` lines). The generator must refuse the
file, report exactly those errors at exactly those positions, with the caret and hints."""
import concurrent.futures
import glob
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
GEN = os.path.join(HERE, "..", "..", "tools", "anvaya-gen")


def run_one(path):
    # Bytes, not text: some fixtures are deliberately not UTF-8.
    text = open(path, "rb").read().decode("utf-8", errors="replace").lstrip("\ufeff")
    # A fixture that cannot hold a comment (UTF-16) states its errors in <name>.expect.
    if os.path.exists(path + ".expect"):
        text = "".join("// expect: " + l for l in open(path + ".expect", encoding="utf-8"))
    # `// expect: LINE:COL: message` is in the fixture itself; `// expect: FILE:LINE:COL:
    # message` in another file of the fixture directory (an import, a platform file).
    expects = []
    for where, line, col, msg in re.findall(r"^// expect: (?:([^:\s]+):)?(\d+):(\d+): (.*)$", text, re.M):
        file = os.path.join(os.path.dirname(path), where) if where else path
        expects.append((file, line, col, msg))
    hints = re.findall(r"^// hint: (.*)$", text, re.M)
    r = subprocess.run([sys.executable, GEN, "check", path], capture_output=True, text=True,
                       errors="replace")
    problems = []
    if "Traceback" in r.stderr or "internal error" in r.stderr:
        problems.append("the generator raised instead of reporting")
    if r.returncode != 1:
        problems.append(f"exit status {r.returncode}, expected 1")
    lines = r.stderr.splitlines()
    errors = [i for i, l in enumerate(lines) if ": error: " in l]
    if len(errors) != len(expects):
        problems.append(f"{len(errors)} errors reported, expected {len(expects)}")
    for file, line, col, msg in expects:
        want = f"{file}:{line}:{col}: error: {msg}"
        hit = [i for i in errors if lines[i].startswith(want)]
        if not hit:
            problems.append(f"missing: {want}")
            continue
        i = hit[0]
        # The offending line, then a caret under the reported column.
        caret = lines[i + 2] if i + 2 < len(lines) else ""
        shown = lines[i + 1] if i + 1 < len(lines) else ""
        # A long line is shown as a window: then the caret sits under the same text.
        if shown.startswith("    ...") or shown.endswith("..."):
            src = open(file, "rb").read().decode("utf-8", errors="replace").split("\n")
            want_ch = src[int(line) - 1][int(col) - 1:int(col)] if int(line) <= len(src) else ""
            k = caret.find("^")
            if k < 0 or shown[k:k + 1] != want_ch:
                problems.append(f"caret of the shortened line is not under {want_ch!r}: {caret!r}")
        elif caret.find("^") != 4 + int(col) - 1:
            problems.append(f"caret misplaced for {line}:{col}: {caret!r}")
    for h in hints:
        if not any(l.strip().startswith("hint:") and h in l for l in lines):
            problems.append(f"missing hint: {h}")
    return problems, r.stderr


def main():
    files = sorted(glob.glob(os.path.join(HERE, "negative", "*.system")))
    os.chdir(os.path.join(HERE, "..", ".."))
    failed = 0
    rels = [os.path.relpath(f) for f in files]
    # Two at a time: each fixture is its own generator process.
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(run_one, rels))
    for rel, (problems, out) in zip(rels, results):
        print(("FAIL " if problems else "ok   ") + rel)
        if problems:
            failed += 1
            for p in problems:
                print("    " + p)
            print(out)
    print(f"{len(files) - failed}/{len(files)} negative tests passed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
