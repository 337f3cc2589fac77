#include "core/log.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static log_level_t min_level = LOG_INFO;
static int out_fd = 1;

static const char *const level_names[] = {"debug", "info", "warn", "error", "fatal"};

void log_setup(log_level_t level, int fd)
{
    min_level = level;
    out_fd = fd;
}

int log_level_parse(const char *name)
{
    for (int i = LOG_DEBUG; i <= LOG_ERROR; i++)
        if (strcmp(name, level_names[i]) == 0)
            return i;
    return -1;
}

int log_enabled(log_level_t level)
{
    return level >= min_level;
}

/* ISO 8601 UTC timestamp with milliseconds; the seconds part is cached per thread. */
static void put_timestamp(sbuf_t *b)
{
    static __thread time_t cached_sec = -1;
    static __thread char cached[32];
    struct timeval tv;
    gettimeofday(&tv, NULL);
    if (tv.tv_sec != cached_sec) {
        struct tm tm;
        gmtime_r(&tv.tv_sec, &tm);
        strftime(cached, sizeof(cached), "%Y-%m-%dT%H:%M:%S", &tm);
        cached_sec = tv.tv_sec;
    }
    sbuf_printf(b, "{\"ts\":\"%s.%03dZ\"", cached, (int)(tv.tv_usec / 1000));
}

void log_begin(sbuf_t *b, log_level_t level, const char *msg)
{
    put_timestamp(b);
    sbuf_puts(b, ",\"level\":\"");
    sbuf_puts(b, level_names[level]);
    sbuf_puts(b, "\",\"msg\":");
    sbuf_json_str(b, msg, strlen(msg));
}

void log_strn(sbuf_t *b, const char *key, const char *value, size_t len)
{
    if (value == NULL)
        return;
    sbuf_printf(b, ",\"%s\":", key);
    sbuf_json_str(b, value, len);
}

void log_str(sbuf_t *b, const char *key, const char *value)
{
    if (value != NULL)
        log_strn(b, key, value, strlen(value));
}

void log_int(sbuf_t *b, const char *key, int64_t value)
{
    sbuf_printf(b, ",\"%s\":%" PRId64, key, value);
}

void log_double(sbuf_t *b, const char *key, double value)
{
    sbuf_printf(b, ",\"%s\":%.3f", key, value);
}

void log_end(sbuf_t *b)
{
    sbuf_append(b, "}\n", 2);
}

void log_write(sbuf_t *b)
{
    size_t off = 0;
    while (off < b->len) {
        ssize_t n = write(out_fd, b->p + off, b->len - off);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            break; /* nowhere to report a failing log; drop the rest */
        }
        off += (size_t)n;
    }
    sbuf_clear(b);
}

void log_at(log_level_t level, const char *msg, const char *fmt, ...)
{
    if (level < min_level)
        return;
    char stack[1024];
    sbuf_t b;
    sbuf_init_fixed(&b, stack, sizeof(stack));
    log_begin(&b, level, msg);
    if (fmt != NULL) {
        char detail[768];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(detail, sizeof(detail), fmt, ap);
        va_end(ap);
        log_str(&b, "detail", detail);
    }
    log_end(&b);
    log_write(&b);
    sbuf_free(&b);
}
