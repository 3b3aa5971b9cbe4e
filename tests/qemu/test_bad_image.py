#!/usr/bin/env python3
"""System images the kernel must refuse before any process exists: each boots the kirq
system (one user-mode UART driver) with one thing wrong, and must stop with exactly the
message naming the record and the field, a failing exit (3), no loader line and no
driver output. The corruptions are made by tests/qemu/corrupt_image.py on the packed
image; the CRC-32 is recomputed wherever the test means to get past the checksum.

Decoder (kernel/boot/manifest.c): bad checksum, wrong major version, a system built for
another ABI major or a newer ABI minor, a table past the end, a
count over its limit, a slot naming no object, a thread priority out of range.
Pre-flight (kernel/boot/loader_check.c): rights wider than the object allows (a console slot,
an executable device mapping), two overlapping mappings, a mapping over an ELF segment,
a device frame on the interrupt controller, not enough memory, a missing ELF, a corrupt
ELF; and, end to end from a platform file, a device frame in RAM."""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tools"))
sys.path.insert(0, HERE)
from qemu_harness import run_scenario  # noqa: E402
from corrupt_image import BootImage  # noqa: E402

PY = "/usr/bin/python3"
HEX = r"0x[0-9a-f]+"


def pack(kernel_elf, kernel_bin, manifest, elf, out):
    subprocess.run([PY, os.path.join(ROOT, "tools", "mkimage.py"), "--kernel-elf", kernel_elf,
                    "--kernel-bin", kernel_bin, "--manifest", manifest, "--output", out,
                    "kecho=" + elf], check=True)


def ram_device_system(tmp):
    """The kirq system on a platform whose only UART sits in RAM."""
    with open(os.path.join(ROOT, "platforms", "qemu-virt-rv64", "devices.json")) as f:
        platform = json.load(f)
    platform["devices"].append({"path": "/soc/serial@80200000", "compatible": ["ns16550a"],
                                "reg": [["0x80200000", "0x1000"]], "interrupts": [10]})
    with open(os.path.join(tmp, "platform.json"), "w") as f:
        json.dump(platform, f)
    idl = os.path.relpath(os.path.join(ROOT, "idl", "components", "kecho.idl"), tmp)
    with open(os.path.join(tmp, "evil.system"), "w") as f:
        f.write('import "%s";\nsystem Evil {\n    platform "platform.json";\n'
                '    instance kecho : KEcho { device uart = "/soc/serial@80200000"; }\n}\n' % idl)
    # The platform lists its RAM, so the generator refuses the claim first, at its line.
    r = subprocess.run([PY, os.path.join(ROOT, "tools", "anvaya-gen"), "check",
                        os.path.join(tmp, "evil.system")], capture_output=True, text=True)
    if r.returncode != 1 or "overlaps RAM [0x80000000, 0x90000000)" not in r.stderr:
        raise SystemExit(f"FAIL the generator accepted a device in RAM: {r.stderr}")
    print("ok   the generator refuses a device frame in RAM")
    # Without the RAM list (a platform file that does not give it) only the kernel can
    # tell: its pre-flight must still refuse the image at boot.
    del platform["memory"]
    with open(os.path.join(tmp, "platform.json"), "w") as f:
        json.dump(platform, f)
    subprocess.run([PY, os.path.join(ROOT, "tools", "anvaya-gen"), "generate",
                    os.path.join(tmp, "evil.system"), "-o", tmp, "--only", "image"], check=True,
                   stdout=subprocess.DEVNULL)
    return os.path.join(tmp, "evil.manifest.bin")


def find(img, kind, **want):
    """Index of the first record of `kind` whose fields have the given values."""
    t = {"object": 1, "slot": 2, "mapping": 3}[kind]
    for i in range(img.table(t)[1]):
        if all(img.get(kind, i, k) == v for k, v in want.items()):
            return i
    raise LookupError(f"no {kind} with {want} in the kirq manifest")


