/* ns16550a transmit path: the kernel only writes; input belongs to a console component. */
#include "uart.h"

#define UART_THR 0
#define UART_IER 1
#define UART_LSR 5
#define UART_LSR_THRE 0x20
#define UART_SPIN_LIMIT 100000u

static inline volatile uint8_t *uart_reg(uintptr_t base, unsigned off)
{
    return (volatile uint8_t *)(base + off);
}

void uart_init(uintptr_t base)
{
    *uart_reg(base, UART_IER) = 0; /* polled: no UART interrupts for the kernel */
}

void uart_putc(uintptr_t base, char ch)
{
    /* Bounded: a wedged UART drops a character rather than hanging the kernel. */
    for (unsigned i = 0; i < UART_SPIN_LIMIT; i++)
        if (*uart_reg(base, UART_LSR) & UART_LSR_THRE)
            break;
    *uart_reg(base, UART_THR) = (uint8_t)ch;
}
