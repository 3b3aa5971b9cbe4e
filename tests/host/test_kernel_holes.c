/* Regression tests for the kernel holes of issue 9 (5-7): each test makes the attack or
 * the corruption the hole allowed and checks the kernel now refuses it, panics on it or
 * records it. Built like test_kernel_objects.c, on the same host kernel library; the
 * manifest tests decode the kirq system's real manifest (argv[1]). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <anvaya/abi.h>

#include "manifest.h"

static const char *manifest_path;
static unsigned char *manifest_blob;
static size_t manifest_len;

/* ---- Hole 5: the manifest's abi_version --------------------------------------------- */

static void load_manifest(void)
{
    if (manifest_blob)
        return;
    FILE *f = fopen(manifest_path, "rb");
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    long n = ftell(f);
    assert_true(n > (long)sizeof(struct manifest_header));
    assert_int_equal(fseek(f, 0, SEEK_SET), 0);
    manifest_blob = malloc((size_t)n);
    assert_non_null(manifest_blob);
    assert_int_equal(fread(manifest_blob, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    manifest_len = (size_t)n;
}

static void put32(unsigned char *b, size_t off, uint32_t v)
{
    for (unsigned i = 0; i < 4; i++)
        b[off + i] = (unsigned char)(v >> (8 * i));
}

static uint32_t get32(const unsigned char *b, size_t off)
{
    return (uint32_t)b[off] | (uint32_t)b[off + 1] << 8 | (uint32_t)b[off + 2] << 16 |
           (uint32_t)b[off + 3] << 24;
}

/* Open a copy of the kirq manifest with abi_version replaced and the CRC recomputed, as
 * a tampered image would be built, so only the ABI check can refuse it. */
static enum manifest_error open_with_abi(uint32_t abi, struct manifest_view *v,
                                         unsigned char **copy)
{
    load_manifest();
    unsigned char *b = malloc(manifest_len);
    assert_non_null(b);
    memcpy(b, manifest_blob, manifest_len);
    put32(b, offsetof(struct manifest_header, abi_version), abi);
    put32(b, offsetof(struct manifest_header, crc32), 0);
    uint32_t total = get32(b, offsetof(struct manifest_header, total_size));
    put32(b, offsetof(struct manifest_header, crc32), manifest_crc32(b, total));
    *copy = b;
    return manifest_open(v, b, manifest_len);
}

static void expect_abi_refused(uint32_t abi)
{
    struct manifest_view v;
    unsigned char *b;
    assert_int_equal(open_with_abi(abi, &v, &b), MANIFEST_E_ABI);
    char want[MANIFEST_MESSAGE_MAX];
    snprintf(want, sizeof want, "header: abi_version 0x%x (%u.%u), this kernel implements ABI %u.%u",
             abi, abi >> 16, abi & 0xFFFFu, (unsigned)ANV_ABI_VERSION_MAJOR,
             (unsigned)ANV_ABI_VERSION_MINOR);
    assert_string_equal(v.message, want);
    assert_int_equal(v.bad_table, MANIFEST_NONE);
    /* A refused view has no entries, so the loader could not create anything. */
    struct manifest_process p;
    assert_false(manifest_process(&v, 0, &p));
    assert_int_equal(manifest_count(&v, MANIFEST_T_OBJECT), 0);
    free(b);
}

static void test_manifest_abi_matches(void **state)
{
    (void)state;
    load_manifest();
    /* The generator wrote the kernel's ABI, and the decoder accepts it. */
    assert_int_equal(get32(manifest_blob, offsetof(struct manifest_header, abi_version)),
                     ANV_ABI_VERSION);
    struct manifest_view v;
    unsigned char *b;
    assert_int_equal(open_with_abi(ANV_ABI_VERSION, &v, &b), MANIFEST_OK);
    assert_int_equal(v.abi_version, ANV_ABI_VERSION);
    assert_true(manifest_count(&v, MANIFEST_T_PROCESS) > 0);
    free(b);
#if ANV_ABI_VERSION_MINOR > 0
    /* A system built against an older minor only uses calls this kernel has. */
    assert_int_equal(open_with_abi(ANV_ABI_VERSION - 1u, &v, &b), MANIFEST_OK);
    free(b);
#endif
}

static void test_manifest_abi_mismatch_refused(void **state)
{
    (void)state;
    expect_abi_refused((ANV_ABI_VERSION_MAJOR + 1u) << 16);           /* next major */
    expect_abi_refused(ANV_ABI_VERSION + 1u);                         /* newer minor */
    expect_abi_refused((uint32_t)(ANV_ABI_VERSION_MAJOR - 1u) << 16); /* older major */
    expect_abi_refused(0);
    expect_abi_refused(0xFFFFFFFFu);
    /* The check reads the field, not the whole word: only the minor differs here. */
    expect_abi_refused(ANV_ABI_VERSION | 0x8000u);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s kirq.manifest.bin\n", argv[0]);
        return 2;
    }
    manifest_path = argv[1];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_manifest_abi_matches),
        cmocka_unit_test(test_manifest_abi_mismatch_refused),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    free(manifest_blob);
    return failed;
}
