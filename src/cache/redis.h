/*
 * redis.h - the L2 cache's Redis client: one standalone server or a Redis Cluster, through
 * hiredis's synchronous API.
 *
 * Contract:
 * - Thread-safe: every function but redis_create/redis_destroy may be called from any number
 *   of threads at once. Each calling thread gets its own connection to each node it talks to
 *   (made on first use, closed when the thread exits or at redis_destroy); the command path
 *   takes no lock.
 * - Lazy and fail-fast: redis_create never touches the network. A command never waits longer
 *   than the connect timeout (new connections only) plus the command timeout plus one
 *   redirect or retry. After a failure (refused or timed-out connection, I/O error, timeout)
 *   a node is in backoff (50 ms doubling to 2 s): calls for it fail at once with -1, without
 *   a system call, except for one caller at a time that probes it when the backoff expires.
 *   The caller then falls back to the database.
 * - Cluster: the slot map comes from CLUSTER SLOTS, fetched by a background thread at first
 *   use and again after MOVED, connection errors, unreachable nodes, and every 10 s.
 *   MOVED/ASK/TRYAGAIN/CLUSTERDOWN are handled inside. Every key of a command must hash to the
 *   slot of the slot_key passed with it: callers put the same hash tag ("{tenant:42}…") in
 *   every key of a command or pipeline; a CROSSSLOT error reply means they did not.
 * - Logs: one warning when a node becomes unreachable, one info line when it answers again.
 * - Metrics (registered by redis_create): school_erp_redis_command_duration_seconds,
 *   school_erp_redis_errors_total{kind}, school_erp_redis_redirects_total{kind},
 *   school_erp_redis_up.
 */
#ifndef ERP_CACHE_REDIS_H
#define ERP_CACHE_REDIS_H

#include <stddef.h>

#include <hiredis/hiredis.h>

typedef struct redis redis_t;

/* Timeouts and backoff; zero fields take the defaults shown. */
typedef struct redis_opts {
    int connect_timeout_ms; /* 200 */
    int command_timeout_ms; /* 100: a reply that takes longer fails the command */
    int backoff_min_ms;     /* 50: first backoff of a node after a failure, doubled on each further one */
    int backoff_max_ms;     /* 2000 */
    int no_metrics;         /* 1: register no metrics (a second client in a process that has the cache's) */
} redis_opts_t;

/*
 * Parses url and prepares a client; connects to nothing (connections are made lazily, so
 * start-up never fails because Redis is down).
 *   redis://[[user]:password@]host[:port][/db]            standalone (port 6379, db 0 by default)
 *   redis+cluster://[[user]:password@]h1:p1,h2:p2,...     Cluster (seed nodes; no db)
 * The password may be percent-encoded; IPv6 hosts go in brackets. Returns NULL with a one-line
 * message in err for a URL that does not parse; the caller owns the result (redis_destroy).
 */
redis_t *redis_create(const char *url, char *err, size_t errlen);

/* As redis_create with explicit settings; opts may be NULL (the defaults). */
redis_t *redis_create_opts(const char *url, const redis_opts_t *opts, char *err, size_t errlen);

/*
 * Stops the background threads (slot map, subscriber), closes every connection of every
 * thread and frees r. Call when no other thread uses r any more; NULL is ignored.
 */
void redis_destroy(redis_t *r);

/* 1 for a redis+cluster:// client, 0 for a standalone one. */
int redis_is_cluster(const redis_t *r);

/*
 * Runs one command whose keys all live in the slot of slot_key (NULL for a keyless command,
 * sent to any master / the standalone server). argc/argv/argvlen as hiredis's
 * redisCommandArgv (argvlen NULL: strlen of each argument).
 * Returns 0 with *out the reply, which the caller frees with freeReplyObject; an error reply
 * (-ERR …) is a success with (*out)->type == REDIS_REPLY_ERROR, except MOVED, ASK, TRYAGAIN
 * and CLUSTERDOWN, which are handled here. Returns -1 with *out NULL when the command could
 * not be carried out (no connection, timeout, node in backoff, redirects exhausted).
 */
int redis_command(redis_t *r, const char *slot_key, int argc, const char **argv, const size_t *argvlen,
                  redisReply **out);

/*
 * Sends n commands in one round trip to the node of slot_key (NULL: any master); the keys of
 * every command must be in that slot. argc[i]/argv[i]/argvlen[i] describe command i (argvlen
 * may be NULL, or argvlen[i] NULL). Returns 0 when every reply arrived, out[i] holding reply i
 * (the caller frees each); error replies are replies, as in redis_command. Returns -1 when
 * they did not, with every out[i] NULL and nothing to free. Commands redirected by MOVED or
 * ASK are sent again, in order, to the node named (the others are not run twice).
 */
int redis_pipeline(redis_t *r, const char *slot_key, int n, const int *argc, const char ***argv,
                   const size_t **argvlen, redisReply **out);

/*
 * Subscribes to one channel with SUBSCRIBE on a background thread with its own connection
 * (any node of a Cluster: PUBLISH reaches every node). on_message(ud, payload, len) is called
 * on that thread for each message (payload valid during the call only); on_resync(ud) after
 * every connection and reconnection, before any message it brings (messages published while
 * disconnected are lost: the caller treats what it derived from them as stale). Reconnects
 * forever with backoff, moving to another node of a Cluster on each failure; a silent
 * connection is probed with PING. One subscription per client: returns 0, or -1 when r is
 * already subscribed or the thread cannot be started.
 */
int redis_subscribe(redis_t *r, const char *channel, void (*on_message)(void *ud, const char *msg, size_t len),
                    void (*on_resync)(void *ud), void *ud);

/*
 * 1 while a message has reached the subscription's socket and its callback
 * has not returned yet (or more are being read): a reader that must see every
 * invalidation published before its request arrived asks this first. 0 when
 * everything that arrived has been delivered, or when not subscribed (a
 * reconnection calls on_resync). Thread-safe; one poll() with no wait.
 */
int redis_subscription_pending(const redis_t *r);

/* 1 when the last command sent to any node succeeded (or none was sent yet), 0 after a failure. */
int redis_healthy(const redis_t *r);

/*
 * The Cluster key slot of a key: CRC16 (XMODEM) of its hash tag (the part between the first
 * '{' and the next '}', when not empty) or of the whole key, mod 16384. Pure.
 */
unsigned redis_key_slot(const char *key, size_t len);

#endif
