#!/usr/bin/python3
"""Write a file that needs an ABI number (a linker script cannot include abi.h): every
`@ANV_NAME@` or `@MANIFEST_NAME@` in the input becomes that integer from
kernel/include/anvaya/abi.h or manifest.h, in hex, read as the generator reads it
(codegen/abi.py), so the number has one definition."""
import argparse
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from codegen.abi import load_abi  # noqa: E402

NAME = re.compile(r"@((?:ANV|MANIFEST)_[A-Z0-9_]+)@")


def substitute(text, abi):
    """text with every @NAME@ replaced; KeyError names the first unknown or non-integer one."""
    def one(m):
        v = abi.values.get(m.group(1))
        if not isinstance(v, int):
            raise KeyError(m.group(1))
        return f"{v:#x}"
    return NAME.sub(one, text)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("input")
    ap.add_argument("output")
    ap.add_argument("--abi", help="path to anvaya/abi.h (default: the repository's)")
    a = ap.parse_args(argv)
    try:
        abi = load_abi(a.abi)
        with open(a.input, encoding="utf-8") as f:
            text = substitute(f.read(), abi)
    except KeyError as e:
        print(f"{a.input}: error: no integer #define {e.args[0]} in abi.h or manifest.h", file=sys.stderr)
        return 1
    except OSError as e:
        print(f"abi_subst: error: {e}", file=sys.stderr)
        return 1
    with open(a.output, "w", encoding="utf-8") as f:
        f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
