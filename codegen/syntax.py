"""Lexer and recursive-descent parser for the Anvaya IDL (grammar in docs/idl.md).
Produces plain AST nodes with positions; no name resolution happens here."""
import os
import re

from .diagnostics import Diagnostics, Pos, Source, did_you_mean

KEYWORDS = {
    "import", "enum", "struct", "interface", "error", "component", "provides", "uses",
    "emits", "consumes", "dataport", "device", "thread", "passive", "config", "system",
    "instance", "connect", "platform", "in", "out", "inout", "true", "false", "bytes",
}

# Words that open a declaration at file level and can appear nowhere else.
TOP_LEVEL = {"import", "enum", "struct", "interface", "component", "system"}
# What may open a member of a component (for did-you-mean on a misspelt one).
MEMBER_WORDS = {"provides", "uses", "emits", "consumes", "dataport", "device", "dma", "region",
                "thread", "passive", "config", "kernel", "faults", "supervises"}

_TOKEN = re.compile(r"""
    (?P<ws>[ \t\r]+)
  | (?P<nl>\n)
  | (?P<lcomment>//[^\n]*)
  | (?P<bcomment>/\*.*?\*/)
  | (?P<ucomment>/\*)
  | (?P<stray>\*/)
  | (?P<number>[0-9][0-9A-Za-z_]*)
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<string>"(?:[^"\\\n]|\\[^\n])*")
  | (?P<ustring>"(?:[^"\\\n]|\\[^\n])*\\?)
  | (?P<arrow>->)
  | (?P<punct>[{}()\[\];:,.=<>-])
""", re.VERBOSE | re.DOTALL)

# Size and time suffixes: sizes become bytes, times become microseconds.
UNITS = {"": 1, "K": 1024, "KiB": 1024, "M": 1 << 20, "MiB": 1 << 20,
         "us": 1, "ms": 1000, "s": 1000000}
SIZE_UNITS = {"", "K", "KiB", "M", "MiB"}
TIME_UNITS = {"", "us", "ms", "s"}
# No field of the manifest is wider than 64 bits: a longer literal is refused where it
# stands, before anything converts it (and before Python's own digit limit).
MAX_NUMBER = (1 << 64) - 1
# Names become file names (<instance>.cspace.md, <system>.manifest.bin) and parts of C
# identifiers (<COMPONENT>_CONFIG_<NAME>): 64 keeps both far inside every limit.
MAX_NAME = 64
_ESCAPES = {"\\": "\\", '"': '"', "'": "'", "n": "\n", "t": "\t", "r": "\r", "0": "\0"}
_HEX = "0123456789abcdefABCDEF"


class Token:
    __slots__ = ("kind", "text", "pos", "value", "unit")

    def __init__(self, kind, text, pos, value=None, unit=""):
        self.kind, self.text, self.pos, self.value, self.unit = kind, text, pos, value, unit

    def __repr__(self):
        return f"{self.kind}:{self.text!r}"


def _shown(s, limit=24):
    return s if len(s) <= limit else s[:limit] + "..."


def _number(s, pos, diags):
    """(value, unit) of a number token, after reporting what is wrong with it (once)."""
    hexa = s[:2] in ("0x", "0X")
    body = s[2:] if hexa else s
    i = 0
    allowed = _HEX + "_" if hexa else "0123456789_"
    while i < len(body) and body[i] in allowed:
        i += 1
    digits, unit = body[:i], body[i:]
    shown = _shown(s)
    if hexa and not digits.strip("_"):
        diags.error(pos, f"'{shown}': '0x' is not followed by hexadecimal digits",
                    "write hexadecimal numbers as 0x1000")
        return 0, ""
    if digits.startswith("_") or digits.endswith("_") or "__" in digits:
        diags.error(pos, f"misplaced '_' in number '{shown}'",
                    "'_' only separates digits, one at a time: 1_000_000, 0x8000_0000")
        return 0, ""
    plain = digits.replace("_", "")
    if not hexa and len(plain) > 1 and plain[0] == "0":
        diags.error(pos, f"number '{shown}' has a leading zero",
                    f"write {plain.lstrip('0') or '0'}: numbers are decimal or 0x hexadecimal, never octal")
        return 0, ""
    significant = plain.lstrip("0")
    if len(significant) > (16 if hexa else 20) or int(plain, 16 if hexa else 10) > MAX_NUMBER:
        diags.error(pos, f"number '{shown}' is too large (more than 64 bits)",
                    "no value in a system is wider than 64 bits")
        return 0, ""
    value = int(plain, 16 if hexa else 10)
    if unit not in UNITS:
        close = [u for u in UNITS if u and u[0].lower() == unit[:1].lower()]
        diags.error(pos, f"unknown unit '{_shown(unit)}' on number '{shown}'",
                    (f"did you mean {' or '.join(repr(u) for u in close)}? " if close else "")
                    + "sizes take K, KiB, M, MiB; times take us, ms, s")
        return value, ""
    return value, unit


