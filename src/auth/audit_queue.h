/*
 * audit_queue.h - read events of the audit trail, written off the request path.
 *
 * A read (student.read and the like) is recorded by copying its event into a
 * bounded in-process buffer; one flusher thread writes what has accumulated
 * in batches of up to AUDIT_BATCH_MAX events (one COPY each on PostgreSQL,
 * one multi-row INSERT on SQLite) at least every AUDIT_FLUSH_MS milliseconds, at once when a full
 * batch is waiting, and on drain. Writes keep auditing inside their own
 * transactions (audit_record()); only reads go through here.
 *
 * Nothing is dropped: a full buffer makes the enqueuing request wait for room
 * (backpressure), and a failed batch is retried, in order, until it is
 * written. The loss window is the process's own memory: a crash (kill -9,
 * OOM) loses the events of the last flush interval that were not yet written,
 * at most the buffer's capacity (docs/OPERATIONS.md gives the measured figure).
 * A clean stop (SIGTERM) writes everything before the process exits.
 *
 * Readers of the trail on the same instance see their own reads:
 * audit_queue_sync() waits until every event enqueued before it is written.
 */
#ifndef ERP_AUTH_AUDIT_QUEUE_H
#define ERP_AUTH_AUDIT_QUEUE_H

#include <stdint.h>

#include "auth/audit.h"
#include "store/store.h"

#define AUDIT_FLUSH_MS 100   /* the flusher's longest sleep; an event waits at most this plus one batch */
#define AUDIT_BATCH_MAX 500  /* events per INSERT */

/*
 * Starts the flusher thread on its own session of store. capacity bounds the
 * events held (ERP_AUDIT_BUFFER). Until this has run (command-line use, unit
 * tests), audit_queue_record() writes synchronously through the caller's db.
 * Returns 0, or -1 when the thread cannot start.
 */
int audit_queue_start(store_t *store, int capacity);

/*
 * Writes every queued event, then stops the flusher (call after the server
 * has drained, before the store closes). Waits at most timeout_ms; events
 * still unwritten then are counted in the log. Safe to call when not started.
 */
void audit_queue_stop(int timeout_ms);

/*
 * Records a read event: copies e (and the request id and client address of
 * r, which may be NULL) into the buffer, waiting for room when it is full.
 * The event's id and time are taken now. Returns 0; without a started queue,
 * the result of audit_record() on db.
 */
int audit_queue_record(db_t *db, const req_t *r, const audit_event_t *e);

/*
 * As audit_queue_record() but never waits (for an event loop): -1 when the
 * queue is not started or full, nothing recorded; 0 when queued.
 */
int audit_queue_try_record(const req_t *r, const audit_event_t *e);

/*
 * A read event from a request: on a handler thread (db set) audit_queue_record();
 * on an event loop (db NULL) audit_queue_try_record(). 0, or -1.
 */
int audit_queue_read(db_t *db, const req_t *r, const audit_event_t *e);

/*
 * Waits until every event enqueued before the call is written (or failed to
 * be, after retries stopped with the queue), at most timeout_ms. Returns 0,
 * or -1 on timeout. A no-op without a started queue.
 */
int audit_queue_sync(int timeout_ms);

#endif
