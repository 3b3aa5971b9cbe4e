/* A service of the service-manager test that ends itself: returning from main is
 * proc.exit, with status 3 on the first run (a failure) and 0 on later ones. */
#include <stdio.h>

#ifndef EXITER_GEN_HEADER
#error "build with -DEXITER_GEN_HEADER=\"<instance>_gen.h\""
#endif
#include EXITER_GEN_HEADER

int main(void)
{
    uint64_t run = anv_restart_arg();
    int status = run == 0 ? 3 : 0;
    printf("%s: run %lu, exiting with %d\n", SVC_EXITER_INSTANCE_NAME, (unsigned long)run,
           status);
    return status;
}
