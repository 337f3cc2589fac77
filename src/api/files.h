/*
 * files.h - /files: uploads (student photos, documents) kept in the blob store.
 *
 * An upload is a raw body (Content-Type names its media type) with ?kind= and,
 * for a student's file, ?studentId=. Its bytes go to the blob store under
 * their hash (the same bytes are stored once, src/blob); a row of `files`
 * records what they are. A photo upload with studentId becomes the student's
 * photo. Who may read a file: admins and staff every file of the school but
 * the uploads of imports (admins only: a staff file may hold passwords);
 * teachers, parents and students the files of a student they may see
 * (auth/policy.h); a file of no student the office only; anyone the files
 * they made. A file the caller may not see is answered 404, as one that does
 * not exist.
 *
 * Download links (GET /files/{id}/url) are signed (HMAC-SHA256 over school,
 * file and expiry, ERP_FILE_URL_SECRET) and served without a token by
 * GET /files/signed/{id}, which a CDN may cache until the link expires.
 */
#ifndef ERP_API_FILES_H
#define ERP_API_FILES_H

#include "core/config.h"
#include "http/handler.h"
#include "store/store.h"

#define FILES_PHOTO_MAX (2u << 20)     /* bytes of a student photo */
#define FILES_DOCUMENT_MAX (10u << 20) /* bytes of a document (the upload route's body limit) */

/* A row of `files` to record (files_insert). */
/* Whether bytes p..p+n look like the media type says (JPEG, PNG, WebP, PDF signatures; CSV: UTF-8 text). */
int files_content_matches(const char *type, const unsigned char *p, size_t n);

typedef struct file_row {
    const char *tenant_id;
    const char *blob_id;
    const char *kind; /* studentPhoto, document, import, export, report */
    const char *content_type;
    size_t size;
    const char *filename;   /* may be NULL */
    const char *owner_id;   /* the account that made it */
    const char *student_id; /* may be NULL */
} file_row_t;

/* Inserts a file row with a new id (written into id) in the session's transaction if one is open; 0 or -1 (db_error). */
int files_insert(db_t *db, arena_t *a, const file_row_t *f, char id[40]);

/* Derives the link-signing key from the configuration (see config.h); call once before serving. 0 or -1. */
int files_setup(const config_t *cfg);

int files_create(req_t *r);        /* POST /api/v1/files */
int files_get(req_t *r);           /* GET /api/v1/files/{id} */
int files_content(req_t *r);       /* GET /api/v1/files/{id}/content */
int files_url(req_t *r);           /* GET /api/v1/files/{id}/url */
int files_signed(req_t *r);        /* GET /files/signed/{id} (public) */
int files_of_student(req_t *r);    /* GET /api/v1/students/{id}/files */
int files_put_student_photo(req_t *r); /* PUT /api/v1/students/{id}/photo: a studentPhoto upload of that student */

#endif
