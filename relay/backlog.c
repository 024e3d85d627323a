/* backlog.c - PostgreSQL: connection, prepared statements, change log queries. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backlog.h"
#include "log.h"

enum stmt { ST_HEAD, ST_HORIZON, ST_FETCH, ST_PRUNE, ST__MAX };

static const char *const stmt_name[ST__MAX] = {
	[ST_HEAD] = "relay_head",
	[ST_HORIZON] = "relay_horizon",
	[ST_FETCH] = "relay_fetch",
	[ST_PRUNE] = "relay_prune",
};

/* The horizon keeps the head right when retention pruned every entry. */
static const char *const stmt_sql[ST__MAX] = {
	[ST_HEAD] = "SELECT greatest((SELECT coalesce(max(seq), 0) FROM change_log),"
	    " (SELECT coalesce(max(pruned_through), 0) FROM change_log_horizon))",
	[ST_HORIZON] = "SELECT coalesce(max(pruned_through), 0) FROM change_log_horizon",
	[ST_FETCH] = "SELECT c.seq, c.resource || ':' || c.action, fs_change_event(c)"
	    " FROM change_log c WHERE c.seq > $1 AND c.seq <= $2 ORDER BY c.seq LIMIT $3",
	[ST_PRUNE] = "SELECT fs_prune_change_log(make_interval(days => $1::integer))",
};

static const int stmt_nparams[ST__MAX] = {
	[ST_HEAD] = 0, [ST_HORIZON] = 0, [ST_FETCH] = 3, [ST_PRUNE] = 1,
};

void
backlog_init(struct backlog *b, const struct fs_config *cfg)
{
	memset(b, 0, sizeof(*b));
	b->cfg = cfg;
}

void
backlog_close(struct backlog *b)
{
	PQfinish(b->conn);
	b->conn = NULL;
}

/* Drops the connection after a failure WHY (logged once per outage), holding off retries. */
static void
went_down(struct backlog *b, const char *why)
{
	if (!b->down)
		relay_log("database unavailable: %s", why);
	b->down = 1;
	backlog_close(b);
	clock_gettime(CLOCK_MONOTONIC, &b->retry_at);
	b->retry_at.tv_sec += 1;
}

/* Applies the session settings and prepares every statement; 1 on success. */
static int
set_up(struct backlog *b)
{
	char timeout[32];
	const char *params[1] = { timeout };
	PGresult *r;
	int ok;

	snprintf(timeout, sizeof(timeout), "%d", b->cfg->statement_timeout);
	r = PQexecParams(b->conn, "SELECT set_config('statement_timeout', $1, false)", 1, NULL,
	    params, NULL, NULL, 0);
	ok = PQresultStatus(r) == PGRES_TUPLES_OK;
	PQclear(r);
	for (int s = 0; ok && s < ST__MAX; s++) {
		r = PQprepare(b->conn, stmt_name[s], stmt_sql[s], stmt_nparams[s], NULL);
		ok = PQresultStatus(r) == PGRES_COMMAND_OK;
		PQclear(r);
	}
	return ok;
}

/* Connects unless connected (or a retry is not due yet); 1 when a connection is ready. */
static int
ready(struct backlog *b)
{
	const char *keys[] = { "dbname", "connect_timeout", "application_name", NULL };
	char timeout[16];
	const char *values[] = { b->cfg->database_url, timeout, "fieldsync-relay", NULL };
	struct timespec now;

	if (b->conn)
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (b->down && (now.tv_sec < b->retry_at.tv_sec ||
	    (now.tv_sec == b->retry_at.tv_sec && now.tv_nsec < b->retry_at.tv_nsec)))
		return 0;
	snprintf(timeout, sizeof(timeout), "%d", b->cfg->connect_timeout);
	b->conn = PQconnectdbParams(keys, values, 1);
	if (!b->conn) {
		went_down(b, "out of memory");
		return 0;
	}
	if (PQstatus(b->conn) != CONNECTION_OK || !set_up(b)) {
		went_down(b, PQerrorMessage(b->conn));
		return 0;
	}
	if (b->down)
		relay_log("database connected again");
	b->down = 0;
	return 1;
}

/*
 * Runs prepared statement S with PARAMS; returns its result (the caller PQclear()s it) when
 * it produced rows, else NULL (logged). A connection found dead is reopened and S tried once more.
 */
static PGresult *
run(struct backlog *b, enum stmt s, const char *const *params)
{
	PGresult *r;

	for (int attempt = 0; attempt < 2; attempt++) {
		if (!ready(b))
			return NULL;
		r = PQexecPrepared(b->conn, stmt_name[s], stmt_nparams[s], params, NULL, NULL, 0);
		if (PQresultStatus(r) == PGRES_TUPLES_OK)
			return r;
		PQclear(r);
		if (PQstatus(b->conn) != CONNECTION_BAD) {
			relay_log("%s failed: %s", stmt_name[s], PQerrorMessage(b->conn));
			return NULL;
		}
		went_down(b, PQerrorMessage(b->conn));
		b->retry_at.tv_sec -= 1;	/* the server restarted: reconnect right away */
	}
	return NULL;
}

/* Runs S and reads its one bigint cell into *OUT; 0, or -1. */
static int
run_int(struct backlog *b, enum stmt s, const char *const *params, int64_t *out)
{
	PGresult *r = run(b, s, params);
	int ok;

	if (!r)
		return -1;
	ok = PQntuples(r) == 1 && !PQgetisnull(r, 0, 0);
	if (ok)
		*out = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	return ok ? 0 : -1;
}

int
backlog_head(struct backlog *b, int64_t *head)
{
	return run_int(b, ST_HEAD, NULL, head);
}

int
backlog_horizon(struct backlog *b, int64_t *pruned)
{
	return run_int(b, ST_HORIZON, NULL, pruned);
}

PGresult *
backlog_fetch(struct backlog *b, int64_t after, int64_t upto, int limit)
{
	char a[24], u[24], l[16];
	const char *params[3] = { a, u, l };

	snprintf(a, sizeof(a), "%" PRId64, after);
	snprintf(u, sizeof(u), "%" PRId64, upto);
	snprintf(l, sizeof(l), "%d", limit);
	return run(b, ST_FETCH, params);
}

int
backlog_prune(struct backlog *b, int days, long long *gone)
{
	char d[16];
	const char *params[1] = { d };
	int64_t n = 0;

	snprintf(d, sizeof(d), "%d", days);
	if (run_int(b, ST_PRUNE, params, &n) < 0)
		return -1;
	*gone = n;
	return 0;
}
