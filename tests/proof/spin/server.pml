/* The server thread S of the spin models, receiving through capability SRV_CAP (both
 * defined by the including model). */

/* A well-behaved server: after each request it either replies and receives again
 * (ipc.reply then ipc.receive), or uses ipc.reply_recv, or receives again without
 * replying (the kernel then releases the caller). With its capability gone it answers
 * what it owes with ipc.reply, which needs no capability, and ends. */
proctype Server()
{
    bit served = 0; /* it holds a request it owes a reply to */
    bit done = 0;
    do
    :: !done ->
end_stopped:
        atomic {
            state[S] == READY ->
            result[S] = R_NONE;
            if
            :: !cap_live[SRV_CAP] ->
                if
                :: reply_to[S] != NONE -> ipc_reply(S)
                :: else
                fi;
                done = 1
            :: cap_live[SRV_CAP] && !served -> ep_receive(S, SRV_CAP)
            :: cap_live[SRV_CAP] && served -> reply_recv(S, SRV_CAP)
            :: cap_live[SRV_CAP] && served -> ipc_reply(S)
            :: cap_live[SRV_CAP] && served -> ep_receive(S, SRV_CAP)
            fi;
            ipc_invariants()
        };
end_wait:
        atomic {
            state[S] == READY ->
            /* it owes a reply only to the caller whose request it holds */
            assert(reply_to[S] == NONE || reply_to[S] == msg[S]);
            served = (reply_to[S] != NONE);
            if
            :: !served -> msg[S] = NONE
            :: else
            fi;
            result[S] = R_NONE
        }
    :: done -> break
    od
}

