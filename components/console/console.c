/* The console service: a user-mode driver for the ns16550a UART that the system gives it
 * (MMIO page and interrupt line). Every component's log line arrives over the Log
 * interface and leaves whole, so lines from different components never interleave. */
#include <string.h>

#include <anvaya/report.h>

#include "console_gen.h"

#define UART_THR 0
#define UART_IER 1
#define UART_LSR 5
#define UART_LSR_THRE 0x20
/* Bounded wait for the transmitter: QEMU's is always ready, real hardware within
 * microseconds; a UART that never drains must not wedge every logging component. */
#define UART_SPIN_MAX 100000u

static volatile uint8_t *const uart = (volatile uint8_t *)CONSOLE_UART_REGS;

static void uart_put(char c)
{
    for (uint32_t i = 0; i < UART_SPIN_MAX && !(uart[UART_LSR] & UART_LSR_THRE); i++)
        ;
    uart[UART_THR] = (uint8_t)c;
}

static void uart_line(const char *prefix, const uint8_t *text, uint32_t len)
{
    for (const char *p = prefix; *p; p++)
        uart_put(*p);
    for (uint32_t i = 0; i < len; i++) {
        char c = (char)text[i];
        /* One log call is one line: embedded line breaks and control bytes are shown,
         * not obeyed, so a client cannot forge another component's line. */
        uart_put((c < 0x20 || c == 0x7f) ? '?' : c);
    }
    uart_put('\r');
    uart_put('\n');
}

int console_log_write(uint64_t badge, enum log_level level, const struct anv_bytes_200 *line)
{
    (void)badge;
    static const char *const prefix[] = {"", "", "warning: ", "error: "};
    uart_line(prefix[level], line->data, line->len);
    return ANV_OK;
}

int main(void)
{
    /* Polled transmit only: no interrupts from the UART are wanted. */
    uart[UART_IER] = 0;
    char caps[160];
    uint32_t slot = 1;
    while (anv_cspace_describe(caps, sizeof caps, &slot) != 0) {
        uint8_t text[200];
        size_t n = strlen(caps);
        memcpy(text, "cspace console: ", 16);
        memcpy(text + 16, caps, n);
        uart_line("", text, (uint32_t)(16 + n));
    }
    return console_serve();
}
