/* Kernel test driver: runs every syscall and its denial paths against real objects and
 * prints one line per scenario with the values it checked; the QEMU test reads them. */
#include <anvaya/sdk.h>
#include <stdio.h>

#include "kmain_gen.h"
#include "ktest.h"

#define EP KMAIN_HANDLE_SRV
#define FAULTS KMAIN_HANDLE_FAULTS
#define SERVER_THREAD KMAIN_HANDLE_CONTROL_KSERVER
#define SPIN_THREAD KMAIN_HANDLE_CONTROL_KSPIN
#define POOL anv_handle_make(ANV_SLOT_POOL, 0)
#define SCRATCH_SLOT 40u
#define MAP_SLOT 110u /* where mem.map puts its mapping capability */
#define MAP_VADDR 0x31000000ull
#define FAULT_ADDRESS 0xdead0000u
#define KERNEL_ADDRESS 0xFFFFFFC080200000ull

#define SCENARIO_NAME "ktest"
#include "../common/scenario.h"

static void t_abi(void)
{
    uint64_t v = 0;
    EXPECT(anv_abi_version(&v) == ANV_OK && v == ANV_ABI_VERSION);
    char line[64];
    snprintf(line, sizeof line, "version=0x%lx", (unsigned long)v);
    ok("abi", line);
}

static void t_attenuation(void)
{
    uint64_t type, rights, badge, id, id2;
    anv_handle_t narrow = 0, again = 0;
    EXPECT(anv_cap_identify(EP, &type, &rights, &badge, &id) == ANV_OK);
    EXPECT(type == ANV_OBJ_ENDPOINT && rights == (ANV_RIGHT_WRITE | ANV_RIGHT_GRANT));
    /* A grant-only copy: narrower rights, same object, same badge. */
    EXPECT(anv_cap_delegate(EP, ANV_HANDLE_NULL, SCRATCH_SLOT, ANV_RIGHT_GRANT, 0, &narrow) ==
           ANV_OK);
    EXPECT(anv_cap_identify(narrow, &type, &rights, &badge, &id2) == ANV_OK);
    EXPECT(rights == ANV_RIGHT_GRANT && id2 == id);
    /* No amplification: WRITE cannot come back from a parent without it. */
    EXPECT(anv_cap_delegate(narrow, ANV_HANDLE_NULL, SCRATCH_SLOT + 1,
                            ANV_RIGHT_GRANT | ANV_RIGHT_WRITE, 0, &again) == ANV_E_RIGHTS);
    EXPECT(anv_cap_delegate(EP, ANV_HANDLE_NULL, SCRATCH_SLOT + 1, ANV_RIGHT_READ, 0, &again) ==
           ANV_E_RIGHTS);
    EXPECT(anv_cap_delegate(EP, ANV_HANDLE_NULL, SCRATCH_SLOT + 1, 0x10, 0, &again) ==
           ANV_E_INVALID_ARG);
    uint64_t reply = 0;
    EXPECT(anv_ipc_call(narrow, anv_msginfo(KT_ECHO_SUM, 0, 0), &reply) == ANV_E_RIGHTS);
    EXPECT(anv_cap_delete(narrow) == ANV_OK);
    ok("attenuation", "grant-only copy: rights=0x8, +WRITE=E_RIGHTS, +READ=E_RIGHTS, "
                      "bad bits=E_INVALID_ARG, call=E_RIGHTS");
}

static void t_stale_handle(void)
{
    anv_handle_t h1 = 0, h2 = 0;
    uint64_t type, rights, badge, id;
    EXPECT(anv_cap_delegate(EP, ANV_HANDLE_NULL, SCRATCH_SLOT, ANV_RIGHT_WRITE, 0, &h1) == ANV_OK);
    EXPECT(anv_cap_delete(h1) == ANV_OK);
    EXPECT(anv_cap_delegate(EP, ANV_HANDLE_NULL, SCRATCH_SLOT, ANV_RIGHT_WRITE, 0, &h2) == ANV_OK);
    EXPECT(anv_handle_slot(h1) == anv_handle_slot(h2));
    EXPECT(anv_handle_generation(h2) == anv_handle_generation(h1) + 1);
    EXPECT(anv_cap_identify(h1, &type, &rights, &badge, &id) == ANV_E_STALE_HANDLE);
    EXPECT(anv_cap_identify(h2, &type, &rights, &badge, &id) == ANV_OK);
    EXPECT(anv_cap_identify(h2 ^ (1ull << 60), &type, &rights, &badge, &id) == ANV_E_BAD_HANDLE);
    EXPECT(anv_cap_delete(h2) == ANV_OK);
    char line[96];
    snprintf(line, sizeof line, "slot=%u gen %u->%u old=E_STALE_HANDLE", anv_handle_slot(h1),
             anv_handle_generation(h1), anv_handle_generation(h2));
    ok("stale-handle", line);
}

static void t_call_badge(void)
{
    struct anv_ipc_buffer *b = anv_ipcbuf();
    uint64_t type, rights, badge = 0, id, reply = 0;
    /* The generator badged our client capability; the server must see that badge. */
    EXPECT(anv_cap_identify(EP, &type, &rights, &badge, &id) == ANV_OK && badge != 0);
    for (int i = 0; i < 4; i++)
        b->mr[i] = (uint64_t)(i + 1);
    EXPECT(anv_ipc_call(EP, anv_msginfo(KT_ECHO_SUM, 4, 0), &reply) == ANV_OK);
    EXPECT(anv_msginfo_label(reply) == 10 && b->mr[0] == badge);
    /* 64 bytes: eight words, half of them through the IPC buffer. */
    for (int i = 0; i < 8; i++)
        b->mr[i] = (uint64_t)(100 + i);
    EXPECT(anv_ipc_call(EP, anv_msginfo(KT_ECHO_SUM, 8, 0), &reply) == ANV_OK);
    EXPECT(anv_msginfo_label(reply) == 828 && b->mr[0] == badge);
    /* A badge, once set, cannot be changed by a holder... */
    anv_handle_t h = 0;
    EXPECT(anv_cap_delegate(EP, ANV_HANDLE_NULL, SCRATCH_SLOT, ANV_RIGHT_WRITE, 0x99, &h) ==
           ANV_E_RIGHTS);
    /* ...but an unbadged endpoint capability can be badged when it is copied. */
    uint64_t b2 = 0;
    EXPECT(anv_cap_delegate(FAULTS, ANV_HANDLE_NULL, SCRATCH_SLOT, ANV_RIGHT_READ, 0x77, &h) ==
           ANV_OK);
    EXPECT(anv_cap_identify(h, &type, &rights, &b2, &id) == ANV_OK && b2 == 0x77);
    EXPECT(anv_cap_delete(h) == ANV_OK);
    char line[112];
    snprintf(line, sizeof line, "badge=0x%lx seen by server, sum(1..4)=10, 8 words sum=828, "
             "rebadge=E_RIGHTS, mint=0x77", (unsigned long)badge);
    ok("call-badge", line);
}

static void t_bad_length(void)
{
    struct anv_ipc_buffer *b = anv_ipcbuf();
    uint64_t reply = 0;
    EXPECT(anv_ipc_call(EP, anv_msginfo(KT_ECHO_SUM, ANV_IPC_MAX_WORDS + 1, 0), &reply) ==
           ANV_E_MSG_TOO_LONG);
    EXPECT(anv_ipc_call(EP, anv_msginfo(KT_ECHO_SUM, 0, ANV_IPC_MAX_CAPS + 1), &reply) ==
           ANV_E_TOO_MANY_CAPS);
    /* The server makes a malformed call while it owes us a reply: the reply survives. */
    b->caps_out[0] = EP;
    b->caps_out_rights[0] = ANV_RIGHT_WRITE;
    EXPECT(anv_ipc_call(EP, anv_msginfo(KT_BAD_CALL_THEN_REPLY, 0, 1), &reply) == ANV_OK);
    EXPECT(anv_msginfo_label(reply) == ANV_E_MSG_TOO_LONG);
    ok("bad-length", "65 words=E_MSG_TOO_LONG, 5 caps=E_TOO_MANY_CAPS, reply_preserved=1");
}

static void t_grant_needed(void)
{
    struct anv_ipc_buffer *b = anv_ipcbuf();
    anv_handle_t nogrant = 0;
    uint64_t reply = 0;
    EXPECT(anv_cap_delegate(EP, ANV_HANDLE_NULL, SCRATCH_SLOT, ANV_RIGHT_WRITE, 0, &nogrant) ==
           ANV_OK);
    b->caps_out[0] = EP;
    b->caps_out_rights[0] = ANV_RIGHT_WRITE;
    EXPECT(anv_ipc_call(nogrant, anv_msginfo(KT_BAD_CALL_THEN_REPLY, 0, 1), &reply) ==
           ANV_E_RIGHTS);
    EXPECT(anv_cap_delete(nogrant) == ANV_OK);
    ok("grant", "transfer without GRANT=E_RIGHTS");
}

