/* Facts about QEMU virt the kernel falls back on only when the device tree itself cannot
 * be read: where the sifive,test finisher sits, so a failed boot still exits non-zero. */
#ifndef ANVAYA_PLATFORM_DEFAULTS_H
#define ANVAYA_PLATFORM_DEFAULTS_H

#define PLATFORM_FINISHER_FALLBACK_PA 0x100000ull

#endif
