/* transport.c - mail settings and the two transports: the file outbox and SMTP through libcurl (mail.h). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>

#include "api/app.h"
#include "core/log.h"
#include "mail/mail_int.h"

static mail_settings_t settings;
static pthread_once_t settings_once = PTHREAD_ONCE_INIT;

static long env_long(const char *name, long dflt, long min, long max)
{
    const char *v = getenv(name);
    char *end;
    if (v == NULL || *v == '\0')
        return dflt;
    long n = strtol(v, &end, 10);
    return *end == '\0' && n >= min && n <= max ? n : dflt;
}

static const char *env_or(const char *name, const char *dflt)
{
    const char *v = getenv(name);
    return v != NULL && *v != '\0' ? v : dflt;
}

static void settings_load(void)
{
    const char *url = getenv("ERP_SMTP_URL");
    settings.smtp_url = url != NULL && *url != '\0' ? url : NULL;
    settings.ca_file = env_or("ERP_SMTP_CA_FILE", NULL);
    settings.from = env_or("ERP_MAIL_FROM", "School ERP <no-reply@localhost>");
    const char *lt = strrchr(settings.from, '<'), *gt = lt != NULL ? strchr(lt, '>') : NULL;
    settings.from_addr = lt != NULL && gt != NULL ? strndup(lt + 1, (size_t)(gt - lt - 1)) : settings.from;
    if (settings.from_addr == NULL)
        erp_oom();
    const char *at = strrchr(settings.from_addr, '@');
    settings.domain = at != NULL && at[1] != '\0' ? at + 1 : "localhost";
    static char public_url[512];
    snprintf(public_url, sizeof(public_url), "%s", env_or("ERP_PUBLIC_URL", "http://localhost:8080"));
    size_t n = strlen(public_url);
    while (n > 0 && public_url[n - 1] == '/')
        public_url[--n] = '\0';
    settings.public_url = public_url;
    settings.attempts = (int)env_long("ERP_MAIL_ATTEMPTS", 5, 1, 100);
    settings.backoff_ms = env_long("ERP_MAIL_BACKOFF_MS", 2000, 1, 3600000);
    settings.retention_ms = env_long("ERP_MAIL_RETENTION_DAYS", 90, 1, 36500) * 86400000LL;
    settings.retention_ms = env_long("ERP_MAIL_RETENTION_SECONDS", settings.retention_ms / 1000, 1, 3153600000L) * 1000;
    if (settings.smtp_url != NULL)
        curl_global_init(CURL_GLOBAL_DEFAULT);
}

const mail_settings_t *mail_settings(void)
{
    pthread_once(&settings_once, settings_load);
    return &settings;
}

const char *mail_public_url(void)
{
    return mail_settings()->public_url;
}

const char *mail_transport_name(void)
{
    return mail_settings()->smtp_url != NULL ? "smtp" : "file";
}

/* ---- the file outbox: DATA_DIR/outbox/<message id>.eml, written whole by rename ---- */

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static mail_outcome_t file_send(const char *message_id, const char *to_email, const char *subject,
                                const char *message, char *err, size_t errlen)
{
    const char *dir_base = app.cfg != NULL && app.cfg->data_dir != NULL ? app.cfg->data_dir : ".";
    char dir[1024], path[1280], tmp[1280];
    snprintf(dir, sizeof(dir), "%s/outbox", dir_base);
    if (mkdir(dir, 0750) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "cannot make %s: %s", dir, strerror(errno));
        return MAIL_TRANSIENT;
    }
    snprintf(path, sizeof(path), "%s/%s.eml", dir, message_id);
    if (access(path, F_OK) == 0)
        return MAIL_SENT; /* written by an earlier attempt */
    snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, message_id);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (fd < 0 || write_all(fd, message, strlen(message)) != 0 || fsync(fd) != 0 || close(fd) != 0 ||
        rename(tmp, path) != 0) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        if (fd >= 0)
            unlink(tmp);
        return MAIL_TRANSIENT;
    }
    log_info("mail written to the outbox", "to=%s subject=%s file=%s", to_email, subject, path);
    return MAIL_SENT;
}

/* ---- SMTP through libcurl ---- */

typedef struct upload {
    const char *p;
    size_t left;
} upload_t;

static size_t upload_read(char *buf, size_t size, size_t nitems, void *ud)
{
    upload_t *u = ud;
    size_t n = size * nitems < u->left ? size * nitems : u->left;
    memcpy(buf, u->p, n);
    u->p += n;
    u->left -= n;
    return n;
}

static mail_outcome_t smtp_send(const char *to_email, const char *message, int *code, char *err, size_t errlen)
{
    const mail_settings_t *s = mail_settings();
    CURL *c = curl_easy_init();
    if (c == NULL) {
        snprintf(err, errlen, "out of memory");
        return MAIL_TRANSIENT;
    }
    char from[512], to[512], curl_err[CURL_ERROR_SIZE] = "";
    snprintf(from, sizeof(from), "<%s>", s->from_addr);
    snprintf(to, sizeof(to), "<%s>", to_email);
    struct curl_slist *rcpt = curl_slist_append(NULL, to);
    upload_t u = {message, strlen(message)};
    curl_easy_setopt(c, CURLOPT_URL, s->smtp_url);
    curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_TRY); /* STARTTLS when offered; smtps:// is TLS anyway */
    if (s->ca_file != NULL)
        curl_easy_setopt(c, CURLOPT_CAINFO, s->ca_file); /* certificates are always verified */
    curl_easy_setopt(c, CURLOPT_MAIL_FROM, from);
    curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, upload_read);
    curl_easy_setopt(c, CURLOPT_READDATA, &u);
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 60000L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, curl_err);
    CURLcode rc = rcpt != NULL ? curl_easy_perform(c) : CURLE_OUT_OF_MEMORY;
    long resp = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp);
    curl_slist_free_all(rcpt);
    curl_easy_cleanup(c);
    *code = (int)resp;
    if (rc == CURLE_OK)
        return MAIL_SENT;
    snprintf(err, errlen, "%s", curl_err[0] != '\0' ? curl_err : curl_easy_strerror(rc));
    return resp >= 500 && resp < 600 && rc != CURLE_LOGIN_DENIED ? MAIL_PERMANENT : MAIL_TRANSIENT;
}

mail_outcome_t mail_transport_send(const char *message_id, const char *to_email, const char *subject,
                                   const char *message, int *code, char *err, size_t errlen)
{
    *code = 0;
    if (mail_settings()->smtp_url == NULL)
        return file_send(message_id, to_email, subject, message, err, errlen);
    return smtp_send(to_email, message, code, err, errlen);
}
