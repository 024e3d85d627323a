/* backlog.c - the relay's statements over lib's fs_pg, fs_changelog and fs_auth, queued. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backlog.h"
#include "log.h"

/* The relay's own statements: what ends or narrows someone's rights (migration 006's
 * auth_changes), followed by the relay, and its byte-bounded pages of the change log. */
enum { AUTH_HEAD, AUTH_AFTER, RANGE_PAGE, RELAY__MAX };
static const struct fs_pg_stmt relay_stmts[RELAY__MAX] = {
	[AUTH_HEAD] = { "relay_auth_head", "SELECT coalesce(max(seq), 0) FROM auth_changes", 0 },
	[AUTH_AFTER] = { "relay_auth_after", "SELECT seq, user_id::text, why FROM auth_changes"
	    " WHERE seq > $1::bigint ORDER BY seq LIMIT 1000", 1 },
	[RANGE_PAGE] = { "relay_range_page", BACKLOG_PAGE_SQL, 4 },
};

/*
 * Statements a lane may hold waiting: every stream opening and every session looked up
 * again after an auth change is one, both bounded by max_clients, so a burst of either
 * (clients reconnecting after a restart) waits its turn; 1,024 more for the relay's own.
 * About 320 bytes each: 6.7 MB at the default 10,000 clients, only while a burst waits.
 */
static size_t
lane_queries(const struct fs_config *cfg)
{
	return 2 * (size_t)cfg->max_clients + 1024;
}

int
backlog_init(struct backlog *b, const struct fs_config *cfg, struct event_base *base)
{
	static const char *const names[LANES] = {
		[LANE_LIVE] = "fieldsync-relay", [LANE_CATCHUP] = "fieldsync-relay-catchup",
		[LANE_CONTROL] = "fieldsync-relay-control",
		[LANE_UPKEEP] = "fieldsync-relay-upkeep",
	};

	memset(b, 0, sizeof(*b));
	for (int i = 0; i < LANES; i++) {
		struct lane *l = &b->lane[i];

		/* Custom plans: the range statement's "$n IS NULL OR" bounds use the seq index. */
		fs_pg_init(&l->pg, cfg, names[i], FS_PG_HOLD_OFF | FS_PG_CUSTOM_PLANS);
		l->pg.log = relay_log;
		if (fs_changelog_init(&l->log, &l->pg) != FS_OK || fs_auth_init(&l->auth, &l->pg, cfg) != FS_OK
		    || fs_pg_add(&l->pg, relay_stmts, RELAY__MAX) != FS_OK || queries_init(&l->q, &l->pg, base, lane_queries(cfg)) < 0)
			return -1;
		l->auth.cache_ms = 0;
	}
	return 0;
}

void
backlog_close(struct backlog *b)
{
	for (int i = 0; i < LANES; i++) {
		queries_release(&b->lane[i].q);
		fs_pg_close(&b->lane[i].pg);
		fs_changelog_release(&b->lane[i].log);
		fs_auth_release(&b->lane[i].auth);
	}
}

void
backlog_cancel(struct backlog *b, const void *arg)
{
	for (int i = 0; i < LANES; i++)
		queries_cancel(&b->lane[i].q, arg);
}

size_t
backlog_waiting(const struct backlog *b)
{
	size_t n = 0;

	for (int i = 0; i < LANES; i++)
		n += queries_waiting(&b->lane[i].q);
	return n;
}

/* Queues ST with PARAMS in lane L of B. */
static int
submit(struct backlog *b, enum lane_name l, const struct fs_pg_stmt *st, const char *const *params,
    query_done *done, void *arg)
{
	/* A lane that lost the database connects again at once when another one has it back:
	 * answered within the last second. */
	if (!fs_pg_connected(&b->lane[l].pg)) {
		struct timespec now;

		clock_gettime(CLOCK_MONOTONIC, &now);
		for (int k = 0; k < LANES; k++)
			if (b->lane[k].q.answered_at && now.tv_sec - b->lane[k].q.answered_at <= 1) {
				fs_pg_retry_now(&b->lane[l].pg);
				break;
			}
	}
	return queries_submit(&b->lane[l].q, st, params, done, arg);
}

int
backlog_head(struct backlog *b, query_done *done, void *arg)
{
	return submit(b, LANE_LIVE, fs_changelog_statement(FS_CHANGELOG_Q_HEAD), NULL, done, arg);
}

int
backlog_horizon(struct backlog *b, query_done *done, void *arg)
{
	return submit(b, LANE_CONTROL, fs_changelog_statement(FS_CHANGELOG_Q_HORIZON), NULL, done, arg);
}

