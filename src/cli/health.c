/*
 * health.c - school-erp health: the probe a container's HEALTHCHECK runs
 * (slim images have no curl). GETs /readyz of the server on ERP_LISTEN, or
 * /healthz of the worker on ERP_WORKER_LISTEN (--worker), or a given URL;
 * exit 0 on 200, 1 on any other answer or none within 3 seconds, 2 on a bad
 * argument. An unspecified listen address (0.0.0.0, ::) is asked on loopback.
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

/* Discards the body: only the status matters. */
static size_t discard(char *data, size_t size, size_t n, void *ud)
{
    (void)data;
    (void)ud;
    return size * n;
}

/* "http://HOST:PORT/PATH" for a HOST:PORT or [V6]:PORT listen value; -1 when it has no port. */
static int listen_url(const char *listen, const char *path, char *out, size_t outlen)
{
    const char *colon = strrchr(listen, ':');
    if (colon == NULL || colon == listen || colon[1] == '\0')
        return -1;
    size_t hostlen = (size_t)(colon - listen);
    const char *host = listen;
    if (hostlen == 7 && strncmp(listen, "0.0.0.0", 7) == 0) {
        host = "127.0.0.1";
        hostlen = 9;
    } else if (hostlen == 4 && strncmp(listen, "[::]", 4) == 0) {
        host = "[::1]";
        hostlen = 5;
    }
    int n = snprintf(out, outlen, "http://%.*s%s%s", (int)hostlen, host, colon, path);
    return n > 0 && (size_t)n < outlen ? 0 : -1;
}

/* The HTTP status of a GET of url, or 0 when none came. */
static long get_status(const char *url)
{
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return 0;
    CURL *c = curl_easy_init();
    long status = 0;
    if (c != NULL) {
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 3000L);
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
        if (curl_easy_perform(c) == CURLE_OK)
            curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        curl_easy_cleanup(c);
    }
    curl_global_cleanup();
    return status;
}

int cli_health(int argc, char **argv)
{
    char url[512];
    const char *arg = argc > 1 ? argv[1] : NULL;
    if (argc > 2 || (arg != NULL && arg[0] == '-' && strcmp(arg, "--worker") != 0)) {
        fprintf(stderr, "usage: school-erp health [--worker | URL]\n");
        return 2;
    }
    if (arg != NULL && strcmp(arg, "--worker") != 0) {
        snprintf(url, sizeof(url), "%s", arg);
    } else {
        int worker = arg != NULL;
        const char *listen = getenv(worker ? "ERP_WORKER_LISTEN" : "ERP_LISTEN");
        if (listen == NULL || *listen == '\0')
            listen = worker ? "127.0.0.1:9464" : "127.0.0.1:8080";
        if (listen_url(listen, worker ? "/healthz" : "/readyz", url, sizeof(url)) != 0) {
            fprintf(stderr, "school-erp health: %s is not HOST:PORT: '%s'\n",
                    worker ? "ERP_WORKER_LISTEN" : "ERP_LISTEN", listen);
            return 2;
        }
    }
    long status = get_status(url);
    if (status != 200) {
        fprintf(stderr, "school-erp health: %s answered %ld\n", url, status);
        return 1;
    }
    return 0;
}
