/* Kernel console: one output path for banners, the inventory, audits and panics. */
#include "core/console.h"

#include <stdarg.h>

#include "arch/riscv64/sbi.h"
#include "arch/riscv64/uart.h"
#include "lib/format.h"

static uintptr_t console_uart;

void console_use_uart(uintptr_t mmio_base)
{
    console_uart = mmio_base;
    uart_init(mmio_base);
}

void console_putc(char ch)
{
    if (ch == '\n')
        console_putc('\r');
    if (console_uart != 0)
        uart_putc(console_uart, ch);
    else
        sbi_console_putchar(ch);
}

void console_write(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        console_putc(s[i]);
}

static void console_sink(void *ctx, char ch)
{
    (void)ctx;
    console_putc(ch);
}

void kprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    format_v(console_sink, 0, fmt, ap);
    va_end(ap);
}