static void t_memory(void)
{
    anv_handle_t frame = 0, map = 0, map2 = 0;
    EXPECT(anv_mem_frame_alloc(POOL, SCRATCH_SLOT, &frame) == ANV_OK);
    EXPECT(anv_mem_map(frame, MAP_VADDR, ANV_RIGHT_READ | ANV_RIGHT_WRITE | ANV_RIGHT_EXEC,
                       MAP_SLOT, &map) == ANV_E_WX);
    /* W^X across mappings: a pool frame is never executable, so it cannot be written
     * through one mapping and run through another. */
    EXPECT(anv_mem_map(frame, MAP_VADDR, ANV_RIGHT_READ | ANV_RIGHT_EXEC, MAP_SLOT, &map) ==
           ANV_E_RIGHTS);
    /* Run-time capabilities stay out of the well-known and manifest-placed slots. */
    EXPECT(anv_mem_map(frame, MAP_VADDR, ANV_RIGHT_READ, ANV_SLOT_POOL, &map) ==
           ANV_E_RESERVED_SLOT);
    EXPECT(anv_mem_map(frame, MAP_VADDR + 8, ANV_RIGHT_READ, MAP_SLOT, &map) == ANV_E_BAD_ADDRESS);
    EXPECT(anv_mem_map(frame, ANV_USER_TOP, ANV_RIGHT_READ, MAP_SLOT, &map) == ANV_E_BAD_ADDRESS);
    EXPECT(anv_mem_map(frame, MAP_VADDR, ANV_RIGHT_READ | ANV_RIGHT_WRITE, MAP_SLOT, &map) == ANV_OK);
    volatile uint64_t *p = (volatile uint64_t *)MAP_VADDR;
    EXPECT(*p == 0); /* frames arrive zeroed */
    *p = 0x5eed;
    EXPECT(anv_mem_map(frame, MAP_VADDR, ANV_RIGHT_READ, MAP_SLOT + 1, &map2) == ANV_E_OVERLAP);
    /* A read-only copy of the frame cannot be mapped writable. */
    anv_handle_t ro = 0;
    EXPECT(anv_cap_delegate(frame, ANV_HANDLE_NULL, SCRATCH_SLOT + 1, ANV_RIGHT_READ, 0, &ro) ==
           ANV_OK);
    EXPECT(anv_mem_map(ro, MAP_VADDR + 0x1000, ANV_RIGHT_READ | ANV_RIGHT_WRITE, MAP_SLOT + 1, &map2) ==
           ANV_E_RIGHTS);
    EXPECT(anv_mem_unmap(map) == ANV_OK);
    EXPECT(anv_mem_unmap(map) == ANV_E_STALE_HANDLE);
    EXPECT(anv_cap_delete(ro) == ANV_OK);
    EXPECT(anv_cap_delete(frame) == ANV_OK);
    ok("memory", "W+X=E_WX unaligned=E_BAD_ADDRESS overlap=E_OVERLAP ro->rw=E_RIGHTS "
                 "stale-unmap=E_STALE_HANDLE");
}

static void t_quota(void)
{
    anv_handle_t pool_child = 0, f = 0;
    uint32_t got = 0;
    /* Allocate through a child of the pool capability, so revoking it reclaims them. */
    EXPECT(anv_cap_delegate(POOL, ANV_HANDLE_NULL, SCRATCH_SLOT, ANV_RIGHT_WRITE, 0,
                            &pool_child) == ANV_OK);
    int err = ANV_OK;
    for (uint32_t i = 0; i < 64 && err == ANV_OK; i++) {
        err = anv_mem_frame_alloc(pool_child, SCRATCH_SLOT + 1 + i, &f);
        if (err == ANV_OK)
            got++;
    }
    EXPECT(err == ANV_E_QUOTA && got == KMAIN_POOL_PAGES);
    EXPECT(anv_cap_delete(pool_child) == ANV_OK);
    /* Deleting the child left the frames (their lineage moves up); revoke reclaims them. */
    EXPECT(anv_mem_frame_alloc(POOL, SCRATCH_SLOT, &f) == ANV_E_QUOTA);
    EXPECT(anv_cap_revoke(POOL) == ANV_OK);
    EXPECT(anv_mem_frame_alloc(POOL, SCRATCH_SLOT, &f) == ANV_OK);
    EXPECT(anv_cap_delete(f) == ANV_OK);
    char line[64];
    snprintf(line, sizeof line, "allocated=%u then E_QUOTA, revoke reclaimed", got);
    ok("quota", line);
}

