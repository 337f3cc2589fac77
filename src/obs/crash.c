#include "obs/crash.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static __thread const char *cur_request_id;
static __thread const char *cur_route;

void crash_set_context(const char *request_id, const char *route)
{
    cur_request_id = request_id;
    cur_route = route;
}

#if !defined(__SANITIZE_ADDRESS__)
/* Only async-signal-safe calls below: write(2) and plain memory access. */
static size_t put(char *buf, size_t off, size_t cap, const char *s)
{
    while (s != NULL && *s != '\0' && off + 1 < cap) {
        char c = *s++;
        buf[off++] = (c == '"' || c == '\\' || (unsigned char)c < 0x20) ? '?' : c;
    }
    return off;
}

static void on_fatal(int sig)
{
    char buf[512];
    size_t n = 0;
    const char *name = sig == SIGSEGV   ? "SIGSEGV"
                       : sig == SIGBUS  ? "SIGBUS"
                       : sig == SIGFPE  ? "SIGFPE"
                       : sig == SIGILL  ? "SIGILL"
                       : sig == SIGABRT ? "SIGABRT"
                                        : "signal";
    n = put(buf, n, sizeof(buf), "{\"level\":\"fatal\",\"msg\":\"fatal signal\",\"signal\":\"");
    n = put(buf, n, sizeof(buf), name);
    n = put(buf, n, sizeof(buf), "\",\"requestId\":\"");
    n = put(buf, n, sizeof(buf), cur_request_id != NULL ? cur_request_id : "");
    n = put(buf, n, sizeof(buf), "\",\"route\":\"");
    n = put(buf, n, sizeof(buf), cur_route != NULL ? cur_route : "");
    n = put(buf, n, sizeof(buf), "\"}\n");
    ssize_t w = write(1, buf, n);
    (void)w;
    signal(sig, SIG_DFL);
    raise(sig);
}
#endif

void crash_install(void)
{
#if defined(__SANITIZE_ADDRESS__)
    /* AddressSanitizer reports crashes itself, with more detail. */
    return;
#else
    static char altstack[65536];
    stack_t ss = {.ss_sp = altstack, .ss_size = sizeof(altstack), .ss_flags = 0};
    sigaltstack(&ss, NULL);
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_fatal;
    sa.sa_flags = SA_ONSTACK | SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    int sigs[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
    for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
        sigaction(sigs[i], &sa, NULL);
#endif
}
