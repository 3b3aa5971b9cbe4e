"""Names that cannot break the generated C: every IDL name is refused, at its declaration,
when it is a C keyword or reserved identifier, when it equals a local or parameter of the
generated stubs, or when the identifiers, macros, include guards or file names generated
from it meet those of another name (after case folding and joining with `_`, which is how
the emitters build them: docs/idl.md, "Generated names")."""
from .idltypes import cap_closure, received_closure, snake

C_KEYWORDS = {
    "auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else",
    "enum", "extern", "float", "for", "goto", "if", "inline", "int", "long", "register",
    "restrict", "return", "short", "signed", "sizeof", "static", "struct", "switch", "typedef",
    "union", "unsigned", "void", "volatile", "while", "_Alignas", "_Alignof", "_Atomic",
    "_Bool", "_Complex", "_Generic", "_Imaginary", "_Noreturn", "_Static_assert",
    "_Thread_local",
}
# Macros and types of the headers every generated file includes (stdint, stdbool, stddef).
C_HEADER_NAMES = {
    "bool", "true", "false", "NULL", "size_t", "ptrdiff_t", "offsetof", "errno", "assert",
    "int8_t", "int16_t", "int32_t", "int64_t", "uint8_t", "uint16_t", "uint32_t", "uint64_t",
    "intptr_t", "uintptr_t", "intmax_t", "uintmax_t", "INT64_C", "UINT64_C", "main",
}
# Locals and parameters of the generated client stubs and server dispatch
# (templates/component.c.j2): an IDL parameter of one of these names would shadow or
# redeclare it.
STUB_LOCALS = {"mr", "reply", "err", "label", "words", "badge", "info", "bits"}


def reserved_why(name):
    """Why `name` cannot be a name in the generated C, or None."""
    if name in C_KEYWORDS:
        return f"'{name}' is a C keyword"
    if name in C_HEADER_NAMES:
        return f"'{name}' is already defined by the C headers the generated code includes"
    if name.startswith("_"):
        return f"'{name}' starts with '_': C reserves such names for the compiler and library"
    if name.lower().startswith("anv_"):
        return f"'{name}' starts with 'anv_', the prefix of the kernel ABI and the SDK"
    return None


class _Space:
    """One namespace of generated identifiers: the first name to claim a key keeps it."""

    def __init__(self, check, what):
        self.check, self.what, self.seen = check, what, {}

    def claim(self, key, pos, shown, display=None):
        prev = self.seen.get(key)
        if prev is None:
            self.seen[key] = (pos, shown)
            return
        ppos, pshown = prev
        if pshown == shown:
            return  # the same name claimed again: a duplicate, reported elsewhere
        self.check.d.error(pos, f"{shown} and {pshown} would both generate the {self.what} "
                           f"'{display or key}'",
                           f"rename one of them (first at {ppos})" if ppos else
                           "the generated code already uses that name; rename it")


