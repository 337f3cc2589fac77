#include "obs/metrics.h"

#include <stdio.h>
#include <string.h>

const hist_spec_t HIST_SECONDS = {
    16,
    {50000, 100000, 250000, 500000, 1000000, 2500000, 5000000, 10000000, 25000000, 50000000, 100000000, 250000000,
     500000000, 1000000000, 2500000000u, 10000000000u},
    1e9,
};

const hist_spec_t HIST_BYTES = {
    10,
    {64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216},
    1,
};

void hist_observe(hist_t *h, const hist_spec_t *s, uint64_t value)
{
    int i = 0;
    while (i < s->n && value > s->bounds[i])
        i++;
    __atomic_fetch_add(&h->buckets[i], 1, __ATOMIC_RELAXED);
    __atomic_fetch_add(&h->sum, value, __ATOMIC_RELAXED);
    __atomic_fetch_add(&h->count, 1, __ATOMIC_RELAXED);
}

void hist_merge(hist_t *dst, const hist_t *src)
{
    for (int i = 0; i <= HIST_MAX_BUCKETS; i++)
        dst->buckets[i] += __atomic_load_n(&src->buckets[i], __ATOMIC_RELAXED);
    dst->sum += __atomic_load_n(&src->sum, __ATOMIC_RELAXED);
    dst->count += __atomic_load_n(&src->count, __ATOMIC_RELAXED);
}

static void print_double(sbuf_t *out, double v)
{
    char tmp[64];
    snprintf(tmp, sizeof(tmp), "%.9g", v);
    sbuf_puts(out, tmp);
}

void hist_render(sbuf_t *out, const char *name, const char *labels, const hist_t *h, const hist_spec_t *s)
{
    const char *sep = labels[0] != '\0' ? "," : "";
    uint64_t cum = 0;
    for (int i = 0; i < s->n; i++) {
        cum += h->buckets[i];
        sbuf_printf(out, "%s_bucket{%s%sle=\"", name, labels, sep);
        print_double(out, (double)s->bounds[i] / s->unit);
        sbuf_printf(out, "\"} %llu\n", (unsigned long long)cum);
    }
    /* +Inf equals _count; both come from the same snapshot so they always agree */
    cum += h->buckets[s->n];
    sbuf_printf(out, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", name, labels, sep, (unsigned long long)cum);
    if (labels[0] != '\0')
        sbuf_printf(out, "%s_sum{%s} ", name, labels);
    else
        sbuf_printf(out, "%s_sum ", name);
    print_double(out, (double)h->sum / s->unit);
    if (labels[0] != '\0')
        sbuf_printf(out, "\n%s_count{%s} %llu\n", name, labels, (unsigned long long)cum);
    else
        sbuf_printf(out, "\n%s_count %llu\n", name, (unsigned long long)cum);
}

void metrics_family(sbuf_t *out, const char *name, const char *type, const char *help)
{
    sbuf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void metrics_label_value(sbuf_t *out, const char *value)
{
    for (const char *p = value; *p != '\0'; p++) {
        if (*p == '\\' || *p == '"')
            sbuf_putc(out, '\\');
        if (*p == '\n') {
            sbuf_puts(out, "\\n");
            continue;
        }
        sbuf_putc(out, *p);
    }
}

#define MAX_COLLECTORS 32

static struct {
    metrics_collector_fn fn;
    void *ud;
} collectors[MAX_COLLECTORS];
static int ncollectors;

void metrics_register(metrics_collector_fn fn, void *ud)
{
    if (ncollectors < MAX_COLLECTORS) {
        collectors[ncollectors].fn = fn;
        collectors[ncollectors].ud = ud;
        ncollectors++;
    }
}

void metrics_unregister(metrics_collector_fn fn, void *ud)
{
    for (int i = 0; i < ncollectors; i++) {
        if (collectors[i].fn == fn && collectors[i].ud == ud) {
            memmove(&collectors[i], &collectors[i + 1], sizeof(collectors[0]) * (size_t)(ncollectors - i - 1));
            ncollectors--;
            return;
        }
    }
}

void metrics_render(sbuf_t *out)
{
    for (int i = 0; i < ncollectors; i++)
        collectors[i].fn(out, collectors[i].ud);
}
