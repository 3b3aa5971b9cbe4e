/* Spin model of cap.revoke and cap.delete racing IPC: the derivation tree (CDT) of the
 * capabilities to one endpoint, walked exactly as kernel/object/cspace.c walks it, while
 * two clients call a server through capabilities in that tree and one client delegates
 * its capability to the other. The IPC rules are kernel_ipc.pml's.
 *
 * Capabilities: 0 the controller's original (a root), 1 the server's (a child of 0),
 * 2 client 0's (a child of 0), 3 empty until client 0 delegates 2 into it for client 1
 * (a child of 2). Checked, besides the IPC invariants after every syscall: after
 * revoke(c) no capability derived from c (at any depth, whatever was deleted in between)
 * is left; the tree's links are consistent and every live capability's parent is live;
 * the endpoint's reference count is the number of live capabilities; nobody is queued
 * through a capability that is gone, or on an endpoint that is gone; a handle to an
 * emptied slot is refused (generation check); at quiescence nobody waits for a reply. */

#define NT    3 /* threads 0 and 1: clients; 2: the server */
#define NCAP  4
#define NONE  4
#define S     2
#define ROOT  0

#ifndef ACTIONS
#define ACTIONS 4 /* controller syscalls */
#endif

#include "kernel_ipc.pml"
#define SRV_CAP 1
#include "server.pml"

/* cap->parent, first_child, next_sibling, prev_sibling. */
byte parent[NCAP];
byte first_child[NCAP];
byte next_sib[NCAP];
byte prev_sib[NCAP];
byte gen[NCAP];   /* cap->generation, part of every handle */
byte anc[NCAP];   /* ghost: the capabilities it was derived from, at any depth */
byte h1;          /* client 1's handle to slot 3: the generation it was given */
bit  has1;        /* client 1 was given a handle */

hidden byte kd;
hidden byte kch;
hidden byte knx;
hidden byte kp;
hidden byte kcur;
hidden byte kpar;
hidden byte kn;

/* cdt_link_child. */
inline cdt_link_child(p, ch)
{
    parent[ch] = p;
    prev_sib[ch] = NONE;
    next_sib[ch] = first_child[p];
    if
    :: first_child[p] != NONE -> prev_sib[first_child[p]] = ch
    :: else
    fi;
    first_child[p] = ch
}

/* cdt_unlink. */
inline cdt_unlink(x)
{
    if
    :: prev_sib[x] != NONE -> next_sib[prev_sib[x]] = next_sib[x]
    :: else ->
        if
        :: parent[x] != NONE -> first_child[parent[x]] = next_sib[x]
        :: else
        fi
    fi;
    if
    :: next_sib[x] != NONE -> prev_sib[next_sib[x]] = prev_sib[x]
    :: else
    fi;
    parent[x] = NONE;
    next_sib[x] = NONE;
    prev_sib[x] = NONE
}

/* cap_derive from `src` into the empty slot `dst` (cap_install with a parent). */
inline cap_derive(dst, src)
{
    assert(cap_live[src] && !cap_live[dst] && !ep_gone);
    cap_live[dst] = 1;
    refs++;
    first_child[dst] = NONE;
    cdt_link_child(src, dst);
    anc[dst] = anc[src] | (1 << src)
}

/* cap_delete: children move to our parent (they keep their lineage), we leave the tree,
 * the slot's generation moves on, then the endpoint's part (ep_cap_removed, the
 * reference, ep_destroy on the last; kernel_ipc.pml's ep_cap_delete). */
inline cap_delete(x)
{
    kd = x;
    assert(cap_live[kd]);
    kch = first_child[kd];
    first_child[kd] = NONE;
    kn = 0;
    do
    :: kch != NONE ->
        assert(kn < NCAP); /* the kernel's guard against a cycle */
        kn++;
        knx = next_sib[kch];
        parent[kch] = NONE;
        prev_sib[kch] = NONE;
        next_sib[kch] = NONE;
#ifndef MUTANT_DELETE_DROPS_CHILDREN
        if
        :: parent[kd] != NONE -> kp = parent[kd]; cdt_link_child(kp, kch)
        :: else
        fi;
#endif
        kch = knx
    :: else -> break
    od;
    cdt_unlink(kd);
    gen[kd] = (gen[kd] + 1) % 4;
    ep_cap_delete(kd);
    anc[kd] = 0;
    kd = 0; kch = 0; knx = 0; kp = 0; kn = 0
}

/* cap_revoke: depth first, always deleting a leaf, then back to its parent (or to c's
 * next child). */
