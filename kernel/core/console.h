/* Kernel console: early output through the SBI console, then the UART the DTB names. */
#ifndef ANVAYA_KERNEL_CONSOLE_H
#define ANVAYA_KERNEL_CONSOLE_H

#include <stddef.h>
#include <stdint.h>

void console_use_uart(uintptr_t mmio_base);
void console_putc(char ch);
void console_write(const char *s, size_t len);
void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
