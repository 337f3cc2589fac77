/*
 * move.h - moving a school from one database cluster to another while it
 * keeps working (`school-erp tenant move SCHOOL --to NAME`).
 *
 * The steps, each recorded in the catalog's tenant_moves row before the next
 * begins, so a mover killed anywhere (kill -9) is resumed by running the same
 * command again, or rolled back by --abort:
 *
 *   copying   the fence trigger is put on the source's school tables; one
 *             REPEATABLE READ snapshot of the school's rows on the source is
 *             copied into the target in one transaction (the target's leftovers
 *             of an earlier attempt are deleted first), and each table's count
 *             and checksums in that snapshot are checked equal on the target.
 *             The school works as usual.
 *   frozen    the directory entry says frozen (every instance and worker then
 *             answers the school's writes 503 with Retry-After, reads go on);
 *             the source lists the school in tenant_fences and the mover takes
 *             the school's move lock there, which waits for the writes in
 *             flight and refuses new ones, also those of an instance whose
 *             cached entry is stale. Then the catch-up: each table whose quick
 *             sum on the source changed since the snapshot (the writes made
 *             during the copy) is copied again; then the verification: those
 *             tables' counts and checksums must be equal on both clusters, else
 *             the move is rolled back. (A resumed move has no snapshot figures:
 *             it compares every table on both clusters in full.)
 *   switched  the directory names the target, unfrozen, in one catalog
 *             transaction with the platform's audit event; caches are
 *             invalidated everywhere. The source's copy stays, fenced.
 *   done      after the grace period (--grace, or a later --cleanup when
 *             --keep-source was given) the source's copy is deleted.
 *
 * Other schools are never touched: the freeze, the fence and the lock are the
 * school's own. See shard/relay.h for which tables move and how rows compare.
 */
#ifndef ERP_SHARD_MOVE_H
#define ERP_SHARD_MOVE_H

#include "core/config.h"
#include "store/store.h"

#define MOVE_GRACE_S 300 /* default wait before the source's copy goes: the directory entry's lifetime in a cache */

typedef struct move_opts {
    const char *school; /* its id or slug */
    const char *to;     /* the target cluster's name; NULL with cleanup or abort */
    int keep_source;    /* stop once switched: the source's copy stays until --cleanup */
    int cleanup;        /* delete the source's copy of a switched move */
    int abort_move;     /* roll back a move not switched yet */
    int grace_s;        /* seconds between the switch and the cleanup */
} move_opts_t;

/* What a run of the command does, from the school's recorded move and the options. */
typedef enum {
    MOVE_REFUSE,              /* nothing: the options do not fit the recorded move */
    MOVE_START,               /* no unfinished move: a new one, from the copy on */
    MOVE_COPY,                /* resume at the copy (state copying) */
    MOVE_FREEZE,              /* resume at the freeze (state frozen): catch-up, verification, switch */
    MOVE_CLEANUP_AFTER_GRACE, /* switched: the cleanup after the grace period */
    MOVE_CLEANUP,             /* switched: the cleanup now (--cleanup) */
    MOVE_KEEP,                /* switched, --keep-source again: nothing */
    MOVE_ABORT,               /* roll back (state copying or frozen, --abort) */
} move_step_t;

/*
 * The step for a school whose move is in state ("" when it has none, or it
 * is done) toward target, under options o (exactly one of o->to, cleanup,
 * abort_move set). MOVE_REFUSE with a one-line reason in *why (static text).
 * Pure: no database.
 */
move_step_t move_next(const char *state, const char *target, const move_opts_t *o, const char **why);

/*
 * Runs the command on the configured clusters (after cli_open()); progress on
 * stdout, the reason of a failure on stderr. Returns the exit status: 0 when
 * what was asked is done, 1 when a step failed (its state is kept: run the
 * command again to resume), 2 when refused before anything changed.
 */
int move_run(const config_t *cfg, db_t *catalog, const move_opts_t *o);

#endif
