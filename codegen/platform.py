"""The devices a system can claim: read from a flattened device tree (.dtb) or from a
JSON device list (what `python3 -m codegen platform x.dtb` prints). Each device has a
node path, compatible strings, MMIO regions and interrupt numbers."""
import json
import struct

FDT_MAGIC = 0xD00DFEED
FDT_BEGIN_NODE, FDT_END_NODE, FDT_PROP, FDT_NOP, FDT_END = 1, 2, 3, 4, 9


class Device:
    def __init__(self, path, compatible, regs, irqs):
        self.path, self.compatible, self.regs, self.irqs = path, compatible, regs, irqs

    def to_json(self):
        return {"path": self.path, "compatible": self.compatible,
                "reg": [[hex(a), hex(s)] for a, s in self.regs], "interrupts": self.irqs}


def _cells(data, n):
    vals = struct.unpack(f">{len(data) // 4}I", data)
    out = []
    for i in range(0, len(vals) - n + 1, n):
        v = 0
        for c in vals[i:i + n]:
            v = (v << 32) | c
        out.append(v)
    return out


def read_dtb(blob):
    """Walk the structure block; a node becomes a Device when it has 'reg' and a
    'compatible' and sits under a bus (so memory and CPUs are left out)."""
    magic, _total, off_struct, off_strings = struct.unpack_from(">4I", blob, 0)
    if magic != FDT_MAGIC:
        raise ValueError("not a flattened device tree (bad magic)")

    def string(off):
        end = blob.index(b"\0", off_strings + off)
        return blob[off_strings + off:end].decode()

    devices = []
    stack = []  # (path, props, address_cells, size_cells) of open nodes
    p = off_struct
    while True:
        (tag,) = struct.unpack_from(">I", blob, p)
        p += 4
        if tag == FDT_BEGIN_NODE:
            end = blob.index(b"\0", p)
            name = blob[p:end].decode()
            p = (end + 4) & ~3
            parent = stack[-1] if stack else None
            path = "/" if parent is None else (parent[0].rstrip("/") + "/" + name)
            stack.append([path, {}, parent])
        elif tag == FDT_PROP:
            ln, nameoff = struct.unpack_from(">II", blob, p)
            p += 8
            stack[-1][1][string(nameoff)] = blob[p:p + ln]
            p = (p + ln + 3) & ~3
        elif tag == FDT_END_NODE:
            path, props, parent = stack.pop()
            if parent is not None and "reg" in props and "compatible" in props \
                    and parent[2] is not None:
                pp = parent[1]
                ac = _cells(pp.get("#address-cells", b"\0\0\0\2"), 1)[0]
                sc = _cells(pp.get("#size-cells", b"\0\0\0\1"), 1)[0]
                if sc > 0:
                    raw = _cells(props["reg"], 1)
                    regs = []
                    for i in range(0, len(raw) - ac - sc + 1, ac + sc):
                        a = 0
                        for c in raw[i:i + ac]:
                            a = (a << 32) | c
                        s = 0
                        for c in raw[i + ac:i + ac + sc]:
                            s = (s << 32) | c
                        regs.append((a, s))
                    compat = [c for c in props["compatible"].decode().split("\0") if c]
                    irqs = _cells(props.get("interrupts", b""), 1)
                    devices.append(Device(path, compat, regs, irqs))
            if not stack:
                break
        elif tag == FDT_NOP:
            continue
        elif tag == FDT_END:
            break
        else:
            raise ValueError(f"bad device tree token {tag:#x}")
    devices.sort(key=lambda d: d.path)
    return devices


def load_platform(path):
    with open(path, "rb") as f:
        blob = f.read()
    if blob[:4] == struct.pack(">I", FDT_MAGIC):
        return read_dtb(blob)
    doc = json.loads(blob.decode("utf-8"))
    return sorted((Device(d["path"], list(d["compatible"]),
                          [(int(a, 0), int(s, 0)) for a, s in d["reg"]],
                          list(d.get("interrupts", [])))
                   for d in doc["devices"]), key=lambda d: d.path)


def dump_json(devices, description):
    return json.dumps({"description": description,
                       "devices": [d.to_json() for d in devices]}, indent=2) + "\n"
