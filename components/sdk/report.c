/* anv_cspace_describe: the capabilities of this process, read back from the kernel. */
#include <anvaya/report.h>
#include <anvaya/sdk.h>
#include <stdio.h>

static const char *const type_names[ANV_OBJ_COUNT] = ANV_OBJ_NAMES;

size_t anv_cspace_describe(char *out, size_t cap, uint32_t *slot)
{
    size_t used = 0, items = 0;
    uint64_t size = anv_cspace_size();
    if (cap == 0)
        return 0;
    out[0] = '\0';
    for (; *slot < size; (*slot)++) {
        uint64_t type = 0, rights = 0, badge = 0;
        if (*slot == ANV_SLOT_NULL ||
            anv_cap_identify(anv_handle_make(*slot, 0), &type, &rights, &badge, NULL) != ANV_OK)
            continue;
        char item[64];
        int n = snprintf(item, sizeof item, "%s%u=%s:%c%c%c%c", items ? " " : "", (unsigned)*slot,
                         type < ANV_OBJ_COUNT ? type_names[type] : "?",
                         (rights & ANV_RIGHT_READ) ? 'r' : '-', (rights & ANV_RIGHT_WRITE) ? 'w' : '-',
                         (rights & ANV_RIGHT_EXEC) ? 'x' : '-', (rights & ANV_RIGHT_GRANT) ? 'g' : '-');
        if (badge != 0 && n > 0 && (size_t)n < sizeof item)
            n += snprintf(item + n, sizeof item - (size_t)n, ":0x%lx", (unsigned long)badge);
        if (n <= 0 || used + (size_t)n + 1 > cap)
            break; /* the caller prints this line and asks again from *slot */
        for (int i = 0; i <= n; i++)
            out[used + (size_t)i] = item[i];
        used += (size_t)n;
        items++;
    }
    return items;
}
