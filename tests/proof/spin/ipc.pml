/* Spin model of Nucleus call/reply/cancel/stop/delete: two clients call one server
 * through one endpoint (client 1 may fault instead, its fault record going to the same
 * server) while a controller races ipc.cancel, thread.stop, thread.resume, the deletion
 * of endpoint capabilities and of thread objects against them. The kernel rules are in
 * kernel_ipc.pml; this file holds the user-side threads and the checks.
 *
 * Checked: the invariants after every syscall (one reply link, held at both ends, to a
 * thread waiting on it; queue membership matches the thread state), no reply to the
 * wrong caller (a reply carries the id of the request it answers and the caller checks
 * it), no double wakeup (wake() asserts its target is blocked), and at quiescence no
 * caller left waiting for a reply and no sender queued while someone could receive.
 * `spin -DMUTANT_x` builds a mutant that must fail (see tests/proof/meson.build). */

#define NT    3 /* threads 0 and 1: clients; 2: the server */
#define NCAP  3 /* endpoint capability i is held by thread i */
#define NONE  3
#define S     2

#ifndef CALLS
#define CALLS 2 /* calls each client makes */
#endif
#ifndef ACTIONS
#define ACTIONS 3 /* controller syscalls */
#endif

#include "kernel_ipc.pml"
#define SRV_CAP S
#include "server.pml"

/* A client: CALLS times ipc.call (sys_ipc_send with is_call = 1), then it reads a0.
 * Client 1 may fault instead (fault_raise): the kernel sends its fault record through
 * the same capability, which is also its fault endpoint, and the server handles it. */
proctype Client(byte me)
{
    byte n = 0;
    bit faulted = 0;
    do
    :: n < CALLS ->
end_call: /* a stopped client stays here until resumed, maybe for ever */
        atomic {
            state[me] == READY ->
            result[me] = R_NONE;
            if
            :: ep_call(me, me); faulted = 0
            :: me == 1 -> ep_send_fault(me, me); faulted = 1
            fi;
            ipc_invariants()
        };
end_wait:
        atomic {
            state[me] == READY ->
            if
            :: faulted -> /* a fault ends in a verdict, never in a syscall result */
                assert(result[me] == R_NONE)
            :: else ->
                assert(result[me] != R_NONE);
                /* the reply it got answers its own request */
                assert(result[me] != R_OK || msg[me] == me)
            fi;
            msg[me] = NONE;
            result[me] = R_NONE;
            faulted = 0
        };
        n++
    :: else -> break
    od
}

/* The controller: ACTIONS syscalls, each on any thread or capability. */
proctype Controller()
{
    byte n = 0;
    byte t;
    do
    :: n < ACTIONS ->
        atomic {
            if
            :: t = 0
            :: t = 1
            :: t = S
            fi;
            if
            :: true -> /* sys_ipc_cancel: only a thread blocked in IPC, not on a fault */
                if
                :: !is_fault[t] && (state[t] == B_SEND || state[t] == B_RECV || state[t] == B_REPLY) ->
                    abort_wait(t, R_CANCELLED)
                :: else
                fi
            :: true -> /* sys_thread_stop -> thread_suspend */
                if
                :: !dead[t] && state[t] != INACTIVE -> thread_suspend(t)
                :: else
                fi
            :: true -> /* sys_thread_resume -> sched_make_ready */
                if
                :: !dead[t] && state[t] == INACTIVE -> state[t] = READY
                :: else
                fi
            :: true -> /* sys_cap_delete of thread t's endpoint capability */
                if
                :: cap_live[t] -> ep_cap_delete(t)
                :: else
                fi
            :: true -> /* sys_cap_delete of thread t's last thread capability: thread_stop */
                if
                :: !dead[t] -> thread_destroy(t)
                :: else
                fi
            fi;
            n++;
            t = 0;
            ipc_invariants()
        }
    :: else -> break
    od
}

/* At quiescence (nothing else can move): nobody waits for a reply, and a sender is
 * queued only if the server can never receive again. */
proctype Auditor()
{
    byte i;
    timeout ->
    atomic {
        i = 0;
        do
        :: i < NT ->
            assert(state[i] != B_REPLY);
            assert(state[i] != B_SEND || dead[S] || state[S] == INACTIVE || !cap_live[S]);
            i++
        :: else -> break
        od
    }
}

init
{
    atomic {
        byte i = 0;
        do
        :: i < NT ->
            state[i] = READY;
            reply_to[i] = NONE;
            replier[i] = NONE;
            msg[i] = NONE;
            blocked_cap[i] = NONE;
            q[i] = NONE;
            cap_live[i] = 1;
            i++
        :: else -> break
        od;
        refs = NCAP;
        run Client(0);
        run Client(1);
        run Server();
        run Controller();
        run Auditor()
    }
}
