#!/usr/bin/env python3
"""System images the kernel must refuse before any process exists, each with a message
naming the problem and a failing exit (3):
  1. a manifest with one corrupted byte (its CRC no longer matches);
  2. a well-formed manifest whose device frame names RAM (a platform file that claims a
     UART inside memory), which would hand a process the kernel's own pages."""
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tools"))
from qemu_harness import run_scenario  # noqa: E402

PY = "/usr/bin/python3"


def pack(tmp, kernel_elf, kernel_bin, manifest, elf, out):
    subprocess.run([PY, os.path.join(ROOT, "tools", "mkimage.py"), "--kernel-elf", kernel_elf,
                    "--kernel-bin", kernel_bin, "--manifest", manifest, "--output", out,
                    "kecho=" + elf], check=True)


def corrupt_manifest(image, kernel_elf):
    """Flip one byte inside the manifest (past its header, so the magic still reads)."""
    nm = subprocess.run(["riscv64-unknown-elf-nm", kernel_elf], check=True, capture_output=True,
                        text=True).stdout
    syms = {p[2]: int(p[0], 16) for p in (l.split() for l in nm.splitlines()) if len(p) == 3}
    boot_header = syms["__kernel_end"] - syms["__kernel_start"]
    with open(image, "r+b") as f:
        f.seek(boot_header + 16)
        manifest_offset = int.from_bytes(f.read(8), "little")
        at = boot_header + manifest_offset + 200
        f.seek(at)
        b = f.read(1)
        f.seek(at)
        f.write(bytes([b[0] ^ 0x40]))


def ram_device_system(tmp):
    """The kirq system on a platform whose only UART sits in RAM."""
    with open(os.path.join(ROOT, "idl", "platforms", "qemu-virt-rv64.json")) as f:
        platform = json.load(f)
    platform["devices"].append({"path": "/soc/serial@80200000", "compatible": ["ns16550a"],
                                "reg": [["0x80200000", "0x1000"]], "interrupts": [10]})
    with open(os.path.join(tmp, "platform.json"), "w") as f:
        json.dump(platform, f)
    idl = os.path.relpath(os.path.join(ROOT, "idl", "components", "kecho.idl"), tmp)
    with open(os.path.join(tmp, "evil.system"), "w") as f:
        f.write('import "%s";\nsystem Evil {\n    platform "platform.json";\n'
                '    instance kecho : KEcho { device uart = "/soc/serial@80200000"; }\n}\n' % idl)
    subprocess.run([PY, os.path.join(ROOT, "tools", "anvaya-gen"), "generate",
                    os.path.join(tmp, "evil.system"), "-o", tmp, "--only", "image"], check=True,
                   stdout=subprocess.DEVNULL)
    return os.path.join(tmp, "evil.manifest.bin")


def scenario(args):
    kernel_elf, kernel_bin, manifest, elf = args.extra
    with tempfile.TemporaryDirectory() as tmp:
        bad_crc = os.path.join(tmp, "bad-crc.img")
        pack(tmp, kernel_elf, kernel_bin, manifest, elf, bad_crc)
        corrupt_manifest(bad_crc, kernel_elf)
        args.image = bad_crc
        s = args.session()
        s.start()
        s.expect(r"PANIC: manifest: manifest checksum mismatch", what="checksum refused")
        s.absent(r"loader:", "nothing loaded from a corrupted manifest")
        s.expect_exit(3)

        ram = os.path.join(tmp, "ram-device.img")
        pack(tmp, kernel_elf, kernel_bin, ram_device_system(tmp), elf, ram)
        args.image = ram
        s = args.session()
        s.start()
        s.expect(r"PANIC: loader: device frame at 0x80200000 overlaps RAM",
                 what="device frame in RAM refused")
        s.absent(r"kecho: ready", "the driver never ran")
        s.expect_exit(3)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(run_scenario(scenario))
