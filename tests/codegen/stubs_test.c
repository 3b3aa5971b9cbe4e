/* Generated client stubs against the generated server dispatch, in one process through
 * sdk_shim.c: every parameter kind round-trips, interface errors come back, and each
 * malformed request gets an error reply without reaching the component while the
 * server keeps serving. */
#include <stdio.h>
#include <string.h>

#include "client_gen.h"
#include "server_gen.h"
#include "sdk_shim.h"

static int failures, checks, server_calls;

#define CHECK(cond)                                                                \
    do {                                                                           \
        checks++;                                                                  \
        if (!(cond)) {                                                             \
            failures++;                                                            \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
        }                                                                          \
    } while (0)

/* ---- the server component's functions ---- */
int server_svc_scalars(uint64_t badge, uint8_t a, uint16_t b, uint32_t c, uint64_t d, int8_t e,
                       int16_t f, int32_t g, int64_t h, int64_t *sum)
{
    server_calls++;
    if (badge != SERVER_SVC_CLIENT_CLIENT_SVC)
        return ANV_E_BAD_HANDLE;
    *sum = (int64_t)a + b + c + (int64_t)d + e + f + g + h;
    return ANV_OK;
}

int server_svc_flags(uint64_t badge, bool on, enum color *color)
{
    (void)badge;
    server_calls++;
    *color = on ? COLOR_BLUE : COLOR_RED;
    return ANV_OK;
}

int server_svc_shape(uint64_t badge, const struct shape *s, struct shape *mirrored)
{
    (void)badge;
    server_calls++;
    *mirrored = *s;
    for (int i = 0; i < 2; i++) {
        mirrored->corners[i].x = -s->corners[i].x;
        mirrored->corners[i].y = -s->corners[i].y;
    }
    mirrored->filled = !s->filled;
    return ANV_OK;
}

int server_svc_blob(uint64_t badge, const struct anv_bytes_20 *data, struct anv_bytes_20 *reversed)
{
    (void)badge;
    server_calls++;
    if (data->len == 13) /* the test's way of asking for an invalid reply */
        reversed->len = 21;
    else
        reversed->len = data->len;
    for (uint32_t i = 0; i < data->len; i++)
        reversed->data[i] = data->data[data->len - 1 - i];
    return ANV_OK;
}

int server_svc_arrays(uint64_t badge, const uint32_t nums[4], uint8_t bytes_out[10], int8_t small[3])
{
    (void)badge;
    server_calls++;
    for (int i = 0; i < 10; i++)
        bytes_out[i] = (uint8_t)(nums[i % 4] + (uint32_t)i);
    for (int i = 0; i < 3; i++)
        small[i] = (int8_t)-small[i];
    return ANV_OK;
}

int server_svc_refuse(uint64_t badge, uint32_t code)
{
    (void)badge;
    server_calls++;
    return (int)code;
}

int server_adm_ping(uint64_t badge, uint32_t *count)
{
    server_calls++;
    if (badge != SERVER_ADM_CLIENT_CLIENT_ADM)
        return ANV_E_BAD_HANDLE;
    *count = (uint32_t)server_calls;
    return ANV_OK;
}

/* ---- malformed requests, written straight into the server's buffer ---- */
static uint64_t raw(uint32_t label, uint32_t words, uint64_t badge, const uint64_t *mr)
{
    int before = server_calls;
    /* Outside a call the shim's anv_ipcbuf() is the one the dispatch reads. */
    memcpy(anv_ipcbuf()->mr, mr, words * sizeof(uint64_t));
    uint64_t r = server_dispatch(anv_msginfo(label, words, 0), badge);
    CHECK(server_calls == before); /* a malformed request never reaches the component */
    return r;
}

static void still_serving(void)
{
    uint32_t count = 0;
    CHECK(client_adm_ping(&count) == ANV_OK);
    CHECK(count == (uint32_t)server_calls);
}

