/*
 * loadgen.c - an open-loop HTTP/1.1 load generator (bench/load drives it).
 *
 *   load-gen --port P --rate R --seconds S --connections N --requests FILE
 *            [--host 127.0.0.1] [--drain S] [--timeout S] [--timeline FILE] [--slot-ms 100]
 *
 * Keeps N keep-alive connections open; request i is due at start + i/R (schedule.h) and goes out on
 * the first idle connection once due; its latency is measured from that intended time, so time spent
 * waiting for a free connection counts (no coordinated omission). FILE holds the requests, used in a
 * cycle: each record is a line "KIND LENGTH\n" followed by LENGTH bytes of a complete HTTP/1.1 request.
 * Prints one JSON object: achieved rate, latency quantiles (lat_hist.h), errors by status (>= 400),
 * "conn" (connection lost), "timeout" and "unfinished" (not answered by the end of the drain), and the
 * same per kind. --timeline writes, per slot of completion time: ok, errors, ok writes, failed writes,
 * the slot's highest latency; failure drills read it. A line "load-gen: started" on stderr marks time 0.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "lat_hist.h"
#include "schedule.h"

#define MAX_KINDS 32
#define MAX_STATUS 600

typedef struct {
    int kind;
    int write; /* not a GET */
    const char *data;
    size_t len;
} load_req_t;

typedef struct {
    char name[32];
    lat_hist_t hist;
    uint64_t errors;
} kind_t;

enum { C_DEAD, C_CONNECTING, C_IDLE, C_BUSY };

typedef struct {
    int fd;
    int state;
    int idle_listed;
    uint64_t seq;      /* the request in flight */
    uint64_t intended; /* its scheduled time */
    size_t sent;
    char *rbuf;
    size_t rlen, rcap;
    uint64_t retry_at;
} conn_t;

typedef struct {
    uint64_t ok, err, ok_write, err_write, max_us;
} slot_t;

typedef struct {
    const char *host, *requests_path, *timeline_path;
    int port, nconns;
    double rate, seconds, drain, timeout;
    int slot_ms;
} opts_t;

static opts_t o = {"127.0.0.1", NULL, NULL, 0, 100, 100, 10, 10, 30, 100};
static load_req_t *reqs;
static size_t nreqs;
static kind_t kinds[MAX_KINDS];
static int nkinds;
static lat_hist_t all;
static uint64_t status_count[MAX_STATUS], err_conn, err_timeout, err_unfinished;
static uint64_t completed, ok_count, last_done, inflight;
static conn_t *conns;
static int *idle; /* a ring of idle connections, oldest first: every connection takes its turn */
static int nidle, idle_head;
static slot_t *slots;
static size_t nslots;
static uint64_t t0;
static int ep;
static struct sockaddr_in addr;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void die(const char *what)
{
    fprintf(stderr, "load-gen: %s%s%s\n", what, errno ? ": " : "", errno ? strerror(errno) : "");
    exit(1);
}

static int kind_of(const char *name)
{
    for (int i = 0; i < nkinds; i++)
        if (strcmp(kinds[i].name, name) == 0)
            return i;
    if (nkinds == MAX_KINDS) {
        errno = 0;
        die("too many kinds of request");
    }
    snprintf(kinds[nkinds].name, sizeof(kinds[nkinds].name), "%s", name);
    return nkinds++;
}

/* Reads FILE's records (see the header comment); the file's bytes stay allocated for the run. */
static void load_requests(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        die(path);
    if (fseek(f, 0, SEEK_END) != 0)
        die(path);
    long size = ftell(f);
    rewind(f);
    char *buf = malloc((size_t)size + 1);
    if (!buf || fread(buf, 1, (size_t)size, f) != (size_t)size)
        die("cannot read the requests");
    fclose(f);
    buf[size] = '\0';
    size_t cap = 1024, pos = 0;
    reqs = malloc(cap * sizeof(*reqs));
    if (!reqs)
        die("out of memory");
    while (pos < (size_t)size) {
        char name[32];
        size_t len;
        int used = 0;
        if (sscanf(buf + pos, "%31s %zu%n", name, &len, &used) != 2 || buf[pos + (size_t)used] != '\n' ||
            pos + (size_t)used + 1 + len > (size_t)size) {
            errno = 0;
            die("malformed requests file (expected \"KIND LENGTH\\n\" then LENGTH bytes)");
        }
        if (nreqs == cap && !(reqs = realloc(reqs, (cap *= 2) * sizeof(*reqs))))
            die("out of memory");
        const char *data = buf + pos + (size_t)used + 1;
        reqs[nreqs++] = (load_req_t){kind_of(name), strncmp(data, "GET ", 4) != 0, data, len};
        pos += (size_t)used + 1 + len;
    }
    if (nreqs == 0) {
        errno = 0;
        die("no requests in the requests file");
    }
}

