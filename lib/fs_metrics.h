/*
 * fs_metrics.h - a worker pool's counters, and GET /api/metrics (cgi-bin/metrics.fcgi), which
 * shows every pool's in Prometheus' text format.
 *
 * Each pool's supervisor maps the file <socket folder>/<name>.metrics (zeroed at its start)
 * before it starts its workers, which inherit the mapping and count into it atomically:
 * answers by HTTP status, their latency (a histogram), database errors (answers the database
 * made fail: unavailable, timeout, outcome unknown, schema), events published, and writes with
 * their round trips to PostgreSQL (fs_pipe.h).
 * /api/metrics reads every such file beside its own socket, so one scrape covers the host.
 * It answers only clients whose address [metrics] allow lists (default: loopback), others
 * 403; like /api/health it needs no session, and it says nothing secret.
 */
#ifndef FS_METRICS_H
#define FS_METRICS_H

#include <stdbool.h>

#include "fs_worker.h"

/*
 * Maps DIR/NAME.metrics for this process and the workers it will start; counting stays off
 * (and is logged) when it cannot. Call once, in the supervisor, before any fork.
 */
void fs_metrics_open(const char *dir, const char *name);

/* Counts one answer: its STATUS, how long it took (USEC), and whether the database failed it. */
void fs_metrics_answer(int status, long long usec, bool database_error);

/* Counts one published event. */
void fs_metrics_event(void);

/* Counts one write that made ROUND_TRIPS round trips to PostgreSQL (none: not counted). */
void fs_metrics_write(unsigned long round_trips);

/* Counts one group of READS GETs by id sent with others in flight or in it (none: not counted). */
void fs_metrics_shared_reads(unsigned long reads);

/* Answers REQ, a request to /api/metrics. */
void fs_metrics_handle(struct fs_worker *w, struct fs_request *req);

#endif