static void malformed(void)
{
    const uint64_t S = SERVER_SVC_CLIENT_CLIENT_SVC;
    uint64_t ok_scalars[8] = {1, 2, 3, 4, (uint64_t)-5, 6, 7, 8};
    uint64_t mr[64];
    uint64_t r;

    r = raw(99, 0, S, ok_scalars);
    CHECK(anv_msginfo_label(r) == ANV_E_NOSYS);
    still_serving();

    r = raw(ECHO_LABEL_SCALARS, 7, S, ok_scalars); /* one word short */
    CHECK(anv_msginfo_label(r) == ANV_E_INVALID_ARG && anv_msginfo_words(r) == 0);
    still_serving();

    memcpy(mr, ok_scalars, sizeof ok_scalars);
    mr[0] = 256; /* u8 out of range */
    CHECK(anv_msginfo_label(raw(ECHO_LABEL_SCALARS, 8, S, mr)) == ANV_E_INVALID_ARG);
    memcpy(mr, ok_scalars, sizeof ok_scalars);
    mr[4] = (uint64_t)-129; /* i8 below range */
    CHECK(anv_msginfo_label(raw(ECHO_LABEL_SCALARS, 8, S, mr)) == ANV_E_INVALID_ARG);
    memcpy(mr, ok_scalars, sizeof ok_scalars);
    mr[5] = 40000; /* i16 above range */
    CHECK(anv_msginfo_label(raw(ECHO_LABEL_SCALARS, 8, S, mr)) == ANV_E_INVALID_ARG);
    memcpy(mr, ok_scalars, sizeof ok_scalars);
    mr[2] = UINT64_C(1) << 32; /* u32 above range */
    CHECK(anv_msginfo_label(raw(ECHO_LABEL_SCALARS, 8, S, mr)) == ANV_E_INVALID_ARG);
    still_serving();

    mr[0] = 2; /* bool that is neither 0 nor 1 */
    mr[1] = COLOR_RED;
    CHECK(anv_msginfo_label(raw(ECHO_LABEL_FLAGS, 2, S, mr)) == ANV_E_INVALID_ARG);
    mr[0] = 1;
    mr[1] = 3; /* not a Color */
    CHECK(anv_msginfo_label(raw(ECHO_LABEL_FLAGS, 2, S, mr)) == ANV_E_INVALID_ARG);
    still_serving();

    memset(mr, 0, sizeof mr);
    mr[0] = 21; /* bytes<20> length over its bound */
    CHECK(anv_msginfo_label(raw(ECHO_LABEL_BLOB, 4, S, mr)) == ANV_E_INVALID_ARG);
    mr[0] = 2;
    mr[1] = 0x030201; /* a byte past the declared length */
    CHECK(anv_msginfo_label(raw(ECHO_LABEL_BLOB, 4, S, mr)) == ANV_E_INVALID_ARG);
    still_serving();

    memset(mr, 0, sizeof mr);
    mr[0] = 7;                 /* Shape.color: not a Color */
    CHECK(anv_msginfo_label(raw(ECHO_LABEL_SHAPE, 7, S, mr)) == ANV_E_INVALID_ARG);
    mr[0] = COLOR_GREEN;
    mr[5] = UINT64_C(0x01000000); /* u8 tag[3]: a fourth byte set in the packing word */
    CHECK(anv_msginfo_label(raw(ECHO_LABEL_SHAPE, 7, S, mr)) == ANV_E_INVALID_ARG);
    still_serving();

    /* A badge naming no provided interface, and a message carrying capabilities. */
    CHECK(anv_msginfo_label(raw(ECHO_LABEL_SCALARS, 8, UINT64_C(7) << 24, ok_scalars)) == ANV_E_BAD_HANDLE);
    {
        int before = server_calls;
        memcpy(anv_ipcbuf()->mr, ok_scalars, sizeof ok_scalars);
        r = server_dispatch(anv_msginfo(ECHO_LABEL_SCALARS, 8, 1), S);
        CHECK(anv_msginfo_label(r) == ANV_E_INVALID_ARG && server_calls == before);
    }
    still_serving();
}

/* The grant table: the client's connection's values, defaults filled in, found by its
 * badge and by nothing else (another port's badge, client number 0 or past the count). */
static void grants(void)
{
    const struct server_adm_grant *g = server_adm_grant(SERVER_ADM_CLIENT_CLIENT_ADM);
    CHECK(SERVER_ADM_GRANT_COUNT == 1u);
    CHECK(g == &server_adm_grants[0]);
    CHECK(g != NULL && g->name.len == 6 && memcmp(g->name.data, "client", 6) == 0 &&
          g->name.data[6] == 0);
    CHECK(g != NULL && g->level == 1u && g->color == COLOR_BLUE);
    CHECK(g != NULL && g->ports_count == 2u && g->ports[0] == 80u && g->ports[1] == 65535u &&
          g->ports[2] == 0u);
    CHECK(g != NULL && g->peers_count == 1u && g->peers[0].len == 11 &&
          memcmp(g->peers[0].data, "10.0.2.2:80", 11) == 0 && g->peers[1].len == 0);
    CHECK(strcmp(server_adm_grant_clients[0], "client.adm") == 0);
    CHECK(server_adm_grant(SERVER_SVC_CLIENT_CLIENT_SVC) == NULL); /* port 0's client */
    CHECK(server_adm_grant(SERVER_ADM_CLIENT_CLIENT_ADM + 1u) == NULL);
    CHECK(server_adm_grant(SERVER_ADM_CLIENT_CLIENT_ADM - 1u) == NULL);
    CHECK(server_adm_grant(SERVER_ADM_CLIENT_CLIENT_ADM | (UINT64_C(1) << 32)) == NULL);
}

