"""Per-instance C code: a header (slots, handles, types, prototypes, layout) and a source
(client stubs, the server dispatch and loop, event wrappers), plus a linker script.
Python flattens every parameter into word-sized marshalling steps; the templates only
render those steps, so the wire format lives in one place (flatten below)."""
from ..idltypes import ArrayType, BoolType, BytesType, CapType, EnumType, IntType, StructType, returns_caps, sends_caps, snake
from . import render


class Op:
    """One marshalling step: `kind` at payload word `word` for C lvalue `expr`."""

    def __init__(self, kind, expr, word, **kw):
        self.kind, self.expr, self.word = kind, expr, word
        self.__dict__.update(kw)


def flatten(t, expr, word, ops):
    """Append the steps for type t stored at C lvalue expr; returns the next free word."""
    if isinstance(t, CapType):
        return word         # travels in the capability list, not in words
    if isinstance(t, IntType):
        lo, hi = t.range()
        ops.append(Op("int", expr, word, ctype=t.ctype, signed=t.signed, bits=t.bits, lo=lo, hi=hi))
        return word + 1
    if isinstance(t, BoolType):
        ops.append(Op("bool", expr, word))
        return word + 1
    if isinstance(t, EnumType):
        ops.append(Op("enum", expr, word, ctype=t.ctype, values=sorted({v for _, v in t.members})))
        return word + 1
    if isinstance(t, StructType):
        for fname, ft in t.fields:
            word = flatten(ft, f"{expr}.{fname}", word, ops)
        return word
    if isinstance(t, BytesType):
        ops.append(Op("blen", f"{expr}.len", word, bound=t.bound))
        ops.append(Op("bdata", f"{expr}.data", word + 1, bound=t.bound, len=f"{expr}.len"))
        return word + t.words
    if isinstance(t, ArrayType):
        if t.packed:
            ops.append(Op("bytes", expr, word, bound=t.n))
            return word + t.words
        for i in range(t.n):
            word = flatten(t.elem, f"{expr}[{i}]", word, ops)
        return word
    raise TypeError(t)


def declarator(t, name):
    if isinstance(t, ArrayType):
        return f"{t.ctype} {name}[{t.n}]"
    return f"{t.ctype} {name}"


def client_param(direction, name, t):
    """(C parameter declaration, C lvalue the marshalling steps use)."""
    if isinstance(t, ArrayType):
        const = "const " if direction == "in" else ""
        return f"{const}{t.ctype} {name}[{t.n}]", name
    if direction == "in" and isinstance(t, (StructType, BytesType)):
        return f"const {t.ctype} *{name}", f"(*{name})"
    if direction == "in":
        return f"{t.ctype} {name}", name
    return f"{t.ctype} *{name}", f"(*{name})"


def server_param(direction, name, t):
    """The component's side of a parameter: as the client's, except that a capability a
    request carries in is passed by address, so the component can keep it (docs/idl.md)."""
    if direction == "in" and isinstance(t, CapType):
        return f"anv_handle_t *{name}"
    return client_param(direction, name, t)[0]


def server_arg(direction, name, t):
    """How the dispatch passes its local `name` to the component's function."""
    if isinstance(t, ArrayType):
        return name
    if isinstance(t, CapType):
        return "&" + name
    if direction == "in" and not isinstance(t, (StructType, BytesType)):
        return name
    return "&" + name


class ProcView:
    def __init__(self, iface, proc):
        self.name, self.label = proc.name, proc.label
        self.in_words, self.out_words = proc.in_words, proc.out_words
        self.label_macro = f"{snake(iface.name).upper()}_LABEL_{proc.name.upper()}"
        self.client_params, self.server_params, self.locals, self.args = [], [], [], []
        self.enc_in, self.dec_in, self.enc_out, self.dec_out = [], [], [], []
        self.srv_enc_out, self.srv_dec_in = [], []
        self.caps = [n for n, _ in proc.out_caps]
        self.in_caps = [n for n, _ in proc.in_caps]
        win = wout = 0
        for d, n, t in proc.params:
            decl, cexpr = client_param(d, n, t)
            self.client_params.append(decl)
            self.server_params.append(server_param(d, n, t))
            self.locals.append(declarator(t, n))
            self.args.append(server_arg(d, n, t))
            if d in ("in", "inout"):
                win = flatten(t, cexpr, win, self.enc_in)
                flatten(t, n, win - t.words, self.srv_dec_in)
            if d in ("out", "inout"):
                wout = flatten(t, cexpr, wout, self.dec_out)
                flatten(t, n, wout - t.words, self.srv_enc_out)


