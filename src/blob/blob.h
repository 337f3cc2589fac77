/*
 * blob.h - the blob port: immutable byte objects addressed by their content.
 *
 * An object's id is the hash of its bytes, "sha256-<64 hex digits>". The same
 * bytes always get the same id, and an id once stored never changes meaning:
 * a put of bytes already stored is a successful no-op (nothing is rewritten),
 * so objects are versioned by construction (new content, new id). What an
 * object is (a student's photo, an export) lives elsewhere, in the database.
 *
 * Adapters, chosen by URL (ERP_BLOB_URL) once at start-up:
 *   file:DIR                                  a directory (default file:./var/blobs): objects in
 *                                             DIR/ab/cd/<id> (ab, cd: the hash's first digits),
 *                                             written to a temporary file, fsynced, renamed
 *   s3://BUCKET?endpoint=URL&region=R         an S3-compatible service, path-style addressing,
 *                                             requests signed with AWS Signature V4 (libcurl);
 *                                             credentials from ERP_S3_ACCESS_KEY / ERP_S3_SECRET_KEY
 *                                             or AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY
 *
 * Threads: one blob_t serves every thread at once; calls share no mutable
 * state (the S3 adapter uses one curl handle per call).
 *
 * Errors: every call returns 0 or a negative BLOB_E* code with a one-line
 * message in the caller's blob_err_t (never shared between threads). A failed
 * put leaves nothing behind under the id; a failed get may have passed part of
 * the bytes to the sink already.
 */
#ifndef ERP_BLOB_BLOB_H
#define ERP_BLOB_BLOB_H

#include <stddef.h>

#define BLOB_ID_MAX 72 /* "sha256-" + 64 hex digits + NUL, rounded up */

enum {
    BLOB_EFAIL = -1,        /* anything else: I/O error, a reply the adapter does not understand */
    BLOB_ENOTFOUND = -2,    /* no object with this id */
    BLOB_EAUTH = -3,        /* the service refused the credentials (wrong key, bad signature, no access) */
    BLOB_EUNAVAILABLE = -4, /* the service cannot be reached (connection refused, timeout) */
    BLOB_EINVAL = -5,       /* a malformed id */
};

typedef struct blob_err {
    int code; /* BLOB_E*, 0 after success */
    char message[256];
} blob_err_t;

typedef struct blob blob_t;

/* Receives an object's bytes in order, in pieces. Returns 0 to go on, nonzero to stop (the get fails). */
typedef int (*blob_sink_fn)(const void *data, size_t len, void *ud);

/* An adapter. Ids reaching it are valid (blob_id_valid). */
typedef struct blob_ops {
    const char *name; /* "file", "s3" */
    int (*put)(blob_t *b, const char *id, const void *data, size_t len, const char *content_type,
               int *existed, blob_err_t *e);
    int (*get)(blob_t *b, const char *id, blob_sink_fn sink, void *ud, blob_err_t *e);
    int (*head)(blob_t *b, const char *id, size_t *size, blob_err_t *e);
    int (*del)(blob_t *b, const char *id, blob_err_t *e);
    void (*destroy)(blob_t *b);
} blob_ops_t;

/* Every adapter's state begins with this. */
struct blob {
    const blob_ops_t *ops;
};

/*
 * Opens the store a URL names (see above). Returns NULL with a one-line message
 * in err for a malformed URL, missing S3 credentials or a directory that cannot
 * be created. Reaching an S3 service is not tried here: a service that is down
 * fails the calls, not the start.
 */
blob_t *blob_open(const char *url, char *err, size_t errlen);

/* Closes the store (after every call on it returned). NULL is fine. */
void blob_close(blob_t *b);

/* The adapter's name ("file", "s3"). */
const char *blob_name(const blob_t *b);

/* The id of len bytes: "sha256-<hex>" into id. Pure. */
void blob_id_of(const void *data, size_t len, char id[BLOB_ID_MAX]);

/* Whether s is a well-formed id ("sha256-" and 64 lowercase hex digits). */
int blob_id_valid(const char *s);

/*
 * Stores len bytes (content_type, may be NULL, is kept where the adapter can
 * keep it) and writes their id into id. An object with that id already
 * stored is left as it is; *existed (may be NULL) says so. Returns 0 or BLOB_E*.
 */
int blob_put(blob_t *b, const void *data, size_t len, const char *content_type, char id[BLOB_ID_MAX], int *existed,
             blob_err_t *e);

/*
 * Passes an object's bytes to sink and checks they hash to the id: bytes that
 * do not (a damaged or partly written object) fail with BLOB_EFAIL at the end.
 * Returns 0, BLOB_ENOTFOUND, or another BLOB_E*.
 */
int blob_get_stream(blob_t *b, const char *id, blob_sink_fn sink, void *ud, blob_err_t *e);

/*
 * Reads an object into a buffer malloc'd for the caller (*data, *len; one
 * spare NUL byte after the data). Returns 0 or BLOB_E* (then *data is NULL).
 */
int blob_get(blob_t *b, const char *id, void **data, size_t *len, blob_err_t *e);

/* The size of an object. Returns 0, BLOB_ENOTFOUND, or another BLOB_E*. */
int blob_head(blob_t *b, const char *id, size_t *size, blob_err_t *e);

/*
 * Removes an object; removing a missing one succeeds. For retention tools only:
 * ids are shared by every record that stored the same bytes.
 */
int blob_delete(blob_t *b, const char *id, blob_err_t *e);

/* Sets e (code and printf-style message) and returns the code. For adapters. */
int blob_fail(blob_err_t *e, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The adapters' constructors (blob_open picks one). */
blob_t *blob_file_open(const char *dir, char *err, size_t errlen);
blob_t *blob_s3_open(const char *spec, char *err, size_t errlen);

#endif
