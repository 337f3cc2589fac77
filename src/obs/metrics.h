/*
 * metrics.h - Prometheus text exposition (format 0.0.4).
 *
 * Modules keep their own counters and histograms (hist_t, updated with relaxed
 * atomics from any thread) and register a collector that prints them; /metrics
 * calls every collector in registration order. Histogram bucket bounds are kept
 * in raw units (nanoseconds, bytes) and printed in base units (seconds, bytes).
 */
#ifndef ERP_OBS_METRICS_H
#define ERP_OBS_METRICS_H

#include <stdint.h>

#include "core/sbuf.h"

#define HIST_MAX_BUCKETS 20

typedef struct hist_spec {
    int n;                              /* finite buckets */
    uint64_t bounds[HIST_MAX_BUCKETS];  /* upper bounds, raw units, increasing */
    double unit;                        /* raw units per base unit: 1e9 for ns → s, 1 for bytes */
} hist_spec_t;

typedef struct hist {
    uint64_t buckets[HIST_MAX_BUCKETS + 1]; /* non-cumulative; last is +Inf */
    uint64_t sum;
    uint64_t count;
} hist_t;

/* Durations from 50 µs to 10 s. */
extern const hist_spec_t HIST_SECONDS;
/* Sizes from 64 B to 16 MiB. */
extern const hist_spec_t HIST_BYTES;

/* Records one value (raw units). Thread-safe. */
void hist_observe(hist_t *h, const hist_spec_t *s, uint64_t value);
/* Adds src into dst (for summing per-thread shards at render time). */
void hist_merge(hist_t *dst, const hist_t *src);
/*
 * Prints name_bucket/_sum/_count lines. labels is the label list without braces
 * ("method=\"GET\",route=\"/x\"") or "" for none.
 */
void hist_render(sbuf_t *out, const char *name, const char *labels, const hist_t *h, const hist_spec_t *s);

/* Prints the # HELP and # TYPE lines of a metric family. */
void metrics_family(sbuf_t *out, const char *name, const char *type, const char *help);

/* Appends a label value with the escapes the text format needs (\\, \", \n). */
void metrics_label_value(sbuf_t *out, const char *value);

typedef void (*metrics_collector_fn)(sbuf_t *out, void *ud);

/* Adds a collector (up to 32); call during start-up, before serving. */
void metrics_register(metrics_collector_fn fn, void *ud);

/*
 * Removes the collector registered with this fn and ud (an object being
 * destroyed, such as a closed store); call when no render runs. Unknown pairs
 * are ignored.
 */
void metrics_unregister(metrics_collector_fn fn, void *ud);

/* Renders every registered collector into out. */
void metrics_render(sbuf_t *out);

#endif
