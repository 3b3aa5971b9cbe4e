/* crashy: a service that fails on every run, to show init's restart limit. It says which
 * run this is (init passes its restart count) and then touches an unmapped page. */
#include "crashy_gen.h"
#include "../common/demo_log.h"
#include "../common/fault.h"

int main(void)
{
    DEMO_LOG_CSPACE(crashy_log_write, LOG_LEVEL_INFO, "crashy");
    DEMO_LOG(crashy_log_write, LOG_LEVEL_WARN, "crashy: run %lu, about to fault on purpose",
             (unsigned long)anv_restart_arg());
    demo_fault_now(1);
    return 0;
}