def type_closure(types):
    """Every enum/struct the given types use, dependencies first, then bytes bounds."""
    order, seen, bounds = [], set(), set()

    def visit(t):
        if isinstance(t, ArrayType):
            return visit(t.elem)
        if isinstance(t, BytesType):
            bounds.add(t.bound)
            return
        if isinstance(t, (EnumType, StructType)) and t.name not in seen:
            seen.add(t.name)
            if isinstance(t, StructType):
                for _, ft in t.fields:
                    visit(ft)
            order.append(t)
    for t in types:
        visit(t)
    return order, sorted(bounds)


def type_views(order):
    out = []
    for t in order:
        if isinstance(t, EnumType):
            up = snake(t.name).upper()
            out.append({"kind": "enum", "guard": f"ANV_TYPE_{up}", "c": t.ctype,
                        "members": [(f"{up}_{m.upper()}", v) for m, v in t.members]})
        else:
            out.append({"kind": "struct", "guard": f"ANV_TYPE_{snake(t.name).upper()}", "c": t.ctype,
                        "fields": [declarator(ft, fn) for fn, ft in t.fields]})
    return out


def c_literal(t, value):
    if isinstance(t, BoolType):
        return "true" if value else "false"
    if isinstance(t, EnumType):
        return f"{snake(t.name).upper()}_{value.upper()}"
    if isinstance(t, BytesType):
        # Byte for byte as UTF-8, every byte that is not plain printable ASCII (and '?', so
        # no trigraph forms) as a three-digit octal escape: the C file stays ASCII, control
        # characters from escapes cannot break the literal, and sizeof equals the count
        # `check` made against bytes<N>.
        return '"' + "".join(chr(b) if 0x20 <= b < 0x7F and b not in b'"\\?' else f"\\{b:03o}"
                             for b in value.encode("utf-8")) + '"'
    if t.signed and value == -(1 << 63):
        # -9223372036854775808 is a negation of a constant too large for int64_t.
        return "(-INT64_C(9223372036854775807) - 1)"
    return f"INT64_C({value})" if t.signed else f"UINT64_C({value})"


def grant_init(t, value):
    """A C initialiser for one grant value of type t."""
    if isinstance(t, ArrayType):
        return "{" + ", ".join(grant_init(t.elem, v) for v in value) + "}"
    if isinstance(t, BytesType):
        return f"{{{len(value.encode('utf-8'))}u, {c_literal(t, value)}}}"
    return c_literal(t, value)


def grant_view(P, U, port, inst):
    """The per-client grant table of a provided port: its struct, one initialiser per
    client in badge order, and the names the header declares."""
    fields, decls = [], []
    for g in port.grant_map.values():
        decls.append(declarator(g.t, g.name))
        fields.append(g)
        if isinstance(g.t, ArrayType):
            decls.append(f"uint32_t {g.name}_count")
    entries = []
    for (badge, ci, cp, _r), values in zip(inst.clients[port.name], inst.client_grants[port.name]):
        inits = []
        for g in fields:
            v = values.get(g.name)
            if isinstance(g.t, ArrayType):
                if v:
                    inits.append(f".{g.name} = {grant_init(g.t, v)}")
                inits.append(f".{g.name}_count = {len(v or [])}u")
            else:
                inits.append(f".{g.name} = {grant_init(g.t, v)}")
        entries.append({"client": f"{ci}.{cp}", "badge": badge, "inits": inits})
    return {"struct": f"struct {P}_{port.name}_grant", "fields": decls, "entries": entries,
            "table": f"{P}_{port.name}_grants", "lookup": f"{P}_{port.name}_grant",
            "names": f"{P}_{port.name}_grant_clients", "count": f"{U}_{port.name.upper()}_GRANT_COUNT"}


def handle(sysm, slot):
    abi = sysm.abi
    return (abi.HANDLE_TAG_SOFT << abi.HANDLE_TAG_SHIFT) | slot


