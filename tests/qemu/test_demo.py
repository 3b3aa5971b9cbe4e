#!/usr/bin/env python3
"""The default system (idl/systems/demo.system), booted as the run command boots it, and
checked for what it did:
- every process reads its capabilities back with cap.identify, and they are exactly what
  the generated CSpace manifest (demo.cspace.json) says, on every run of every process;
- init starts the services servers-first and logs every transition in one format;
- the sensor's batches cross the shared dataport, signalled by events both ways;
- the app resolves stats.stats through init's registry and gets exactly `w` with its
  badge; an unknown name is refused;
- every parameter kind of the Stats interface carries the right values;
- the sensor faults once on purpose and init restarts it; crashy faults every time (writing
  its code, running its data, touching an unmapped page: W^X seen from inside) and is
  declared failed at its limit of 2; the app's requested restart of stats revokes the
  endpoint it held and leaves a fresh, empty service; the app may not stop the sensor;
- the console, a user-mode UART driver, wrote every other line, one transmit interrupt per
  16 bytes;
- the system shuts down cleanly."""
import json
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools"))
from qemu_harness import run_scenario  # noqa: E402

BATCHES, PER_BATCH = 3, 16
ANV_E_STALE_HANDLE = 3
ANV_SM_E_NOT_FOUND, ANV_SM_E_DENIED = 64, 65
STATS_E_EMPTY, STATS_E_RANGE = 100, 101
TRANSITION = re.compile(r"^init: (\w+) (stopped|running|failed) -> (stopped|running|failed) \((.*)\)$",
                        re.M)


def sample(seq, i):
    return ((seq - 1) * PER_BATCH + i) * 7 % 50 - 10


def fnv1a(data):
    h = 2166136261
    for b in data:
        h = ((h ^ b) * 16777619) & 0xFFFFFFFF
    return h


def expected_caps(manifest):
    """instance -> {slot: 'TYPE:rights[:badge]'} from the generated CSpace manifest."""
    out = {}
    for inst in manifest["instances"]:
        caps = {}
        for s in inst["slots"]:
            item = f"{s['type']}:{s['rights']}"
            if int(s["badge"], 16):
                item += f":{s['badge']}"
            caps[s["slot"]] = item
        out[inst["name"]] = caps
    return out


def reported_caps(log):
    """instance -> [one {slot: item} per report]; a report restarts at slot 1."""
    reports = {}
    for m in re.finditer(r"^cspace (\w+): (.*)$", log, re.M):
        items = dict(x.split("=", 1) for x in m.group(2).split())
        slots = {int(k): v for k, v in items.items()}
        runs = reports.setdefault(m.group(1), [])
        if 1 in slots or not runs:
            runs.append({})
        runs[-1].update(slots)
    return reports


def check_loader_caps(s, cspace_json):
    """Every process of a system booted with anvaya.report=cspace holds, on every report,
    exactly what its generated CSpace manifest says, and no other process reports; the
    manifest's {instance: caps}."""
    with open(cspace_json, encoding="utf-8") as f:
        want = expected_caps(json.load(f))
    got = reported_caps(s.log)
    for inst, caps in want.items():
        runs = got.get(inst)
        s.check(runs, f"the loader reported {inst}'s capabilities")
        for run in runs:
            s.check(run == caps, f"{inst} holds exactly its manifest's capabilities:\n"
                                 f"  reported {run}\n  manifest {caps}")
    s.check(set(got) == set(want), f"reports for exactly the manifest's processes: {sorted(got)}")
    return want