def _unescape(s, pos, diags):
    """The text of a string literal (between its quotes) with its escapes resolved."""
    out, i = [], 0
    while i < len(s):
        ch = s[i]
        if ch != "\\":
            out.append(ch)
            i += 1
            continue
        e = s[i + 1:i + 2]
        epos = Pos(pos.source, pos.line, pos.col + 1 + i, 2)
        if e in _ESCAPES:
            out.append(_ESCAPES[e])
            i += 2
        elif e == "x" and len(s) >= i + 4 and all(c in _HEX for c in s[i + 2:i + 4]):
            v = int(s[i + 2:i + 4], 16)
            if v > 0x7F:
                # Strings are UTF-8 text: a lone byte above 0x7F would be no character,
                # and as U+0080..U+00FF it would silently become two bytes.
                diags.error(Pos(pos.source, pos.line, pos.col + 1 + i, 4),
                            f"'\\x{s[i + 2:i + 4]}' is above 0x7f: strings are UTF-8 text",
                            "write the character itself; \\xHH takes 00..7f")
            out.append(chr(v & 0x7F))
            i += 4
        else:
            diags.error(epos, f"unknown escape '\\{e}' in string",
                        "escapes are \\\\ \\\" \\n \\t \\r \\0 \\xHH; in a file name write '/' "
                        "between directories, not '\\'")
            out.append(e)
            i += 2
    return "".join(out)


def _describe(ch):
    if ch == "\0":
        return "a NUL byte"
    if ch == "\ufffd":
        return "bytes that are not UTF-8"
    if ch == "\ufeff":
        return "a byte-order mark"
    if ch.isprintable() and ord(ch) < 128:
        return f"unexpected character '{ch}'"
    return f"unexpected character U+{ord(ch):04X}"


def tokenize(source, diags):
    tokens = []
    text = source.text
    i, line, line_start = 0, 1, 0
    while i < len(text):
        m = _TOKEN.match(text, i)
        col = i - line_start + 1
        if not m:
            # One error for a run of characters the language does not use, not one each.
            j = i
            while j < len(text) and j - i < 10000 and not _TOKEN.match(text, j):
                j += 1
            bad = text[i:j]
            if "\ufffd" in bad and source.bad_utf8:
                pass  # already reported once for the file, where its first bad byte is
            else:
                what = _describe(bad[0])
                more = f" (and {j - i - 1} more)" if j - i > 1 else ""
                hint = None
                if bad[0] == "\0":
                    hint = "IDL files are UTF-8 text; this one may be binary or UTF-16"
                diags.error(Pos(source, line, col, j - i), what + more, hint)
            i = j
            continue
        kind = m.lastgroup
        s = m.group()
        pos = Pos(source, line, col, len(s))
        if kind == "nl":
            line, line_start = line + 1, m.end()
        elif kind == "bcomment":
            nls = s.count("\n")
            if nls:
                line += nls
                line_start = i + s.rfind("\n") + 1
        elif kind == "ucomment":
            diags.error(Pos(source, line, col, 2), "unterminated comment: '/*' is never closed",
                        "close it with '*/'")
            break
        elif kind == "stray":
            diags.error(pos, "'*/' outside a comment", "nothing was opened with '/*' before it")
        elif kind == "number":
            value, unit = _number(s, pos, diags)
            tokens.append(Token("number", s, pos, value, unit))
        elif kind == "ident":
            if len(s) > MAX_NAME:
                diags.error(pos, f"name of {len(s)} characters is too long (names are 1..{MAX_NAME} "
                            "characters: they become file names and C identifiers)",
                            f"shorten '{_shown(s)}'")
                s = s[:MAX_NAME]
            tokens.append(Token("kw" if s in KEYWORDS else "ident", s, pos))
        elif kind == "string":
            tokens.append(Token("string", s, pos, _unescape(s[1:-1], pos, diags)))
        elif kind == "ustring":
            diags.error(Pos(source, line, col, 1), "unterminated string",
                        "close it with '\"' on the same line")
            tokens.append(Token("string", s + '"', pos, _unescape(s[1:].rstrip("\\"), pos, Diagnostics()),
                                "unterminated"))
        elif kind in ("arrow", "punct"):
            tokens.append(Token("punct", s, pos))
        i = m.end()
    tokens.append(Token("eof", "", Pos(source, line, i - line_start + 1)))
    return tokens


