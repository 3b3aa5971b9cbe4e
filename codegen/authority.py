"""Authority policy: which kernel objects the system has (per instance, per connection,
per device, per DMA buffer), who may hold each device and interrupt, the badges that tell
a server its clients, a handler its faulting instances and the supervisor its services and
requesters, and what the supervisor is given (services, registry routes, management
grants, start order). Where each capability lands (slot, address) is layout.py's job."""

# The interrupt controllers the kernel drives (kernel/boot/dtb.c): they stay the kernel's.
# Interrupt numbers come from abi.h (ANV_IRQ_MAX); the platform's own source count is
# checked again at boot.
INTERRUPT_CONTROLLERS = {"riscv,plic0", "sifive,plic-1.0.0"}

# `kernel <name>, ...;`: the system-wide kernel objects a component may be given, with the
# object type and the right of its capability (ANV_OBJ_<type>, ANV_RIGHT_<right>). The
# console has a well-known slot (ANV_SLOT_CONSOLE); the others take the next free slots in
# this order.
KERNEL_RESOURCES = {"console": ("CONSOLE", "WRITE"), "sysctl": ("SYSCTL", "WRITE"),
                    "audit": ("AUDIT", "READ")}


def supervisor_badge(abi, kind, number):
    """A badge on the supervisor's endpoint (docs/idl.md, "Services"): the class
    (ANV_SM_BADGE_FAULT or _CLIENT) above ANV_SM_BADGE_SHIFT says what sent the message,
    the low bits number the sender, so fault records and registry requests arriving on one
    endpoint are told apart without a second endpoint."""
    return (getattr(abi, "SM_BADGE_" + kind) << abi.SM_BADGE_SHIFT) | number


class Obj:
    def __init__(self, index, otype, name, pages=0, paddr=0, irq=0, ntfn=None, badge=0,
                 flags=0, owner=None):
        self.index, self.type, self.name = index, otype, name
        self.pages, self.paddr, self.irq, self.ntfn, self.badge = pages, paddr, irq, ntfn, badge
        self.flags, self.owner = flags, owner


class Thread:
    """One thread of an instance: index i (the kernel passes it to the thread), its objects,
    and where its IPC buffer and stack are mapped (set by the layout)."""

    def __init__(self, index, thread_obj, ipcbuf_obj, stack_obj):
        self.index, self.thread_obj, self.ipcbuf_obj, self.stack_obj = \
            index, thread_obj, ipcbuf_obj, stack_obj
        self.ipcbuf_vaddr = self.stack_base = self.stack_top = 0
        self.slot = None



class Authority:
    """Builder stage 3 (mixed into model.Builder): the supervisor and its services
    (`find_supervisor`, before connections are checked), then every object
    (`make_objects`: `self.objs` in manifest order, each instance's objects and event bits,
    the dataport objects), the badges (`assign_badges`: `inst.clients`, `inst.client_grants`,
    `inst.fault_from`, `self.grants_of`, returned as `badge_of`) and the supervisor's
    declarations (`supervision`)."""

    def new_obj(self, otype, name, **kw):
        o = Obj(len(self.objs), getattr(self.abi, "OBJ_" + otype), name, **kw)
        o.type_name = otype
        self.objs.append(o)
        return o

    def pages(self, n):
        page = self.abi.PAGE_SIZE
        return (n + page - 1) // page

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
        if len(sysm.services) > self.abi.SM_MAX_SERVICES:
            self.d.error(self.sup.decl.pos, f"'{self.sup.name}' would supervise {len(sysm.services)} "
                         f"services; the service manager holds at most {self.abi.SM_MAX_SERVICES}",
                         "ANV_SM_MAX_SERVICES in abi.h: split the system, or raise it there")
        for k, svc in enumerate(sysm.services):
            svc.service_number = k + 1
        for i in sysm.instances:
            i.held = self.sup is not None and i is not self.sup
            i.resolved = {}      # uses port -> (server instance, server port, badge, rights)
            i.registry_badge = None

    def make_objects(self, sysm, sd, conns):
        """Every object of the system, in manifest order; returns the dataport objects
        {(instance, port): (object, rights, peer)}."""
        page = self.abi.PAGE_SIZE
        self.objs = []
        obj, pages = self.new_obj, self.pages
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
                    self.claim_device(claims, inst, p, key, dev, mpos)
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
        return dp_obj

    def assign_badges(self, sysm, conns):
        """RPC client and fault badges; returns {(client, uses port): (server, server port,
        badge, rights)}."""
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
        return badge_of

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
                svc.fault_conn = (sup, None, supervisor_badge(self.abi, "FAULT", svc.service_number))
        clients = sorted({c.src.instance for c, si, sp, di, dp, r in conns if c.kind == "resolve"} |
                         {ai.name for c, ai, bi in self.manage_conns})
        for k, name in enumerate(clients):
            self.insts[name].registry_badge = supervisor_badge(self.abi, "CLIENT", k + 1)
            sysm.registry_clients.append((name, supervisor_badge(self.abi, "CLIENT", k + 1)))
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

    def claim_device(self, claims, inst, p, key, dev, mpos):
        """The MMIO frame and IRQ objects of one device node for `inst` (device key `key`),
        refusing a node or page that another instance already claimed."""
        page = self.abi.PAGE_SIZE
        obj, pages = self.new_obj, self.pages
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
            if not 1 <= q < self.abi.IRQ_MAX:
                self.d.error(mpos, f"interrupt {q} of '{dev.path}' is outside 1..{self.abi.IRQ_MAX - 1} "
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
                 flags=self.abi.manifest("OBJ_F_DEVICE"), owner=inst)
        io = None
        if dev.irqs:
            io = obj("IRQ", f"irq {dev.irqs[0]} {dev.path}", irq=dev.irqs[0],
                     ntfn=inst.ntfn_obj, badge=1 << inst.event_bits[key], owner=inst)
        inst.devices[key] = {"device": dev, "mmio_obj": mo, "irq_obj": io,
                             "offset": base - first, "size": size, "port": p.name}
