"""Command line: check a system, generate its outputs, print one CSpace, draw the graph,
compare two CSpace manifests. `python3 -m codegen <command> --help` for each."""
import argparse
import os
import sys

from . import GenError, load
from .abi import AbiError
from . import generate as gen
from .diff import diff_files
from .emitters import cspace, image


def _system_args(p):
    p.add_argument("system", help="the .system file (imports are followed)")
    p.add_argument("--abi", help="path to anvaya/abi.h (default: the repository's)")
    p.add_argument("--platform", help="device list: a .dtb or a JSON platform file "
                   "(default: the system's `platform` statement)")
    p.add_argument("--system-name", help="which system, when the file defines several")


def _load(a, need_system=True):
    s = load(a.system, a.abi, a.platform, a.system_name)
    if s is None and need_system:
        raise SystemExit(f"error: {a.system} declares no system (only interfaces and components)")
    return s


def cmd_check(a):
    s = _load(a, need_system=False)
    if s is None:
        print(f"{a.system}: declarations are valid (no system to build)")
        return
    caps = sum(len(i.slots) for i in s.instances)
    print(f"{a.system}: system {s.name} is valid: {len(s.instances)} instances, "
          f"{len(s.objects)} objects, {caps} capabilities")


def cmd_generate(a):
    s = _load(a)
    kinds = set(a.only.split(",")) if a.only else None
    out = gen.outputs(s, kinds)
    if a.list_inputs:
        for path in s.inputs:
            print(path)
        return
    if a.list:
        for name in out:
            print(name)
        return
    gen.write(out, a.output, svg=not a.no_svg)
    if a.stamp:
        with open(a.stamp, "w", encoding="utf-8") as f:
            f.write("\n".join(out) + "\n")


def cmd_cspace(a):
    s = _load(a)
    for inst in s.instances:
        if inst.name == a.instance:
            sys.stdout.write(cspace.instance_markdown(s, inst))
            return
    from .diagnostics import did_you_mean
    hint = did_you_mean(a.instance, [i.name for i in s.instances])
    raise SystemExit(f"error: no instance '{a.instance}' in system {s.name}" + (f"; {hint}" if hint else ""))


def cmd_graph(a):
    from .emitters import graph
    s = _load(a)
    (name, text), = graph.emit(s).items()
    if a.output:
        with open(a.output, "w", encoding="utf-8") as f:
            f.write(text)
        if a.svg:
            gen.render_svg(a.output)
    else:
        sys.stdout.write(text)


def cmd_diff(a):
    lines = diff_files(a.old, a.new)
    for line in lines:
        print(line)
    if not lines:
        print("no change in authority")
    return 1 if lines and a.exit_code else 0


def cmd_dump(a):
    sys.stdout.write(image.dump(_load(a)))


def cmd_platform(a):
    from .platform import dump_json, load_platform
    try:
        devices = load_platform(a.dtb)
    except (OSError, ValueError) as e:
        why = e.strerror if isinstance(e, OSError) and e.strerror else e
        raise SystemExit(f"error: cannot read platform '{a.dtb}': {why}") from None
    sys.stdout.write(dump_json(devices, a.description))


def main(argv=None):
    ap = argparse.ArgumentParser(prog="anvaya-gen", description="The Anvaya component generator: IDL in; C stubs, CSpace manifests, a graph and the system image manifest out. See docs/idl.md and docs/generator.md.")
    sub = ap.add_subparsers(dest="command", required=True, metavar="command")

    p = sub.add_parser("check", help="validate a system and report every error")
    _system_args(p)
    p.set_defaults(fn=cmd_check)

    p = sub.add_parser("generate", help="write C stubs, CSpace manifests, graph and the image manifest")
    _system_args(p)
    p.add_argument("-o", "--output", default=".", help="output directory (default: .)")
    p.add_argument("--only", help="comma-separated emitters: c,cspace,graph,image")
    p.add_argument("--list", action="store_true", help="print the output file names and stop")
    p.add_argument("--list-inputs", action="store_true",
                   help="print every file the outputs depend on (IDL, imports, platform) and stop")
    p.add_argument("--no-svg", action="store_true", help="do not render the graph to SVG")
    p.add_argument("--stamp", help="also write this file listing the outputs (for build systems)")
    p.set_defaults(fn=cmd_generate)

    p = sub.add_parser("cspace", help="print one instance's CSpace (Markdown)")
    _system_args(p)
    p.add_argument("instance", help="instance name")
    p.set_defaults(fn=cmd_cspace)

    p = sub.add_parser("graph", help="print (or write) the Graphviz DOT graph of the system")
    _system_args(p)
    p.add_argument("-o", "--output", help="write the DOT file here instead of stdout")
    p.add_argument("--svg", action="store_true", help="also render <output>.svg with graphviz")
    p.set_defaults(fn=cmd_graph)

    p = sub.add_parser("diff", help="compare two CSpace manifests (JSON): authority added or removed")
    p.add_argument("old")
    p.add_argument("new")
    p.add_argument("--exit-code", action="store_true", help="exit 1 when anything differs")
    p.set_defaults(fn=cmd_diff)

    p = sub.add_parser("dump", help="print every field of the binary image manifest as text")
    _system_args(p)
    p.set_defaults(fn=cmd_dump)

    p = sub.add_parser("platform", help="turn a .dtb into the JSON device list systems can name")
    p.add_argument("dtb")
    p.add_argument("--description", default="devices extracted from a device tree blob")
    p.set_defaults(fn=cmd_platform)

    a = ap.parse_args(argv)
    try:
        return a.fn(a) or 0
    except GenError as e:
        print(e.render(), file=sys.stderr)
        n = len(e.diagnostics)
        print(f"{n} error{'s' if n != 1 else ''}", file=sys.stderr)
        return 1
    except AbiError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    except OSError as e:
        # Writing outputs or reading a file named on the command line.
        print(f"error: {e.filename or ''}: {e.strerror or e}", file=sys.stderr)
        return 1
    except RecursionError:
        print("error: the input nests too deeply to process", file=sys.stderr)
        return 1
    except Exception as e:  # noqa: BLE001 - last resort: a short report, never a traceback
        # The fuzz campaign (tests/codegen/fuzz_idl.py) counts every path into here as a
        # failure; ANVAYA_GEN_DEBUG=1 re-raises for a developer.
        if os.environ.get("ANVAYA_GEN_DEBUG"):
            raise
        print(f"internal error in the generator: {type(e).__name__}: {e}", file=sys.stderr)
        print("please report this with the input; ANVAYA_GEN_DEBUG=1 shows where", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
