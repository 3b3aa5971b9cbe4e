"""Compare two CSpace manifests (JSON) and say which authority was added or removed.
Capabilities are matched by (instance, slot name) so a renumbering alone shows as a move,
not as a loss and a gain."""
import json


def _caps(doc):
    out = {}
    for inst in doc["instances"]:
        for s in inst["slots"]:
            out[(inst["name"], s["name"])] = s
    return out


def _maps(doc):
    return {(i["name"], m["name"]): m for i in doc["instances"] for m in i["mappings"]}


def _desc(s):
    peer = f" -> {s['peer']}" if s.get("peer") else ""
    return f"{s['object']} ({s['type']}, {s['rights']}, badge {s['badge']}){peer}"


def diff(old, new):
    """Lines describing every difference; empty when the authority is identical."""
    lines = []
    oi = {i["name"]: i for i in old["instances"]}
    ni = {i["name"]: i for i in new["instances"]}
    for n in sorted(set(ni) - set(oi)):
        lines.append(f"+ instance {n} ({ni[n]['component']})")
    for n in sorted(set(oi) - set(ni)):
        lines.append(f"- instance {n} ({oi[n]['component']})")
    for n in sorted(set(oi) & set(ni)):
        for k in ("mode", "threads", "priority", "budget_us", "period_us", "cspace_slots", "stack_bytes",
                  "heap_bytes", "pool_pages"):
            # pool_pages and threads are newer than the format: a manifest without them has
            # no pool and one thread.
            dv = {"pool_pages": 0, "threads": 1}.get(k)
            if oi[n].get(k, dv) != ni[n].get(k, dv):
                lines.append(f"~ {n}: {k} {oi[n].get(k, dv)} -> {ni[n].get(k, dv)}")
    oc, nc = _caps(old), _caps(new)
    for key in sorted(set(nc) | set(oc)):
        inst, name = key
        a, b = oc.get(key), nc.get(key)
        if a is None:
            lines.append(f"+ {inst}: slot {b['slot']} {name}: {_desc(b)}")
        elif b is None:
            lines.append(f"- {inst}: slot {a['slot']} {name}: {_desc(a)}")
        else:
            for k in ("object", "type", "rights", "badge", "peer"):
                if a[k] != b[k]:
                    lines.append(f"~ {inst}: {name}: {k} {a[k] or '-'} -> {b[k] or '-'}")
            if a["slot"] != b["slot"]:
                lines.append(f"~ {inst}: {name}: moved from slot {a['slot']} to {b['slot']}")
    om, nm = _maps(old), _maps(new)
    for key in sorted(set(nm) | set(om)):
        a, b = om.get(key), nm.get(key)
        if a is None:
            lines.append(f"+ {key[0]}: map {b['object']} at {b['vaddr']} ({b['pages']} pages, {b['rights']})")
        elif b is None:
            lines.append(f"- {key[0]}: map {a['object']} at {a['vaddr']} ({a['pages']} pages, {a['rights']})")
        elif a != b:
            for k in sorted(set(a) | set(b)):
                if a.get(k) != b.get(k):
                    lines.append(f"~ {key[0]}: map {key[1]}: {k} {a.get(k)} -> {b.get(k)}")
    return lines


def _read(path):
    with open(path, "rb") as f:
        blob = f.read()
    try:
        doc = json.loads(blob.decode("utf-8"))
    except (ValueError, RecursionError) as e:
        raise SystemExit(f"error: {path} is not a CSpace manifest (not JSON: {str(e)[:120]})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("instances"), list):
        raise SystemExit(f'error: {path} is not a CSpace manifest (no "instances" list)')
    return doc


def diff_files(old_path, new_path):
    old, new = _read(old_path), _read(new_path)
    try:
        return diff(old, new)
    except (KeyError, TypeError, AttributeError) as e:
        raise SystemExit(f"error: {old_path} or {new_path} is not a CSpace manifest of this "
                         f"generator's format (field {e} missing or of the wrong type)") from None
