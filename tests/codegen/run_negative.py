"""Negative tests: each tests/codegen/negative/*.system states the errors it must produce
(`// expect: LINE:COL: message` and `// hint: text` lines). The generator must refuse the
file, report exactly those errors at exactly those positions, with the caret and hints."""
import glob
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
GEN = os.path.join(HERE, "..", "..", "tools", "anvaya-gen")


def run_one(path):
    text = open(path, encoding="utf-8").read()
    expects = re.findall(r"^// expect: (\d+):(\d+): (.*)$", text, re.M)
    hints = re.findall(r"^// hint: (.*)$", text, re.M)
    r = subprocess.run([sys.executable, GEN, "check", path], capture_output=True, text=True)
    problems = []
    if r.returncode != 1:
        problems.append(f"exit status {r.returncode}, expected 1")
    lines = r.stderr.splitlines()
    errors = [i for i, l in enumerate(lines) if ": error: " in l]
    if len(errors) != len(expects):
        problems.append(f"{len(errors)} errors reported, expected {len(expects)}")
    for line, col, msg in expects:
        want = f"{path}:{line}:{col}: error: {msg}"
        hit = [i for i in errors if lines[i].startswith(want)]
        if not hit:
            problems.append(f"missing: {want}")
            continue
        i = hit[0]
        # The offending line, then a caret under the reported column.
        caret = lines[i + 2] if i + 2 < len(lines) else ""
        if caret.find("^") != 4 + int(col) - 1:
            problems.append(f"caret misplaced for {line}:{col}: {caret!r}")
    for h in hints:
        if not any(l.strip().startswith("hint:") and h in l for l in lines):
            problems.append(f"missing hint: {h}")
    return problems, r.stderr


def main():
    files = sorted(glob.glob(os.path.join(HERE, "negative", "*.system")))
    os.chdir(os.path.join(HERE, "..", ".."))
    failed = 0
    for f in files:
        rel = os.path.relpath(f)
        problems, out = run_one(rel)
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