static void conn_open(int i)
{
    conn_t *c = &conns[i];
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0)
        die("socket (raise ulimit -n)");
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    c->state = C_CONNECTING;
    c->rlen = 0;
    if (connect(c->fd, (struct sockaddr *)&addr, sizeof(addr)) != 0 && errno != EINPROGRESS) {
        close(c->fd);
        c->fd = -1;
        c->state = C_DEAD;
        c->retry_at = now_ns() + 100000000ULL;
        return;
    }
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, .data.u32 = (uint32_t)i};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) != 0)
        die("epoll_ctl");
}

static void make_idle(int i)
{
    conns[i].state = C_IDLE;
    if (!conns[i].idle_listed) {
        conns[i].idle_listed = 1;
        idle[(idle_head + nidle++) % o.nconns] = i;
    }
}

static void timeline_add(uint64_t at, int ok, int write, uint64_t us)
{
    size_t s = at > t0 ? (size_t)((at - t0) / ((uint64_t)o.slot_ms * 1000000ULL)) : 0;
    if (s >= nslots)
        s = nslots - 1;
    slot_t *sl = &slots[s];
    if (ok) {
        sl->ok++;
        sl->ok_write += (uint64_t)write;
    } else {
        sl->err++;
        sl->err_write += (uint64_t)write;
    }
    if (us > sl->max_us)
        sl->max_us = us;
}

/* A request ended: status (0 with *counter for a failure without an answer). */
static void finish(conn_t *c, int status, uint64_t *counter)
{
    uint64_t at = now_ns();
    const load_req_t *r = &reqs[c->seq % nreqs];
    uint64_t us = (at - c->intended) / 1000;
    if (status <= 0 && counter == NULL)
        counter = &err_conn; /* an answer that is not HTTP */
    inflight--;
    int good = status > 0 && status < 400;
    if (status > 0) {
        lat_hist_record(&all, us);
        lat_hist_record(&kinds[r->kind].hist, us);
        status_count[status < MAX_STATUS ? status : 0]++;
        completed++;
        last_done = at;
    } else {
        (*counter)++;
    }
    if (good)
        ok_count++;
    else
        kinds[r->kind].errors++;
    timeline_add(at, good, r->write, us);
}

static void conn_drop(int i, uint64_t *counter)
{
    conn_t *c = &conns[i];
    static int told;
    if (c->state == C_BUSY && counter != &err_unfinished && told++ < 5) /* the first few, to see why */
        fprintf(stderr, "load-gen: request %llu lost on connection %d after %zu bytes sent, %zu received: %s\n",
                (unsigned long long)c->seq, i, c->sent, c->rlen, counter == &err_timeout ? "timeout" : strerror(errno));
    if (c->state == C_BUSY)
        finish(c, 0, counter);
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    c->state = C_DEAD;
    c->retry_at = now_ns();
}

static void conn_flush(int i)
{
    conn_t *c = &conns[i];
    const load_req_t *r = &reqs[c->seq % nreqs];
    while (c->sent < r->len) {
        ssize_t n = send(c->fd, r->data + c->sent, r->len - c->sent, MSG_NOSIGNAL);
        if (n < 0 && errno == EAGAIN)
            return;
        if (n <= 0) {
            conn_drop(i, &err_conn);
            return;
        }
        c->sent += (size_t)n;
    }
}

static const char *header_value(const char *hdr, size_t hlen, const char *name)
{
    size_t nl = strlen(name);
    for (const char *p = hdr; p && p < hdr + hlen; p = memchr(p, '\n', (size_t)(hdr + hlen - p))) {
        if (*p == '\n')
            p++;
        if (strncasecmp(p, name, nl) == 0 && p[nl] == ':')
            return p + nl + 1;
    }
    return NULL;
}

