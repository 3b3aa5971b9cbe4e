/* The Nucleus IPC rules as Promela inlines, shared by ipc.pml and revoke.pml: one
 * endpoint, its wait queue, the one-shot reply link, aborting a wait. Each inline names
 * the kernel function it stands for. The kernel runs one syscall at a time with
 * interrupts off, so every syscall is one atomic step of the model; the models call
 * these inlines only inside atomic blocks and check ipc_invariants() at the end of each.
 *
 * The including model defines NT (threads), NCAP (endpoint capabilities), NONE (a thread
 * and capability index that names nobody, >= NT and >= NCAP) and the mutant switches. */

/* Thread states (enum thread_state): READY stands for TS_READY and running. */
#define READY    0
#define B_SEND   1
#define B_RECV   2
#define B_REPLY  3
#define INACTIVE 4

/* Syscall results as the blocked thread finds them in a0. */
#define R_NONE      0
#define R_OK        1
#define R_CANCELLED 2 /* ANV_E_CANCELLED */
#define R_REVOKED   3 /* ANV_E_REVOKED */
#define R_ERR       4 /* refused at once: stale handle, nothing pending */

byte state[NT];
byte reply_to[NT];   /* thread->reply_to: the caller this thread owes a reply */
byte replier[NT];    /* thread->replier: the thread that owes this one a reply */
byte result[NT];     /* a0 when it runs again */
byte msg[NT];        /* a receiver: who sent the message it holds; a caller: whose
                      * request the reply it got answers (the server echoes it) */
byte blocked_cap[NT];/* thread->blocked_cap: the capability it is queued through */
bit  queued[NT];     /* thread->q_owner == &ep->queue */
bit  dead[NT];       /* its last thread capability went: kobj_destroy -> thread_stop */
bit  is_fault[NT];   /* thread->is_fault_msg: it waits on its fault handler, not a syscall */

bit  cap_live[NCAP]; /* the capability's slot holds the endpoint */
byte refs;           /* ep->hdr.refs */
bit  ep_gone;        /* ep_destroy ran */

byte q[NT];          /* ep->queue: all threads have the same priority, so FIFO */
byte qlen;
bit  q_send;         /* ep->queue_is_senders */

hidden byte ki;      /* scratch, only inside atomic steps */
hidden byte kt;
hidden byte kc;
hidden byte kr;
hidden byte kf;

/* tq_insert (equal priorities: at the tail). */
inline tq_insert(t)
{
    assert(!queued[t] && qlen < NT);
    q[qlen] = t;
    qlen++;
    queued[t] = 1
}

/* tq_remove. */
inline tq_remove(t)
{
    assert(queued[t]);
    ki = 0;
    do
    :: ki < qlen && q[ki] != t -> ki++
    :: else -> break
    od;
    assert(ki < qlen);
    do
    :: ki + 1 < qlen -> q[ki] = q[ki + 1]; ki++
    :: else -> break
    od;
    qlen--;
    q[qlen] = NONE;
    queued[t] = 0;
    ki = 0
}

/* sched_make_ready of a blocked thread, with the result thread_set_result gave it.
 * Waking a thread that is not blocked is a double wakeup: its registers would be
 * overwritten under it. */
inline wake(t, r)
{
    assert(state[t] == B_SEND || state[t] == B_RECV || state[t] == B_REPLY);
    result[t] = r;
    state[t] = READY
}

/* thread_stop_faulted: a faulted thread whose fault message can no longer be answered
 * stops, its registers untouched (no result), until thread.resume. */
inline stop_faulted(t)
{
    assert(is_fault[t] && (state[t] == B_SEND || state[t] == B_REPLY));
    if
    :: queued[t] -> tq_remove(t)
    :: else
    fi;
    if
    :: replier[t] != NONE -> reply_to[replier[t]] = NONE; replier[t] = NONE
    :: else
    fi;
    is_fault[t] = 0;
    blocked_cap[t] = NONE;
    state[t] = INACTIVE
}

/* thread_release_caller: the server owing `c` a reply will not give it. A caller gets
 * `err`; a thread waiting on its fault handler stops instead. */
inline release_caller(c, err)
{
    kr = c; /* `c` may be an expression over the link about to be cut */
    assert(state[kr] == B_REPLY);
    if
    :: replier[kr] != NONE -> reply_to[replier[kr]] = NONE; replier[kr] = NONE
    :: else
    fi;
    if
    :: is_fault[kr] -> stop_faulted(kr)
    :: else -> wake(kr, err)
    fi;
    kr = 0
}

/* ep_dequeue. */
inline ep_dequeue(t)
{
    if
    :: queued[t] -> tq_remove(t)
    :: else
    fi
}

