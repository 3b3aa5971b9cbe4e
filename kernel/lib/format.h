/* printf-style formatting into a character sink or a bounded buffer: the one formatter
 * of the kernel, used by the console, panics and the boot decoders' refusal messages. */
#ifndef ANVAYA_LIB_FORMAT_H
#define ANVAYA_LIB_FORMAT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

typedef void (*format_sink_fn)(void *ctx, char ch);

/* How %s arguments are shown. Text that comes from outside (a manifest's names, which end
 * up on the console) is cut and made printable, so no input can fill a message or send
 * control bytes to the terminal. */
struct format_opts {
    unsigned str_max; /* longest %s argument shown, in bytes; 0: up to 4096 */
    bool printable;   /* bytes outside 0x20..0x7e of a %s argument shown as '?' */
};

/* Supports %[-0][width][l|ll|z]{d,i,u,x,X,p,s,c,%}; opts may be NULL (no limit but
 * 4096 bytes, bytes as they are). Returns characters produced. */
size_t format_v(format_sink_fn sink, void *ctx, const char *fmt, va_list ap);
size_t format_vopts(format_sink_fn sink, void *ctx, const struct format_opts *opts,
                    const char *fmt, va_list ap);

/* Bounded vsnprintf: always NUL-terminates when size > 0 and returns the length written
 * (at most size - 1), so a caller can append after it. */
size_t format_vbuf(char *buf, size_t size, const struct format_opts *opts, const char *fmt,
                   va_list ap);
size_t format_buf(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