/* The length of a complete chunked body starting at b, or 0 while incomplete. */
static size_t chunked_length(const char *b, size_t len)
{
    size_t pos = 0;
    for (;;) {
        const char *eol = memmem(b + pos, len - pos, "\r\n", 2);
        if (!eol)
            return 0;
        size_t size = strtoul(b + pos, NULL, 16);
        pos = (size_t)(eol - b) + 2;
        if (size == 0) {
            const char *end = memmem(b + pos - 2, len - pos + 2, "\r\n\r\n", 4);
            return end ? (size_t)(end - b) + 4 : 0;
        }
        pos += size + 2;
        if (pos > len)
            return 0;
    }
}

/* Whether rbuf holds a whole response; sets *status and *close_after. */
static int response_complete(conn_t *c, int *status, int *close_after)
{
    char *end = memmem(c->rbuf, c->rlen, "\r\n\r\n", 4);
    if (!end)
        return 0;
    size_t hlen = (size_t)(end - c->rbuf) + 4;
    *status = c->rlen > 12 ? atoi(c->rbuf + 9) : 0;
    const char *conn = header_value(c->rbuf, hlen, "connection");
    *close_after = conn && strncasecmp(conn + strspn(conn, " "), "close", 5) == 0;
    const char *cl = header_value(c->rbuf, hlen, "content-length");
    const char *te = header_value(c->rbuf, hlen, "transfer-encoding");
    if (cl)
        return c->rlen >= hlen + strtoul(cl, NULL, 10);
    if (te && strstr(te, "chunked") != NULL && (size_t)(strstr(te, "chunked") - c->rbuf) < hlen)
        return chunked_length(c->rbuf + hlen, c->rlen - hlen) > 0;
    if (*status == 204 || *status == 304 || (*status >= 100 && *status < 200))
        return 1;
    *close_after = 1; /* read to the end: complete when the server closes */
    return 0;
}

static void conn_read(int i)
{
    conn_t *c = &conns[i];
    for (;;) {
        if (c->rcap - c->rlen < 16384) {
            size_t cap = c->rcap ? c->rcap * 2 : 32768;
            char *b = realloc(c->rbuf, cap + 1);
            if (!b)
                die("out of memory");
            c->rbuf = b;
            c->rcap = cap;
        }
        ssize_t n = recv(c->fd, c->rbuf + c->rlen, c->rcap - c->rlen, 0);
        if (n < 0 && errno == EAGAIN)
            break;
        if (n <= 0) {
            int status = 0, close_after = 0;
            if (c->state == C_BUSY && c->rlen > 0) {
                c->rbuf[c->rlen] = '\0';
                /* a whole answer followed by the close, or a body delimited by the close */
                if ((response_complete(c, &status, &close_after) || close_after) && status > 0) {
                    finish(c, status, NULL);
                    c->state = C_IDLE;
                }
            }
            conn_drop(i, &err_conn);
            return;
        }
        c->rlen += (size_t)n;
    }
    if (c->state != C_BUSY) {
        c->rlen = 0; /* nothing is expected: drop stray bytes */
        return;
    }
    int status = 0, close_after = 0;
    c->rbuf[c->rlen] = '\0';
    if (!response_complete(c, &status, &close_after))
        return;
    finish(c, status, NULL);
    c->rlen = 0;
    c->state = C_IDLE;
    if (close_after)
        conn_drop(i, &err_conn);
    else
        make_idle(i);
}

static void on_event(const struct epoll_event *ev)
{
    int i = (int)ev->data.u32;
    conn_t *c = &conns[i];
    if (c->fd < 0)
        return;
    if (c->state == C_CONNECTING && (ev->events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
        int err = 0;
        socklen_t len = sizeof(err);
        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err != 0 || (ev->events & (EPOLLERR | EPOLLHUP))) {
            conn_drop(i, &err_conn);
            c->retry_at = now_ns() + 100000000ULL;
            return;
        }
        make_idle(i);
    }
    if (c->state == C_BUSY && (ev->events & EPOLLOUT))
        conn_flush(i);
    if (c->fd >= 0 && (ev->events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)))
        conn_read(i);
}

