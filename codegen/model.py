"""Name resolution, validation and layout: turns the parsed files into one checked
System (instances, objects, CSpace slots, mappings, threads) that every emitter reads.
All errors are collected and reported together; nothing is emitted from a bad model."""
import os
import re

from .diagnostics import Diagnostics, did_you_mean
from .platform import load_platform
from . import syntax as S

# ---- Types --------------------------------------------------------------------------------
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


def rights_str(r):
    return "".join(ch if r & bit else "-" for ch, bit in (("r", 1), ("w", 2), ("x", 4), ("g", 8)))


# ---- The validated model ------------------------------------------------------------------
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


class Obj:
    def __init__(self, index, otype, name, pages=0, paddr=0, irq=0, ntfn=None, badge=0,
                 flags=0, owner=None):
        self.index, self.type, self.name = index, otype, name
        self.pages, self.paddr, self.irq, self.ntfn, self.badge = pages, paddr, irq, ntfn, badge
        self.flags, self.owner = flags, owner


class Slot:
    def __init__(self, index, name, obj, rights, badge=0, peer=""):
        self.index, self.name, self.obj, self.rights, self.badge, self.peer = \
            index, name, obj, rights, badge, peer
        self.grants = None   # {grant: value} the server's port gives this client, if it has any


class Mapping:
    def __init__(self, name, vaddr, obj, pages, rights, flags=0):
        self.name, self.vaddr, self.obj, self.pages, self.rights, self.flags = \
            name, vaddr, obj, pages, rights, flags


class Thread:
    """One thread of an instance: index i (the kernel passes it to the thread), its objects,
    and where its IPC buffer and stack are mapped (set by the layout)."""

    def __init__(self, index, thread_obj, ipcbuf_obj, stack_obj):
        self.index, self.thread_obj, self.ipcbuf_obj, self.stack_obj = \
            index, thread_obj, ipcbuf_obj, stack_obj
        self.ipcbuf_vaddr = self.stack_base = self.stack_top = 0
        self.slot = None


class Instance:
    def __init__(self, decl, comp):
        self.name, self.decl, self.comp = decl.name, decl, comp
        self.prefix = snake(comp.name)
        self.slots, self.mappings = [], []
        self.config = []       # (name, Type, python value)
        self.attrs = {}
        self.clients = {}      # provides port -> [(badge, client instance, client port)]
        self.client_grants = {}  # provides port with grants -> [{grant: value}] in badge order
        self.uses_conn = {}    # uses port -> (server instance, server port, slot)
        self.emit_slots = {}   # emits port -> [Slot]
        self.event_bits = {}   # consumes port / device name -> bit
        self.dataports = {}    # port -> (Mapping, Slot)
        self.devices = {}      # device key -> dict(device=..., mmio=Mapping, mmio_slot, irq_slot);
                               # the key is the port, or port + index for `device ... all`
        self.device_groups = {}  # port -> [device keys] (one key unless `all`)
        self.dma = {}          # dma port -> (Mapping, Slot, bytes)
        self.regions = {}      # region port -> (vaddr, bytes)
        self.restart_policy = "on-failure"


class System:
    pass


# Layout of every process's address space (documented in docs/generator.md).
IMAGE_BASE = 0x0040_0000
IPCBUF_VADDR = 0x1000_0000
STACK_BASE = 0x1000_2000      # one unmapped guard page below it
# Extra threads (`threads = N;`): thread i's IPC buffer and stack follow thread i-1's stack
# top as [guard][IPC buffer][guard][stack], so every stack has an unmapped page below it
# (an overflow faults instead of writing into a neighbour) and above it (a stack top is
# never adjacent to another thread's memory).
MAX_THREADS = 16
# The interrupt controllers the kernel drives (kernel/boot/dtb.c) and its IRQ bound (kernel
# IRQ_MAX - 1); the platform's own source count is checked again at boot.
INTERRUPT_CONTROLLERS = {"riscv,plic0", "sifive,plic-1.0.0"}
IRQ_LIMIT = 127
HEAP_BASE = 0x2000_0000
DATAPORT_BASE = 0x3000_0000
DEVICE_BASE = 0x4000_0000
DMA_BASE = 0x5000_0000        # DMA buffers, each followed by an unmapped guard page
REGION_BASE = 0x1_0000_0000   # reserved regions (`region`), 2 MiB aligned, up to REGION_TOP
REGION_TOP = 0x40_0000_0000   # ANV_USER_TOP: the end of the Sv39 user half
MEGA = 0x20_0000
REGION_END = {DATAPORT_BASE: DEVICE_BASE, DEVICE_BASE: DMA_BASE, DMA_BASE: 0x8000_0000,
              HEAP_BASE: DATAPORT_BASE}


ATTR_DEFAULTS = {"priority": 100, "budget": 10000, "period": 10000, "stack": 16384,
                 "heap": 0, "cspace": 32, "pool": 0, "threads": 1, "restarts": 0, "registry": 16}
ATTR_UNITS = {"priority": {""}, "cspace": {""}, "budget": S.TIME_UNITS, "period": S.TIME_UNITS,
              "stack": S.SIZE_UNITS, "heap": S.SIZE_UNITS, "pool": S.SIZE_UNITS,
              "threads": {""}, "restarts": {""}, "registry": {""}}
# Badges on the supervisor's endpoint (docs/idl.md, "Services"): bits 35..32 say what sent
# the message, the low bits number the sender, so fault records and registry requests
# arriving on one endpoint are told apart without a second endpoint.
SUPERVISOR_FAULT_BADGE = 1 << 32
SUPERVISOR_CLIENT_BADGE = 2 << 32
# Attributes that describe the program rather than its placement: the component's code is
# written for them (its threads enter anv_thread_main(i)), so an instance may not change them.
COMPONENT_ONLY_ATTRS = {"threads"}

# `kernel <name>, ...;`: the system-wide kernel objects a component may be given, with the
# object type and the rights of its capability. The console has a well-known slot
# (ANV_SLOT_CONSOLE); the others take the next free slots in this order.
KERNEL_RESOURCES = {"console": ("CONSOLE", 2), "sysctl": ("SYSCTL", 2), "audit": ("AUDIT", 1)}

MAP_DEVICE = 1  # mapping flag: uncached device memory
OBJ_F_DEVICE = 1  # object flag: frames at a fixed physical address
# What a service's exit (proc.exit, or returning from main) makes its supervisor do.
RESTART_POLICIES = ("on-failure", "always", "never")
# Memory the build assumes the kernel keeps before its loader runs (its image, stacks, the
# boot image; the pre-flight step of the tests assumes the same), and a lower bound of a
# capability's size in the kernel (struct cap in kernel/object/object.h is larger).
KERNEL_RESERVED_BYTES = 8 << 20
CAP_BYTES_AT_LEAST = 64
# Elements of an array grant at most: a short list per client (ports, peers).
MAX_GRANT_ARRAY = 64


def parse_rights(text):
    r = 0
    for ch in text:
        bit = {"r": 1, "w": 2, "x": 4, "g": 8}.get(ch)
        if bit is None or r & bit:
            return None
        r |= bit
    return r


