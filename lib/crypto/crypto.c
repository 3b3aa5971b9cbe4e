/* SHA-512 (FIPS 180-4) and Ed25519 verification (RFC 8032) with the strict policy of
 * docs/crypto.md. Freestanding: no allocation, no libc, fixed stack use, every loop bounded.
 *
 * Field elements are five 51-bit limbs (radix 2^51); a product keeps, per column, the sum of
 * the 64x64-bit products modulo 2^64 (mul) and the sum of their floors divided by 2^51
 * (mulhu of shifted operands), since rv64 has no carry flag to add 128-bit products with.
 * Verification from a raw key checks a short multiple of the equation, [c1]([S]B - [k]A - R),
 * with c1 odd and c0 = c1 k (mod 8L) from the Euclidean algorithm: the same verdict for
 * every input, in about half the doublings (docs/crypto.md). */
#include "crypto.h"

#define CRYPTO_CTX_MAGIC 0x53484135u /* "SHA5" */

__extension__ typedef unsigned __int128 u128;

typedef struct { uint64_t v[5]; } fe;
typedef struct { fe X, Y, Z; } ge_p2;            /* x = X/Z, y = Y/Z */
typedef struct { fe X, Y, Z, T; } ge_p3;         /* also xy = T/Z */
typedef struct { fe E, F, G, H; } ge_p1p1;       /* x = E/G, y = H/F (X = EF, Y = GH, Z = FG, T = EH) */
typedef struct { fe ypx, ymx, z2, t2d; } ge_cached; /* Y+X, Y-X, 2Z, 2dT */
typedef struct { fe ypx, ymx, xy2d; } ge_niels;  /* affine: y+x, y-x, 2dxy */

#include "crypto_tables.h"

/* ---------------------------------------------------------------- small helpers */

static void mem_copy(uint8_t *dst, const uint8_t *src, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dst[i] = src[i];
}

static void mem_wipe(void *p, size_t n)
{
    /* volatile: the wipe of a context about to go out of use must not be optimised away */
    volatile uint8_t *q = (volatile uint8_t *)p;
    for (size_t i = 0; i < n; i++)
        q[i] = 0;
}

static uint64_t load_be64(const uint8_t *p)
{
    return ((uint64_t)p[0] << 56) | ((uint64_t)p[1] << 48) | ((uint64_t)p[2] << 40) |
           ((uint64_t)p[3] << 32) | ((uint64_t)p[4] << 24) | ((uint64_t)p[5] << 16) |
           ((uint64_t)p[6] << 8) | (uint64_t)p[7];
}

/* p is 8-byte aligned: one load (memcpy, so no aliasing rule is broken) and a swap: one
 * rev8 where the core has Zbb (the guest build says so with -march), else three steps. */
