"""The command line end to end: --help for every subcommand, check, cspace, graph, and a
diff that must name exactly the authority a system change adds and removes."""
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
GEN = os.path.join(ROOT, "tools", "anvaya-gen")
SYSTEM = os.path.join(ROOT, "idl", "systems", "example.system")
failed = 0


def run(*args, code=0):
    global failed
    r = subprocess.run([sys.executable, GEN, *args], capture_output=True, text=True)
    if r.returncode != code:
        failed += 1
        print(f"FAIL {' '.join(args)}: exit {r.returncode}\n{r.stderr}")
    return r.stdout


def expect(cond, what):
    global failed
    print(("ok   " if cond else "FAIL ") + what)
    failed += not cond


for sub in ("check", "generate", "cspace", "graph", "diff", "dump", "platform"):
    expect("usage:" in run(sub, "--help"), f"{sub} --help")
expect("is valid" in run("check", SYSTEM), "check example")
out = run("cspace", SYSTEM, "storage")
expect("| 14 | disk.irq |" in out and "`-w--`" in out, "cspace storage lists its IRQ and rights")
expect(out.startswith("# CSpace of `storage`"), "cspace prints Markdown")
expect("digraph" in run("graph", SYSTEM), "graph prints DOT")
run("cspace", SYSTEM, "storag", code=1)

with tempfile.TemporaryDirectory() as tmp:
    # A changed system: the app loses its network and the storage may grant to the logger.
    text = open(SYSTEM, encoding="utf-8").read()
    text = text.replace('import "../', f'import "{ROOT}/idl/').replace(
        'platform "../', f'platform "{ROOT}/idl/')
    changed = text.replace("connect rpc app.net(wg) -> net.net {", "connect rpc app.net -> net.net {")
    changed = changed.replace("connect rpc storage.log -> log.log;", "connect rpc storage.log(wg) -> log.log;")
    changed = changed.replace("queue_depth = 32;", "queue_depth = 64;")
    new = os.path.join(tmp, "new.system")
    with open(new, "w", encoding="utf-8") as f:
        f.write(changed)
    run("generate", SYSTEM, "-o", os.path.join(tmp, "old"), "--only", "cspace")
    run("generate", new, "-o", os.path.join(tmp, "new"), "--only", "cspace")
    a, b = os.path.join(tmp, "old", "example.cspace.json"), os.path.join(tmp, "new", "example.cspace.json")
    lines = run("diff", a, b).splitlines()
    expect(lines == ["~ storage: config queue_depth 32 -> 64",
                     "~ app: net: rights -w-g -> -w--", "~ storage: log: rights -w-- -> -w-g"],
           f"diff names exactly the changed rights and configuration: {lines}")
    expect(run("diff", a, a).strip() == "no change in authority", "diff of identical manifests")
    run("diff", "--exit-code", a, b, code=1)
    json.load(open(b, encoding="utf-8"))

with tempfile.TemporaryDirectory() as tmp:
    # Supervision is authority: a changed restart limit and policy, a manage grant
    # removed, resolve rights widened; then DMA trust, from rngtest to a copy without it.
    svc = os.path.join(ROOT, "idl", "systems", "svctest.system")
    text = open(svc, encoding="utf-8").read().replace('import "../', f'import "{ROOT}/idl/')
    changed = text.replace("instance quit_fail : SvcExiter { restart = on-failure; restarts = 3; }",
                           "instance quit_fail : SvcExiter { restart = always; restarts = 4; }")
    changed = changed.replace("    connect manage client -> echo_b;\n", "")
    changed = changed.replace("connect resolve client.a(w) -> echo_a.echo;",
                              "connect resolve client.a(wg) -> echo_a.echo;")
    new = os.path.join(tmp, "svc.system")
    with open(new, "w", encoding="utf-8") as f:
        f.write(changed)
    run("generate", svc, "-o", os.path.join(tmp, "old"), "--only", "cspace")
    run("generate", new, "-o", os.path.join(tmp, "new"), "--only", "cspace")
    a, b = os.path.join(tmp, "old", "svctest.cspace.json"), os.path.join(tmp, "new", "svctest.cspace.json")
    lines = run("diff", a, b).splitlines()
    want = ["~ client: resolve a: rights -w-- -> -w-g",
            "- client: may stop and restart echo_b (manage)",
            "~ quit_fail: restarts 3 -> 4",
            "~ quit_fail: restart_policy on-failure -> always",
            "~ sinit: service quit_fail: restarts 3 -> 4",
            "~ sinit: service quit_fail: restart_policy on-failure -> always",
            "~ sinit: registry_echo_a.echo: rights -w-- -> -w-g"]
    expect(lines == want, f"diff names the supervision changes: {lines}")
    rng = os.path.join(ROOT, "idl", "systems", "rngtest.system")
    run("generate", rng, "-o", os.path.join(tmp, "rng"), "--only", "cspace")
    doc = json.load(open(os.path.join(tmp, "rng", "rngtest.cspace.json"), encoding="utf-8"))
    for inst in doc["instances"]:
        if inst["trusted_with_physical_memory"]:
            inst["trusted_with_physical_memory"]["buffers"][0]["pages"] += 1
            inst["trusted_with_physical_memory"]["devices"].pop()
            inst["regions"] = [{"name": "heap", "vaddr": "0x100000000", "bytes": 2097152}]
    edited = os.path.join(tmp, "rng-edited.json")
    with open(edited, "w", encoding="utf-8") as f:
        json.dump(doc, f)
    lines = run("diff", os.path.join(tmp, "rng", "rngtest.cspace.json"), edited).splitlines()
    expect(lines == ["~ rng: DMA buffer queue: pages 3 -> 4",
                     "- rng: DMA-capable device /soc/virtio_mmio@10008000",
                     "+ rng: region heap at 0x100000000 (2097152 bytes)"],
           f"diff names DMA trust and regions: {lines}")
    bad = os.path.join(tmp, "bad.json")
    with open(bad, "w", encoding="utf-8") as f:
        f.write('{"instances": [{"name": 1}]')
    r = subprocess.run([sys.executable, GEN, "diff", a, bad], capture_output=True, text=True)
    expect(r.returncode != 0 and "Traceback" not in r.stderr and "not a CSpace manifest" in r.stderr,
           f"diff of a broken manifest is an error, not a traceback: {r.stderr}")

