/* An echo service of the service-manager test: answers x + 1 and says which instance it is. */
#include <stdio.h>

#include ANV_INSTANCE_HEADER  /* this instance's generated header, named by the build */

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
