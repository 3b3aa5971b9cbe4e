"""Validation of components and connections: every declaration of a component (ports,
grants, configuration, attributes, kernel resources), every instance's settings, every
connection's ends, kinds, rights and priorities, and the device nodes a port names on the
platform. Nothing here creates an object or a slot; what passes is what authority.py and
layout.py build on."""
import os

from .diagnostics import did_you_mean
from .idltypes import ArrayType, BoolType, BytesType, EnumType, IntType, StructType, c_layout, returns_caps, sends_caps, snake
from .authority import KERNEL_RESOURCES
from .platform import load_platform
from . import syntax as S

ATTR_DEFAULTS = {"priority": 100, "budget": 10000, "period": 10000, "stack": 16384,
                 "heap": 0, "cspace": 32, "pool": 0, "threads": 1, "restarts": 0, "registry": 16}
ATTR_UNITS = {"priority": {""}, "cspace": {""}, "budget": S.TIME_UNITS, "period": S.TIME_UNITS,
              "stack": S.SIZE_UNITS, "heap": S.SIZE_UNITS, "pool": S.SIZE_UNITS,
              "threads": {""}, "restarts": {""}, "registry": {""}}
# Attributes that describe the program rather than its placement: the component's code is
# written for them (its threads enter anv_thread_main(i)), so an instance may not change them.
COMPONENT_ONLY_ATTRS = {"threads"}
# What a service's exit (proc.exit, or returning from main) makes its supervisor do.
RESTART_POLICIES = ("on-failure", "always", "never")
# Elements of an array grant at most: a short list per client (ports, peers).
MAX_GRANT_ARRAY = 64


class Instance:
    """One instance of a component: made here from its declaration and settings, then
    filled in by authority.py (objects, badges) and layout.py (slots, mappings)."""

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


class Validation:
    """Builder stage 2 (mixed into model.Builder): the global namespace (`self.decls`),
    components checked in place (`port_map`, `attr_vals`, `kernel_set`, each port's sizes,
    rights and grants), the system chosen, its instances made, its connections checked
    (returned as (connection, src instance, src port, dst instance, dst port, rights)),
    and the platform's device nodes found (`self.platform`). Reports to `self.d`."""

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
                    R, W, X = self.abi.RIGHT_READ, self.abi.RIGHT_WRITE, self.abi.RIGHT_EXEC
                    p.max_rights = self.abi.parse_rights(p.rights)
                    if p.max_rights is None or p.max_rights & self.abi.RIGHT_GRANT:
                        self.d.error(p.rights_pos, f"bad dataport rights '{p.rights}'",
                                     "dataport rights are letters from r, w, x")
                        p.max_rights = R | W
                    elif p.max_rights & X:
                        self.d.error(p.rights_pos, f"dataport '{p.name}' with rights '{p.rights}' would be "
                                     "executable; memory shared or given as a frame never is",
                                     "code comes only from the component's own image (W^X across "
                                     "mappings, RFC 0010); use r or rw")
                        p.max_rights &= R | W
                if p.kind in ("dma", "region"):
                    p.size_bytes = p.size.value * S.UNITS.get(p.size.unit, 1)
                    if p.size.unit not in S.SIZE_UNITS or p.size.value <= 0:
                        self.d.error(p.size.pos, f"a {p.kind} size is a positive byte count (K, M allowed)")
                        p.size_bytes = self.abi.PAGE_SIZE
                    elif p.size_bytes % self.abi.PAGE_SIZE:
                        self.d.error(p.size.pos, f"{p.kind} '{p.name}' of {p.size_bytes} bytes is not a "
                                     f"whole number of pages ({self.abi.PAGE_SIZE})",
                                     f"use a multiple of 4K, e.g. [{-(-p.size_bytes // self.abi.PAGE_SIZE) * 4}K]")
                    elif p.kind == "region" and p.size_bytes > self.abi.USER_TOP - self.abi.USER_REGION_BASE:
                        self.d.error(p.size.pos, f"region '{p.name}' is larger than the "
                                     f"{(self.abi.USER_TOP - self.abi.USER_REGION_BASE) >> 30} GiB of address space for regions")
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
                  "stack": (self.abi.PAGE_SIZE, self.abi.USER_HEAP_BASE - self.abi.USER_IPCBUF,
                            "the stack region of the address space"),
                  "heap": (0, self.abi.USER_DATAPORT_BASE - self.abi.USER_HEAP_BASE,
                           "the heap region of the address space"),
                  "pool": (self.abi.PAGE_SIZE, self.abi.manifest("MAX_POOL_PAGES") * self.abi.PAGE_SIZE,
                           "the manifest's pool of at most MANIFEST_MAX_POOL_PAGES pages"),
                  "threads": (1, self.abi.SM_MAX_THREADS, "threads per component"),
                  "restarts": (0, 255, "the service manager's 8-bit restart count"),
                  "registry": (1, self.abi.SM_MAX_REGISTRY, "registry entries")}[a.name]
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
        R, W, G = self.abi.RIGHT_READ, self.abi.RIGHT_WRITE, self.abi.RIGHT_GRANT
        maxr = {"uses": W | G, "provides": R | G, "emits": W, "consumes": R}
        dflt = {"uses": W, "provides": R, "emits": W, "consumes": R}
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
                r = self.abi.parse_rights(end.rights)
                if r is None:
                    self.d.error(end.rights_pos, f"bad rights '{end.rights}'",
                                 "rights are letters from r, w, x, g, each at most once")
                    ok = False
                elif r & ~limit:
                    text = self.abi.rights_text
                    self.d.error(end.rights_pos, f"connection grants '{text(r & ~limit).replace('-', '')}' "
                                 f"beyond what '{end.instance}.{end.port}' may hold ({text(limit)})",
                                 f"a '{p.kind}' end may hold at most '{text(limit).replace('-', '')}'")
                    ok = False
                rights.append(r)
            if not ok:
                continue
            if c.kind in ("rpc", "resolve") and not rights[0] & G:
                ret = returns_caps(self.interfaces[sp.iface]) if sp.iface in self.interfaces else None
                if ret is not None:
                    pr, pn, ct = ret
                    here = c.src.rights_pos if c.src.rights is not None else c.src.port_pos
                    self.d.error(here, f"'{c.src.instance}.{c.src.port}' calls '{sp.iface}', whose "
                                 f"'{pr.name}' returns {ct.name} '{pn}', without the grant right",
                                 f"write `{c.src.instance}.{c.src.port}(wg)`: only a call through a "
                                 "capability with g may receive a capability in its reply")
                    continue
                snd = sends_caps(self.interfaces[sp.iface]) if sp.iface in self.interfaces else None
                if snd is not None:
                    pr, pn, ct = snd
                    here = c.src.rights_pos if c.src.rights is not None else c.src.port_pos
                    self.d.error(here, f"'{c.src.instance}.{c.src.port}' calls '{sp.iface}', whose "
                                 f"'{pr.name}' takes {ct.name} '{pn}', without the grant right",
                                 f"write `{c.src.instance}.{c.src.port}(wg)`: the kernel moves a "
                                 "capability only in a call through a capability with g")
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
