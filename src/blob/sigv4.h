/*
 * sigv4.h - AWS Signature Version 4 for S3 requests (pure: no I/O, no clock).
 *
 * Signs the headers host, x-amz-content-sha256 and x-amz-date of one request;
 * the caller sends those three exactly as signed, plus the Authorization
 * value this returns. Checked against AWS's published example in
 * tests/unit/blob/sigv4_test.c (s3rver does not verify V4 signatures).
 */
#ifndef ERP_BLOB_SIGV4_H
#define ERP_BLOB_SIGV4_H

#include <stddef.h>
#include <time.h>

typedef struct sigv4_in {
    const char *method;       /* "GET" */
    const char *path;         /* URI-encoded absolute path, "/bucket/key" */
    const char *query;        /* canonical query string ("" when none), "lifecycle=" */
    const char *host;         /* the Host header's value */
    const char *region;       /* "us-east-1" */
    const char *access_key;
    const char *secret_key;
    const char *payload_hash; /* lowercase hex SHA-256 of the body */
    time_t when;              /* the request's time (x-amz-date) */
} sigv4_in_t;

/*
 * Writes the x-amz-date value (YYYYMMDDTHHMMSSZ) into amz_date and the
 * Authorization header's value into auth. Returns 0, or -1 when auth is too
 * small or memory runs out (auth is then "").
 */
int sigv4_sign(const sigv4_in_t *in, char amz_date[17], char *auth, size_t authlen);

/* Lowercase hex SHA-256 of len bytes into out. */
void sigv4_sha256_hex(const void *data, size_t len, char out[65]);

#endif
