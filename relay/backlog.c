/* backlog.c - the relay's change log access over lib's fs_pg and fs_changelog. */
#include <stdio.h>
#include <stdlib.h>

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

int
backlog_init(struct backlog *b, const struct fs_config *cfg)
{
	/* Custom plans: the range statement's "$n IS NULL OR" bounds use the seq index. */
	fs_pg_init(&b->pg, cfg, "fieldsync-relay", FS_PG_HOLD_OFF | FS_PG_CUSTOM_PLANS);
	b->pg.log = relay_log;
	if (fs_changelog_init(&b->log, &b->pg) != FS_OK || fs_auth_init(&b->auth, &b->pg, cfg) != FS_OK
	    || fs_pg_add(&b->pg, relay_stmts, RELAY__MAX) != FS_OK)
		return -1;
	b->auth.cache_ms = 0;
	return 0;
}

void
backlog_close(struct backlog *b)
{
	fs_pg_close(&b->pg);
	fs_changelog_release(&b->log);
	fs_auth_release(&b->auth);
}

PGresult *
backlog_auth_changes(struct backlog *b, int64_t after)
{
	char a[24];
	const char *params[1] = { a };
	struct fs_error err = FS_ERROR_INIT;
	PGresult *r = NULL;

	snprintf(a, sizeof(a), "%lld", (long long)after);
	if (fs_pg_exec(&b->pg, &relay_stmts[AUTH_AFTER], params, &r, &err) != FS_OK) {
		PQclear(r);
		r = NULL;
	}
	fs_error_clear(&err);
	return r;
}

int
backlog_auth_head(struct backlog *b, int64_t *seq)
{
	struct fs_error err = FS_ERROR_INIT;
	PGresult *r = NULL;
	int ok = fs_pg_exec(&b->pg, &relay_stmts[AUTH_HEAD], NULL, &r, &err) == FS_OK
	    && PQntuples(r) == 1;

	if (ok)
		*seq = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	fs_error_clear(&err);
	return ok ? 0 : -1;
}

/* 0 for FS_OK, else -1 (fs_pg logged why); clears ERR. */
static int
result(enum fs_err rc, struct fs_error *err)
{
	fs_error_clear(err);
	return rc == FS_OK ? 0 : -1;
}

int
backlog_head(struct backlog *b, int64_t *head)
{
	struct fs_error err = FS_ERROR_INIT;

	return result(fs_changelog_head(&b->log, head, &err), &err);
}

int
backlog_horizon(struct backlog *b, int64_t *pruned)
{
	struct fs_error err = FS_ERROR_INIT;

	return result(fs_changelog_horizon(&b->log, pruned, &err), &err);
}

PGresult *
backlog_fetch(struct backlog *b, int64_t after, int64_t upto, int limit, size_t max_bytes)
{
	char a[24], u[24], l[24], m[24];
	const char *params[4] = { a, u, l, m };
	struct fs_error err = FS_ERROR_INIT;
	PGresult *r = NULL;

	snprintf(a, sizeof(a), "%lld", (long long)after);
	snprintf(u, sizeof(u), "%lld", (long long)upto);
	snprintf(l, sizeof(l), "%d", limit);
	snprintf(m, sizeof(m), "%zu", max_bytes);
	if (fs_pg_exec(&b->pg, &relay_stmts[RANGE_PAGE], params, &r, &err) != FS_OK) {
		PQclear(r);
		r = NULL;
	}
	fs_error_clear(&err);
	return r;
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
backlog_tables(struct backlog *b)
{
	struct fs_error err = FS_ERROR_INIT;
	const struct fs_tables *t = NULL;

	fs_changelog_tables(&b->log, &t, &err);
	fs_error_clear(&err);
	return t ? t : &b->log.tables;
}

int
backlog_prune(struct backlog *b, int days, long long *gone)
{
	struct fs_error err = FS_ERROR_INIT;
	int64_t n = 0;
	int rc = result(fs_changelog_prune(&b->log, days, &n, &err), &err);

	*gone = (long long)n;
	return rc;
}
