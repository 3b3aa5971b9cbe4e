#!/usr/bin/python3
"""lib/crypto benchmark (figures, not a test): instructions per Ed25519 verification and per
byte of SHA-512, on the host with callgrind and on rv64 under qemu-riscv64.

Each figure is a difference of two runs of the same program that differ only in the number
of operations, so start-up and the fixed set-up cancel out. rv64: the static programs built
as lib/crypto/crypto_bench_rv64_* run under `qemu-riscv64 -singlestep -d nochain,exec`, which
logs one line per executed instruction (one instruction per translation block, no chaining);
the lines are counted as they stream. Host: `valgrind --tool=callgrind` total Ir.

Usage: bench.py BUILD_DIR      (e.g. lib/crypto/bench/bench.py build)
"""
import os
import re
import subprocess
import sys
import tempfile


def qemu_count(binary):
    """Instructions executed by a static rv64 Linux-user program."""
    # The CPU named with the extensions the guest build uses (lib/crypto/meson.build).
    proc = subprocess.Popen(['qemu-riscv64', '-cpu', 'rv64,zba=true,zbb=true,zbc=true,zbs=true',
                             '-singlestep', '-d', 'nochain,exec', '-D',
                             '/dev/stdout', binary], stdout=subprocess.PIPE)
    n = 0
    for line in proc.stdout:
        if line.startswith(b'Trace'):
            n += 1
    if proc.wait() != 0:
        sys.exit('%s failed' % binary)
    return n


CALIBRATION = '''
    .globl _start
_start:
    li t0, 1000
1:  addi t0, t0, -1
    bnez t0, 1b
    li a0, 0
    li a7, 93
    ecall
'''


def calibrate():
    """The counting method on a program of exactly 2,004 instructions."""
    with tempfile.TemporaryDirectory() as d:
        src, exe = os.path.join(d, 'loop.S'), os.path.join(d, 'loop')
        with open(src, 'w') as f:
            f.write(CALIBRATION)
        subprocess.run(['riscv64-unknown-elf-gcc', '-march=rv64imac', '-mabi=lp64', '-nostdlib',
                        '-static', '-Wl,--no-warn-rwx-segments', src, '-o', exe], check=True)
        n = qemu_count(exe)
    if n != 2004:
        sys.exit('qemu instruction counting is off: %d instead of 2004' % n)
    print('rv64 counting checked: a 2,004-instruction program counts %d' % n)


def callgrind_count(args):
    out = subprocess.run(['valgrind', '--tool=callgrind', '--callgrind-out-file=/dev/null'] + args,
                         capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit('%s failed: %s' % (args, out.stderr))
    m = re.search(r'Collected : (\d+)', out.stderr)
    if not m:
        sys.exit('no callgrind total in: %s' % out.stderr)
    return int(m.group(1))


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    d = os.path.join(sys.argv[1], 'lib', 'crypto')
    host = os.path.join(d, 'crypto_bench_host')
    v = (callgrind_count([host, 'verify', '20']) - callgrind_count([host, 'verify', '0'])) / 20
    p = (callgrind_count([host, 'prepared', '20']) - callgrind_count([host, 'prepared', '0'])) / 20
    s = (callgrind_count([host, 'sha512', '1048576']) - callgrind_count([host, 'sha512', '0'])) / 1048576
    print('host (x86-64, callgrind Ir): %.0f instructions per verification with a public key, '
          '%.0f with a prepared key, %.2f per byte of SHA-512' % (v, p, s))
    calibrate()
    rv = os.path.join(d, 'crypto_bench_rv64_')
    v = (qemu_count(rv + 'verify_4') - qemu_count(rv + 'verify_0')) / 4
    p = (qemu_count(rv + 'prepared_4') - qemu_count(rv + 'prepared_0')) / 4
    s = (qemu_count(rv + 'sha512_65536') - qemu_count(rv + 'sha512_0')) / 65536
    print('rv64imac_zba_zbb_zbs (qemu-riscv64, executed instructions): %.0f per verification '
          'with a public key, %.0f with a prepared key (target 500000), %.2f per byte of SHA-512 (target 30)'
          % (v, p, s))


if __name__ == '__main__':
    main()
