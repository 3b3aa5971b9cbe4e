"""The ABI numbers the generator uses, read from kernel/include/anvaya/abi.h (and the
manifest format constants from anvaya/manifest.h) so there is exactly one definition.
Only plain `#define ANV_NAME <integer>` (or `(1u << n)`, or a "string" without escapes)
lines are taken."""
import os
import re

DEFAULT_ABI_H = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                             "kernel", "include", "anvaya", "abi.h")

DEFAULT_MANIFEST_H = os.path.join(os.path.dirname(DEFAULT_ABI_H), "manifest.h")

_DEFINE = re.compile(r"^\s*#\s*define\s+((?:ANV|MANIFEST)_[A-Z0-9_]+)\s+(0[xX][0-9a-fA-F]+|[0-9]+)[uUlL]*\b")
# `#define MANIFEST_MAX_STRINGS (1u << 20)`: a shifted one, the other form manifest.h uses.
_SHIFT = re.compile(r"^\s*#\s*define\s+((?:ANV|MANIFEST)_[A-Z0-9_]+)\s+\(\s*1[uUlL]*\s*<<\s*([0-9]+)\s*\)")
# `#define ANV_RIGHT_LETTERS "rwxg"`: a string with no escapes.
_STRING = re.compile(r'^\s*#\s*define\s+((?:ANV|MANIFEST)_[A-Z0-9_]+)\s+"([^"\\]*)"')


class AbiError(AttributeError):
    """The ABI headers lack a number the generator needs (or are not the headers at all)."""


class Abi:
    def __init__(self, values, path):
        self.values = values
        self.path = path
        self._letters = None

    def __getattr__(self, name):
        try:
            return self.values["ANV_" + name]
        except KeyError:
            raise AbiError(f"{self.path} has no #define ANV_{name}: is it kernel/include/anvaya/abi.h?") from None

    def manifest(self, name):
        try:
            return self.values["MANIFEST_" + name]
        except KeyError:
            raise AbiError(f"manifest.h has no #define MANIFEST_{name}") from None

    def prefixed(self, prefix):
        """{suffix: value} for every define starting with ANV_<prefix>_."""
        p = "ANV_" + prefix + "_"
        return {k[len(p):]: v for k, v in self.values.items() if k.startswith(p)}

    def right_letters(self):
        """[(letter, right)] in bit order: letter i of ANV_RIGHT_LETTERS names right 1 << i,
        and together they are ANV_RIGHTS_ALL."""
        if self._letters is not None:
            return self._letters
        letters = self.values.get("ANV_RIGHT_LETTERS")
        if not isinstance(letters, str) or not letters or len(set(letters)) != len(letters):
            raise AbiError(f"{self.path} has no #define ANV_RIGHT_LETTERS \"...\" of distinct letters")
        if (1 << len(letters)) - 1 != self.RIGHTS_ALL:
            raise AbiError(f"{self.path}: ANV_RIGHT_LETTERS \"{letters}\" does not name every bit of "
                           f"ANV_RIGHTS_ALL ({self.RIGHTS_ALL:#x})")
        self._letters = [(ch, 1 << i) for i, ch in enumerate(letters)]
        return self._letters

    def rights_text(self, r):
        """Rights as letters in bit order, '-' for each one absent: 0x3 is "rw--"."""
        return "".join(ch if r & bit else "-" for ch, bit in self.right_letters())

    def parse_rights(self, text):
        """Letters to rights; None for an unknown letter or one given twice."""
        bits = dict(self.right_letters())
        r = 0
        for ch in text:
            bit = bits.get(ch)
            if bit is None or r & bit:
                return None
            r |= bit
        return r

    def obj_name(self, value):
        for k, v in self.prefixed("OBJ").items():
            if v == value and k != "COUNT":
                return k
        raise KeyError(value)


def load_abi(path=None, manifest_path=None):
    """Numbers from abi.h (ANV_*) and from the manifest format header (MANIFEST_*),
    the latter reachable as abi.manifest('MAGIC')."""
    path = path or DEFAULT_ABI_H
    manifest_path = manifest_path or os.path.join(os.path.dirname(path), "manifest.h")
    values = {}
    for p in (path, manifest_path):
        with open(p, encoding="utf-8", errors="replace") as f:
            for line in f:
                m = _DEFINE.match(line)
                if m:
                    values[m.group(1)] = int(m.group(2), 0)
                    continue
                m = _SHIFT.match(line)
                if m:
                    values[m.group(1)] = 1 << int(m.group(2))
                    continue
                m = _STRING.match(line)
                if m:
                    values[m.group(1)] = m.group(2)
    return Abi(values, path)
