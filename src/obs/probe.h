/*
 * probe.h - a minimal HTTP/1.0 listener for processes without the API server
 * (school-erp worker): GET /healthz (200 "ok", or 503 while the health
 * callback says no) and GET /metrics (every registered collector). One thread,
 * one request per connection, anything else 404.
 */
#ifndef ERP_OBS_PROBE_H
#define ERP_OBS_PROBE_H
#include <stddef.h>

typedef struct probe probe_t;

/* Listens on "host:port" (port 0: any; probe_port() tells); healthy may be NULL (always healthy). NULL with err. */
probe_t *probe_start(const char *listen, int (*healthy)(void *ud), void *ud, char *err, size_t errlen);
int probe_port(const probe_t *p);
/* Stops the thread and closes the socket. */
void probe_stop(probe_t *p);

#endif
