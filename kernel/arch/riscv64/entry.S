/* Boot entry from OpenSBI (a0 = hartid, a1 = DTB physical address): park extra harts,
 * switch to Sv39 with the boot page table, jump to the direct-mapped kernel, clear BSS. */
#define PTE_KERNEL_RWX 0xEF /* V R W X G A D */
#define PTE_KERNEL_RW 0xE7  /* V R W G A D */
#define GIGAPAGE(pa, flags) ((((pa) >> 12) << 10) | (flags))

    .section .text.boot, "ax"
    .global _start
_start:
    /* Only the first hart to arrive boots; a second one (if firmware ever starts it)
     * parks, which keeps hart-local state a later SMP step can extend. */
    lla     t0, boot_lottery
    li      t1, 1
    amoswap.w.aq t1, t1, (t0)
    bnez    t1, .Lpark

    csrw    sie, zero
    csrw    sscratch, zero

    lla     t0, boot_root_pt
    srli    t0, t0, 12
    li      t1, 8
    slli    t1, t1, 60
    or      t0, t0, t1
    sfence.vma
    csrw    satp, t0
    sfence.vma

    /* The literal holds the link-time (high) address; lla would give the physical one. */
    ld      t0, .Lhigh_entry
    jr      t0

.Lpark:
    csrw    sie, zero
1:  wfi
    j       1b

    .balign 8
.Lhigh_entry:
    .dword  .Lhigh

.Lhigh:
    lla     sp, boot_stack_top
    lla     t0, __bss_start
    lla     t1, __bss_end
2:  bgeu    t0, t1, 3f
    sd      zero, 0(t0)
    addi    t0, t0, 8
    j       2b
3:
    /* a0 = hartid, a1 = DTB physical address, untouched so far. kernel_main returns
     * once the system is built; only then can boot's own code and data go. */
    call    kernel_main
    call    kmap_release_boot
    tail    trap_exit_to_user

    .section .data.boot_pt, "aw"
    .balign 4096
    .global boot_root_pt
boot_root_pt:
    /* Identity gigapage for the instructions right after satp is written. */
    .dword  0, 0
    .dword  GIGAPAGE(0x80000000, PTE_KERNEL_RWX)
    .fill   253, 8, 0
    /* Direct map of physical 0..4 GiB at 0xFFFFFFC000000000: MMIO, then RAM. */
    .dword  GIGAPAGE(0x00000000, PTE_KERNEL_RW)
    .dword  GIGAPAGE(0x40000000, PTE_KERNEL_RW)
    .dword  GIGAPAGE(0x80000000, PTE_KERNEL_RWX)
    .dword  GIGAPAGE(0xC0000000, PTE_KERNEL_RWX)
    .fill   252, 8, 0

    .section .data
    .balign 4
boot_lottery:
    .word   0

    .section .bss
    .balign 16
boot_stack:
    .space  16384
    .global boot_stack_top
boot_stack_top:
