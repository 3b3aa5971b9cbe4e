"""The CSpace manifest for review: one Markdown file per instance and one JSON file for
the whole system, listing every capability (slot, object, type, rights, badge, peer)
and every mapping. Both are stable so `diff` shows exactly the authority that changed."""
import json

from ..model import rights_str
from . import render

FORMAT = "anvaya-cspace/1"


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
        "slots": [{"slot": s.index, "name": s.name, "object": s.obj.name,
                   "type": s.obj.type_name, "rights": rights_str(s.rights),
                   "badge": f"0x{s.badge:x}", "peer": s.peer} for s in inst.slots],
        "mappings": [{"vaddr": f"0x{m.vaddr:x}", "pages": m.pages, "rights": rights_str(m.rights),
                      "object": m.obj.name, "name": m.name,
                      "memory": "device" if m.flags else "normal"} for m in inst.mappings],
    }


def system_record(sysm):
    return {"format": FORMAT, "system": sysm.name,
            "abi_version": f"{sysm.abi.ABI_VERSION_MAJOR}.{sysm.abi.ABI_VERSION_MINOR}",
            "instances": [instance_record(sysm, i) for i in sysm.instances]}


def to_json(record):
    return json.dumps(record, indent=2, sort_keys=False) + "\n"


def instance_markdown(sysm, inst):
    return render("cspace.md.j2", system=sysm.name, i=instance_record(sysm, inst))


def emit(sysm):
    out = {f"{sysm.name.lower()}.cspace.json": to_json(system_record(sysm))}
    for inst in sysm.instances:
        out[f"{inst.name}.cspace.md"] = instance_markdown(sysm, inst)
    return out
