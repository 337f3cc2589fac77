/*
 * config.h - configuration from the environment (12-factor).
 *
 * Every setting has a default that runs the embedded profile. A value that does
 * not parse stops start-up with one line naming the variable and the expected
 * form; see config_load(). The full list is in README.md and docs/OPERATIONS.md.
 */
#ifndef ERP_CORE_CONFIG_H
#define ERP_CORE_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "core/netaddr.h"

#define CONFIG_MAX_READ_URLS 16
#define CONFIG_MAX_ORIGINS 16

/* ERP_CACHE */
enum {
    CACHE_MODE_AUTO, /* on where every instance hears of every write: with Redis, or the embedded SQLite (one process) */
    CACHE_MODE_ON,   /* on, even on PostgreSQL without Redis: the operator runs a single instance */
    CACHE_MODE_OFF,  /* nothing but the session check, and that only where auto would cache */
};

typedef struct config {
    char listen_host[256]; /* numeric IPv4/IPv6 address or host name */
    int listen_port;       /* 0: any free port (the bound port is logged) */
    int metrics_listen;    /* 1: /metrics only on metrics_host:metrics_port (ERP_METRICS_LISTEN), not on the main port */
    char metrics_host[256];
    int metrics_port;
    char *cors_origins[CONFIG_MAX_ORIGINS]; /* ERP_CORS_ORIGINS: browser origins allowed to call the API */
    int n_cors_origins;
    char *public_url;      /* ERP_PUBLIC_URL: where people open the web app; its origin is a CORS origin too. NULL: unset */
    char *web_dir;         /* ERP_WEB_DIR: the built web app; NULL: "web" beside the executable, "": not served */
    char *database_url;    /* "sqlite:PATH" or a libpq URL / conninfo */
    char *read_urls[CONFIG_MAX_READ_URLS];
    int n_read_urls;
    char *redis_url;       /* NULL: none */
    char *blob_url;
    char *jwt_secret;      /* NULL: generated under data_dir in the embedded profile */
    char *payment_webhook_secret; /* ERP_PAYMENT_WEBHOOK_SECRET: signs payment providers' webhooks; NULL: refused */
    char *file_url_secret; /* ERP_FILE_URL_SECRET: signs download links; NULL: derived from jwt_secret (or random) */
    int file_url_ttl;      /* ERP_FILE_URL_TTL: seconds a signed download link lives (300) */
    char *jwt_previous;    /* comma-separated secrets still accepted for verification; NULL: none */
    int access_ttl;        /* seconds an access token lives */
    int refresh_ttl;       /* seconds a login (session) lives */
    int password_memory_kib; /* argon2id memory */
    int password_passes;   /* argon2id passes (opslimit) */
    int login_max_failures;    /* per account, before a lockout */
    int login_ip_max_failures; /* per client address, before a lockout */
    int login_lockout_seconds;
    char *data_dir;
    int threads;           /* event-loop threads */
    int pool_size;         /* handler threads */
    int pool_queue;        /* jobs waiting for a handler thread before 503 (a memory bound) */
    int queue_target_ms;   /* ERP_QUEUE_TARGET_MS: the waiting time above which a standing queue is shed */
    int queue_interval_ms; /* ERP_QUEUE_INTERVAL_MS: how long waits stay above the target before shedding */
    int queue_max_wait_ms; /* ERP_QUEUE_MAX_WAIT_MS: a request that waited this long is refused */
    int drain_seconds;
    size_t max_body_bytes;
    size_t max_header_bytes;
    int client_timeout_ms; /* reading a request (headers and body), idle keep-alive */
    int log_level;         /* log_level_t */
    int access_log;        /* 0/1 */
    int replica_max_lag_ms;
    int statement_timeout_ms; /* PostgreSQL: a statement running longer is cancelled (503) */
    int idempotency_ttl_seconds; /* how long a POST's response is kept for its Idempotency-Key */
    int audit_buffer;      /* read events held for the audit flusher (ERP_AUDIT_BUFFER) */
    int cache_mode;        /* ERP_CACHE: CACHE_MODE_* */
    size_t l1_bytes;       /* ERP_L1_BYTES: bound of the in-process cache */
    char *queue_name;
    char *instance_name;   /* ERP_INSTANCE_NAME: sent as X-Instance on every response; NULL: no header */
    int worker_concurrency;
    int test_routes;       /* 1 registers the routes the test suite needs */
    cidr_t trusted_proxies[CIDR_MAX]; /* ERP_TRUSTED_PROXIES: peers whose forwarding headers name the client */
    int n_trusted_proxies;
    int64_t test_clock_ms; /* ERP_TEST_CLOCK: the instant the wall clock starts at (test servers only); 0: real time */
} config_t;

/* Looks a variable up; returns NULL when unset. */
typedef const char *(*config_getter_t)(const char *name, void *ud);

/*
 * Fills c from the variables get() returns, defaults for the unset ones.
 * ncpu is the number of cores the defaults scale with.
 * Returns 0, or -1 with a one-line message in err ("ERP_X: expected …, got …");
 * on failure c holds partial values and must still be freed with config_free().
 */
int config_load(config_t *c, config_getter_t get, void *ud, int ncpu, char *err, size_t errlen);

/*
 * config_load() over the process environment; also starts the test clock
 * (ERP_TEST_CLOCK) for the whole process when one is set.
 */
int config_load_env(config_t *c, char *err, size_t errlen);

/* Frees the strings config_load() allocated. */
void config_free(config_t *c);

/* Whether the database URL selects the embedded SQLite engine. */
int config_is_sqlite(const config_t *c);

#endif
