"""CSpace and address-space layout: for each instance, which slot holds each capability
(the well-known slots of abi.h first, then a documented order) and where each region is
mapped (IPC buffers, stacks, heap, dataports, devices, DMA buffers, reserved regions), with
the checks that the result fits: CSpace size, the address-space regions, generated slot
names, and the platform's RAM."""
from .authority import KERNEL_RESOURCES
from .idltypes import cap_closure, received_closure, returns_caps, sends_caps

# The address space of every process (docs/generator.md) is abi.h's ANV_USER_*: the program
# image at ANV_USER_IMAGE_BASE, thread 0's IPC buffer at ANV_USER_IPCBUF and its stack from
# ANV_USER_STACK_BASE (an unmapped guard page between), then the heap, dataport, device and
# DMA regions, and reserved regions from ANV_USER_REGION_BASE to ANV_USER_TOP. Extra threads
# (`threads = N;`): thread i's IPC buffer and stack follow thread i-1's stack top as
# [guard][IPC buffer][guard][stack], so every stack has an unmapped page below it (an
# overflow faults instead of writing into a neighbour) and above it (a stack top is never
# adjacent to another thread's memory).

# A lower bound of a capability's size in the kernel (struct cap in kernel/object/object.h
# is larger), for the memory check: a bound, not the kernel's number, so it may stay low.
CAP_BYTES_AT_LEAST = 64


class Slot:
    def __init__(self, index, name, obj, rights, badge=0, peer=""):
        self.index, self.name, self.obj, self.rights, self.badge, self.peer = \
            index, name, obj, rights, badge, peer
        self.grants = None   # {grant: value} the server's port gives this client, if it has any


class Mapping:
    def __init__(self, name, vaddr, obj, pages, rights, flags=0):
        self.name, self.vaddr, self.obj, self.pages, self.rights, self.flags = \
            name, vaddr, obj, pages, rights, flags