def check(b):
    """Run over the Builder `b` after its declarations resolved; errors go to b.d."""
    d = b.d

    def name(n, pos, what):
        why = reserved_why(n)
        if why:
            d.error(pos, f"{why}; it cannot name {what}", "pick another name")

    types = _Space(b, "C type tag and include guard")
    macros = _Space(b, "C macro")
    for n, dcl in sorted(b.decls.items(), key=lambda kv: kv[1].pos.line):
        kind = type(dcl).__name__
        if kind == "EnumDecl":
            name(n, dcl.pos, "an enum")
            types.claim(snake(n), dcl.pos, f"enum '{n}'")
            for m, _v, mpos in dcl.members:
                name(m, mpos, "an enumerator")
                macros.claim(f"{snake(n).upper()}_{m.upper()}", mpos, f"enumerator '{n}.{m}'")
        elif kind == "StructDecl":
            name(n, dcl.pos, "a struct")
            types.claim(snake(n), dcl.pos, f"struct '{n}'")
            for _t, fn, fpos in dcl.fields:
                name(fn, fpos, "a field")
        elif kind == "ErrorSetDecl":
            # enum <snake>_errors, guard ANV_ERRORS_<UP>, <snake>_error_name() and the
            # constants <UP>_E_<NAME>, which meet an interface's error macros.
            name(n, dcl.pos, "an error set")
            up = snake(n).upper()
            types.claim(f"{snake(n)}_errors", dcl.pos, f"error set '{n}'", f"enum {snake(n)}_errors")
            macros.claim(f"ANV_ERRORS_{up}", dcl.pos, f"error set '{n}'")
            macros.claim(f"{snake(n)}_error_name", dcl.pos, f"error set '{n}'")
            for e in dcl.members:
                name(e.name, e.pos, "an error")
                macros.claim(f"{up}_E_{e.name}", e.pos, f"error '{n}.{e.name}'")
        elif kind == "InterfaceDecl":
            name(n, dcl.pos, "an interface")
            up = snake(n).upper()
            macros.claim(f"ANV_IFACE_{up}", dcl.pos, f"interface '{n}'")
            if dcl.errors or dcl.uses_errors:
                macros.claim(f"{snake(n)}_error_name", dcl.pos, f"interface '{n}'")
            for e in dcl.errors:
                name(e.name, e.pos, "an error")
                macros.claim(f"{up}_E_{e.name}", e.pos, f"error '{n}.{e.name}'")
            for p in dcl.procs:
                name(p.name, p.pos, "a procedure")
                macros.claim(f"{up}_LABEL_{p.name.upper()}", p.pos, f"procedure '{n}.{p.name}'")
                seen = {}
                for prm in p.params:
                    name(prm.name, prm.pos, "a parameter")
                    if prm.name in STUB_LOCALS:
                        d.error(prm.pos, f"parameter '{prm.name}' of '{n}.{p.name}' has the name of "
                                "a local of the generated stubs",
                                f"the stub and the dispatch use {', '.join(sorted(STUB_LOCALS))}; "
                                "pick another name")
                    if prm.name in seen:
                        d.error(prm.pos, f"duplicate parameter '{prm.name}' in '{n}.{p.name}'")
                    seen[prm.name] = prm
        elif kind == "ComponentDecl":
            name(n, dcl.pos, "a component")
            types.claim("component " + snake(n), dcl.pos, f"component '{n}'",
                        f"prefix {snake(n)}_ of its functions")
            funcs = _Space(b, f"function or macro of component '{n}'")
            for fixed in ("dispatch", "serve", "wait_any", "pending", "collect", "sm_services",
                          "sm_order", "sm_ports", "sm_routes", "sm_grants", "sm_clients"):
                funcs.claim(fixed, None, "the generated code")
            for p in dcl.ports:
                name(p.name, p.pos, "a port")
                shown = f"port '{p.name}'"
                # HANDLE_<PORT>, EVENT_<PORT>, REGION_<PORT>: ports meet after upper-casing.
                funcs.claim("PORT " + p.name.upper(), p.pos, shown, f"<COMPONENT>_HANDLE_{p.name.upper()}")
                if p.kind in ("uses", "provides"):
                    iface = b.decls.get(p.iface)
                    procs = getattr(iface, "procs", []) if type(iface).__name__ == "InterfaceDecl" else []
                    funcs.claim(f"{p.name}_resolve".lower(), p.pos, shown)
                    funcs.claim(f"{p.name}_dispatch".lower(), p.pos, shown)
                    for pr in procs:
                        funcs.claim(f"{p.name}_{pr.name}".lower(), p.pos, f"{shown} ({p.iface}.{pr.name})")
                    if p.kind == "provides" and p.grants:
                        # <prefix>_<port>_grant(), _grants[], _grant_clients[], struct tag.
                        funcs.claim(f"{p.name}_grant".lower(), p.pos, f"{shown} (its grants)")
                        funcs.claim(f"{p.name}_grants".lower(), p.pos, f"{shown} (its grants)")
                        funcs.claim(f"{p.name}_grant_clients".lower(), p.pos, f"{shown} (its grants)")
                        fields = _Space(b, f"struct {snake(n)}_{p.name}_grant field")
                        for g in p.grants:
                            name(g.name, g.pos, "a grant")
                            fields.claim(g.name, g.pos, f"grant '{g.name}'")
                            if g.type.array is not None:
                                fields.claim(f"{g.name}_count", g.pos, f"grant '{g.name}'",
                                             f"{g.name}_count, the length of array grant '{g.name}'")
                elif p.kind == "dataport":
                    # <COMP>_<PORT>_MAPPED_SIZE would be a port '<port>_mapped''s _SIZE.
                    funcs.claim("SIZE " + p.name.upper(), p.pos, shown,
                                f"<COMPONENT>_{p.name.upper()}_SIZE")
                    funcs.claim("SIZE " + f"{p.name}_mapped".upper(), p.pos, f"{shown} (its mapped size)",
                                f"<COMPONENT>_{p.name.upper()}_MAPPED_SIZE")
                    if getattr(p, "dtype", None) is not None:
                        funcs.claim(p.name.lower(), p.pos, f"{shown} (its accessor)")
                elif p.kind in ("emits", "consumes"):
                    funcs.claim(f"{p.name}_emit".lower(), p.pos, shown)
                    funcs.claim(f"{p.name}_wait".lower(), p.pos, shown)
            # Objects (`out cap<I>`, docs/idl.md "Capabilities"): <prefix>_<snake(I)>_<proc>
            # on both sides, and the server's mint, cap_unsent and reply_recv.
            ifaces = getattr(b, "interfaces", {})
            objs = cap_closure(ifaces, [p.iface for p in dcl.ports if p.kind in ("uses", "provides")])
            for o in objs:
                shown = f"cap<{o}>, returned by a procedure of a port"
                funcs.claim(f"{snake(o)}_mint", dcl.pos, shown)
                for pr in ifaces[o].procs:
                    funcs.claim(f"{snake(o)}_{pr.name}".lower(), dcl.pos, f"{shown} ({o}.{pr.name})")
            # `in cap<I>` on a provided port: the component calls what it is handed, with
            # client stubs <prefix>_<snake(I)>_<proc>(cap, ...).
            got = received_closure(ifaces, [p.iface for p in dcl.ports if p.kind == "provides"])
            got = [o for o in got if o not in objs]   # its own objects: no client stubs
            for o in got:
                shown = f"cap<{o}>, carried in by a request to a port"
                for pr in ifaces[o].procs:
                    funcs.claim(f"{snake(o)}_{pr.name}".lower(), dcl.pos, f"{shown} ({o}.{pr.name})")
            if got:
                funcs.claim("route", None, "the generated code")
            if objs:
                funcs.claim("cap_unsent", None, "the generated code")
                funcs.claim("reply_recv", None, "the generated code")
            for cf in dcl.configs:
                name(cf.name, cf.pos, "a configuration")
                funcs.claim("CONFIG " + cf.name.upper(), cf.pos, f"configuration '{cf.name}'",
                            f"<COMPONENT>_CONFIG_{cf.name.upper()}")
    # Instances name files (<instance>_gen.c, <instance>.cspace.md) and include guards
    # (ANV_GEN_<INSTANCE>_H): they must differ after case folding, for case-insensitive
    # file systems too.
    for _src, decls in b.files:
        for sd in decls:
            if type(sd).__name__ != "SystemDecl":
                continue
            name(sd.name, sd.pos, "a system")
            files = _Space(b, "file name and include guard")
            for inst in sd.instances:
                name(inst.name, inst.pos, "an instance")
                files.claim(inst.name.upper(), inst.pos, f"instance '{inst.name}'",
                            f"{inst.name.lower()}_gen.c / ANV_GEN_{inst.name.upper()}_H")
