"""Type resolution: the IDL's types (integers, bool, enums, structs, bounded byte strings,
arrays) with their wire size and C layout, the interfaces resolved over them, and the
check of a written value against its type. The other stages only ask this module what a
type is; none of them decides one."""
import re

from . import syntax as S

MAX_STRUCT_DEPTH = 32
MAX_SET_DEPTH = 32      # error sets including sets
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



class ErrorSet:
    """`errors Name { ... }`: codes shared by every interface (and set) that uses it. Its
    own members only; `sets` are the sets it includes, `closure` every set it reaches,
    included ones first, itself last."""

    def __init__(self, decl):
        self.name, self.decl, self.pos = decl.name, decl, decl.pos
        self.members = []       # [(name, code)], codes resolved (implicit = previous + 1)
        self.member_pos = {}
        self.sets = []
        self.closure = [self]
        self.clashed = False    # its included sets clash (reported at its head)

    @property
    def up(self):
        return snake(self.name).upper()

    def all_errors(self):
        """[(name, code, C constant)] of every set it reaches, in closure order."""
        return [(m, v, f"{s.up}_E_{m}") for s in self.closure for m, v in s.members]


class Interface:
    def __init__(self, decl):
        self.name, self.decl, self.pos = decl.name, decl, decl.pos
        self.errors = [(e.name, e.value) for e in decl.errors]
        self.sets = []          # the error sets it uses, every one it reaches (ErrorSet)
        self.procs = []

    def all_errors(self):
        """[(name, code, C constant)]: its sets' errors, then its own."""
        own = f"{snake(self.name).upper()}_E_"
        return [e for s in self.sets for e in s.all_errors()] + \
            [(n, v, f"{own}{n}") for n, v in self.errors]


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
        return [(n, t) for d, n, t in self.params if isinstance(t, CapType) and d == "out"]

    @property
    def in_caps(self):
        """[(name, CapType)] the request carries, in parameter order."""
        return [(n, t) for d, n, t in self.params if isinstance(t, CapType) and d == "in"]


