#include "web/assets.h"

#include <brotli/encode.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/arena.h"

#define MAX_ASSETS 256
#define MAX_ASSET_BYTES (8u << 20)

/*
 * The document's policy: scripts, styles, images and API calls from this
 * origin only; nothing inline, no plugins, no framing, no form posts.
 */
#define DOC_CSP                                                                                                       \
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "            \
    "manifest-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

struct web_assets {
    web_asset_t files[MAX_ASSETS];
    size_t n;
};

static const struct {
    const char *ext;
    const char *type;
} media_types[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
    {".json", "application/json"},
    {".webmanifest", "application/manifest+json"},
    {".woff2", "font/woff2"},
};

static const char *media_type(const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < sizeof(media_types) / sizeof(media_types[0]); i++) {
        size_t e = strlen(media_types[i].ext);
        if (n > e && strcmp(name + n - e, media_types[i].ext) == 0)
            return media_types[i].type;
    }
    return "application/octet-stream";
}

/* Reads a whole file into malloc'd memory. Returns 0, 1 when it does not exist, -1 on another error. */
static int read_file(const char *path, char **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return errno == ENOENT ? 1 : -1;
    struct stat st;
    int rc = -1;
    char *buf = NULL;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode) || (size_t)st.st_size > MAX_ASSET_BYTES)
        goto out;
    buf = malloc((size_t)st.st_size + 1);
    if (buf == NULL || fread(buf, 1, (size_t)st.st_size, f) != (size_t)st.st_size)
        goto out;
    buf[st.st_size] = '\0';
    *out = buf;
    *len = (size_t)st.st_size;
    buf = NULL;
    rc = 0;
out:
    free(buf);
    fclose(f);
    return rc;
}

/* Whether a media type is text (worth compressing). */
static int is_text(const char *type)
{
    return strncmp(type, "text/", 5) == 0 || strstr(type, "json") != NULL || strstr(type, "svg") != NULL;
}

/*
 * The brotli quality of the twins: 5 compresses the app in about 8 ms at each start for 7 % less than
 * gzip -9; 11 would save 8 % more for fifteen times the time (docs/DECISIONS.md).
 */
#define BR_QUALITY 5

/* Makes f's brotli twin when f is text and brotli makes it smaller; leaves f->br NULL otherwise. */
static void make_br(web_asset_t *f)
{
    if (!is_text(f->content_type) || f->len == 0)
        return;
    size_t cap = BrotliEncoderMaxCompressedSize(f->len);
    char *out = cap > 0 ? malloc(cap) : NULL;
    if (out == NULL)
        return; /* served as gzip or plain */
    size_t n = cap;
    if (BrotliEncoderCompress(BR_QUALITY, BROTLI_DEFAULT_WINDOW, BROTLI_MODE_TEXT, f->len,
                              (const uint8_t *)f->body, &n, (uint8_t *)out) != BROTLI_TRUE ||
        n >= f->len) {
        free(out);
        return;
    }
    f->br = out;
    f->br_len = n;
}

static void set_etag(web_asset_t *f)
{
    unsigned char h[8];
    crypto_generichash(h, sizeof(h), (const unsigned char *)f->body, f->len, NULL, 0);
    char *p = f->etag;
    *p++ = '"';
    for (size_t i = 0; i < sizeof(h); i++, p += 2)
        snprintf(p, 3, "%02x", h[i]);
    *p++ = '"';
    *p = '\0';
}

/* Adds dir/name (and its .gz twin) as the asset at url. Returns 0, or -1 with err set. */
static int add_file(web_assets_t *a, const char *dir, const char *name, const char *url, char *err, size_t errlen)
{
    char path[PATH_MAX];
    if (a->n == MAX_ASSETS || (size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path) - 3) {
        snprintf(err, errlen, "%s: too many files or too long a path", dir);
        return -1;
    }
    web_asset_t *f = &a->files[a->n];
    memset(f, 0, sizeof(*f));
    if (read_file(path, &f->body, &f->len) != 0) {
        snprintf(err, errlen, "%s: cannot be read", path);
        return -1;
    }
    memcpy(path + strlen(path), ".gz", 4); /* room checked above */
    if (read_file(path, &f->gz, &f->gz_len) < 0) {
        free(f->body);
        snprintf(err, errlen, "%s: cannot be read", path);
        return -1;
    }
    f->url = xstrdup(url);
    f->content_type = media_type(name);
    int doc = strcmp(url, "/index.html") == 0;
    f->cache_control = doc ? "no-cache" : "public, max-age=31536000, immutable";
    f->csp = doc ? DOC_CSP : NULL;
    make_br(f);
    set_etag(f);
    a->n++;
    return 0;
}

