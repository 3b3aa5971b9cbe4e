#!/usr/bin/env python3
"""Device interrupts reach user space: a user-mode UART driver (components/kecho) holds
the UART's MMIO page and an IRQ handler capability from the system description. The
harness types a line on the console; each character raises the UART's interrupt, which
the kernel claims at the PLIC and turns into a notification signal; the driver drains
the UART, acknowledges with irq.ack and, at the newline, echoes the line and shuts down."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools"))
from qemu_harness import run_scenario  # noqa: E402

LINE = "capabilities all the way down"


def scenario(args):
    s = args.session()
    s.start()
    s.expect(r"loader: 1 processes, \d+ objects, \d+ slots, 3 mappings, 1 threads")
    s.expect(r"kecho: ready")
    s.send(LINE + "\n")
    m = s.expect(r"kecho: got '([^']*)' after (\d+) interrupts")
    s.check(m.group(1) == LINE, "the line came back whole (%r)" % m.group(1))
    # How many characters each interrupt finds depends on host timing; at least one came.
    s.check(int(m.group(2)) >= 1, "the driver was woken by the interrupt")
    s.absent(r"irq\.ack failed|PANIC")
    s.expect(r"system: shutdown\n")
    s.expect_exit(0)


if __name__ == "__main__":
    sys.exit(run_scenario(scenario))
