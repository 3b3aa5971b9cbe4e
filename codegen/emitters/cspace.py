"""The CSpace manifest for review: one Markdown file per instance and one JSON file for
the whole system, listing every capability (slot, object, type, rights, badge, peer)
and every mapping. Both are stable so `diff` shows exactly the authority that changed."""
import json

from ..idltypes import ArrayType, EnumType
from . import render

FORMAT = "anvaya-cspace/1"


def supervision_record(sysm, inst):
    """Authority that reaches the instance at run time through the supervisor: kept next
    to the static slots so a review sees everything the instance can end up holding."""
    sup = getattr(sysm, "supervisor", None)
    if sup is None:
        return None
    rec = {"supervisor": sup.name}
    if inst is sup:
        rec["services"] = [{"start": n + 1, "name": s.name, "restarts": s.attrs["restarts"],
                            "restart_policy": s.restart_policy}
                           for n, s in enumerate(sysm.start_order)]
        return rec
    by_client = getattr(sysm, "_routes_by_client", None)
    if by_client is None:
        # Indexed once per system: a per-instance scan of every route is quadratic.
        by_client = sysm._routes_by_client = {}
        for r in sysm.routes:
            by_client.setdefault(r["client"].name, []).append(r)
        for a, b in sysm.manages:
            by_client.setdefault(("manages", a.name), []).append(b.name)
    rec["restarts"] = inst.attrs["restarts"]
    rec["restart_policy"] = inst.restart_policy
    rec["resolves"] = [{"port": r["client_port"], "name": r["port"]["name"], "rights": sysm.abi.rights_text(r["rights"]),
                        "badge": f"0x{r['badge']:x}"}
                       | ({"grants": grant_record(r["port"]["service"].comp.port_map[r["port"]["port"]],
                                                  r["grants"])} if r.get("grants") is not None else {})
                       for r in by_client.get(inst.name, [])]
    rec["manages"] = by_client.get(("manages", inst.name), [])
    return rec


def dma_trust(inst):
    """Why an instance is trusted with all of physical memory, or None. Without an IOMMU a
    driver that programs a DMA-capable device can make it read or write any address: its
    DMA buffers (whose physical addresses it learns) are how it tells a device where."""
    if not inst.dma:
        return None
    return {"buffers": [{"name": n, "pages": m.pages} for n, (m, s, b) in inst.dma.items()],
            "devices": sorted({d["device"].path for d in inst.devices.values()})}


def value_text(v):
    """A grant or configuration value as the IDL writes it: strings quoted (JSON escapes),
    lists in brackets, bools as true/false."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str) and not isinstance(v, EnumName):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, list):
        return "[" + ", ".join(value_text(x) for x in v) + "]"
    return str(v)


class EnumName(str):
    """An enumerator given as a value: shown bare, not quoted like a string."""


def _value(t, v):
    """A value for the JSON record: enumerators as their name (marked for value_text)."""
    if isinstance(t, ArrayType):
        return [_value(t.elem, x) for x in v or []]
    if isinstance(t, EnumType) and v is not None:
        return EnumName(v)
    return v


def grants_text(grants):
    return ", ".join(f"{k} = {value_text(v)}" for k, v in grants.items())


def grant_record(comp_port, values):
    return {g.name: _value(g.t, values.get(g.name)) for g in comp_port.grant_map.values()
            if g.t is not None}


def slot_record(abi, inst, s):
    rec = {"slot": s.index, "name": s.name, "object": s.obj.name, "type": s.obj.type_name,
           "rights": abi.rights_text(s.rights), "badge": f"0x{s.badge:x}", "peer": s.peer}
    if s.grants is not None:
        srv, spname, _s = inst.uses_conn[s.name]
        rec["grants"] = grant_record(srv.comp.port_map[spname], s.grants)
    if getattr(s, "replies_carry", None):
        rec["replies_carry"] = [f"cap<{i}>" for i in s.replies_carry]
    if getattr(s, "requests_carry", None):
        rec["requests_carry"] = list(s.requests_carry)
    return rec


def receives_record(inst):
    """The procedures it serves whose requests carry capabilities in (`in cap<I>`), and
    the free slots the generator keeps for them (the receive window)."""
    return {"window_slots": inst.recv_window,
            "procedures": [f"{i}.{pr.name}({', '.join(ct.name + ' ' + n for n, ct in pr.in_caps)})"
                           for i, pr in inst.recv_procs]}


def grants_given(inst):
    """Per provided port with grants, what each client was given (the same values as on
    the clients' own slots: the server's view, for its reviewer)."""
    out = []
    for pname, per_client in inst.client_grants.items():
        port = inst.comp.port_map[pname]
        for (badge, ci, cp, _r), values in zip(inst.clients[pname], per_client):
            out.append({"port": pname, "client": f"{ci}.{cp}", "badge": f"0x{badge:x}",
                        "grants": grant_record(port, values)})
    return out


def _holds(sysm, inst, m):
    """What a dataport mapping holds, when that is not simply its pages: a typed
    dataport's struct, or a declared size the mapping rounds up to whole pages."""
    if not m.name.startswith("dataport "):
        return {}
    port = inst.comp.port_map.get(m.name[len("dataport "):])
    if port is None:
        return {}
    if port.t is not None:
        return {"holds": f"{port.t.ctype}, {port.size_bytes} bytes"}
    if port.size_bytes != m.pages * sysm.abi.PAGE_SIZE:
        return {"holds": f"{port.size_bytes} bytes, rounded up to {m.pages} page{'s' if m.pages != 1 else ''}"}
    return {}