with tempfile.TemporaryDirectory() as tmp:
    # Grants are authority: fstest with one client's quota raised, a grant added to the
    # other, and a partition moved; the manifests show them on the clients' slots.
    fst = os.path.join(ROOT, "idl", "systems", "fstest.system")
    text = open(fst, encoding="utf-8").read().replace('import "../', f'import "{ROOT}/idl/').replace(
        'platform "../', f'platform "{ROOT}/idl/')
    changed = text.replace('{ root = "apps/peer"; quota_bytes = 8192; quota_entries = 8; }',
                           '{ root = "apps/peer"; quota_bytes = 16384; quota_entries = 8; }')
    changed = changed.replace('{ root = "apps/tester"; }', '{ root = "apps/tester"; quota_entries = 100; }')
    changed = changed.replace("{ first = 0; sectors = 8192; }", "{ first = 0; sectors = 4096; }")
    expect(changed.count("16384") == 1 and "quota_entries = 100" in changed and "4096" in changed,
           "the fstest edit applies")
    new = os.path.join(tmp, "fs.system")
    with open(new, "w", encoding="utf-8") as f:
        f.write(changed)
    run("generate", fst, "-o", os.path.join(tmp, "old"), "--only", "cspace")
    run("generate", new, "-o", os.path.join(tmp, "new"), "--only", "cspace")
    a, b = os.path.join(tmp, "old", "fstest.cspace.json"), os.path.join(tmp, "new", "fstest.cspace.json")
    lines = run("diff", a, b).splitlines()
    want = ["~ fspeer: files: grant quota_bytes 8192 -> 16384",
            "~ fstester: files: grant quota_entries 0 -> 100",
            "~ fstore: block: grant sectors 8192 -> 4096"]
    expect(lines == want, f"diff names the changed grants: {lines}")
    md = open(os.path.join(tmp, "old", "fspeer.cspace.md"), encoding="utf-8").read()
    expect('| fstore.files; granted: root = "apps/peer", quota_bytes = 8192, quota_entries = 8 |' in md,
           "the client's CSpace Markdown shows its grants on its slot")
    md = open(os.path.join(tmp, "old", "fstore.cspace.md"), encoding="utf-8").read()
    expect('| files | fstester.files | 0x2 | root = "apps/tester", quota_bytes = 0, quota_entries = 0 |' in md,
           "the server's CSpace Markdown lists its clients' grants")
    doc = json.load(open(a, encoding="utf-8"))
    slot = [s for i in doc["instances"] if i["name"] == "fspeer" for s in i["slots"] if s["name"] == "files"]
    expect(slot and slot[0].get("grants") == {"root": "apps/peer", "quota_bytes": 8192, "quota_entries": 8},
           f"the JSON manifest carries the grants on the client's slot: {slot}")
    # A client added with its grants: one line for the new capability, grants included.
    added = changed.replace("    connect event fspeer.done", "    instance fsthird : FsPeer;\n"
                            "    connect rpc fsthird.files -> fstore.files { root = \"apps/third\"; };\n"
                            "    connect dataport fsthird.buf(rw) -> fstore.client3(rw);\n"
                            "    connect event fsthird.done -> fstester.peer_done;\n"
                            "    connect event fspeer.done")
    with open(new, "w", encoding="utf-8") as f:
        f.write(added)
    run("generate", new, "-o", os.path.join(tmp, "third"), "--only", "cspace")
    lines = run("diff", b, os.path.join(tmp, "third", "fstest.cspace.json")).splitlines()
    expect('+ fsthird: slot 8 files: fstore.service (ENDPOINT, -w--, badge 0x3) -> fstore.files; '
           'granted root = "apps/third", quota_bytes = 0, quota_entries = 0' in lines,
           f"diff shows an added client with its grants: {lines}")

