#!/usr/bin/env python3
"""The package service (idl/systems/pkgtest.system) on a disk image tools/anvaya-store made
here, preloaded with packages made and signed now with tools/anvaya-pkg: a good one, an
upgrade, the same version with other bytes, a tampered payload, a bad signature, an
unknown key, a truncated, an oversized and a malformed one, one above the service's size
limit, two asking for more than the system allows, and a second publisher's package and
its older version. The client installs them in a fixed order (components/pkgtest).

Checked on the console (every result code, the list, a payload read back through the
dataport with its digest) and then on the image: the store is consistent, installed/
holds exactly the accepted package byte for byte (and anvaya-pkg verify accepts it), the
version record names the highest version of each name with the digest of its signed
part, the
audit file has one line per install, refusal and uninstall, in order; the staged files
are untouched. A second boot on the same image refuses the old version again (the record
is durable), lists what is installed, and - since everything it tries is refused or
undone - leaves every file byte for byte as it was, except the audit file, which only
grew by its new lines. A third boot, after the test flipped a payload byte of the installed
package and replaced the version record by garbage on the image, offers nothing that does
not verify, refuses every install while the record is unreadable, and changes nothing but
the audit file. A fourth boot, with the good files back and a byte quota on the service's
subtree too small for the last install, sees that install fail in the file store after its
checks passed (1203, the audit line naming the quota error), with no temporary file left
and nothing else changed. Last, the same disk under a system whose trust store lacks the
first key (pkgcrash.system) offers none of that key's packages."""
import hashlib
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qemu_harness import ScenarioFailure, Session, run_scenario  # noqa: E402
import pkg_fixtures as fx  # noqa: E402

OK, ARGUMENT, NOENT, TRUNCATED, OVERSIZED, MALFORMED = 0, 1201, 1202, 1204, 1205, 1206
UNKNOWN_KEY, SIGNATURE, DIGEST, ROLLBACK, NOT_ALLOWED, INSTALLED = 1207, 1208, 1209, 1210, 1211, 1212
END, RECORD, STORE = 1213, 1215, 1203
WORD = {OK: "ok", ARGUMENT: "argument", NOENT: "no-entry", TRUNCATED: "truncated",
        OVERSIZED: "oversized", MALFORMED: "malformed", UNKNOWN_KEY: "unknown-key",
        SIGNATURE: "bad-signature", DIGEST: "digest-mismatch", ROLLBACK: "rollback",
        NOT_ALLOWED: "not-allowed", INSTALLED: "installed"}
ALLOWED = ["console = yes", "clocks = monotonic", "storage = apps/hello 65536",
           "network = tcp-connect 10.0.2.2:8080"]


def make_staging(tmp):
    keys = fx.write_keys(tmp)
    p = {}

    def mk(signer, publisher, name, version, size, salt, extra=ALLOWED):
        return fx.make_package(tmp, keys, signer, publisher, name, version,
                               fx.wasm_payload(size, salt), extra)
    p["hello-1.0.0.pkg"] = mk(1, 1, "hello", "1.0.0", 20000, 1)
    p["hello-1.1.0.pkg"] = mk(1, 1, "hello", "1.1.0", 150000, 2)      # three dataports' worth
    p["hello-1.1.0-other.pkg"] = mk(1, 1, "hello", "1.1.0", 150000, 3)
    newer = mk(1, 1, "hello", "1.2.0", 30000, 4)
    m = fx.manifest_length(newer)
    t = bytearray(newer)
    t[-1] ^= 0x01
    p["hello-tampered.pkg"] = bytes(t)
    b = bytearray(newer)
    b[24 + m + 5] ^= 0x10
    p["hello-badsig.pkg"] = bytes(b)
    p["hello-unknown.pkg"] = mk("stranger", "stranger", "hello", "1.2.0", 30000, 4)
    p["hello-truncated.pkg"] = newer[:-100]
    p["hello-oversized.pkg"] = newer + b"\0"
    p["huge.pkg"] = mk(1, 1, "huge", "1.0.0", 2 * 1024 * 1024 + 4096, 5, [])
    bad = bytearray(newer)
    assert bad[24] == 0x01 and bad[27:32] == b"hello"
    bad[27] = ord("H")                         # the name field breaks its rule
    p["hello-malformed.pkg"] = bytes(bad)
    p["greedy-1.0.0.pkg"] = mk(1, 1, "greedy", "1.0.0", 5000, 6, ["storage = apps/greedy 8388608"])
    p["listener-1.0.0.pkg"] = mk(1, 1, "listener", "1.0.0", 5000, 7,
                                 ["network = tcp-listen 0.0.0.0:80"])
    p["tool-2.0.0.pkg"] = mk(2, 2, "tool", "2.0.0", 9000, 8, [])
    p["tool-1.0.0.pkg"] = mk(2, 2, "tool", "1.0.0", 9000, 9, [])
    tree = os.path.join(tmp, "tree")
    os.makedirs(os.path.join(tree, "pkg", "staging"))
    for name, data in p.items():
        with open(os.path.join(tree, "pkg", "staging", name), "wb") as f:
            f.write(data)
    return keys, p, tree