def instance_record(sysm, inst):
    return {
        "name": inst.name,
        "component": inst.comp.name,
        "mode": "passive" if inst.passive else "thread",
        "threads": len(inst.threads),
        "priority": inst.attrs["priority"],
        "budget_us": inst.attrs["budget"],
        "period_us": inst.attrs["period"],
        "stack_bytes": inst.stack_pages * sysm.abi.PAGE_SIZE,
        "heap_bytes": inst.heap_pages * sysm.abi.PAGE_SIZE,
        "cspace_slots": inst.attrs["cspace"],
        "pool_pages": inst.pool_pages,
        "slots": [slot_record(sysm.abi, inst, s) for s in inst.slots],
        "mappings": [{"vaddr": f"0x{m.vaddr:x}", "pages": m.pages, "rights": sysm.abi.rights_text(m.rights),
                      "object": m.obj.name, "name": m.name,
                      "memory": "device" if m.flags & sysm.abi.manifest("MAP_F_DEVICE") else
                                ("dma" if m.obj.flags & sysm.abi.manifest("OBJ_F_DMA") else "normal")}
                     | _holds(sysm, inst, m) for m in inst.mappings],
        "regions": [{"name": n, "vaddr": f"0x{va:x}", "bytes": size}
                    for n, (va, size) in inst.regions.items()],
        "trusted_with_physical_memory": dma_trust(inst),
    } | ({"supervision": supervision_record(sysm, inst)} if getattr(sysm, "supervisor", None) else {}) \
      | ({"grants_given": grants_given(inst)} if inst.client_grants else {}) \
      | ({"receives_caps": receives_record(inst)} if inst.recv_procs else {}) \
      | ({"config": {n: _value(t, v) for n, t, v in inst.config}} if inst.config else {})


def system_record(sysm):
    return {"format": FORMAT, "system": sysm.name,
            "abi_version": f"{sysm.abi.ABI_VERSION_MAJOR}.{sysm.abi.ABI_VERSION_MINOR}",
            "trusted_with_physical_memory": [i.name for i in sysm.instances if i.dma],
            "instances": [instance_record(sysm, i) for i in sysm.instances]}


def to_json(record):
    return json.dumps(record, indent=2, sort_keys=False) + "\n"


def instance_markdown(sysm, inst, managers=None):
    # Who besides the supervisor may stop and restart this instance (`connect manage`):
    # that authority sits in the manager's record, so it is gathered here for the reader.
    # `managers` (instance -> its managers, from emit) keeps a large system linear.
    if managers is None:
        managers = _managers(sysm)
    managed_by = managers.get(inst.name, [])
    return render("cspace.md.j2", system=sysm.name, i=instance_record(sysm, inst),
                  managed_by=managed_by, image_base=f"0x{sysm.abi.USER_IMAGE_BASE:x}",
                  grants_text=grants_text, value_text=value_text, cell=_cell,
                  config_types={n: t.name for n, t, _v in inst.config})


def _managers(sysm):
    out = {}
    if getattr(sysm, "supervisor", None) is None:
        return out
    for a, b in sysm.manages:
        if a is not b:
            out.setdefault(b.name, []).append(a.name)
    return {k: sorted(set(v)) for k, v in out.items()}


def _cell(text):
    """Text safe inside a Markdown table cell."""
    return str(text).replace("\\", "\\\\").replace("|", "\\|")


def emit(sysm):
    out = {f"{sysm.name.lower()}.cspace.json": to_json(system_record(sysm)),
           f"{sysm.name.lower()}.trust.md": render(
               "trust.md.j2", system=sysm.name,
               trusted=[instance_record(sysm, i) for i in sysm.instances if i.dma])}
    managers = _managers(sysm)
    for inst in sysm.instances:
        out[f"{inst.name}.cspace.md"] = instance_markdown(sysm, inst, managers)
    return out
