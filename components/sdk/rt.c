/* The component runtime behind crt0: per-thread C library state in the IPC buffer page,
 * the line buffer behind picolibc's stdin/stdout/stderr on the console capability (the
 * streams themselves are defined by the generated code of a component with a console:
 * anvaya/stdio_console.h), the heap, and thread exit. */
#include <stdio.h>
#include <string.h>
#include <errno.h>

#include <anvaya/sdk.h>
#include <anvaya/stdio_console.h>

/* A whole line is one debug.write, so another thread's output never lands inside it. */
#define ANV_CONSOLE_LINE ANV_DEBUG_WRITE_MAX
/* wait_one refuses longer timeouts; an exited thread re-arms it, which costs nothing. */
#define ANV_SLEEP_TICKS (UINT64_C(1) << 40)

/* The thread pointer is the IPC buffer, so the TLS block opens with this placeholder
 * covering the kernel's fields (the linker script puts it first): every other __thread
 * variable, picolibc's errno included, lands past them in the same page. It is never
 * written; its section makes it real contents, which anchor the TLS offsets. */
#define ANV_TLS_RESERVED ((sizeof(struct anv_ipc_buffer) + 63u) & ~(size_t)63u)
__attribute__((section(".tdata.anv_reserved"), used)) static __thread char
    anv_tls_reserved[ANV_TLS_RESERVED];

/* Linker script symbols: the TLS template (after the placeholder) and the heap. */
extern char __anv_tls_base[], __anv_tdata_start[], __anv_tdata_end[];
extern char __anv_tbss_start[], __anv_tbss_end[];
extern char __anv_heap_start[], __anv_heap_end[];

int main(void);
/* picolibc hides these under strict C11; their definitions below are what it calls. */
void __libc_init_array(void);
void *sbrk(ptrdiff_t incr);
_Noreturn void _exit(int status);
void anv_start(uint64_t cspace_slots, uint64_t restart_arg);

static uint64_t anv_cspace_slots;
static char *anv_brk;

/* Each thread buffers its own line, so threads never interleave inside a line. */
static __thread char anv_line[ANV_CONSOLE_LINE];
static __thread unsigned anv_line_len;
/* Each thread is restarted on its own, so each keeps the argument it started with. */
static __thread uint64_t anv_restart_word;

uint64_t anv_cspace_size(void)
{
    return anv_cspace_slots;
}

uint64_t anv_restart_arg(void)
{
    return anv_restart_word;
}

void anv_tls_init(void)
{
    char *tp = (char *)anv_ipcbuf();
    /* A linker script that does not put the placeholder first would put errno on top of
     * the message registers: stop here, loudly (the fault goes to the fault handler),
     * rather than corrupt messages. */
    if (anv_tls_reserved != tp || (size_t)(__anv_tdata_start - __anv_tls_base) < ANV_TLS_RESERVED ||
        (size_t)((char *)&anv_line_len - tp) < ANV_TLS_RESERVED)
        __builtin_trap();
    memcpy(tp + (__anv_tdata_start - __anv_tls_base), __anv_tdata_start,
           (size_t)(__anv_tdata_end - __anv_tdata_start));
    memset(tp + (__anv_tbss_start - __anv_tls_base), 0,
           (size_t)(__anv_tbss_end - __anv_tbss_start));
}

void anv_console_flush(void)
{
    if (anv_line_len == 0)
        return;
    (void)anv_debug_write(anv_handle_make(ANV_SLOT_CONSOLE, 0), anv_line, anv_line_len);
    anv_line_len = 0;
}

static void anv_line_put(char c)
{
    anv_line[anv_line_len++] = c;
    if (c == '\n' || anv_line_len == ANV_CONSOLE_LINE)
        anv_console_flush();
}

int anv_stdio_put(char c, FILE *f)
{
    (void)f;
    anv_line_put(c);
    return (unsigned char)c;
}

int anv_stdio_sync(FILE *f)
{
    (void)f;
    anv_console_flush();
    return 0;
}

int anv_stdio_get(FILE *f)
{
    (void)f;
    return _FDEV_EOF; /* the console capability is output only */
}

/* picolibc's malloc grows through sbrk. Defining it here (this object is always linked
 * because crt0 needs anv_start) keeps libc's version, which wants other symbols, out. */
void *sbrk(ptrdiff_t incr)
{
    if (!anv_brk)
        anv_brk = __anv_heap_start;
    if (incr > __anv_heap_end - anv_brk || incr < __anv_heap_start - anv_brk) {
        errno = ENOMEM;
        return (void *)-1;
    }
    char *old = anv_brk;
    anv_brk += incr;
    return old;
}

_Noreturn void anv_exit(int status)
{
    /* End an unterminated last line so the supervisor's report starts a line of its own. */
    if (anv_line_len > 0 && anv_line[anv_line_len - 1] != '\n')
        anv_line_put('\n');
    anv_console_flush();
    anv_proc_exit(status);
}

/* A thread other than the first that returns ends only itself: it sleeps for good, the
 * process goes on. */
static _Noreturn void anv_thread_end(void)
{
    for (;;)
        (void)anv_wait_one(ANV_HANDLE_NULL, ANV_SLEEP_TICKS, NULL, NULL);
}

/* exit() and abort() from the C library end here. */
_Noreturn void _exit(int status)
{
    anv_exit(status);
}

/* The body of threads 1.. of a multi-threaded component; a component with more threads
 * defines it. Without one, an extra thread just sleeps. */
__attribute__((weak)) int anv_thread_main(uint32_t index)
{
    (void)index;
    return 0;
}

_Noreturn void anv_thread_start(uint64_t cspace_slots, uint64_t index, uint64_t restart_arg);
_Noreturn void anv_thread_start(uint64_t cspace_slots, uint64_t index, uint64_t restart_arg)
{
    (void)cspace_slots;
    anv_tls_init(); /* this thread's own thread-local data, in its own IPC buffer page */
    anv_restart_word = restart_arg; /* after anv_tls_init, which zeroes it */
    (void)anv_thread_main((uint32_t)index); /* a thread's own result: nobody waits for it */
    anv_thread_end();
}

/* crt0 has set gp and cleared .bss; everything else is C. */
_Noreturn void anv_start(uint64_t cspace_slots, uint64_t restart_arg)
{
    anv_cspace_slots = cspace_slots;
    anv_tls_init();
    anv_restart_word = restart_arg; /* after anv_tls_init, which zeroes it */
    __libc_init_array();
    anv_exit(main());
}