with tempfile.TemporaryDirectory() as tmp:
    # Broken command-line inputs end in one error line, never in a traceback.
    hello = os.path.join(ROOT, "idl", "systems", "hello.system")
    for name, blob in (("abi.h", b"\xff\xfe not a header"), ("manifest.h", b"")):
        with open(os.path.join(tmp, name), "wb") as f:
            f.write(blob)
    cases = [(["check", "--abi", os.path.join(tmp, "abi.h"), hello], "has no #define ANV_"),
             (["check", "--abi", os.path.join(tmp, "none.h"), hello], "No such file"),
             (["check", tmp], "Is a directory"),
             (["generate", hello, "-o", "/proc/anvaya-no-such-dir"], "error:"),
             (["platform", hello], "neither a device tree blob nor valid JSON")]
    for args, want in cases:
        r = subprocess.run([sys.executable, GEN] + args, capture_output=True, text=True)
        expect(r.returncode == 1 and want in r.stderr and "Traceback" not in r.stderr
               and "internal error" not in r.stderr,
               f"{' '.join(args[:2])} on a broken input: one error ({r.returncode}: {r.stderr.strip()[:120]})")

with tempfile.TemporaryDirectory() as tmp:
    # The default system with one more grant to a runner (the fetch app may resolve names)
    # and a new capability for another (entropy for greet): the diff names exactly those,
    # and the slots and badges they moved.
    dflt = os.path.join(ROOT, "idl", "systems", "anvaya.system")
    text = open(dflt, encoding="utf-8").read().replace('import "../', f'import "{ROOT}/idl/').replace(
        'platform "../', f'platform "{ROOT}/idl/')
    changed = text.replace('connect rpc fetch.net(wg) -> net.sockets { allow = "tcp-connect:10.0.2.2:8480"; };',
                           'connect rpc fetch.net(wg) -> net.sockets { allow = "tcp-connect:10.0.2.2:8480 resolve"; };')
    changed = changed.replace("    connect rpc greet.packages -> pkgs.reader;\n",
                              "    connect rpc greet.packages -> pkgs.reader;\n"
                              "    connect rpc greet.entropy -> entropy.entropy;\n")
    expect(changed.count("resolve") == 1 and "greet.entropy" in changed, "the default system's edit applies")
    old_sys, new_sys = os.path.join(tmp, "old.system"), os.path.join(tmp, "new.system")
    for path, body in ((old_sys, text), (new_sys, changed)):
        with open(path, "w", encoding="utf-8") as f:
            f.write(body)
    run("generate", old_sys, "-o", os.path.join(tmp, "old"), "--only", "cspace")
    run("generate", new_sys, "-o", os.path.join(tmp, "new"), "--only", "cspace")
    lines = run("diff", os.path.join(tmp, "old", "anvaya.cspace.json"),
                os.path.join(tmp, "new", "anvaya.cspace.json")).splitlines()
    want = ["~ entropy: service: peer net.entropy -> greet.entropy, net.entropy",
            '~ fetch: net: grant allow "tcp-connect:10.0.2.2:8480" -> "tcp-connect:10.0.2.2:8480 resolve"',
            "~ greet: buf: moved from slot 10 to 11",
            "+ greet: slot 10 entropy: entropy.service (ENDPOINT, -w--, badge 0x1) -> entropy.entropy",
            "~ greet: netbuf: moved from slot 12 to 13",
            "~ greet: pkgbuf: moved from slot 11 to 12",
            "~ net: entropy: badge 0x1 -> 0x2"]
    expect(lines == want, f"diff of the default system names the added grant and capability: {lines}")

# A device tree's memory nodes become the platform's RAM (checked against device claims).
doc = json.loads(run("platform", os.path.join(HERE, "valid", "uart.dtb")))
expect(doc.get("memory") == [["0x80000000", "0x10000000"]] and
       [d["path"] for d in doc["devices"]] == ["/soc/uart@10000000"],
       f"platform reads RAM and devices from a .dtb: {doc.get('memory')}")

print("cli: " + ("all passed" if not failed else f"{failed} failed"))
sys.exit(1 if failed else 0)
