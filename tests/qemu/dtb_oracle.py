"""What QEMU's own DTB (dumped at build time) says, read with libfdt, so QEMU scenarios
compare the kernel's printed inventory with an independent reader."""
import libfdt


def _cells(fdt, node, name, default):
    prop = fdt.getprop(node, name, quiet=(libfdt.NOTFOUND,))
    if isinstance(prop, int):
        return default
    return prop.as_uint32()


def _reg(fdt, node):
    parent = fdt.parent_offset(node)
    ac = _cells(fdt, parent, "#address-cells", 2)
    sc = _cells(fdt, parent, "#size-cells", 1)
    raw = bytes(fdt.getprop(node, "reg"))
    words = [int.from_bytes(raw[i:i + 4], "big") for i in range(0, len(raw), 4)]
    out = []
    step = ac + sc
    for i in range(0, len(words) - step + 1, step):
        base = 0
        for w in words[i:i + ac]:
            base = (base << 32) | w
        size = 0
        for w in words[i + ac:i + step]:
            size = (size << 32) | w
        out.append((base, size))
    return out


def read(path):
    with open(path, "rb") as f:
        fdt = libfdt.Fdt(f.read())
    info = {"memory": [], "virtio": []}
    node = fdt.path_offset("/memory@80000000")
    info["memory"] = _reg(fdt, node)
    cpus = fdt.path_offset("/cpus")
    info["timebase"] = fdt.getprop(cpus, "timebase-frequency").as_uint32()
    stdout = fdt.getprop(fdt.path_offset("/chosen"), "stdout-path").as_str().split(":")[0]
    info["uart_path"] = stdout
    info["uart_reg"] = _reg(fdt, fdt.path_offset(stdout))[0]
    off, depth = 0, 0
    names = [""]
    while True:
        nxt = fdt.next_node(off, depth, (libfdt.NOTFOUND,))
        if isinstance(nxt, int):
            break
        off, depth = nxt
        if depth < 1:  # back past the root: the walk is over
            break
        names = names[:depth] + [fdt.get_name(off)]
        compat = fdt.getprop(off, "compatible", (libfdt.NOTFOUND,))
        if isinstance(compat, int):
            continue
        if "virtio,mmio" in bytes(compat).split(b"\0")[0].decode():
            info["virtio"].append(("/".join(names), _reg(fdt, off)[0],
                                   fdt.getprop(off, "interrupts").as_uint32()))
    return info
