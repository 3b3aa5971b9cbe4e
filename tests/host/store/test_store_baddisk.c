/* Bad disks: a real image with every sector in turn bit-flipped, zeroed, or damaged and
 * re-sealed (checksums recomputed, so the structural checks face it); truncated images;
 * random images, with and without a well-formed superblock. Mount and every read path
 * must refuse or report with the damaged object named; damage in a referenced sector
 * is always found; data read back is never wrong; nothing crashes or hangs. */
#include "store_reseal.h"
#include "store_test_util.h"

#define N_SECTORS 640u

typedef struct known {
    char path[64];
    uint8_t *data;
    size_t len;
} known;

static known files[64];
static int nfiles;
static uint8_t *ref;       /* the reference image */
static uint8_t *img;       /* the image under test */
static uint8_t used[N_SECTORS];
static uint32_t cur_slot;
static simdev dev;
static void *mem;
static size_t memlen;
static int failures;
static uint64_t probes, refused, reported, clean;

#define FAILF(...)                                                                            \
    do {                                                                                      \
        fprintf(stderr, "FAIL: " __VA_ARGS__);                                                \
        fprintf(stderr, "\n");                                                                \
        failures++;                                                                           \
    } while (0)

static void fill(uint8_t *b, size_t n, uint32_t seed)
{
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        b[i] = (uint8_t)(seed >> 16);
    }
}

static void must(store_err e, const char *what)
{
    if (e != STORE_OK) {
        fprintf(stderr, "building the reference image: %s: %s\n", what, store_strerror(e));
        exit(1);
    }
}

static void add_file(store *s, const store_root *r, const char *path, size_t len, uint64_t at)
{
    known *k = &files[nfiles++];
    snprintf(k->path, sizeof k->path, "%s", path);
    must(store_create(s, r, path), path);
    uint8_t *b = malloc(len);
    fill(b, len, (uint32_t)nfiles * 77);
    must(store_write(s, r, path, at, b, len), path);
    k->len = (size_t)(at + len);
    k->data = calloc(1, k->len);
    memcpy(k->data + at, b, len);
    free(b);
}

static void build_reference(void)
{
    sim_init(&dev, N_SECTORS);
    mem = store_test_mem(N_SECTORS, 512, 64, &memlen);
    store s;
    store_root r;
    must(store_mkfs(&dev.dev, 512), "mkfs");
    must(store_mount(&s, &dev.dev, mem, memlen), "mount");
    must(store_root_handle(&s, &r), "root");
    must(store_mkdir(&s, &r, "d"), "d");
    must(store_mkdir(&s, &r, "d/e"), "d/e");
    must(store_mkdir(&s, &r, "many"), "many");
    add_file(&s, &r, "a", 700, 0);
    must(store_sync(&s), "sync");
    add_file(&s, &r, "d/b", 3000, 0);
    add_file(&s, &r, "d/e/c", 40000, 0);
    add_file(&s, &r, "sparse", 1500, 2u << 20); /* block map of height 2 */
    must(store_set_quota(&s, &r, "d", 1u << 20, 100), "quota");
    char p[32];
    for (int i = 0; i < 36; i++) { /* beyond 32 inodes: an inode table of height 1 */
        snprintf(p, sizeof p, "many/m%02d", i);
        add_file(&s, &r, p, 10 + (size_t)i, 0);
    }
    must(store_sync(&s), "sync");
    for (uint64_t i = 0; i < N_SECTORS; i++)
        used[i] = (uint8_t)((s.live[i >> 6] >> (i & 63)) & 1);
    cur_slot = s.sb_slot;
    used[cur_slot] = 1;
    used[cur_slot ^ 1] = 0;
    ref = malloc(N_SECTORS * STORE_SECTOR);
    memcpy(ref, dev.img, N_SECTORS * STORE_SECTOR);
    img = dev.img;
}

static int named(const store *s)
{
    char msg[200];
    size_t n = store_fault_format(store_last_fault(s), msg, sizeof msg);
    return n > 0 && strstr(msg, ": ") != NULL;
}

