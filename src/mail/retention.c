/* retention.c - trimming mail_outbox by age (mail.h): rows that ended long ago go, their messages with them. */
#include "core/arena.h"
#include "core/clock.h"
#include "mail/mail_int.h"

/* a batch of the oldest ended rows (index mail_outbox_settled_idx), by their key */
static stmt_t Q_TRIM = STMT("mail.trim", 0,
                            "DELETE FROM mail_outbox WHERE (tenant_id, id) IN (SELECT tenant_id, id FROM mail_outbox"
                            " WHERE state IN ('sent', 'failed', 'uncertain') AND updated_at < $1"
                            " ORDER BY updated_at LIMIT $2)");

long mail_trim(db_t *db)
{
    int64_t before = (int64_t)clock_wall_ms() - mail_settings()->retention_ms;
    long total = 0;
    arena_t a;
    arena_init(&a);
    for (int i = 0; i < MAIL_TRIM_BATCHES; i++) {
        db_result_t res;
        if (db_exec(db, &Q_TRIM, DB_ARGS(DB_INT(before), DB_INT(MAIL_TRIM_BATCH)), &a, &res) != 0) {
            total = -1;
            break;
        }
        total += (long)res.changes;
        arena_reset(&a);
        if (res.changes < MAIL_TRIM_BATCH)
            break;
    }
    arena_destroy(&a);
    return total;
}
