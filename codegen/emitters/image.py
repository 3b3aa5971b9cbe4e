"""The system image manifest: the binary the kernel's boot loader reads (format in
kernel/include/anvaya/manifest.h and docs/system-image-manifest.md). Constants come from
that header; the struct layouts below mirror it and the C round-trip test holds them equal."""
import struct
import zlib

# Wire layouts, little-endian, in manifest.h field order.
PROCESS = struct.Struct("<12I2Q")
OBJECT = struct.Struct("<4IQ2IQ")
SLOT = struct.Struct("<4IQ")
MAPPING = struct.Struct("<2IQ4I")
THREAD = struct.Struct("<8I3Q")
IMAGE = struct.Struct("<2I4Q")
TABLE = struct.Struct("<4I")
HEADER = struct.Struct("<I2H6I")
CRC_OFFSET = 16


class Strings:
    """Deduplicated NUL-terminated names; offset 0 is the empty string."""

    def __init__(self):
        self.blob = bytearray(b"\0")
        self.index = {"": 0}

    def add(self, s):
        if s not in self.index:
            self.index[s] = len(self.blob)
            self.blob += s.encode("utf-8") + b"\0"
        return self.index[s]


def records(sysm):
    """The manifest as lists of field tuples (also what `dump` prints)."""
    abi = sysm.abi
    none = abi.manifest("NONE")
    strings = Strings()
    objects = []
    for o in sysm.objects:
        # size: pages of a frame or pool (the loader sizes the pool from it), slots of a CSpace.
        objects.append((o.type, o.flags, strings.add(o.name),
                        o.pages if o.type in (abi.OBJ_FRAME, abi.OBJ_CSPACE, abi.OBJ_POOL) else 0,
                        o.paddr, o.irq, o.ntfn.index if o.ntfn is not None else none,
                        o.badge))
    procs, slots, maps, threads, images = [], [], [], [], []
    page = abi.PAGE_SIZE
    # The supervisor comes first, so the loader creates and starts it before anything else;
    # its services are created held (stopped) and wait for it to start them.
    sup = getattr(sysm, "supervisor", None)
    ordered = [sup] + [i for i in sysm.instances if i is not sup] if sup else sysm.instances
    for pi, inst in enumerate(ordered):
        images.append((strings.add(inst.name), 0, abi.USER_IMAGE_BASE, 0, 0, 0))
        first_slot, first_map, first_thread = len(slots), len(maps), len(threads)
        for s in sorted(inst.slots, key=lambda s: s.index):
            slots.append((pi, s.index, s.obj.index, s.rights, s.badge))
        for m in inst.mappings:
            maps.append((pi, m.obj.index, m.vaddr, m.pages, m.rights, m.flags, 0))
        flags = abi.manifest("THREAD_F_PASSIVE") if inst.passive else 0
        if getattr(inst, "held", False):
            flags |= abi.manifest("THREAD_F_HELD")
        # In thread index order: the loader hands thread i of a process its index i, and
        # every thread starts at the ELF entry (entry 0) with its own stack and IPC buffer.
        for t in inst.threads:
            threads.append((pi, t.thread_obj.index, t.ipcbuf_obj.index, inst.attrs["priority"],
                            0 if inst.passive else inst.attrs["budget"], inst.attrs["period"],
                            flags, 0, 0, t.stack_top, t.ipcbuf_vaddr))
        heap = inst.heap_pages * page
        procs.append((strings.add(inst.name), pi, inst.cspace_obj.index, inst.vspace_obj.index,
                      inst.attrs["cspace"], first_slot, len(slots) - first_slot, first_map,
                      len(maps) - first_map, first_thread, len(threads) - first_thread, 0,
                      abi.USER_HEAP_BASE if heap else 0, heap))
    return {"process": procs, "object": objects, "slot": slots, "mapping": maps,
            "thread": threads, "image": images, "strings": bytes(strings.blob)}


def encode(sysm):
    abi = sysm.abi
    r = records(sysm)
    order = [("process", PROCESS), ("object", OBJECT), ("slot", SLOT), ("mapping", MAPPING),
             ("thread", THREAD), ("image", IMAGE)]
    header_size = HEADER.size + TABLE.size * abi.manifest("T_COUNT")
    body = bytearray()
    tables = []
    for name, st in order:
        tables.append((header_size + len(body), len(r[name]), st.size, 0))
        for rec in r[name]:
            body += st.pack(*rec)
    tables.append((header_size + len(body), len(r["strings"]), 1, 0))
    body += r["strings"]
    body += b"\0" * (-len(body) % 8)
    total = header_size + len(body)
    head = HEADER.pack(abi.manifest("MAGIC"), abi.manifest("VERSION_MAJOR"),
                       abi.manifest("VERSION_MINOR"), header_size, total, 0,
                       abi.ABI_VERSION_MAJOR << 16 | abi.ABI_VERSION_MINOR, 0,
                       abi.manifest("T_COUNT"))
    blob = bytearray(head + b"".join(TABLE.pack(*t) for t in tables) + body)
    struct.pack_into("<I", blob, CRC_OFFSET, zlib.crc32(blob) & 0xFFFFFFFF)
    return bytes(blob)


FIELDS = {
    "process": "name image cspace_object vspace_object cspace_slots first_slot slot_count "
               "first_mapping mapping_count first_thread thread_count flags heap_base heap_size",
    "object": "type flags name size paddr irq notification badge",
    "slot": "process slot object rights badge",
    "mapping": "process object vaddr pages rights flags reserved",
    "thread": "process thread_object ipcbuf_object priority budget_us period_us flags reserved "
              "entry stack_top ipcbuf_vaddr",
    "image": "name flags load_base offset size entry",
}


def dump(sysm):
    """Every field of every entry as text; the C decoder test prints the same format."""
    r = records(sysm)
    lines = []
    for table in ("process", "object", "slot", "mapping", "thread", "image"):
        names = FIELDS[table].split()
        for i, rec in enumerate(r[table]):
            lines.append(f"{table} {i}: " + " ".join(f"{n}={v:#x}" for n, v in zip(names, rec)))
    strings = r["strings"]
    for off in sorted({rec[FIELDS[t].split().index('name')] for t in ("process", "object", "image")
                       for rec in r[t]}):
        end = strings.index(b"\0", off)
        lines.append(f"string {off:#x}: {strings[off:end].decode()}")
    return "\n".join(lines) + "\n"


def emit(sysm):
    n = sysm.name.lower()
    return {f"{n}.manifest.bin": encode(sysm)}
