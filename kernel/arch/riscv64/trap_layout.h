/* Constants trap_entry.S and C share: frame offsets and the syscalls the entry decodes
 * before saving anything. trap.c checks each one against its C definition. */
#ifndef ANVAYA_ARCH_TRAP_LAYOUT_H
#define ANVAYA_ARCH_TRAP_LAYOUT_H

#define TRAP_FRAME_SIZE 288
#define TRAP_F_SEPC 256
#define TRAP_F_SSTATUS 264
#define TRAP_F_SCAUSE 272
#define TRAP_F_STVAL 280
/* struct thread's frame_partial byte, relative to its frame (it follows the frame). */
#define TRAP_F_PARTIAL 288

/* What the fastpath's entry into the woken thread reads (trap_entry.S, .Lipc_hit): the
 * frame, switch_work and vspace of a struct thread, satp and asid_generation of a struct
 * vspace. */
#define TRAP_T_FRAME 16
#define TRAP_T_SWITCH_WORK 317
#define TRAP_T_VSPACE 384
#define TRAP_VS_SATP 24
#define TRAP_VS_ASID_GEN 44

#define TRAP_EXC_ECALL_U 8
#define TRAP_SYS_ABI_VERSION 0
#define TRAP_SYS_IPC_CALL 7
#define TRAP_SYS_IPC_REPLY_RECV 9
#define TRAP_ABI_VERSION_HI 0x30 /* ANV_ABI_VERSION >> 12, loaded with one lui */

#endif
