/* spec.c - parsing ERP_SHARDS and the placement rule (see spec.h). */
#include "shard/spec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"

int shard_name_valid(const char *name)
{
    size_t n = strlen(name);
    if (n < 1 || n >= SHARD_NAME_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
            return 0;
    }
    return 1;
}

void shard_spec_free(shard_spec_t *specs, int n)
{
    for (int i = 0; i < n; i++) {
        free(specs[i].primary);
        specs[i].primary = NULL;
        for (int k = 0; k < specs[i].nreads; k++)
            free(specs[i].reads[k]);
        specs[i].nreads = 0;
    }
}

/* Copies [b, e) with surrounding blanks removed into heap memory. */
static char *trimmed(const char *b, const char *e)
{
    while (b < e && (*b == ' ' || *b == '\t'))
        b++;
    while (e > b && (e[-1] == ' ' || e[-1] == '\t'))
        e--;
    char *s = xcalloc(1, (size_t)(e - b) + 1);
    memcpy(s, b, (size_t)(e - b));
    return s;
}

/* Parses one "NAME=PRIMARY[|REPLICA…]" entry [b, e) into sp; 0, or -1 with err. */
static int parse_entry(const char *b, const char *e, shard_spec_t *sp, char *err, size_t errlen)
{
    const char *eq = memchr(b, '=', (size_t)(e - b));
    if (eq == NULL) {
        snprintf(err, errlen, "ERP_SHARDS: an entry is not NAME=URL");
        return -1;
    }
    char *name = trimmed(b, eq);
    int ok = shard_name_valid(name) && strcmp(name, SHARD_MAIN) != 0;
    if (ok)
        snprintf(sp->name, sizeof(sp->name), "%s", name);
    else
        snprintf(err, errlen, "ERP_SHARDS: '%s' is not a shard name (1-63 of a-z, 0-9, '-', '_'; not main)", name);
    free(name);
    if (!ok)
        return -1;
    const char *p = eq + 1;
    for (int part = 0; p <= e; part++) {
        const char *bar = memchr(p, '|', (size_t)(e - p));
        const char *end = bar != NULL ? bar : e;
        char *url = trimmed(p, end);
        if (*url == '\0' || (part > 0 && sp->nreads >= CONFIG_MAX_READ_URLS)) {
            snprintf(err, errlen, "ERP_SHARDS: shard %s has %s", sp->name,
                     *url == '\0' ? "an empty URL" : "too many replicas");
            free(url);
            shard_spec_free(sp, 1);
            return -1;
        }
        if (part == 0)
            sp->primary = url;
        else
            sp->reads[sp->nreads++] = url;
        p = end + 1;
    }
    return 0;
}

int shard_spec_parse(const char *text, shard_spec_t *out, int max, char *err, size_t errlen)
{
    int n = 0;
    const char *p = text != NULL ? text : "";
    while (*p != '\0') {
        const char *semi = strchr(p, ';');
        const char *e = semi != NULL ? semi : p + strlen(p);
        const char *q = p;
        while (q < e && (*q == ' ' || *q == '\t' || *q == '\n'))
            q++;
        if (q < e) {
            if (n >= max) {
                snprintf(err, errlen, "ERP_SHARDS: more than %d shards", max);
                shard_spec_free(out, n);
                return -1;
            }
            memset(&out[n], 0, sizeof(out[n]));
            if (parse_entry(q, e, &out[n], err, errlen) != 0) {
                shard_spec_free(out, n);
                return -1;
            }
            for (int i = 0; i < n; i++)
                if (strcmp(out[i].name, out[n].name) == 0) {
                    snprintf(err, errlen, "ERP_SHARDS: shard %s is named twice", out[n].name);
                    shard_spec_free(out, n + 1);
                    return -1;
                }
            n++;
        }
        p = semi != NULL ? semi + 1 : e;
    }
    return n;
}

int shard_place(const char *const *names, const long long *counts, int n)
{
    int best = n > 0 ? 0 : -1;
    for (int i = 1; i < n; i++)
        if (counts[i] < counts[best] || (counts[i] == counts[best] && strcmp(names[i], names[best]) < 0))
            best = i;
    return best;
}