class TypeResolution:
    """Builder stage 1 (mixed into model.Builder): `self.types` (name -> Type) from the
    enum and struct declarations, `self.error_sets` (name -> ErrorSet) with their codes,
    includes and closures checked, `self.interfaces` (name -> Interface) with every
    procedure's parameters resolved and sized and the error sets each uses, and
    `type_of`/`convert`/`grant_value` for the later stages. Reads `self.decls`,
    `self.abi`; reports to `self.d`."""

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
                self.d.error(tref.pos, f"cap<{tref.iface}> is allowed only as an in or out parameter "
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

    def resolve_error_sets(self):
        """`self.error_sets` (name -> ErrorSet): codes resolved and checked (kernel range,
        C enum range, duplicate names and codes), includes resolved, cycles refused, and
        every set's closure checked for one name or code given twice."""
        self.error_sets = {}
        lo = self.abi.E_COUNT
        decls = self.of_kind(S.ErrorSetDecl)
        for n, dcl in decls.items():
            es = ErrorSet(dcl)
            names, codes, prev = {}, {}, None
            if dcl.empty:
                self.d.error(dcl.pos, f"error set '{n}' has no errors",
                             "list them: NAME = 1100; NAME; ...")
            for e in dcl.members:
                if e.value is None and prev is None:
                    self.d.error(e.pos, f"the first error of set '{n}' needs a code",
                                 f"write {e.name} = N; with N at least ANV_E_COUNT ({lo}); an "
                                 "error without a code takes the previous one's plus one")
                    break       # every later implicit code depends on this one
                code = prev + 1 if e.value is None else e.value
                prev = code
                if e.name in names:
                    self.d.error(e.pos, f"duplicate error '{e.name}' in error set '{n}'",
                                 f"first declared at {names[e.name]}")
                    continue
                names[e.name] = e.pos
                if code < lo:
                    self.d.error(e.pos, f"error code {code} of '{n}.{e.name}' collides with the "
                                 "kernel's generic errors (ANV_E_*)",
                                 f"set codes take values {lo}..2147483647 (ANV_E_COUNT is {lo})")
                    continue
                if code > 0x7FFFFFFF:
                    self.d.error(e.pos, f"error code {code} of '{n}.{e.name}' is above 2147483647",
                                 "a set is a C enum and a procedure returns an int: codes "
                                 f"take values {lo}..2147483647")
                    continue
                if code in codes:
                    self.d.error(e.pos, f"error code {code} of '{n}.{e.name}' is also "
                                 f"'{n}.{codes[code]}'", "each code names one error")
                    continue
                codes[code] = e.name
                es.members.append((e.name, code))
                es.member_pos[e.name] = e.pos
            self.error_sets[n] = es
        for n, es in self.error_sets.items():
            es.sets = self._error_set_refs(es.decl, f"error set '{n}'")
        # Includes form a graph: a cycle would make a set part of itself. Depth first,
        # without recursion (a chain of any length cannot exhaust the Python stack); the
        # edge that closes a cycle is reported and dropped, which leaves a DAG, and the
        # order sets finish in puts every set after the ones it includes.
        state, finished = {}, []
        for root in self.error_sets.values():
            if root.name in state:
                continue
            state[root.name] = "busy"
            stack = [[root, 0]]
            while stack:
                top = stack[-1]
                es, k = top
                refs = es.decl.refs
                if k >= len(refs):
                    state[es.name] = "done"
                    finished.append(es)
                    stack.pop()
                    continue
                top[1] = k + 1
                inc = refs[k]
                if inc is None or inc not in es.sets:
                    continue
                if state.get(inc.name) == "busy":
                    self.d.error(es.decl.uses_errors[k][1], f"error set '{es.name}' includes "
                                 f"itself through '{es.decl.uses_errors[k][0]}'",
                                 "sets may include sets, but not in a cycle")
                    es.sets = [s for s in es.sets if s is not inc]
                elif inc.name not in state and len(stack) >= MAX_SET_DEPTH:
                    # Bounded like structs: every set's C lists what it reaches.
                    self.d.error(es.decl.uses_errors[k][1], f"error sets nest more than "
                                 f"{MAX_SET_DEPTH} levels deep at '{es.name}' -> '{inc.name}'",
                                 "flatten the nesting: a set may include several sets")
                    es.sets = [s for s in es.sets if s is not inc]
                elif inc.name not in state:
                    state[inc.name] = "busy"
                    stack.append([inc, 0])
        for es in finished:
            # dict keys: ordered, and membership is constant time however long the chain.
            out = {}
            for inc in es.sets:
                out.update(dict.fromkeys(inc.closure))
            out[es] = None
            es.closure = list(out)
        for n, es in self.error_sets.items():
            refused = self._check_error_union(es.decl, f"error set '{n}'", es.sets,
                                              [(m, v, es.member_pos[m]) for m, v in es.members])
            # A clash is reported once, here: users of the set do not repeat it.
            es.members = [(m, v) for m, v in es.members if m not in refused]

    def _error_set_refs(self, dcl, owner):
        """The sets a declaration's `uses errors` names, known ones only, each once; sets
        `dcl.refs` parallel to dcl.uses_errors (None for a refused entry)."""
        out, refs, given = [], [], {}
        for u, upos in dcl.uses_errors:
            es = self.error_sets.get(u)
            if es is None:
                other = self.decls.get(u)
                if other is not None:
                    what = type(other).__name__.replace("Decl", "").lower()
                    what = {"enum": "an enum", "struct": "a struct", "interface": "an interface",
                            "component": "a component"}.get(what, what)
                    self.d.error(upos, f"'{u}' is {what}, not an error set",
                                 "declare the codes with `errors Name { ... }`")
                else:
                    self.unknown(upos, "error set", u, self.error_sets)
                refs.append(None)
                continue
            if u in given:
                self.d.error(upos, f"error set '{u}' is given twice in the head of {owner}",
                             "name each set once")
                refs.append(None)
                continue
            given[u] = upos
            refs.append(es)
            out.append(es)
        dcl.refs = refs
        return out

    def _check_error_union(self, dcl, owner, sets, own):
        """One name and one code per owner: what its sets reach (each set once, however
        often it is reached) and its own errors `own` [(name, code, pos)]."""
        names, codes, seen, refused = {}, {}, set(), set()
        for es, (u, upos) in zip(dcl.refs, dcl.uses_errors):
            if es is None or es not in sets or es.clashed:
                continue
            for s in es.closure:
                if s in seen:
                    continue
                seen.add(s)
                via = f"'{s.name}'" if s is es else f"'{s.name}' (through '{es.name}')"
                for m, v in s.members:
                    if m in names and names[m][0] is not s:
                        self.d.error(upos, f"error '{m}' of set {via} is also in '{names[m][0].name}'; "
                                     f"{owner} would have two errors named '{m}'",
                                     "rename one of them, or take the shared ones out into a set "
                                     "both include")
                        refused.add(None)
                    elif v in codes and codes[v][0] is not s:
                        self.d.error(upos, f"error code {v} of '{s.name}.{m}' is also "
                                     f"'{codes[v][0].name}.{codes[v][1]}'; {owner} would give it two names",
                                     "each code names one error")
                        refused.add(None)
                    names.setdefault(m, (s, v))
                    codes.setdefault(v, (s, m))
        for m, v, pos in own:
            if m in names:
                self.d.error(pos, f"error '{m}' is also in error set '{names[m][0].name}', "
                             f"which {owner} uses", f"use the set's {m} (code {names[m][1]}), "
                             "or rename this one")
                refused.add(m)
            elif v in codes:
                self.d.error(pos, f"error code {v} of '{dcl.name}.{m}' is also '{codes[v][0].name}.{codes[v][1]}', "
                             f"which {owner} uses", "each code names one error")
                refused.add(m)
        if None in refused:
            # Its included sets clash with each other: its users would only repeat that.
            owner_set = self.error_sets.get(dcl.name)
            if owner_set is not None and owner_set.decl is dcl:
                owner_set.clashed = True
        return refused

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
            direct = self._error_set_refs(dcl, f"interface '{n}'")
            reached = {}
            for es in direct:
                reached.update(dict.fromkeys(es.closure))
            iface.sets = list(reached)
            self._check_error_union(dcl, f"interface '{n}'", direct,
                                    [(e.name, e.value, e.pos) for e in dcl.errors])
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
                    if isinstance(t, CapType) and prm.direction == "inout":
                        self.d.error(prm.type.pos, f"cap<{t.iface}> parameter '{prm.name}' is "
                                     "'inout'; a capability travels one way",
                                     f"write `in cap<{t.iface}> {prm.name}` (the client hands it "
                                     f"over) or `out cap<{t.iface}> {prm.name}` (the server returns one)")
                        t = None
                    if t is not None:
                        params.append((prm.direction, prm.name, t))
                proc = Proc(p.name, label, params)
                if len(proc.out_caps) > self.abi.IPC_MAX_CAPS:
                    self.d.error(p.pos, f"'{n}.{p.name}' returns {len(proc.out_caps)} capabilities; "
                                 f"a reply carries at most {self.abi.IPC_MAX_CAPS}",
                                 "return fewer, or split the procedure")
                if len(proc.in_caps) > self.abi.IPC_MAX_CAPS:
                    self.d.error(p.pos, f"'{n}.{p.name}' takes {len(proc.in_caps)} capabilities; "
                                 f"a request carries at most {self.abi.IPC_MAX_CAPS} (ANV_IPC_MAX_CAPS)",
                                 "take fewer, or split the procedure")
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


def received_closure(interfaces, served):
    """The interfaces of the capabilities requests to the `served` interfaces carry in
    (`in cap<I>`), with everything those return in turn: a server calls what it is handed,
    so it is their client. Sorted by name."""
    got = sorted({ct.iface for name in served if name in interfaces
                  for pr in interfaces[name].procs for _, ct in pr.in_caps})
    return sorted(set(got) | set(cap_closure(interfaces, got)))


def sends_caps(iface):
    """The first (procedure, parameter, CapType) of iface that takes a capability, or None."""
    for pr in iface.procs:
        for n, ct in pr.in_caps:
            return pr, n, ct
    return None


def returns_caps(iface):
    """The first (procedure, parameter, CapType) of iface that returns a capability, or None."""
    for pr in iface.procs:
        for n, ct in pr.out_caps:
            return pr, n, ct
    return None
