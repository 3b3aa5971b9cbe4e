/* A service of the service-manager test that ends itself: returning from main is
 * proc.exit, with status 3 on the first run (a failure) and 0 on later ones. */
#include <stdio.h>

#include ANV_INSTANCE_HEADER  /* this instance's generated header, named by the build */

int main(void)
{
    uint64_t run = anv_restart_arg();
    int status = run == 0 ? 3 : 0;
    printf("%s: run %lu, exiting with %d\n", SVC_EXITER_INSTANCE_NAME, (unsigned long)run,
           status);
    return status;
}