static void t_transfer_revoke(void)
{
    struct anv_ipc_buffer *b = anv_ipcbuf();
    anv_handle_t frame = 0, map = 0;
    uint64_t reply = 0;
    EXPECT(anv_mem_frame_alloc(POOL, SCRATCH_SLOT, &frame) == ANV_OK);
    EXPECT(anv_mem_map(frame, MAP_VADDR, ANV_RIGHT_READ | ANV_RIGHT_WRITE, MAP_SLOT, &map) == ANV_OK);
    *(volatile uint64_t *)MAP_VADDR = 0xC0FFEE;
    b->caps_out[0] = frame;
    b->caps_out_rights[0] = ANV_RIGHT_READ;
    EXPECT(anv_ipc_call(EP, anv_msginfo(KT_TAKE_FRAME, 0, 1), &reply) == ANV_OK);
    EXPECT(anv_msginfo_label(reply) == ANV_OK);
    EXPECT(b->mr[0] == 0xC0FFEE && b->mr[1] == ANV_OBJ_FRAME && b->mr[2] == ANV_RIGHT_READ);
    /* Revoke reaches the server's CSpace and its page table, and our own mapping. */
    uint64_t next_before = 0;
    uint64_t rec[7];
    (void)anv_audit_read(KMAIN_HANDLE_AUDIT, 0, rec);
    next_before = rec[6];
    EXPECT(anv_cap_revoke(frame) == ANV_OK);
    EXPECT(anv_mem_unmap(map) == ANV_E_STALE_HANDLE);
    EXPECT(anv_ipc_call(EP, anv_msginfo(KT_CHECK_FRAME, 0, 0), &reply) == ANV_OK);
    EXPECT((b->mr[0] == ANV_E_STALE_HANDLE || b->mr[0] == ANV_E_EMPTY_SLOT) &&
           b->mr[1] == ANV_E_STALE_HANDLE && b->mr[2] == ANV_OK);
    EXPECT(anv_audit_read(KMAIN_HANDLE_AUDIT, next_before, rec) == ANV_OK);
    EXPECT(rec[1] == ANV_AUDIT_REVOKE && rec[4] == 3); /* transferred copy, its map, our map */
    EXPECT(anv_cap_delete(frame) == ANV_OK);
    ok("transfer-revoke", "server read 0xC0FFEE through a READ copy; revoke removed 3 caps; "
                          "server: identify=stale unmap=E_STALE_HANDLE address free");
}

static void t_revoke_aborts_ipc(void)
{
    struct anv_ipc_buffer *b = anv_ipcbuf();
    anv_handle_t copy = 0;
    uint64_t reply = 0;
    /* Our copy of the endpoint goes to the server (its copy is a child of ours); the
     * server blocks in a call through it; revoking our copy must abort that call. */
    EXPECT(anv_cap_delegate(EP, ANV_HANDLE_NULL, SCRATCH_SLOT, ANV_RIGHT_WRITE, 0, &copy) ==
           ANV_OK);
    b->caps_out[0] = copy;
    b->caps_out_rights[0] = ANV_RIGHT_WRITE;
    EXPECT(anv_ipc_send(EP, anv_msginfo(KT_CALL_THROUGH, 0, 1)) == ANV_OK);
    EXPECT(anv_cap_revoke(copy) == ANV_OK);
    EXPECT(anv_ipc_call(EP, anv_msginfo(KT_LAST_CALL, 0, 0), &reply) == ANV_OK);
    EXPECT(b->mr[0] == ANV_E_REVOKED);
    EXPECT(anv_cap_delete(copy) == ANV_OK);
    ok("revoke-ipc", "server's call through the revoked copy ended with E_REVOKED");
}

static void t_waits(void)
{
    struct anv_ipc_buffer *b = anv_ipcbuf();
    uint64_t reply = 0;
    EXPECT(anv_ipc_call(EP, anv_msginfo(KT_WAIT_TIMEOUT, 0, 0), &reply) == ANV_OK);
    EXPECT(b->mr[0] == ANV_OK && b->mr[1] == ANV_WAIT_TIMEOUT);
    /* The server outranks us: by the time send returns it is blocked in wait_one. */
    EXPECT(anv_ipc_send(EP, anv_msginfo(KT_WAIT_FOREVER, 0, 0)) == ANV_OK);
    EXPECT(anv_cancel_token(SERVER_THREAD) == ANV_OK);
    EXPECT(anv_ipc_call(EP, anv_msginfo(KT_LAST_WAIT, 0, 0), &reply) == ANV_OK);
    EXPECT(b->mr[0] == ANV_E_CANCELLED);
    /* Now the server is in receive: no wait to cancel, but a receive to cancel. */
    EXPECT(anv_cancel_token(SERVER_THREAD) == ANV_E_NOTHING_PENDING);
    EXPECT(anv_ipc_cancel(SERVER_THREAD) == ANV_OK);
    EXPECT(anv_ipc_cancel(SPIN_THREAD) == ANV_E_NOTHING_PENDING);
    EXPECT(anv_ipc_call(EP, anv_msginfo(KT_ECHO_SUM, 1, 0), &reply) == ANV_OK);
    ok("wait-cancel", "timeout=ANV_WAIT_TIMEOUT cancel_token=E_CANCELLED idle-token="
                      "E_NOTHING_PENDING ipc.cancel(receive)=OK idle-cancel=E_NOTHING_PENDING");
}

