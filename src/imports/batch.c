/* batch.c - multi-row writes of an import (see batch.h). */
#include "imports/batch.h"

#include <string.h>

#include "auth/audit.h"

void batch_init(batch_t *b, arena_t *a, stmt_t *st)
{
    memset(b, 0, sizeof(*b));
    b->st = st;
    sbuf_init(&b->rows, a, 1 << 16);
}

void batch_reset(batch_t *b)
{
    sbuf_clear(&b->rows);
    b->n = 0;
}

void batch_row_begin(batch_t *b)
{
    sbuf_putc(&b->rows, b->n == 0 ? '[' : ',');
    sbuf_putc(&b->rows, b->st != NULL ? '[' : '{');
}

static void separator(batch_t *b)
{
    char last = b->rows.p[b->rows.len - 1];
    if (last != '[' && last != '{')
        sbuf_putc(&b->rows, ',');
}

void batch_text(batch_t *b, const char *s)
{
    separator(b);
    if (s == NULL)
        sbuf_puts(&b->rows, "null");
    else
        sbuf_json_str(&b->rows, s, strlen(s));
}

void batch_literal(batch_t *b, const char *lit)
{
    separator(b);
    sbuf_puts(&b->rows, lit);
}

void batch_member(batch_t *b, const char *key, const char *s)
{
    separator(b);
    sbuf_json_str(&b->rows, key, strlen(key));
    sbuf_putc(&b->rows, ':');
    if (s == NULL)
        sbuf_puts(&b->rows, "null");
    else
        sbuf_json_str(&b->rows, s, strlen(s));
}

void batch_member_int(batch_t *b, const char *key, long long v)
{
    separator(b);
    sbuf_json_str(&b->rows, key, strlen(key));
    sbuf_printf(&b->rows, ":%lld", v);
}

int batch_row_end(batch_t *b, db_t *db, const char *tenant_id, arena_t *a)
{
    sbuf_putc(&b->rows, b->st != NULL ? ']' : '}');
    return ++b->n >= IMPORT_BATCH_ROWS ? batch_flush(b, db, tenant_id, a) : 0;
}

int batch_flush(batch_t *b, db_t *db, const char *tenant_id, arena_t *a)
{
    for (int i = 0; i < 2; i++)
        if (b->after[i] != NULL && batch_flush(b->after[i], db, tenant_id, a) != 0)
            return -1;
    if (b->n == 0)
        return 0;
    sbuf_putc(&b->rows, ']');
    int rc = b->st != NULL ? db_exec(db, b->st, DB_ARGS(DB_TEXT(tenant_id), DB_TEXT(b->rows.p)), a, NULL)
                           : audit_insert_json(db, b->rows.p, a);
    batch_reset(b);
    return rc;
}
