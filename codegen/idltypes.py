"""Type resolution: the IDL's types (integers, bool, enums, structs, bounded byte strings,
arrays) with their wire size and C layout, the interfaces resolved over them, and the
check of a written value against its type. The other stages only ask this module what a
type is; none of them decides one."""
import re

from . import syntax as S

MAX_STRUCT_DEPTH = 32
INTS = {"u8": (8, False), "u16": (16, False), "u32": (32, False), "u64": (64, False),
        "i8": (8, True), "i16": (16, True), "i32": (32, True), "i64": (64, True)}


class Type:
    words = 1
    array = None


class IntType(Type):
    def __init__(self, name):
        self.name = name
        self.bits, self.signed = INTS[name]
        self.ctype = f"{'int' if self.signed else 'uint'}{self.bits}_t"

    def range(self):
        if self.signed:
            return -(1 << (self.bits - 1)), (1 << (self.bits - 1)) - 1
        return 0, (1 << self.bits) - 1


class BoolType(Type):
    name = "bool"
    ctype = "bool"


class EnumType(Type):
    def __init__(self, decl):
        self.name = decl.name
        self.decl = decl
        self.members = [(m, v) for m, v, _ in decl.members]
        self.ctype = f"enum {snake(decl.name)}"


class StructType(Type):
    def __init__(self, decl):
        self.name = decl.name
        self.decl = decl
        self.fields = []  # (name, Type)
        self.ctype = f"struct {snake(decl.name)}"

    @property
    def words(self):
        return sum(t.words for _, t in self.fields)


class BytesType(Type):
    """A bounded byte string: one length word, then the bytes packed 8 to a word."""

    def __init__(self, bound):
        self.bound = bound
        self.name = f"bytes<{bound}>"
        self.ctype = f"struct anv_bytes_{bound}"
        self.words = 1 + (bound + 7) // 8


class CapType(Type):
    """`cap<Iface>`: a capability to an object that serves Iface. It travels in the
    message's capability list (RFC 0010 section 3.4), not in its words; in C it is the
    receiver's handle."""
    words = 0
    ctype = "anv_handle_t"

    def __init__(self, iface):
        self.iface = iface
        self.name = f"cap<{iface}>"


class ArrayType(Type):
    def __init__(self, elem, n):
        self.elem, self.n = elem, n
        self.name = f"{elem.name}[{n}]"
        self.ctype = elem.ctype
        self.array = n

    @property
    def packed(self):
        return isinstance(self.elem, IntType) and self.elem.bits == 8

    @property
    def words(self):
        return (self.n + 7) // 8 if self.packed else self.n * self.elem.words