# ---- AST --------------------------------------------------------------------------------
class Node:
    def __init__(self, pos, **kw):
        self.pos = pos
        self.__dict__.update(kw)

    def __repr__(self):
        fields = ", ".join(f"{k}={v!r}" for k, v in self.__dict__.items() if k != "pos")
        return f"{type(self).__name__}({fields})"


class TypeRef(Node): pass        # name, array (int|None), bound (for bytes<N>)
class EnumDecl(Node): pass       # name, members [(name, value, pos)]
class StructDecl(Node): pass     # name, fields [(TypeRef, name, pos)]
class ErrorDecl(Node): pass      # name, value
class Param(Node): pass          # direction, type, name
class ProcDecl(Node): pass       # name, params
class InterfaceDecl(Node): pass  # name, errors, procs, uses_errors [(name, pos)]
class ErrorSetDecl(Node): pass   # name, members [ErrorDecl, value None when implicit],
                                 # uses_errors [(name, pos)]: the sets it includes
class Port(Node): pass           # kind, name, iface/size/rights/device
class Attr(Node): pass           # name, value (Value)
class ConfigDecl(Node): pass     # type, name, default
class GrantDecl(Node): pass      # type, name, default: a per-connection value of a provided port
class ComponentDecl(Node): pass  # name, ports, attrs, configs, mode, mode_pos, kernel [(name, pos)]
class Value(Node): pass          # kind ('int','string','bool','ident'), value, unit
class Instance(Node): pass       # name, component, settings [Attr], devices {port: (path,pos)}
class End(Node): pass            # instance, port, rights (str|None), rights_pos
class Connection(Node): pass     # kind, src, dst (fault: src End has port None; control: both),
                                 # grants [Attr], grants_pos (the '{' of its block, or None)
class SystemDecl(Node): pass     # name, platform, instances, connections
class Import(Node): pass         # path


