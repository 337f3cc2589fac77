/* logo.c - PUT and DELETE /school/logo (logo.h). */
#include <string.h>
#include <strings.h>

#include "api/app.h"
#include "api/common.h"
#include "api/files.h"
#include "api/logo.h"
#include "auth/audit.h"
#include "blob/blob.h"
#include "core/clock.h"

static stmt_t Q_SET = STMT("tenants.logo_set", 0,
                           "UPDATE tenants SET logo_blob_id = $2, logo_type = $3, updated_at = $4 WHERE id = $1");

static const char *logo_type(const char *content_type)
{
    static const char *const types[] = {"image/png", "image/jpeg", NULL};
    size_t n = content_type != NULL ? strcspn(content_type, "; \t") : 0;
    for (const char *const *t = types; *t != NULL; t++)
        if (n == strlen(*t) && strncasecmp(*t, content_type, n) == 0)
            return *t;
    return NULL;
}

/* Names the logo (or none) on the school's row with its audit event. */
static int set_logo(req_t *r, const char *blob_id, const char *type, const char *action)
{
    db_t *db = req_db(r);
    if (db_begin(db) != 0)
        return db_fail(r, db);
    if (db_exec(db, &Q_SET,
                DB_ARGS(DB_TEXT(r->auth.tenant_id), DB_TEXT(blob_id), DB_TEXT(type), DB_INT((int64_t)clock_wall_ms())),
                &r->arena, NULL) != 0 ||
        audit_caller(db, r, action, "tenant", r->auth.tenant_id, type) != 0 || db_commit(db) != 0) {
        db_rollback(db);
        return db_fail(r, db);
    }
    return res_empty(r, 204);
}

int school_logo_put(req_t *r)
{
    const char *type = logo_type(r->hdr.content_type);
    if (type == NULL)
        return res_fail(r, ERR_MEDIA_TYPE, "A logo is image/png or image/jpeg.");
    if (r->body_len > LOGO_MAX)
        return res_fail(r, ERR_TOO_LARGE, "A logo may not exceed %u bytes: it travels with every message.", LOGO_MAX);
    if (r->body_len == 0 || !files_content_matches(type, (const unsigned char *)r->body, r->body_len))
        return res_fail(r, ERR_VALIDATION, "The bytes are not %s: the Content-Type must name what the file is.", type);
    char blob_id[BLOB_ID_MAX];
    blob_err_t be;
    if (blob_put(app.blob, r->body, r->body_len, type, blob_id, NULL, &be) != 0)
        return res_fail(r, ERR_UNAVAILABLE, "The file store failed (%s); try again.", be.message);
    return set_logo(r, blob_id, type, "tenant.logo_set");
}

int school_logo_delete(req_t *r)
{
    return set_logo(r, NULL, NULL, "tenant.logo_remove");
}