def c_layout(t):
    """(sizeof, alignof) of type t as the generated C declares it, for RV64 lp64 and the
    x86-64 host alike (natural alignment); the generated code asserts it with the compiler."""
    if isinstance(t, IntType):
        return t.bits // 8, t.bits // 8
    if isinstance(t, BoolType):
        return 1, 1
    if isinstance(t, EnumType):
        return 4, 4
    if isinstance(t, BytesType):
        return -(-(4 + t.bound) // 4) * 4, 4
    if isinstance(t, ArrayType):
        size, align = c_layout(t.elem)
        return size * t.n, align
    off, align = 0, 1
    for _name, ft in t.fields:
        fs, fa = c_layout(ft)
        off = -(-off // fa) * fa + fs
        align = max(align, fa)
    return max(1, -(-off // align) * align), align


def snake(name):
    s = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name)
    return s.lower()



class Interface:
    def __init__(self, decl):
        self.name, self.decl, self.pos = decl.name, decl, decl.pos
        self.errors = [(e.name, e.value) for e in decl.errors]
        self.procs = []


class Proc:
    def __init__(self, name, label, params):
        self.name, self.label, self.params = name, label, params  # params: [(dir, name, Type)]

    @property
    def in_words(self):
        return sum(t.words for d, _, t in self.params if d in ("in", "inout"))

    @property
    def out_words(self):
        return sum(t.words for d, _, t in self.params if d in ("out", "inout"))

    @property
    def out_caps(self):
        """[(name, CapType)] the reply carries, in parameter order."""
        return [(n, t) for d, n, t in self.params if isinstance(t, CapType)]


class TypeResolution:
    """Builder stage 1 (mixed into model.Builder): `self.types` (name -> Type) from the
    enum and struct declarations, `self.interfaces` (name -> Interface) with every
    procedure's parameters resolved and sized, and `type_of`/`convert`/`grant_value` for
    the later stages. Reads `self.decls`, `self.abi`; reports to `self.d`."""

    def resolve_types(self):
        self.types = {}
        for n, dcl in self.of_kind(S.EnumDecl).items():
            seen = {}
            for m, v, pos in dcl.members:
                if m in seen:
                    self.d.error(pos, f"duplicate enumerator '{m}' in enum '{n}'")
                if not 0 <= v <= 0x7FFFFFFF:
                    self.d.error(pos, f"enumerator value {v} is outside 0..2147483647")
                seen[m] = v
            if not dcl.members:
                self.d.error(dcl.pos, f"enum '{n}' has no enumerators")
            self.types[n] = EnumType(dcl)
        structs = self.of_kind(S.StructDecl)
        for n, dcl in structs.items():
            self.types[n] = StructType(dcl)
        # Fields resolve in dependency order so a struct may use any struct declared
        # anywhere; a struct that contains itself is refused.
        state = {}

        def fill(n, depth=0):
            if state.get(n) == "done":
                return True
            if state.get(n) == "busy":
                return False
            state[n] = "busy"
            st, names = self.types[n], set()
            for tref, fname, pos in structs[n].fields:
                if fname in names:
                    self.d.error(pos, f"duplicate field '{fname}' in struct '{n}'")
                names.add(fname)
                if tref.name in structs and state.get(tref.name) != "done":
                    # Bounded so the checker and the emitters (which walk types
                    # recursively) never exhaust the stack on a generated chain.
                    if depth >= MAX_STRUCT_DEPTH:
                        self.d.error(tref.pos, f"structs nest more than {MAX_STRUCT_DEPTH} levels deep "
                                     f"at '{n}' -> '{tref.name}'", "flatten the nesting; no message "
                                     f"holds more than {self.abi.IPC_MAX_WORDS} words anyway")
                        continue
                    if not fill(tref.name, depth + 1):
                        self.d.error(tref.pos, f"struct '{n}' contains itself through '{tref.name}'")
                        continue
                t = self.type_of(tref)
                if t is not None:
                    st.fields.append((fname, t))
            state[n] = "done"
            return True
        for n in structs:
            fill(n)

    def type_of(self, tref, cap_ok=False):
        if tref.name == "cap" and getattr(tref, "iface", None) is not None:
            if not cap_ok:
                self.d.error(tref.pos, f"cap<{tref.iface}> is allowed only as an out parameter "
                             "of a procedure", "a capability travels beside a message's words, "
                             "never inside a struct, a configuration value or a grant")
                return None
            if tref.iface not in self.of_kind(S.InterfaceDecl):
                self.unknown(tref.iface_pos, "interface", tref.iface, list(self.of_kind(S.InterfaceDecl)))
                return None
            if tref.array is not None:
                self.d.error(tref.array_pos, "arrays of capabilities are not supported",
                             f"declare one out cap<{tref.iface}> parameter per capability")
                return None
            return CapType(tref.iface)
        if tref.name == "bytes":
            if not 1 <= tref.bound <= 8 * (self.abi.IPC_MAX_WORDS - 1):
                self.d.error(tref.pos, f"bytes<{tref.bound}> bound must be 1..{8 * (self.abi.IPC_MAX_WORDS - 1)}")
                return None
            t = BytesType(tref.bound)
        elif tref.name in INTS:
            t = IntType(tref.name)
        elif tref.name == "bool":
            t = BoolType()
        elif tref.name in self.types:
            t = self.types[tref.name]
        else:
            cands = list(INTS) + ["bool", "bytes"] + list(self.types)
            self.unknown(tref.pos, "type", tref.name, cands)
            return None
        if tref.array is not None:
            if isinstance(t, BytesType):
                self.d.error(tref.array_pos, "arrays of bytes<N> are not supported",
                             "use a struct holding the byte strings, or one larger bound")
                return None
            if not 1 <= tref.array <= 512:
                self.d.error(tref.array_pos, f"array length {tref.array} must be 1..512")
                return None
            t = ArrayType(t, tref.array)
        return t

    def resolve_interfaces(self):
        self.interfaces = {}
        maxw = self.abi.IPC_MAX_WORDS
        for n, dcl in self.of_kind(S.InterfaceDecl).items():
            iface = Interface(dcl)
            seen = {}
            for e in dcl.errors:
                if e.name in seen:
                    self.d.error(e.pos, f"duplicate error '{e.name}' in interface '{n}'")
                if not self.abi.E_COUNT <= e.value <= 0xFFFFFFFF:
                    self.d.error(e.pos, f"error value {e.value} collides with the kernel's errors",
                                 f"interface errors take values {self.abi.E_COUNT}..4294967295 "
                                 f"(ANV_E_COUNT is {self.abi.E_COUNT})")
                seen[e.name] = e
            names = {}
            for label, p in enumerate(dcl.procs):
                if p.name in names:
                    self.d.error(p.pos, f"duplicate procedure '{p.name}' in interface '{n}'",
                                 f"first declared at {names[p.name].pos}")
                    continue
                names[p.name] = p
                params, pnames = [], set()
                for prm in p.params:
                    if prm.name in pnames:
                        self.d.error(prm.pos, f"duplicate parameter '{prm.name}' in '{n}.{p.name}'")
                    pnames.add(prm.name)
                    t = self.type_of(prm.type, cap_ok=True)
                    if isinstance(t, CapType) and prm.direction != "out":
                        self.d.error(prm.type.pos, f"cap<{t.iface}> parameter '{prm.name}' is "
                                     f"'{prm.direction}'; only a reply carries capabilities here",
                                     f"write `out cap<{t.iface}> {prm.name}`: the server returns "
                                     "the capability, the client's stub receives it")
                        t = None
                    if t is not None:
                        params.append((prm.direction, prm.name, t))
                proc = Proc(p.name, label, params)
                if len(proc.out_caps) > self.abi.IPC_MAX_CAPS:
                    self.d.error(p.pos, f"'{n}.{p.name}' returns {len(proc.out_caps)} capabilities; "
                                 f"a reply carries at most {self.abi.IPC_MAX_CAPS}",
                                 "return fewer, or split the procedure")
                for what, w in (("request", proc.in_words), ("reply", proc.out_words)):
                    if w > maxw:
                        self.d.error(p.pos, f"'{n}.{p.name}' {what} needs {w} words; an IPC "
                                     f"message holds {maxw}",
                                     "pass bulk data through a dataport")
                iface.procs.append(proc)
            self.interfaces[n] = iface

    def convert(self, t, v):
        """Check a configuration value against its type; returns the Python value."""
        if isinstance(t, IntType):
            lo, hi = t.range()
            if v.kind != "int" or v.unit:
                self.d.error(v.pos, f"type mismatch: expected {t.name}, found {v.kind} value")
            elif not lo <= v.value <= hi:
                self.d.error(v.pos, f"value {v.value} does not fit {t.name} ({lo}..{hi})")
            else:
                return v.value
        elif isinstance(t, BoolType):
            if v.kind != "bool":
                self.d.error(v.pos, f"type mismatch: expected bool, found {v.kind} value",
                             "write true or false")
            else:
                return v.value
        elif isinstance(t, EnumType):
            names = dict(t.members)
            if v.kind != "ident":
                self.d.error(v.pos, f"type mismatch: expected an enumerator of '{t.name}'")
            elif v.value not in names:
                self.unknown(v.pos, f"enumerator of '{t.name}'", v.value, names)
            else:
                return v.value
        elif isinstance(t, BytesType):
            if v.kind != "string":
                self.d.error(v.pos, f"type mismatch: expected a string for {t.name}")
            elif len(v.value.encode()) > t.bound:
                self.d.error(v.pos, f"string of {len(v.value.encode())} bytes exceeds {t.name}")
            else:
                return v.value
        return None

    def grant_value(self, t, v):
        """A grant's value checked against its type: a list for an array grant."""
        if not isinstance(t, ArrayType):
            return self.convert(t, v)
        if v.kind != "list":
            self.d.error(v.pos, f"type mismatch: expected a list for {t.name}",
                         "write [a, b], or [] for none")
            return None
        if len(v.value) > t.n:
            self.d.error(v.pos, f"list of {len(v.value)} values exceeds {t.name}")
            return None
        out = [self.convert(t.elem, x) for x in v.value]
        return None if any(x is None for x in out) else out


def cap_closure(interfaces, roots):
    """The interfaces whose capabilities travel from the given ones: every Iface some
    procedure of a root (or of one reached so far) returns as `out cap<Iface>`. A server
    of a root mints and serves objects of these; a client of a root calls them. Sorted by
    name, which is also their index in the object badges (docs/idl.md)."""
    seen, todo = set(), list(roots)
    for _ in range(len(interfaces) + len(roots) + 1):   # each interface is visited once
        if not todo:
            break
        nxt = []
        for name in todo:
            iface = interfaces.get(name)
            for pr in iface.procs if iface else []:
                for _, ct in pr.out_caps:
                    if ct.iface not in seen:
                        seen.add(ct.iface)
                        nxt.append(ct.iface)
        todo = nxt
    return sorted(seen)


def returns_caps(iface):
    """The first (procedure, parameter, CapType) of iface that returns a capability, or None."""
    for pr in iface.procs:
        for n, ct in pr.out_caps:
            return pr, n, ct
    return None