static uint64_t load_be64_aligned(const uint8_t *p)
{
    uint64_t v;
    __builtin_memcpy(&v, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    return v;
#elif defined(__riscv_zbb)
    return __builtin_bswap64(v);
#else
    const uint64_t m16 = UINT64_C(0x0000ffff0000ffff), m8 = UINT64_C(0x00ff00ff00ff00ff);
    v = (v << 32) | (v >> 32);
    v = ((v & m16) << 16) | ((v >> 16) & m16);
    return ((v & m8) << 8) | ((v >> 8) & m8);
#endif
}

static void store_be64(uint8_t *p, uint64_t v)
{
    for (unsigned i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (56 - 8 * i));
}

static uint64_t load_le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < 8; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static void store_le64(uint8_t *p, uint64_t v)
{
    for (unsigned i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

const char *crypto_result_message(crypto_result r)
{
    switch (r) {
    case CRYPTO_OK: return "ok";
    case CRYPTO_ERR_ARGUMENT: return "invalid argument (NULL pointer or uninitialised context)";
    case CRYPTO_ERR_LENGTH: return "input too long for SHA-512 (more than 2^64 - 1 bytes)";
    case CRYPTO_ERR_S_NONCANONICAL: return "signature refused: S is not below the group order L";
    case CRYPTO_ERR_A_NONCANONICAL: return "public key refused: non-canonical point encoding";
    case CRYPTO_ERR_A_NOT_ON_CURVE: return "public key refused: not a point on edwards25519";
    case CRYPTO_ERR_A_SMALL_ORDER: return "public key refused: point of small order (1, 2, 4 or 8)";
    case CRYPTO_ERR_A_TORSION: return "public key refused: not in the prime-order subgroup";
    case CRYPTO_ERR_R_NONCANONICAL: return "signature refused: non-canonical encoding of R";
    case CRYPTO_ERR_R_NOT_ON_CURVE: return "signature refused: R is not a point on edwards25519";
    case CRYPTO_ERR_R_SMALL_ORDER: return "signature refused: R is a point of small order";
    case CRYPTO_ERR_EQUATION: return "signature refused: [S]B != R + [k]A (wrong key, message or signature)";
    case CRYPTO_RESULT_COUNT: break;
    }
    return "unknown result";
}

/* ---------------------------------------------------------------- SHA-512 */

/* With Zbb (the guest build's -march) gcc turns this into one rori; without it, three. */
#define ROTR64(x, n) (((x) >> (n)) | ((x) << (64 - (n))))
#define BSIG0(x) (ROTR64(x, 28) ^ ROTR64(x, 34) ^ ROTR64(x, 39))
#define BSIG1(x) (ROTR64(x, 14) ^ ROTR64(x, 18) ^ ROTR64(x, 41))
#define SSIG0(x) (ROTR64(x, 1) ^ ROTR64(x, 8) ^ ((x) >> 7))
#define SSIG1(x) (ROTR64(x, 19) ^ ROTR64(x, 61) ^ ((x) >> 6))

/* One round; the eight working variables rotate through the macro's arguments instead of
 * being moved. Maj(a, b, c) = b ^ ((a ^ b) & (b ^ c)), and b ^ c is the a ^ b of the round
 * before (kept in bc), so Maj costs three operations, not four. */
#define SHA_ROUND(a, b, c, d, e, f, g, h, kw)                                      \
    do {                                                                           \
        uint64_t t1_ = (h) + BSIG1(e) + ((g) ^ ((e) & ((f) ^ (g)))) + (kw);        \
        uint64_t ab_ = (a) ^ (b);                                                  \
        uint64_t t2_ = BSIG0(a) + ((b) ^ (ab_ & bc));                              \
        bc = ab_;                                                                  \
        (d) += t1_;                                                                \
        (h) = t1_ + t2_;                                                           \
    } while (0)

/* W[t] = s1(W[t-2]) + W[t-7] + s0(W[t-15]) + W[t-16], in place in sixteen variables. */
#define SHA_W(w16, w15, w7, w2) ((w16) += SSIG1(w2) + (w7) + SSIG0(w15))

/* Sixteen rounds over w0..w15 with the constants k[i..i+15]. */
#define SHA_ROUNDS16(i)                                            \
    SHA_ROUND(a, b, c, d, e, f, g, h, k[(i) + 0] + w0);            \
    SHA_ROUND(h, a, b, c, d, e, f, g, k[(i) + 1] + w1);            \
    SHA_ROUND(g, h, a, b, c, d, e, f, k[(i) + 2] + w2);            \
    SHA_ROUND(f, g, h, a, b, c, d, e, k[(i) + 3] + w3);            \
    SHA_ROUND(e, f, g, h, a, b, c, d, k[(i) + 4] + w4);            \
    SHA_ROUND(d, e, f, g, h, a, b, c, k[(i) + 5] + w5);            \
    SHA_ROUND(c, d, e, f, g, h, a, b, k[(i) + 6] + w6);            \
    SHA_ROUND(b, c, d, e, f, g, h, a, k[(i) + 7] + w7);            \
    SHA_ROUND(a, b, c, d, e, f, g, h, k[(i) + 8] + w8);            \
    SHA_ROUND(h, a, b, c, d, e, f, g, k[(i) + 9] + w9);            \
    SHA_ROUND(g, h, a, b, c, d, e, f, k[(i) + 10] + w10);          \
    SHA_ROUND(f, g, h, a, b, c, d, e, k[(i) + 11] + w11);          \
    SHA_ROUND(e, f, g, h, a, b, c, d, k[(i) + 12] + w12);          \
    SHA_ROUND(d, e, f, g, h, a, b, c, k[(i) + 13] + w13);          \
    SHA_ROUND(c, d, e, f, g, h, a, b, k[(i) + 14] + w14);          \
    SHA_ROUND(b, c, d, e, f, g, h, a, k[(i) + 15] + w15)

#define SHA_SCHED16()                                                              \
    SHA_W(w0, w1, w9, w14); SHA_W(w1, w2, w10, w15); SHA_W(w2, w3, w11, w0);       \
    SHA_W(w3, w4, w12, w1); SHA_W(w4, w5, w13, w2); SHA_W(w5, w6, w14, w3);        \
    SHA_W(w6, w7, w15, w4); SHA_W(w7, w8, w0, w5); SHA_W(w8, w9, w1, w6);          \
    SHA_W(w9, w10, w2, w7); SHA_W(w10, w11, w3, w8); SHA_W(w11, w12, w4, w9);      \
    SHA_W(w12, w13, w5, w10); SHA_W(w13, w14, w6, w11); SHA_W(w14, w15, w7, w12);  \
    SHA_W(w15, w0, w8, w13)

/* Not inlined: its body is 19 KB of straight-line code, wanted once. */
static __attribute__((noinline)) void sha512_blocks(uint64_t st[8], const uint8_t *p, size_t nblocks)
{
    const uint64_t *k = sha512_k;
    /* Held in a register: without this gcc forms the table's address again (auipc) for
     * each of the 80 constants. */
    __asm__("" : "+r"(k));
    for (size_t n = 0; n < nblocks; n++, p += CRYPTO_SHA512_BLOCK_SIZE) {
        uint64_t w0, w1, w2, w3, w4, w5, w6, w7, w8, w9, w10, w11, w12, w13, w14, w15;
        if (((uintptr_t)p & 7u) == 0) {
            /* A word load and a byte swap: 14 instructions against 22 for eight bytes. */
            const uint8_t *q = (const uint8_t *)__builtin_assume_aligned(p, 8);
            w0 = load_be64_aligned(q); w1 = load_be64_aligned(q + 8);
            w2 = load_be64_aligned(q + 16); w3 = load_be64_aligned(q + 24);
            w4 = load_be64_aligned(q + 32); w5 = load_be64_aligned(q + 40);
            w6 = load_be64_aligned(q + 48); w7 = load_be64_aligned(q + 56);
            w8 = load_be64_aligned(q + 64); w9 = load_be64_aligned(q + 72);
            w10 = load_be64_aligned(q + 80); w11 = load_be64_aligned(q + 88);
            w12 = load_be64_aligned(q + 96); w13 = load_be64_aligned(q + 104);
            w14 = load_be64_aligned(q + 112); w15 = load_be64_aligned(q + 120);
        } else {
            w0 = load_be64(p); w1 = load_be64(p + 8); w2 = load_be64(p + 16);
            w3 = load_be64(p + 24); w4 = load_be64(p + 32); w5 = load_be64(p + 40);
            w6 = load_be64(p + 48); w7 = load_be64(p + 56); w8 = load_be64(p + 64);
            w9 = load_be64(p + 72); w10 = load_be64(p + 80); w11 = load_be64(p + 88);
            w12 = load_be64(p + 96); w13 = load_be64(p + 104); w14 = load_be64(p + 112);
            w15 = load_be64(p + 120);
        }
        uint64_t a = st[0], b = st[1], c = st[2], d = st[3];
        uint64_t e = st[4], f = st[5], g = st[6], h = st[7];
        uint64_t bc = b ^ c;
        SHA_ROUNDS16(0);
        SHA_SCHED16();
        SHA_ROUNDS16(16);
        SHA_SCHED16();
        SHA_ROUNDS16(32);
        SHA_SCHED16();
        SHA_ROUNDS16(48);
        SHA_SCHED16();
        SHA_ROUNDS16(64);
        st[0] += a; st[1] += b; st[2] += c; st[3] += d;
        st[4] += e; st[5] += f; st[6] += g; st[7] += h;
    }
}

crypto_result crypto_sha512_init(crypto_sha512_ctx *ctx)
{
    if (!ctx)
        return CRYPTO_ERR_ARGUMENT;
    for (unsigned i = 0; i < 8; i++)
        ctx->state[i] = sha512_h0[i];
    ctx->length = 0;
    ctx->buffered = 0;
    ctx->magic = CRYPTO_CTX_MAGIC;
    return CRYPTO_OK;
}

crypto_result crypto_sha512_update(crypto_sha512_ctx *ctx, const void *data, size_t len)
{
    if (!ctx || ctx->magic != CRYPTO_CTX_MAGIC || ctx->buffered >= CRYPTO_SHA512_BLOCK_SIZE ||
        (!data && len))
        return CRYPTO_ERR_ARGUMENT;
    if ((uint64_t)len > UINT64_MAX - ctx->length)
        return CRYPTO_ERR_LENGTH;
    if (len == 0)
        return CRYPTO_OK; /* data may be NULL: no pointer arithmetic on it */
    const uint8_t *p = (const uint8_t *)data;
    ctx->length += (uint64_t)len;
    if (ctx->buffered) {
        size_t take = CRYPTO_SHA512_BLOCK_SIZE - ctx->buffered;
        if (take > len)
            take = len;
        mem_copy(ctx->block + ctx->buffered, p, take);
        ctx->buffered += (uint32_t)take;
        p += take;
        len -= take;
        if (ctx->buffered < CRYPTO_SHA512_BLOCK_SIZE)
            return CRYPTO_OK;
        sha512_blocks(ctx->state, ctx->block, 1);
        ctx->buffered = 0;
    }
    size_t whole = len / CRYPTO_SHA512_BLOCK_SIZE;
    sha512_blocks(ctx->state, p, whole);
    p += whole * CRYPTO_SHA512_BLOCK_SIZE;
    len -= whole * CRYPTO_SHA512_BLOCK_SIZE;
    mem_copy(ctx->block, p, len);
    ctx->buffered = (uint32_t)len;
    return CRYPTO_OK;
}

crypto_result crypto_sha512_final(crypto_sha512_ctx *ctx, uint8_t out[CRYPTO_SHA512_DIGEST_SIZE])
{
    if (!ctx || !out || ctx->magic != CRYPTO_CTX_MAGIC ||
        ctx->buffered >= CRYPTO_SHA512_BLOCK_SIZE)
        return CRYPTO_ERR_ARGUMENT;
    uint32_t n = ctx->buffered;
    ctx->block[n++] = 0x80;
    if (n > CRYPTO_SHA512_BLOCK_SIZE - 16) {
        while (n < CRYPTO_SHA512_BLOCK_SIZE)
            ctx->block[n++] = 0;
        sha512_blocks(ctx->state, ctx->block, 1);
        n = 0;
    }
    while (n < CRYPTO_SHA512_BLOCK_SIZE - 16)
        ctx->block[n++] = 0;
    /* The message length in bits, a 128-bit big-endian number. */
    store_be64(ctx->block + CRYPTO_SHA512_BLOCK_SIZE - 16, ctx->length >> 61);
    store_be64(ctx->block + CRYPTO_SHA512_BLOCK_SIZE - 8, ctx->length << 3);
    sha512_blocks(ctx->state, ctx->block, 1);
    for (unsigned i = 0; i < 8; i++)
        store_be64(out + 8 * i, ctx->state[i]);
    mem_wipe(ctx, sizeof *ctx);
    return CRYPTO_OK;
}

crypto_result crypto_sha512(const void *data, size_t len, uint8_t out[CRYPTO_SHA512_DIGEST_SIZE])
{
    crypto_sha512_ctx ctx;
    if (!out || (!data && len))
        return CRYPTO_ERR_ARGUMENT;
    crypto_result r = crypto_sha512_init(&ctx);
    if (r == CRYPTO_OK)
        r = crypto_sha512_update(&ctx, data, len);
    if (r == CRYPTO_OK)
        r = crypto_sha512_final(&ctx, out);
    else
        mem_wipe(&ctx, sizeof ctx);
    return r;
}

/* ---------------------------------------------------------------- field GF(2^255 - 19)
 *
 * Limb bounds (checked at run time when CRYPTO_CHECK_BOUNDS is defined, as in the host
 * tests): fe_mul and fe_sq take limbs below 2^54 and return "reduced" limbs (below
 * 2^51 + 2^13); fe_add adds limb-wise; fe_sub(f, g) returns f + 4p - g and needs g below 4p
 * limb-wise (at most three reduced values added together). With inputs below 2^54 a
 * product is below 2^108, so a column's floors (product / 2^51) sum below 5 * 2^57 and
 * with the wrapped ones times 19 below 2^63.6; its remainders with 19 times theirs stay
 * below 2^58; each limb T_j before the carries is below 2^64; shifting an input left by
 * 7 stays below 2^61. */

#define MASK51 ((UINT64_C(1) << 51) - 1)

#ifdef CRYPTO_CHECK_BOUNDS
static void fe_check_mul(const fe *f)
{
    for (unsigned i = 0; i < 5; i++)
        if (f->v[i] >> 54)
            __builtin_trap();
}
static void fe_check_sub(const fe *g)
{
    if (g->v[0] > (UINT64_C(1) << 53) - 76)
        __builtin_trap();
    for (unsigned i = 1; i < 5; i++)
        if (g->v[i] > (UINT64_C(1) << 53) - 4)
            __builtin_trap();
}
#define FE_CHECK_MUL(f) fe_check_mul(f)
#define FE_CHECK_SUB(g) fe_check_sub(g)
#else
#define FE_CHECK_MUL(f) ((void)0)
#define FE_CHECK_SUB(g) ((void)0)
#endif

static const fe fe_zero = {{0, 0, 0, 0, 0}};
static const fe fe_one = {{1, 0, 0, 0, 0}};

static void fe_copy(fe *h, const fe *f)
{
    *h = *f;
}

/* Written out limb by limb: gcc keeps a five-step loop, which costs more in counters and
 * branches than the additions themselves (about 130 instructions per point doubling). */
static void fe_add(fe *h, const fe *f, const fe *g)
{
    uint64_t h0 = f->v[0] + g->v[0], h1 = f->v[1] + g->v[1], h2 = f->v[2] + g->v[2];
    uint64_t h3 = f->v[3] + g->v[3], h4 = f->v[4] + g->v[4];
    h->v[0] = h0; h->v[1] = h1; h->v[2] = h2; h->v[3] = h3; h->v[4] = h4;
}

static void fe_sub(fe *h, const fe *f, const fe *g)
{
    FE_CHECK_SUB(g);
    const uint64_t p4_0 = (UINT64_C(1) << 53) - 76, p4_i = (UINT64_C(1) << 53) - 4;
    uint64_t h0 = f->v[0] + p4_0 - g->v[0], h1 = f->v[1] + p4_i - g->v[1];
    uint64_t h2 = f->v[2] + p4_i - g->v[2], h3 = f->v[3] + p4_i - g->v[3];
    uint64_t h4 = f->v[4] + p4_i - g->v[4];
    h->v[0] = h0; h->v[1] = h1; h->v[2] = h2; h->v[3] = h3; h->v[4] = h4;
}

/* Limbs of any size below 2^63 to reduced limbs, the value unchanged modulo p. */
static void fe_carry(fe *h, const fe *f)
{
    uint64_t h0 = f->v[0], h1 = f->v[1], h2 = f->v[2], h3 = f->v[3], h4 = f->v[4];
    h1 += h0 >> 51; h0 &= MASK51;
    h2 += h1 >> 51; h1 &= MASK51;
    h3 += h2 >> 51; h2 &= MASK51;
    h4 += h3 >> 51; h3 &= MASK51;
    h0 += 19 * (h4 >> 51); h4 &= MASK51;
    h1 += h0 >> 51; h0 &= MASK51;
    h->v[0] = h0; h->v[1] = h1; h->v[2] = h2; h->v[3] = h3; h->v[4] = h4;
}

static void fe_neg(fe *h, const fe *f)
{
    fe t;
    fe_carry(&t, f);
    fe_sub(h, &fe_zero, &t);
    fe_carry(h, h);
}

/* Column sums without 128-bit additions: for each product, mul gives it modulo 2^64 and
 * mulhu of the operands shifted left by 6 and 7 gives floor(product / 2^51). In a column,
 * Lo = (sum of products) mod 2^64 and H = sum of the floors; the column's value is
 * 2^51 H + R with R = Lo - 2^51 H (mod 2^64), exact because R < 2^64. The wrapped columns
 * (weight 2^255 = 19) keep their floors apart, H', and add 19 H' to H; their low parts are
 * taken with 19 g, which mul may wrap. The limb of weight 2^51j is then
 * T_j = Lo_j - 2^51 HC_j + HC_(j-1), HC = H + 19 H', below 2^64 for inputs below 2^54. */
#define FE_MULHI(x, y) ((uint64_t)(((u128)(x) * (y)) >> 64))

/* 19, opaque to the optimiser: gcc would otherwise multiply by 19 with four shifts and
 * additions, where rv64's mul is one instruction (what we count, docs/crypto.md). */
static inline uint64_t fe_k19(void)
{
    uint64_t k = 19;
    __asm__("" : "+r"(k));
    return k;
}

#define FE_FINISH(h, l0, l1, l2, l3, l4, unreduced, c0, c1, c2, c3, c4)         \
    do {                                                                          \
        /* unreduced: the l still hold 2^51 c (the squaring); else already taken off */ \
        uint64_t t0_ = (l0) - ((unreduced) ? (c0) << 51 : 0) + k19 * (c4);        \
        uint64_t t1_ = (l1) - ((unreduced) ? (c1) << 51 : 0) + (c0);              \
        uint64_t t2_ = (l2) - ((unreduced) ? (c2) << 51 : 0) + (c1);              \
        uint64_t t3_ = (l3) - ((unreduced) ? (c3) << 51 : 0) + (c2);              \
        uint64_t t4_ = (l4) - ((unreduced) ? (c4) << 51 : 0) + (c3);              \
        t1_ += t0_ >> 51; t0_ &= MASK51;                                          \
        t2_ += t1_ >> 51; t1_ &= MASK51;                                          \
        t3_ += t2_ >> 51; t2_ &= MASK51;                                          \
        t4_ += t3_ >> 51; t3_ &= MASK51;                                          \
        t0_ += k19 * (t4_ >> 51); t4_ &= MASK51;                                  \
        t1_ += t0_ >> 51; t0_ &= MASK51;                                          \
        (h)->v[0] = t0_; (h)->v[1] = t1_; (h)->v[2] = t2_;                        \
        (h)->v[3] = t3_; (h)->v[4] = t4_;                                         \
    } while (0)

static void fe_mul(fe *h, const fe *f, const fe *g)
{
    FE_CHECK_MUL(f);
    FE_CHECK_MUL(g);
    const uint64_t k19 = fe_k19();
    /* Only f << 6 is kept: mul(f << 6, g) is the product times 64 modulo 2^64, which
     * still holds the column sums modulo 2^58, all FE_FINISH6 needs; five live values
     * fewer than keeping f as well, so fewer spills. */
    uint64_t F0 = f->v[0] << 6, F1 = f->v[1] << 6, F2 = f->v[2] << 6, F3 = f->v[3] << 6,
             F4 = f->v[4] << 6;
    uint64_t g0 = g->v[0], g1 = g->v[1], g2 = g->v[2], g3 = g->v[3], g4 = g->v[4];
    uint64_t g1_19 = k19 * g1, g2_19 = k19 * g2, g3_19 = k19 * g3, g4_19 = k19 * g4;
    uint64_t l0 = F0 * g0 + F1 * g4_19 + F2 * g3_19 + F3 * g2_19 + F4 * g1_19;
    uint64_t l1 = F0 * g1 + F1 * g0 + F2 * g4_19 + F3 * g3_19 + F4 * g2_19;
    uint64_t l2 = F0 * g2 + F1 * g1 + F2 * g0 + F3 * g4_19 + F4 * g3_19;
    uint64_t l3 = F0 * g3 + F1 * g2 + F2 * g1 + F3 * g0 + F4 * g4_19;
    uint64_t l4 = F0 * g4 + F1 * g3 + F2 * g2 + F3 * g1 + F4 * g0;
    uint64_t G0 = g0 << 7, G1 = g1 << 7, G2 = g2 << 7, G3 = g3 << 7, G4 = g4 << 7;
    uint64_t c0 = FE_MULHI(F0, G0) +
                  k19 * (FE_MULHI(F1, G4) + FE_MULHI(F2, G3) + FE_MULHI(F3, G2) + FE_MULHI(F4, G1));
    uint64_t c1 = FE_MULHI(F0, G1) + FE_MULHI(F1, G0) +
                  k19 * (FE_MULHI(F2, G4) + FE_MULHI(F3, G3) + FE_MULHI(F4, G2));
    uint64_t c2 = FE_MULHI(F0, G2) + FE_MULHI(F1, G1) + FE_MULHI(F2, G0) +
                  k19 * (FE_MULHI(F3, G4) + FE_MULHI(F4, G3));
    uint64_t c3 = FE_MULHI(F0, G3) + FE_MULHI(F1, G2) + FE_MULHI(F2, G1) + FE_MULHI(F3, G0) +
                  k19 * FE_MULHI(F4, G4);
    uint64_t c4 = FE_MULHI(F0, G4) + FE_MULHI(F1, G3) + FE_MULHI(F2, G2) + FE_MULHI(F3, G1) +
                  FE_MULHI(F4, G0);
    l0 = (l0 - (c0 << 57)) >> 6;
    l1 = (l1 - (c1 << 57)) >> 6;
    l2 = (l2 - (c2 << 57)) >> 6;
    l3 = (l3 - (c3 << 57)) >> 6;
    l4 = (l4 - (c4 << 57)) >> 6;
    FE_FINISH(h, l0, l1, l2, l3, l4, 0, c0, c1, c2, c3, c4);
}

static void fe_sq(fe *h, const fe *f)
{
    FE_CHECK_MUL(f);
    const uint64_t k19 = fe_k19();
    uint64_t f0 = f->v[0], f1 = f->v[1], f2 = f->v[2], f3 = f->v[3], f4 = f->v[4];
    uint64_t d0 = 2 * f0, d1 = 2 * f1, d2 = 2 * f2, d3 = 2 * f3;
    uint64_t f3_19 = k19 * f3, f4_19 = k19 * f4;
    /* U = f << 7: mulhu(U_i, U_j) = floor(2 f_i f_j / 2^51); diagonal: F_i = f_i << 6 */
    uint64_t U0 = f0 << 7, U1 = f1 << 7, U2 = f2 << 7, U3 = f3 << 7, U4 = f4 << 7;
    uint64_t F0 = f0 << 6, F1 = f1 << 6, F2 = f2 << 6, F3 = f3 << 6, F4 = f4 << 6;
    uint64_t l0 = f0 * f0 + d1 * f4_19 + d2 * f3_19;
    uint64_t l1 = d0 * f1 + d2 * f4_19 + f3 * f3_19;
    uint64_t l2 = d0 * f2 + f1 * f1 + d3 * f4_19;
    uint64_t l3 = d0 * f3 + d1 * f2 + f4 * f4_19;
    uint64_t l4 = d0 * f4 + d1 * f3 + f2 * f2;
    uint64_t c0 = FE_MULHI(F0, U0) + k19 * (FE_MULHI(U1, U4) + FE_MULHI(U2, U3));
    uint64_t c1 = FE_MULHI(U0, U1) + k19 * (FE_MULHI(U2, U4) + FE_MULHI(F3, U3));
    uint64_t c2 = FE_MULHI(U0, U2) + FE_MULHI(F1, U1) + k19 * FE_MULHI(U3, U4);
    uint64_t c3 = FE_MULHI(U0, U3) + FE_MULHI(U1, U2) + k19 * FE_MULHI(F4, U4);
    uint64_t c4 = FE_MULHI(U0, U4) + FE_MULHI(U1, U3) + FE_MULHI(F2, U2);
    FE_FINISH(h, l0, l1, l2, l3, l4, 1, c0, c1, c2, c3, c4);
}

static void fe_sqn(fe *h, const fe *f, unsigned n)
{
    fe_sq(h, f);
    for (unsigned i = 1; i < n; i++)
        fe_sq(h, h);
}

/* The 255 low bits of s, little-endian; bit 255 (a sign) is the caller's business. */
static void fe_frombytes(fe *h, const uint8_t s[32])
{
    uint64_t w0 = load_le64(s), w1 = load_le64(s + 8), w2 = load_le64(s + 16), w3 = load_le64(s + 24);
    h->v[0] = w0 & MASK51;
    h->v[1] = ((w0 >> 51) | (w1 << 13)) & MASK51;
    h->v[2] = ((w1 >> 38) | (w2 << 26)) & MASK51;
    h->v[3] = ((w2 >> 25) | (w3 << 39)) & MASK51;
    h->v[4] = (w3 >> 12) & MASK51;
}

/* The canonical encoding: the value fully reduced below p. */
static void fe_tobytes(uint8_t s[32], const fe *f)
{
    fe t;
    fe_carry(&t, f);
    uint64_t h0 = t.v[0], h1 = t.v[1], h2 = t.v[2], h3 = t.v[3], h4 = t.v[4];
    /* Now h < 2p; q = 1 exactly when h >= p, that is when h + 19 reaches 2^255. */
    uint64_t q = (h0 + 19) >> 51;
    q = (h1 + q) >> 51;
    q = (h2 + q) >> 51;
    q = (h3 + q) >> 51;
    q = (h4 + q) >> 51;
    h0 += 19 * q;
    h1 += h0 >> 51; h0 &= MASK51;
    h2 += h1 >> 51; h1 &= MASK51;
    h3 += h2 >> 51; h2 &= MASK51;
    h4 += h3 >> 51; h3 &= MASK51;
    h4 &= MASK51; /* drops the 2^255 that stands for the p subtracted */
    store_le64(s, h0 | (h1 << 51));
    store_le64(s + 8, (h1 >> 13) | (h2 << 38));
    store_le64(s + 16, (h2 >> 26) | (h3 << 25));
    store_le64(s + 24, (h3 >> 39) | (h4 << 12));
}

static int fe_iszero(const fe *f)
{
    uint8_t s[32];
    uint8_t acc = 0;
    fe_tobytes(s, f);
    for (unsigned i = 0; i < 32; i++)
        acc |= s[i];
    return acc == 0;
}

/* Any two elements with limbs below 2^62: g is reduced first to meet fe_sub's bound. */
static int fe_equal(const fe *f, const fe *g)
{
    fe t, u;
    fe_carry(&u, g);
    fe_sub(&t, f, &u);
    return fe_iszero(&t);
}

static unsigned fe_isnegative(const fe *f)
{
    uint8_t s[32];
    fe_tobytes(s, f);
    return s[0] & 1u;
}

/* z^((p - 5) / 8) = z^(2^252 - 3), the exponent of RFC 8032's square root. */
static void fe_pow22523(fe *out, const fe *z)
{
    fe t0, t1, t2, t3;
    fe_sq(&t0, z);               /* 2 */
    fe_sqn(&t1, &t0, 2);         /* 8 */
    fe_mul(&t1, &t1, z);         /* 9 */
    fe_mul(&t0, &t0, &t1);       /* 11 */
    fe_sq(&t0, &t0);             /* 22 */
    fe_mul(&t0, &t1, &t0);       /* 31 = 2^5 - 1 */
    fe_sqn(&t1, &t0, 5);
    fe_mul(&t1, &t1, &t0);       /* 2^10 - 1 */
    fe_sqn(&t2, &t1, 10);
    fe_mul(&t2, &t2, &t1);       /* 2^20 - 1 */
    fe_sqn(&t3, &t2, 20);
    fe_mul(&t3, &t3, &t2);       /* 2^40 - 1 */
    fe_sqn(&t3, &t3, 10);
    fe_mul(&t2, &t3, &t1);       /* 2^50 - 1 */
    fe_sqn(&t3, &t2, 50);
    fe_mul(&t3, &t3, &t2);       /* 2^100 - 1 */
    fe_sqn(&t1, &t3, 100);
    fe_mul(&t1, &t1, &t3);       /* 2^200 - 1 */
    fe_sqn(&t1, &t1, 50);
    fe_mul(&t1, &t1, &t2);       /* 2^250 - 1 */
    fe_sqn(&t1, &t1, 2);
    fe_mul(out, &t1, z);         /* 2^252 - 3 */
}

/* y (bit 255 ignored) below p? p = 2^255 - 19 is ed ff .. ff 7f little-endian. */
static int fe_bytes_canonical(const uint8_t s[32])
{
    if ((s[31] & 0x7f) != 0x7f)
        return 1;
    for (unsigned i = 30; i >= 1; i--)
        if (s[i] != 0xff)
            return 1;
    return s[0] < 0xed;
}

/* ---------------------------------------------------------------- group edwards25519
 *
 * Twisted Edwards form -x^2 + y^2 = 1 + d x^2 y^2 in extended coordinates; addition and
 * doubling are the a = -1 formulas of Hisil, Wong, Carter and Dawson (2008). */

static void ge_p1p1_to_p2(ge_p2 *r, const ge_p1p1 *p)
{
    fe_mul(&r->X, &p->E, &p->F);
    fe_mul(&r->Y, &p->G, &p->H);
    fe_mul(&r->Z, &p->F, &p->G);
}

static void ge_p1p1_to_p3(ge_p3 *r, const ge_p1p1 *p)
{
    fe_mul(&r->X, &p->E, &p->F);
    fe_mul(&r->Y, &p->G, &p->H);
    fe_mul(&r->Z, &p->F, &p->G);
    fe_mul(&r->T, &p->E, &p->H);
}

static void ge_p3_to_p2(ge_p2 *r, const ge_p3 *p)
{
    fe_copy(&r->X, &p->X);
    fe_copy(&r->Y, &p->Y);
    fe_copy(&r->Z, &p->Z);
}

static void ge_p3_to_cached(ge_cached *r, const ge_p3 *p)
{
    fe_add(&r->ypx, &p->Y, &p->X);
    fe_sub(&r->ymx, &p->Y, &p->X);
    fe_add(&r->z2, &p->Z, &p->Z);
    fe_mul(&r->t2d, &p->T, &fe_d2);
}

/* 2P. With A = X^2, B = Y^2, C = 2Z^2 the formulas give E = 2XY, G = B - A, F = G - C,
 * H = -(A + B); F and H are kept negated (F = A + C - B, H = A + B), which multiplies every
 * output coordinate by -1 and so leaves the point unchanged. */
static void ge_dbl(ge_p1p1 *r, const ge_p2 *p)
{
    fe a, b, c, t;
    fe_sq(&a, &p->X);
    fe_sq(&b, &p->Y);
    fe_sq(&c, &p->Z);
    fe_add(&c, &c, &c);
    fe_add(&r->H, &a, &b);
    fe_add(&t, &p->X, &p->Y);
    fe_sq(&t, &t);
    fe_sub(&r->E, &t, &r->H);
    fe_sub(&r->G, &b, &a);
    fe_add(&t, &c, &a);
    fe_sub(&r->F, &t, &b);
}

/* P + Q, or P - Q when neg: negating Q swaps Y+X with Y-X and negates 2dT. */
static void ge_add_cached(ge_p1p1 *r, const ge_p3 *p, const ge_cached *q, int neg)
{
    fe a, b, c, d;
    fe_add(&a, &p->Y, &p->X);
    fe_sub(&b, &p->Y, &p->X);
    fe_mul(&a, &a, neg ? &q->ymx : &q->ypx);
    fe_mul(&b, &b, neg ? &q->ypx : &q->ymx);
    fe_mul(&c, &p->T, &q->t2d);
    fe_mul(&d, &p->Z, &q->z2);
    fe_sub(&r->E, &a, &b);
    fe_add(&r->H, &a, &b);
    if (neg) {
        fe_add(&r->F, &d, &c);
        fe_sub(&r->G, &d, &c);
    } else {
        fe_sub(&r->F, &d, &c);
        fe_add(&r->G, &d, &c);
    }
}

/* P + Q or P - Q for an affine Q (Z = 1), one multiplication fewer. */
static void ge_add_niels(ge_p1p1 *r, const ge_p3 *p, const ge_niels *q, int neg)
{
    fe a, b, c, d;
    fe_add(&a, &p->Y, &p->X);
    fe_sub(&b, &p->Y, &p->X);
    fe_mul(&a, &a, neg ? &q->ymx : &q->ypx);
    fe_mul(&b, &b, neg ? &q->ypx : &q->ymx);
    fe_mul(&c, &p->T, &q->xy2d);
    fe_add(&d, &p->Z, &p->Z);
    fe_sub(&r->E, &a, &b);
    fe_add(&r->H, &a, &b);
    if (neg) {
        fe_add(&r->F, &d, &c);
        fe_sub(&r->G, &d, &c);
    } else {
        fe_sub(&r->F, &d, &c);
        fe_add(&r->G, &d, &c);
    }
}

static void ge_p2_identity(ge_p2 *r)
{
    fe_copy(&r->X, &fe_zero);
    fe_copy(&r->Y, &fe_one);
    fe_copy(&r->Z, &fe_one);
}

/* RFC 8032 5.1.3, refusing what the strict policy refuses: y >= p, no point with this y,
 * and x = 0 with the sign bit set (a second encoding of (0, 1) and of (0, -1)). */
static crypto_result ge_decode(ge_p3 *h, const uint8_t s[32], crypto_result noncanonical,
                               crypto_result not_on_curve)
{
    fe u, v, v3, vxx, check;
    unsigned sign = s[31] >> 7;
    if (!fe_bytes_canonical(s))
        return noncanonical;
    fe_frombytes(&h->Y, s);
    fe_sq(&u, &h->Y);
    fe_mul(&v, &u, &fe_d);
    fe_sub(&u, &u, &fe_one);
    fe_carry(&u, &u);                 /* u = y^2 - 1 */
    fe_add(&v, &v, &fe_one);          /* v = d y^2 + 1, never 0: d is not a square */
    fe_sq(&v3, &v);
    fe_mul(&v3, &v3, &v);             /* v^3 */
    fe_sq(&h->X, &v3);
    fe_mul(&h->X, &h->X, &v);
    fe_mul(&h->X, &h->X, &u);         /* u v^7 */
    fe_pow22523(&h->X, &h->X);
    fe_mul(&h->X, &h->X, &v3);
    fe_mul(&h->X, &h->X, &u);         /* candidate x = u v^3 (u v^7)^((p-5)/8) */
    fe_sq(&vxx, &h->X);
    fe_mul(&vxx, &vxx, &v);
    fe_sub(&check, &vxx, &u);
    if (!fe_iszero(&check)) {
        fe_add(&check, &vxx, &u);
        if (!fe_iszero(&check))
            return not_on_curve;
        fe_mul(&h->X, &h->X, &fe_sqrtm1);
    }
    if (sign && fe_iszero(&h->X))
        return noncanonical;
    if (fe_isnegative(&h->X) != sign)
        fe_neg(&h->X, &h->X);
    fe_copy(&h->Z, &fe_one);
    fe_mul(&h->T, &h->X, &h->Y);
    return CRYPTO_OK;
}

/* [8]P is the identity exactly when P has order 1, 2, 4 or 8. [8]P has x = 0 only when it
 * is (0, 1): (0, -1) has order 2, and no point has order 16. */
static int ge_is_small_order(const ge_p3 *p)
{
    ge_p2 q;
    ge_p1p1 t;
    ge_p3_to_p2(&q, p);
    for (unsigned i = 0; i < 3; i++) {
        ge_dbl(&t, &q);
        ge_p1p1_to_p2(&q, &t);
    }
    return fe_iszero(&q.X);
}

/* The same answer from the encoding of a point that decoded: a y fixes x up to its sign,
 * and negation keeps the order, so the small-order points are exactly those whose y is
 * one of five values (gen_tables.py derives them and checks each; crypto_unit checks them
 * against ge_is_small_order). A comparison instead of three doublings. */
static int enc_is_small_order(const uint8_t s[32])
{
    for (unsigned k = 0; k < 5; k++) {
        const uint8_t *y = ed25519_small_order_y[k];
        unsigned diff = (unsigned)((s[31] & 0x7f) ^ y[31]);
        for (unsigned i = 0; i < 31; i++)
            diff |= (unsigned)(s[i] ^ y[i]);
        if (diff == 0)
            return 1;
    }
    return 0;
}

/* ---------------------------------------------------------------- scalars modulo L */

/* S < L, compared from the most significant byte (S and L little-endian). */
static int scalar_is_canonical(const uint8_t s[32])
{
    for (unsigned i = 32; i-- > 0;) {
        if (s[i] < ed25519_l_bytes[i])
            return 1;
        if (s[i] > ed25519_l_bytes[i])
            return 0;
    }
    return 0; /* S = L */
}

/* A 512-bit little-endian number modulo L, by Horner's rule a byte at a time: with r < L,
 * t = 256 r + byte < 2^261 splits as q 2^252 + low, and since 2^252 = -c (mod L) with
 * c = L - 2^252 < 2^125, t = low - q c (mod L) with q < 2^9; that lies in (-2^134, 2^252),
 * and one addition of L brings a negative value into [0, L). */
static void scalar_reduce(uint64_t r[4], const uint8_t h[64])
{
    uint64_t r0 = 0, r1 = 0, r2 = 0, r3 = 0;
    for (unsigned i = 64; i-- > 0;) {
        uint64_t t4 = r3 >> 56;
        r3 = (r3 << 8) | (r2 >> 56);
        r2 = (r2 << 8) | (r1 >> 56);
        r1 = (r1 << 8) | (r0 >> 56);
        r0 = (r0 << 8) | h[i];
        uint64_t q = (t4 << 4) | (r3 >> 60);
        r3 &= (UINT64_C(1) << 60) - 1;
        u128 p0 = (u128)q * ed25519_c_words[0];
        u128 p1 = (u128)q * ed25519_c_words[1] + (uint64_t)(p0 >> 64);
        u128 d = (u128)r0 - (uint64_t)p0;
        r0 = (uint64_t)d;
        d = (u128)r1 - (uint64_t)p1 - ((uint64_t)(d >> 64) & 1);
        r1 = (uint64_t)d;
        d = (u128)r2 - (uint64_t)(p1 >> 64) - ((uint64_t)(d >> 64) & 1);
        r2 = (uint64_t)d;
        d = (u128)r3 - ((uint64_t)(d >> 64) & 1);
        r3 = (uint64_t)d;
        uint64_t mask = 0 - ((uint64_t)(d >> 64) & 1); /* all ones when negative */
        u128 s = (u128)r0 + (ed25519_l_words[0] & mask);
        r0 = (uint64_t)s;
        s = (u128)r1 + (ed25519_l_words[1] & mask) + (uint64_t)(s >> 64);
        r1 = (uint64_t)s;
        s = (u128)r2 + (ed25519_l_words[2] & mask) + (uint64_t)(s >> 64);
        r2 = (uint64_t)s;
        r3 = r3 + (ed25519_l_words[3] & mask) + (uint64_t)(s >> 64);
    }
    r[0] = r0; r[1] = r1; r[2] = r2; r[3] = r3;
}

/* The bit length of a 256-bit number (0 for 0). */
static unsigned mp_bits(const uint64_t x[4])
{
    for (unsigned i = 4; i-- > 0;) {
        uint64_t v = x[i];
        if (v == 0)
            continue;
        unsigned n = 1;
        for (unsigned s = 32; s > 0; s /= 2)
            if (v >> s) {
                v >>= s;
                n += s;
            }
        return 64 * i + n;
    }
    return 0;
}

static unsigned scalar_window(const uint64_t x[4], unsigned pos, unsigned w)
{
    unsigned word = pos / 64, off = pos % 64;
    uint64_t v = 0;
    if (word < 4) {
        v = x[word] >> off;
        if (off + w > 64 && word + 1 < 4)
            v |= x[word + 1] << (64 - off);
    }
    return (unsigned)(v & ((UINT64_C(1) << w) - 1));
}

/* Width-w non-adjacent form of x < 2^253: odd digits |d| < 2^(w-1), any two nonzero ones
 * at least w positions apart, so a 253-bit scalar costs about 253 / (w + 1) additions. */
static void scalar_wnaf(int8_t digits[256], const uint64_t x[4], unsigned w)
{
    unsigned carry = 0, top = mp_bits(x);
    for (unsigned i = 0; i < 256; i++)
        digits[i] = 0;
    for (unsigned pos = 0; pos < 256;) {
        /* Past the top bit with no carry, every digit left is 0 (half-size scalars). */
        if (pos >= top && carry == 0)
            break;
        unsigned win = scalar_window(x, pos, w) + carry;
        if ((win & 1) == 0) {
            /* digit 0; the low bit and the carry were equal, so the carry moves on unchanged */
            pos++;
            continue;
        }
        int d = (int)win;
        if (win >= (1u << (w - 1))) {
            d -= 1 << w;
            carry = 1;
        } else {
            carry = 0;
        }
        digits[pos] = (int8_t)d;
        pos += w;
    }
}

/* ---------------------------------------------------------------- verification */

#define A_WINDOW 5
#define A_TABLE (1u << (A_WINDOW - 2)) /* A, 3A, ..., 15A */

static void ge_odd_multiples(ge_cached tab[A_TABLE], const ge_p3 *a)
{
    ge_p2 a2;
    ge_p1p1 t;
    ge_p3 a_times_2, u;
    ge_cached twice;
    ge_p3_to_p2(&a2, a);
    ge_dbl(&t, &a2);
    ge_p1p1_to_p3(&a_times_2, &t);
    ge_p3_to_cached(&twice, &a_times_2);
    ge_p3_to_cached(&tab[0], a);
    u = *a;
    for (unsigned i = 1; i < A_TABLE; i++) {
        ge_add_cached(&t, &u, &twice, 0);
        ge_p1p1_to_p3(&u, &t);
        ge_p3_to_cached(&tab[i], &u);
    }
}

/* [a]P + [b]B from the two digit strings (b_digits may be NULL: no base-point term). */
static void ge_double_scalarmult(ge_p2 *r, const int8_t a_digits[256], const ge_cached p_tab[A_TABLE],
                                 const int8_t *b_digits)
{
    int i = 255;
    while (i >= 0 && a_digits[i] == 0 && (!b_digits || b_digits[i] == 0))
        i--;
    ge_p2_identity(r);
    for (; i >= 0; i--) {
        ge_p1p1 t;
        ge_p3 u;
        int da = a_digits[i], db = b_digits ? b_digits[i] : 0;
        ge_dbl(&t, r);
        if (da) {
            ge_p1p1_to_p3(&u, &t);
            if (da > 0)
                ge_add_cached(&t, &u, &p_tab[da / 2], 0);
            else
                ge_add_cached(&t, &u, &p_tab[-da / 2], 1);
        }
        if (db) {
            ge_p1p1_to_p3(&u, &t);
            if (db > 0)
                ge_add_niels(&t, &u, &base_odd_multiples[db / 2], 0);
            else
                ge_add_niels(&t, &u, &base_odd_multiples[-db / 2], 1);
        }
        ge_p1p1_to_p2(r, &t);
    }
}

static void load_scalar(uint64_t x[4], const uint8_t s[32])
{
    for (unsigned i = 0; i < 4; i++)
        x[i] = load_le64(s + 8 * i);
}

/* ---------------------------------------------------------------- half-size scalars
 *
 * The raw-key path checks D = [S]B - [k]A - R = 0 through [c1]D = 0 with half-size c0, c1:
 * c0 = c1 k (mod 8L) and c1 odd. Every point P of the curve has [8L]P = 0, so
 * [c1 k]A = [c0]A for any A, small-order component or not; B has order L, so
 * [c1 S]B = [(c1 S) mod L]B. Hence [c1]D = [(c1 S) mod L]B - [c0]A - [c1]R, exactly. The
 * group has order 8L with L prime and c1 is odd and below L, so [c1]D = 0 only when D = 0:
 * the verdict is the cofactorless equation's, for every input. (c0, c1) comes from the
 * extended Euclidean algorithm on (8L, k), stopped when the remainder falls below 2^128
 * (then |c1| <= 8L / 2^128 < 2^128); one loop of about 128 doublings replaces 253. */

static int mp_geq(const uint64_t a[4], const uint64_t b[4])
{
    for (unsigned i = 4; i-- > 0;)
        if (a[i] != b[i])
            return a[i] > b[i];
    return 1;
}

/* a -= b modulo 2^256 (two's complement for the signed cofactors). */
static void mp_sub(uint64_t a[4], const uint64_t b[4])
{
    uint64_t borrow = 0;
    for (unsigned i = 0; i < 4; i++) {
        uint64_t x = a[i], y = b[i];
        uint64_t d = x - y - borrow;
        borrow = (x < y) | ((x == y) & borrow);
        a[i] = d;
    }
}

static void mp_neg(uint64_t a[4])
{
    const uint64_t zero[4] = {0, 0, 0, 0};
    uint64_t t[4] = {a[0], a[1], a[2], a[3]};
    for (unsigned i = 0; i < 4; i++)
        a[i] = zero[i];
    mp_sub(a, t);
}

static void mp_shl(uint64_t out[4], const uint64_t x[4], unsigned sh)
{
    unsigned q = sh / 64, b = sh % 64;
    for (unsigned i = 4; i-- > 0;) {
        uint64_t v = 0;
        if (i >= q) {
            v = x[i - q] << b;
            if (b != 0 && i > q)
                v |= x[i - q - 1] >> (64 - b);
        }
        out[i] = v;
    }
}

/* x >>= 1, arithmetic when sign is set (the cofactors), logical otherwise. */
static void mp_shr1(uint64_t x[4], int arithmetic)
{
    uint64_t top = arithmetic ? x[3] & (UINT64_C(1) << 63) : 0;
    for (unsigned i = 0; i < 3; i++)
        x[i] = (x[i] >> 1) | (x[i + 1] << 63);
    x[3] = (x[3] >> 1) | top;
}

/* a -= q b modulo 2^256 (b unsigned, or a two's-complement cofactor). */
static void mp_submul(uint64_t a[4], uint64_t q, const uint64_t b[4])
{
    uint64_t carry = 0, borrow = 0;
    for (unsigned i = 0; i < 4; i++) {
        u128 p = (u128)q * b[i] + carry;
        uint64_t lo = (uint64_t)p;
        carry = (uint64_t)(p >> 64);
        uint64_t x = a[i];
        uint64_t d = x - lo;
        uint64_t b1 = x < lo;
        a[i] = d - borrow;
        borrow = b1 | (d < borrow);
    }
}

/* The 64 bits of x from bit e up (e >= 0). */
static uint64_t mp_bits_from(const uint64_t x[4], unsigned e)
{
    unsigned q = e / 64, b = e % 64;
    uint64_t v = q < 4 ? x[q] >> b : 0;
    if (b != 0 && q + 1 < 4)
        v |= x[q + 1] << (64 - b);
    return v;
}

/* One Euclidean step: (r0, t0) becomes (r0 mod r1, t0 - floor(r0 / r1) t1). Needs r1 > 0
 * and |t1| floor(r0 / r1) below 2^254 (the caller's bounds give it). The quotient is
 * estimated from the top 64 bits of r0 and the bits of r1 at the same place,
 * q' = floor(x0 / (y1 + 1)) <= q; for quotients below 2^30 (all but about one step in
 * 2^30) that falls short of q by at most 2, which the bounded correction adds. Larger
 * quotients are taken bit by bit. */
static void euclid_step(uint64_t r0[4], uint64_t t0[4], const uint64_t r1[4], const uint64_t t1[4])
{
    unsigned b0 = mp_bits(r0), b1 = mp_bits(r1);
    if (b0 < b1)
        return;
    unsigned s = b0 - b1;
    if (s < 30) {
        unsigned e = b0 > 64 ? b0 - 64 : 0;
        uint64_t x0 = mp_bits_from(r0, e), y1 = mp_bits_from(r1, e);
        uint64_t q = e == 0 ? x0 / y1 : y1 == UINT64_MAX ? 0 : x0 / (y1 + 1);
        mp_submul(r0, q, r1);
        mp_submul(t0, q, t1);
        for (unsigned i = 0; i < 3 && mp_geq(r0, r1); i++) {
            mp_sub(r0, r1);
            mp_sub(t0, t1);
        }
        if (!mp_geq(r0, r1))
            return;
        /* not reached with the bound above; the bitwise loop finishes the job if it is */
        b0 = mp_bits(r0);
        s = b0 - b1;
    }
    uint64_t rs[4], ts[4];
    mp_shl(rs, r1, s);
    mp_shl(ts, t1, s);
    for (unsigned i = 0; i <= s; i++) {
        if (mp_geq(r0, rs)) {
            mp_sub(r0, rs);
            mp_sub(t0, ts);
        }
        mp_shr1(rs, 0);
        mp_shr1(ts, 1);
    }
}

static int mp_negative(const uint64_t t[4])
{
    return (int)(t[3] >> 63);
}

/* Max of the bit lengths of r and |t|. */
static unsigned pair_bits(const uint64_t r[4], const uint64_t t[4])
{
    uint64_t a[4] = {t[0], t[1], t[2], t[3]};
    if (mp_negative(a))
        mp_neg(a);
    unsigned br = mp_bits(r), bt = mp_bits(a);
    return br > bt ? br : bt;
}

/* (c0, c1) for k: c0 = r >= 0 and signed c1 = t with r = t k (mod 8L) and t odd, both as
 * short as the Euclidean sequence gives. Returns their larger bit length. */
static unsigned scalar_half_size(uint64_t c0[4], uint64_t c1[4], const uint64_t k[4])
{
    uint64_t r0[4], t0[4] = {0, 0, 0, 0}, r1[4] = {k[0], k[1], k[2], k[3]}, t1[4] = {1, 0, 0, 0};
    mp_shl(r0, ed25519_l_words, 3);
    /* At most 1.45 log2(8L) < 371 steps for any Euclidean sequence from 256-bit inputs. */
    for (unsigned guard = 0; guard < 372 && mp_bits(r1) > 128; guard++) {
        euclid_step(r0, t0, r1, t1);
        for (unsigned i = 0; i < 4; i++) {
            uint64_t x = r0[i], y = t0[i];
            r0[i] = r1[i];
            t0[i] = t1[i];
            r1[i] = x;
            t1[i] = y;
        }
    }
    /* t0 and t1 are coprime, so one of (r1, t1), (r0, t0) and the next pair
     * (r0 mod r1, t0 - q t1) has an odd t: take the shortest such. */
    unsigned best = 0;
    if (t1[0] & 1) {
        best = pair_bits(r1, t1);
        for (unsigned i = 0; i < 4; i++) {
            c0[i] = r1[i];
            c1[i] = t1[i];
        }
        return best;
    }
    best = pair_bits(r0, t0);
    for (unsigned i = 0; i < 4; i++) {
        c0[i] = r0[i];
        c1[i] = t0[i];
    }
    if (mp_bits(r1) > 2) { /* r1 >= 4 keeps |t1| q below 2^254 */
        uint64_t r2[4] = {r0[0], r0[1], r0[2], r0[3]}, t2[4] = {t0[0], t0[1], t0[2], t0[3]};
        euclid_step(r2, t2, r1, t1);
        unsigned b2 = pair_bits(r2, t2);
        if (mp_bits(r2) != 0 && b2 < best) {
            best = b2;
            for (unsigned i = 0; i < 4; i++) {
                c0[i] = r2[i];
                c1[i] = t2[i];
            }
        }
    }
    return best;
}

/* (a b) mod L for a, b below 2^256. */
static void scalar_mul_mod_l(uint64_t out[4], const uint64_t a[4], const uint64_t b[4])
{
    uint64_t prod[8] = {0};
    for (unsigned i = 0; i < 4; i++) {
        uint64_t carry = 0;
        for (unsigned j = 0; j < 4; j++) {
            u128 t = (u128)a[i] * b[j] + prod[i + j] + carry;
            prod[i + j] = (uint64_t)t;
            carry = (uint64_t)(t >> 64);
        }
        prod[i + 4] = carry;
    }
    uint8_t bytes[64];
    for (unsigned i = 0; i < 8; i++)
        store_le64(bytes + 8 * i, prod[i]);
    scalar_reduce(out, bytes);
}

static crypto_result decode_public_key(ge_p3 *a, const uint8_t pub[32])
{
    crypto_result res = ge_decode(a, pub, CRYPTO_ERR_A_NONCANONICAL, CRYPTO_ERR_A_NOT_ON_CURVE);
    if (res != CRYPTO_OK)
        return res;
    if (enc_is_small_order(pub))
        return CRYPTO_ERR_A_SMALL_ORDER;
    return CRYPTO_OK;
}

static void add_niels_digit(ge_p1p1 *t, const ge_niels *table, int d)
{
    ge_p3 u;
    ge_p1p1_to_p3(&u, t);
    ge_add_niels(t, &u, &table[(d < 0 ? -d : d) / 2], d < 0);
}

/* Pairs longer than this take the full-length loop instead (never seen: the Euclidean
 * bound gives 128 bits for the first candidate, a little more for the others). */
#define HALF_BITS_MAX 160u

/* [(c1 S) mod L]B - [c0]A - [c1]R = identity, with c0 >= 0 and c1 odd, signed: see above. */
static __attribute__((noinline)) crypto_result verify_half_size(const uint64_t s[4], const ge_p3 *a, const ge_p3 *r,
                                      uint64_t c0[4], uint64_t c1[4])
{
    /* With c1 < 0 use (-c0, -c1): c1 positive, and -[c0]A = +[|c0|]A. */
    int a_positive = mp_negative(c1);
    if (a_positive)
        mp_neg(c1);
    uint64_t sc[4];
    scalar_mul_mod_l(sc, c1, s);
    const uint64_t s0[4] = {sc[0], sc[1], 0, 0}, s1[4] = {sc[2], sc[3], 0, 0};
    int8_t da[256], dr[256], ds0[256], ds1[256];
    scalar_wnaf(da, c0, A_WINDOW);
    scalar_wnaf(dr, c1, A_WINDOW);
    scalar_wnaf(ds0, s0, BASE_WINDOW);
    scalar_wnaf(ds1, s1, BASE_WINDOW);

    ge_p3 pa = *a, pr = *r;
    if (!a_positive) {
        fe_neg(&pa.X, &pa.X);
        fe_neg(&pa.T, &pa.T);
    }
    fe_neg(&pr.X, &pr.X);
    fe_neg(&pr.T, &pr.T);
    ge_cached a_tab[A_TABLE], r_tab[A_TABLE];
    ge_odd_multiples(a_tab, &pa);
    ge_odd_multiples(r_tab, &pr);

    int i = 255;
    while (i >= 0 && !da[i] && !dr[i] && !ds0[i] && !ds1[i])
        i--;
    ge_p2 e;
    ge_p2_identity(&e);
    for (; i >= 0; i--) {
        ge_p1p1 t;
        ge_p3 u;
        ge_dbl(&t, &e);
        if (da[i]) {
            ge_p1p1_to_p3(&u, &t);
            ge_add_cached(&t, &u, &a_tab[(da[i] < 0 ? -da[i] : da[i]) / 2], da[i] < 0);
        }
        if (dr[i]) {
            ge_p1p1_to_p3(&u, &t);
            ge_add_cached(&t, &u, &r_tab[(dr[i] < 0 ? -dr[i] : dr[i]) / 2], dr[i] < 0);
        }
        if (ds0[i])
            add_niels_digit(&t, base_odd_multiples, ds0[i]);
        if (ds1[i])
            add_niels_digit(&t, base128_odd_multiples, ds1[i]);
        ge_p1p1_to_p2(&e, &t);
    }
    /* The identity is (0 : Z : Z). */
    if (!fe_iszero(&e.X) || !fe_equal(&e.Y, &e.Z))
        return CRYPTO_ERR_EQUATION;
    return CRYPTO_OK;
}

/* A rare k with no short pair: R' = [S]B + [k](-A), accepted exactly when R' = R. Out of
 * line, like verify_half_size, so that the caller's frame holds neither's tables. */
static __attribute__((noinline)) crypto_result verify_full_size(const uint64_t s[4],
                                                                const uint64_t k[4], ge_p3 *a,
                                                                const ge_p3 *r)
{
    int8_t k_digits[256], s_digits[256];
    scalar_wnaf(k_digits, k, A_WINDOW);
    scalar_wnaf(s_digits, s, BASE_WINDOW);
    fe_neg(&a->X, &a->X);
    fe_neg(&a->T, &a->T);
    ge_cached a_tab[A_TABLE];
    ge_odd_multiples(a_tab, a);
    ge_p2 rp;
    ge_double_scalarmult(&rp, k_digits, a_tab, s_digits);

    fe t;
    fe_mul(&t, &r->X, &rp.Z);
    if (!fe_equal(&rp.X, &t))
        return CRYPTO_ERR_EQUATION;
    fe_mul(&t, &r->Y, &rp.Z);
    if (!fe_equal(&rp.Y, &t))
        return CRYPTO_ERR_EQUATION;
    return CRYPTO_OK;
}

/* The raw-key verification; full_size forces the full-length loop (a test hook, so that
 * the fallback is checked against the half-size path on every test input). */
static crypto_result verify_raw(const uint8_t sig[CRYPTO_ED25519_SIGNATURE_SIZE],
                                const void *msg, size_t len,
                                const uint8_t pub[CRYPTO_ED25519_PUBLIC_KEY_SIZE], int full_size)
{
    if (!sig || !pub || (!msg && len))
        return CRYPTO_ERR_ARGUMENT;
    const uint8_t *r_bytes = sig, *s_bytes = sig + 32;
    if (!scalar_is_canonical(s_bytes))
        return CRYPTO_ERR_S_NONCANONICAL;

    ge_p3 a, r;
    crypto_result res = decode_public_key(&a, pub);
    if (res != CRYPTO_OK)
        return res;
    res = ge_decode(&r, r_bytes, CRYPTO_ERR_R_NONCANONICAL, CRYPTO_ERR_R_NOT_ON_CURVE);
    if (res != CRYPTO_OK)
        return res;
    if (enc_is_small_order(r_bytes))
        return CRYPTO_ERR_R_SMALL_ORDER;

    /* k = SHA-512(R || A || M) mod L */
    crypto_sha512_ctx ctx;
    uint8_t h[CRYPTO_SHA512_DIGEST_SIZE];
    res = crypto_sha512_init(&ctx);
    if (res == CRYPTO_OK)
        res = crypto_sha512_update(&ctx, r_bytes, 32);
    if (res == CRYPTO_OK)
        res = crypto_sha512_update(&ctx, pub, 32);
    if (res == CRYPTO_OK)
        res = crypto_sha512_update(&ctx, msg, len);
    if (res == CRYPTO_OK)
        res = crypto_sha512_final(&ctx, h);
    if (res != CRYPTO_OK)
        return res;
    uint64_t k[4], s[4];
    scalar_reduce(k, h);
    load_scalar(s, s_bytes);

    uint64_t c0[4], c1[4];
    if (!full_size && scalar_half_size(c0, c1, k) <= HALF_BITS_MAX)
        return verify_half_size(s, &a, &r, c0, c1);

    return verify_full_size(s, k, &a, &r);
}

crypto_result crypto_ed25519_verify(const uint8_t sig[CRYPTO_ED25519_SIGNATURE_SIZE],
                                    const void *msg, size_t len,
                                    const uint8_t pub[CRYPTO_ED25519_PUBLIC_KEY_SIZE])
{
    return verify_raw(sig, msg, len, pub, 0);
}

/* [L]A = identity: A has no small-order component. */
static int ge_is_torsion_free(const ge_p3 *a)
{
    int8_t l_digits[256];
    ge_cached a_tab[A_TABLE];
    ge_p2 q;
    scalar_wnaf(l_digits, ed25519_l_words, A_WINDOW);
    ge_odd_multiples(a_tab, a);
    ge_double_scalarmult(&q, l_digits, a_tab, NULL);
    return fe_iszero(&q.X) && fe_equal(&q.Y, &q.Z);
}

crypto_result crypto_ed25519_validate_public_key(const uint8_t pub[CRYPTO_ED25519_PUBLIC_KEY_SIZE])
{
    if (!pub)
        return CRYPTO_ERR_ARGUMENT;
    ge_p3 a;
    crypto_result res = decode_public_key(&a, pub);
    if (res != CRYPTO_OK)
        return res;
    if (!ge_is_torsion_free(&a))
        return CRYPTO_ERR_A_TORSION;
    return CRYPTO_OK;
}

/* ---------------------------------------------------------------- prepared keys
 *
 * With k = k1 2^128 + k0 and S = s1 2^128 + s0 (all four below 2^128),
 * [S]B - [k]A = [s0]B + [s1]([2^128]B) + [k0](-A) + [k1](-[2^128]A): four half-length
 * scalars, so one loop of about 128 doublings instead of 253. The multiples of B and
 * [2^128]B are built-in tables; those of -A and -[2^128]A are computed once, here. The
 * result is the same point as the full-length loop computes: the equation is unchanged. */

#define CRYPTO_KEY_MAGIC 0x45443235u /* "ED25" */

static void ge_cached_store(uint64_t out[4][5], const ge_cached *c)
{
    for (unsigned i = 0; i < 5; i++) {
        out[0][i] = c->ypx.v[i];
        out[1][i] = c->ymx.v[i];
        out[2][i] = c->z2.v[i];
        out[3][i] = c->t2d.v[i];
    }
}

static void ge_cached_load(ge_cached *c, const uint64_t in[4][5])
{
    for (unsigned i = 0; i < 5; i++) {
        c->ypx.v[i] = in[0][i];
        c->ymx.v[i] = in[1][i];
        c->z2.v[i] = in[2][i];
        c->t2d.v[i] = in[3][i];
    }
}

crypto_result crypto_ed25519_key_prepare(crypto_ed25519_key *key,
                                         const uint8_t pub[CRYPTO_ED25519_PUBLIC_KEY_SIZE])
{
    if (!key || !pub)
        return CRYPTO_ERR_ARGUMENT;
    ge_p3 a;
    crypto_result res = decode_public_key(&a, pub);
    if (res != CRYPTO_OK)
        return res;
    if (!ge_is_torsion_free(&a))
        return CRYPTO_ERR_A_TORSION;
    /* Every check passed: from here on nothing can fail, so key is written directly. */
    ge_cached tab[A_TABLE];
    fe_neg(&a.X, &a.X);
    fe_neg(&a.T, &a.T);
    ge_odd_multiples(tab, &a);
    for (unsigned i = 0; i < A_TABLE; i++)
        ge_cached_store(key->multiples[0][i], &tab[i]);
    ge_p2 q;
    ge_p1p1 t;
    ge_p3_to_p2(&q, &a);
    for (unsigned i = 0; i < 127; i++) {
        ge_dbl(&t, &q);
        ge_p1p1_to_p2(&q, &t);
    }
    ge_dbl(&t, &q);
    ge_p1p1_to_p3(&a, &t); /* -[2^128]A */
    ge_odd_multiples(tab, &a);
    for (unsigned i = 0; i < A_TABLE; i++)
        ge_cached_store(key->multiples[1][i], &tab[i]);
    mem_copy(key->pub, pub, CRYPTO_ED25519_PUBLIC_KEY_SIZE);
    key->magic = CRYPTO_KEY_MAGIC;
    return CRYPTO_OK;
}

static void add_cached_digit(ge_p1p1 *t, const uint64_t table[A_TABLE][4][5], int d)
{
    ge_p3 u;
    ge_cached c;
    ge_p1p1_to_p3(&u, t);
    ge_cached_load(&c, table[(d < 0 ? -d : d) / 2]);
    ge_add_cached(t, &u, &c, d < 0);
}


crypto_result crypto_ed25519_verify_prepared(const crypto_ed25519_key *key,
                                             const uint8_t sig[CRYPTO_ED25519_SIGNATURE_SIZE],
                                             const void *msg, size_t len)
{
    if (!key || key->magic != CRYPTO_KEY_MAGIC || !sig || (!msg && len))
        return CRYPTO_ERR_ARGUMENT;
    const uint8_t *r_bytes = sig, *s_bytes = sig + 32;
    if (!scalar_is_canonical(s_bytes))
        return CRYPTO_ERR_S_NONCANONICAL;
    ge_p3 r;
    crypto_result res = ge_decode(&r, r_bytes, CRYPTO_ERR_R_NONCANONICAL, CRYPTO_ERR_R_NOT_ON_CURVE);
    if (res != CRYPTO_OK)
        return res;
    if (enc_is_small_order(r_bytes))
        return CRYPTO_ERR_R_SMALL_ORDER;

    crypto_sha512_ctx ctx;
    uint8_t h[CRYPTO_SHA512_DIGEST_SIZE];
    res = crypto_sha512_init(&ctx);
    if (res == CRYPTO_OK)
        res = crypto_sha512_update(&ctx, r_bytes, 32);
    if (res == CRYPTO_OK)
        res = crypto_sha512_update(&ctx, key->pub, 32);
    if (res == CRYPTO_OK)
        res = crypto_sha512_update(&ctx, msg, len);
    if (res == CRYPTO_OK)
        res = crypto_sha512_final(&ctx, h);
    if (res != CRYPTO_OK)
        return res;
    uint64_t k[4], s[4];
    scalar_reduce(k, h);
    load_scalar(s, s_bytes);

    const uint64_t k0[4] = {k[0], k[1], 0, 0}, k1[4] = {k[2], k[3], 0, 0};
    const uint64_t s0[4] = {s[0], s[1], 0, 0}, s1[4] = {s[2], s[3], 0, 0};
    int8_t dk0[256], dk1[256], ds0[256], ds1[256];
    scalar_wnaf(dk0, k0, A_WINDOW);
    scalar_wnaf(dk1, k1, A_WINDOW);
    scalar_wnaf(ds0, s0, BASE_WINDOW);
    scalar_wnaf(ds1, s1, BASE_WINDOW);

    int i = 255;
    while (i >= 0 && !dk0[i] && !dk1[i] && !ds0[i] && !ds1[i])
        i--;
    ge_p2 rp;
    ge_p2_identity(&rp);
    for (; i >= 0; i--) {
        ge_p1p1 t;
        ge_dbl(&t, &rp);
        if (dk0[i])
            add_cached_digit(&t, key->multiples[0], dk0[i]);
        if (dk1[i])
            add_cached_digit(&t, key->multiples[1], dk1[i]);
        if (ds0[i])
            add_niels_digit(&t, base_odd_multiples, ds0[i]);
        if (ds1[i])
            add_niels_digit(&t, base128_odd_multiples, ds1[i]);
        ge_p1p1_to_p2(&rp, &t);
    }

    fe t;
    fe_mul(&t, &r.X, &rp.Z);
    if (!fe_equal(&rp.X, &t))
        return CRYPTO_ERR_EQUATION;
    fe_mul(&t, &r.Y, &rp.Z);
    if (!fe_equal(&rp.Y, &t))
        return CRYPTO_ERR_EQUATION;
    return CRYPTO_OK;
}

/* ---------------------------------------------------------------- test hooks */

crypto_result crypto_test_verify_full_size(const uint8_t sig[CRYPTO_ED25519_SIGNATURE_SIZE],
                                           const void *msg, size_t len,
                                           const uint8_t pub[CRYPTO_ED25519_PUBLIC_KEY_SIZE])
{
    return verify_raw(sig, msg, len, pub, 1);
}

void crypto_test_scalar_reduce(uint8_t out[32], const uint8_t h[64])
{
    uint64_t r[4];
    scalar_reduce(r, h);
    for (unsigned i = 0; i < 4; i++)
        store_le64(out + 8 * i, r[i]);
}

void crypto_test_wnaf(int8_t digits[256], const uint8_t scalar[32], unsigned w)
{
    uint64_t x[4];
    if (w < 2 || w > 8) {
        for (unsigned i = 0; i < 256; i++)
            digits[i] = 0;
        return;
    }
    load_scalar(x, scalar);
    scalar_wnaf(digits, x, w);
}

static int fe_equal_small(const fe *f, uint64_t small, int negative)
{
    fe s = {{small, 0, 0, 0, 0}};
    if (negative)
        fe_neg(&s, &s);
    return fe_equal(f, &s);
}

/* Entry i of a built-in table against (2i + 1)P, projectively: (y + x) Z = Y + X, ... */
static int check_odd_multiples(const ge_niels table[1 << (BASE_WINDOW - 2)], const ge_p3 *pt)
{
    ge_p2 p2;
    ge_p1p1 p;
    ge_p3 twice_p, u;
    ge_cached twice;
    int bad = 0;
    ge_p3_to_p2(&p2, pt);
    ge_dbl(&p, &p2);
    ge_p1p1_to_p3(&twice_p, &p);
    ge_p3_to_cached(&twice, &twice_p);
    u = *pt;
    for (unsigned i = 0; i < 1u << (BASE_WINDOW - 2); i++) {
        const ge_niels *n = &table[i];
        fe lhs, rhs;
        fe_mul(&lhs, &n->ypx, &u.Z);
        fe_add(&rhs, &u.Y, &u.X);
        bad |= !fe_equal(&lhs, &rhs);
        fe_mul(&lhs, &n->ymx, &u.Z);
        fe_sub(&rhs, &u.Y, &u.X);
        bad |= !fe_equal(&lhs, &rhs);
        fe_mul(&lhs, &n->xy2d, &u.Z);
        fe_mul(&rhs, &u.T, &fe_d2);
        bad |= !fe_equal(&lhs, &rhs);
        ge_add_cached(&p, &u, &twice, 0);
        ge_p1p1_to_p3(&u, &p);
    }
    return bad;
}

int crypto_test_check_constants(void)
{
    fe t;
    int bad = 0;
    fe k121666 = {{121666, 0, 0, 0, 0}};
    fe_mul(&t, &fe_d, &k121666);              /* d = -121665 / 121666 */
    bad |= !fe_equal_small(&t, 121665, 1) << 0;
    fe_add(&t, &fe_d, &fe_d);
    bad |= !fe_equal(&t, &fe_d2) << 1;
    fe_sq(&t, &fe_sqrtm1);
    bad |= !fe_equal_small(&t, 1, 1) << 2;
    /* B is the point with y = 4/5 and x even: encoding 0x58, then 31 bytes 0x66. */
    uint8_t b_enc[32];
    b_enc[0] = 0x58;
    for (unsigned i = 1; i < 32; i++)
        b_enc[i] = 0x66;
    ge_p3 b;
    if (ge_decode(&b, b_enc, CRYPTO_ERR_A_NONCANONICAL, CRYPTO_ERR_A_NOT_ON_CURVE) != CRYPTO_OK)
        return bad | 1 << 3;
    fe_mul(&t, &b.Y, &(fe){{5, 0, 0, 0, 0}});
    bad |= !fe_equal_small(&t, 4, 0) << 4;
    bad |= check_odd_multiples(base_odd_multiples, &b) << 5;
    /* [2^128]B by 128 doublings */
    ge_p2 q;
    ge_p1p1 p;
    ge_p3_to_p2(&q, &b);
    for (unsigned i = 0; i < 127; i++) {
        ge_dbl(&p, &q);
        ge_p1p1_to_p2(&q, &p);
    }
    ge_dbl(&p, &q);
    ge_p1p1_to_p3(&b, &p);
    bad |= check_odd_multiples(base128_odd_multiples, &b) << 6;
    /* Each small-order y, with either sign of x, decodes to a point of order 1, 2, 4 or 8
     * and is recognised from its encoding (the other direction: no other y has one). */
    for (unsigned k = 0; k < 5; k++)
        for (unsigned sign = 0; sign < 2; sign++) {
            uint8_t enc[32];
            ge_p3 q8;
            mem_copy(enc, ed25519_small_order_y[k], 32);
            enc[31] |= (uint8_t)(sign << 7);
            crypto_result res = ge_decode(&q8, enc, CRYPTO_ERR_A_NONCANONICAL, CRYPTO_ERR_A_NOT_ON_CURVE);
            if (res == CRYPTO_ERR_A_NONCANONICAL && sign && (k == 0 || k == 1))
                continue; /* x = 0 with the sign bit: refused before the order is asked */
            if (res != CRYPTO_OK || !ge_is_small_order(&q8) || !enc_is_small_order(enc))
                bad |= 1 << 7;
        }
    return bad;
}
