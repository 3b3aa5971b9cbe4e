/* Component entry point. The kernel starts every thread with sp = stack top, tp = its IPC
 * buffer, a0 = the CSpace size, a1 = the thread's index, a2 = the restart argument (0 on
 * the first start, thread.restart's argument later) and all else zero; this sets gp, and
 * for the first thread clears .bss and enters main() through anv_start. */
    .section .text.start, "ax", @progbits
    .globl _start
    .type _start, @function
_start:
    /* gp must not be relaxed against itself; a script without __global_pointer$ leaves it
     * 0 (weak), which is harmless because the linker then makes no gp-relative accesses. */
    .option push
    .option norelax
    .weak __global_pointer$
    lla gp, __global_pointer$
    .option pop

    /* Only the first thread (a1 = 0) sets the process up; the others start once it has
     * (they are created ready, but the first thread was made ready first and at equal
     * priority runs first; a thread that outranks it must not touch shared data before
     * the first thread signals it). */
    bnez a1, 2f

    mv s1, a0               /* CSpace size, across memset */
    mv s2, a2               /* restart argument: memset takes a2 for its length */
    lla a0, __bss_start
    lla a2, __bss_end
    sub a2, a2, a0
    li a1, 0
    call memset

    mv a0, s1
    mv a1, s2
    call anv_start          /* a0 = CSpace size, a1 = restart argument; never returns */
1:  j 1b

    /* a0 = CSpace size, a1 = thread index, a2 = restart argument, as the kernel left
     * them; never returns. */
2:  call anv_thread_start
    j 1b
    .size _start, . - _start
