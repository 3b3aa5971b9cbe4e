"""Negative tests: each tests/codegen/negative/*.system states the errors it must produce
(`// expect: LINE:COL: message` and `// hint: text` lines). The generator must refuse the
file, report exactly those errors at exactly those positions, with the caret and hints."""
import contextlib
import glob
import io
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
GEN = os.path.join(HERE, "..", "..", "tools", "anvaya-gen")
sys.path.insert(0, os.path.normpath(os.path.join(HERE, "..", "..")))
from codegen.__main__ import main as main_cli  # noqa: E402


class _Result:
    def __init__(self, returncode, stderr):
        self.returncode, self.stderr = returncode, stderr


def check(path):
    """`anvaya-gen check PATH` in this process (the same main() the command runs): 150
    fixtures as 150 interpreters took half a minute. ANVAYA_NEGATIVE_SUBPROCESS=1 runs
    each through the real command instead."""
    if os.environ.get("ANVAYA_NEGATIVE_SUBPROCESS"):
        r = subprocess.run([sys.executable, GEN, "check", path], capture_output=True, text=True,
                           errors="replace")
        return _Result(r.returncode, r.stderr)
    err, out = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        try:
            code = main_cli(["check", path])
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else 1
            if not isinstance(e.code, int) and e.code is not None:
                print(e.code, file=sys.stderr)
    return _Result(code, err.getvalue())


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
    r = check(path)
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
