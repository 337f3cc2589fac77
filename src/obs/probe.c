/* probe.c - /healthz and /metrics over a plain socket (see probe.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/sbuf.h"
#include "obs/metrics.h"
#include "obs/probe.h"

struct probe {
    int fd;
    int port;
    int stop; /* atomic */
    int (*healthy)(void *ud);
    void *ud;
    pthread_t thread;
};

static void reply(int fd, int status, const char *type, const char *body, size_t len)
{
    char head[200];
    int n = snprintf(head, sizeof(head), "HTTP/1.0 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
                     status, status == 200 ? "OK" : status == 503 ? "Service Unavailable" : "Not Found", type, len);
    if (send(fd, head, (size_t)n, MSG_NOSIGNAL) != n)
        return;
    for (size_t off = 0; off < len;) {
        ssize_t w = send(fd, body + off, len - off, MSG_NOSIGNAL);
        if (w <= 0)
            return;
        off += (size_t)w;
    }
}

static void serve_one(probe_t *p, int fd)
{
    char req[1024];
    size_t got = 0;
    struct pollfd pfd = {fd, POLLIN, 0};
    while (got < sizeof(req) - 1 && poll(&pfd, 1, 2000) == 1) {
        ssize_t r = recv(fd, req + got, sizeof(req) - 1 - got, 0);
        if (r <= 0)
            break;
        got += (size_t)r;
        req[got] = '\0';
        if (strstr(req, "\r\n\r\n") != NULL || strstr(req, "\n\n") != NULL)
            break;
    }
    req[got] = '\0';
    if (strncmp(req, "GET /healthz ", 13) == 0) {
        int ok = p->healthy == NULL || p->healthy(p->ud);
        reply(fd, ok ? 200 : 503, "text/plain", ok ? "ok\n" : "stopping\n", ok ? 3 : 9);
    } else if (strncmp(req, "GET /metrics ", 13) == 0) {
        arena_t a;
        arena_init(&a);
        sbuf_t b;
        sbuf_init(&b, &a, 16384);
        metrics_render(&b);
        reply(fd, 200, "text/plain; version=0.0.4", b.p, b.len);
        arena_destroy(&a);
    } else {
        reply(fd, 404, "text/plain", "not found\n", 10);
    }
}

static void *probe_thread(void *arg)
{
    probe_t *p = arg;
    while (!__atomic_load_n(&p->stop, __ATOMIC_ACQUIRE)) {
        struct pollfd pfd = {p->fd, POLLIN, 0};
        if (poll(&pfd, 1, 200) != 1)
            continue;
        int fd = accept(p->fd, NULL, NULL);
        if (fd < 0)
            continue;
        serve_one(p, fd);
        close(fd);
    }
    return NULL;
}

static int listen_on(const char *addr, int *port, char *err, size_t errlen)
{
    char host[256];
    const char *colon = strrchr(addr, ':');
    if (colon == NULL || (size_t)(colon - addr) >= sizeof(host)) {
        snprintf(err, errlen, "listen address '%s' is not host:port", addr);
        return -1;
    }
    snprintf(host, sizeof(host), "%.*s", (int)(colon - addr), addr);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE}, *ai;
    int rc = getaddrinfo(host[0] != '\0' ? host : NULL, colon + 1, &hints, &ai);
    if (rc != 0) {
        snprintf(err, errlen, "listen address '%s': %s", addr, gai_strerror(rc));
        return -1;
    }
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
    if (fd >= 0)
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (fd < 0 || bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 64) != 0) {
        snprintf(err, errlen, "cannot listen on %s: %s", addr, strerror(errno));
        if (fd >= 0)
            close(fd);
        freeaddrinfo(ai);
        return -1;
    }
    freeaddrinfo(ai);
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    getsockname(fd, (struct sockaddr *)&ss, &sl);
    *port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port : ((struct sockaddr_in *)&ss)->sin_port);
    return fd;
}

probe_t *probe_start(const char *addr, int (*healthy)(void *ud), void *ud, char *err, size_t errlen)
{
    probe_t *p = calloc(1, sizeof(*p));
    if (p == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    p->healthy = healthy;
    p->ud = ud;
    p->fd = listen_on(addr, &p->port, err, errlen);
    if (p->fd < 0) {
        free(p);
        return NULL;
    }
    if (pthread_create(&p->thread, NULL, probe_thread, p) != 0) {
        snprintf(err, errlen, "cannot start the probe thread");
        close(p->fd);
        free(p);
        return NULL;
    }
    return p;
}

int probe_port(const probe_t *p)
{
    return p->port;
}

void probe_stop(probe_t *p)
{
    if (p == NULL)
        return;
    __atomic_store_n(&p->stop, 1, __ATOMIC_RELEASE);
    pthread_join(p->thread, NULL);
    close(p->fd);
    free(p);
}
