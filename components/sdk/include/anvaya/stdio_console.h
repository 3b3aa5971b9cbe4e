/* The C library's standard streams on the console capability: defined by the generated
 * code of a component that declares `kernel console` (and only there), so a component
 * that prints without a console fails to link (undefined stdout) instead of losing its
 * output. The streams and their per-thread line buffer are the SDK's (rt.c). */
#ifndef ANVAYA_STDIO_CONSOLE_H
#define ANVAYA_STDIO_CONSOLE_H

#include <stdio.h>

/* The stream functions behind stdin, stdout and stderr (rt.c). */
int anv_stdio_put(char c, FILE *f);
int anv_stdio_sync(FILE *f);
int anv_stdio_get(FILE *f);

/* Defines stdin, stdout and stderr; one use, at file scope, in the generated code. */
#define ANV_STDIO_ON_CONSOLE()                                                               \
    static FILE anv_stdio_out =                                                              \
        FDEV_SETUP_STREAM(anv_stdio_put, NULL, anv_stdio_sync, _FDEV_SETUP_WRITE);           \
    static FILE anv_stdio_in = FDEV_SETUP_STREAM(NULL, anv_stdio_get, NULL, _FDEV_SETUP_READ); \
    FILE *const stdin = &anv_stdio_in;                                                       \
    FILE *const stdout = &anv_stdio_out;                                                     \
    FILE *const stderr = &anv_stdio_out

#endif
