"""Anvaya component generator: IDL files in, a validated system model out, and one
emitter per output kind (C stubs, CSpace manifests, graph, binary system image manifest)."""
from .abi import load_abi
from .diagnostics import Diagnostics, GenError, Pos
from .model import build_system
from .syntax import parse_files


def load(system_path, abi_path=None, platform=None, system_name=None):
    """parse -> validate: the whole front end. Raises GenError with every problem found."""
    abi = load_abi(abi_path)
    diags = Diagnostics()
    files = parse_files([system_path], diags)
    if len(files) == 1 and not files[0][1] and not len(diags):
        src = files[0][0]
        diags.error(Pos(src, 1, 1), f"'{system_path}' declares nothing (it is empty or holds only comments)",
                    "a system file holds `system Name { instance ...; }` and the components it uses, "
                    "or imports them")
    # Syntax errors do not stop validation: the parser keeps only complete declarations,
    # so name and type errors elsewhere are reported in the same run.
    return build_system(abi, files, platform, system_name, system_path, diags)
