/* jobs.c - the jobs routes (see jobs.h) over the process's queue (app.queue). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/app.h"
#include "api/common.h"
#include "api/jobs.h"
#include "api/validate.h"
#include "auth/roles.h"
#include "core/log.h"
#include "queue/queue.h"

/* Maps a queue call's failure onto the response. */
static int queue_failed(req_t *r, int rc)
{
    if (rc == QUEUE_ENOTFOUND)
        return res_fail(r, ERR_NOT_FOUND, "No such job.");
    if (rc == QUEUE_ESTATE)
        return res_fail(r, ERR_CONFLICT, "The job has already finished.");
    log_error("job queue call failed", "%s", queue_error(app.queue));
    return res_fail(r, ERR_UNAVAILABLE, "The job queue cannot be reached; try again.");
}

static int is_admin(const req_t *r)
{
    return (r->auth.roles & ROLE_ADMIN) != 0;
}

/* Reads the job of /jobs/{id} that the caller may see into *out (admins: the school's; others: their own). */
static int visible_job(req_t *r, json_t **out)
{
    int rc = queue_get(app.queue, r->auth.tenant_id, req_param(r, 0), out);
    if (rc != 0)
        return queue_failed(r, rc);
    const char *owner = json_string_value(json_object_get(*out, "ownerId"));
    if (!is_admin(r) && (owner == NULL || strcmp(owner, r->auth.user_id) != 0)) {
        json_decref(*out);
        *out = NULL;
        return queue_failed(r, QUEUE_ENOTFOUND);
    }
    return 0;
}

int jobs_get(req_t *r)
{
    json_t *job;
    if (visible_job(r, &job) != 0)
        return -1;
    return res_json(r, 200, job);
}

/* Reads ?cursor= into *c (id "" without one): 0, or -1 after a 422 for one this server cannot have issued. */
static int job_cursor_read(req_t *r, queue_cursor_t *c)
{
    memset(c, 0, sizeof(*c));
    const char *v = req_query(r, "cursor");
    if (v == NULL)
        return 0;
    char key[24], *end;
    if (page_cursor_decode(v, key, sizeof(key), c->id, sizeof(c->id)) != 0 || key[0] < '0' || key[0] > '9' ||
        (c->key = strtoll(key, &end, 10), *end != '\0') || c->id[0] == '\0')
        return res_fail(r, ERR_MALFORMED, "The cursor is not one this server issued.");
    return 0;
}

/* The opaque cursor of a queue cursor, in the arena; NULL when there is no next page. */
static const char *job_cursor(req_t *r, const queue_cursor_t *c)
{
    if (c->id[0] == '\0')
        return NULL;
    char key[24];
    snprintf(key, sizeof(key), "%lld", (long long)c->key);
    return page_cursor(&r->arena, key, c->id);
}

int jobs_list(req_t *r)
{
    long long limit = 50;
    const char *v = req_query(r, "limit"), *mine = req_query(r, "mine");
    if (v != NULL && query_int(r, "limit", v, 1, 500, &limit) != 0)
        return -1;
    if (mine != NULL && strcmp(mine, "true") != 0 && strcmp(mine, "false") != 0)
        return res_fail(r, ERR_VALIDATION, "mine: true or false");
    queue_cursor_t after, next;
    if (job_cursor_read(r, &after) != 0)
        return -1;
    int own = !is_admin(r) || (mine != NULL && strcmp(mine, "true") == 0);
    json_t *items;
    int rc = queue_list(app.queue, r->auth.tenant_id, own ? r->auth.user_id : NULL, &after, (int)limit, &items, &next);
    if (rc == QUEUE_ECURSOR)
        return res_fail(r, ERR_MALFORMED, "The cursor is not one this server issued.");
    if (rc != 0)
        return queue_failed(r, rc);
    const char *cursor = job_cursor(r, &next);
    if (next.id[0] != '\0' && cursor == NULL) {
        json_decref(items);
        return res_fail(r, ERR_INTERNAL, "the next page's cursor could not be written");
    }
    return res_json(r, 200, page_result(items, cursor));
}

int jobs_cancel(req_t *r)
{
    json_t *job;
    if (visible_job(r, &job) != 0)
        return -1;
    json_decref(job);
    int rc = queue_cancel(app.queue, r->auth.tenant_id, req_param(r, 0));
    if (rc != 0)
        return queue_failed(r, rc);
    return res_empty(r, 204);
}

int testing_jobs_create(req_t *r)
{
    static const char *const fields[] = {"type", "payload", "id", "delayMs", "priority", "attempts", "backoffMs", NULL};
    const char *type = NULL, *id = NULL;
    long long delay = 0, priority = 0, attempts = 0, backoff = 0;
    body_only_fields(r, fields);
    body_string(r, "type", 1, 1, QUEUE_TYPE_MAX - 1, &type);
    body_string(r, "id", 0, 1, QUEUE_ID_MAX - 1, &id);
    body_int(r, "delayMs", 0, 0, 86400000, &delay);
    body_int(r, "priority", 0, -1000, 1000, &priority);
    body_int(r, "attempts", 0, 1, 100, &attempts);
    body_int(r, "backoffMs", 0, 1, 3600000, &backoff);
    json_t *payload = json_object_get(r->json, "payload");
    if (payload != NULL && !json_is_object(payload))
        res_field_error(r, "payload", "must be an object");
    if (res_check_fields(r) != 0)
        return -1;
    char *text = payload != NULL ? json_dumps(payload, JSON_COMPACT) : strdup("{}");
    if (text == NULL)
        return res_fail(r, ERR_INTERNAL, "the payload could not be written");
    job_spec_t spec = {.id = id, .tenant_id = r->auth.tenant_id, .owner_id = r->auth.user_id, .type = type,
                       .payload = text, .delay_ms = delay, .priority = (int)priority, .attempts = (int)attempts,
                       .backoff_ms = backoff};
    char job_id[QUEUE_ID_MAX];
    int existed = 0;
    if (queue_spec_valid(&spec) != 0) {
        free(text);
        return res_fail(r, ERR_VALIDATION, "%s", queue_error(app.queue));
    }
    int rc = queue_enqueue(app.queue, &spec, job_id, &existed);
    free(text);
    if (rc != 0)
        return queue_failed(r, rc);
    return res_json(r, 202, json_pack("{s:s,s:b}", "jobId", job_id, "existed", existed));
}