class Builder:
    def __init__(self, abi, files, platform_override=None, system_name=None, root_path=None,
                 diags=None):
        self.abi = abi
        self.d = diags if diags is not None else Diagnostics()
        self.files = files
        self.platform_override = platform_override
        self.system_name = system_name
        self.root_path = root_path
        self.platform_path = None

    # -- helpers
    def unknown(self, pos, what, name, candidates):
        self.d.error(pos, f"unknown {what} '{name}'", did_you_mean(name, candidates))

    def build(self):
        self.collect()
        self.resolve_types()
        self.resolve_interfaces()
        self.resolve_components()
        from . import cnames   # imports this module's snake()
        cnames.check(self)
        sysdecl = self.pick_system()
        self.d.raise_if_any()
        if sysdecl is None:
            return None
        system = self.build_system(sysdecl)
        self.d.raise_if_any()
        # Every file the outputs depend on, for build systems (`generate --list-inputs`).
        system.inputs = [os.path.normpath(src.path) for src, _ in self.files]
        if self.platform_path:
            system.inputs.append(os.path.normpath(self.platform_path))
        return system

    # -- global namespace
    def collect(self):
        # Systems have a namespace of their own: nothing in the language refers to a system
        # (only --system does), so a system may share the name of its main component or
        # interface (system Hello with component Hello). Types, interfaces and components
        # name each other and share one namespace.
        self.decls, systems = {}, {}
        for _src, decls in self.files:
            for dcl in decls:
                space = systems if isinstance(dcl, S.SystemDecl) else self.decls
                prev = space.get(dcl.name)
                if prev is not None:
                    self.d.error(dcl.pos, f"duplicate name '{dcl.name}'",
                                 f"first defined at {prev.pos}")
                    continue
                space[dcl.name] = dcl

    def of_kind(self, cls):
        return {n: d for n, d in self.decls.items() if isinstance(d, cls)}

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

    def type_of(self, tref):
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
                    t = self.type_of(prm.type)
                    if t is not None:
                        params.append((prm.direction, prm.name, t))
                proc = Proc(p.name, label, params)
                for what, w in (("request", proc.in_words), ("reply", proc.out_words)):
                    if w > maxw:
                        self.d.error(p.pos, f"'{n}.{p.name}' {what} needs {w} words; an IPC "
                                     f"message holds {maxw}",
                                     "pass bulk data through a dataport")
                iface.procs.append(proc)
            self.interfaces[n] = iface

    def resolve_components(self):
        self.components = self.of_kind(S.ComponentDecl)
        for n, c in self.components.items():
            ports = {}
            c.port_map = ports
            for p in c.ports:
                if p.name in ports:
                    self.d.error(p.pos, f"duplicate port '{p.name}' in component '{n}'",
                                 f"first declared at {ports[p.name].pos}")
                    continue
                ports[p.name] = p
                if p.kind in ("provides", "uses") and p.iface not in self.interfaces:
                    self.unknown(p.iface_pos, "interface", p.iface, self.interfaces)
                if p.kind == "dataport" and p.dtype is not None:
                    # Typed: one struct, its C size (the generated code asserts the
                    # compiler agrees), mapped as whole pages.
                    p.t = self.type_of(p.dtype)
                    p.size = S.Value(p.dtype.pos, kind="int", value=0, unit="")
                    if p.t is not None and not isinstance(p.t, StructType):
                        self.d.error(p.dtype.pos, f"a typed dataport holds a struct, not {p.t.name}",
                                     f"declare `struct S {{ ... }};` and write `dataport {p.name} : S rw;`, "
                                     f"or give a size: `dataport {p.name}[4K] rw;`")
                        p.t = None
                    p.size_bytes = c_layout(p.t)[0] if p.t is not None else self.abi.PAGE_SIZE
                    p.size.value = p.size_bytes
                elif p.kind == "dataport":
                    p.t = None
                    if p.size.unit not in S.SIZE_UNITS or p.size.value <= 0:
                        self.d.error(p.size.pos, "a dataport size is a positive byte count (K, M allowed)")
                    p.size_bytes = p.size.value * S.UNITS.get(p.size.unit, 1)
                if p.kind == "dataport":
                    p.max_rights = parse_rights(p.rights)
                    if p.max_rights is None or p.max_rights & 8:
                        self.d.error(p.rights_pos, f"bad dataport rights '{p.rights}'",
                                     "dataport rights are letters from r, w, x")
                        p.max_rights = 3
                    elif p.max_rights & 4:
                        self.d.error(p.rights_pos, f"dataport '{p.name}' with rights '{p.rights}' would be "
                                     "executable; memory shared or given as a frame never is",
                                     "code comes only from the component's own image (W^X across "
                                     "mappings, RFC 0010); use r or rw")
                        p.max_rights &= 3
                if p.kind in ("dma", "region"):
                    p.size_bytes = p.size.value * S.UNITS.get(p.size.unit, 1)
                    if p.size.unit not in S.SIZE_UNITS or p.size.value <= 0:
                        self.d.error(p.size.pos, f"a {p.kind} size is a positive byte count (K, M allowed)")
                        p.size_bytes = self.abi.PAGE_SIZE
                    elif p.size_bytes % self.abi.PAGE_SIZE:
                        self.d.error(p.size.pos, f"{p.kind} '{p.name}' of {p.size_bytes} bytes is not a "
                                     f"whole number of pages ({self.abi.PAGE_SIZE})",
                                     f"use a multiple of 4K, e.g. [{-(-p.size_bytes // self.abi.PAGE_SIZE) * 4}K]")
                    elif p.kind == "region" and p.size_bytes > REGION_TOP - REGION_BASE:
                        self.d.error(p.size.pos, f"region '{p.name}' is larger than the "
                                     f"{(REGION_TOP - REGION_BASE) >> 30} GiB of address space for regions")
            for p in c.ports:
                if p.kind in ("provides", "uses"):
                    self.resolve_grants(c, p)
            if sum(1 for p in ports.values() if p.kind == "provides") > 255:
                self.d.error(c.pos, "more than 255 provided interfaces")
            cnames = set()
            for cf in c.configs:
                if cf.name in cnames or cf.name in ATTR_DEFAULTS:
                    self.d.error(cf.pos, f"duplicate configuration name '{cf.name}'")
                cnames.add(cf.name)
                cf.t = self.type_of(cf.type)
                if cf.t is not None and not isinstance(cf.t, (IntType, BoolType, EnumType, BytesType)):
                    self.d.error(cf.type.pos, "configuration values are integers, bool, enums or bytes<N>")
                    cf.t = None
                if cf.t is not None and cf.default is not None:
                    self.convert(cf.t, cf.default)
            c.attr_vals = {}
            for a in c.attrs:
                if a.name not in ATTR_DEFAULTS:
                    self.unknown(a.pos, "attribute", a.name, list(ATTR_DEFAULTS))
                elif a.name in c.attr_vals:
                    self.d.error(a.pos, f"attribute '{a.name}' is set twice")
                else:
                    v = self.attr_value(a)
                    c.attr_vals[a.name] = (ATTR_DEFAULTS[a.name] if v is None else v, a.pos)
            c.kernel_set = set()
            for kname, kpos in c.kernel:
                if kname not in KERNEL_RESOURCES:
                    self.unknown(kpos, "kernel resource", kname, list(KERNEL_RESOURCES))
                elif kname in c.kernel_set:
                    self.d.error(kpos, f"kernel resource '{kname}' is listed twice in component '{n}'")
                c.kernel_set.add(kname)
            c.kernel_set &= set(KERNEL_RESOURCES)
            # A passive server has no budget of its own and runs only on its clients'
            # calls; a second passive thread would never be scheduled.
            if c.mode == "passive" and c.attr_vals.get("threads", (1,))[0] != 1:
                self.d.error(c.attr_vals["threads"][1], f"passive component '{n}' must have 1 thread, "
                             f"not {c.attr_vals['threads'][0]}",
                             "make it 'thread' to give it several threads")
            if c.supervises is not None and c.mode != "thread":
                self.d.error(c.supervises, f"supervising component '{n}' needs its own thread",
                             "add `thread;`: it waits for faults and requests, nobody calls it into life")
            if c.mode == "passive" and not any(p.kind == "provides" for p in c.ports):
                self.d.error(c.mode_pos, f"passive component '{n}' provides no interface",
                             "a passive server only runs on its clients' calls; give it a 'provides' or make it 'thread'")

    def resolve_grants(self, comp, p):
        """The grants a provided port declares: per connection, what the server gives that
        client (a subtree, a quota, ports), shown on the client's capability in the CSpace
        manifests. Scalars as configurations take them, and fixed arrays of those."""
        p.grant_map = {}
        if p.grants_pos is None:
            return
        if p.kind == "uses":
            self.d.error(p.grants_pos, f"grants belong to a provided port: 'uses {p.iface} {p.name}' "
                         "cannot declare them",
                         "the server declares them on its `provides` port; each connection gives "
                         "their values: `connect rpc a.p -> b.q { name = value; };`")
            return
        if not p.grants and not getattr(p, "grants_broken", False):
            self.d.error(p.grants_pos, f"the block of port '{p.name}' declares no grants",
                         "declare them as `grant u64 quota_bytes = 0;`, or remove the braces")
        for g in p.grants:
            if g.name in p.grant_map:
                self.d.error(g.pos, f"duplicate grant '{g.name}' of port '{comp.name}.{p.name}'",
                             f"first declared at {p.grant_map[g.name].pos}")
                continue
            p.grant_map[g.name] = g
            # The element first: unlike a parameter, a grant may be an array of bytes<N>
            # (peers as "10.0.2.2:80"), since it is never marshalled.
            n = g.type.array
            g.type.array = None
            elem = self.type_of(g.type)
            g.type.array = n
            g.t = elem
            if elem is not None and not isinstance(elem, (IntType, BoolType, EnumType, BytesType)):
                self.d.error(g.type.pos, "a grant is an integer, bool, enum or bytes<N>, or a fixed "
                             "array of those", "a struct cannot be given per connection")
                g.t = None
            elif elem is not None and n is not None:
                if not 1 <= n <= MAX_GRANT_ARRAY:
                    self.d.error(g.type.array_pos, f"grant array '{g.name}' has {n} elements; "
                                 f"an array grant has 1..{MAX_GRANT_ARRAY}",
                                 "grants are a short list per client")
                    g.t = None
                else:
                    g.t = ArrayType(elem, n)
            if g.t is not None and g.default is not None:
                g.default_value = self.grant_value(g.t, g.default)

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

    def attr_value(self, a):
        v = a.value
        if v.kind != "int":
            self.d.error(v.pos, f"attribute '{a.name}' takes a number")
            return None
        if v.unit not in ATTR_UNITS[a.name]:
            self.d.error(v.pos, f"unit '{v.unit}' does not fit attribute '{a.name}'",
                         "sizes take K/M, times take us/ms/s, priority, cspace and threads take none")
            return None
        val = v.value * S.UNITS[v.unit]
        # Each range is what the binary manifest (or the kernel behind it) can hold, so a
        # value `check` accepts can always be generated; the field is named in the message.
        u32 = (1 << 32) - 1
        limits = {"priority": (0, 255, "the thread's priority, 0..255"),
                  "cspace": (self.abi.SLOT_FIRST_FREE, self.abi.manifest("MAX_CSPACE_SLOTS"),
                             "the manifest's cspace_slots"),
                  "budget": (0, u32, "the manifest's 32-bit budget_us"),
                  "period": (1, u32, "the manifest's 32-bit period_us"),
                  "stack": (4096, 1 << 28, "the stack region of the address space"),
                  "heap": (0, 1 << 28, "the heap region of the address space"),
                  "pool": (self.abi.PAGE_SIZE, self.abi.manifest("MAX_POOL_PAGES") * self.abi.PAGE_SIZE,
                           "the manifest's pool of at most MANIFEST_MAX_POOL_PAGES pages"),
                  "threads": (1, MAX_THREADS, "threads per component"),
                  "restarts": (0, 255, "the service manager's 8-bit restart count"),
                  "registry": (1, 256, "registry entries")}[a.name]
        if not limits[0] <= val <= limits[1]:
            unit = " us" if a.name in ("budget", "period") else ""
            self.d.error(v.pos, f"{a.name} {val}{unit} is outside {limits[0]}..{limits[1]} ({limits[2]})")
            return None
        # The kernel's pool hands out whole frames, so its size is a page count (the
        # manifest's object `size`); a partial page would silently be lost.
        if a.name == "pool" and val % self.abi.PAGE_SIZE:
            self.d.error(v.pos, f"pool {val} is not a multiple of the page size ({self.abi.PAGE_SIZE})",
                         f"use a multiple of 4K, e.g. `pool = {-(-val // self.abi.PAGE_SIZE) * 4}K;`")
            return None
        return val

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

    def pick_system(self):
        systems = [d for src, decls in self.files for d in decls if isinstance(d, S.SystemDecl)]
        if self.system_name:
            for s in systems:
                if s.name == self.system_name:
                    return s
            self.d.error(None, f"no system named '{self.system_name}'",
                         did_you_mean(self.system_name, [s.name for s in systems]))
            return None
        if not systems:
            return None  # a file of interfaces and components only: checked, nothing to build
        own = [d for src, decls in self.files if os.path.normpath(src.path) == os.path.normpath(self.root_path or "")
               for d in decls if isinstance(d, S.SystemDecl)] or systems
        if len(own) != 1:
            self.d.error(own[1].pos if len(own) > 1 else None,
                         "expected exactly one 'system' in the input" if not own else
                         f"several systems ({', '.join(s.name for s in own)}); choose one with --system",
                         f"the first is '{own[0].name}' at {own[0].pos}" if len(own) > 1 else None)
            return None
        return own[0]

    # -- the system
    def build_system(self, sd):
        abi = self.abi
        sysm = System()
        sysm.name, sysm.decl, sysm.abi = sd.name, sd, abi
        sysm.interfaces = self.interfaces
        sysm.types = self.types
        insts = {}
        for idecl in sd.instances:
            if idecl.name in insts:
                self.d.error(idecl.pos, f"duplicate instance '{idecl.name}'",
                             f"first declared at {insts[idecl.name].decl.pos}")
                continue
            comp = self.components.get(idecl.component)
            if comp is None:
                self.unknown(idecl.component_pos, "component", idecl.component, self.components)
                continue
            insts[idecl.name] = self.make_instance(idecl, comp)
        sysm.instances = list(insts.values())
        self.insts = insts
        self.find_supervisor(sysm)

        conns = self.check_connections(sd)
        self.check_unconnected(sd, sysm)
        if sd.platform and self.platform_override is None:
            # A named platform file must exist even when no device is claimed from it yet.
            path = os.path.join(os.path.dirname(sd.pos.source.path), sd.platform[0])
            if not os.path.isfile(path):
                self.d.error(sd.platform[1], f"cannot read platform '{path}': no such file",
                             "platform paths are relative to the system file")
        if len(self.d):
            return sysm
        self.platform = None
        self.layout(sysm, sd, conns)
        return sysm

    def check_unconnected(self, sd, sysm):
        """A `consumes` no event reaches would block its waiter forever, and a dataport no
        connection names silently gets a private page: both are errors unless the port is
        declared `optional`."""
        connected = set()
        for c in sd.connections:
            if c.kind in ("event", "dataport"):
                connected.add((c.src.instance, c.src.port))
                connected.add((c.dst.instance, c.dst.port))
        for inst in sysm.instances:
            for p in inst.comp.ports:
                if p.kind not in ("consumes", "dataport") or getattr(p, "optional", False):
                    continue
                if (inst.name, p.name) in connected:
                    continue
                if p.kind == "consumes":
                    self.d.error(inst.decl.pos, f"'{inst.name}.{p.name}' consumes an event no connection "
                                 "sends: its wait would block forever",
                                 f"add `connect event <instance>.<emits> -> {inst.name}.{p.name};`, or "
                                 f"declare `consumes {p.name} optional;` in '{inst.comp.name}'")
                else:
                    self.d.error(inst.decl.component_pos, f"dataport '{inst.name}.{p.name}' is connected to nothing: "
                                 "it would be a private page shared with nobody",
                                 f"add `connect dataport {inst.name}.{p.name} -> <instance>.<dataport>;`, "
                                 f"or declare it `optional` in '{inst.comp.name}'")

    def find_supervisor(self, sysm):
        """The instance whose component `supervises`: every other instance is then a service
        it starts, supervises and restarts (held at boot, its threads controlled, its faults
        reported to the supervisor)."""
        sups = [i for i in sysm.instances if i.comp.supervises is not None]
        for extra in sups[1:]:
            self.d.error(extra.decl.pos, f"'{extra.name}' and '{sups[0].name}' both supervise the system",
                         "a system has one service manager; instantiate the supervising component once")
        sysm.supervisor = self.sup = sups[0] if sups else None
        sysm.services = [i for i in sysm.instances if i is not self.sup] if self.sup else []
        for k, svc in enumerate(sysm.services):
            svc.service_number = k + 1
        for i in sysm.instances:
            i.held = self.sup is not None and i is not self.sup
            i.resolved = {}      # uses port -> (server instance, server port, badge, rights)
            i.registry_badge = None

    def make_instance(self, idecl, comp):
        inst = Instance(idecl, comp)
        attrs = {k: (v, None) for k, v in ATTR_DEFAULTS.items()}
        attrs.update(comp.attr_vals)
        cfg = {cf.name: cf for cf in comp.configs}
        given = {}
        for s in idecl.settings:
            if s.name in given:
                self.d.error(s.pos, f"'{s.name}' is set twice for instance '{inst.name}'")
            given[s.name] = s
            if s.name == "restart" and "restart" not in cfg:
                if s.value.kind != "ident" or s.value.value not in RESTART_POLICIES:
                    shown = s.value.value if s.value.kind in ("ident", "string") else "a number"
                    self.d.error(s.value.pos, f"restart policy '{shown}' of '{inst.name}' is not one of "
                                 + ", ".join(RESTART_POLICIES),
                                 "`restart = on-failure;` restarts after a non-zero exit, `always` "
                                 "after any exit, `never` leaves it exited")
                else:
                    inst.restart_policy = s.value.value
                continue
            if s.name in COMPONENT_ONLY_ATTRS:
                self.d.error(s.pos, f"'{s.name}' is an attribute of component '{comp.name}', "
                             f"not of instance '{inst.name}'",
                             f"the component's code is written for its threads; set `{s.name} = ...;` "
                             "in the component")
            elif s.name in ATTR_DEFAULTS:
                v = self.attr_value(s)
                if v is not None:
                    attrs[s.name] = (v, s.pos)
            elif s.name not in cfg:
                self.unknown(s.pos, f"attribute or configuration of '{comp.name}'", s.name,
                             list(ATTR_DEFAULTS) + ["restart"] + list(cfg))
        for name, cf in cfg.items():
            if cf.t is None:
                continue
            v = given.get(name)
            val = self.convert(cf.t, v.value) if v is not None else \
                (self.convert(cf.t, cf.default) if cf.default is not None else None)
            if v is None and cf.default is None:
                self.d.error(idecl.pos, f"instance '{inst.name}' gives no value for configuration "
                             f"'{name}' of '{comp.name}'", f"add `{name} = ...;` in its block")
            inst.config.append((name, cf.t, val))
        inst.attrs = {k: v for k, (v, _) in attrs.items()}
        inst.attr_pos = {k: p for k, (_, p) in attrs.items()}
        inst.passive = comp.mode == "passive"
        if inst.attrs["budget"] == 0 and comp.mode != "passive":
            self.d.error(inst.attr_pos["budget"] or idecl.pos,
                         f"budget 0 us: the threads of '{inst.name}' would never run",
                         "give it a budget of at least 1us, or make the component passive")
        if inst.attrs["budget"] > inst.attrs["period"]:
            self.d.error(inst.attr_pos["budget"] or idecl.pos,
                         f"budget {inst.attrs['budget']} us exceeds period {inst.attrs['period']} us")
        inst.device_pins = {}
        for dname, dpos, val, vpos in idecl.devices:
            p = comp.port_map.get(dname)
            if p is None or p.kind != "device":
                self.unknown(dpos, f"device of '{comp.name}'", dname,
                             [q.name for q in comp.ports if q.kind == "device"])
            else:
                inst.device_pins[dname] = (val, vpos)
        return inst

    def end_port(self, end):
        inst = self.insts.get(end.instance)
        if inst is None:
            self.unknown(end.pos, "instance", end.instance, self.insts)
            return None, None
        p = inst.comp.port_map.get(end.port)
        if p is None:
            self.unknown(end.port_pos, f"port of '{inst.name}' ({inst.comp.name})", end.port,
                         inst.comp.port_map)
            return inst, None
        return inst, p

    def end_instance(self, end):
        inst = self.insts.get(end.instance)
        if inst is None:
            self.unknown(end.pos, "instance", end.instance, self.insts)
        return inst

    def check_kernel_connections(self, sd):
        """`connect fault a -> h.port;` and `connect control a -> b;`: whole threads rather
        than ports at the source, so they are checked apart from rpc/event/dataport."""
        self.fault_conns, self.control_conns, self.manage_conns = [], [], []
        handler_of, controls = {}, {}
        for c in sd.connections:
            if c.kind == "fault":
                si = self.end_instance(c.src)
                di, dp = self.end_port(c.dst)
                if si is None or dp is None:
                    continue
                ok = True
                if dp.kind != "faults":
                    self.d.error(c.dst.port_pos, f"type mismatch: fault connection needs a 'faults' "
                                 f"port here, but '{c.dst.instance}.{c.dst.port}' is '{dp.kind}'",
                                 f"declare `faults {c.dst.port};` in component '{di.comp.name}'")
                    ok = False
                if c.dst.rights is not None:
                    self.d.error(c.dst.rights_pos, "a fault connection takes no rights",
                                 "the faulting thread always gets 'w', the handler 'r'")
                    ok = False
                if si is di:
                    self.d.error(c.src.pos, f"'{si.name}' cannot handle its own faults",
                                 "a faulted thread is stopped; another instance must receive its fault")
                    ok = False
                prev = handler_of.get(si.name)
                if prev is not None:
                    self.d.error(c.src.pos, f"'{si.name}' already has a fault handler",
                                 f"by the connection at {prev.pos}; a thread reports its faults "
                                 "to one endpoint (slot ANV_SLOT_FAULT)")
                    ok = False
                if ok:
                    handler_of[si.name] = c
                    self.fault_conns.append((c, si, di, dp))
            elif c.kind == "manage":
                ai, bi = self.end_instance(c.src), self.end_instance(c.dst)
                if ai is None or bi is None:
                    continue
                if not self.check_service_end(c, ai, bi, "manage"):
                    continue
                key = ("manage", ai.name, bi.name)
                if key in controls:
                    self.d.error(c.pos, f"'{ai.name}' already manages '{bi.name}'",
                                 f"by the connection at {controls[key].pos}")
                    continue
                controls[key] = c
                self.manage_conns.append((c, ai, bi))
            elif c.kind == "control":
                ai, bi = self.end_instance(c.src), self.end_instance(c.dst)
                if ai is None or bi is None:
                    continue
                if ai is self.sup and bi.held:
                    self.d.error(c.pos, f"'{ai.name}' supervises '{bi.name}' and already controls it",
                                 "remove the connection: a supervisor holds every service's threads")
                    continue
                if ai is bi:
                    self.d.error(c.dst.pos, f"'{ai.name}' cannot be given control of itself",
                                 f"it already holds its own thread in slot ANV_SLOT_THREAD "
                                 f"({ai.prefix.upper()}_HANDLE_THREAD)")
                    continue
                key = (ai.name, bi.name)
                if key in controls:
                    self.d.error(c.pos, f"'{ai.name}' is already given control of '{bi.name}'",
                                 f"by the connection at {controls[key].pos}")
                    continue
                controls[key] = c
                self.control_conns.append((c, ai, bi))

    def check_service_end(self, c, ai, bi, kind):
        """Common rules of `resolve` and `manage`: both are requests to the supervisor
        about one of its services."""
        if self.sup is None:
            self.d.error(c.kind_pos, f"'{kind}' needs a supervisor in the system",
                         "instantiate a component that declares `supervises;`")
            return False
        if ai is self.sup:
            self.d.error(c.src.pos, f"'{ai.name}' is the supervisor; it needs no '{kind}' of its own")
            return False
        if bi is self.sup:
            self.d.error(c.dst.pos, f"'{bi.name}' is the supervisor, not one of its services")
            return False
        cp, spri = ai.attrs["priority"], self.sup.attrs["priority"]
        if cp > spri:
            self.d.error(c.pos, f"priority inversion: '{ai.name}' (priority {cp}) calls the "
                         f"supervisor '{self.sup.name}' (priority {spri})",
                         f"raise '{self.sup.name}' to {cp} or more")
            return False
        return True

    def check_connections(self, sd):
        want = {"rpc": ("uses", "provides"), "event": ("emits", "consumes"),
                "dataport": ("dataport", "dataport")}
        # The most each end may hold: rpc callers send (and may grant), servers receive;
        # event emitters signal, consumers wait; dataports as the component declared.
        maxr = {"uses": 2 | 8, "provides": 1 | 8, "emits": 2, "consumes": 1}
        dflt = {"uses": 2, "provides": 1, "emits": 2, "consumes": 1}
        conns = []
        used = {}
        attempted = set()  # a uses port named by a refused connection is not also "unconnected"
        self.check_kernel_connections(sd)
        want["resolve"] = want["rpc"]
        for c in sd.connections:
            c.grant_values = None
            if c.grants_pos is not None and c.kind not in ("rpc", "resolve"):
                self.d.error(c.grants_pos, f"{'an' if c.kind == 'event' else 'a'} {c.kind} connection "
                             "carries no grants",
                             "grants are given to the client of an rpc or resolve connection, "
                             "on the server's provided port")
            if c.kind in ("fault", "control", "manage"):
                continue
            si, sp = self.end_port(c.src)
            di, dp = self.end_port(c.dst)
            if sp is not None:
                attempted.add((si.name, sp.name))
            if sp is None or dp is None:
                continue
            ok = True
            for end, p, kind in ((c.src, sp, want[c.kind][0]), (c.dst, dp, want[c.kind][1])):
                if p.kind != kind:
                    self.d.error(end.port_pos, f"type mismatch: {c.kind} connection needs a "
                                 f"'{kind}' port here, but '{end.instance}.{end.port}' is '{p.kind}'",
                                 "an rpc goes from a 'uses' to a 'provides', an event from "
                                 "'emits' to 'consumes', a dataport joins two dataports")
                    ok = False
            if not ok:
                continue
            if c.kind == "resolve" and not self.check_service_end(c, si, di, "resolve"):
                continue
            if c.kind in ("rpc", "resolve") and sp.iface != dp.iface:
                self.d.error(c.dst.port_pos, f"type mismatch: '{c.src.instance}.{c.src.port}' uses "
                             f"'{sp.iface}' but '{c.dst.instance}.{c.dst.port}' provides '{dp.iface}'")
                continue
            # An instance may call its own provided port: one of its threads serves while
            # another calls (equal priorities satisfy the priority rule). With one thread the
            # caller would wait forever for a reply nobody is left to receive.
            if c.kind == "rpc" and si is di and si.attrs["threads"] < 2:
                self.d.error(c.dst.pos, f"'{si.name}' calls its own '{dp.name}' but has only one thread",
                             f"its thread would wait for a reply only it could send; give component "
                             f"'{si.comp.name}' `threads = 2;` or more")
                continue
            if c.kind == "dataport" and sp.t is not None and dp.t is not None and sp.t is not dp.t:
                self.d.error(c.dst.port_pos, f"type mismatch: dataport '{c.src.instance}.{c.src.port}' holds "
                             f"'{sp.t.name}' but '{c.dst.instance}.{c.dst.port}' holds '{dp.t.name}'")
                continue
            if c.kind == "dataport" and sp.size_bytes != dp.size_bytes:
                self.d.error(c.dst.port_pos, f"type mismatch: dataport sizes differ "
                             f"({sp.size_bytes} and {dp.size_bytes} bytes)")
                continue
            if c.kind == "dataport" and si is di and sp is dp:
                self.d.error(c.dst.port_pos, "a dataport cannot be connected to itself")
                continue
            rights = []
            for end, p in ((c.src, sp), (c.dst, dp)):
                limit = p.max_rights if p.kind == "dataport" else maxr[p.kind]
                if end.rights is None:
                    rights.append(limit if p.kind == "dataport" else dflt[p.kind])
                    continue
                r = parse_rights(end.rights)
                if r is None:
                    self.d.error(end.rights_pos, f"bad rights '{end.rights}'",
                                 "rights are letters from r, w, x, g, each at most once")
                    ok = False
                elif r & ~limit:
                    self.d.error(end.rights_pos, f"connection grants '{rights_str(r & ~limit).replace('-', '')}' "
                                 f"beyond what '{end.instance}.{end.port}' may hold ({rights_str(limit)})",
                                 f"a '{p.kind}' end may hold at most '{rights_str(limit).replace('-', '')}'")
                    ok = False
                rights.append(r)
            if not ok:
                continue
            for inst, p, end in ((si, sp, c.src), (di, dp, c.dst)):
                if p.kind in ("uses", "dataport"):
                    key = (inst.name, p.name)
                    if key in used:
                        self.d.error(end.port_pos, f"'{inst.name}.{p.name}' is already connected",
                                     f"by the connection at {used[key]}")
                        ok = False
                    used.setdefault(key, c.pos)
            if not ok:
                continue
            if c.kind in ("rpc", "resolve"):
                c.grant_values = self.connection_grants(c, di, dp)
                cp, spri = si.attrs["priority"], di.attrs["priority"]
                if cp > spri:
                    self.d.error(c.pos, f"priority inversion: '{si.name}' (priority {cp}) calls "
                                 f"'{di.name}' (priority {spri})",
                                 "a server must run at least at the priority of every caller; "
                                 f"raise '{di.name}' to {cp} or more")
            conns.append((c, si, sp, di, dp, rights))
        for inst in self.insts.values():
            for p in inst.comp.ports:
                if p.kind == "uses" and (inst.name, p.name) not in used \
                        and (inst.name, p.name) not in attempted and not getattr(p, "optional", False):
                    self.d.error(inst.decl.pos, f"'{inst.name}.{p.name}' ({p.iface}) is not connected",
                                 f"add `connect rpc {inst.name}.{p.name} -> <server>.<port>;`")
        return conns

    def connection_grants(self, c, di, dp):
        """{grant name: value} in declaration order for this client of dp, defaults filled
        in; None when the port declares no grants."""
        decls = getattr(dp, "grant_map", {})
        where = f"'{di.name}.{dp.name}'"
        if not decls:
            if c.grants:
                self.d.error(c.grants_pos, f"{where} ({di.comp.name}) declares no grants",
                             f"declare them on the port: `provides {dp.iface} {dp.name} "
                             "{ grant u64 quota_bytes = 0; };`, or remove the block")
            return None
        given, misspelt = {}, False
        for a in c.grants:
            g = decls.get(a.name)
            if g is None:
                misspelt = True
                self.d.error(a.pos, f"unknown grant '{a.name}' of {where}",
                             did_you_mean(a.name, list(decls)) or
                             f"'{dp.name}' grants {', '.join(decls)}")
                continue
            if a.name in given:
                self.d.error(a.pos, f"grant '{a.name}' is given twice",
                             f"first at {given[a.name].pos}")
                continue
            given[a.name] = a
        values = {}
        for name, g in decls.items():
            if g.t is None:
                continue
            a = given.get(name)
            if a is not None:
                values[name] = self.grant_value(g.t, a.value)
            elif g.default is not None:
                values[name] = getattr(g, "default_value", None)
            elif misspelt:
                values[name] = None   # the unknown name given is most likely this one, misspelt
            else:
                self.d.error(c.grants_pos or c.pos, f"the connection to {where} gives no value for "
                             f"grant '{name}', which has no default",
                             f"add `{name} = ...;` to the connection's block: "
                             f"`connect {c.kind} {c.src.instance}.{c.src.port} -> {di.name}.{dp.name} "
                             f"{{ {name} = ...; }};`")
        return values

    # -- objects, slots and mappings
    def layout(self, sysm, sd, conns):
        abi = self.abi
        objs = []
        page = abi.PAGE_SIZE
        RW, R, W = 3, 1, 2

        def obj(otype, name, **kw):
            o = Obj(len(objs), getattr(abi, "OBJ_" + otype), name, **kw)
            o.type_name = otype
            objs.append(o)
            return o

        def pages(n):
            return (n + page - 1) // page

        # The console, sysctl and audit objects are single kernel objects shared by every
        # holder: one each in the manifest, and only when some instance is given it.
        wanted = {k for inst in sysm.instances for k in inst.comp.kernel_set}
        sysm.kernel_objs = {k: obj(KERNEL_RESOURCES[k][0], k)
                            for k in KERNEL_RESOURCES if k in wanted}
        self.sysm_kernel_objs = sysm.kernel_objs
        controls = {}
        for c, ai, bi in self.control_conns:
            controls.setdefault(ai.name, []).append(bi.name)

        for inst in sysm.instances:
            n = inst.name
            inst.cspace_obj = obj("CSPACE", f"{n}.cspace", pages=inst.attrs["cspace"], owner=inst)
            inst.vspace_obj = obj("VSPACE", f"{n}.vspace", owner=inst)
            inst.thread_obj = obj("THREAD", f"{n}.thread", owner=inst)
            inst.ipcbuf_obj = obj("FRAME", f"{n}.ipcbuf", pages=1, owner=inst)
            inst.stack_pages = pages(inst.attrs["stack"])
            inst.stack_obj = obj("FRAME", f"{n}.stack", pages=inst.stack_pages, owner=inst)
            # Threads 1..N-1: the same three objects as thread 0, numbered by thread index.
            inst.threads = [Thread(0, inst.thread_obj, inst.ipcbuf_obj, inst.stack_obj)]
            for i in range(1, inst.attrs["threads"]):
                inst.threads.append(Thread(
                    i, obj("THREAD", f"{n}.thread{i}", owner=inst),
                    obj("FRAME", f"{n}.ipcbuf{i}", pages=1, owner=inst),
                    obj("FRAME", f"{n}.stack{i}", pages=inst.stack_pages, owner=inst)))
            inst.heap_pages = pages(inst.attrs["heap"])
            inst.heap_obj = obj("FRAME", f"{n}.heap", pages=inst.heap_pages, owner=inst) \
                if inst.heap_pages else None
            provides = [p for p in inst.comp.ports if p.kind == "provides"]
            # The supervisor's endpoint carries its services' faults and its clients'
            # registry requests even when it provides no interface.
            inst.service_obj = obj("ENDPOINT", f"{n}.service", owner=inst) \
                if provides or inst is self.sup else None
            needs_ntfn = any(p.kind in ("consumes", "device") for p in inst.comp.ports)
            inst.ntfn_obj = obj("NOTIFICATION", f"{n}.events", owner=inst) if needs_ntfn else None
            inst.pool_pages = inst.attrs["pool"] // page
            inst.pool_obj = obj("POOL", f"{n}.pool", pages=inst.pool_pages, owner=inst) \
                if inst.pool_pages else None
            inst.fault_objs = {p.name: obj("ENDPOINT", f"{n}.{p.name} (faults)", owner=inst)
                               for p in inst.comp.ports if p.kind == "faults"}
            inst.fault_from = {p: [] for p in inst.fault_objs}  # port -> [(badge, faulter)]
            inst.fault_conn = None   # (handler instance, port, badge) of its own faults
            inst.controls = sorted(controls.get(n, []))  # sorted: statement order is irrelevant
            # Devices are found first: a `device ... all` port takes one event bit per node.
            inst.device_nodes = {}
            for p in inst.comp.ports:
                if p.kind == "device":
                    match, mpos = inst.device_pins.get(p.name, (p.match, p.match_pos))
                    nodes = self.find_devices(sd, match, mpos, getattr(p, "every", False))
                    keys = [f"{p.name}{k}" for k in range(len(nodes))] \
                        if getattr(p, "every", False) else [p.name] * len(nodes)
                    inst.device_nodes[p.name] = (list(zip(keys, nodes)), mpos)
                    inst.device_groups[p.name] = keys
            bit = 0
            for p in inst.comp.ports:
                if p.kind == "consumes":
                    inst.event_bits[p.name] = bit
                    bit += 1
                elif p.kind == "device":
                    for key, _ in inst.device_nodes[p.name][0]:
                        inst.event_bits[key] = bit
                        bit += 1
            if bit > 64:
                self.d.error(inst.decl.pos, f"'{n}' consumes more than 64 events and interrupts")

        # Dataport objects: one per connection, or private when left unconnected.
        dp_obj = {}
        for c, si, sp, di, dp, rights in conns:
            if c.kind == "dataport":
                o = obj("FRAME", f"dataport {si.name}.{sp.name}+{di.name}.{dp.name}",
                        pages=pages(sp.size_bytes))
                dp_obj[(si.name, sp.name)] = (o, rights[0], f"{di.name}.{dp.name}")
                dp_obj[(di.name, dp.name)] = (o, rights[1], f"{si.name}.{sp.name}")

        # Devices.
        claims = []
        for inst in sysm.instances:
            for p in inst.comp.ports:
                if p.kind != "device":
                    continue
                nodes, mpos = inst.device_nodes[p.name]
                for key, dev in nodes:
                    self.claim_device(obj, claims, inst, p, key, dev, mpos, pages)
        # DMA buffers: physically contiguous frames whose holder may learn their address.
        for inst in sysm.instances:
            for p in inst.comp.ports:
                if p.kind == "dma":
                    o = obj("FRAME", f"dma {inst.name}.{p.name}", pages=pages(p.size_bytes),
                            flags=self.abi.manifest("OBJ_F_DMA"), owner=inst)
                    inst.dma[p.name] = (o, None, p.size_bytes)
        for inst in sysm.instances:
            for p in inst.comp.ports:
                if p.kind == "dataport" and (inst.name, p.name) not in dp_obj:
                    o = obj("FRAME", f"dataport {inst.name}.{p.name}", pages=pages(p.size_bytes), owner=inst)
                    dp_obj[(inst.name, p.name)] = (o, p.max_rights, "")


        # RPC badges: per server, port index in bits 31..24 and a client number in 23..0,
        # numbered in sorted client order so the numbering does not depend on statement order.
        # Connections indexed by end, so layout stays linear in the size of the system.
        by_dst, by_src = {}, {}
        for c, si, sp, di, dp, rights in conns:
            by_dst.setdefault((c.kind, di.name, dp.name), []).append((c, si, sp, rights))
            by_src.setdefault((c.kind, si.name, sp.name), []).append((c, di, dp, rights))
        self.by_src = by_src
        for inst in sysm.instances:
            provides = [p for p in inst.comp.ports if p.kind == "provides"]
            for pi, p in enumerate(provides):
                # Clients that resolve the port through the registry are numbered with the
                # static ones: the server tells them apart the same way.
                cl = sorted((c.src.instance, c.src.port, rights[0], c.grant_values)
                            for kind in ("rpc", "resolve")
                            for c, si, sp, rights in by_dst.get((kind, inst.name, p.name), []))
                inst.clients[p.name] = [((pi << 24) | (k + 1), ci, cport, r)
                                        for k, (ci, cport, r, _g) in enumerate(cl)]
                # What each client was granted, in badge order (client k at index k - 1);
                # only for a port that declares grants.
                if p.grant_map:
                    inst.client_grants[p.name] = [g or {} for _ci, _cp, _r, g in cl]
        # Fault badges: per handler endpoint, faulting instances numbered from 1 in sorted
        # name order, so the handler tells them apart and statement order does not matter.
        for c, si, di, dp in sorted(self.fault_conns, key=lambda x: (x[2].name, x[3].name, x[1].name)):
            badge = len(di.fault_from[dp.name]) + 1
            di.fault_from[dp.name].append((badge, si.name))
            si.fault_conn = (di, dp.name, badge)
        badge_of = {}
        self.grants_of = {}   # (client, uses port) -> {grant: value} given by its connection
        for inst in sysm.instances:
            for pname, cl in inst.clients.items():
                for k, (badge, ci, cport, r) in enumerate(cl):
                    badge_of[(ci, cport)] = (inst, pname, badge, r)
                    if pname in inst.client_grants:
                        self.grants_of[(ci, cport)] = inst.client_grants[pname][k]
        self.supervision(sysm, conns, badge_of)

        self.sysm = sysm
        for inst in sysm.instances:
            self.slots_and_maps(inst, badge_of, conns, dp_obj, RW, R)
            seen = {}
            for s in inst.slots:
                key = s.name.upper().replace("->", "_TO_").replace(".", "_")
                if key in seen:
                    self.d.error(inst.decl.pos, f"capabilities '{seen[key]}' and '{s.name}' of "
                                 f"'{inst.name}' would both be named {inst.prefix.upper()}_SLOT_{key}",
                                 "rename the port in the component")
                seen[key] = s.name
            used = len(inst.slots) and inst.slots[-1].index + 1
            why = f"{len(inst.slots)} capabilities, slots 0..{self.abi.SLOT_FIRST_FREE - 1} reserved"
            if inst is self.sup:
                # init mints each registry copy into its last slot before the reply moves
                # it (components/init/registry.c), so that slot stays empty.
                used += 1
                why += ", the last one free for minting registry copies"
            if used > inst.attrs["cspace"]:
                pos = inst.attr_pos["cspace"] or inst.decl.pos
                self.d.error(pos, f"CSpace of '{inst.name}' has {inst.attrs['cspace']} slots but "
                             f"needs {used} ({why})", f"set `cspace = {used};` or more")
        sysm.objects = objs
        self.check_memory(sysm, sd)

    def check_memory(self, sysm, sd):
        """What the kernel's pre-flight refuses about memory, refused here first at the IDL
        line: the pages every object takes (frames, pools, CSpaces' capabilities) against
        the platform's RAM less what the kernel keeps. A lower bound of what the loader
        needs (ELF segments, page tables and kernel objects come on top), so it never
        refuses what the kernel would accept; the pre-flight step checks the rest."""
        if not sd.platform and self.platform_override is None:
            return
        if self.load_platform_once(sd, sd.platform[1] if sd.platform else None) is None:
            return
        ram = sum(size for _base, size in getattr(self.platform, "memory", []))
        if not ram:
            return
        page = self.abi.PAGE_SIZE
        free = max(0, ram - KERNEL_RESERVED_BYTES) // page
        total = 0
        per_inst = {}
        for o in sysm.objects:
            if o.type_name == "FRAME" and not o.flags & OBJ_F_DEVICE or o.type_name == "POOL":
                n = o.pages
            elif o.type_name == "CSPACE":
                n = -(-o.pages * CAP_BYTES_AT_LEAST // page)   # o.pages holds the slot count
            else:
                continue
            total += n
            if o.owner is not None:
                per_inst[o.owner.name] = per_inst.get(o.owner.name, 0) + n
        if total <= free:
            return
        big = max(sysm.instances, key=lambda i: per_inst.get(i.name, 0))
        parts = [("heap", big.heap_pages, big.attr_pos["heap"]),
                 ("pool", big.pool_pages, big.attr_pos["pool"]),
                 ("stack", big.stack_pages * len(big.threads), big.attr_pos["stack"]),
                 ("cspace", -(-big.attrs["cspace"] * CAP_BYTES_AT_LEAST // page), big.attr_pos["cspace"])]
        for p in big.comp.ports:
            if p.kind in ("dataport", "dma"):
                parts.append((f"{p.kind} {p.name}", -(-p.size_bytes // page), p.size.pos))
        what, n, pos = max(parts, key=lambda x: x[1])
        mib = lambda pages: f"{pages * page / (1 << 20):.1f} MiB"   # noqa: E731
        self.d.error(pos or big.decl.pos,
                     f"the system needs at least {total} pages ({mib(total)}) of RAM, more than the "
                     f"{free} pages ({mib(free)}) the platform leaves after the kernel's "
                     f"{KERNEL_RESERVED_BYTES >> 20} MiB; '{big.name}' takes the most "
                     f"({per_inst.get(big.name, 0)} pages), its {what} {n} pages",
                     f"shrink {what} of '{big.name}', or use a platform with more memory")

    def supervision(self, sysm, conns, badge_of):
        """What the supervisor is given: every service's faults (badged by service number),
        a registry route per `resolve`, a management grant per `manage`, and the order in
        which it starts its services (servers before their clients)."""
        sup = self.sup
        sysm.routes, sysm.registry_ports, sysm.manages, sysm.registry_clients = [], [], [], []
        sysm.start_order = []
        if sup is None:
            return
        for svc in sysm.services:
            if svc.fault_conn is None:
                svc.fault_conn = (sup, None, SUPERVISOR_FAULT_BADGE | svc.service_number)
        clients = sorted({c.src.instance for c, si, sp, di, dp, r in conns if c.kind == "resolve"} |
                         {ai.name for c, ai, bi in self.manage_conns})
        for k, name in enumerate(clients):
            self.insts[name].registry_badge = SUPERVISOR_CLIENT_BADGE | (k + 1)
            sysm.registry_clients.append((name, SUPERVISOR_CLIENT_BADGE | (k + 1)))
        ports = {}
        for c, si, sp, di, dp, rights in sorted((x for x in conns if x[0].kind == "resolve"),
                                                key=lambda x: (x[3].name, x[4].name, x[1].name, x[2].name)):
            key = (di.name, dp.name)
            if key not in ports:
                ports[key] = {"name": f"{di.name}.{dp.name}", "service": di, "port": dp.name,
                              "rights": 0, "slot": None}
                sysm.registry_ports.append(ports[key])
            ports[key]["rights"] |= rights[0]
            srv, spname, badge, r = badge_of[(si.name, sp.name)]
            si.resolved[sp.name] = (srv, spname, badge, r)
            sysm.routes.append({"client": si, "port": ports[key], "rights": r, "badge": badge,
                                "client_port": sp.name, "grants": self.grants_of.get((si.name, sp.name))})
        for c, ai, bi in sorted(self.manage_conns, key=lambda x: (x[1].name, x[2].name)):
            sysm.manages.append((ai, bi))
        # Servers start before their clients; otherwise in declaration order. A cycle of
        # calls cannot be ordered: its members start in declaration order after the rest.
        deps = {svc.name: set() for svc in sysm.services}
        for c, si, sp, di, dp, r in conns:
            if c.kind in ("rpc", "resolve") and si.name in deps and di.name in deps and si is not di:
                deps[si.name].add(di.name)
        started = set()
        while len(started) < len(deps):
            ready = [svc for svc in sysm.services if svc.name not in started and deps[svc.name] <= started]
            if not ready:
                ready = [svc for svc in sysm.services if svc.name not in started][:1]
            sysm.start_order.append(ready[0])
            started.add(ready[0].name)

    def claim_device(self, obj, claims, inst, p, key, dev, mpos, pages):
        """The MMIO frame and IRQ objects of one device node for `inst` (device key `key`),
        refusing a node or page that another instance already claimed."""
        page = self.abi.PAGE_SIZE
        if not dev.regs:
            self.d.error(mpos, f"device '{dev.path}' has no MMIO region")
            return
        base, size = dev.regs[0]
        # What kernel/boot/loader_check.c refuses at boot, refused here at the IDL line first.
        if size == 0:
            self.d.error(mpos, f"device '{dev.path}' has an MMIO region of size 0",
                         "the platform file is wrong, or this node is not a device to claim")
            return
        if base + size > 1 << 56:
            self.d.error(mpos, f"MMIO region of '{dev.path}' [{base:#x}, +{size:#x}) runs past the "
                         "56-bit physical address space")
            return
        for rb, rs in getattr(self.platform, "memory", []):
            if base < rb + rs and rb < base + size:
                self.d.error(mpos, f"MMIO region of '{dev.path}' [{base:#x}, {base + size:#x}) overlaps "
                             f"RAM [{rb:#x}, {rb + rs:#x})",
                             "RAM holds the kernel and every process: the platform file is wrong, "
                             "or this node is not a device")
                return
        ctrl = [d for d in self.platform if set(d.compatible) & INTERRUPT_CONTROLLERS]
        if set(dev.compatible) & INTERRUPT_CONTROLLERS:
            self.d.error(mpos, f"'{dev.path}' is the interrupt controller: the kernel owns it",
                         "claim the devices whose interrupts it routes instead")
            return
        for c in ctrl:
            for cb, cs in c.regs:
                if base < cb + cs and cb < base + size:
                    self.d.error(mpos, f"MMIO region of '{dev.path}' overlaps the interrupt "
                                 f"controller '{c.path}' [{cb:#x}, {cb + cs:#x})")
                    return
        for q in dev.irqs[:1]:
            if not 1 <= q <= IRQ_LIMIT:
                self.d.error(mpos, f"interrupt {q} of '{dev.path}' is outside 1..{IRQ_LIMIT} "
                             "(the PLIC's sources; 0 means none)")
                return
            for (oinst, oport, odev, _f, _n, _p) in claims:
                if odev is not dev and odev.irqs[:1] == [q]:
                    self.d.error(mpos, f"interrupt {q} of '{dev.path}' is also the interrupt of "
                                 f"'{odev.path}' claimed by '{oinst.name}.{oport}'",
                                 "one interrupt goes to one instance")
                    return
        first = base & ~(page - 1)
        npages = pages(base + size - first)
        for (oinst, oport, odev, ofirst, onpages, opos) in claims:
            if odev is dev:
                self.d.error(mpos, f"device '{dev.path}' is claimed by '{inst.name}.{p.name}' "
                             f"and by '{oinst.name}.{oport}'",
                             f"give one instance another node: `device {p.name} = \"/soc/...\";` "
                             "in its instance block")
            elif first < ofirst + onpages * page and ofirst < first + npages * page:
                self.d.error(mpos, f"memory of '{dev.path}' ({first:#x}, {npages} pages) overlaps "
                             f"'{odev.path}' claimed by '{oinst.name}.{oport}'",
                             "two devices in one page cannot go to different instances")
        claims.append((inst, p.name, dev, first, npages, mpos))
        mo = obj("FRAME", f"mmio {dev.path}", pages=npages, paddr=first,
                 flags=OBJ_F_DEVICE, owner=inst)
        io = None
        if dev.irqs:
            io = obj("IRQ", f"irq {dev.irqs[0]} {dev.path}", irq=dev.irqs[0],
                     ntfn=inst.ntfn_obj, badge=1 << inst.event_bits[key], owner=inst)
        inst.devices[key] = {"device": dev, "mmio_obj": mo, "irq_obj": io,
                             "offset": base - first, "size": size, "port": p.name}

    def find_devices(self, sd, match, pos, every):
        """The device nodes a port names: one (the lowest address, or a pinned path), or with
        `all` every node whose compatible string matches, by address."""
        if not every:
            dev = self.find_device(sd, match, pos)
            return [dev] if dev is not None else []
        if match.startswith("/"):
            self.d.error(pos, "`all` takes a compatible string, not a node path",
                         'e.g. `device virtio "virtio,mmio" all;`')
            return []
        first = self.find_device(sd, match, pos)
        if first is None:
            return []
        return sorted((d for d in self.platform if match in d.compatible),
                      key=lambda d: (d.regs[0][0] if d.regs else 0, d.path))

    def load_platform_once(self, sd, pos):
        """The platform's devices (loading it on first use); None after an error."""
        if self.platform is None:
            path = self.platform_override
            if path is None and sd.platform:
                path = os.path.join(os.path.dirname(sd.pos.source.path), sd.platform[0])
            if path is None:
                self.d.error(pos, "this system claims devices but names no platform",
                             'add `platform "path/to/platform.json";` to the system (or pass --platform)')
                self.platform = []
                return None
            self.platform_path = path
            try:
                self.platform = load_platform(path)
            except (OSError, ValueError) as e:
                why = e.strerror if isinstance(e, OSError) and e.strerror else e
                self.d.error(sd.platform[1] if sd.platform else None, f"cannot read platform '{path}': {why}")
                self.platform = []
                return None
        return self.platform

    def find_device(self, sd, match, pos):
        if self.load_platform_once(sd, pos) is None:
            return None
        if match.startswith("/"):
            for dev in self.platform:
                if dev.path == match:
                    return dev
            self.unknown(pos, "device node", match, [d.path for d in self.platform])
            return None
        found = sorted((d for d in self.platform if match in d.compatible),
                       key=lambda d: (d.regs[0][0] if d.regs else 0, d.path))
        if not found:
            self.unknown(pos, "compatible string", match,
                         sorted({c for d in self.platform for c in d.compatible}))
            return None
        # Several nodes match: the lowest address is taken; pin another with a node path.
        return found[0]

    def slots_and_maps(self, inst, badge_of, conns, dp_obj, RW, R):
        abi = self.abi
        page = abi.PAGE_SIZE
        slots, maps = inst.slots, inst.mappings

        def slot(index, name, o, rights, badge=0, peer=""):
            s = Slot(index, name, o, rights, badge, peer)
            slots.append(s)
            return s

        # Well-known slots come from abi.h (ANV_SLOT_*); fault, console and pool are filled
        # only when the system grants them (`connect fault`, `kernel console`, `pool =`).
        W = 2
        slot(abi.SLOT_CSPACE, "cspace", inst.cspace_obj, RW)
        slot(abi.SLOT_VSPACE, "vspace", inst.vspace_obj, RW)
        inst.threads[0].slot = slot(abi.SLOT_THREAD, "thread", inst.thread_obj, RW)
        slot(abi.SLOT_IPCBUF, "ipcbuf", inst.ipcbuf_obj, RW)
        if inst.fault_conn:
            hi, hport, badge = inst.fault_conn
            if hport is None:  # a service: its supervisor's endpoint
                slot(abi.SLOT_FAULT, "fault", hi.service_obj, W, badge, f"{hi.name} (supervisor)")
            else:
                slot(abi.SLOT_FAULT, "fault", hi.fault_objs[hport], W, badge, f"{hi.name}.{hport}")
        kobjs = self.sysm_kernel_objs
        if "console" in inst.comp.kernel_set:
            slot(abi.SLOT_CONSOLE, "console", kobjs["console"], W)
        if inst.pool_obj:
            slot(abi.SLOT_POOL, "pool", inst.pool_obj, W, 0, f"{inst.pool_pages} pages")
        nxt = abi.SLOT_FIRST_FREE

        def take():
            nonlocal nxt
            nxt += 1
            return nxt - 1

        # The extra threads' capabilities come first among the free slots, so thread i is
        # in slot ANV_SLOT_FIRST_FREE + i - 1 whatever else the component holds.
        for t in inst.threads[1:]:
            t.slot = slot(take(), f"thread{t.index}", t.thread_obj, RW)

        # Thread 0 at the fixed addresses; thread i after thread i-1's stack top as
        # [guard][IPC buffer][guard][stack] (see MAX_THREADS).
        for t in inst.threads:
            sfx = str(t.index) if t.index else ""
            t.ipcbuf_vaddr = IPCBUF_VADDR if t.index == 0 else inst.threads[t.index - 1].stack_top + page
            t.stack_base = STACK_BASE if t.index == 0 else t.ipcbuf_vaddr + 2 * page
            t.stack_top = t.stack_base + inst.stack_pages * page
            maps.append(Mapping("ipcbuf" + sfx, t.ipcbuf_vaddr, t.ipcbuf_obj, 1, RW))
            maps.append(Mapping("stack" + sfx, t.stack_base, t.stack_obj, inst.stack_pages, RW))
        inst.stack_top = inst.threads[0].stack_top
        if inst.threads[-1].stack_top > HEAP_BASE:
            many = len(inst.threads) > 1
            pos = (inst.attr_pos["threads"] if many else None) or inst.attr_pos["stack"] or inst.decl.pos
            self.d.error(pos, f"stack{'s' if many else ''} of '{inst.name}' too large for the layout "
                         f"({len(inst.threads)} x {inst.stack_pages * page} bytes end at "
                         f"{inst.threads[-1].stack_top:#x}, above the heap at {HEAP_BASE:#x})",
                         "lower `stack =` or `threads =`")
        if inst.heap_obj:
            maps.append(Mapping("heap", HEAP_BASE, inst.heap_obj, inst.heap_pages, RW))
        if inst.service_obj:
            peers = ", ".join(f"{ci}.{cp}" for cl in inst.clients.values() for _, ci, cp, _ in cl)
            inst.service_slot = slot(take(), "service", inst.service_obj, R, 0, peers)
        if inst.ntfn_obj:
            inst.ntfn_slot = slot(take(), "events", inst.ntfn_obj, R)
        for p in inst.comp.ports:
            if p.kind == "uses" and p.name not in inst.resolved:
                if (inst.name, p.name) not in badge_of:
                    continue        # an optional port left unconnected: no slot
                srv, spname, badge, r = badge_of[(inst.name, p.name)]
                s = slot(take(), p.name, srv.service_obj, r, badge, f"{srv.name}.{spname}")
                s.grants = self.grants_of.get((inst.name, p.name))
                inst.uses_conn[p.name] = (srv, spname, s)
        for p in inst.comp.ports:
            if p.kind == "faults":
                peers = ", ".join(f for _, f in inst.fault_from[p.name])
                slot(take(), p.name, inst.fault_objs[p.name], R, 0, peers)
        for p in inst.comp.ports:
            if p.kind == "emits":
                targets = sorted((di.name, dp.name, rights[0])
                                 for c, di, dp, rights in self.by_src.get(("event", inst.name, p.name), []))
                inst.emit_slots[p.name] = []
                for dname, dport, r in targets:
                    di = self.insts[dname]
                    s = slot(take(), f"{p.name}->{dname}.{dport}", di.ntfn_obj, r,
                             1 << di.event_bits[dport], f"{dname}.{dport}")
                    inst.emit_slots[p.name].append(s)
        vaddr = DATAPORT_BASE
        for p in inst.comp.ports:
            if p.kind == "dataport":
                o, r, peer = dp_obj[(inst.name, p.name)]
                s = slot(take(), p.name, o, r, 0, peer)
                m = Mapping(f"dataport {p.name}", vaddr, o, o.pages, r)
                maps.append(m)
                inst.dataports[p.name] = (m, s, p.size_bytes)
                vaddr += (o.pages + 1) * page
        if vaddr > DEVICE_BASE:
            self.d.error(inst.decl.pos, f"dataports of '{inst.name}' exceed the 256 MiB dataport region")
        vaddr = DEVICE_BASE
        for p in inst.comp.ports:
            for key in inst.device_groups.get(p.name, []) if p.kind == "device" else []:
                if key not in inst.devices:
                    continue
                dv = inst.devices[key]
                mo = dv["mmio_obj"]
                dv["mmio_slot"] = slot(take(), f"{key}.mmio", mo, RW, 0, dv["device"].path)
                dv["vaddr"] = vaddr + dv["offset"]
                maps.append(Mapping(f"device {key}", vaddr, mo, mo.pages, RW, MAP_DEVICE))
                vaddr += (mo.pages + 1) * page
                if dv["irq_obj"]:
                    dv["irq_slot"] = slot(take(), f"{key}.irq", dv["irq_obj"], 2, 0,
                                          f"irq {dv['irq_obj'].irq}")
        if vaddr > DMA_BASE:
            self.d.error(inst.decl.pos, f"devices of '{inst.name}' exceed the 256 MiB device region")
        vaddr = DMA_BASE
        for p in inst.comp.ports:
            if p.kind == "dma":
                o, _, nbytes = inst.dma[p.name]
                s = slot(take(), p.name, o, RW, 0, f"DMA, {o.pages} contiguous pages")
                m = Mapping(f"dma {p.name}", vaddr, o, o.pages, RW)
                maps.append(m)
                inst.dma[p.name] = (m, s, nbytes)
                vaddr += (o.pages + 1) * page
        if vaddr > REGION_END[DMA_BASE]:
            self.d.error(inst.decl.pos, f"DMA buffers of '{inst.name}' exceed the 768 MiB DMA region")
        # Regions are address space only: the component maps its pool's frames there.
        vaddr = REGION_BASE
        for p in inst.comp.ports:
            if p.kind == "region":
                inst.regions[p.name] = (vaddr, p.size_bytes)
                vaddr += -(-p.size_bytes // MEGA) * MEGA + MEGA  # a 2 MiB guard after each
        if vaddr - MEGA > REGION_TOP:
            self.d.error(inst.decl.pos, f"regions of '{inst.name}' exceed the user address space "
                         f"({vaddr - MEGA:#x} > {REGION_TOP:#x})")
        for k in ("sysctl", "audit"):
            if k in inst.comp.kernel_set:
                slot(take(), k, kobjs[k], KERNEL_RESOURCES[k][1])
        for b in inst.controls:
            slot(take(), f"control_{b}", self.insts[b].thread_obj, W, 0, b)
        if inst.registry_badge is not None:
            # Registry requests; g lets the supervisor's reply carry the resolved endpoint.
            inst.registry_slot = slot(take(), "registry", self.sup.service_obj, W | 8,
                                      inst.registry_badge, f"{self.sup.name} (supervisor)")
        if inst is self.sup:
            sysm = self.sysm
            for svc in sysm.services:
                svc.control_slots = [slot(take(), f"control_{svc.name}" + (f".thread{t.index}" if t.index else ""),
                                          t.thread_obj, W, 0, svc.name) for t in svc.threads]
            for rp in sysm.registry_ports:
                rp["slot"] = slot(take(), f"registry_{rp['name']}", rp["service"].service_obj,
                                  rp["rights"], 0, rp["name"])


def build_system(abi, files, platform=None, system_name=None, root_path=None, diags=None):
    """The validated System, or None when the input declares no system at all."""
    return Builder(abi, files, platform, system_name, root_path, diags).build()
