/*
 * process.h - the standard process_* metrics and school_erp_build_info.
 */
#ifndef ERP_OBS_PROCESS_H
#define ERP_OBS_PROCESS_H

/* Registers the collector; call once at start-up (records the start time). */
void process_metrics_register(void);

/* Version string of this build ("0.1.0") and the commit it was built from ("unknown" outside git). */
const char *build_version(void);
const char *build_commit(void);

#endif
