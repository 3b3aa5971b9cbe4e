/* Component entry point. The kernel starts every thread with sp = stack top, tp = its IPC
 * buffer, a0 = the CSpace size and all else zero; this sets gp, clears .bss and enters C. */
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

    mv s1, a0               /* CSpace size, across memset */
    lla a0, __bss_start
    lla a2, __bss_end
    sub a2, a2, a0
    li a1, 0
    call memset

    mv a0, s1
    call anv_start          /* never returns */
1:  j 1b
    .size _start, . - _start
