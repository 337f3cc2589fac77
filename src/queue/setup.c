/* setup.c - the configured queue and worker settings (see setup.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "mail/mail.h"
#include "queue/setup.h"

queue_t *queue_setup(const config_t *cfg, store_t *s, char *err, size_t errlen)
{
    queue_options_t o;
    queue_options_default(&o);
    if (queue_options_from_env(&o, err, errlen) != 0)
        return NULL;
    const char *name = cfg->queue_name != NULL ? cfg->queue_name : "default";
    if (cfg->redis_url != NULL && cfg->redis_url[0] != '\0')
        return queue_open(cfg->redis_url, name, &o, err, errlen);
    return queue_open_sql(s, name, &o, err, errlen);
}

static int env_int(const char *name, long long def, long long min, long long max, long long *out, char *err,
                   size_t errlen)
{
    const char *v = getenv(name);
    *out = def;
    if (v == NULL || *v == '\0')
        return 0;
    char *end;
    errno = 0;
    long long n = strtoll(v, &end, 10);
    if (errno != 0 || *end != '\0' || n < min || n > max) {
        snprintf(err, errlen, "%s must be an integer from %lld to %lld, not '%s'", name, min, max, v);
        return -1;
    }
    *out = n;
    return 0;
}

int worker_config_from_env(worker_config_t *w, char *err, size_t errlen)
{
    long long grace, poll;
    if (env_int("ERP_WORKER_GRACE_MS", 30000, 0, 3600000, &grace, err, errlen) != 0 ||
        env_int("ERP_WORKER_POLL_MS", 250, 1, 60000, &poll, err, errlen) != 0)
        return -1;
    w->grace_ms = grace;
    w->poll_ms = poll;
    return 0;
}

int serve_workers(const queue_t *q, char *err, size_t errlen)
{
    long long n;
    if (env_int("ERP_SERVE_WORKERS", 2, 0, 256, &n, err, errlen) != 0)
        return -1;
    return strcmp(queue_adapter(q), "sql") == 0 ? (int)n : 0;
}

int queue_serve_start(const config_t *cfg, store_t *s, queue_t **q, queue_worker_t **w, char *err, size_t errlen)
{
    *w = NULL;
    *q = queue_setup(cfg, s, err, errlen);
    if (*q == NULL)
        return -1;
    worker_config_t wc = {0};
    int n = serve_workers(*q, err, errlen);
    if (n < 0 || worker_config_from_env(&wc, err, errlen) != 0) {
        queue_close(*q);
        *q = NULL;
        return -1;
    }
    if (n == 0)
        return 0;
    wc.concurrency = n;
    wc.maintain = mail_trim;
    size_t nh;
    const job_handler_t *h = job_registry(cfg->test_routes, &nh);
    *w = worker_start(*q, s, h, nh, &wc, err, errlen);
    if (*w == NULL) {
        queue_close(*q);
        *q = NULL;
        return -1;
    }
    return 0;
}