# (staged file, code in boot 1, code in boot 2), in the client's order.
INSTALLS = [
    ("hello-1.0.0.pkg", OK, ROLLBACK),
    ("hello-1.1.0.pkg", OK, INSTALLED),
    ("hello-1.0.0.pkg", ROLLBACK, ROLLBACK),
    ("hello-1.1.0.pkg", INSTALLED, INSTALLED),
    ("hello-1.1.0-other.pkg", ROLLBACK, ROLLBACK),
    ("hello-tampered.pkg", DIGEST, DIGEST),
    ("hello-badsig.pkg", SIGNATURE, SIGNATURE),
    ("hello-unknown.pkg", UNKNOWN_KEY, UNKNOWN_KEY),
    ("hello-truncated.pkg", TRUNCATED, TRUNCATED),
    ("hello-oversized.pkg", OVERSIZED, OVERSIZED),
    ("huge.pkg", OVERSIZED, OVERSIZED),
    ("hello-malformed.pkg", MALFORMED, MALFORMED),
    ("greedy-1.0.0.pkg", NOT_ALLOWED, NOT_ALLOWED),
    ("listener-1.0.0.pkg", NOT_ALLOWED, NOT_ALLOWED),
    ("missing.pkg", NOENT, NOENT),
    ("tool-2.0.0.pkg", OK, OK),     # boot 2: the same package again after its uninstall
]


