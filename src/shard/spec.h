/*
 * spec.h - the text of ERP_SHARDS and the placement rule: pure functions, no
 * database (unit-tested in tests/unit/shard/).
 *
 * ERP_SHARDS names the clusters beside the catalog's own ("main", the database
 * of ERP_DATABASE_URL): entries separated by ';', each NAME=PRIMARY[|REPLICA…]
 * where PRIMARY is a libpq URL (multi-host allowed, as ERP_DATABASE_URL) and
 * each REPLICA a read URL (as ERP_DATABASE_READ_URLS). Names are 1-63
 * characters of a-z, 0-9, '-' and '_'; "main" is the catalog's and may not be
 * given; a name may not repeat. Blank entries (a trailing ';') are ignored.
 */
#ifndef ERP_SHARD_SPEC_H
#define ERP_SHARD_SPEC_H

#include <stddef.h>

#include "core/config.h"

#define SHARD_MAX 16         /* clusters in all, main included */
#define SHARD_NAME_MAX 64
#define SHARD_MAIN "main"

typedef struct shard_spec {
    char name[SHARD_NAME_MAX];
    char *primary;                         /* heap */
    char *reads[CONFIG_MAX_READ_URLS];     /* heap */
    int nreads;
} shard_spec_t;

/* Whether name is a valid shard name (main included). */
int shard_name_valid(const char *name);

/*
 * Parses ERP_SHARDS into out[0..max) (main not included). Returns how many,
 * or -1 with a one-line reason in err (nothing left to free then).
 */
int shard_spec_parse(const char *text, shard_spec_t *out, int max, char *err, size_t errlen);

/* Frees the URLs of n parsed entries. */
void shard_spec_free(shard_spec_t *specs, int n);

/*
 * The placement rule: the index of the cluster holding the fewest schools;
 * among equals, the first by name (byte order). -1 when n < 1.
 */
int shard_place(const char *const *names, const long long *counts, int n);

#endif