def cases(good, kernel_elf):
    """(name, edit(img) -> expected message regex, seal) for every in-place corruption.
    Indices come from the manifest itself, so a regenerated kirq system keeps working."""
    img = BootImage(good, kernel_elf)
    total = img.get("header", 0, "total_size")
    nobj = img.table(1)[1]
    nmap = img.table(3)[1]
    console = find(img, "object", type=11)
    console_slot = find(img, "slot", object=console)
    events = find(img, "object", type=4)
    events_slot = find(img, "slot", object=events)
    device = find(img, "object", flags=1)
    device_map = find(img, "mapping", object=device)
    device_name = re.escape(img.string(img.get("object", device, "name")))
    stack_map = find(img, "mapping", pages=4)
    stack = img.get("mapping", stack_map, "object")
    stack_va = img.get("mapping", stack_map, "vaddr")
    load_base = img.get("image", 0, "load_base")
    K = r'\(process "kecho"'

    def flip_byte(i):
        at = i.manifest + 200
        i.data[at] ^= 0x40
        return rf"header: crc32 {HEX} does not match the contents \({HEX}\)"

    def version(i):
        i.set("header", 0, "version_major", 2)
        return r"header: version_major 2, this kernel reads 1"

    # The generator writes the ABI it shares with the kernel (both read abi.h).
    abi = img.get("header", 0, "abi_version")
    kernel_abi = rf"this kernel implements ABI {abi >> 16}\.{abi & 0xFFFF}"

    def abi_major(i):
        bad = ((abi >> 16) + 1) << 16
        i.set("header", 0, "abi_version", bad)
        return rf"header: abi_version 0x{bad:x} \({bad >> 16}\.0\), {kernel_abi}"

    def abi_minor(i):
        bad = abi + 1
        i.set("header", 0, "abi_version", bad)
        return (rf"header: abi_version 0x{bad:x} \({bad >> 16}\.{bad & 0xFFFF}\), "
                rf"{kernel_abi}")

    def table_offset(i):
        i.set("table", 3, "offset", total)
        return (rf"table 3 \(mappings\): offset 0x{total:x} \+ {nmap} entries of 32 bytes ends "
                rf"past total_size 0x{total:x}")

    def count(i):
        i.set("table", 2, "count", 262145)
        return r"table 2 \(slots\): count 262145 over the limit 262144"

    def undefined(i):
        i.set("slot", events_slot, "object", nobj)
        slot = i.get("slot", events_slot, "slot")
        return (rf'slot {events_slot} {K}, slot {slot}\): object {nobj}: no such object '
                rf'\({nobj} objects\)')

    def priority(i):
        i.set("thread", 0, "priority", 300)
        return rf"thread 0 {K}\): priority 300 out of range 0\.\.255"

    def console_rights(i):
        i.set("slot", console_slot, "rights", 3)
        slot = i.get("slot", console_slot, "slot")
        return (rf'slot {console_slot} {K}, slot {slot}\): rights 0x3 \(rw\) wider than a '
                r'console allows \(w\)')

    def device_exec(i):
        i.set("mapping", device_map, "rights", 5)
        return (rf'mapping {device_map} {K}\): rights 0x5 \(rx\) give x on object {device} '
                rf'\("{device_name}"\), a device frame, never executable')

    def overlap(i):
        va = stack_va + 2 * 4096
        i.set("mapping", device_map, "vaddr", va)
        return (rf"mapping {device_map} {K}\): vaddr \[0x{va:x}, 0x{va + 4096:x}\) overlaps "
                rf"mapping {stack_map} at \[0x{stack_va:x}, 0x{stack_va + 4 * 4096:x}\)")

    def over_elf(i):
        i.set("mapping", device_map, "vaddr", load_base)
        return (rf"mapping {device_map} {K}\): vaddr \[0x{load_base:x}, 0x{load_base + 4096:x}\) "
                rf"overlaps ELF segment 0 at \[0x{load_base:x}, {HEX}\)")

    def plic(i):
        i.set("object", device, "paddr", 0xC000000)
        return (rf'object {device} \("{device_name}"\): paddr \[0xc000000, 0xc001000\) overlaps '
                r'the interrupt controller \[0xc000000, 0xc600000\)')

    def memory(i):
        i.set("object", stack, "size", 1 << 20)
        return (rf'object {stack} \("kecho.stack"\): size 1048576 pages: the system needs '
                r'\d+ pages, \d+ free')

    def no_elf(i):
        i.set("image", 0, "size", 0)
        return r'image 0 \("kecho"\): size 0: no ELF packed into the boot image for process 0'

    def bad_elf(i):
        i.data[i.elf_offset(0) + 1] ^= 0xFF  # "ELF" no more; the manifest is untouched
        return (rf'image 0 \("kecho"\): ELF at offset {HEX} \({HEX} bytes\): not an ELF64 '
                r'little-endian file')

    return [("bad checksum", flip_byte, False), ("major version 2", version, True),
            ("ABI major 2", abi_major, True), ("ABI minor newer than the kernel's", abi_minor, True),
            ("table offset out of bounds", table_offset, True),
            ("count over its limit", count, True), ("slot naming no object", undefined, True),
            ("priority out of range", priority, True),
            ("console slot with read", console_rights, True),
            ("executable device mapping", device_exec, True),
            ("overlapping mappings", overlap, True), ("mapping over the ELF", over_elf, True),
            ("device frame on the PLIC", plic, True), ("not enough memory", memory, True),
            ("missing ELF", no_elf, True), ("corrupt ELF", bad_elf, False)]


def refused(args, image, expected, what):
    args.image = image
    s = args.session()
    s.start()
    s.expect(r"PANIC: manifest: " + expected + r"\n", what=what)
    s.expect_exit(3)
    s.absent(r"^manifest: checked", f"{what}: the pre-flight did not pass it")
    s.absent(r"^loader:", f"{what}: nothing loaded")
    s.absent(r"kecho: ready", f"{what}: the driver never ran")


def scenario(args):
    kernel_elf, kernel_bin, manifest, elf = args.extra
    good = args.image
    with tempfile.TemporaryDirectory() as tmp:
        for name, edit, seal in cases(good, kernel_elf):
            img = BootImage(good, kernel_elf)
            expected = edit(img)
            if seal:
                img.seal()
            path = os.path.join(tmp, re.sub(r"\W+", "-", name) + ".img")
            img.save(path)
            refused(args, path, expected, name)
            print(f"ok   {name}")

        ram = os.path.join(tmp, "ram-device.img")
        pack(kernel_elf, kernel_bin, ram_device_system(tmp), elf, ram)
        refused(args, ram, r'object \d+ \("mmio /soc/serial@80200000"\): paddr \[0x80200000, '
                r'0x80201000\) overlaps RAM \[0x80000000, 0x90000000\)', "device frame in RAM")
        print("ok   device frame in RAM")
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(run_scenario(scenario))
