#!/usr/bin/env python3
"""init acts only on what it holds, not on what its table says. The default system is
booted twice with init's capability over crashy edited in the image: narrowed from `w`
to `r`, then pointed at an endpoint instead of crashy's thread. Both images are valid (the
kernel loads them); init checks each control capability with cap.identify, refuses to
manage crashy, and crashy never runs. Everything else runs as usual, and the status init
reports for crashy is the truth: stopped, never restarted."""
import json
import os
import re
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools"))
sys.path.insert(0, os.path.dirname(__file__))
from corrupt_image import BootImage  # noqa: E402
from qemu_harness import run_scenario  # noqa: E402

ANV_RIGHT_READ = 1


def init_slot(manifest, name):
    init = next(i for i in manifest["instances"] if i["name"] == "init")
    return next(s["slot"] for s in init["slots"] if s["name"] == name)


def slot_record(img, process, slot):
    for i in range(img.table(2)[1]):
        if img.get("slot", i, "process") == process and img.get("slot", i, "slot") == slot:
            return i
    raise LookupError(f"no slot {slot} of process {process} in the manifest")


def boot_without_crashy(args, image, services, what):
    args.image = image
    s = args.session()
    s.start()
    s.expect(rf"^init: supervising {services} services", what=what)
    s.expect(r"^init: crashy stopped -> stopped \(not managed: no control capability\)$",
             what=f"{what}: init refuses to manage crashy")
    s.expect(r"^app: crashy is stopped after 0 restarts \(err 0\)$",
             what=f"{what}: status says what happened")
    s.expect(r"^app: done, shutting down$")
    s.expect_exit(0)
    s.absent(r"crashy stopped -> running|^cspace crashy:|crashy: run", f"{what}: crashy never ran")
    for svc in ("console", "stats", "sensor", "app"):
        s.find(rf"^init: {svc} stopped -> running \(start\)$", f"{what}: {svc} started")
    s.absent(r"PANIC|invariant violated", "no panic")


def scenario(args):
    kernel_elf, cspace_json = args.extra
    with open(cspace_json, encoding="utf-8") as f:
        manifest = json.load(f)
    services = len(manifest["instances"]) - 1
    control = init_slot(manifest, "control_crashy")
    registry = init_slot(manifest, "registry_stats.stats")

    def narrow(img):
        img.set("slot", slot_record(img, 0, control), "rights", ANV_RIGHT_READ)

    def swap(img):
        endpoint = img.get("slot", slot_record(img, 0, registry), "object")
        img.set("slot", slot_record(img, 0, control), "object", endpoint)

    # init is process 0: the generator puts the supervisor first.
    with tempfile.TemporaryDirectory() as tmp:
        for name, edit, what in (("narrowed", narrow, "control over crashy narrowed to r"),
                                 ("swapped", swap, "control slot holding an endpoint")):
            img = BootImage(args.image, kernel_elf)
            edit(img)
            img.seal()
            path = os.path.join(tmp, name + ".img")
            img.save(path)
            boot_without_crashy(args, path, services, what)
            print(f"ok   {what}")


if __name__ == "__main__":
    sys.exit(run_scenario(scenario))