/* Sends due requests [*next, due) on idle connections, oldest first. */
static void dispatch(uint64_t *next, uint64_t due)
{
    while (*next < due && nidle > 0) {
        int i = idle[idle_head];
        idle_head = (idle_head + 1) % o.nconns;
        nidle--;
        conn_t *c = &conns[i];
        c->idle_listed = 0;
        if (c->state != C_IDLE || c->fd < 0)
            continue;
        c->state = C_BUSY;
        c->seq = *next;
        c->intended = schedule_at(t0, o.rate, *next);
        c->sent = 0;
        c->rlen = 0;
        (*next)++;
        inflight++;
        conn_flush(i);
    }
}

/* Reopens dropped connections and fails requests that outlived --timeout. */
static void housekeeping(uint64_t now)
{
    uint64_t limit = (uint64_t)(o.timeout * 1e9);
    for (int i = 0; i < o.nconns; i++) {
        conn_t *c = &conns[i];
        if (c->state == C_DEAD && c->retry_at <= now)
            conn_open(i);
        else if (c->state == C_BUSY && now - c->intended > limit)
            conn_drop(i, &err_timeout);
    }
}

static void parse_args(int argc, char **argv)
{
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *k = argv[i], *v = argv[i + 1];
        if (!strcmp(k, "--host"))
            o.host = v;
        else if (!strcmp(k, "--port"))
            o.port = atoi(v);
        else if (!strcmp(k, "--rate"))
            o.rate = atof(v);
        else if (!strcmp(k, "--seconds"))
            o.seconds = atof(v);
        else if (!strcmp(k, "--connections"))
            o.nconns = atoi(v);
        else if (!strcmp(k, "--requests"))
            o.requests_path = v;
        else if (!strcmp(k, "--drain"))
            o.drain = atof(v);
        else if (!strcmp(k, "--timeout"))
            o.timeout = atof(v);
        else if (!strcmp(k, "--timeline"))
            o.timeline_path = v;
        else if (!strcmp(k, "--slot-ms"))
            o.slot_ms = atoi(v);
        else {
            fprintf(stderr, "load-gen: unknown option %s\n", k);
            exit(2);
        }
    }
    if (argc % 2 == 0 || o.port <= 0 || o.rate <= 0 || o.seconds <= 0 || o.nconns <= 0 || !o.requests_path ||
        o.slot_ms <= 0) {
        fprintf(stderr, "usage: load-gen --port P --rate R --seconds S --connections N --requests FILE "
                        "[--host H] [--drain S] [--timeout S] [--timeline FILE] [--slot-ms MS]\n");
        exit(2);
    }
}

static void print_quantiles(const lat_hist_t *h)
{
    printf("\"p50_ms\":%.3f,\"p95_ms\":%.3f,\"p99_ms\":%.3f,\"p999_ms\":%.3f,\"max_ms\":%.3f,\"mean_ms\":%.3f",
           (double)lat_hist_quantile(h, 0.50) / 1e3, (double)lat_hist_quantile(h, 0.95) / 1e3,
           (double)lat_hist_quantile(h, 0.99) / 1e3, (double)lat_hist_quantile(h, 0.999) / 1e3,
           (double)h->max_us / 1e3, lat_hist_mean(h) / 1e3);
}

static void report(uint64_t total, uint64_t sent, int connected)
{
    double elapsed = (double)((last_done > t0 ? last_done : t0 + 1) - t0) / 1e9;
    if (elapsed < o.seconds)
        elapsed = o.seconds;
    uint64_t errors = err_conn + err_timeout + err_unfinished;
    printf("{\"offered\":%.1f,\"seconds\":%.1f,\"connections\":%d,\"connected\":%d,\"scheduled\":%llu,\"sent\":%llu,"
           "\"completed\":%llu,\"ok\":%llu,\"achieved\":%.1f,",
           o.rate, o.seconds, o.nconns, connected, (unsigned long long)total, (unsigned long long)sent,
           (unsigned long long)completed, (unsigned long long)ok_count, (double)completed / elapsed);
    print_quantiles(&all);
    printf(",\"errors\":{");
    const char *sep = "";
    for (int s = 0; s < MAX_STATUS; s++)
        if (status_count[s] && (s >= 400 || s == 0)) {
            printf("%s\"%d\":%llu", sep, s, (unsigned long long)status_count[s]);
            errors += status_count[s];
            sep = ",";
        }
    printf("%s\"conn\":%llu,\"timeout\":%llu,\"unfinished\":%llu},\"error_total\":%llu,\"kinds\":{", sep,
           (unsigned long long)err_conn, (unsigned long long)err_timeout, (unsigned long long)err_unfinished,
           (unsigned long long)errors);
    for (int k = 0; k < nkinds; k++) {
        printf("%s\"%s\":{\"count\":%llu,\"errors\":%llu,", k ? "," : "", kinds[k].name,
               (unsigned long long)kinds[k].hist.total, (unsigned long long)kinds[k].errors);
        print_quantiles(&kinds[k].hist);
        printf("}");
    }
    printf("}}\n");
}