class Parser:
    def __init__(self, source, diags):
        self.source = source
        self.diags = diags
        self.toks = tokenize(source, diags)
        self.i = 0
        self.blocks = []          # (position of '{', what it opens) of the open blocks
        self.unterminated = any(t.unit == "unterminated" for t in self.toks)
        self.eof_reported = False

    # -- token helpers
    @property
    def tok(self):
        return self.toks[self.i]

    def next(self):
        t = self.toks[self.i]
        if t.kind != "eof":
            self.i += 1
        return t

    def at(self, text):
        return self.tok.kind in ("punct", "kw") and self.tok.text == text

    def accept(self, text):
        if self.at(text):
            return self.next()
        return None

    def expect(self, text, what=None):
        if self.at(text):
            return self.next()
        self.fail(f"expected '{text}'" + (f" {what}" if what else "") + self._found())

    def ident(self, what="a name"):
        if self.tok.kind == "ident":
            return self.next()
        if self.tok.kind == "kw":
            self.fail(f"'{self.tok.text}' is a reserved word and cannot be used as {what}",
                      hint="pick another name")
        self.fail(f"expected {what}" + self._found())

    def number(self, what="a number"):
        if self.tok.kind == "number":
            return self.next()
        self.fail(f"expected {what}" + self._found())

    def _optional(self):
        """The contextual word `optional` before a port's ';': it may stay unconnected."""
        if self.tok.kind == "ident" and self.tok.text == "optional":
            self.next()
            return True
        return False

    def _found(self):
        t = self.tok
        return ", found end of file" if t.kind == "eof" else f", found '{t.text}'"

    def fail(self, message, hint=None):
        if self.i and self.toks[self.i - 1].unit == "unterminated" or \
                self.tok.kind == "eof" and self.unterminated:
            # An unterminated string took the rest of its line: what breaks next (a missing
            # ';' or '}') is its consequence, already reported as the cause.
            raise _Sync()
        if self.tok.kind == "eof":
            # The end of the file breaks every open statement at once: one error, at the
            # innermost '{' left open (where the '}' is missing), not one per level.
            if not self.eof_reported:
                self.eof_reported = True
                if self.blocks:
                    pos, what = self.blocks[-1]
                    self.diags.error(pos, f"'{{' of {what} is never closed (the file ends first)",
                                     f"add '}}' to close {what}")
                else:
                    self.diags.error(self.tok.pos, message, hint)
            raise _Sync()
        self.diags.error(self.tok.pos, message, hint)
        raise _Sync()

    def recover(self, closers=(";", "}")):
        """Skip to the end of the current statement so later errors are still reported."""
        depth = 0
        while self.tok.kind != "eof":
            if depth == 0 and self.tok.kind == "kw" and self.tok.text in TOP_LEVEL:
                return  # a new declaration starts: whatever was broken ends here
            t = self.next()
            if t.text == "{" and t.kind == "punct":
                depth += 1
            elif t.text == "}" and t.kind == "punct":
                if depth == 0:
                    self.i -= 1
                    return
                depth -= 1
                if depth == 0:
                    return
            elif t.text == ";" and depth == 0:
                return

    # -- file level
    def parse_file(self):
        decls, imports = [], []
        while self.tok.kind != "eof":
            try:
                if self.accept("import"):
                    t = self.tok
                    if t.kind != "string":
                        self.fail("expected a quoted file name after 'import'")
                    self.next()
                    imports.append(Import(t.pos, path=t.value))
                    self.expect(";")
                elif self.at("enum"):
                    decls.append(self.enum_decl())
                elif self.at("struct"):
                    decls.append(self.struct_decl())
                elif self.at("interface"):
                    decls.append(self.interface_decl())
                elif self.at("component"):
                    decls.append(self.component_decl())
                elif self.at("system"):
                    decls.append(self.system_decl())
                elif self.tok.kind == "ident" and self.tok.text == "errors" \
                        and self.toks[self.i + 1].kind == "ident":
                    # Contextual: `errors Net { ... }`, a shared error set; `errors` stays
                    # usable as a name everywhere else (a parameter, a port).
                    decls.append(self.error_set_decl())
                else:
                    self.fail("expected 'import', 'enum', 'struct', 'errors', 'interface', "
                              "'component' or 'system'" + self._found(),
                              did_you_mean(self.tok.text, TOP_LEVEL | {"errors"})
                              if self.tok.kind == "ident" else None)
            except _Sync:
                self.recover()
                self.accept("}")
                self.accept(";")
        return imports, decls

    def block(self, item, what="the block", closers=TOP_LEVEL):
        """Parse `{ item* }` recovering per item so one typo does not hide the rest."""
        self.expect("{")
        opened = self.i
        self.blocks.append((self.toks[self.i - 1].pos, what))
        try:
            while not self.at("}") and self.tok.kind != "eof":
                if self.tok.kind == "kw" and self.tok.text in closers:
                    # A declaration keyword cannot stand inside any block: the '}' of
                    # this one is missing, so say so here and let the declaration parse.
                    pos, _ = self.blocks[-1]
                    t = self.tok
                    if any(k.unit == "unterminated" for k in self.toks[opened:self.i]):
                        return  # the string that ran to the end of its line took the '}'
                    self.diags.error(pos, f"'{{' of {what} is not closed before '{t.text}' at "
                                     f"line {t.pos.line}", f"add '}}' to close {what}")
                    return
                start = self.i
                try:
                    item()
                except _Sync:
                    self.recover()
                    if self.i == start:
                        self.next()
            self.expect("}")
        finally:
            self.blocks.pop()
        self.accept(";")

    def enum_decl(self):
        kw = self.next()
        name = self.ident("an enum name")
        members = []
        self.expect("{")
        self.blocks.append((self.toks[self.i - 1].pos, f"enum '{name.text}'"))
        try:
            nextval = 0
            while not self.at("}"):
                m = self.ident("an enumerator")
                if self.accept("="):
                    nextval = self.number("an enumerator value").value
                members.append((m.text, nextval, m.pos))
                nextval += 1
                if not self.accept(","):
                    break
            self.expect("}")
        finally:
            self.blocks.pop()
        self.accept(";")
        return EnumDecl(name.pos, name=name.text, members=members, kw=kw)

    def struct_decl(self):
        self.next()
        name = self.ident("a struct name")
        fields = []

        def field():
            t = self.type_ref()
            n = self.ident("a field name")
            t = self.array_suffix(t)
            self.expect(";")
            fields.append((t, n.text, n.pos))
        self.block(field, f"struct '{name.text}'")
        return StructDecl(name.pos, name=name.text, fields=fields)

    def type_ref(self):
        t = self.tok
        if self.accept("bytes"):
            self.expect("<")
            n = self.number("a byte bound")
            self.expect(">")
            return TypeRef(t.pos, name="bytes", bound=n.value, array=None)
        n = self.ident("a type")
        if n.text == "cap" and self.at("<"):
            # `cap<Iface>`: a capability to an object serving Iface (contextual: a type
            # named `cap` is still a type when no `<` follows).
            self.next()
            i = self.ident("an interface name")
            self.expect(">")
            return TypeRef(n.pos, name="cap", bound=None, array=None, iface=i.text, iface_pos=i.pos)
        return TypeRef(n.pos, name=n.text, bound=None, array=None)

    def array_suffix(self, t):
        if self.accept("["):
            n = self.number("an array length")
            self.expect("]")
            t.array = n.value
            t.array_pos = n.pos
        return t

    def uses_errors(self):
        """`uses errors A, B` after the name of an interface or error set: the shared error
        sets it takes its codes from (resolved in the model). [] when absent."""
        if not self.accept("uses"):
            return []
        t = self.tok
        if t.kind == "ident" and t.text == "errors":
            self.next()
        elif t.kind == "ident":
            # `interface I uses Net {`: say what is missing, and read the list anyway so the
            # declaration is kept (no cascade of "unknown interface" after it).
            self.diags.error(t.pos, f"expected 'errors' after 'uses' in a declaration's head, "
                             f"found '{t.text}'", f"write: uses errors {t.text}")
        else:
            self.fail("expected 'errors' after 'uses' in a declaration's head" + self._found(),
                      "write: interface Socket uses errors Net { ... }")
        names = []
        while True:
            n = self.ident("an error set name")
            names.append((n.text, n.pos))
            if not self.accept(","):
                return names

    def error_set_decl(self):
        self.next()
        name = self.ident("an error set name")
        uses = self.uses_errors()
        members = []
        items = []

        def member():
            items.append(self.tok)      # not empty, even when this member is refused
            if self.at("error"):
                self.fail("a member of an error set is written without 'error'",
                          "write: NAME = 1100; or NAME; (the previous code plus one)")
            n = self.ident("an error name")
            value = None
            if self.accept("="):
                value = self.number("an error code").value
            self.expect(";", "after an error of the set")
            members.append(ErrorDecl(n.pos, name=n.text, value=value))
        self.block(member, f"error set '{name.text}'")
        return ErrorSetDecl(name.pos, name=name.text, members=members, uses_errors=uses,
                            empty=not items)

    def interface_decl(self):
        self.next()
        name = self.ident("an interface name")
        uses = self.uses_errors()
        errors, procs = [], []

        def item():
            if self.accept("error"):
                n = self.ident("an error name")
                self.expect("=")
                v = self.number("an error value")
                self.expect(";")
                errors.append(ErrorDecl(n.pos, name=n.text, value=v.value))
                return
            n = self.ident("a procedure name")
            self.expect("(", "to open the parameter list")
            params = []
            while not self.at(")"):
                d = self.tok
                if d.text not in ("in", "out", "inout"):
                    self.fail("expected a direction 'in', 'out' or 'inout'" + self._found(),
                              hint="write parameters as: in u32 count")
                self.next()
                t = self.type_ref()
                pn = self.ident("a parameter name")
                t = self.array_suffix(t)
                params.append(Param(pn.pos, direction=d.text, type=t, name=pn.text))
                if not self.accept(","):
                    break
                if self.at(")"):
                    self.fail("a trailing ',' in the parameter list", "remove it, or add the parameter")
            self.expect(")")
            self.expect(";")
            procs.append(ProcDecl(n.pos, name=n.text, params=params))
        self.block(item, f"interface '{name.text}'")
        return InterfaceDecl(name.pos, name=name.text, errors=errors, procs=procs, uses_errors=uses)

    def value(self):
        t = self.tok
        if t.kind == "number":
            self.next()
            return Value(t.pos, kind="int", value=t.value, unit=t.unit)
        if t.kind == "string":
            self.next()
            return Value(t.pos, kind="string", value=t.value, unit="")
        if self.accept("true") or self.accept("false"):
            return Value(t.pos, kind="bool", value=(t.text == "true"), unit="")
        if t.kind == "punct" and t.text == "[":
            # A list, for array grants: `tcp_listen = [80, 443];` (no trailing ',').
            self.next()
            items = []
            while not self.at("]"):
                if self.at("["):
                    self.fail("a list inside a list", "array grants are one-dimensional: [1, 2, 3]")
                items.append(self.value())
                if not self.accept(","):
                    break
                if self.at("]"):
                    self.fail("a trailing ',' in the list", "remove it, or add the value")
            self.expect("]", "to close the list")
            return Value(t.pos, kind="list", value=items, unit="")
        if t.kind == "punct" and t.text == "-":
            self.next()
            n = self.number()
            return Value(t.pos, kind="int", value=-n.value, unit=n.unit)
        if t.kind == "ident":
            self.next()
            text = t.text
            # Hyphenated words name policies (`restart = on-failure;`): no arithmetic exists
            # in the language, so a '-' between two words can only join them.
            while self.tok.text == "-" and self.toks[self.i + 1].kind == "ident":
                self.next()
                text += "-" + self.tok.text
                self.next()
            return Value(t.pos, kind="ident", value=text, unit="")
        self.fail("expected a value" + self._found())

    def component_decl(self):
        self.next()
        name = self.ident("a component name")
        c = ComponentDecl(name.pos, name=name.text, ports=[], attrs=[], configs=[],
                          mode=None, mode_pos=None, kernel=[], supervises=None)

        def item():
            t = self.tok
            if t.text in ("provides", "uses") and t.kind == "kw":
                self.next()
                iface = self.ident("an interface name")
                n = self.ident("a port name")
                # `uses Entropy entropy optional;`: the port may stay unconnected; the C
                # then has no handle macro and no stubs for it (test the macro).
                opt = self._optional() if t.text == "uses" else False
                port = Port(n.pos, kind=t.text, name=n.text, iface=iface.text,
                            iface_pos=iface.pos, grants=[], grants_pos=None, optional=opt)
                c.ports.append(port)
                if self.at("{"):
                    # `provides Files files { grant bytes<64> root; ... }`: what each
                    # connection to the port gives its client (checked in the model).
                    port.grants_pos = self.tok.pos
                    self.block(lambda: self.grant_decl(port), f"port '{n.text}'",
                               TOP_LEVEL | MEMBER_WORDS - {"grant"})
                else:
                    self.expect(";")
            elif t.text in ("emits", "consumes") and t.kind == "kw":
                self.next()
                n = self.ident("an event name")
                opt = self._optional() if t.text == "consumes" else False
                self.expect(";")
                c.ports.append(Port(n.pos, kind=t.text, name=n.text, optional=opt))
            elif self.accept("dataport"):
                n = self.ident("a dataport name")
                dtype = None
                if self.accept(":"):
                    # A typed dataport: `dataport state : Status rw;` holds one struct,
                    # read and written through a generated accessor.
                    dtype = self.type_ref()
                    size = None
                else:
                    self.expect("[", "or ':' and a struct type after the dataport name")
                    size = self.number("a size")
                    self.expect("]")
                r = self.ident("rights (r, rw, rx ...)")
                opt = self._optional()
                self.expect(";")
                c.ports.append(Port(n.pos, kind="dataport", name=n.text, size=size, dtype=dtype,
                                    rights=r.text, rights_pos=r.pos, optional=opt))
            elif self.accept("device"):
                n = self.ident("a device name")
                s = self.tok
                if s.kind != "string":
                    self.fail("expected a compatible string or node path in quotes" + self._found(),
                              hint='device disk "virtio,mmio";')
                self.next()
                # `all`: every node that matches, for drivers that probe (virtio-mmio slots).
                every = False
                if self.tok.kind == "ident" and self.tok.text == "all":
                    self.next()
                    every = True
                self.expect(";")
                c.ports.append(Port(n.pos, kind="device", name=n.text, match=s.value,
                                    match_pos=s.pos, every=every))
            elif t.kind == "ident" and t.text in ("dma", "region") \
                    and self.toks[self.i + 1].kind == "ident" and self.toks[self.i + 2].text == "[":
                # Contextual: `dma ring[16K];` (a DMA buffer) and `region heap[64M];` (reserved
                # address space), so attributes or ports named "dma"/"region" stay legal.
                self.next()
                n = self.ident(f"a {t.text} name")
                self.expect("[")
                size = self.number("a size")
                self.expect("]")
                self.expect(";")
                c.ports.append(Port(n.pos, kind=t.text, name=n.text, size=size))
            elif t.text in ("thread", "passive") and t.kind == "kw":
                self.next()
                self.expect(";")
                if c.mode is not None:
                    self.diags.error(t.pos, f"'{t.text}' given after '{c.mode}'",
                                     hint="a component has its own thread or is passive, not both")
                c.mode, c.mode_pos = t.text, t.pos
            elif self.accept("config"):
                ty = self.type_ref()
                n = self.ident("a configuration name")
                default = None
                if self.accept("="):
                    default = self.value()
                self.expect(";")
                c.configs.append(ConfigDecl(n.pos, type=ty, name=n.text, default=default))
            elif t.kind == "ident" and t.text == "supervises" and self.toks[self.i + 1].text == ";":
                # Contextual too: `supervises;` marks the system's service manager.
                self.next()
                self.next()
                if c.supervises is not None:
                    self.diags.error(t.pos, "'supervises' is given twice")
                c.supervises = t.pos
            elif t.kind == "ident" and t.text in ("kernel", "faults") \
                    and self.toks[self.i + 1].kind == "ident":
                # Contextual words, not reserved: `faults faults;` and attributes or ports
                # named "kernel"/"faults" stay legal, so existing IDL keeps parsing.
                self.next()
                if t.text == "faults":
                    n = self.ident("a fault port name")
                    self.expect(";")
                    c.ports.append(Port(n.pos, kind="faults", name=n.text))
                    return
                while True:
                    n = self.ident("a kernel resource (console, sysctl, audit)")
                    c.kernel.append((n.text, n.pos))
                    if not self.accept(","):
                        break
                self.expect(";")
            else:
                n = self.ident("a port, attribute or 'config'")
                if not self.at("="):
                    # `thred;`, `provide Ping p;`: a misspelt member word, not an attribute.
                    hint = did_you_mean(n.text, MEMBER_WORDS)
                    if hint:
                        self.diags.error(n.pos, f"unknown component member '{n.text}'", hint)
                        raise _Sync()
                self.expect("=", "after an attribute name")
                v = self.value()
                self.expect(";")
                c.attrs.append(Attr(n.pos, name=n.text, value=v))
        self.block(item, f"component '{name.text}'")
        return c

    def grant_decl(self, port):
        t = self.tok
        port.grants_broken = True   # the block is not empty: an error here is its own report
        if not (t.kind == "ident" and t.text == "grant"):
            self.fail("expected 'grant' in the block of a port" + self._found(),
                      did_you_mean(t.text, {"grant"}) if t.kind == "ident" else
                      "declare each as: grant u64 quota_bytes = 0;")
        self.next()
        ty = self.type_ref()
        n = self.ident("a grant name")
        ty = self.array_suffix(ty)
        default = None
        if self.accept("="):
            default = self.value()
        self.expect(";")
        port.grants.append(GrantDecl(n.pos, type=ty, name=n.text, default=default))

    def end(self):
        inst = self.ident("an instance name")
        self.expect(".", "between instance and port")
        port = self.ident("a port name")
        rights = rights_pos = None
        if self.accept("("):
            r = self.ident("rights (r, w, x, g)")
            rights, rights_pos = r.text, r.pos
            self.expect(")")
        return End(inst.pos, instance=inst.text, port=port.text, port_pos=port.pos,
                   rights=rights, rights_pos=rights_pos)

    def bare_end(self):
        inst = self.ident("an instance name")
        return End(inst.pos, instance=inst.text, port=None, port_pos=None, rights=None,
                   rights_pos=None)

    def system_decl(self):
        self.next()
        name = self.ident("a system name")
        s = SystemDecl(name.pos, name=name.text, platform=None, instances=[], connections=[])

        def item():
            t = self.tok
            if self.accept("platform"):
                p = self.tok
                if p.kind != "string":
                    self.fail("expected the platform file in quotes")
                self.next()
                self.expect(";")
                if s.platform is not None:
                    self.diags.error(t.pos, "a second 'platform' statement",
                                     f"the system already names '{s.platform[0]}' at line {s.platform[1].line}")
                    return
                s.platform = (p.value, p.pos)
            elif self.accept("instance"):
                n = self.ident("an instance name")
                self.expect(":")
                comp = self.ident("a component name")
                inst = Instance(n.pos, name=n.text, component=comp.text, component_pos=comp.pos,
                                settings=[], devices=[])
                if not self.accept(";"):
                    def setting():
                        if self.accept("device"):
                            d = self.ident("a device name")
                            self.expect("=")
                            v = self.tok
                            if v.kind != "string":
                                self.fail("expected a node path or compatible string in quotes")
                            self.next()
                            self.expect(";")
                            inst.devices.append((d.text, d.pos, v.value, v.pos))
                            return
                        k = self.ident("an attribute or configuration name")
                        self.expect("=")
                        v = self.value()
                        self.expect(";")
                        inst.settings.append(Attr(k.pos, name=k.text, value=v))
                    self.block(setting, f"instance '{n.text}'",
                               TOP_LEVEL | {"instance", "connect", "platform"})
                s.instances.append(inst)
            elif self.accept("connect"):
                k = self.tok
                if k.text not in ("rpc", "event", "dataport", "fault", "control", "resolve", "manage"):
                    self.fail("expected a connection kind 'rpc', 'event', 'dataport', 'fault', "
                              "'control', 'resolve' or 'manage'" + self._found())
                self.next()
                # fault: the faulting instance (a whole thread, no port) -> handler.port;
                # control and manage: instance -> instance.
                src = self.bare_end() if k.text in ("fault", "control", "manage") else self.end()
                self.expect("->", "between the two ends")
                dst = self.bare_end() if k.text in ("control", "manage") else self.end()
                conn = Connection(t.pos, kind=k.text, kind_pos=k.pos, src=src, dst=dst,
                                  grants=[], grants_pos=None)
                if self.at("{"):
                    # The grants this connection gives its client: `{ root = "apps/x"; }`.
                    conn.grants_pos = self.tok.pos

                    def grant():
                        g = self.ident("a grant name")
                        self.expect("=")
                        v = self.value()
                        self.expect(";")
                        conn.grants.append(Attr(g.pos, name=g.text, value=v))
                    self.block(grant, "the connection's grants",
                               TOP_LEVEL | {"instance", "connect", "platform"})
                else:
                    self.expect(";")
                s.connections.append(conn)
            else:
                self.fail("expected 'instance', 'connect' or 'platform'" + self._found())
        self.block(item, f"system '{name.text}'")
        return s