enum { EXPECT_ANY, EXPECT_CLEAN, EXPECT_DETECTED };

/* Mounts what img holds now and drives every read path over it. */
static void probe(const char *what, uint64_t sector, int expect, int exact_reads)
{
    store s;
    probes++;
    store_err e = store_mount(&s, &dev.dev, mem, memlen);
    if (e != STORE_OK) {
        if (!named(&s))
            FAILF("%s at sector %llu: mount refused without naming the object", what,
                  (unsigned long long)sector);
        if (expect == EXPECT_CLEAN)
            FAILF("%s at sector %llu (unused): mount refused: %s", what,
                  (unsigned long long)sector, store_strerror(e));
        refused++;
        return;
    }
    uint64_t p = 0;
    e = store_check(&s, NULL, NULL, &p);
    if (e != STORE_OK)
        FAILF("%s at sector %llu: check failed to run: %s", what, (unsigned long long)sector,
              store_strerror(e));
    if (p != 0 && !named(&s))
        FAILF("%s at sector %llu: check problem without a name", what, (unsigned long long)sector);
    if (expect == EXPECT_DETECTED && p == 0)
        FAILF("%s at sector %llu (in use): not detected", what, (unsigned long long)sector);
    if (expect == EXPECT_CLEAN && p != 0)
        FAILF("%s at sector %llu (unused): check reports %llu problem(s)", what,
              (unsigned long long)sector, (unsigned long long)p);
    if (p != 0)
        reported++;
    else
        clean++;
    store_root r;
    if (store_root_handle(&s, &r) != STORE_OK)
        return;
    static uint8_t buf[(2u << 20) + 4096];
    for (int i = 0; i < nfiles; i++) {
        size_t got = 0;
        e = store_read(&s, &r, files[i].path, 0, buf, sizeof buf, &got);
        if (e == STORE_OK) {
            if (exact_reads && (got != files[i].len || memcmp(buf, files[i].data, got) != 0))
                FAILF("%s at sector %llu: %s read back wrong", what, (unsigned long long)sector,
                      files[i].path);
        } else if ((e == STORE_E_CORRUPT || e == STORE_E_IO) && !named(&s)) {
            FAILF("%s at sector %llu: read of %s failed without a name", what,
                  (unsigned long long)sector, files[i].path);
        } else if (expect == EXPECT_CLEAN) {
            FAILF("%s at sector %llu (unused): read of %s: %s", what, (unsigned long long)sector,
                  files[i].path, store_strerror(e));
        }
    }
    uint64_t dg;
    (void)tree_digest(&s, &dg);
    /* Writes on a damaged store: refused or done, never a crash. */
    if (store_create(&s, &r, "new") == STORE_OK)
        (void)store_write(&s, &r, "new", 0, "abc", 3);
    (void)store_rename(&s, &r, "a", "d/a2");
    (void)store_unlink(&s, &r, "many/m03");
    (void)store_sync(&s);
}

static void restore(void)
{
    memcpy(img, ref, N_SECTORS * STORE_SECTOR);
}

