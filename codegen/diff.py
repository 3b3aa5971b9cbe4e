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


def _text(v):
    """A grant or configuration value as the IDL writes it."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, list):
        return "[" + ", ".join(_text(x) for x in v) + "]"
    return str(v)


def _desc(s):
    peer = f" -> {s['peer']}" if s.get("peer") else ""
    return f"{s['object']} ({s['type']}, {s['rights']}, badge {s['badge']}){peer}{_granted(s)}"


def _values(lines, where, what, a, b):
    """Grants (or configuration) added, removed or changed: `what` names the kind."""
    a = a if isinstance(a, dict) else {}
    b = b if isinstance(b, dict) else {}
    for k in list(b) + [k for k in a if k not in b]:
        if k not in a:
            lines.append(f"+ {where}: {what} {k} = {_text(b[k])}")
        elif k not in b:
            lines.append(f"- {where}: {what} {k} = {_text(a[k])}")
        elif a[k] != b[k] or type(a[k]) is not type(b[k]):
            lines.append(f"~ {where}: {what} {k} {_text(a[k])} -> {_text(b[k])}")


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
        _supervision(lines, n, oi[n].get("supervision"), ni[n].get("supervision"))
        _trust(lines, n, oi[n].get("trusted_with_physical_memory"), ni[n].get("trusted_with_physical_memory"))
        _regions(lines, n, oi[n].get("regions"), ni[n].get("regions"))
        _values(lines, n, "config", oi[n].get("config"), ni[n].get("config"))
    for n in sorted(set(ni) - set(oi)):
        # A new instance's supervision, trust and regions are authority it brings along.
        _supervision(lines, n, None, ni[n].get("supervision"))
        _trust(lines, n, None, ni[n].get("trusted_with_physical_memory"))
        _regions(lines, n, None, ni[n].get("regions"))
    for n in sorted(set(oi) - set(ni)):
        _supervision(lines, n, oi[n].get("supervision"), None)
        _trust(lines, n, oi[n].get("trusted_with_physical_memory"), None)
        _regions(lines, n, oi[n].get("regions"), None)
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
            # A grant is authority the server gives this capability's holder.
            _values(lines, f"{inst}: {name}", "grant", a.get("grants"), b.get("grants"))
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


def _by(items, key):
    return {x[key]: x for x in items or [] if isinstance(x, dict) and key in x}


def _supervision(lines, n, a, b):
    """Supervision is authority too: who may resolve which service with what rights and
    badge, who may stop and restart whom, how often a service restarts and after what."""
    a, b = a or {}, b or {}
    if a.get("supervisor") != b.get("supervisor"):
        lines.append(f"~ {n}: supervised by {a.get('supervisor') or '-'} -> {b.get('supervisor') or '-'}")
    for k in ("restarts", "restart_policy"):
        if a.get(k) != b.get(k):
            lines.append(f"~ {n}: {k} {a.get(k, '-')} -> {b.get(k, '-')}")
    ar, br = _by(a.get("resolves"), "port"), _by(b.get("resolves"), "port")
    for port in sorted(set(ar) | set(br)):
        x, y = ar.get(port), br.get(port)
        if x is None:
            lines.append(f"+ {n}: may resolve {y['name']} through port {port} ({y['rights']}, badge {y['badge']})"
                         + _granted(y))
        elif y is None:
            lines.append(f"- {n}: may resolve {x['name']} through port {port} ({x['rights']}, badge {x['badge']})"
                         + _granted(x))
        else:
            for k in ("name", "rights", "badge"):
                if x.get(k) != y.get(k):
                    lines.append(f"~ {n}: resolve {port}: {k} {x.get(k)} -> {y.get(k)}")
            _values(lines, f"{n}: resolve {port}", "grant", x.get("grants"), y.get("grants"))
    am, bm = set(a.get("manages") or []), set(b.get("manages") or [])
    for m in sorted(bm - am):
        lines.append(f"+ {n}: may stop and restart {m} (manage)")
    for m in sorted(am - bm):
        lines.append(f"- {n}: may stop and restart {m} (manage)")
    asv, bsv = _by(a.get("services"), "name"), _by(b.get("services"), "name")
    for svc in sorted(set(asv) | set(bsv)):
        x, y = asv.get(svc), bsv.get(svc)
        if x is None:
            lines.append(f"+ {n}: supervises service {svc} (start {y.get('start')}, "
                         f"{y.get('restarts')} restarts, {y.get('restart_policy')})")
        elif y is None:
            lines.append(f"- {n}: supervises service {svc}")
        else:
            for k in ("start", "restarts", "restart_policy"):
                if x.get(k) != y.get(k):
                    lines.append(f"~ {n}: service {svc}: {k} {x.get(k)} -> {y.get(k)}")


def _granted(r):
    g = r.get("grants")
    return ("; granted " + ", ".join(f"{k} = {_text(v)}" for k, v in g.items())) \
        if isinstance(g, dict) and g else ""


def _trust(lines, n, a, b):
    """DMA trust: without an IOMMU a driver with DMA buffers reaches all physical memory."""
    a, b = a or {}, b or {}
    if bool(a) != bool(b):
        lines.append(f"{'+' if b else '-'} {n}: trusted with all physical memory (DMA)")
    ab, bb = _by(a.get("buffers"), "name"), _by(b.get("buffers"), "name")
    for k in sorted(set(ab) | set(bb)):
        x, y = ab.get(k), bb.get(k)
        if x is None:
            lines.append(f"+ {n}: DMA buffer {k} ({y.get('pages')} pages)")
        elif y is None:
            lines.append(f"- {n}: DMA buffer {k} ({x.get('pages')} pages)")
        elif x.get("pages") != y.get("pages"):
            lines.append(f"~ {n}: DMA buffer {k}: pages {x.get('pages')} -> {y.get('pages')}")
    ad, bd = set(a.get("devices") or []), set(b.get("devices") or [])
    for d in sorted(bd - ad):
        lines.append(f"+ {n}: DMA-capable device {d}")
    for d in sorted(ad - bd):
        lines.append(f"- {n}: DMA-capable device {d}")


def _regions(lines, n, a, b):
    ar, br = _by(a, "name"), _by(b, "name")
    for k in sorted(set(ar) | set(br)):
        x, y = ar.get(k), br.get(k)
        if x is None:
            lines.append(f"+ {n}: region {k} at {y.get('vaddr')} ({y.get('bytes')} bytes)")
        elif y is None:
            lines.append(f"- {n}: region {k} at {x.get('vaddr')} ({x.get('bytes')} bytes)")
        elif x != y:
            for f in ("vaddr", "bytes"):
                if x.get(f) != y.get(f):
                    lines.append(f"~ {n}: region {k}: {f} {x.get(f)} -> {y.get(f)}")


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
