/*
 * crash.h - a fatal signal (a crash in a handler, say) never ends the process
 * silently: a JSON log line names the signal and the request the crashing
 * thread was running, then the default action (core dump) proceeds.
 */
#ifndef ERP_OBS_CRASH_H
#define ERP_OBS_CRASH_H

/* Installs the handlers for SIGSEGV, SIGBUS, SIGFPE, SIGILL and SIGABRT. */
void crash_install(void);

/* Records what this thread is working on (pointers must stay valid until cleared with NULLs). */
void crash_set_context(const char *request_id, const char *route);

#endif
