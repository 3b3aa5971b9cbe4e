"""Lexer and recursive-descent parser for the Anvaya IDL (grammar in docs/idl.md).
Produces plain AST nodes with positions; no name resolution happens here."""
import os
import re

from .diagnostics import Diagnostics, Pos, Source

KEYWORDS = {
    "import", "enum", "struct", "interface", "error", "component", "provides", "uses",
    "emits", "consumes", "dataport", "device", "thread", "passive", "config", "system",
    "instance", "connect", "platform", "in", "out", "inout", "true", "false", "bytes",
}

_TOKEN = re.compile(r"""
    (?P<ws>[ \t\r]+)
  | (?P<nl>\n)
  | (?P<lcomment>//[^\n]*)
  | (?P<bcomment>/\*.*?\*/)
  | (?P<number>(?:0[xX][0-9a-fA-F_]+|[0-9][0-9_]*)(?:[A-Za-z]+)?)
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<string>"(?:[^"\\\n]|\\.)*")
  | (?P<arrow>->)
  | (?P<punct>[{}()\[\];:,.=<>-])
""", re.VERBOSE | re.DOTALL)

# Size and time suffixes: sizes become bytes, times become microseconds.
UNITS = {"": 1, "K": 1024, "KiB": 1024, "M": 1 << 20, "MiB": 1 << 20,
         "us": 1, "ms": 1000, "s": 1000000}
SIZE_UNITS = {"", "K", "KiB", "M", "MiB"}
TIME_UNITS = {"", "us", "ms", "s"}


class Token:
    __slots__ = ("kind", "text", "pos", "value", "unit")

    def __init__(self, kind, text, pos, value=None, unit=""):
        self.kind, self.text, self.pos, self.value, self.unit = kind, text, pos, value, unit

    def __repr__(self):
        return f"{self.kind}:{self.text!r}"


def tokenize(source, diags):
    tokens = []
    text = source.text
    i, line, line_start = 0, 1, 0
    while i < len(text):
        m = _TOKEN.match(text, i)
        col = i - line_start + 1
        if not m:
            diags.error(Pos(source, line, col), f"unexpected character {text[i]!r}")
            i += 1
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
        elif kind == "number":
            digits = re.match(r"0[xX][0-9a-fA-F_]+|[0-9][0-9_]*", s).group()
            unit = s[len(digits):]
            if unit not in UNITS:
                diags.error(pos, f"unknown unit '{unit}' on number",
                            hint="sizes take K, KiB, M, MiB; times take us, ms, s")
                unit = ""
            tokens.append(Token("number", s, pos, int(digits.replace("_", ""), 0), unit))
        elif kind == "ident":
            tokens.append(Token("kw" if s in KEYWORDS else "ident", s, pos))
        elif kind == "string":
            tokens.append(Token("string", s, pos, bytes(s[1:-1], "utf-8").decode("unicode_escape")))
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
class InterfaceDecl(Node): pass  # name, errors, procs
class Port(Node): pass           # kind, name, iface/size/rights/device
class Attr(Node): pass           # name, value (Value)
class ConfigDecl(Node): pass     # type, name, default
class ComponentDecl(Node): pass  # name, ports, attrs, configs, mode, mode_pos, kernel [(name, pos)]
class Value(Node): pass          # kind ('int','string','bool','ident'), value, unit
class Instance(Node): pass       # name, component, settings [Attr], devices {port: (path,pos)}
class End(Node): pass            # instance, port, rights (str|None), rights_pos
class Connection(Node): pass     # kind, src, dst (fault: src End has port None; control: both)
class SystemDecl(Node): pass     # name, platform, instances, connections
class Import(Node): pass         # path


