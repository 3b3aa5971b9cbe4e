/* A small, bounded printf engine (format.h): no allocation, no floating point, every
 * loop bounded by the format string, the 64-bit digit count or the %s limit. */
#include "format.h"

#include <stdint.h>

struct spec {
    int left;
    int zero;
    unsigned width;
};

static size_t emit_repeat(format_sink_fn sink, void *ctx, char ch, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        sink(ctx, ch);
    return n;
}

static size_t emit_str(format_sink_fn sink, void *ctx, const char *s, const struct spec *sp,
                       const struct format_opts *opts)
{
    size_t max = opts != NULL && opts->str_max != 0 && opts->str_max < 4096 ? opts->str_max : 4096;
    bool printable = opts != NULL && opts->printable;
    size_t len = 0;
    while (s[len] != '\0' && len < max)
        len++;
    size_t n = 0;
    unsigned pad = sp->width > len ? (unsigned)(sp->width - len) : 0;
    if (!sp->left)
        n += emit_repeat(sink, ctx, ' ', pad);
    for (size_t i = 0; i < len; i++)
        sink(ctx, (!printable || (s[i] >= 0x20 && s[i] < 0x7f)) ? s[i] : '?');
    n += len;
    if (sp->left)
        n += emit_repeat(sink, ctx, ' ', pad);
    return n;
}

static size_t emit_num(format_sink_fn sink, void *ctx, uint64_t v, int negative, unsigned base,
                       int upper, const struct spec *sp)
{
    char digits[24];
    unsigned nd = 0;
    const char *set = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    do {
        digits[nd++] = set[v % base];
        v /= base;
    } while (v != 0 && nd < sizeof(digits));
    unsigned body = nd + (negative ? 1u : 0u);
    unsigned pad = sp->width > body ? sp->width - body : 0;
    size_t n = 0;
    if (!sp->left && !sp->zero)
        n += emit_repeat(sink, ctx, ' ', pad);
    if (negative) {
        sink(ctx, '-');
        n++;
    }
    if (!sp->left && sp->zero)
        n += emit_repeat(sink, ctx, '0', pad);
    for (unsigned i = nd; i > 0; i--)
        sink(ctx, digits[i - 1]);
    n += nd;
    if (sp->left)
        n += emit_repeat(sink, ctx, ' ', pad);
    return n;
}

size_t format_vopts(format_sink_fn sink, void *ctx, const struct format_opts *opts,
                    const char *fmt, va_list ap)
{
    size_t n = 0;
    for (const char *p = fmt; *p != '\0'; p++) {
        if (*p != '%') {
            sink(ctx, *p);
            n++;
            continue;
        }
        p++;
        struct spec sp = {0, 0, 0};
        for (; *p == '-' || *p == '0'; p++) {
            if (*p == '-')
                sp.left = 1;
            else
                sp.zero = 1;
        }
        for (; *p >= '0' && *p <= '9'; p++)
            if (sp.width < 1000)
                sp.width = sp.width * 10 + (unsigned)(*p - '0');
        bool lng = false; /* any count of l or z means 64 bits */
        for (; *p == 'l' || *p == 'z'; p++)
            lng = true;
        switch (*p) {
        case 'd':
        case 'i': {
            int64_t v = lng ? va_arg(ap, int64_t) : va_arg(ap, int);
            uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
            n += emit_num(sink, ctx, mag, v < 0, 10, 0, &sp);
            break;
        }
        case 'u':
        case 'x':
        case 'X': {
            uint64_t v = lng ? va_arg(ap, uint64_t) : va_arg(ap, unsigned);
            n += emit_num(sink, ctx, v, 0, *p == 'u' ? 10 : 16, *p == 'X', &sp);
            break;
        }
        case 'p': {
            uint64_t v = (uint64_t)(uintptr_t)va_arg(ap, void *);
            sink(ctx, '0');
            sink(ctx, 'x');
            n += 2;
            n += emit_num(sink, ctx, v, 0, 16, 0, &sp);
            break;
        }
        case 's': {
            const char *s = va_arg(ap, const char *);
            n += emit_str(sink, ctx, s ? s : "(null)", &sp, opts);
            break;
        }
        case 'c':
            sink(ctx, (char)va_arg(ap, int));
            n++;
            break;
        case '%':
            sink(ctx, '%');
            n++;
            break;
        case '\0':
            return n;
        default:
            sink(ctx, '%');
            sink(ctx, *p);
            n += 2;
            break;
        }
    }
    return n;
}

size_t format_v(format_sink_fn sink, void *ctx, const char *fmt, va_list ap)
{
    return format_vopts(sink, ctx, NULL, fmt, ap);
}

struct buf_sink {
    char *buf;
    size_t size;
    size_t pos;
};

static void buf_put(void *ctx, char ch)
{
    struct buf_sink *b = ctx;
    /* pos + 1 < size, in a form that cannot wrap (and that Eva can bound by size alone). */
    if (b->size > 0 && b->pos < b->size - 1)
        b->buf[b->pos] = ch;
    b->pos++;
}

size_t format_vbuf(char *buf, size_t size, const struct format_opts *opts, const char *fmt,
                   va_list ap)
{
    struct buf_sink b = {buf, size, 0};
    format_vopts(buf_put, &b, opts, fmt, ap);
    if (size == 0)
        return 0;
    size_t len = b.pos < size ? b.pos : size - 1;
    buf[len] = '\0';
    return len;
}

size_t format_buf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t n = format_vbuf(buf, size, NULL, fmt, ap);
    va_end(ap);
    return n;
}
