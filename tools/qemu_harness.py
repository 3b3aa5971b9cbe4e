#!/usr/bin/env python3
"""Reusable QEMU test harness: boot an image on the platform's machine, wait for console
patterns, send input, enforce a time limit, collect the log, check the exit status.

Scenario scripts import it:

    from qemu_harness import Session
    with Session(image, timeout=30) as s:
        m = s.expect(r"usable\\s+(\\d+) KiB")
        s.check(int(m.group(1)) > 0, "usable memory reported")
        s.expect_exit(0)

On any failure it raises ScenarioFailure with what was expected, and the command-line
entry prints the tail of the console log before exiting non-zero."""
import ctypes
import os
import re
import select
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import qemu_machine  # noqa: E402

TAIL_LINES = 40


class ScenarioFailure(Exception):
    pass


# Looked up once here, not in the child: between fork and exec of a test that runs threads
# (the network tests' servers) the child must not load libraries or import anything.
_prctl = ctypes.CDLL(None, use_errno=True).prctl
_PR_SET_PDEATHSIG = 1


def _die_with_parent():
    """In the QEMU child before exec: the kernel kills it if the test process dies, even
    by SIGKILL or a meson timeout, so no machine outlives its test."""
    _prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL))


class Session:
    def __init__(self, image, timeout=60, platform=None, drives=(), netdevs=(), append=None,
                 extra_machine_opts=(), icount=False, log_path=None, dtb=None, devices=(),
                 legacy_virtio=False, monitor=None):
        self.image = image
        self.timeout = timeout
        self.platform = qemu_machine.load_platform(platform or qemu_machine.DEFAULT_PLATFORM)
        argv = qemu_machine.qemu_argv(self.platform, kernel=image, drives=drives,
                                      netdevs=netdevs, extra_machine_opts=extra_machine_opts,
                                      icount=icount, devices=devices,
                                      legacy_virtio=legacy_virtio)
        if append is not None:
            argv += ["-append", append]
        if dtb is not None:
            argv += ["-dtb", dtb]
        self.monitor_path = monitor
        if monitor is not None:
            # The human monitor on a socket of its own, so the serial stays the console.
            at = argv.index("-monitor")
            argv[at + 1] = f"unix:{monitor},server,nowait"
        self.argv = argv
        self.log = ""
        self._pos = 0  # where the next expect() starts searching
        self.log_path = log_path
        self.proc = None
        self.deadline = None
        self.exit_status = None

    # -- lifecycle ---------------------------------------------------------------------
    def __enter__(self):
        self.start()
        return self

    def __exit__(self, exc_type, exc, tb):
        self.close()
        if exc_type is not None and issubclass(exc_type, ScenarioFailure):
            return False
        return False

    def start(self):
        self.deadline = time.monotonic() + self.timeout
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, bufsize=0,
                                     preexec_fn=_die_with_parent)

    def close(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self.log_path:
            with open(self.log_path, "w", encoding="utf-8", errors="replace") as f:
                f.write(self.log)

    def monitor(self, *commands, timeout=10):
        """Run QEMU human-monitor commands (the session needs monitor=PATH) and return
        each one's output, the echo and the prompt taken off."""
        import socket
        if self.monitor_path is None:
            self.fail("monitor: the session was started without monitor=PATH")
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        try:
            sock.connect(self.monitor_path)

            def until_prompt():
                got = b""
                while not got.endswith(b"(qemu) "):
                    chunk = sock.recv(65536)
                    if not chunk:
                        self.fail("monitor: QEMU closed the monitor socket")
                    got += chunk
                return got.decode(errors="replace")

            until_prompt()  # the banner
            outputs = []
            for cmd in commands:
                sock.sendall(cmd.encode() + b"\n")
                text = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", until_prompt())
                lines = text.replace("\r", "").split("\n")
                # The first line is the command's echo (redrawn as typed), the last the prompt.
                outputs.append("\n".join(lines[1:-1]))
            return outputs
        except OSError as e:
            self.fail(f"monitor: {e}")
        finally:
            sock.close()

    # -- I/O ---------------------------------------------------------------------------
    def _read_some(self, until):
        """Read whatever QEMU printed, waiting at most until `until`. False at EOF."""
        remaining = max(0.0, until - time.monotonic())
        ready, _, _ = select.select([self.proc.stdout], [], [], min(remaining, 0.5))
        if not ready:
            return True
        data = os.read(self.proc.stdout.fileno(), 65536)
        if not data:
            return False
        self.log += data.decode("utf-8", errors="replace").replace("\r", "")
        return True

    def read_for(self, seconds):
        """Collect whatever QEMU prints for `seconds`, or until it exits."""
        until = time.monotonic() + seconds
        while time.monotonic() < until and self._read_some(until):
            pass

    def kill(self):
        """SIGKILL QEMU now, as a power cut stops a machine, then collect what it had
        printed before."""
        self.proc.kill()
        self.proc.wait()
        while self._read_some(time.monotonic() + 1):
            pass

    def expect(self, pattern, timeout=None, what=None):
        """Wait for a regex in the console output after the previous match; return the
        match. Fails on timeout or if QEMU exits first."""
        rx = re.compile(pattern, re.MULTILINE)
        until = self._until(timeout)
        while True:
            m = rx.search(self.log, self._pos)
            if m:
                self._pos = m.end()
                return m
            if time.monotonic() >= until:
                self.fail(f"timed out waiting for {what or repr(pattern)}")
            if not self._read_some(until):
                m = rx.search(self.log, self._pos)
                if m:
                    self._pos = m.end()
                    return m
                self.proc.wait()
                self.fail(f"QEMU exited (status {self.proc.returncode}) before "
                          f"{what or repr(pattern)} appeared")

    def expect_all(self, patterns):
        return [self.expect(p) for p in patterns]

    def send(self, text):
        self.proc.stdin.write(text.encode())
        self.proc.stdin.flush()

    def expect_exit(self, status, timeout=None):
        """Wait for QEMU to exit by itself and check its exit status."""
        until = self._until(timeout)
        while self._read_some(until):  # until EOF: QEMU closed its output
            if time.monotonic() >= until:
                self.fail(f"timed out waiting for QEMU to exit with status {status}")
        try:
            self.proc.wait(timeout=max(0.5, until - time.monotonic()))
        except subprocess.TimeoutExpired:
            self.fail(f"timed out waiting for QEMU to exit with status {status}")
        self.exit_status = self.proc.returncode
        if self.exit_status != status:
            self.fail(f"QEMU exit status {self.exit_status}, expected {status}")
        return self.exit_status

    def check(self, condition, what):
        if not condition:
            self.fail(f"check failed: {what}")

    def find(self, pattern, what=None):
        """The log so far must contain the pattern (anywhere, in any order); return the
        first match."""
        m = re.search(pattern, self.log, re.MULTILINE)
        if not m:
            self.fail(f"missing output: {what or repr(pattern)}")
        return m

    def absent(self, pattern, what=None):
        """The whole log so far must not contain the pattern."""
        if re.search(pattern, self.log, re.MULTILINE):
            self.fail(f"unexpected output: {what or repr(pattern)}")

    # -- helpers -----------------------------------------------------------------------
    def _until(self, timeout):
        until = self.deadline
        if timeout is not None:
            until = min(until, time.monotonic() + timeout)
        return until

    def tail(self, n=TAIL_LINES):
        return "\n".join(self.log.splitlines()[-n:])

    def fail(self, message):
        raise ScenarioFailure(message)


def run_scenario(func, argv=None):
    """Entry point for scenario scripts: parse --image/--timeout, run func(args), and on
    failure print the expectation that failed and the tail of the console log."""
    import argparse
    ap = argparse.ArgumentParser()
    ap.add_argument("--image", required=True)
    ap.add_argument("--timeout", type=int, default=60)
    ap.add_argument("--log", help="write the whole console log here")
    ap.add_argument("--workdir", default=os.environ.get("MESON_BUILD_ROOT", "."))
    ap.add_argument("extra", nargs="*")
    args = ap.parse_args(argv)
    sessions = []

    def session(**kw):
        kw.setdefault("timeout", args.timeout)
        kw.setdefault("log_path", args.log)
        s = Session(args.image, **kw)
        sessions.append(s)
        return s

    args.session = session
    try:
        func(args)
    except ScenarioFailure as e:
        print(f"FAIL: {e}")
        for s in sessions:
            print(f"--- QEMU: {' '.join(s.argv)}")
            print(f"--- last {TAIL_LINES} console lines ---")
            print(s.tail())
        return 1
    finally:
        for s in sessions:
            s.close()
    print("PASS")
    return 0
