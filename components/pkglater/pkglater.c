/* pkglater: installs one staged package after a delay and says how it went, so that a
 * runner which started before it is seen waiting for its package (idl/components/pkglater.idl). */
#include <stdio.h>
#include <string.h>

#include "pkglater_gen.h"

#define TICK_MS 10u  /* the kernel's timer tick */

int main(void)
{
    struct anv_bytes_64 f;
    memset(&f, 0, sizeof f);
    size_t n = strlen(PKG_LATER_CONFIG_FILE);
    memcpy(f.data, PKG_LATER_CONFIG_FILE, n);
    f.len = (uint32_t)n;
    uint64_t ticks = PKG_LATER_CONFIG_DELAY_MS / TICK_MS + 1u, res = 0;
    (void)anv_wait_one(ANV_HANDLE_NULL, ticks, &res, NULL);
    struct package_info pkg;
    memset(&pkg, 0, sizeof pkg);
    int e = pkg_later_packages_install(&f, &pkg);
    if (e != ANV_OK) {
        printf("pkglater: install %s after %u ms -> %d\n", PKG_LATER_CONFIG_FILE,
               (unsigned)PKG_LATER_CONFIG_DELAY_MS, e);
        return 1;
    }
    printf("pkglater: installed %.*s %u.%u.%u from %s after %u ms\n", (int)pkg.name.len,
           (const char *)pkg.name.data, (unsigned)pkg.major, (unsigned)pkg.minor,
           (unsigned)pkg.patch, PKG_LATER_CONFIG_FILE, (unsigned)PKG_LATER_CONFIG_DELAY_MS);
    return 0;
}
