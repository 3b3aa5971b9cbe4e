/* The console service: an interrupt-driven user-mode driver for the ns16550a UART that the
 * system gives it (MMIO page and interrupt line). Every component's log line arrives over
 * the Log interface and leaves whole, so lines from different components never
 * interleave; ConsoleInfo says how much was written and how many interrupts it took. */
#include <string.h>

#include <anvaya/report.h>

#include ANV_INSTANCE_HEADER  /* this instance's generated header, named by the build */

#define UART_THR 0
#define UART_IER 1
#define UART_FCR 2
#define UART_LSR 5
#define UART_IER_THRE 0x02      /* interrupt when the transmit FIFO is empty */
#define UART_FCR_FIFO 0x07      /* enable the FIFOs, clear both */
#define UART_LSR_THRE 0x20
#define UART_FIFO_DEPTH 16u
/* A FIFO that has not drained by then (ticks of the kernel's 100 Hz clock) is polled:
 * a missing interrupt slows the console, it never wedges every logging component. */
#define UART_DRAIN_TICKS 2u
#define UART_SPIN_MAX 100000u

static volatile uint8_t *const uart = (volatile uint8_t *)CONSOLE_UART_REGS;

static struct {
    uint32_t lines, octets, interrupts, polls;
    uint32_t fifo_room; /* bytes that may still go into the FIFO before it must drain */
} console;

/* Wait until the transmit FIFO is empty, the way a 16550 driver does: ask for the
 * THR-empty interrupt, sleep on the notification it is bound to, then silence the
 * interrupt source before completing it at the interrupt controller, so the line is not
 * pending again at once. While we sleep, lower-priority threads run; one writing through
 * the kernel console (init) could then put its line inside ours. Under QEMU the
 * interrupt is raised by the very store that enables it, so we never sleep there. */
static void uart_wait_drained(void)
{
    uart[UART_IER] = UART_IER_THRE;
    uint64_t result = 0, bits = 0;
    int err = anv_wait_one(CONSOLE_HANDLE_EVENTS, UART_DRAIN_TICKS, &result, &bits);
    uart[UART_IER] = 0;
    if (err == ANV_OK && (bits & CONSOLE_UART_IRQ_BIT)) {
        console.interrupts++;
        (void)anv_irq_ack(CONSOLE_HANDLE_UART_IRQ);
    } else {
        console.polls++;
        for (uint32_t i = 0; i < UART_SPIN_MAX && !(uart[UART_LSR] & UART_LSR_THRE); i++)
            ;
    }
    console.fifo_room = UART_FIFO_DEPTH;
}

static void uart_put(char c)
{
    if (console.fifo_room == 0)
        uart_wait_drained();
    uart[UART_THR] = (uint8_t)c;
    console.fifo_room--;
    console.octets++;
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
    console.lines++;
}

int console_log_write(uint64_t badge, enum log_level level, const struct anv_bytes_200 *line)
{
    (void)badge;
    static const char *const prefix[] = {"", "", "warning: ", "error: "};
    uart_line(prefix[level], line->data, line->len);
    return ANV_OK;
}

int console_info_counters(uint64_t badge, uint32_t *lines, uint32_t *octets,
                          uint32_t *interrupts, uint32_t *polls)
{
    (void)badge;
    *lines = console.lines;
    *octets = console.octets;
    *interrupts = console.interrupts;
    *polls = console.polls;
    return ANV_OK;
}

int main(void)
{
    /* The kernel's own console writes share the UART: they poll, and with the interrupt
     * enabled only while we wait they never raise one. */
    uart[UART_IER] = 0;
    uart[UART_FCR] = UART_FCR_FIFO;
    /* Unknown FIFO contents from before: the first write waits for it to drain. */
    console.fifo_room = 0;
    char caps[160];
    uint32_t slot = 1;
    while (anv_cspace_describe(caps, sizeof caps, &slot) != 0) {
        uart_line("cspace " CONSOLE_INSTANCE_NAME ": ", (const uint8_t *)caps,
                  (uint32_t)strlen(caps));
    }
    return console_serve();
}
