/*
 * queue_tool - drives the queue port (src/queue/queue.h) one line at a time, for the contract
 * suite tests/queue/run_queue.py; adapter-agnostic: the queue is the one `school-erp worker`
 * would use (queue_setup: Redis with ERP_REDIS_URL when the build has it, else SQL on
 * ERP_DATABASE_URL), options from ERP_QUEUE_*.
 *
 *   queue_tool QUEUE_NAME
 *
 * Each command line gets one JSON line back, {"rc": N, …} (rc as the port returns it; "error"
 * when -1). Jobs fetched are kept by id, so later commands name them by id only:
 *
 *   enqueue {"tenant","type","id","owner","payload","delayMs","priority","attempts","backoffMs"}
 *                                        → {"rc","id","existed"}
 *   enqueue_in 0|1 {"tenant","type","id"} inside a transaction that is rolled back (0) or committed (1)
 *   fetch                                → {"rc":1,"job":{id,tenant,type,payload,attemptsMade,attempts}} | {"rc":0,"waitMs"}
 *   renew ID | progress ID PCT | complete ID [RESULT-JSON] | fail ID 0|1 REASON
 *   forget ID                            drops the kept job (as a worker that died)
 *   cancel TENANT ID | get TENANT ID     → {"rc","job"}
 *   page TENANT LIMIT OWNER|- [KEY ID]   → {"rc","jobs","next":{"key","id"}|null} (a page of queue_list after KEY ID)
 *   list TENANT [OWNER]                  → {"rc","jobs"} (the first 100)
 *   counts                               → {"rc","counts":{state:n},"oldestWaitMs"}
 *   sweep | promote | trim               → {"rc": moved}
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/log.h"
#include "queue/setup.h"
#include "store/store.h"

#define MAX_KEPT 256

static queue_t *q;
static store_t *store;
static job_t kept[MAX_KEPT];

static void answer(json_t *o)
{
    char *s = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
    printf("%s\n", s != NULL ? s : "{\"rc\":-1,\"error\":\"out of memory\"}");
    fflush(stdout);
    free(s);
    json_decref(o);
}

static void answer_rc(int rc)
{
    if (rc == -1)
        answer(json_pack("{s:i,s:s}", "rc", rc, "error", queue_error(q)));
    else
        answer(json_pack("{s:i}", "rc", rc));
}

static job_t *find(const char *id)
{
    for (int i = 0; id != NULL && i < MAX_KEPT; i++)
        if (kept[i].payload != NULL && strcmp(kept[i].id, id) == 0)
            return &kept[i];
    return NULL;
}

/* enqueue_in 0|1 JSON: enqueues inside a transaction of another session, then commits (1) or rolls back (0). */
static void do_enqueue_in(char *arg)
{
    int commit = arg[0] == '1';
    db_t *db = store_session(store);
    json_t *j = json_loads(arg + 2, 0, NULL);
    job_spec_t s = {.tenant_id = json_string_value(json_object_get(j, "tenant")),
                    .type = json_string_value(json_object_get(j, "type")),
                    .id = json_string_value(json_object_get(j, "id"))};
    char id[QUEUE_ID_MAX] = "";
    int existed = 0, rc = db_begin(db);
    if (rc == 0)
        rc = queue_enqueue_in(q, db, &s, id, &existed);
    if (rc == 0 && commit)
        rc = db_commit(db);
    else
        db_rollback(db);
    db_close(db);
    json_decref(j);
    if (rc == 0)
        answer(json_pack("{s:i,s:s}", "rc", 0, "id", id));
    else
        answer_rc(rc);
}