def scenario(args):
    cspace_json = args.extra[0]
    with open(cspace_json, encoding="utf-8") as f:
        manifest = json.load(f)
    s = args.session()
    s.start()
    n = len(manifest["instances"])
    s.expect(rf"loader: {n} processes, \d+ objects, \d+ slots, \d+ mappings, {n} threads")
    s.expect(rf"init: supervising {n - 1} services, registry capacity 16")
    s.expect(r"app: done, shutting down")
    s.expect_exit(0)
    log = s.log

    # What each process holds is exactly its generated CSpace manifest, on every run.
    want = expected_caps(manifest)
    got = reported_caps(log)
    s.check(sorted(got) == sorted(want), f"every process reported its CSpace ({sorted(got)})")
    runs = {name: len(r) for name, r in got.items()}
    for name, reports in got.items():
        for k, caps in enumerate(reports):
            s.check(caps == want[name], f"{name} run {k}: CSpace {caps} == manifest {want[name]}")
    # Components added to the system (the README's tutorial) run once; the demo's own as
    # its faults and restarts make them.
    demo_runs = {"init": 1, "console": 1, "stats": 2, "sensor": 2, "app": 1, "crashy": 3}
    s.check(runs == {**{name: 1 for name in runs}, **demo_runs},
            f"one CSpace report per run of each process ({runs})")

    # Start order: servers before their clients; every transition in one format.
    transitions = TRANSITION.findall(log)
    starts = [t[0] for t in transitions if t[3] == "start"]
    demo_starts = [name for name in starts if name in demo_runs]
    s.check(demo_starts == ["console", "stats", "sensor", "app", "crashy"] and
            sorted(starts) == sorted(name for name in want if name != "init"),
            f"start order {starts}")
    s.check(all(t[1] == "stopped" and t[2] == "running" for t in transitions if t[3] == "start"),
            "every start goes stopped -> running")

    # Dataport and events: three batches with the values the sensor computes.
    for seq in range(1, BATCHES + 1):
        total = sum(sample(seq, i) for i in range(PER_BATCH))
        s.check(re.search(rf"^app: batch {seq}: 16 samples, sum {total}, recorded 16 \(err 0\)$",
                          log, re.M), f"batch {seq} arrived whole (sum {total})")
    values = [sample(q, i) for q in range(1, BATCHES + 1) for i in range(PER_BATCH)]
    s.check(re.search(rf"^app: summary after 3 batches: count 48, sum {sum(values)}, "
                      rf"min {min(values)}, max {max(values)}, clipped 0 \(err 0\)$", log, re.M),
            "summary of the 48 samples (struct out)")

    # Registry: exactly w, with the badge of app's route; unknown names refused.
    m = re.search(r"^app: resolved stats.stats: slot (\d+), type (\d+), rights 0x(\w+), "
                  r"badge 0x(\w+) \(err 0\)$", log, re.M)
    s.check(m and m.group(2) == "3" and m.group(3) == "2" and m.group(4) == "1",
            "the resolved endpoint is an endpoint with w only, badge 0x1")
    s.check(re.search(r"^init: registry app resolved stats.stats \(-w--, badge 0x1\)$", log, re.M),
            "init logged the resolution")
    s.check(re.search(rf"^app: resolving console.log: error {ANV_SM_E_NOT_FOUND} ", log, re.M),
            "an unknown name is refused")
    s.check(re.search(r"^init: registry app refused console.log \(no such entry\)$", log, re.M),
            "init logged the refusal")

    # Every parameter kind.
    s.check(re.search(rf"^app: record 3 kilo \(err 0\), -2500 milli \(err 0\), max kilo \(err "
                      rf"{STATS_E_RANGE}\)$", log, re.M), "ints and enums; a range error comes back")
    s.check(re.search(r"^app: scale 1234 by 150% rounding up = 1851 \(err 0\)$", log, re.M),
            "inout i64, u16 and bool")
    s.check(re.search(rf"^app: label 'sensor-3' stored as 'SENSOR-3', checksum "
                      rf"0x{fnv1a(b'sensor-3'):08x} \(err 0\)$", log, re.M), "bytes in and out")
    final = values + [3000, -2]
    s.check(re.search(rf"^app: summary final: count 50, sum {sum(final)}, min {min(final)}, "
                      rf"max {max(final)}, clipped 0 \(err 0\)$", log, re.M), "final summary")

    # A fault on purpose and a restart: the sensor carries on from batch 2.
    s.check(re.search(r"^init: sensor running -> stopped \(fault: store page fault at 0x8, pc 0x\w+\)$",
                      log, re.M), "init saw the sensor's fault")
    s.check(re.search(r"^init: sensor stopped -> running \(restart 1 of 1\)$", log, re.M),
            "init restarted the sensor")
    s.check(re.search(r"^sensor: run 1, 1 of 3 batches already published$", log, re.M),
            "the restarted sensor resumed from the shared buffer")

    # The restart limit: crashy runs 3 times, then it is failed. Its runs also show W^X
    # from inside: a store to its own code and a jump into its own data both fault, at
    # exactly the addresses it names.
    crashy = [t for t in transitions if t[0] == "crashy"]
    reasons = [t[3] for t in crashy]
    s.check([r for r in reasons if not r.startswith("fault: ")] ==
            ["start", "restart 1 of 2", "restart 2 of 2", "restart limit 2 reached"] and
            len(reasons) == 7, f"crashy: start, 2 restarts, then failed ({reasons})")
    s.check(crashy[-1][1:3] == ("stopped", "failed"), "crashy ends failed")
    faults = reasons[1::2]
    code = s.find(r"^warning: crashy: run 0, writing to my code at (0x\w+)$").group(1)
    s.check(faults[0].startswith(f"fault: store page fault at {code}, "),
            f"a store to the text segment faults ({faults[0]})")
    data = s.find(r"^warning: crashy: run 1, running my data at (0x\w+)$").group(1)
    s.check(faults[1] == f"fault: instruction page fault at {data}, pc {data}",
            f"a jump into the data segment faults ({faults[1]})")
    s.check(re.search(r"^warning: crashy: run 2, touching unmapped page 0x8$", log, re.M) and
            faults[2].startswith("fault: store page fault at 0x8, "),
            f"a store to an unmapped page faults ({faults[2]})")
    s.check(not re.search(r"crashy: run \d+ was not stopped", log), "no fault went unnoticed")
    s.check(re.search(r"^app: crashy is failed after 2 restarts \(err 0\)$", log, re.M),
            "status reports crashy failed")

    # A requested restart revokes the old endpoint and starts an empty service.
    s.check(re.search(r"^init: stats running -> stopped \(restart requested by app\)$", log, re.M)
            and re.search(r"^init: stats stopped -> running \(restart requested by app\)$", log, re.M),
            "init restarted stats on request")
    s.check(re.search(rf"^app: the old stats handle now fails with error {ANV_E_STALE_HANDLE}$",
                      log, re.M), "the revoked handle no longer works (its slot was emptied)")
    s.check(re.search(rf"^app: summary after the restart: error {STATS_E_EMPTY} \(empty\)$", log, re.M),
            "the restarted stats starts empty")
    s.check(re.findall(r"^stats: serving \(run (\d+)\)$", log, re.M) == ["0", "1"],
            "stats ran twice and its second run knew it")
    s.check(re.search(rf"^app: asking init to stop sensor: error {ANV_SM_E_DENIED} ", log, re.M) and
            re.search(r"^init: request app stop sensor -> refused \(not declared for this client\)$",
                      log, re.M), "app may not stop a service it does not manage")

    # The console driver: every line after init began, except init's own (the kernel
    # console), went through it; its counters match them to the byte, and it waited for
    # the UART's transmit interrupt each time its 16-byte FIFO was full, never polling.
    m = s.find(r"^app: the console wrote (\d+) lines, (\d+) bytes, waiting for (\d+) transmit "
               r"interrupts and (\d+) polls \(err 0\)$")
    begun = log.index("\n", log.index("init: supervising")) + 1
    served = [line for line in log[begun:m.start()].split("\n")[:-1]
              if not line.startswith("init: ")]
    lines, octets, interrupts, polls = (int(g) for g in m.groups())
    s.check((lines, octets) == (len(served), sum(len(x) + 2 for x in served)),
            f"console counted {lines} lines, {octets} bytes; the log has {len(served)} lines, "
            f"{sum(len(x) + 2 for x in served)} bytes (with CR LF)")
    s.check(polls == 0 and interrupts == (octets + 15) // 16,
            f"one transmit interrupt per 16 bytes ({interrupts} for {octets}, {polls} polls)")
    s.absent(r"PANIC|invariant violated", "no panic")


if __name__ == "__main__":
    sys.exit(run_scenario(scenario))
