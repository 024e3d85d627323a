/* backlog.c - the relay's change log access over lib's fs_pg and fs_changelog. */
#include "backlog.h"
#include "log.h"

int
backlog_init(struct backlog *b, const struct fs_config *cfg)
{
	/* Custom plans: the range statement's "$n IS NULL OR" bounds use the seq index. */
	fs_pg_init(&b->pg, cfg, "fieldsync-relay", FS_PG_HOLD_OFF | FS_PG_CUSTOM_PLANS);
	b->pg.log = relay_log;
	return fs_changelog_init(&b->log, &b->pg) == FS_OK ? 0 : -1;
}

void
backlog_close(struct backlog *b)
{
	fs_pg_close(&b->pg);
	fs_changelog_release(&b->log);
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
backlog_fetch(struct backlog *b, int64_t after, int64_t upto, int limit)
{
	const struct fs_changelog_range q = { .after = after, .upto = upto, .limit = limit };
	struct fs_error err = FS_ERROR_INIT;
	PGresult *r = NULL;

	if (result(fs_changelog_since(&b->log, &q, &r, &err), &err) < 0)
		return NULL;
	return r;
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
