/* Self-description for review and tests: a process lists the capabilities it holds, as
 * the kernel reports them through cap.identify, in the form the QEMU tests compare with
 * the generated CSpace manifest (docs/services.md, "What each process holds"). */
#ifndef ANVAYA_REPORT_H
#define ANVAYA_REPORT_H

#include <stddef.h>
#include <stdint.h>

/* Append "slot=type:rights[:badge]" items, space separated, for the filled slots from
 * *slot on, as many as fit in `cap` bytes (NUL included); *slot advances past them.
 * Returns the number of items written: 0 once every slot has been described. Types are
 * the manifest's names (ENDPOINT, FRAME, ...), rights as in the manifest (`rw--`), the
 * badge in hex and only when non-zero. Slots filled at run time under a later generation
 * are not listed: the report describes the CSpace as the manifest filled it. */
size_t anv_cspace_describe(char *out, size_t cap, uint32_t *slot);

#endif