/* thread_abort_wait: out of the endpoint queue or the reply link, woken with `err`;
 * a thread waiting on its fault handler stops instead (thread_stop_faulted); a thread
 * that waits on nothing is left alone. */
inline abort_wait(t, err)
{
    kf = 1;
    if
    :: is_fault[t] ->
#ifndef MUTANT_FAULT_WAKES
        stop_faulted(t);
        kf = 0
#else
        /* mutant: the faulted thread is woken as from a syscall, with a result */
        if
        :: queued[t] -> tq_remove(t)
        :: else
        fi;
        if
        :: replier[t] != NONE -> reply_to[replier[t]] = NONE; replier[t] = NONE
        :: else
        fi;
        is_fault[t] = 0
#endif
    :: !is_fault[t] && (state[t] == B_SEND || state[t] == B_RECV) ->
#ifndef MUTANT_CANCEL_FORGETS_QUEUE
        ep_dequeue(t)
#else
        skip /* mutant: the thread wakes but stays on the endpoint queue */
#endif
    :: !is_fault[t] && state[t] == B_REPLY ->
#ifndef MUTANT_ABORT_KEEPS_LINK
        if
        :: replier[t] != NONE -> reply_to[replier[t]] = NONE; replier[t] = NONE
        :: else
        fi
#else
        skip /* mutant: the server keeps reply_to, a late reply finds the thread */
#endif
    :: else -> kf = 0
    fi;
    if
    :: kf -> blocked_cap[t] = NONE; wake(t, err)
    :: else
    fi;
    kf = 0
}

/* ipc_after_delivery for a call (every sender in these models calls): a receiver that
 * still owed a reply gives it up, then owes this one. `rcv_blocked` says whether the
 * receiver was asleep on the queue (ep_send) or is the running thread (ep_receive). */
inline after_delivery(snd, rcv, rcv_blocked)
{
    if
    :: reply_to[rcv] != NONE -> release_caller(reply_to[rcv], R_CANCELLED)
    :: else
    fi;
    reply_to[rcv] = snd;
    replier[snd] = rcv;
    state[snd] = B_REPLY;
    if
    :: rcv_blocked -> wake(rcv, R_OK)
    :: else -> result[rcv] = R_OK
    fi
}

/* ep_send(is_call = 1) through capability `c`, after sys_ipc_send's cspace_lookup_cap:
 * a deleted capability is refused at once and nothing changes. */
inline ep_call(t, c)
{
    if
    :: !cap_live[c] -> result[t] = R_ERR
    :: else ->
        assert(!ep_gone);
        if
        :: !q_send && qlen > 0 -> /* a receiver waits: ipc_transfer, then deliver */
            kt = q[0];
            msg[kt] = t;
            tq_remove(kt);
            blocked_cap[kt] = NONE;
            after_delivery(t, kt, 1)
        :: else -> /* sched_block(TS_BLOCKED_SEND) and queue */
            state[t] = B_SEND;
            q_send = 1;
            blocked_cap[t] = c;
            tq_insert(t)
        fi
    fi;
    kt = 0
}

/* ep_send_fault through the fault endpoint capability `c` (fault_deliver: with no usable
 * capability the thread just stops). The kernel-made call is queued or delivered as
 * ep_send's; only the flag differs. */
inline ep_send_fault(t, c)
{
    if
    :: !cap_live[c] -> state[t] = INACTIVE /* "no handler": stopped */
    :: else ->
        is_fault[t] = 1;
        ep_call(t, c)
    fi
}

/* ep_receive through capability `c` (sys_ipc_receive's lookup first). */
inline ep_receive(t, c)
{
    if
    :: !cap_live[c] -> result[t] = R_ERR
    :: else ->
        assert(!ep_gone);
        if
        :: q_send && qlen > 0 ->
            kt = q[0];
            msg[t] = kt;
            tq_remove(kt);
            blocked_cap[kt] = NONE;
            after_delivery(kt, t, 0)
        :: else ->
#ifndef MUTANT_RECV_KEEPS_REPLY
            /* receiving again without replying gives the reply up */
            if
            :: reply_to[t] != NONE -> release_caller(reply_to[t], R_CANCELLED)
            :: else
            fi;
#endif
            state[t] = B_RECV;
            q_send = 0;
            blocked_cap[t] = c;
            tq_insert(t)
        fi
    fi;
    kt = 0
}

/* ipc_reply: the one-shot reply to reply_to, which must be the caller waiting on this
 * very thread; the reply carries the id of the request it answers. */
