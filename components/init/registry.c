/* init's registry: the endpoints of running services, found by "<service>.<port>". A
 * client gets a badged copy with exactly the rights its route declares; stopping the
 * service revokes every copy handed out and frees its entries for others. */
#include <stdio.h>
#include <string.h>

#include "supervisor.h"

/* A live entry names a registry port (init_cfg->ports) of a running service. */
struct registry_entry {
    bool used;
    uint32_t port;
};

static struct registry_entry entries[INIT_MAX_REGISTRY];
static uint32_t capacity;
/* Where a copy is minted before the reply moves it: the last slot of init's CSpace,
 * which the generator never fills (the CSpace is sized with room to spare). */
static uint32_t scratch_slot;

void init_registry_setup(void)
{
    capacity = init_cfg->registry_capacity;
    if (capacity > INIT_MAX_REGISTRY)
        capacity = INIT_MAX_REGISTRY;
    scratch_slot = (uint32_t)anv_cspace_size() - 1u;
}

uint32_t init_registry_free(void)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < capacity; i++)
        n += !entries[i].used;
    return n;
}

static uint32_t ports_of(uint32_t svc)
{
    uint32_t n = 0;
    for (uint32_t p = 0; p < init_cfg->port_count; p++)
        n += init_cfg->ports[p].service == svc;
    return n;
}

int init_registry_add(uint32_t svc)
{
    /* All of the service's ports or none: a half-registered service would resolve for
     * some clients and not for others. */
    uint32_t need = ports_of(svc);
    if (need > init_registry_free())
        return ANV_SM_E_REGISTRY_FULL;
    uint32_t slot = 0;
    for (uint32_t p = 0; p < init_cfg->port_count; p++) {
        if (init_cfg->ports[p].service != svc)
            continue;
        while (slot < capacity && entries[slot].used)
            slot++;
        entries[slot].used = true;
        entries[slot].port = p;
    }
    return ANV_OK;
}

void init_registry_remove(uint32_t svc)
{
    for (uint32_t i = 0; i < capacity; i++) {
        if (!entries[i].used || init_cfg->ports[entries[i].port].service != svc)
            continue;
        /* Every copy a client resolved descends from the master: revoking it takes them
         * all, and a client blocked in a call through one is woken with ANV_E_REVOKED. */
        int err = anv_cap_revoke(init_cfg->ports[entries[i].port].master);
        if (err != ANV_OK)
            printf("init: registry %s: revoke failed (%d)\n", init_cfg->ports[entries[i].port].name,
                   err);
        entries[i].used = false;
    }
}

static bool is_live(uint32_t port)
{
    for (uint32_t i = 0; i < capacity; i++)
        if (entries[i].used && entries[i].port == port)
            return true;
    return false;
}

static void rights_text(uint32_t r, char out[5])
{
    out[0] = (r & ANV_RIGHT_READ) ? 'r' : '-';
    out[1] = (r & ANV_RIGHT_WRITE) ? 'w' : '-';
    out[2] = (r & ANV_RIGHT_EXEC) ? 'x' : '-';
    out[3] = (r & ANV_RIGHT_GRANT) ? 'g' : '-';
    out[4] = '\0';
}

static void refuse(const char *client, const char *name, uint32_t error, const char *why)
{
    printf("init: registry %s refused %s (%s)\n", client, name, why);
    (void)anv_ipc_reply(anv_msginfo(error, 0, 0));
}

void init_registry_resolve(uint64_t client_badge, const char *name)
{
    const char *client = init_client_name(client_badge);
    uint32_t port = init_cfg->port_count;
    for (uint32_t p = 0; p < init_cfg->port_count; p++)
        if (strcmp(init_cfg->ports[p].name, name) == 0)
            port = p;
    if (port == init_cfg->port_count) {
        refuse(client, name, ANV_SM_E_NOT_FOUND, "no such entry");
        return;
    }
    const struct anv_sm_route *route = NULL;
    for (uint32_t r = 0; r < init_cfg->route_count; r++)
        if (init_cfg->routes[r].client_badge == client_badge && init_cfg->routes[r].port == port)
            route = &init_cfg->routes[r];
    if (route == NULL) {
        refuse(client, name, ANV_SM_E_DENIED, "not declared for this client");
        return;
    }
    if (!is_live(port)) {
        refuse(client, name, ANV_SM_E_UNAVAILABLE, "service not running");
        return;
    }
    anv_handle_t copy = ANV_HANDLE_NULL;
    int err = anv_cap_delegate(init_cfg->ports[port].master, ANV_HANDLE_NULL, scratch_slot,
                               route->rights, route->badge, &copy);
    if (err != ANV_OK) {
        printf("init: registry %s: cannot mint %s (%d)\n", client, name, err);
        (void)anv_ipc_reply(anv_msginfo((uint32_t)err, 0, 0));
        return;
    }
    struct anv_ipc_buffer *b = anv_ipcbuf();
    b->caps_out[0] = copy;
    b->caps_out_rights[0] = route->rights;
    err = anv_ipc_reply(anv_msginfo(ANV_OK, 0, 1));
    char r[5];
    rights_text(route->rights, r);
    if (err == ANV_OK) {
        printf("init: registry %s resolved %s (%s, badge 0x%lx)\n", client, name, r,
               (unsigned long)route->badge);
    } else {
        /* The client's CSpace had no room: it still gets an answer, without the cap. */
        printf("init: registry %s refused %s (transfer failed: %d)\n", client, name, err);
        (void)anv_ipc_reply(anv_msginfo((uint32_t)err, 0, 0));
    }
    /* The client's copy stays a descendant of the master when this one goes. */
    (void)anv_cap_delete(copy);
}
