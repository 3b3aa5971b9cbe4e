"""A Graphviz DOT drawing of instances and their connections (rpc solid, events dashed,
dataports bold, fault, control, manage and supervision dotted, devices as boxes; a
resolve, made at run time through the registry, is a dashed rpc), rendered to SVG by the
driver when `dot` exists."""
from . import render
from .cspace import grant_record, grants_text


def _dot(text):
    """Text inside a double-quoted DOT label."""
    return text.replace("\\", "\\\\").replace('"', '\\"')


def emit(sysm, conns=None):
    nodes = [{"name": i.name, "comp": i.comp.name, "prio": i.attrs["priority"],
              "mode": "passive" if i.passive else "thread", "dma": bool(i.dma)}
             for i in sysm.instances]
    edges, devices = [], []
    insts = {i.name: i for i in sysm.instances}
    for c in sysm.decl.connections:
        # fault and control ends are whole instances (no port on the source side).
        label = {"fault": f"-> {c.dst.port}", "control": "thread", "manage": "start/stop"}.get(
            c.kind, f"{c.src.port} -> {c.dst.port}")
        if getattr(c, "grant_values", None):
            # What the connection grants, on its edge: given values only, so the picture
            # shows what the system description chose, not every default.
            given = {a.name for a in c.grants}
            port = insts[c.dst.instance].comp.port_map[c.dst.port]
            shown = {k: v for k, v in grant_record(port, c.grant_values).items() if k in given}
            label += "\\n" + _dot(grants_text(shown)) if shown else ""
        edges.append({"src": c.src.instance, "dst": c.dst.instance, "kind": c.kind,
                      "label": label})
    sup = getattr(sysm, "supervisor", None)
    for svc in (sysm.services if sup else []):
        edges.append({"src": sup.name, "dst": svc.name, "kind": "supervises",
                      "label": f"restarts {svc.attrs['restarts']}"})
    for i in sysm.instances:
        for n, d in i.devices.items():
            devices.append({"id": f"dev_{i.name}_{n}", "inst": i.name, "path": d["device"].path,
                            "label": f"{n}: {d['device'].path}"})
    return {f"{sysm.name.lower()}.dot": render("system.dot.j2", name=sysm.name, nodes=nodes,
                                               edges=edges, devices=devices)}
