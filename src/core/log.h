/*
 * log.h - structured logs as JSON lines on standard output.
 *
 * Each line is one JSON object: {"ts":"…Z","level":"info","msg":"…", …fields}.
 * A line is built into an sbuf with log_begin()/log_str()/…/log_end() and
 * written with log_write(); the loop threads batch access-log lines this way and
 * write them once per event-loop turn. log_info()/log_warn()/log_error() write
 * one line at once with an optional formatted "detail" field.
 * Lines are written with a single write(2), so lines of concurrent threads never
 * interleave.
 */
#ifndef ERP_CORE_LOG_H
#define ERP_CORE_LOG_H

#include <stdint.h>

#include "core/sbuf.h"

typedef enum { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR, LOG_FATAL } log_level_t;

/* Sets the minimum level written and the output descriptor (default: info, 1). */
void log_setup(log_level_t min_level, int fd);
/* Parses "debug|info|warn|error"; returns -1 when the name is unknown. */
int log_level_parse(const char *name);
/* Whether lines of this level are written. */
int log_enabled(log_level_t level);

/* Starts a line in b (appending; b may already hold complete lines). */
void log_begin(sbuf_t *b, log_level_t level, const char *msg);
void log_str(sbuf_t *b, const char *key, const char *value);
void log_strn(sbuf_t *b, const char *key, const char *value, size_t len);
void log_int(sbuf_t *b, const char *key, int64_t value);
void log_double(sbuf_t *b, const char *key, double value);
/* Ends the line started by log_begin(). */
void log_end(sbuf_t *b);
/* Writes the buffer's complete lines and empties it. */
void log_write(sbuf_t *b);

/* One-line helpers; fmt may be NULL for no detail. */
void log_at(log_level_t level, const char *msg, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
#define log_debug(msg, ...) log_at(LOG_DEBUG, msg, __VA_ARGS__)
#define log_info(msg, ...) log_at(LOG_INFO, msg, __VA_ARGS__)
#define log_warn(msg, ...) log_at(LOG_WARN, msg, __VA_ARGS__)
#define log_error(msg, ...) log_at(LOG_ERROR, msg, __VA_ARGS__)

#endif