class Layout:
    """Builder stage 4 (mixed into model.Builder): `inst.slots` and `inst.mappings` of every
    instance from the objects and badges authority.py made, what capabilities its calls
    and requests carry (`cap_objects`, `cap_clients`, the receive window `recv_window`),
    the CSpace checks, and the system's memory against the platform's RAM."""

    def lay_out(self, sysm, badge_of, conns, dp_obj):
        self.sysm = sysm
        for inst in sysm.instances:
            self.slots_and_maps(inst, badge_of, conns, dp_obj)
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
            if inst.cap_clients_uses:
                # The reply's capabilities land in the lowest free slots (RFC 0010 3.4).
                used = max(used, inst.slots[-1].index + 2)
                why += f", and a free slot for the cap<{inst.cap_clients_uses[0]}> its calls return"
            if inst.recv_window:
                # `in cap<I>`: a request's capabilities land in the lowest free slots too;
                # the generator keeps that many free (the receive window).
                used += inst.recv_window
                why += (f", and {inst.recv_window} free slot{'s' if inst.recv_window != 1 else ''} "
                        f"for the {inst.recv_caps[0]} its requests carry in")
            if inst is self.sup:
                # init mints each registry copy into its last slot before the reply moves
                # it (components/init/registry.c), so that slot stays empty.
                used += 1
                why += ", the last one free for minting registry copies"
            if used > inst.attrs["cspace"]:
                pos = inst.attr_pos["cspace"] or inst.decl.pos
                self.d.error(pos, f"CSpace of '{inst.name}' has {inst.attrs['cspace']} slots but "
                             f"needs {used} ({why})", f"set `cspace = {used};` or more")

    def slots_and_maps(self, inst, badge_of, conns, dp_obj):
        abi = self.abi
        page = abi.PAGE_SIZE
        R, W, G = abi.RIGHT_READ, abi.RIGHT_WRITE, abi.RIGHT_GRANT
        RW = R | W
        heap_base, dataport_base, device_base = abi.USER_HEAP_BASE, abi.USER_DATAPORT_BASE, abi.USER_DEVICE_BASE
        dma_base, mega = abi.USER_DMA_BASE, abi.MEGAPAGE_SIZE
        slots, maps = inst.slots, inst.mappings

        def slot(index, name, o, rights, badge=0, peer=""):
            s = Slot(index, name, o, rights, badge, peer)
            slots.append(s)
            return s

        # Well-known slots come from abi.h (ANV_SLOT_*); fault, console and pool are filled
        # only when the system grants them (`connect fault`, `kernel console`, `pool =`).
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
        # [guard][IPC buffer][guard][stack] (see the top of this file).
        for t in inst.threads:
            sfx = str(t.index) if t.index else ""
            t.ipcbuf_vaddr = abi.USER_IPCBUF if t.index == 0 else inst.threads[t.index - 1].stack_top + page
            t.stack_base = abi.USER_STACK_BASE if t.index == 0 else t.ipcbuf_vaddr + 2 * page
            t.stack_top = t.stack_base + inst.stack_pages * page
            maps.append(Mapping("ipcbuf" + sfx, t.ipcbuf_vaddr, t.ipcbuf_obj, 1, RW))
            maps.append(Mapping("stack" + sfx, t.stack_base, t.stack_obj, inst.stack_pages, RW))
        inst.stack_top = inst.threads[0].stack_top
        if inst.threads[-1].stack_top > heap_base:
            many = len(inst.threads) > 1
            pos = (inst.attr_pos["threads"] if many else None) or inst.attr_pos["stack"] or inst.decl.pos
            self.d.error(pos, f"stack{'s' if many else ''} of '{inst.name}' too large for the layout "
                         f"({len(inst.threads)} x {inst.stack_pages * page} bytes end at "
                         f"{inst.threads[-1].stack_top:#x}, above the heap at {heap_base:#x})",
                         "lower `stack =` or `threads =`")
        if inst.heap_obj:
            maps.append(Mapping("heap", heap_base, inst.heap_obj, inst.heap_pages, RW))
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
        vaddr = dataport_base
        for p in inst.comp.ports:
            if p.kind == "dataport":
                o, r, peer = dp_obj[(inst.name, p.name)]
                s = slot(take(), p.name, o, r, 0, peer)
                m = Mapping(f"dataport {p.name}", vaddr, o, o.pages, r)
                maps.append(m)
                inst.dataports[p.name] = (m, s, p.size_bytes)
                vaddr += (o.pages + 1) * page
        if vaddr > device_base:
            self.d.error(inst.decl.pos, f"dataports of '{inst.name}' exceed the "
                         f"{(device_base - dataport_base) >> 20} MiB dataport region")
        vaddr = device_base
        for p in inst.comp.ports:
            for key in inst.device_groups.get(p.name, []) if p.kind == "device" else []:
                if key not in inst.devices:
                    continue
                dv = inst.devices[key]
                mo = dv["mmio_obj"]
                dv["mmio_slot"] = slot(take(), f"{key}.mmio", mo, RW, 0, dv["device"].path)
                dv["vaddr"] = vaddr + dv["offset"]
                maps.append(Mapping(f"device {key}", vaddr, mo, mo.pages, RW, abi.manifest("MAP_F_DEVICE")))
                vaddr += (mo.pages + 1) * page
                if dv["irq_obj"]:
                    dv["irq_slot"] = slot(take(), f"{key}.irq", dv["irq_obj"], W, 0,
                                          f"irq {dv['irq_obj'].irq}")
        if vaddr > dma_base:
            self.d.error(inst.decl.pos, f"devices of '{inst.name}' exceed the "
                         f"{(dma_base - device_base) >> 20} MiB device region")
        vaddr = dma_base
        for p in inst.comp.ports:
            if p.kind == "dma":
                o, _, nbytes = inst.dma[p.name]
                s = slot(take(), p.name, o, RW, 0, f"DMA, {o.pages} contiguous pages")
                m = Mapping(f"dma {p.name}", vaddr, o, o.pages, RW)
                maps.append(m)
                inst.dma[p.name] = (m, s, nbytes)
                vaddr += (o.pages + 1) * page
        if vaddr > abi.USER_DMA_TOP:
            self.d.error(inst.decl.pos, f"DMA buffers of '{inst.name}' exceed the "
                         f"{(abi.USER_DMA_TOP - dma_base) >> 20} MiB DMA region")
        # Regions are address space only: the component maps its pool's frames there.
        vaddr = abi.USER_REGION_BASE
        for p in inst.comp.ports:
            if p.kind == "region":
                inst.regions[p.name] = (vaddr, p.size_bytes)
                vaddr += -(-p.size_bytes // mega) * mega + mega  # a 2 MiB guard after each
        if vaddr - mega > abi.USER_TOP:
            self.d.error(inst.decl.pos, f"regions of '{inst.name}' exceed the user address space "
                         f"({vaddr - mega:#x} > {abi.USER_TOP:#x})")
        for k in ("sysctl", "audit"):
            if k in inst.comp.kernel_set:
                slot(take(), k, kobjs[k], getattr(abi, "RIGHT_" + KERNEL_RESOURCES[k][1]))
        for b in inst.controls:
            slot(take(), f"control_{b}", self.insts[b].thread_obj, W, 0, b)
        if inst.registry_badge is not None:
            # Registry requests; g lets the supervisor's reply carry the resolved endpoint.
            inst.registry_slot = slot(take(), "registry", self.sup.service_obj, W | G,
                                      inst.registry_badge, f"{self.sup.name} (supervisor)")
        if inst is self.sup:
            sysm = self.sysm
            for svc in sysm.services:
                svc.control_slots = [slot(take(), f"control_{svc.name}" + (f".thread{t.index}" if t.index else ""),
                                          t.thread_obj, W, 0, svc.name) for t in svc.threads]
            for rp in sysm.registry_ports:
                rp["slot"] = slot(take(), f"registry_{rp['name']}", rp["service"].service_obj,
                                  rp["rights"], 0, rp["name"])
        # `out cap<I>`: a server returns badged copies of its own endpoint, minted from an
        # unbadged one it alone holds (last, so no other slot moves); a client needs a free
        # slot for each it receives. Object interface j's badges are (1 << 48) | (j << 40)
        # | the server's 40 bits (docs/idl.md, "Capabilities").
        ifaces = self.sysm.interfaces
        inst.cap_objects = cap_closure(ifaces, [p.iface for p in inst.comp.ports if p.kind == "provides"])
        inst.cap_clients_uses = cap_closure(ifaces, [p.iface for p in inst.comp.ports
                                                     if p.kind == "uses" and (p.name in inst.uses_conn
                                                                              or p.name in inst.resolved)])
        # `in cap<I>`: what the requests it serves carry in, it calls (docs/idl.md).
        served = [p.iface for p in inst.comp.ports if p.kind == "provides"] + \
            (inst.cap_objects if inst.service_obj else [])
        # Not the object interfaces it serves itself: their names are its implementations
        # (a Conn handed back to its own server is known by its badge, anv_cap_identify).
        received = [i for i in received_closure(ifaces, served)
                    if not (inst.service_obj and i in inst.cap_objects)]
        inst.cap_clients = sorted(set(inst.cap_clients_uses) | set(received))
        inst.recv_procs = [(i, pr) for i in sorted(set(served)) for pr in ifaces[i].procs if pr.in_caps] \
            if inst.service_obj else []
        # Each thread may hold one request's capabilities at a time.
        inst.recv_window = max((len(pr.in_caps) for _i, pr in inst.recv_procs), default=0) \
            * len(inst.threads)
        inst.recv_caps = sorted({ct.name for _i, pr in inst.recv_procs for _n, ct in pr.in_caps})
        for p in inst.comp.ports:
            if p.kind == "uses" and p.name in inst.uses_conn and returns_caps(ifaces[p.iface]):
                inst.uses_conn[p.name][2].replies_carry = cap_closure(ifaces, [p.iface])
            if p.kind == "uses" and p.name in inst.uses_conn and sends_caps(ifaces[p.iface]):
                inst.uses_conn[p.name][2].requests_carry = [
                    f"{pr.name}({', '.join(ct.name for _n, ct in pr.in_caps)})"
                    for pr in ifaces[p.iface].procs if pr.in_caps]
        inst.mint_slot = None
        if inst.cap_objects and inst.service_obj:
            grant = any(returns_caps(ifaces[i]) or sends_caps(ifaces[i]) for i in inst.cap_objects)
            inst.mint_rights = W | (G if grant else 0)
            inst.mint_slot = slot(take(), "mint", inst.service_obj, inst.mint_rights, 0,
                                  "its own endpoint, unbadged: the " +
                                  ", ".join(f"cap<{i}>" for i in inst.cap_objects) +
                                  " it returns are badged copies")

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
        reserved = self.abi.KERNEL_RESERVED_BYTES
        free = max(0, ram - reserved) // page
        total = 0
        per_inst = {}
        for o in sysm.objects:
            if o.type_name == "FRAME" and not o.flags & self.abi.manifest("OBJ_F_DEVICE") or o.type_name == "POOL":
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
                     f"{reserved >> 20} MiB; '{big.name}' takes the most "
                     f"({per_inst.get(big.name, 0)} pages), its {what} {n} pages",
                     f"shrink {what} of '{big.name}', or use a platform with more memory")