def instance_view(sysm, inst):
    P = inst.prefix
    U = P.upper()
    ifaces = {}
    uses, provides = [], []
    for p in inst.comp.ports:
        if p.kind in ("uses", "provides"):
            iface = sysm.interfaces[p.iface]
            ifaces[iface.name] = iface
            # A client of an interface that returns capabilities holds g, so every stub of
            # the port checks the reply's capability count (and deletes what it did not ask for).
            view = {"port": p.name, "iface": iface.name, "resolve": None,
                    "procs": [ProcView(iface, pr) for pr in iface.procs],
                    "capcheck": returns_caps(iface) is not None}
            if p.kind == "uses" and p.name in inst.resolved:
                srv, spname, _, _ = inst.resolved[p.name]
                view["resolve"] = f"{srv.name}.{spname}"
                view["peer"] = f"{srv.name}.{spname}, resolved through the registry"
                view["handle"] = f"{P}_{p.name}_handle"
                uses.append(view)
            elif p.kind == "uses" and p.name not in inst.uses_conn:
                continue            # optional and unconnected: no handle, no stubs
            elif p.kind == "uses":
                view["slot"] = inst.uses_conn[p.name][2]
                view["peer"] = view["slot"].peer
                view["handle"] = f"{U}_HANDLE_{p.name.upper()}"
                uses.append(view)
            else:
                view["index"] = len(provides)
                view["clients"] = [(f"{U}_{p.name.upper()}_CLIENT_{ci.upper()}_{cp.upper()}", b)
                                   for b, ci, cp, _ in inst.clients[p.name]]
                view["grants"] = grant_view(P, U, p, inst) if p.grant_map else None
                provides.append(view)
    R, W, G = sysm.abi.RIGHT_READ, sysm.abi.RIGHT_WRITE, sysm.abi.RIGHT_GRANT

    def object_view(k, name):
        iface = sysm.interfaces[name]
        ifaces[name] = iface
        rights = W | (G if returns_caps(iface) or sends_caps(iface) else 0)
        return {"iface": name, "snake": snake(name), "up": snake(name).upper(), "index": k,
                "received": name not in inst.cap_clients_uses,
                "rights": rights, "rights_text": sysm.abi.rights_text(rights),
                "procs": [ProcView(iface, pr) for pr in iface.procs]}
    cap_objects = [object_view(k, n) for k, n in enumerate(inst.cap_objects)] if inst.mint_slot else []
    cap_clients = [object_view(k, n) for k, n in enumerate(inst.cap_clients)]
    all_types = [t for i in ifaces.values() for pr in i.procs for _, _, t in pr.params]
    all_types += [t for _, t, _ in inst.config]
    all_types += [p.t for p in inst.comp.ports if p.kind == "dataport" and p.t is not None]
    all_types += [g.t for p in inst.comp.ports if p.kind == "provides" for g in p.grant_map.values()]
    order, bounds = type_closure(all_types)
    slots = [{"macro": f"{U}_SLOT_{s.name.upper().replace('->', '_TO_').replace('.', '_')}",
              "hmacro": f"{U}_HANDLE_{s.name.upper().replace('->', '_TO_').replace('.', '_')}",
              "index": s.index, "handle": handle(sysm, s.index), "s": s} for s in inst.slots]
    by_name = {s["s"].name: s for s in slots}
    faults = [{"port": p, "senders": [(f"{U}_{p.upper()}_FAULT_{f.upper()}", b) for b, f in fl]}
              for p, fl in inst.fault_from.items()]
    events = [{"port": p.name, "bit": inst.event_bits[p.name]}
              for p in inst.comp.ports if p.kind == "consumes"]
    emits = [{"port": p.name, "handles": [by_name[s.name]["hmacro"] for s in inst.emit_slots[p.name]]}
             for p in inst.comp.ports if p.kind == "emits"]
    dataports = [{"port": n, "vaddr": m.vaddr, "size": size, "rights": s.rights,
                  "mapped": m.pages * sysm.abi.PAGE_SIZE, "pages": m.pages,
                  "ctype": inst.comp.port_map[n].t.ctype if inst.comp.port_map[n].t else None,
                  "ro": not s.rights & sysm.abi.RIGHT_WRITE}
                 for n, (m, s, size) in inst.dataports.items()]
    devices = [{"port": n, "vaddr": d["vaddr"], "size": d["size"], "paddr": d["device"].regs[0][0],
                "path": d["device"].path, "bit": inst.event_bits[n],
                "irq": d["irq_obj"].irq if d["irq_obj"] else None}
               for n, d in inst.devices.items()]
    dma = [{"port": n, "vaddr": m.vaddr, "size": size, "pages": m.pages}
           for n, (m, s, size) in inst.dma.items()]
    regions = [{"port": n, "vaddr": va, "size": size} for n, (va, size) in inst.regions.items()]
    device_groups = [{"port": n, "members": keys} for n, keys in inst.device_groups.items()
                     if any(k != n for k in keys)]
    last_slot = max((s.index for s in inst.slots), default=0)
    iface_views = [{"name": i.name, "up": snake(i.name).upper(), "errors": i.errors,
                    "sets": [s.name for s in i.sets],
                    # error_name's cases: a set's constant, or an own error's number.
                    "cases": [(f"{es.up}_E_{n}", n) for es in i.sets for n, _v in es.members]
                    + [(str(v), n) for n, v in i.errors],
                    "procs": [ProcView(i, pr) for pr in i.procs]} for i in ifaces.values()]
    # Every error set the interfaces reach, each once and after the sets it includes: one
    # enum per set, under its own guard, so headers that meet define each code once.
    reached = {}
    for i in ifaces.values():
        reached.update(dict.fromkeys(i.sets))
    sets = list(reached)
    set_views = [{"name": es.name, "up": es.up, "tag": f"enum {snake(es.name)}_errors",
                  "fn": f"{snake(es.name)}_error_name", "members": es.members,
                  "includes": [s.name for s in es.closure[:-1]],
                  "cases": [(c, n) for n, _v, c in es.all_errors()],
                  "users": sorted(i.name for i in ifaces.values() if es in i.sets)} for es in sets]
    return {
        "sys": sysm.name, "inst": inst, "P": P, "U": U, "comp": inst.comp.name,
        "slots": slots, "uses": uses, "provides": provides, "types": type_views(order),
        "bounds": bounds, "ifaces": iface_views, "error_sets": set_views, "events": events, "emits": emits,
        "dataports": dataports, "devices": devices, "faults": faults,
        "dma": dma, "regions": regions, "device_groups": device_groups,
        "cspace_slots": inst.attrs["cspace"],
        "first_dynamic": max(sysm.abi.SLOT_FIRST_FREE, last_slot + 1),
        "pool_pages": inst.pool_pages,
        "config": [(n.upper(), c_literal(t, v), t) for n, t, v in inst.config],
        "has_events": inst.ntfn_obj is not None, "has_service": bool(provides),
        "has_console": "console" in inst.comp.kernel_set,
        "supervisor": supervisor_view(sysm, inst, by_name),
        "ipcbuf": sysm.abi.USER_IPCBUF, "stack_base": sysm.abi.USER_STACK_BASE, "stack_top": inst.stack_top,
        "threads": inst.threads,
        "heap_base": sysm.abi.USER_HEAP_BASE, "heap_size": inst.heap_pages * sysm.abi.PAGE_SIZE,
        "image_base": sysm.abi.USER_IMAGE_BASE, "image_end": sysm.abi.USER_IPCBUF, "max_words": sysm.abi.IPC_MAX_WORDS,
        "reg_words": sysm.abi.IPC_REG_WORDS,
        # The serve loop keeps requests and replies in registers (anv_ipc_reply_recv_msg)
        # when every message of every provided procedure fits there; replies that carry
        # minted capabilities go through {P}_reply_recv instead.
        "serve_regs": not cap_objects and all(
            pr.in_words <= sysm.abi.IPC_REG_WORDS and pr.out_words <= sysm.abi.IPC_REG_WORDS
            for pv in provides for pr in pv["procs"]),
        "isinstance": isinstance, "BytesType": BytesType,
        "cap_objects": cap_objects, "cap_clients": cap_clients,
        # `in cap<I>` served here: the dispatch routes a request's capabilities to the
        # procedure that takes them and deletes the rest.
        "recv_window": inst.recv_window, "takes_caps": bool(inst.recv_procs),
    }


