/* crashy: a service that fails on every run, to show init's restart limit, and to show
 * from inside a process that its pages are never both writable and executable. Each run
 * (init passes the count) breaks a different rule and says where: it writes to its own
 * code, then runs its own data, then touches an unmapped page. */
#include "crashy_gen.h"
#include "../common/demo_log.h"
#include "../common/fault.h"

/* A valid instruction (`ret`) in writable data: were the page executable, the call below
 * would simply return and crashy would say so. */
static volatile uint32_t crashy_data_code[1] = {0x00008067u};

int main(void)
{
    DEMO_LOG_CSPACE(crashy_log_write, LOG_LEVEL_INFO, "crashy");
    uint64_t run = anv_restart_arg();
    if (run == 0) {
        uintptr_t code = (uintptr_t)main;
        DEMO_LOG(crashy_log_write, LOG_LEVEL_WARN, "crashy: run 0, writing to my code at 0x%lx",
                 (unsigned long)code);
        demo_fault_store_to(code);
    } else if (run == 1) {
        uintptr_t data = (uintptr_t)crashy_data_code;
        DEMO_LOG(crashy_log_write, LOG_LEVEL_WARN, "crashy: run 1, running my data at 0x%lx",
                 (unsigned long)data);
        demo_fault_execute(data);
    } else {
        DEMO_LOG(crashy_log_write, LOG_LEVEL_WARN, "crashy: run %lu, touching unmapped page 0x%lx",
                 (unsigned long)run, (unsigned long)demo_null_page_address);
        demo_fault_now(run);
    }
    DEMO_LOG(crashy_log_write, LOG_LEVEL_ERROR, "crashy: run %lu was not stopped", (unsigned long)run);
    return 1;
}