class _Sync(Exception):
    """Unwinds to the nearest statement boundary after an error was recorded."""


def read_source(path, diags, from_pos):
    """The file as a Source, or None after reporting why it cannot be read. Undecodable
    bytes are reported once, at the first; a leading UTF-8 byte-order mark is skipped."""
    try:
        with open(path, "rb") as f:
            blob = f.read()
    except (OSError, ValueError) as e:
        why = getattr(e, "strerror", None) or str(e)
        diags.error(from_pos, f"cannot read '{_shown(path, 200)}': {why}")
        return None
    if blob[:2] in (b"\xff\xfe", b"\xfe\xff"):
        src = Source(path, "")
        diags.error(Pos(src, 1, 1), f"'{path}' is UTF-16 text (it starts with a UTF-16 byte-order mark)",
                    "save IDL files as UTF-8")
        return None
    if blob[:3] == b"\xef\xbb\xbf":
        blob = blob[3:]
    try:
        return Source(path, blob.decode("utf-8"))
    except UnicodeDecodeError as e:
        src = Source(path, blob.decode("utf-8", errors="replace"), bad_utf8=True)
        before = blob[:e.start].decode("utf-8", errors="replace")
        line = before.count("\n") + 1
        col = len(before) - (before.rfind("\n") + 1) + 1
        diags.error(Pos(src, line, col), f"'{path}' is not valid UTF-8 (byte 0x{blob[e.start]:02x} "
                    f"at offset {e.start})", "IDL files are UTF-8 text; re-save this file as UTF-8")
        return src