static void do_enqueue(const char *arg)
{
    json_t *j = json_loads(arg, 0, NULL);
    char *payload = j != NULL ? json_dumps(json_object_get(j, "payload"), JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    job_spec_t s = {
        .tenant_id = json_string_value(json_object_get(j, "tenant")),
        .type = json_string_value(json_object_get(j, "type")),
        .id = json_string_value(json_object_get(j, "id")),
        .owner_id = json_string_value(json_object_get(j, "owner")),
        .payload = payload,
        .delay_ms = json_integer_value(json_object_get(j, "delayMs")),
        .priority = (int)json_integer_value(json_object_get(j, "priority")),
        .attempts = (int)json_integer_value(json_object_get(j, "attempts")),
        .backoff_ms = json_integer_value(json_object_get(j, "backoffMs")),
    };
    char id[QUEUE_ID_MAX] = "";
    int existed = 0;
    int rc = queue_enqueue(q, &s, id, &existed);
    if (rc == 0)
        answer(json_pack("{s:i,s:s,s:b}", "rc", 0, "id", id, "existed", existed));
    else
        answer_rc(rc);
    free(payload);
    json_decref(j);
}

static void do_fetch(void)
{
    job_t job;
    int64_t wait = 0;
    int rc = queue_fetch(q, &job, &wait);
    if (rc != 1) {
        if (rc == 0)
            answer(json_pack("{s:i,s:I}", "rc", 0, "waitMs", (json_int_t)wait));
        else
            answer_rc(rc);
        return;
    }
    job_t *slot = find(job.id);
    for (int i = 0; slot == NULL && i < MAX_KEPT; i++)
        if (kept[i].payload == NULL)
            slot = &kept[i];
    if (slot == NULL) {
        answer(json_pack("{s:i,s:s}", "rc", -1, "error", "too many jobs kept"));
        job_clear(&job);
        return;
    }
    job_clear(slot);
    *slot = job;
    answer(json_pack("{s:i,s:{s:s,s:s,s:s,s:o,s:i,s:i}}", "rc", 1, "job", "id", job.id, "tenant", job.tenant_id,
                     "type", job.type, "payload", json_loads(job.payload, 0, NULL), "attemptsMade", job.attempts_made,
                     "attempts", job.attempts));
}

static void do_with_job(const char *cmd, char *arg)
{
    char *rest = NULL;
    char *id = strtok_r(arg, " ", &rest);
    job_t *j = find(id);
    if (j == NULL) {
        answer(json_pack("{s:i,s:s}", "rc", -1, "error", "no such kept job"));
        return;
    }
    if (strcmp(cmd, "renew") == 0)
        answer_rc(queue_renew(q, j));
    else if (strcmp(cmd, "progress") == 0)
        answer_rc(queue_progress(q, j, atoi(rest != NULL ? rest : "0")));
    else if (strcmp(cmd, "complete") == 0)
        answer_rc(queue_complete(q, j, rest != NULL && *rest != '\0' ? rest : NULL));
    else if (strcmp(cmd, "fail") == 0) {
        char *retry = strtok_r(NULL, " ", &rest);
        answer_rc(queue_fail(q, j, rest != NULL ? rest : "failed", retry != NULL && strcmp(retry, "1") == 0));
    } else {
        job_clear(j);
        answer_rc(0);
    }
}

static void do_lookup(const char *cmd, char *arg)
{
    char *rest = NULL;
    char *tenant = strtok_r(arg, " ", &rest);
    char *id = strtok_r(NULL, " ", &rest);
    json_t *out = NULL;
    int rc;
    if (strcmp(cmd, "cancel") == 0) {
        answer_rc(queue_cancel(q, tenant, id));
        return;
    }
    queue_cursor_t next;
    if (strcmp(cmd, "get") == 0)
        rc = queue_get(q, tenant, id, &out);
    else
        rc = queue_list(q, tenant, id, NULL, 100, &out, &next);
    if (rc != 0) {
        answer_rc(rc);
        return;
    }
    answer(json_pack("{s:i,s:o}", "rc", 0, strcmp(cmd, "get") == 0 ? "job" : "jobs", out));
}

static void do_page(char *arg)
{
    char *rest = NULL;
    char *tenant = strtok_r(arg, " ", &rest), *limit = strtok_r(NULL, " ", &rest);
    char *owner = strtok_r(NULL, " ", &rest), *key = strtok_r(NULL, " ", &rest), *id = strtok_r(NULL, " ", &rest);
    queue_cursor_t after = {0}, next;
    if (key != NULL) {
        after.key = strtoll(key, NULL, 10);
        snprintf(after.id, sizeof(after.id), "%s", id != NULL ? id : "");
    }
    json_t *out;
    int rc = queue_list(q, tenant, owner != NULL && strcmp(owner, "-") != 0 ? owner : NULL, key != NULL ? &after : NULL,
                        limit != NULL ? atoi(limit) : 0, &out, &next);
    if (rc != 0) {
        answer_rc(rc);
        return;
    }
    json_t *n = next.id[0] != '\0' ? json_pack("{s:I,s:s}", "key", (json_int_t)next.key, "id", next.id) : json_null();
    if (n == NULL)
        json_decref(out);
    answer(n != NULL ? json_pack("{s:i,s:o,s:o}", "rc", 0, "jobs", out, "next", n) : NULL);
}

static void do_counts(void)
{
    long long c[6];
    int64_t oldest;
    int rc = queue_counts(q, c, &oldest);
    if (rc != 0) {
        answer_rc(rc);
        return;
    }
    json_t *counts = json_object();
    for (int s = JOB_WAITING; s <= JOB_CANCELLED; s++)
        json_object_set_new(counts, job_state_name((job_state_t)s), json_integer(c[s]));
    answer(json_pack("{s:i,s:o,s:I}", "rc", 0, "counts", counts, "oldestWaitMs", (json_int_t)oldest));
}

static void dispatch(char *line)
{
    char *arg = strchr(line, ' ');
    if (arg != NULL)
        *arg++ = '\0';
    else
        arg = line + strlen(line);
    if (strcmp(line, "enqueue") == 0)
        do_enqueue(arg);
    else if (strcmp(line, "enqueue_in") == 0)
        do_enqueue_in(arg);
    else if (strcmp(line, "fetch") == 0)
        do_fetch();
    else if (strcmp(line, "renew") == 0 || strcmp(line, "progress") == 0 || strcmp(line, "complete") == 0 ||
             strcmp(line, "fail") == 0 || strcmp(line, "forget") == 0)
        do_with_job(line, arg);
    else if (strcmp(line, "cancel") == 0 || strcmp(line, "get") == 0 || strcmp(line, "list") == 0)
        do_lookup(line, arg);
    else if (strcmp(line, "page") == 0)
        do_page(arg);
    else if (strcmp(line, "counts") == 0)
        do_counts();
    else if (strcmp(line, "sweep") == 0)
        answer_rc(queue_sweep_stalled(q));
    else if (strcmp(line, "promote") == 0)
        answer_rc(queue_promote_delayed(q));
    else if (strcmp(line, "trim") == 0)
        answer_rc(queue_trim(q));
    else
        answer(json_pack("{s:i,s:s}", "rc", -1, "error", "unknown command"));
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: queue_tool QUEUE_NAME (ERP_DATABASE_URL, ERP_REDIS_URL, ERP_QUEUE_*)\n");
        return 2;
    }
    setenv("QUEUE_NAME", argv[1], 1);
    config_t cfg;
    char err[512];
    if (config_load_env(&cfg, err, sizeof(err)) != 0) {
        fprintf(stderr, "queue_tool: %s\n", err);
        return 2;
    }
    log_setup((log_level_t)cfg.log_level, 2);
    store = store_open(&cfg, err, sizeof(err));
    q = store != NULL ? queue_setup(&cfg, store, err, sizeof(err)) : NULL;
    if (q == NULL) {
        fprintf(stderr, "queue_tool: %s\n", err);
        return 1;
    }
    printf("{\"rc\":0,\"adapter\":\"%s\"}\n", queue_adapter(q));
    fflush(stdout);
    char line[65536];
    while (fgets(line, sizeof(line), stdin) != NULL) {
        line[strcspn(line, "\n")] = '\0';
        dispatch(line);
    }
    for (int i = 0; i < MAX_KEPT; i++)
        job_clear(&kept[i]);
    queue_close(q);
    store_close(store);
    config_free(&cfg);
    return 0;
}
