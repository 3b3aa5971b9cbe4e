/* The ns16550a UART on QEMU virt, driven by polling (transmit only in the kernel). */
#ifndef ANVAYA_ARCH_UART_H
#define ANVAYA_ARCH_UART_H

#include <stdint.h>

void uart_init(uintptr_t base);
void uart_putc(uintptr_t base, char ch);

#endif