int
backlog_auth_head(struct backlog *b, query_done *done, void *arg)
{
	return submit(b, LANE_CONTROL, &relay_stmts[AUTH_HEAD], NULL, done, arg);
}

int
backlog_auth_changes(struct backlog *b, int64_t after, query_done *done, void *arg)
{
	char a[24];
	const char *params[1] = { a };

	snprintf(a, sizeof(a), "%lld", (long long)after);
	return submit(b, LANE_CONTROL, &relay_stmts[AUTH_AFTER], params, done, arg);
}

int
backlog_lookup(struct backlog *b, const unsigned char *hash, query_done *done, void *arg)
{
	char hex[2 * FS_TOKEN_HASH_LEN + 3], idle[24];
	const char *params[2];
	const struct fs_pg_stmt *st = fs_auth_lookup_query(&b->lane[LANE_CONTROL].auth, hash, hex, idle, params);

	return submit(b, LANE_CONTROL, st, params, done, arg);
}

int
backlog_prune(struct backlog *b, int days, query_done *done, void *arg)
{
	char d[24];
	const char *params[1] = { d };

	snprintf(d, sizeof(d), "%d", days);
	return submit(b, LANE_UPKEEP, fs_changelog_statement(FS_CHANGELOG_Q_PRUNE), params, done, arg);
}

/* Queues a page of the change log (BACKLOG_PAGE_SQL) in lane L. */
static int
page(struct backlog *b, enum lane_name l, int64_t after, int64_t upto, int limit, size_t max_bytes,
    query_done *done, void *arg)
{
	char a[24], u[24], n[24], m[24];
	const char *params[4] = { a, u, n, m };

	snprintf(a, sizeof(a), "%lld", (long long)after);
	snprintf(u, sizeof(u), "%lld", (long long)upto);
	snprintf(n, sizeof(n), "%d", limit);
	snprintf(m, sizeof(m), "%zu", max_bytes);
	return submit(b, l, &relay_stmts[RANGE_PAGE], params, done, arg);
}

int
backlog_fetch(struct backlog *b, int64_t after, int64_t upto, int limit, size_t max_bytes,
    query_done *done, void *arg)
{
	return page(b, LANE_LIVE, after, upto, limit, max_bytes, done, arg);
}

int
backlog_catchup(struct backlog *b, int64_t after, int64_t upto, int limit, size_t max_bytes,
    query_done *done, void *arg)
{
	return page(b, LANE_CATCHUP, after, upto, limit, max_bytes, done, arg);
}

int
backlog_range_ended(const PGresult *res, int limit)
{
	int n = PQntuples(res);

	return n == 0 || (n < limit && strtoll(PQgetvalue(res, 0, BACKLOG_PAGE_ROWS), NULL, 10) == n);
}

struct frame *
backlog_frame(const PGresult *res, int k)
{
	return frame_new(strtoll(PQgetvalue(res, k, FS_CHANGELOG_SEQ), NULL, 10),
	    PQgetvalue(res, k, FS_CHANGELOG_TYPE), PQgetvalue(res, k, FS_CHANGELOG_BRANCH),
	    PQgetisnull(res, k, FS_CHANGELOG_OWNER) ? NULL : PQgetvalue(res, k, FS_CHANGELOG_OWNER),
	    PQgetvalue(res, k, FS_CHANGELOG_EVENT));
}

const struct fs_tables *
backlog_tables(const struct backlog *b)
{
	return &b->lane[LANE_CONTROL].log.tables;
}

bool
backlog_tables_known(const struct backlog *b)
{
	return b->lane[LANE_CONTROL].log.tables_gen != 0;
}

static void
on_tables(void *arg, PGresult *res)
{
	struct backlog *b = arg;
	struct fs_error err = FS_ERROR_INIT;

	b->loading_tables = false;
	/* While the database is away the list we have stays true: tables are only ever added. */
	if (res && fs_changelog_tables_take(&b->lane[LANE_CONTROL].log, res, &err) != FS_OK)
		relay_log("the tracked tables cannot be read: %s", err.message);
	fs_error_clear(&err);
}

void
backlog_refresh_tables(struct backlog *b)
{
	if (b->loading_tables || !fs_changelog_tables_due(&b->lane[LANE_CONTROL].log))
		return;
	b->loading_tables = submit(b, LANE_CONTROL, fs_changelog_statement(FS_CHANGELOG_Q_TABLES), NULL,
	    on_tables, b) == 0;
}