#define ANY_STVAL UINT64_MAX

/* Receive one fault record; check its cause and address; reply with `action`. */
static int take_fault(uint64_t scause, uint64_t stval, uint32_t action, uint64_t *sepc)
{
    struct anv_ipc_buffer *b = anv_ipcbuf();
    uint64_t info = 0, badge = 0;
    if (anv_ipc_receive(FAULTS, &info, &badge) != ANV_OK)
        return 0;
    if (anv_msginfo_label(info) != ANV_FAULT_LABEL || anv_msginfo_words(info) != 4 ||
        b->mr[0] != scause || (stval != ANY_STVAL && b->mr[2] != stval) ||
        badge != KMAIN_FAULTS_FAULT_KFAULTY)
        return 0;
    *sepc = b->mr[1];
    return anv_ipc_reply(anv_msginfo(action, 0, 0)) == ANV_OK;
}

static void t_fault(void)
{
    uint64_t pc1 = 0, pc2 = 0, pc3 = 0;
    /* A load page fault on an unmapped user address; continue after it. */
    EXPECT(take_fault(13, FAULT_ADDRESS, ANV_FAULT_SKIP, &pc1));
    /* Then the illegal instruction right behind it (4 bytes: SKIP must step over all). */
    EXPECT(take_fault(2, ANY_STVAL, ANV_FAULT_SKIP, &pc2));
    EXPECT(pc2 > pc1 && pc2 - pc1 <= 8);
    /* The kernel is mapped in every address space, but never for U-mode. */
    EXPECT(take_fault(13, KERNEL_ADDRESS, ANV_FAULT_STOP, &pc3));
    EXPECT(pc3 >= pc2 + 4);
    /* A stopped thread can be resumed (it retries the load and faults again, at the same
     * place); a thread that is not stopped cannot. */
    uint64_t pc4 = 0;
    EXPECT(anv_thread_resume(KMAIN_HANDLE_CONTROL_KSERVER) == ANV_E_BUSY);
    EXPECT(anv_thread_resume(KMAIN_HANDLE_CONTROL_KFAULTY) == ANV_OK);
    EXPECT(take_fault(13, KERNEL_ADDRESS, ANV_FAULT_STOP, &pc4));
    EXPECT(pc4 == pc3);
    char line[160];
    snprintf(line, sizeof line, "unmapped load scause=13 stval=0x%x, illegal scause=2, kernel "
             "load scause=13 stval=0x%lx; skip, skip, stop, resume, stop",
             FAULT_ADDRESS, (unsigned long)KERNEL_ADDRESS);
    ok("fault", line);
}

static void t_budget(void)
{
    /* The spinner outranks us and never blocks; its budget (1 tick in 10) is all it
     * may take. Count the time stolen from our own busy loop over one second. */
    uint64_t start = rdtime(), last = start, stolen = 0;
    const uint64_t second = 10000000; /* timebase ticks */
    while (last - start < second) {
        uint64_t now = rdtime();
        if (now - last > 20000) /* a gap over 2 ms: someone else ran */
            stolen += now - last;
        last = now;
    }
    uint64_t ms = stolen / 10000;
    EXPECT(ms >= 50 && ms <= 250);
    char line[64];
    snprintf(line, sizeof line, "spinner took %lu ms of 1000 (budget 100)", (unsigned long)ms);
    ok("budget", line);
}

static void t_audit(void)
{
    uint64_t rec[7];
    int err = anv_audit_read(KMAIN_HANDLE_AUDIT, 0, rec);
    uint64_t next = rec[6];
    EXPECT(err == ANV_OK || err == ANV_E_INVALID_ARG);
    uint32_t denied = 0, delegations = 0, revokes = 0, faults = 0, denied_delegate = 0;
    uint32_t transfers = 0;
    for (uint64_t s = next > ANV_AUDIT_RING ? next - ANV_AUDIT_RING : 0; s < next; s++) {
        if (anv_audit_read(KMAIN_HANDLE_AUDIT, s, rec) != ANV_OK)
            continue;
        denied += rec[1] == ANV_AUDIT_DENIED;
        delegations += rec[1] == ANV_AUDIT_DELEGATE;
        revokes += rec[1] == ANV_AUDIT_REVOKE;
        faults += rec[1] == ANV_AUDIT_FAULT;
        transfers += rec[1] == ANV_AUDIT_TRANSFER;
        denied_delegate += rec[1] == ANV_AUDIT_DENIED && rec[4] == ANV_SYS_CAP_DELEGATE &&
                           rec[5] == ANV_E_RIGHTS;
    }
    /* Exactly what the scenarios above did: 8 delegations went through and 3 were refused
     * for rights (two amplifications, one rebadge); 3 revokes; 4 faults; 15 refusals in
     * all: attenuation 3, stale-handle 2, call-badge 1, grant 1, memory 5 (W+X, an
     * executable pool frame, a reserved slot, ro->rw, stale unmap), transfer-revoke 3 (our
     * stale unmap, the server's identify and unmap); 3 capabilities moved over IPC
     * (bad-length's call, transfer-revoke's frame, revoke-ipc's endpoint copy; grant's
     * transfer without GRANT was refused). */
    EXPECT(delegations == 8 && denied_delegate == 3 && revokes == 3 && faults == 4 &&
           denied == 15 && transfers == 3);
    char line[112];
    snprintf(line, sizeof line, "records=%lu denied=%u (delegate/E_RIGHTS=%u) delegate=%u "
             "revoke=%u fault=%u transfer=%u", (unsigned long)next, denied, denied_delegate,
             delegations, revokes, faults, transfers);
    ok("audit", line);
}

