#!/usr/bin/env python3
"""The platform's QEMU machine description turned into a command line.

platforms/<name>/machine.json is the one definition of the machine; the run command,
the build-time DTB dump, the debugger command and the QEMU test harness all call
qemu_argv() so they boot exactly the same machine."""
import argparse
import json
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_PLATFORM = os.path.join(ROOT, "platforms", "qemu-virt-rv64", "machine.json")


def load_platform(path=DEFAULT_PLATFORM):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def device_argv(spec, index):
    """QEMU arguments for one virtio-mmio device, named the way tests and the run command
    name them: 'rng' (bytes from /dev/urandom) or 'rng:<file>' (the file's bytes, in order,
    so a test knows what the guest must receive); 'blk:<image>' or 'blk:<image>:ro';
    'net:user' (slirp) or
    'net:<netdev options>' (e.g. 'net:tap,ifname=t0,script=no,downscript=no'). A spec may
    end in '@N' (0..7): the device goes into virtio-mmio slot N, at 0x10001000 + N * 0x1000
    (`bus=virtio-mmio-bus.N`), which a driver pinned to that slot needs
    (idl/components/virtio_pinned.idl); without it QEMU fills the slots from the highest
    down in command-line order, and drivers that probe every slot find it anywhere."""
    bus = ""
    pinned = re.fullmatch(r"(.+)@([0-9]+)", spec)
    if pinned:
        if int(pinned.group(2)) > 7:
            raise ValueError(f"device '{spec}': the slot after '@' is 0..7")
        spec, bus = pinned.group(1), f",bus=virtio-mmio-bus.{int(pinned.group(2))}"
    kind, _, rest = spec.partition(":")
    if kind == "rng":
        source = rest or "/dev/urandom"
        return ["-object", f"rng-random,id=rng{index},filename={source}",
                "-device", f"virtio-rng-device,rng=rng{index}{bus}"]
    if kind == "blk":
        path, _, mode = rest.partition(":")
        if not path:
            raise ValueError(f"device '{spec}': blk needs an image path")
        ro = ",readonly=on" if mode == "ro" else ""
        return ["-drive", f"if=none,id=disk{index},format=raw,file={path}{ro}",
                "-device", f"virtio-blk-device,drive=disk{index}{bus}"]
    if kind == "net":
        backend = rest or "user"
        return ["-netdev", f"{backend},id=net{index}", "-device", f"virtio-net-device,netdev=net{index}{bus}"]
    raise ValueError(f"unknown device '{spec}' (rng, blk:<image>[:ro], net:<backend>, each [@slot])")


def qemu_argv(platform, kernel=None, extra_machine_opts=(), drives=(), netdevs=(),
              icount=False, gdb=False, console="stdio", devices=(), legacy_virtio=False):
    """Build the QEMU argv. console is 'stdio' (plain serial on stdin/stdout, for the
    harness) or 'mon' (serial multiplexed with the monitor, for interactive runs).
    devices are device_argv() specs; legacy_virtio drops the platform's modern-virtio
    global, so QEMU 7.2 offers its legacy (version 1) virtio-mmio transport."""
    machine = platform["machine"]
    for opt in extra_machine_opts:
        machine += "," + opt
    argv = [platform["qemu"], "-machine", machine, "-m", platform["memory"],
            "-smp", str(platform["smp"]), "-bios", platform["bios"],
            "-display", "none", "-no-reboot"]
    if console == "mon":
        argv += ["-serial", "mon:stdio"]
    else:
        argv += ["-serial", "stdio", "-monitor", "none"]
    for g in platform.get("globals", []):
        if legacy_virtio and g.startswith("virtio-mmio.force-legacy"):
            continue
        argv += ["-global", g]
    for dev in platform.get("devices", []):
        argv += dev
    for k, spec in enumerate(devices):
        argv += device_argv(spec, k)
    for d in drives:
        argv += d
    for n in netdevs:
        argv += n
    if icount:
        argv += ["-icount", "shift=0"]
    if gdb:
        argv += ["-s", "-S"]
    if kernel:
        argv += ["-kernel", kernel]
    return argv


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--platform", default=DEFAULT_PLATFORM, help="machine.json to use")
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run", help="boot an image with the console on this terminal")
    r.add_argument("image")
    r.add_argument("--icount", action="store_true", help="-icount shift=0 (exact counters)")
    r.add_argument("--device", action="append", default=[],
                   help="a virtio device: rng, blk:<image>[:ro], net:<backend>, each "
                        "optionally @N for virtio-mmio slot N (repeatable)")
    r.add_argument("--legacy-virtio", action="store_true",
                   help="offer the legacy virtio-mmio transport (version 1)")
    g = sub.add_parser("gdb", help="boot paused with the gdbstub on :1234")
    g.add_argument("image")
    d = sub.add_parser("dumpdtb", help="write the machine's own device tree blob")
    d.add_argument("out")
    a = sub.add_parser("argv", help="print the QEMU command line")
    a.add_argument("image", nargs="?")
    args = ap.parse_args()
    platform = load_platform(args.platform)
    if args.cmd == "run":
        argv = qemu_argv(platform, kernel=args.image, icount=args.icount, console="mon",
                         devices=args.device, legacy_virtio=args.legacy_virtio)
        return subprocess.call(argv)
    if args.cmd == "gdb":
        argv = qemu_argv(platform, kernel=args.image, gdb=True, console="mon")
        print("QEMU waits for gdb on localhost:1234; see docs/debugging.md", file=sys.stderr)
        return subprocess.call(argv)
    if args.cmd == "dumpdtb":
        argv = qemu_argv(platform, extra_machine_opts=["dumpdtb=" + os.path.abspath(args.out)])
        return subprocess.call(argv, stdout=subprocess.DEVNULL)
    if args.cmd == "argv":
        print(" ".join(qemu_argv(platform, kernel=args.image)))
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