inline cap_revoke(c)
{
    kcur = first_child[c];
    kpar = 0;
    do
    :: kcur != NONE ->
        do
        :: first_child[kcur] != NONE -> kcur = first_child[kcur]
        :: else -> break
        od;
        kpar = parent[kcur];
        assert(kpar != NONE);
        cap_delete(kcur);
#ifndef MUTANT_REVOKE_STOPS_EARLY
        if
        :: kpar == c -> kcur = first_child[c]
        :: else -> kcur = kpar
        fi
#else
        kcur = NONE /* mutant: one leaf and done */
#endif
    :: else -> break
    od;
    /* nothing derived from c is left */
    ki = 0;
    do
    :: ki < NCAP -> assert(!cap_live[ki] || (anc[ki] & (1 << c)) == 0); ki++
    :: else -> break
    od;
    ki = 0; kcur = 0; kpar = 0
}

inline cdt_invariants()
{
    kd = 0;
    kn = 0;
    do
    :: kd < NCAP ->
        if
        :: cap_live[kd] ->
            kn++;
            assert(parent[kd] == NONE || (cap_live[parent[kd]] && (anc[kd] & (1 << parent[kd]))));
            assert(prev_sib[kd] != NONE || parent[kd] == NONE || first_child[parent[kd]] == kd);
            assert(prev_sib[kd] == NONE || next_sib[prev_sib[kd]] == kd);
            assert(next_sib[kd] == NONE || prev_sib[next_sib[kd]] == kd);
            assert(first_child[kd] == NONE || parent[first_child[kd]] == kd)
        :: else ->
            assert(parent[kd] == NONE && first_child[kd] == NONE)
        fi;
        kd++
    :: else -> break
    od;
    assert(kn == refs);
    kd = 0;
    kn = 0
}

inline check_all()
{
    ipc_invariants();
    cdt_invariants()
}

/* Client 0: one call through capability 2, and (once, at any moment) cap.delegate of 2
 * into slot 3, whose handle it hands to client 1 (really in a message; here at once). */
proctype Client0()
{
    bit called = 0;
    bit delegated = 0;
    do
    :: !called ->
end_call:
        atomic { state[0] == READY -> result[0] = R_NONE; ep_call(0, 2); check_all() };
end_wait:
        atomic {
            state[0] == READY ->
            assert(result[0] != R_NONE);
            assert(result[0] != R_OK || msg[0] == 0);
            msg[0] = NONE;
            result[0] = R_NONE
        };
        called = 1
    :: !delegated ->
end_deleg:
        atomic {
            state[0] == READY ->
            /* sys_cap_delegate: the source must be there, the slot empty */
            if
            :: cap_live[2] && !cap_live[3] -> cap_derive(3, 2); h1 = gen[3]; has1 = 1
            :: else
            fi;
            delegated = 1;
            check_all()
        }
    :: called && delegated -> break
    od
}

/* Client 1: once it has a handle, one call through slot 3; cspace_lookup refuses the
 * handle if the slot was emptied (and maybe filled again) since. */
proctype Client1()
{
end_nohandle:
    has1;
end_call:
    atomic {
        state[1] == READY ->
        result[1] = R_NONE;
        if
        :: gen[3] != h1 -> result[1] = R_ERR /* ANV_E_STALE_HANDLE */
        :: else -> ep_call(1, 3)
        fi;
        check_all()
    };
end_wait:
    atomic {
        state[1] == READY ->
        assert(result[1] != R_NONE);
        assert(result[1] != R_OK || msg[1] == 1);
        msg[1] = NONE;
        result[1] = R_NONE
    }
}

/* The controller holds capability 0 and may revoke or delete any capability. */
proctype Controller()
{
    byte n = 0;
    byte c;
    do
    :: n < ACTIONS ->
        atomic {
            if
            :: c = 0
            :: c = 1
            :: c = 2
            :: c = 3
            fi;
            if
            :: true -> /* sys_cap_revoke */
                if
                :: cap_live[c] -> cap_revoke(c)
                :: else
                fi
            :: true -> /* sys_cap_delete */
                if
                :: cap_live[c] -> cap_delete(c)
                :: else
                fi
            fi;
            n++;
            c = 0;
            check_all()
        }
    :: else -> break
    od
}

/* At quiescence nobody waits for a reply, and a client is queued only when the server
 * can no longer receive. */
proctype Auditor()
{
    byte i;
    timeout ->
    atomic {
        i = 0;
        do
        :: i < NT ->
            assert(state[i] != B_REPLY);
            assert(state[i] != B_SEND || !cap_live[SRV_CAP]);
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
            i++
        :: else -> break
        od;
        i = 0;
        do
        :: i < NCAP ->
            parent[i] = NONE;
            first_child[i] = NONE;
            next_sib[i] = NONE;
            prev_sib[i] = NONE;
            i++
        :: else -> break
        od;
        /* the loader's tree: 0 the root, 1 and 2 its children */
        cap_live[ROOT] = 1;
        refs = 1;
        cap_derive(1, ROOT);
        cap_derive(2, ROOT);
        check_all();
        run Client0();
        run Client1();
        run Server();
        run Controller();
        run Auditor()
    }
}