/* Receive kfaulty's report (a load fault at KT_REPORT_ADDRESS(runs, arg)), decode it and
 * stop kfaulty again. */
static int take_report(uint64_t *runs, uint64_t *arg)
{
    uint64_t sepc = 0;
    struct anv_ipc_buffer *b = anv_ipcbuf();
    if (!take_fault(13, ANY_STVAL, ANV_FAULT_STOP, &sepc) || b->mr[2] < KT_REPORT_BASE)
        return 0;
    *runs = (b->mr[2] - KT_REPORT_BASE) >> 12;
    *arg = (b->mr[2] - KT_REPORT_BASE) & 0xFFF;
    return 1;
}

/* The last audit record, which must be `event` about `object`. */
static int last_audit(uint64_t event, uint64_t object, uint64_t *arg)
{
    uint64_t rec[ANV_AUDIT_RECORD_WORDS];
    (void)anv_audit_read(KMAIN_HANDLE_AUDIT, 0, rec);
    if (rec[6] == 0 || anv_audit_read(KMAIN_HANDLE_AUDIT, rec[6] - 1, rec) != ANV_OK)
        return 0;
    *arg = rec[4];
    return rec[1] == event && rec[3] == object;
}

/* A supervisor's restart of a stopped service: thread.restart with and without RELOAD,
 * seen from inside kfaulty (its .data run counter and the argument it was given). */
static void t_restart(void)
{
    uint64_t runs1 = 0, arg1 = 0, runs2 = 0, arg2 = 0, id = 0, type, rights, badge, audit = 0;
    /* kfaulty was left stopped by its fault handler (t_fault). */
    EXPECT(anv_thread_stop(KMAIN_HANDLE_CONTROL_KFAULTY) == ANV_E_BUSY);
    EXPECT(anv_thread_stop(KMAIN_HANDLE_THREAD) == ANV_E_INVALID_ARG);
    EXPECT(anv_thread_restart(KMAIN_HANDLE_CONTROL_KFAULTY, 0x2, 1) == ANV_E_INVALID_ARG);
    EXPECT(anv_thread_restart(SERVER_THREAD, 0, 1) == ANV_E_BUSY); /* waiting in receive */
    EXPECT(anv_cap_identify(KMAIN_HANDLE_CONTROL_KFAULTY, &type, &rights, &badge, &id) ==
           ANV_OK);
    /* Without RELOAD .data keeps the first run's count: the image's value plus two. */
    EXPECT(anv_thread_restart(KMAIN_HANDLE_CONTROL_KFAULTY, 0, 1) == ANV_OK);
    EXPECT(last_audit(ANV_AUDIT_THREAD_RESTART, id, &audit) && audit == 0);
    EXPECT(take_report(&runs1, &arg1));
    EXPECT(runs1 == KT_RUNS_INITIAL + 2 && arg1 == 1);
    /* With RELOAD .data is the image's again: the image's value plus one. */
    EXPECT(anv_thread_restart(KMAIN_HANDLE_CONTROL_KFAULTY, ANV_RESTART_RELOAD, 2) == ANV_OK);
    EXPECT(last_audit(ANV_AUDIT_THREAD_RESTART, id, &audit) && audit == ANV_RESTART_RELOAD);
    EXPECT(take_report(&runs2, &arg2));
    EXPECT(runs2 == KT_RUNS_INITIAL + 1 && arg2 == 2);
    char line[160];
    snprintf(line, sizeof line, "stopped: stop=E_BUSY self=E_INVALID_ARG flags=E_INVALID_ARG "
             "running=E_BUSY; restart runs=%lu arg=%lu, reload runs=%lu arg=%lu",
             (unsigned long)runs1, (unsigned long)arg1, (unsigned long)runs2,
             (unsigned long)arg2);
    ok("restart", line);
}

