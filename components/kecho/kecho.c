/* A user-mode UART receive driver: the system description gives it the UART's MMIO page
 * and its interrupt as an IRQ handler capability bound to its notification. It echoes a
 * line typed on the console and shuts the system down, which exercises the whole path:
 * PLIC claim, notification signal, wait_one wake-up, irq.ack and completion. */
#include <anvaya/sdk.h>
#include <stdio.h>

#include "kecho_gen.h"

#define UART_RBR 0
#define UART_IER 1
#define UART_LSR 5
#define UART_IER_RX 0x01
#define UART_LSR_DR 0x01
#define LINE_MAX 64

int main(void)
{
    volatile uint8_t *uart = (volatile uint8_t *)KECHO_UART_REGS;
    char line[LINE_MAX + 1];
    unsigned len = 0, interrupts = 0;

    uart[UART_IER] = UART_IER_RX;
    printf("kecho: ready\n");
    anv_console_flush();
    for (;;) {
        uint64_t result = 0, bits = 0;
        if (anv_wait_one(KECHO_HANDLE_EVENTS, 0, &result, &bits) != ANV_OK ||
            !(bits & KECHO_UART_IRQ_BIT))
            continue;
        interrupts++;
        /* Drain everything received, then let the line interrupt again. */
        while (uart[UART_LSR] & UART_LSR_DR) {
            char c = (char)uart[UART_RBR];
            if (c == '\r' || c == '\n') {
                line[len] = '\0';
                printf("kecho: got '%s' after %u interrupts\n", line, interrupts);
                anv_console_flush();
                anv_system_shutdown(KECHO_HANDLE_SYSCTL, 0);
            }
            if (len < LINE_MAX)
                line[len++] = c;
        }
        int err = anv_irq_ack(KECHO_HANDLE_UART_IRQ);
        if (err != ANV_OK)
            printf("kecho: irq.ack failed (%d)\n", err);
    }
}
