"""The devices a system can claim: read from a flattened device tree (.dtb) or from a
JSON device list (what `python3 -m codegen platform x.dtb` prints). Each device has a
node path, compatible strings, MMIO regions and interrupt numbers. A platform of the
repository keeps its list as platforms/<name>/devices.json, beside the rest of its
description (machine.json, the cross file, the kernel linker script)."""
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
    if len(data) % 4:
        raise PlatformError(f"a property of {len(data)} bytes is not a whole number of cells")
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
        raise PlatformError("not a flattened device tree (bad magic)")

    def string(off):
        end = blob.index(b"\0", off_strings + off)
        return blob[off_strings + off:end].decode()

    devices, memory = [], []
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
            if parent is not None and props.get("device_type") == b"memory\0" and "reg" in props:
                memory.extend(_regs(parent[1], props["reg"]))
            elif parent is not None and "reg" in props and "compatible" in props \
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
            raise PlatformError(f"bad device tree token {tag:#x} at offset {p - 4}")
    devices.sort(key=lambda d: d.path)
    return DeviceList(devices, memory)


class DeviceList(list):
    """The devices, sorted by path, and the platform's RAM ranges [(base, size)] when the
    platform file gives them (a .dtb's memory nodes, a JSON file's "memory" list)."""

    def __init__(self, devices, memory=()):
        super().__init__(devices)
        self.memory = list(memory)


class PlatformError(ValueError):
    """A platform file that is not a device tree or device list of the expected shape."""


def _addr(v, where):
    if isinstance(v, bool) or not isinstance(v, (str, int)):
        raise PlatformError(f"{where} is not a number or a string like \"0x10000000\"")
    if isinstance(v, str):
        try:
            v = int(v, 0)
        except ValueError:
            raise PlatformError(f"{where} '{v[:40]}' is not a number") from None
    if not 0 <= v < 1 << 64:
        raise PlatformError(f"{where} {v} is outside 0..2^64-1")
    return v


def _json_devices(doc):
    if not isinstance(doc, dict) or not isinstance(doc.get("devices"), list):
        raise PlatformError('expected an object with a "devices" list')
    out = []
    for k, d in enumerate(doc["devices"]):
        where = f"devices[{k}]"
        if not isinstance(d, dict):
            raise PlatformError(f"{where} is not an object")
        path, compat = d.get("path"), d.get("compatible")
        if not isinstance(path, str) or not path.startswith("/"):
            raise PlatformError(f'{where}.path is not a node path like "/soc/uart@10000000"')
        if not isinstance(compat, list) or not all(isinstance(c, str) for c in compat):
            raise PlatformError(f"{where}.compatible is not a list of strings")
        reg = d.get("reg")
        if not isinstance(reg, list) or not all(isinstance(r, list) and len(r) == 2 for r in reg):
            raise PlatformError(f"{where}.reg is not a list of [address, size] pairs")
        regs = [(_addr(a, f"{where}.reg[{i}] address"), _addr(z, f"{where}.reg[{i}] size"))
                for i, (a, z) in enumerate(reg)]
        irqs = d.get("interrupts", [])
        if not isinstance(irqs, list) or not all(isinstance(q, int) and not isinstance(q, bool)
                                                 and 0 <= q < 1 << 32 for q in irqs):
            raise PlatformError(f"{where}.interrupts is not a list of numbers 0..2^32-1")
        out.append(Device(path, list(compat), regs, list(irqs)))
    return sorted(out, key=lambda d: d.path)


def _regs(parent_props, reg):
    """(address, size) pairs of a 'reg' property, in the parent's cell sizes."""
    ac = _cells(parent_props.get("#address-cells", b"\0\0\0\2"), 1)[0]
    sc = _cells(parent_props.get("#size-cells", b"\0\0\0\1"), 1)[0]
    raw = _cells(reg, 1)
    out = []
    if ac + sc == 0 or ac > 4 or sc > 4:
        return out
    for i in range(0, len(raw) - ac - sc + 1, ac + sc):
        a = 0
        for c in raw[i:i + ac]:
            a = (a << 32) | c
        z = 0
        for c in raw[i + ac:i + ac + sc]:
            z = (z << 32) | c
        out.append((a, z))
    return out


def load_platform(path):
    """The devices of a .dtb or JSON platform file; PlatformError (or OSError) says why not."""
    with open(path, "rb") as f:
        blob = f.read()
    if blob[:4] == struct.pack(">I", FDT_MAGIC):
        try:
            return read_dtb(blob)
        except (struct.error, IndexError, ValueError, UnicodeDecodeError, KeyError) as e:
            if isinstance(e, PlatformError):
                raise
            raise PlatformError(f"truncated or malformed device tree ({e})") from None
    try:
        doc = json.loads(blob.decode("utf-8"))
    except UnicodeDecodeError as e:
        raise PlatformError(f"not UTF-8 JSON (byte 0x{blob[e.start]:02x} at offset {e.start})") from None
    except (ValueError, RecursionError) as e:
        raise PlatformError(f"neither a device tree blob nor valid JSON ({str(e)[:120]})") from None
    devices = _json_devices(doc)
    mem = doc.get("memory", [])
    if not isinstance(mem, list) or not all(isinstance(r, list) and len(r) == 2 for r in mem):
        raise PlatformError('"memory" is not a list of [base, size] pairs')
    return DeviceList(devices, [(_addr(a, f"memory[{i}] base"), _addr(z, f"memory[{i}] size"))
                                for i, (a, z) in enumerate(mem)])


def dump_json(devices, description):
    doc = {"description": description}
    if getattr(devices, "memory", None):
        doc["memory"] = [[hex(a), hex(z)] for a, z in devices.memory]
    doc["devices"] = [d.to_json() for d in devices]
    return json.dumps(doc, indent=2) + "\n"
