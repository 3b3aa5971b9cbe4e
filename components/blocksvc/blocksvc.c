/* The block service: each client (numbered by its badge, 1..4, in sorted instance-name
 * order) sees only its own partition, [first, first + sectors) of the disk, as its
 * connection in the system description grants it (the generated grant table), and moves
 * data through its own dataport. Every
 * request is checked against the caller's partition and buffer before the driver hears
 * of it; requests are served one at a time in arrival order, each at most 64 KiB. */
#include <stdio.h>

/* The instance's generated header: every instance has its own CSpace layout. */
#include ANV_INSTANCE_HEADER  /* this instance's generated header, named by the build */
#include "../common/dataport_copy.h"

#define SECTOR 512u
#define CLIENTS 4u
/* Client k moves its data through dataport clientk: a fifth has none. */
_Static_assert(BLOCK_SERVICE_BLOCK_GRANT_COUNT <= CLIENTS,
               "the block service serves at most 4 clients (dataports client1..client4)");

struct partition {
    uint64_t first;
    uint64_t sectors;
    volatile uint8_t *buf;
    uint32_t buf_size;
};

static struct partition parts[CLIENTS + 1];
static struct block_info disk;

static const struct partition *partition_of(uint64_t badge)
{
    uint64_t client = badge & 0xFFFFFFu; /* the client number the generator assigned */
    if (client == 0 || client > CLIENTS || parts[client].sectors == 0)
        return NULL;
    return &parts[client];
}

/* The caller's request, in its own sector numbers, checked as a whole. */
static int check(const struct partition *p, uint64_t sector, uint32_t count, uint32_t offset)
{
    uint64_t bytes = (uint64_t)count * SECTOR;
    if (p == NULL)
        return BLOCK_E_RANGE;
    if (count == 0 || count > disk.max_sectors || sector > p->sectors ||
        count > p->sectors - sector || offset > p->buf_size || bytes > p->buf_size - offset ||
        bytes > BLOCK_SERVICE_IO_SIZE)
        return BLOCK_E_RANGE;
    return ANV_OK;
}

int block_service_block_info(uint64_t badge, struct block_info *info)
{
    const struct partition *p = partition_of(badge);
    if (p == NULL)
        return BLOCK_E_RANGE;
    *info = disk;
    info->sectors = p->sectors;
    return ANV_OK;
}

int block_service_block_read(uint64_t badge, uint64_t sector, uint32_t count, uint32_t offset)
{
    const struct partition *p = partition_of(badge);
    int err = check(p, sector, count, offset);
    if (err != ANV_OK)
        return err;
    err = block_service_disk_read(p->first + sector, count, 0);
    if (err != ANV_OK)
        return err; /* the driver's codes are the same numbers */
    const volatile uint8_t *io = (const volatile uint8_t *)BLOCK_SERVICE_IO;
    dataport_copy(p->buf + offset, io, (size_t)count * SECTOR);
    return ANV_OK;
}

int block_service_block_write(uint64_t badge, uint64_t sector, uint32_t count, uint32_t offset)
{
    const struct partition *p = partition_of(badge);
    int err = check(p, sector, count, offset);
    if (err != ANV_OK)
        return err;
    if (disk.read_only)
        return BLOCK_E_READ_ONLY;
    volatile uint8_t *io = (volatile uint8_t *)BLOCK_SERVICE_IO;
    dataport_copy(io, p->buf + offset, (size_t)count * SECTOR);
    return block_service_disk_write(p->first + sector, count, 0);
}

int block_service_block_flush(uint64_t badge)
{
    if (partition_of(badge) == NULL)
        return BLOCK_E_RANGE;
    return block_service_disk_flush();
}

int block_service_block_counters(uint64_t badge, uint32_t *requests, uint32_t *interrupts,
                                 uint32_t *max_in_flight, uint32_t *errors)
{
    if (partition_of(badge) == NULL)
        return BLOCK_E_RANGE;
    return block_service_disk_counters(requests, interrupts, max_in_flight, errors);
}

int main(void)
{
    int err = block_service_disk_info(&disk);
    if (err != ANV_OK) {
        printf("blocks: the disk answered info with %d\n", err);
        return 1;
    }
    struct {
        uint64_t first, sectors;
        volatile void *buf;
        uint32_t size;
    } cfg[CLIENTS] = {
        {0, 0, BLOCK_SERVICE_CLIENT1, BLOCK_SERVICE_CLIENT1_SIZE},
        {0, 0, BLOCK_SERVICE_CLIENT2, BLOCK_SERVICE_CLIENT2_SIZE},
        {0, 0, BLOCK_SERVICE_CLIENT3, BLOCK_SERVICE_CLIENT3_SIZE},
        {0, 0, BLOCK_SERVICE_CLIENT4, BLOCK_SERVICE_CLIENT4_SIZE},
    };
    /* Partitions must be non-empty, lie on the disk and not overlap: grants that break
     * this are refused whole, before any client is served. */
    for (uint32_t k = 0; k < BLOCK_SERVICE_BLOCK_GRANT_COUNT; k++) {
        const struct block_service_block_grant *g = &block_service_block_grants[k];
        if (g->sectors == 0) {
            printf("blocks: client %s is granted an empty partition\n",
                   block_service_block_grant_clients[k]);
            return 2;
        }
        cfg[k].first = g->first;
        cfg[k].sectors = g->sectors;
    }
    for (uint32_t k = 0; k < CLIENTS; k++) {
        if (cfg[k].sectors == 0)
            continue;
        if (cfg[k].first > disk.sectors || cfg[k].sectors > disk.sectors - cfg[k].first) {
            printf("blocks: partition %u [%lu, +%lu) is not on the disk of %lu sectors\n", k + 1,
                   (unsigned long)cfg[k].first, (unsigned long)cfg[k].sectors,
                   (unsigned long)disk.sectors);
            return 2;
        }
        for (uint32_t j = 0; j < k; j++)
            if (cfg[j].sectors && cfg[k].first < cfg[j].first + cfg[j].sectors &&
                cfg[j].first < cfg[k].first + cfg[k].sectors) {
                printf("blocks: partitions %u and %u overlap\n", j + 1, k + 1);
                return 2;
            }
    }
    for (uint32_t k = 0; k < CLIENTS; k++)
        parts[k + 1] = (struct partition){cfg[k].first, cfg[k].sectors,
                                          (volatile uint8_t *)cfg[k].buf, cfg[k].size};
    printf("blocks: disk of %lu sectors%s; partitions", (unsigned long)disk.sectors,
           disk.read_only ? " (read-only)" : "");
    for (uint32_t k = 1; k <= CLIENTS; k++)
        if (parts[k].sectors)
            printf(" %u:[%lu,+%lu)", k, (unsigned long)parts[k].first,
                   (unsigned long)parts[k].sectors);
    printf("\n");
    anv_console_flush();
    return block_service_serve();
}
