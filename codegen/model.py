"""The validated model: turns the parsed files into one checked System (instances,
objects, CSpace slots, mappings, threads) that every emitter reads. Four stages, one file
each, run in this order by the Builder below:

  idltypes.py   type resolution: types, interfaces, values against their types
  validate.py   validation of components, instances and connections (and device nodes)
  authority.py  authority policy: objects, devices, badges, supervision
  layout.py     CSpace slots and address-space mappings, and what must fit

All errors are collected and reported together; nothing is emitted from a bad model."""
import os

from .diagnostics import Diagnostics, did_you_mean
from .authority import Authority
from .idltypes import TypeResolution
from .layout import Layout
from .validate import Validation
from . import cnames


class System:
    """The whole system as the emitters read it: set by Builder.build_system and the
    stages it runs."""


class Builder(TypeResolution, Validation, Authority, Layout):
    """One run of the front end over parsed files. The stages share this object: each
    mixin's docstring says what it reads and what it sets."""

    def __init__(self, abi, files, platform_override=None, system_name=None, root_path=None,
                 diags=None):
        self.abi = abi
        self.d = diags if diags is not None else Diagnostics()
        self.files = files
        self.platform_override = platform_override
        self.system_name = system_name
        self.root_path = root_path
        self.platform_path = None

    def unknown(self, pos, what, name, candidates):
        self.d.error(pos, f"unknown {what} '{name}'", did_you_mean(name, candidates))

    def build(self):
        self.collect()
        self.resolve_types()
        self.resolve_error_sets()
        self.resolve_interfaces()
        self.resolve_components()
        cnames.check(self)
        sysdecl = self.pick_system()
        self.d.raise_if_any()
        if sysdecl is None:
            return None
        system = self.build_system(sysdecl)
        self.d.raise_if_any()
        # Every file the outputs depend on, for build systems (`generate --list-inputs`).
        system.inputs = [os.path.normpath(src.path) for src, _ in self.files]
        if self.platform_path:
            system.inputs.append(os.path.normpath(self.platform_path))
        return system

    def build_system(self, sd):
        abi = self.abi
        sysm = System()
        sysm.name, sysm.decl, sysm.abi = sd.name, sd, abi
        sysm.interfaces = self.interfaces
        sysm.types = self.types
        insts = {}
        for idecl in sd.instances:
            if idecl.name in insts:
                self.d.error(idecl.pos, f"duplicate instance '{idecl.name}'",
                             f"first declared at {insts[idecl.name].decl.pos}")
                continue
            comp = self.components.get(idecl.component)
            if comp is None:
                self.unknown(idecl.component_pos, "component", idecl.component, self.components)
                continue
            insts[idecl.name] = self.make_instance(idecl, comp)
        sysm.instances = list(insts.values())
        self.insts = insts
        self.find_supervisor(sysm)

        conns = self.check_connections(sd)
        self.check_unconnected(sd, sysm)
        if sd.platform and self.platform_override is None:
            # A named platform file must exist even when no device is claimed from it yet.
            path = os.path.join(os.path.dirname(sd.pos.source.path), sd.platform[0])
            if not os.path.isfile(path):
                self.d.error(sd.platform[1], f"cannot read platform '{path}': no such file",
                             "platform paths are relative to the system file")
        if len(self.d):
            return sysm
        self.platform = None
        self.layout(sysm, sd, conns)
        return sysm

    def layout(self, sysm, sd, conns):
        """Objects, badges and supervision (authority.py), then slots, mappings and the
        memory check (layout.py)."""
        dp_obj = self.make_objects(sysm, sd, conns)
        badge_of = self.assign_badges(sysm, conns)
        self.supervision(sysm, conns, badge_of)
        self.lay_out(sysm, badge_of, conns, dp_obj)
        sysm.objects = self.objs
        self.check_memory(sysm, sd)


def build_system(abi, files, platform=None, system_name=None, root_path=None, diags=None):
    """The validated System, or None when the input declares no system at all."""
    return Builder(abi, files, platform, system_name, root_path, diags).build()