static int is_gz_twin(const char *name)
{
    size_t n = strlen(name);
    return n > 3 && strcmp(name + n - 3, ".gz") == 0;
}

static int load_assets_dir(web_assets_t *a, const char *dir, char *err, size_t errlen)
{
    char sub[PATH_MAX];
    snprintf(sub, sizeof(sub), "%s/assets", dir);
    DIR *d = opendir(sub);
    if (d == NULL)
        return 0; /* an app of one document */
    int rc = 0;
    struct dirent *e;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || is_gz_twin(e->d_name))
            continue;
        char url[NAME_MAX + 16];
        snprintf(url, sizeof(url), "/assets/%s", e->d_name);
        rc = add_file(a, sub, e->d_name, url, err, errlen);
    }
    closedir(d);
    return rc;
}

web_assets_t *web_assets_load(const char *dir, char *err, size_t errlen)
{
    char scratch[256];
    if (err == NULL) {
        err = scratch;
        errlen = sizeof(scratch);
    }
    char index[PATH_MAX];
    snprintf(index, sizeof(index), "%s/index.html", dir);
    if (access(index, R_OK) != 0) {
        snprintf(err, errlen, "%s has no index.html", dir);
        return NULL;
    }
    web_assets_t *a = xcalloc(1, sizeof(*a));
    if (add_file(a, dir, "index.html", "/index.html", err, errlen) != 0 ||
        load_assets_dir(a, dir, err, errlen) != 0) {
        web_assets_free(a);
        return NULL;
    }
    return a;
}

void web_assets_free(web_assets_t *a)
{
    if (a == NULL)
        return;
    for (size_t i = 0; i < a->n; i++) {
        free(a->files[i].url);
        free(a->files[i].body);
        free(a->files[i].gz);
        free(a->files[i].br);
    }
    free(a);
}

size_t web_assets_count(const web_assets_t *a)
{
    return a != NULL ? a->n : 0;
}

const web_asset_t *web_assets_find(const web_assets_t *a, const char *path, size_t len)
{
    if (a == NULL)
        return NULL;
    if (len == 1 && path[0] == '/')
        return &a->files[0];
    for (size_t i = 0; i < a->n; i++)
        if (strlen(a->files[i].url) == len && memcmp(a->files[i].url, path, len) == 0)
            return &a->files[i];
    return NULL;
}

/* Whether v (an Accept-Encoding value) has the token coding with a weight above 0. */
static int accepts(const char *v, const char *coding)
{
    size_t len = strlen(coding);
    for (const char *p = v; p != NULL && (p = strstr(p, coding)) != NULL; p += len) {
        int starts = p == v || p[-1] == ',' || p[-1] == ' ';
        const char *q = p + len;
        while (*q == ' ')
            q++;
        if (!starts || (*q != '\0' && *q != ',' && *q != ';'))
            continue;
        if (*q != ';')
            return 1;
        while (*++q == ' ')
            ;
        /* q=0, q=0.0, q=0.00…: refused; any other weight accepts */
        if (strncmp(q, "q=0", 3) != 0)
            return 1;
        for (q += 3; *q == '.' || *q == '0'; q++)
            ;
        if (*q != '\0' && *q != ',' && *q != ' ')
            return 1;
    }
    return 0;
}

int web_accepts_gzip(const char *v)
{
    return accepts(v, "gzip");
}

int web_accepts_br(const char *v)
{
    return accepts(v, "br");
}

char *web_assets_dir(const char *configured)
{
    if (configured != NULL)
        return *configured != '\0' ? xstrdup(configured) : NULL;
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 8);
    if (n <= 0)
        return xstrdup("web");
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash != NULL)
        slash[1] = '\0';
    size_t len = strlen(exe) + 4;
    char *dir = xmalloc(len);
    snprintf(dir, len, "%sweb", exe);
    return dir;
}