int main(void)
{
    build_reference();
    uint64_t rng = 0x2545f4914f6cdd1dull;
    /* 1. Every sector: one flipped bit, zeroed, and (for sectors in use) damage re-sealed. */
    for (uint32_t sec = 0; sec < N_SECTORS; sec++) {
        uint8_t *b = img + (size_t)sec * STORE_SECTOR;
        int expect = sec == cur_slot ? EXPECT_ANY : used[sec] ? EXPECT_DETECTED : EXPECT_CLEAN;
        int exact = sec != cur_slot;
        rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
        b[(rng >> 8) % STORE_SECTOR] ^= (uint8_t)(1u << (rng % 8));
        probe("bit flip", sec, expect, exact);
        restore();
        int zero = 1;
        for (uint32_t i = 0; i < STORE_SECTOR; i++)
            zero &= b[i] == 0;
        if (!zero) {
            memset(b, 0, STORE_SECTOR);
            probe("zeroed", sec, expect, exact);
            restore();
        }
        if (used[sec]) {
            for (int k = 0; k < 4; k++) {
                rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
                b[(rng >> 8) % STORE_SECTOR] ^= (uint8_t)(rng >> 40);
                if (k & 1)
                    b[(rng >> 20) % STORE_SECTOR] = (uint8_t)(rng >> 50);
                store_reseal(img, N_SECTORS, cur_slot);
                probe("re-sealed damage", sec, EXPECT_ANY, 0);
                restore();
            }
        }
    }
    /* 2. Truncated images. */
    for (uint64_t n = 0; n < N_SECTORS; n += 7) {
        dev.dev.block_count = n;
        store s;
        store_err e = store_mount(&s, &dev.dev, mem, memlen);
        probes++;
        if (e == STORE_OK)
            FAILF("truncated to %llu sectors: mounted", (unsigned long long)n);
        else if (e != STORE_E_DEVICE && e != STORE_E_NOSTORE)
            FAILF("truncated to %llu sectors: %s", (unsigned long long)n, store_strerror(e));
        refused++;
    }
    dev.dev.block_count = N_SECTORS;
    /* 3. Random images: raw, then with a well-formed superblock over random contents. */
    for (int t = 0; t < 600; t++) {
        for (size_t i = 0; i < N_SECTORS * STORE_SECTOR; i += 8) {
            rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
            memcpy(img + i, &rng, 8);
        }
        if (t % 2 == 1) {
            uint8_t *sb = img + (size_t)(t & 2 ? 1 : 0) * STORE_SECTOR;
            static const uint8_t magic[8] = {'A', 'N', 'V', 'S', 'T', 'O', 'R', '1'};
            memcpy(sb, magic, 8);
            rs_put32(sb + 8, 1);
            rs_put32(sb + 12, STORE_SECTOR);
            sb[16] = (uint8_t)(t & 2 ? 1 : 2);
            memset(sb + 17, 0, 7);
            rs_put32(sb + 24, N_SECTORS - (uint32_t)(rng % 3) * 100);
            memset(sb + 28, 0, 4);
            rs_put32(sb + 32, 64 + (uint32_t)(rng % 4000));
            memset(sb + 36, 0, 4);
            rs_put32(sb + 48, (uint32_t)(rng >> 30) % 3);
            for (int i = 0; i < 32; i++) /* roots inside the image, some empty */
                rs_put32(sb + 64 + i * 8, (i + t) % 3 ? 0 : 2 + (uint32_t)((rng >> i) % (N_SECTORS - 2)));
            store_reseal(img, N_SECTORS, t & 2 ? 1 : 0);
        }
        probe(t % 2 ? "random image, sealed superblock" : "random image", (uint64_t)t, EXPECT_ANY, 0);
    }
    restore();
    /* 4. Several flips at once in sectors in use, plain: always found. */
    for (int t = 0; t < 400; t++) {
        uint32_t first = 0;
        for (int k = 0; k < 1 + t % 6; k++) {
            uint32_t sec;
            do {
                rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
                sec = 2 + (uint32_t)(rng % (N_SECTORS - 2));
            } while (!used[sec]);
            if (k == 0)
                first = sec;
            img[(size_t)sec * STORE_SECTOR + (rng >> 20) % STORE_SECTOR] ^= (uint8_t)(1u << ((rng >> 40) % 8));
        }
        probe("several flips", first, EXPECT_DETECTED, 1);
        restore();
    }
    printf("bad disks: %llu images probed: %llu refused at mount, %llu mounted with damage "
           "reported, %llu mounted clean\n",
           (unsigned long long)probes, (unsigned long long)refused, (unsigned long long)reported,
           (unsigned long long)clean);
    for (int i = 0; i < nfiles; i++)
        free(files[i].data);
    free(ref);
    free(mem);
    sim_free(&dev);
    if (failures)
        printf("%d failure(s)\n", failures);
    return failures ? 1 : 0;
}