/* Stop the server while it waits for requests, restart it with RELOAD: the frame it was
 * sent and its mapping (run-time slots) are gone, its .data is as loaded, and it serves
 * again with the restart argument. */
static void t_server_restart(void)
{
    struct anv_ipc_buffer *b = anv_ipcbuf();
    anv_handle_t frame = 0;
    uint64_t reply = 0, id = 0, type, rights, badge, audit = 0;
    EXPECT(anv_cap_identify(SERVER_THREAD, &type, &rights, &badge, &id) == ANV_OK);
    EXPECT(anv_mem_frame_alloc(POOL, SCRATCH_SLOT, &frame) == ANV_OK);
    b->caps_out[0] = frame;
    b->caps_out_rights[0] = ANV_RIGHT_READ;
    EXPECT(anv_ipc_call(EP, anv_msginfo(KT_TAKE_FRAME, 0, 1), &reply) == ANV_OK);
    EXPECT(anv_msginfo_label(reply) == ANV_OK);
    EXPECT(anv_ipc_call(EP, anv_msginfo(KT_RESTART_INFO, 0, 0), &reply) == ANV_OK);
    uint64_t served_before = b->mr[1];
    EXPECT(b->mr[0] == 0 && served_before > KT_SERVED_INITIAL + 1);

    EXPECT(anv_thread_stop(SERVER_THREAD) == ANV_OK);
    EXPECT(last_audit(ANV_AUDIT_THREAD_STOP, id, &audit) && audit == 0);
    EXPECT(anv_thread_stop(SERVER_THREAD) == ANV_E_BUSY);
    EXPECT(anv_thread_restart(SERVER_THREAD, ANV_RESTART_RELOAD, 7) == ANV_OK);
    /* Two run-time capabilities deleted: the frame copy and its mapping. */
    EXPECT(last_audit(ANV_AUDIT_THREAD_RESTART, id, &audit));
    uint64_t deleted = audit >> 32;
    EXPECT(deleted == 2 && (audit & 0xFFFFFFFFu) == ANV_RESTART_RELOAD);
    EXPECT(anv_ipc_call(EP, anv_msginfo(KT_RESTART_INFO, 0, 0), &reply) == ANV_OK);
    EXPECT(b->mr[0] == 7 && b->mr[1] == KT_SERVED_INITIAL + 1);
    /* The mapping went with its capability: the same address maps again. */
    b->caps_out[0] = frame;
    b->caps_out_rights[0] = ANV_RIGHT_READ;
    EXPECT(anv_ipc_call(EP, anv_msginfo(KT_TAKE_FRAME, 0, 1), &reply) == ANV_OK);
    EXPECT(anv_msginfo_label(reply) == ANV_OK);
    EXPECT(anv_cap_revoke(frame) == ANV_OK);
    EXPECT(anv_cap_delete(frame) == ANV_OK);
    char line[160];
    snprintf(line, sizeof line, "served %lu before; stop, reload deleted %lu caps; after: "
             "arg=%lu served=%lu, frame maps again", (unsigned long)served_before,
             (unsigned long)deleted, (unsigned long)7, (unsigned long)(KT_SERVED_INITIAL + 1));
    ok("server-restart", line);
}

/* A reply carrying a capability: only to a caller whose capability had GRANT. */
static void t_reply_caps(void)
{
    struct anv_ipc_buffer *b = anv_ipcbuf();
    anv_handle_t nogrant = 0, map = 0;
    uint64_t reply = 0, type = 0, rights = 0, badge = 0, id = 0;
    EXPECT(anv_cap_delegate(EP, ANV_HANDLE_NULL, SCRATCH_SLOT, ANV_RIGHT_WRITE, 0, &nogrant) ==
           ANV_OK);
    EXPECT(anv_ipc_call(nogrant, anv_msginfo(KT_GIVE_FRAME, 0, 0), &reply) == ANV_OK);
    EXPECT(anv_msginfo_label(reply) == ANV_E_RIGHTS && anv_msginfo_caps(reply) == 0);
    EXPECT(anv_cap_delete(nogrant) == ANV_OK);
    EXPECT(anv_ipc_call(EP, anv_msginfo(KT_GIVE_FRAME, 0, 0), &reply) == ANV_OK);
    EXPECT(anv_msginfo_label(reply) == ANV_OK && anv_msginfo_caps(reply) == 1);
    anv_handle_t got = b->caps_in[0];
    EXPECT(anv_cap_identify(got, &type, &rights, &badge, &id) == ANV_OK);
    EXPECT(type == ANV_OBJ_FRAME && rights == ANV_RIGHT_READ);
    EXPECT(anv_mem_map(got, MAP_VADDR, ANV_RIGHT_READ | ANV_RIGHT_WRITE, MAP_SLOT, &map) == ANV_E_RIGHTS);
    EXPECT(anv_mem_map(got, MAP_VADDR, ANV_RIGHT_READ, MAP_SLOT, &map) == ANV_OK);
    const volatile struct anv_ipc_buffer *theirs = (const volatile struct anv_ipc_buffer *)MAP_VADDR;
    uint64_t marker = theirs->mr[ANV_IPC_MAX_WORDS - 1];
    EXPECT(marker == KT_GIVE_MARKER);
    EXPECT(anv_mem_unmap(map) == ANV_OK);
    EXPECT(anv_cap_delete(got) == ANV_OK);
    char line[128];
    snprintf(line, sizeof line, "without GRANT=E_RIGHTS (reply kept); with GRANT: FRAME rights=0x%lx, "
             "mapped, marker=0x%lx", (unsigned long)rights, (unsigned long)marker);
    ok("reply-caps", line);
}