static void write_timeline(void)
{
    if (!o.timeline_path)
        return;
    FILE *f = fopen(o.timeline_path, "w");
    if (!f)
        die(o.timeline_path);
    fprintf(f, "# t_s ok errors ok_writes failed_writes max_ms\n");
    for (size_t s = 0; s < nslots; s++)
        fprintf(f, "%.3f %llu %llu %llu %llu %.3f\n", (double)s * o.slot_ms / 1e3, (unsigned long long)slots[s].ok,
                (unsigned long long)slots[s].err, (unsigned long long)slots[s].ok_write,
                (unsigned long long)slots[s].err_write, (double)slots[s].max_us / 1e3);
    fclose(f);
}

int main(int argc, char **argv)
{
    parse_args(argc, argv);
    load_requests(o.requests_path);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)o.port);
    if (inet_pton(AF_INET, o.host, &addr.sin_addr) != 1) {
        errno = 0;
        die("--host must be an IPv4 address");
    }
    nslots = (size_t)((o.seconds + o.drain + o.timeout) * 1000 / o.slot_ms) + 2;
    conns = calloc((size_t)o.nconns, sizeof(*conns));
    idle = calloc((size_t)o.nconns, sizeof(*idle));
    slots = calloc(nslots, sizeof(*slots));
    if (!conns || !idle || !slots || (ep = epoll_create1(EPOLL_CLOEXEC)) < 0)
        die("setup");
    struct epoll_event evs[512];
    for (int i = 0; i < o.nconns; i++)
        conn_open(i);
    uint64_t wait_until = now_ns() + 10000000000ULL;
    while (nidle < o.nconns && now_ns() < wait_until) {
        int n = epoll_wait(ep, evs, 512, 100);
        for (int e = 0; e < n; e++)
            on_event(&evs[e]);
        housekeeping(now_ns());
    }
    int connected = nidle;
    err_conn = 0; /* failed first connects are not request errors */
    t0 = now_ns() + 1000000ULL;
    fprintf(stderr, "load-gen: started, %d connections\n", connected); /* bench/drill times its faults from here */
    fflush(stderr);
    uint64_t total = schedule_total(o.rate, o.seconds), next = 0, last_house = 0;
    uint64_t end = t0 + (uint64_t)((o.seconds + o.drain) * 1e9);
    for (;;) {
        uint64_t now = now_ns();
        uint64_t due = schedule_due(t0, o.rate, now, total);
        dispatch(&next, due);
        if ((next == total && inflight == 0) || now > end)
            break;
        uint64_t wait_ns = 100000000ULL; /* at most 100 ms; until the next request is due when one can go */
        if (due < total && (next == due || nidle > 0)) {
            uint64_t at = schedule_at(t0, o.rate, due);
            wait_ns = at > now ? at - now : 0;
            if (wait_ns > 100000000ULL)
                wait_ns = 100000000ULL;
        }
        struct timespec ts = {(time_t)(wait_ns / 1000000000ULL), (long)(wait_ns % 1000000000ULL)};
        int n = epoll_pwait2(ep, evs, 512, &ts, NULL);
        for (int e = 0; e < n; e++)
            on_event(&evs[e]);
        if (now - last_house > 100000000ULL) {
            housekeeping(now);
            last_house = now;
        }
    }
    uint64_t sent = next;
    for (int i = 0; i < o.nconns; i++)
        if (conns[i].state == C_BUSY)
            conn_drop(i, &err_unfinished);
    err_unfinished += total - next;
    report(total, sent, connected);
    write_timeline();
    return 0;
}