def boot(args, image, n, pkgs):
    s = args.session(devices=[f"blk:{image}"])
    s.start()
    s.expect(r"fstore: mounted 32768 sectors")
    installed_before = 0 if n == 1 else 1
    # The client's first line and the service's are printed by two processes: either
    # may come first; the client's first list is answered only once the service is ready.
    s.expect(r"pkgclient: list: \(then 1213\)" if n == 1 else
             r"pkgclient: list: hello=1\.1\.0 \(then 1213\)")
    s.find(rf"pkgsvc: ready: 2 keys, {installed_before} installed, record of "
           rf"{0 if n == 1 else 2} names, 0 temporaries removed", "the service's start")
    s.find(r"pkgclient: mode 0", "the client's start")
    # One line each: another process's line may come between them.
    s.find(r"pkgsvc: trusts key 1: id 4c310f7a092e1c8d35a115817007c711\n", "the first key")
    s.find(r"pkgsvc: trusts key 2: id fe6069768b0ae4d5ed3f1f78a503b1ab\n", "the second key")
    s.find(r"pkgsvc: allows storage up to 1048576 bytes, console yes, entropy no, clocks 1\n",
           "the allowance")
    s.find(r'pkgsvc: allows 2 network entries: "tcp-connect 10\.0\.2\.2:8080, udp 0\.0\.0\.0:53"\n',
           "the network allowance")
    audit = []
    for file, c1, c2 in INSTALLS:
        c = c1 if n == 1 else c2
        if c == OK:
            pkg = pkgs[file]
            name, version = file[:-4].rsplit("-", 1)
            m = s.expect(rf"pkgclient: install {file} -> 0 \({name} {version}, payload (\d+)\)\n")
            s.check(int(m.group(1)) == len(fx.payload_of(pkg)), f"{file}: the payload length")
        else:
            s.expect(rf"pkgclient: install {file} -> {c}\n")
        audit.append(("install", f"staging/{file}", WORD[c], c))
    s.expect(r"pkgclient: list: hello=1\.1\.0 tool=2\.0\.0 \(then 1213\)")
    s.expect(r"pkgclient: uninstall tool -> 0\n")
    audit.append(("uninstall", "tool", "ok", 0))
    s.expect(rf"pkgclient: uninstall tool again -> {NOENT}\n")
    s.expect(rf"pkgclient: install tool-1.0.0.pkg -> {ROLLBACK}\n")
    audit.append(("install", "staging/tool-1.0.0.pkg", "rollback", ROLLBACK))
    payload = fx.payload_of(pkgs["hello-1.1.0.pkg"])
    s.expect(rf"pkgclient: read hello -> 0: {len(payload)} of {len(payload)} bytes, head "
             rf"0061736d, fnv1a {fx.fnv1a(payload):016x}\n")
    s.expect(rf"pkgclient: read tool -> {NOENT}: 0 of 0 bytes")
    s.expect(r"pkgclient: stage junk.pkg -> 0\n")
    s.expect(rf"pkgclient: install junk.pkg -> {MALFORMED}\n")
    audit.append(("install", "staging/junk.pkg", "malformed", MALFORMED))
    s.expect(r"pkgclient: unstage junk.pkg -> 0\n")
    s.expect(rf"pkgclient: stage \.\./versions -> {ARGUMENT}\n")
    s.expect(r"pkgclient: list: hello=1\.1\.0 \(then 1213\)")
    s.expect(r"pkgclient: done")
    s.expect_exit(0)
    # Every audit record was on the console too, with its reason.
    s.find(r"pkgsvc: audit install staging/hello-badsig.pkg bad-signature 1208 hello 1\.2\.0: "
           r"bad signature: ", "the bad signature's console line")
    s.find(r"pkgsvc: audit install staging/greedy-1.0.0.pkg not-allowed 1211 greedy 1\.0\.0: "
           r"storage quota 8388608 above 1048576", "the greedy package's console line")
    s.find(r"pkgsvc: audit install staging/listener-1.0.0.pkg not-allowed 1211 listener 1\.0\.0: "
           r"network tcp-listen 0\.0\.0\.0:80", "the listener's console line")
    s.find(r"pkgsvc: audit install staging/hello-unknown.pkg unknown-key 1207 hello 1\.2\.0: key id ",
           "the unknown key's console line")
    s.find(r"pkgsvc: audit install staging/huge.pkg oversized 1205: above the service's limit "
           r"of 2097152 bytes", "the size limit's console line")
    s.find(r"pkgsvc: audit install staging/hello-1.0.0.pkg rollback 1210 hello 1\.0\.0: highest "
           r"ever installed 1\.1\.0" if n == 1 else
           r"pkgsvc: audit install staging/hello-1.0.0.pkg rollback 1210 hello 1\.0\.0",
           "the rollback's console line")
    s.absent(r"PANIC|BAD", "a clean run")
    s.close()
    return audit


def boot3(args, image):
    s = args.session(devices=[f"blk:{image}"])
    s.start()
    s.expect(r"pkgclient: list: \(then 1213\)")
    s.find(r"pkgsvc: the version record is unreadable \(version record unreadable: installs "
           r"refused, offset 0, store 0\): installs refused", "the unreadable record")
    s.find(r"pkgsvc: installed/hello does not verify \(digest-mismatch: payload digest "
           r"mismatch\): not offered", "the tampered package")
    s.find(r"pkgsvc: ready: 2 keys, 0 installed, record of 0 names \(unreadable\)", "the start")
    for file, _, _ in INSTALLS:
        s.expect(rf"pkgclient: install {file} -> {RECORD}\n")
    s.expect(rf"pkgclient: uninstall tool -> {NOENT}\n")
    s.expect(rf"pkgclient: install tool-1.0.0.pkg -> {RECORD}\n")
    s.expect(rf"pkgclient: read hello -> {NOENT}: 0 of 0 bytes")
    s.expect(rf"pkgclient: install junk.pkg -> {RECORD}\n")
    s.expect(r"pkgclient: list: \(then 1213\)")
    s.expect(r"pkgclient: done")
    s.expect_exit(0)
    s.close()


def boot4(args, image):
    s = args.session(devices=[f"blk:{image}"])
    s.start()
    s.expect(r"pkgclient: list: hello=1\.1\.0 \(then 1213\)")
    s.find(r"pkgsvc: ready: 2 keys, 1 installed, record of 2 names, 0 temporaries removed",
           "the start")
    for file, _, c in INSTALLS:
        s.expect(rf"pkgclient: install {file} -> {STORE if file == 'tool-2.0.0.pkg' else c}\n")
    s.expect(r"pkgclient: list: hello=1\.1\.0 \(then 1213\)")
    s.expect(rf"pkgclient: uninstall tool -> {NOENT}\n")
    s.expect(rf"pkgclient: install tool-1.0.0.pkg -> {ROLLBACK}\n")
    s.expect(r"pkgclient: read hello -> 0: 150000 of 150000 bytes")
    s.expect(r"pkgclient: done")
    s.expect_exit(0)
    s.close()


