#include "api/app.h"

#include <stdlib.h>

app_t app;

void *app_thread_init(int idx, void *ud)
{
    (void)ud;
    worker_t *w = xcalloc(1, sizeof(*w));
    w->idx = idx;
    w->db = store_session(app.store);
    return w;
}

void app_thread_fini(void *ctx, void *ud)
{
    (void)ud;
    worker_t *w = ctx;
    if (w != NULL) {
        db_close(w->db);
        free(w);
    }
}

void app_request_begin(req_t *r)
{
    db_set_actor(req_db(r), NULL);
}