def supervisor_view(sysm, inst, by_name):
    """The declarations the supervisor starts from (struct anv_sm_config), or None."""
    if inst is not sysm.supervisor:
        return None
    svc_index = {svc.name: k for k, svc in enumerate(sysm.services)}
    services = [{"name": svc.name, "restarts": svc.attrs["restarts"],
                 "policy": "ANV_SM_RESTART_" + svc.restart_policy.upper().replace("-", "_"),
                 "fault_badge": svc.fault_conn[2]
                 if svc.fault_conn and svc.fault_conn[1] is None and svc.fault_conn[0] is inst else 0,
                 "threads": [by_name[s.name]["hmacro"] for s in svc.control_slots]}
                for svc in sysm.services]
    ports = [{"name": rp["name"], "service": svc_index[rp["service"].name],
              "master": by_name[rp["slot"].name]["hmacro"]} for rp in sysm.registry_ports]
    port_index = {rp["name"]: k for k, rp in enumerate(sysm.registry_ports)}
    routes = [{"client": r["client"].name, "client_badge": r["client"].registry_badge,
               "port": port_index[r["port"]["name"]], "rights": r["rights"], "badge": r["badge"]}
              for r in sysm.routes]
    grants = [{"client": a.name, "client_badge": a.registry_badge, "service": svc_index[b.name]}
              for a, b in sysm.manages]
    console = by_name.get("console")
    order = [svc_index[s.name] for s in sysm.start_order]
    return {"services": services, "order": order, "order_list": ", ".join(f"{k}u" for k in order),
            "ports": ports, "routes": routes, "grants": grants, "clients": sysm.registry_clients,
            "capacity": inst.attrs["registry"],
            "console": console["hmacro"] if console else "ANV_HANDLE_NULL"}


def emit(sysm):
    out = {}
    for inst in sysm.instances:
        v = instance_view(sysm, inst)
        out[f"{inst.name}_gen.h"] = render("component.h.j2", **v)
        out[f"{inst.name}_gen.c"] = render("component.c.j2", header=f"{inst.name}_gen.h", **v)
        out[f"{inst.name}.ld"] = render("component.ld.j2", **v)
    return out