def audit_tuples(text):
    out = []
    for line in text.decode().splitlines():
        head = line.split(": ", 1)[0].split()
        out.append((head[0], head[1], head[2], int(head[3])))
    return out


def check_image(image, n, pkgs, keys, staged, audit_expected, fail):
    r = fx.store("check", image)
    if r.returncode != 0:
        fail(f"anvaya-store check: {r.stdout.decode(errors='replace')}")
    files = fx.snapshot(image)
    for name, data in staged.items():
        if files.get(f"pkg/staging/{name}") != data:
            fail(f"staging/{name} changed")
    extra = sorted(p for p in files if p.startswith("pkg/staging/") and
                   p[len("pkg/staging/"):] not in staged)
    if extra:
        fail(f"staging holds files nobody staged: {extra}")
    inst = sorted(p for p in files if p.startswith("pkg/installed/"))
    if inst != ["pkg/installed/hello"]:
        fail(f"installed/ holds {inst}, expected only hello")
    if files["pkg/installed/hello"] != pkgs["hello-1.1.0.pkg"]:
        fail("installed/hello is not hello-1.1.0.pkg byte for byte")
    path = os.path.join(os.path.dirname(image), "installed-hello.pkg")
    with open(path, "wb") as f:
        f.write(files["pkg/installed/hello"])
    want = "".join(f"{nm} {v} {hashlib.sha512(fx.signed_part(pkgs[f])).hexdigest()}\n"
                   for nm, v, f in
                   [("hello", "1.1.0", "hello-1.1.0.pkg"), ("tool", "2.0.0", "tool-2.0.0.pkg")])
    if files.get("pkg/versions", b"").decode() != want:
        fail(f"the version record is {files.get('pkg/versions')!r}, expected {want!r}")
    got = audit_tuples(files.get("pkg/audit.log", b""))
    if got != audit_expected:
        fail(f"the audit file holds {got}\nexpected {audit_expected}")
    others = sorted(set(files) - {f"pkg/staging/{x}" for x in staged} -
                    {"pkg/installed/hello", "pkg/versions", "pkg/audit.log"})
    if others:
        fail(f"files nobody expected: {others}")
    return files