def parse_files(root_paths, diags=None):
    """Parse the given files and, transitively, everything they import (once each).
    Returns (list of (Source, decls)) in a stable order: imports before importers.
    Iterative, so an import chain of any length cannot exhaust the Python stack."""
    diags = diags if diags is not None else Diagnostics()
    done, order = set(), []
    for root in root_paths:
        # (path, importing position, parsed (Source, decls, imports) or None, next import)
        stack = [[root, None, None, 0]]
        while stack:
            top = stack[-1]
            path, from_pos, parsed, k = top
            if parsed is None:
                key = os.path.normpath(path)
                if key in done:
                    stack.pop()
                    continue
                done.add(key)
                src = read_source(path, diags, from_pos)
                if src is None:
                    stack.pop()
                    continue
                imports, decls = Parser(src, diags).parse_file()
                top[2] = parsed = (src, decls, imports)
            src, decls, imports = parsed
            if k < len(imports):
                top[3] = k + 1
                imp = imports[k]
                if "\0" in imp.path or any(not ch.isprintable() for ch in imp.path):
                    diags.error(imp.pos, "the imported file name contains a control character",
                                "write directories with '/' (a '\\n' in \"C:\\new\" is a newline)")
                    continue
                stack.append([os.path.join(os.path.dirname(path), imp.path), imp.pos, None, 0])
                continue
            order.append((src, decls))
            stack.pop()
    return order