inline ipc_reply(s)
{
    if
    :: reply_to[s] == NONE -> result[s] = R_ERR /* ANV_E_NOTHING_PENDING */
    :: else ->
        kt = reply_to[s];
        assert(state[kt] == B_REPLY && replier[kt] == s);
#ifndef MUTANT_REPLY_KEEPS_LINK
        reply_to[s] = NONE;
#endif
        replier[kt] = NONE;
        if
        :: is_fault[kt] -> /* ipc_reply_to_fault: the reply's label picks resume or stop */
            is_fault[kt] = 0;
            if
            :: state[kt] = READY    /* ANV_FAULT_RESUME or SKIP: runs on, no result */
            :: state[kt] = INACTIVE /* ANV_FAULT_STOP */
            fi
        :: else ->
            msg[kt] = msg[s];
            wake(kt, R_OK)
        fi;
        result[s] = R_OK
    fi;
    kt = 0
}

/* sys_ipc_reply_recv: the endpoint capability is checked first; then the reply if one
 * is owed (a refused reply would return here), then ep_receive. */
inline reply_recv(s, c)
{
    if
    :: !cap_live[c] -> result[s] = R_ERR
    :: else ->
        if
        :: reply_to[s] != NONE -> ipc_reply(s)
        :: else
        fi;
        ep_receive(s, c)
    fi
}

/* thread_suspend (thread.stop): the wait ends with CANCELLED, a caller it owed a reply
 * is released, and it ends TS_INACTIVE. */
inline thread_suspend(t)
{
    abort_wait(t, R_CANCELLED);
#ifndef MUTANT_STOP_KEEPS_CALLER
    if
    :: reply_to[t] != NONE -> release_caller(reply_to[t], R_CANCELLED)
    :: else
    fi;
#endif
    state[t] = INACTIVE
}

/* thread_stop, from kobj_destroy when the last thread capability goes. */
inline thread_destroy(t)
{
    if
    :: state[t] != READY && state[t] != INACTIVE -> abort_wait(t, R_REVOKED)
    :: else
    fi;
    if
    :: reply_to[t] != NONE -> release_caller(reply_to[t], R_REVOKED)
    :: else
    fi;
    state[t] = INACTIVE;
    dead[t] = 1
}

/* ep_destroy: everyone still queued is aborted with REVOKED. */
inline ep_destroy()
{
    do
    :: qlen > 0 -> kc = q[0]; abort_wait(kc, R_REVOKED); assert(!queued[kc])
    :: else -> break
    od;
    ep_gone = 1;
    kc = 0
}

/* The endpoint half of cap_delete(c): ep_cap_removed (threads queued through `c` are
 * aborted with REVOKED), the slot emptied, the reference dropped, ep_destroy on the
 * last. */
inline ep_cap_delete(c)
{
    assert(cap_live[c]);
#ifndef MUTANT_CAPDEL_FORGETS_WAITERS
    ki = 0;
    do
    :: ki < NT ->
        if
        :: queued[ki] && blocked_cap[ki] == c -> kc = ki; abort_wait(kc, R_REVOKED); ki = 0
        :: else -> ki++
        fi
    :: else -> break
    od;
    ki = 0;
    kc = 0;
#endif
    cap_live[c] = 0;
    assert(refs > 0);
    refs--;
    if
    :: refs == 0 -> ep_destroy()
    :: else
    fi
}

/* What must hold after every syscall. */
inline ipc_invariants()
{
    ki = 0;
    do
    :: ki < NT ->
        /* the reply link is one link, held at both ends, to a thread that waits on it */
        assert(reply_to[ki] == NONE ||
               (replier[reply_to[ki]] == ki && state[reply_to[ki]] == B_REPLY));
        assert(replier[ki] == NONE || reply_to[replier[ki]] == ki);
        /* no lost reply: a thread waiting for a reply has someone who owes it */
        assert(state[ki] != B_REPLY || replier[ki] != NONE);
        /* queued exactly when blocked in send or receive, on the right side */
        assert(queued[ki] == (state[ki] == B_SEND || state[ki] == B_RECV));
        assert(!queued[ki] || (q_send == (state[ki] == B_SEND)));
        /* queued through a capability that still exists */
        assert(!queued[ki] || (blocked_cap[ki] != NONE && cap_live[blocked_cap[ki]]));
        assert(!dead[ki] || state[ki] == INACTIVE);
        /* a fault message is pending only while its thread waits on it */
        assert(!is_fault[ki] || state[ki] == B_SEND || state[ki] == B_REPLY);
        ki++
    :: else -> break
    od;
    assert(!ep_gone || qlen == 0);
    ki = 0
}
