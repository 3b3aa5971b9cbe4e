#!/usr/bin/python3
"""Write a file that needs an ABI number (a linker script cannot include abi.h): every
`@ANV_NAME@` or `@MANIFEST_NAME@` in the input becomes that integer from
kernel/include/anvaya/abi.h or manifest.h, in hex, read as the generator reads it
(codegen/abi.py), so the number has one definition. With --layout, `@KERNEL_NAME@` takes
a `#define KERNEL_NAME <integer>` of that header (the kernel's memory layout)."""
import argparse
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from codegen.abi import load_abi  # noqa: E402

NAME = re.compile(r"@((?:ANV|MANIFEST|KERNEL)_[A-Z0-9_]+)@")
LAYOUT_DEFINE = re.compile(r"^\s*#\s*define\s+(KERNEL_[A-Z0-9_]+)\s+(0[xX][0-9a-fA-F]+|[0-9]+)[uUlL]*\s*$")


def load_layout(path):
    """The integer KERNEL_* defines of a kernel header."""
    values = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = LAYOUT_DEFINE.match(line)
            if m:
                values[m.group(1)] = int(m.group(2), 0)
    return values


def substitute(text, abi, layout=None):
    """text with every @NAME@ replaced; KeyError names the first unknown or non-integer one."""
    values = dict(abi.values, **(layout or {}))

    def one(m):
        v = values.get(m.group(1))
        if not isinstance(v, int):
            raise KeyError(m.group(1))
        return f"{v:#x}"
    return NAME.sub(one, text)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("input")
    ap.add_argument("output")
    ap.add_argument("--abi", help="path to anvaya/abi.h (default: the repository's)")
    ap.add_argument("--layout", help="a kernel header whose KERNEL_* integers may be used")
    a = ap.parse_args(argv)
    try:
        abi = load_abi(a.abi)
        layout = load_layout(a.layout) if a.layout else None
        with open(a.input, encoding="utf-8") as f:
            text = substitute(f.read(), abi, layout)
    except KeyError as e:
        where = "abi.h, manifest.h" + (f" or {a.layout}" if a.layout else "")
        print(f"{a.input}: error: no integer #define {e.args[0]} in {where}", file=sys.stderr)
        return 1
    except OSError as e:
        print(f"abi_subst: error: {e}", file=sys.stderr)
        return 1
    with open(a.output, "w", encoding="utf-8") as f:
        f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
