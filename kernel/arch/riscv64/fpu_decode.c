/* Recognising F and D extension instructions, so the first one a thread runs (which
 * traps as illegal while sstatus.FS is Off) can be told apart from a real illegal one.
 * Pure decoding, also compiled for the host tests. */
#include "fpu.h"

#define CSR_FFLAGS 0x001u
#define CSR_FCSR 0x003u

bool fpu_insn_is_fp(uint32_t insn, uint32_t insn_len)
{
    if (insn_len == 2) {
        uint32_t quadrant = insn & 3u;
        uint32_t funct3 = (insn >> 13) & 7u;
        /* RV64C: C.FLD and C.FSD (quadrant 0), C.FLDSP and C.FSDSP (quadrant 2). */
        return (quadrant == 0 || quadrant == 2) && (funct3 == 1 || funct3 == 5);
    }
    if (insn_len != 4 || (insn & 3u) != 3u)
        return false;
    switch (insn & 0x7Fu) {
    case 0x07: /* LOAD-FP */
    case 0x27: /* STORE-FP */
    case 0x43: /* FMADD */
    case 0x47: /* FMSUB */
    case 0x4B: /* FNMSUB */
    case 0x4F: /* FNMADD */
    case 0x53: /* OP-FP */
        return true;
    case 0x73: { /* SYSTEM: a CSR instruction on fflags, frm or fcsr */
        uint32_t funct3 = (insn >> 12) & 7u;
        uint32_t csr = insn >> 20;
        return funct3 != 0 && funct3 != 4 && csr >= CSR_FFLAGS && csr <= CSR_FCSR;
    }
    default:
        return false;
    }
}
