"""A Graphviz DOT drawing of instances and their connections (rpc solid, events dashed,
dataports bold, devices as boxes), rendered to SVG by the driver when `dot` exists."""
from ..model import rights_str
from . import render


def emit(sysm, conns=None):
    nodes = [{"name": i.name, "comp": i.comp.name, "prio": i.attrs["priority"],
              "mode": "passive" if i.passive else "thread"} for i in sysm.instances]
    edges, devices = [], []
    for c in sysm.decl.connections:
        edges.append({"src": c.src.instance, "dst": c.dst.instance, "kind": c.kind,
                      "label": f"{c.src.port} -> {c.dst.port}"})
    for i in sysm.instances:
        for n, d in i.devices.items():
            devices.append({"id": f"dev_{i.name}_{n}", "inst": i.name, "path": d["device"].path,
                            "label": f"{n}: {d['device'].path}"})
    return {f"{sysm.name.lower()}.dot": render("system.dot.j2", name=sysm.name, nodes=nodes,
                                               edges=edges, devices=devices)}