def scenario(args):
    def fail(msg):
        raise ScenarioFailure(msg)

    with tempfile.TemporaryDirectory() as tmp:
        keys, pkgs, tree = make_staging(tmp)
        image = os.path.join(tmp, "disk.img")
        r = fx.store("mkfs", image, "--size", "16M", "--from", tree)
        if r.returncode != 0:
            fail(f"mkfs: {r.stdout!r}")
        before = fx.snapshot(image)
        audit1 = boot(args, image, 1, pkgs)
        after1 = check_image(image, 1, pkgs, keys, pkgs, audit1, fail)
        if any(before[p] != after1.get(p) for p in before):
            fail("a preloaded file changed in boot 1")
        audit2 = boot(args, image, 2, pkgs)
        after2 = check_image(image, 2, pkgs, keys, pkgs, audit1 + audit2, fail)
        # Boot 2 did nothing that stays: every file as it was, the audit file only longer.
        for p in set(after1) | set(after2):
            if p == "pkg/audit.log":
                continue
            if after1.get(p) != after2.get(p):
                fail(f"{p} differs after the second boot, whose installs were all refused or undone")
        log1, log2 = after1["pkg/audit.log"], after2["pkg/audit.log"]
        if not log2.startswith(log1) or len(log2) <= len(log1):
            fail("the audit file was not only appended to")
        # Boot 3: the disk changed behind the service's back: installed/hello with a payload
        # byte flipped, the version record replaced by garbage. Nothing is offered that does
        # not verify, every install is refused while the record is unreadable, nothing is
        # deleted or rewritten on suspicion.
        tampered = bytearray(after2["pkg/installed/hello"])
        tampered[-7] ^= 0x40
        for path, data in (("pkg/installed/hello", bytes(tampered)),
                           ("pkg/versions", b"hello 9.9.9 not-a-digest\n")):
            local = os.path.join(tmp, "put.bin")
            with open(local, "wb") as f:
                f.write(data)
            r = fx.store("put", image, path, local)
            if r.returncode != 0:
                fail(f"anvaya-store put {path}: {r.stdout!r} {r.stderr!r}")
        before3 = fx.snapshot(image)
        boot3(args, image)
        after3 = fx.snapshot(image)
        r = fx.store("check", image)
        if r.returncode != 0:
            fail(f"anvaya-store check after boot 3: {r.stdout!r}")
        for p in set(before3) | set(after3):
            if p != "pkg/audit.log" and before3.get(p) != after3.get(p):
                fail(f"{p} changed in boot 3, where every install was refused")
        got = audit_tuples(after3["pkg/audit.log"][len(before3["pkg/audit.log"]):])
        want = ([("install", f"staging/{f}", "record", RECORD) for f, _, _ in INSTALLS] +
                [("install", "staging/tool-1.0.0.pkg", "record", RECORD),
                 ("install", "staging/junk.pkg", "record", RECORD)])
        if got != want:
            fail(f"boot 3's audit lines are {got}\nexpected {want}")
        # Boot 4: the good record and package back, and a byte quota on the service's
        # subtree that leaves room for the audit lines and the record but not for tool's
        # package: its install fails in the file store after the checks passed. The
        # temporary file goes, nothing is installed, the store stays consistent.
        for path in ("pkg/installed/hello", "pkg/versions"):
            local = os.path.join(tmp, "put.bin")
            with open(local, "wb") as f:
                f.write(after2[path])
            r = fx.store("put", image, path, local)
            if r.returncode != 0:
                fail(f"anvaya-store put {path}: {r.stdout!r} {r.stderr!r}")
        used = sum(len(v) for v in fx.snapshot(image).values())
        boot2_audit = len(log2) - len(log1)
        quota = used + boot2_audit + 3000
        if len(pkgs["tool-2.0.0.pkg"]) < 3000 + 1000:
            fail("tool's package is too small for the quota test")
        r = fx.store("quota", image, "pkg", str(quota), "-")
        if r.returncode != 0:
            fail(f"anvaya-store quota: {r.stdout!r} {r.stderr!r}")
        boot4(args, image)
        r = fx.store("check", image)
        if r.returncode != 0:
            fail(f"anvaya-store check after boot 4: {r.stdout!r}")
        after4 = fx.snapshot(image)
        if sorted(p for p in after4 if p.startswith("pkg/installed/")) != ["pkg/installed/hello"]:
            fail(f"boot 4 left {sorted(p for p in after4 if p.startswith('pkg/installed/'))}")
        if after4["pkg/installed/hello"] != pkgs["hello-1.1.0.pkg"] or \
                after4["pkg/versions"] != after2["pkg/versions"]:
            fail("boot 4 changed the installed package or the record")
        if b"install staging/tool-2.0.0.pkg store 1203 tool 2.0.0: package: the file store " \
                b"answered 613" not in after4["pkg/audit.log"]:
            fail("boot 4's failed install has no audit line naming the quota (613)")
        # The first key leaves the trust store: the same disk under pkgcrash.system, which
        # trusts only the second key, offers nothing signed by the first (hello), though the
        # record still holds hello's version. Its client loops; only the start is looked at.
        revoked = os.path.join(tmp, "revoked.img")
        shutil.copyfile(image, revoked)
        s5 = Session(args.extra[0], timeout=args.timeout, devices=[f"blk:{revoked}"])
        try:
            s5.start()
            s5.expect(r"pkgsvc: installed/hello does not verify \(unknown-key: key id "
                      r"4c310f7a092e1c8d35a115817007c711\): not offered")
            s5.expect(r"pkgsvc: ready: 1 keys, 0 installed, record of 2 names, "
                      r"0 temporaries removed")
        except ScenarioFailure as e:
            fail(f"the boot without the first key: {e}\n{s5.tail()}")
        finally:
            s5.close()
        print(f"pkg test: {len(INSTALLS) + 2} installs a boot, "
              f"{len(audit1) + len(audit2) + len(got)} audit records, the image checked after "
              "each of four boots (the third with a tampered package and record, the fourth with a "
              "quota the last install does not fit in)")


if __name__ == "__main__":
    sys.exit(run_scenario(scenario))
