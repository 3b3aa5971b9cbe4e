/* printf-style formatting into a character sink, shared by the console and tests. */
#ifndef ANVAYA_LIB_FORMAT_H
#define ANVAYA_LIB_FORMAT_H

#include <stdarg.h>
#include <stddef.h>

typedef void (*format_sink_fn)(void *ctx, char ch);

/* Supports %[-0][width][l|ll|z]{d,i,u,x,X,p,s,c,%}. Returns characters produced. */
size_t format_v(format_sink_fn sink, void *ctx, const char *fmt, va_list ap);

/* Bounded snprintf: always terminates when size > 0; returns the untruncated length. */
size_t format_buf(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