class Parser:
    def __init__(self, source, diags):
        self.source = source
        self.diags = diags
        self.toks = tokenize(source, diags)
        self.i = 0

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

    def _found(self):
        t = self.tok
        return ", found end of file" if t.kind == "eof" else f", found '{t.text}'"

    def fail(self, message, hint=None):
        self.diags.error(self.tok.pos, message, hint)
        raise _Sync()

    def recover(self, closers=(";", "}")):
        """Skip to the end of the current statement so later errors are still reported."""
        depth = 0
        while self.tok.kind != "eof":
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
                else:
                    self.fail("expected 'import', 'enum', 'struct', 'interface', 'component' "
                              "or 'system'" + self._found())
            except _Sync:
                self.recover()
                self.accept("}")
                self.accept(";")
        return imports, decls

    def block(self, item):
        """Parse `{ item* }` recovering per item so one typo does not hide the rest."""
        self.expect("{")
        while not self.at("}") and self.tok.kind != "eof":
            start = self.i
            try:
                item()
            except _Sync:
                self.recover()
                if self.i == start:
                    self.next()
        self.expect("}")
        self.accept(";")

    def enum_decl(self):
        kw = self.next()
        name = self.ident("an enum name")
        members = []
        self.expect("{")
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
        self.block(field)
        return StructDecl(name.pos, name=name.text, fields=fields)

    def type_ref(self):
        t = self.tok
        if self.accept("bytes"):
            self.expect("<")
            n = self.number("a byte bound")
            self.expect(">")
            return TypeRef(t.pos, name="bytes", bound=n.value, array=None)
        n = self.ident("a type")
        return TypeRef(n.pos, name=n.text, bound=None, array=None)

    def array_suffix(self, t):
        if self.accept("["):
            n = self.number("an array length")
            self.expect("]")
            t.array = n.value
            t.array_pos = n.pos
        return t

    def interface_decl(self):
        self.next()
        name = self.ident("an interface name")
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
            self.expect(")")
            self.expect(";")
            procs.append(ProcDecl(n.pos, name=n.text, params=params))
        self.block(item)
        return InterfaceDecl(name.pos, name=name.text, errors=errors, procs=procs)

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
                self.expect(";")
                c.ports.append(Port(n.pos, kind=t.text, name=n.text, iface=iface.text,
                                    iface_pos=iface.pos))
            elif t.text in ("emits", "consumes") and t.kind == "kw":
                self.next()
                n = self.ident("an event name")
                self.expect(";")
                c.ports.append(Port(n.pos, kind=t.text, name=n.text))
            elif self.accept("dataport"):
                n = self.ident("a dataport name")
                self.expect("[")
                size = self.number("a size")
                self.expect("]")
                r = self.ident("rights (r, rw, rx ...)")
                self.expect(";")
                c.ports.append(Port(n.pos, kind="dataport", name=n.text, size=size,
                                    rights=r.text, rights_pos=r.pos))
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
                self.expect("=", "after an attribute name")
                v = self.value()
                self.expect(";")
                c.attrs.append(Attr(n.pos, name=n.text, value=v))
        self.block(item)
        return c

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
                    self.block(setting)
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
                self.expect(";")
                s.connections.append(Connection(t.pos, kind=k.text, kind_pos=k.pos, src=src, dst=dst))
            else:
                self.fail("expected 'instance', 'connect' or 'platform'" + self._found())
        self.block(item)
        return s


class _Sync(Exception):
    """Unwinds to the nearest statement boundary after an error was recorded."""


def parse_files(root_paths, diags=None):
    """Parse the given files and, transitively, everything they import (once each).
    Returns (list of (Source, decls)) in a stable order: imports before importers."""
    diags = diags if diags is not None else Diagnostics()
    done, order = {}, []

    def visit(path, from_pos):
        key = os.path.normpath(path)
        if key in done:
            return
        done[key] = True
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read()
        except OSError as e:
            diags.error(from_pos, f"cannot read '{path}': {e.strerror}")
            return
        src = Source(os.path.relpath(path) if not os.path.isabs(path) else path, text)
        src.path = path
        imports, decls = Parser(src, diags).parse_file()
        for imp in imports:
            visit(os.path.join(os.path.dirname(path), imp.path), imp.pos)
        order.append((src, decls))

    for p in root_paths:
        visit(p, None)
    return order
