/*
 * assets.h - the web app's built files, held in memory and looked up by URL path.
 *
 * scripts/web-build writes the app (web/) into a directory: index.html and
 * assets/<name>.<hash>.<ext>, each with a gzip twin (<file>.gz). The server
 * loads that directory once at start-up, makes a brotli twin of each text file
 * then (libbrotlienc: Debian's h2o is built without its brotli filter; done
 * once per start, not per request), and answers GET / (and /index.html)
 * and GET /assets/<file> from it; nothing else is an asset. This module knows
 * no HTTP library: it returns the bytes and the headers the answer must carry
 * (cache rule, media type, policy); src/http/server.c sends them.
 *
 *   index.html     Cache-Control: no-cache, a strict Content-Security-Policy, an ETag
 *   assets/...     Cache-Control: public, max-age=31536000, immutable (their names change with their bytes)
 */
#ifndef ERP_WEB_ASSETS_H
#define ERP_WEB_ASSETS_H

#include <stddef.h>

typedef struct web_asset {
    char *url;                 /* "/index.html", "/assets/app.3f9a1c20.js" */
    const char *content_type;  /* static string */
    const char *cache_control; /* static string */
    const char *csp;           /* Content-Security-Policy for documents; NULL for others */
    char etag[24];             /* "\"<16 hex digits>\"" of the plain bytes */
    char *body;
    size_t len;
    char *gz; /* the gzip twin, or NULL */
    size_t gz_len;
    char *br; /* the brotli twin (text files), or NULL */
    size_t br_len;
} web_asset_t;

typedef struct web_assets web_assets_t;

/*
 * Loads dir/index.html and every regular file of dir/assets (their .gz twins
 * as such). Returns NULL when dir has no index.html (the app is not served;
 * *err says why, when err is not NULL) or on a read error. The result is
 * owned by the caller (web_assets_free) and read-only: safe to share between threads.
 */
web_assets_t *web_assets_load(const char *dir, char *err, size_t errlen);
void web_assets_free(web_assets_t *a);

/* Number of files loaded (not counting gzip twins). */
size_t web_assets_count(const web_assets_t *a);

/*
 * The asset at an URL path (no query): "/" and "/index.html" name the
 * document, "/assets/<file>" a file of the assets folder. NULL otherwise.
 */
const web_asset_t *web_assets_find(const web_assets_t *a, const char *path, size_t len);

/* Whether an Accept-Encoding header value accepts gzip (a "gzip" token without q=0). NULL: no. */
int web_accepts_gzip(const char *accept_encoding);

/* Whether an Accept-Encoding header value accepts brotli (a "br" token without q=0). NULL: no. */
int web_accepts_br(const char *accept_encoding);

/*
 * The directory the app is served from: ERP_WEB_DIR when set (configured),
 * else "web" beside the running executable (the build directory's output).
 * Returns a malloc'd string (the caller frees it), or NULL when configured is
 * the empty string (the app is switched off).
 */
char *web_assets_dir(const char *configured);

#endif