/* The SDK's register messages (anv_ipc_call_msg): the words ride in a struct anv_msg
 * and never pass through mr[0..3], which keep what they held; words from 4 on still come
 * from the IPC buffer; a refused call leaves the message as it was. */
static void t_ipc_msg(void)
{
    struct anv_ipc_buffer *b = anv_ipcbuf();
    uint64_t type, rights, badge = 0, id;
    EXPECT(anv_cap_identify(EP, &type, &rights, &badge, &id) == ANV_OK && badge != 0);
    for (int i = 0; i < 8; i++)
        b->mr[i] = 0x5A00u + (uint64_t)i;
    struct anv_msg m = {anv_msginfo(KT_ECHO_SUM, 4, 0), {1, 2, 3, 4}};
    EXPECT(anv_ipc_call_msg(EP, &m) == ANV_OK);
    EXPECT(anv_msginfo_label(m.info) == 10 && anv_msginfo_words(m.info) == 1 && m.w[0] == badge);
    int kept = 1;
    for (int i = 0; i < 4; i++)
        kept &= b->mr[i] == 0x5A00u + (uint64_t)i;
    EXPECT(kept);
    /* Eight words: 100..103 in the message, 104..107 in mr[4..7]. */
    for (int i = 4; i < 8; i++)
        b->mr[i] = (uint64_t)(100 + i);
    struct anv_msg m8 = {anv_msginfo(KT_ECHO_SUM, 8, 0), {100, 101, 102, 103}};
    EXPECT(anv_ipc_call_msg(EP, &m8) == ANV_OK);
    EXPECT(anv_msginfo_label(m8.info) == 828 && m8.w[0] == badge);
    /* Refused (a copy without WRITE): the message is untouched. */
    anv_handle_t narrow = 0;
    EXPECT(anv_cap_delegate(EP, ANV_HANDLE_NULL, SCRATCH_SLOT, ANV_RIGHT_GRANT, 0, &narrow) ==
           ANV_OK);
    const uint64_t info = anv_msginfo(KT_ECHO_SUM, 2, 0);
    struct anv_msg r = {info, {7, 8, 9, 10}};
    int err = anv_ipc_call_msg(narrow, &r);
    EXPECT(err == ANV_E_RIGHTS);
    EXPECT(r.info == info && r.w[0] == 7 && r.w[1] == 8 && r.w[2] == 9 && r.w[3] == 10);
    EXPECT(anv_cap_delete(narrow) == ANV_OK);
    char line[128];
    snprintf(line, sizeof line, "sum(1..4)=%lu mr[0..3] kept=%d, 8 words sum=%lu, refused=%s "
             "message kept", (unsigned long)anv_msginfo_label(m.info), kept,
             (unsigned long)anv_msginfo_label(m8.info), err == ANV_E_RIGHTS ? "E_RIGHTS" : "?");
    ok("ipc-msg", line);
}

int main(void)
{
    printf("ktest: start\n");
    t_abi();
    t_attenuation();
    t_stale_handle();
    t_call_badge();
    t_bad_length();
    t_grant_needed();
    t_quota(); /* first: before any mem.map takes page tables from the same pool */
    t_memory();
    t_transfer_revoke();
    t_revoke_aborts_ipc();
    t_waits();
    t_fault();
    t_budget();
    t_audit();
    /* After the audit count, which counts what the scenarios above did. */
    t_restart();
    t_server_restart();
    t_reply_caps();
    t_ipc_msg();
    printf("ktest: %d passed, %d failed\n", passed, failures);
    anv_system_shutdown(KMAIN_HANDLE_SYSCTL, failures ? 1 : 0);
    return 0;
}
