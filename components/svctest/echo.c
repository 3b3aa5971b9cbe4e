/* An echo service of the service-manager test: answers x + 1 and says which instance it is. */
#include <stdio.h>

#ifndef ECHO_GEN_HEADER
#error "build with -DECHO_GEN_HEADER=\"<instance>_gen.h\""
#endif
#include ECHO_GEN_HEADER

int echo_service_echo_echo(uint64_t badge, uint32_t x, uint32_t *y)
{
    (void)badge;
    *y = x + 1;
    return ANV_OK;
}

int main(void)
{
    printf("%s: serving (run %lu)\n", ECHO_SERVICE_INSTANCE_NAME, (unsigned long)anv_restart_arg());
    anv_console_flush();
    return echo_service_serve();
}