int main(void)
{
    shim.dispatch = server_dispatch;
    shim.route_handle[0] = CLIENT_HANDLE_SVC;
    shim.route_badge[0] = SERVER_SVC_CLIENT_CLIENT_SVC;
    shim.route_handle[1] = CLIENT_HANDLE_ADM;
    shim.route_badge[1] = SERVER_ADM_CLIENT_CLIENT_ADM;
    shim.routes = 2;

    int64_t sum = 0;
    CHECK(client_svc_scalars(255, 65535, 0xFFFFFFFFu, 10, -128, -32768, -5, -1000000000000LL, &sum) == ANV_OK);
    CHECK(sum == 255 + 65535 + 0xFFFFFFFFLL + 10 - 128 - 32768 - 5 - 1000000000000LL);

    enum color col = COLOR_GREEN;
    CHECK(client_svc_flags(true, &col) == ANV_OK && col == COLOR_BLUE);
    CHECK(client_svc_flags(false, &col) == ANV_OK && col == COLOR_RED);

    struct shape s = {COLOR_GREEN, {{1, -2}, {2147483647, -2147483647}}, {7, 8, 9}, true}, m;
    memset(&m, 0xEE, sizeof m);
    CHECK(client_svc_shape(&s, &m) == ANV_OK);
    CHECK(m.color == COLOR_GREEN && m.corners[0].x == -1 && m.corners[0].y == 2);
    CHECK(m.corners[1].x == -2147483647 && m.corners[1].y == 2147483647);
    CHECK(m.tag[0] == 7 && m.tag[1] == 8 && m.tag[2] == 9 && m.filled == false);

    struct anv_bytes_20 in = {5, "hello"}, out;
    memset(&out, 0xEE, sizeof out);
    CHECK(client_svc_blob(&in, &out) == ANV_OK);
    CHECK(out.len == 5 && memcmp(out.data, "olleh", 5) == 0 && out.data[5] == 0 && out.data[19] == 0);
    in.len = 20;
    memcpy(in.data, "abcdefghijklmnopqrst", 20);
    CHECK(client_svc_blob(&in, &out) == ANV_OK && out.len == 20 && out.data[0] == 't');
    in.len = 21; /* refused by the client stub before anything is sent */
    int calls = shim.calls;
    CHECK(client_svc_blob(&in, &out) == ANV_E_INVALID_ARG && shim.calls == calls);
    in.len = 13; /* the server produces an over-long reply: it answers with an error */
    CHECK(client_svc_blob(&in, &out) == ANV_E_INVALID_ARG);

    uint32_t nums[4] = {10, 20, 30, 40};
    uint8_t bytes_out[10];
    int8_t small[3] = {-128 + 1, 0, 127};
    CHECK(client_svc_arrays(nums, bytes_out, small) == ANV_OK);
    CHECK(bytes_out[0] == 10 && bytes_out[5] == 25 && bytes_out[9] == 29);
    CHECK(small[0] == 127 && small[1] == 0 && small[2] == -127);

    CHECK(client_svc_refuse(ECHO_E_REFUSED) == (int)ECHO_E_REFUSED);
    CHECK(client_svc_refuse(ANV_OK) == ANV_OK);

    malformed();

    /* Events: the emitter signals its one target; the consumer waits for its bit. */
    CHECK(server_done_emit() == ANV_OK && shim.signalled == SERVER_HANDLE_DONE_TO_CLIENT_DONE);
    shim.ntfn_bits = CLIENT_EVENT_DONE;
    CHECK(client_done_wait() == ANV_OK && shim.waited == CLIENT_HANDLE_EVENTS);

    grants();

    printf("%d/%d stub checks passed\n", checks - failures, checks);
    return failures ? 1 : 0;
}
