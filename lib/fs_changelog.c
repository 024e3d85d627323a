/* fs_changelog.c - the change log's statements, prepared on the shared connection. */
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs_changelog.h"
#include "fs_log.h"

#define TABLES_TTL 60		/* seconds a loaded table list is trusted on one connection */
#define TABLES_TTL_UNDECLARED 5	/* ... while a table's workers have not yet recorded its declaration */

enum stmt { ST_HEAD, ST_HORIZON, ST_SINCE, ST_PAGE, ST_PRUNE, ST_OF_XID, ST_MINE, ST_TABLES, ST__MAX };

/* The head: the newest seq, or the horizon when retention pruned every entry. */
#define HEAD "greatest((SELECT coalesce(max(seq), 0) FROM change_log)," \
	" (SELECT coalesce(max(pruned_through), 0) FROM change_log_horizon))"

/*
 * The range of fs_changelog_since and fs_changelog_page: $1 after, $2 upto, $4 patterns,
 * $5 branch, and what the reader may see: $6 rights (NULL: everything; see
 * fs_changelog_range), $7 the reader's login for the rows it owns.
 */
#define RANGE "c.seq > $1::bigint AND ($2::bigint IS NULL OR c.seq <= $2::bigint)" \
	" AND ($4::text[] IS NULL OR (c.resource || ':' || c.action) LIKE ANY ($4::text[]))" \
	" AND ($5::text IS NULL OR c.branch = $5::text)" \
	" AND ($6::jsonb IS NULL OR c.branch = ANY (($6::jsonb -> c.resource ->> 'all')::text[])" \
	" OR (c.owner = $7::text AND c.branch = ANY (($6::jsonb -> c.resource ->> 'own')::text[])))"

static const struct fs_pg_stmt stmts[ST__MAX] = {
	[ST_HEAD] = { "changelog_head", "SELECT " HEAD, 0 },
	[ST_HORIZON] = { "changelog_horizon",
	    "SELECT coalesce(max(pruned_through), 0) FROM change_log_horizon", 0 },
	[ST_SINCE] = { "changelog_since",
	    "SELECT c.seq, c.resource || ':' || c.action, c.branch, fs_change_event(c), c.owner"
	    " FROM change_log c WHERE " RANGE " ORDER BY c.seq LIMIT $3::integer", 7 },
	/*
	 * One more than the limit says whether more follow; a page also ends at the last entry
	 * within $8 bytes (the first always counts).
	 */
	[ST_PAGE] = { "changelog_page",
	    "WITH page AS (SELECT c.seq, fs_change_event(c) AS ev FROM change_log c WHERE " RANGE
	    " ORDER BY c.seq LIMIT $3::integer + 1),"
	    " numbered AS (SELECT seq, ev, row_number() OVER w AS i, sum(octet_length(ev)) OVER w AS b"
	    " FROM page WINDOW w AS (ORDER BY seq)),"
	    " marked AS (SELECT seq, ev, i <= $3::integer AND (i = 1 OR b <= $8::bigint) AS kept"
	    " FROM numbered)"
	    " SELECT '[' || coalesce(string_agg(ev, ',' ORDER BY seq) FILTER (WHERE kept), '')"
	    " || ']', count(*) > count(*) FILTER (WHERE kept), max(seq) FILTER (WHERE kept),"
	    " (SELECT coalesce(max(pruned_through), 0) FROM change_log_horizon), " HEAD " FROM marked", 8 },
	[ST_PRUNE] = { "changelog_prune", "SELECT fs_prune_change_log(make_interval(days => $1::integer))", 1 },
	[ST_OF_XID] = { "changelog_of_xid", "SELECT c.resource || ':' || c.action, c.seq::text"
	    " FROM change_log c WHERE c.xid = $1::xid8 ORDER BY c.seq", 1 },
	/* A small transaction's entries whole, for the relay to deliver from the message. */
	[ST_MINE] = { "changelog_mine", "SELECT c.resource || ':' || c.action, c.seq::text, c.branch,"
	    " CASE WHEN count(*) OVER () <= " FS_CHANGELOG_WHOLE " THEN fs_change_event(c) END, c.owner"
	    " FROM change_log c WHERE c.xid = pg_current_xact_id() ORDER BY c.seq", 0 },
	[ST_TABLES] = { "changelog_tables", "SELECT name, declaration::text FROM change_log_tables"
	    " ORDER BY name COLLATE \"C\"", 0 },
};

enum fs_err
fs_changelog_init(struct fs_changelog *cl, struct fs_pg *pg)
{
	memset(cl, 0, sizeof(*cl));
	cl->pg = pg;
	return fs_pg_add(pg, stmts, ST__MAX);
}

/* Frees the table list and its declarations. */
static void
free_tables(struct fs_tables *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->names[i]);
		if (t->decl)
			fs_declared_release(&t->decl[i]);
	}
	free(t->names);
	free(t->decl);
	t->names = NULL;
	t->decl = NULL;
	t->n = 0;
}

void
fs_changelog_release(struct fs_changelog *cl)
{
	free_tables(&cl->tables);
	cl->tables_gen = 0;
}

const struct fs_pg_stmt *
fs_changelog_statement(enum fs_changelog_query q)
{
	static const enum stmt of[] = { [FS_CHANGELOG_Q_HEAD] = ST_HEAD,
		[FS_CHANGELOG_Q_HORIZON] = ST_HORIZON, [FS_CHANGELOG_Q_PRUNE] = ST_PRUNE,
		[FS_CHANGELOG_Q_TABLES] = ST_TABLES, [FS_CHANGELOG_Q_MINE] = ST_MINE };

	return &stmts[of[q]];
}

enum fs_err
fs_changelog_number(const PGresult *r, int64_t *out, struct fs_error *err)
{
	if (PQntuples(r) != 1 || PQnfields(r) < 1 || PQgetisnull(r, 0, 0))
		return fs_error_set(err, ERR_INTERNAL, NULL, "the change log answered no number");
	*out = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	return FS_OK;
}

/* Runs S and reads its one bigint cell into *OUT. FS_OK or ERR. */
static enum fs_err
run_int(struct fs_changelog *cl, enum stmt s, const char *const *params, int64_t *out,
    struct fs_error *err)
{
	PGresult *r = NULL;
	enum fs_err rc = fs_pg_exec(cl->pg, &stmts[s], params, &r, err);

	if (rc == FS_OK)
		rc = fs_changelog_number(r, out, err);
	PQclear(r);
	return rc;
}

enum fs_err
fs_changelog_head(struct fs_changelog *cl, int64_t *head, struct fs_error *err)
{
	return run_int(cl, ST_HEAD, NULL, head, err);
}

enum fs_err
fs_changelog_horizon(struct fs_changelog *cl, int64_t *pruned, struct fs_error *err)
{
	return run_int(cl, ST_HORIZON, NULL, pruned, err);
}

/* Runs range statement S over Q into *OUT. */
static enum fs_err
run_range(struct fs_changelog *cl, enum stmt s, const struct fs_changelog_range *q, int64_t upto,
    PGresult **out, struct fs_error *err)
{
	char a[24], u[24], l[16], b[24];
	const char *params[8] = { a, upto >= 0 ? u : NULL, l, q->patterns, q->branch, q->rights,
		q->login, b };
	enum fs_err rc;

	snprintf(a, sizeof(a), "%" PRId64, q->after);
	snprintf(u, sizeof(u), "%" PRId64, upto);
	snprintf(l, sizeof(l), "%d", q->limit);
	snprintf(b, sizeof(b), "%ld", q->max_bytes > 0 ? q->max_bytes : LONG_MAX);
	rc = fs_pg_exec(cl->pg, &stmts[s], params, out, err);
	if (rc != FS_OK) {
		PQclear(*out);
		*out = NULL;
	}
	return rc;
}

enum fs_err
fs_changelog_since(struct fs_changelog *cl, const struct fs_changelog_range *q, PGresult **out,
    struct fs_error *err)
{
	return run_range(cl, ST_SINCE, q, q->upto, out, err);
}

enum fs_err
fs_changelog_page(struct fs_changelog *cl, const struct fs_changelog_range *q,
    struct fs_changelog_page *page, struct fs_error *err)
{
	PGresult *r = NULL;
	enum fs_err rc = run_range(cl, ST_PAGE, q, -1, &r, err);

	memset(page, 0, sizeof(*page));
	if (rc != FS_OK)
		return rc;
	page->more = PQgetvalue(r, 0, 1)[0] == 't';
	page->horizon = strtoll(PQgetvalue(r, 0, 3), NULL, 10);
	page->head = strtoll(PQgetvalue(r, 0, 4), NULL, 10);
	page->next = page->more ? strtoll(PQgetvalue(r, 0, 2), NULL, 10) : page->head;
	if (!(page->changes = strdup(PQgetvalue(r, 0, 0))))
		rc = fs_error_set(err, ERR_INTERNAL, NULL, "out of memory");
	PQclear(r);
	return rc;
}

enum fs_err
fs_changelog_prune(struct fs_changelog *cl, int days, int64_t *gone, struct fs_error *err)
{
	char d[16];
	const char *params[1] = { d };

	snprintf(d, sizeof(d), "%d", days);
	return run_int(cl, ST_PRUNE, params, gone, err);
}

enum fs_err
fs_changelog_of_xid(struct fs_changelog *cl, const char *xid, PGresult **out, struct fs_error *err)
{
	const char *params[1] = { xid };
	enum fs_err rc = fs_pg_exec(cl->pg, &stmts[ST_OF_XID], params, out, err);

	if (rc != FS_OK) {
		PQclear(*out);
		*out = NULL;
	}
	return rc;
}

/* Seconds on a clock that only moves forward. */
static time_t
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/*
 * Reads the declaration of row I of R (change_log_tables) into D; a missing one leaves D
 * empty and sets *UNDECLARED, one that cannot be read leaves D empty too (only admin sees
 * that table's changes) and is logged. FS_OK, or ERR_INTERNAL out of memory.
 */
static enum fs_err
load_declaration(const PGresult *r, int i, struct fs_declared *d,
    bool *undeclared, struct fs_error *err)
{
	struct fs_error bad = FS_ERROR_INIT;
	enum fs_err rc;

	if (PQgetisnull(r, i, 1)) {
		*undeclared = true;
		return FS_OK;
	}
	rc = fs_declared_parse(d, PQgetvalue(r, i, 1), &bad);
	if (rc != FS_OK) {
		fs_declared_release(d);
		if (rc == ERR_INTERNAL)
			return fs_error_set(err, ERR_INTERNAL, NULL, "out of memory");
		fs_log(FS_LOG_WARN, "the declaration of %s cannot be read (%s): only admin sees its"
		    " changes", PQgetvalue(r, i, 0), bad.message);
	}
	fs_error_clear(&bad);
	return FS_OK;
}

enum fs_err
fs_changelog_tables_take(struct fs_changelog *cl, const PGresult *r, struct fs_error *err)
{
	struct fs_tables t = { NULL, 0, NULL };
	enum fs_err rc = FS_OK;
	int n = PQntuples(r);
	bool undeclared = false;

	if (rc == FS_OK && n > 0) {
		t.names = calloc((size_t)n, sizeof(*t.names));
		t.decl = calloc((size_t)n, sizeof(*t.decl));
		if (!t.names || !t.decl)
			rc = fs_error_set(err, ERR_INTERNAL, NULL, "out of memory");
		else
			t.n = (size_t)n;	/* every slot is freeable from here: NULL or filled */
	}
	for (size_t i = 0; rc == FS_OK && i < t.n; i++) {
		if (!(t.names[i] = strdup(PQgetvalue(r, (int)i, 0))))
			rc = fs_error_set(err, ERR_INTERNAL, NULL, "out of memory");
		else
			rc = load_declaration(r, (int)i, &t.decl[i], &undeclared, err);
	}
	if (rc != FS_OK) {
		free_tables(&t);
		return rc;
	}
	free_tables(&cl->tables);
	cl->tables = t;
	cl->tables_gen = fs_pg_generation(cl->pg);
	cl->tables_at = now_s();
	cl->tables_ttl = undeclared ? TABLES_TTL_UNDECLARED : TABLES_TTL;
	return FS_OK;
}

/* Reads change_log_tables, names and declarations, into cl->tables. FS_OK or ERR (the old list is kept). */
static enum fs_err
load_tables(struct fs_changelog *cl, struct fs_error *err)
{
	PGresult *r = NULL;
	enum fs_err rc = fs_pg_exec(cl->pg, &stmts[ST_TABLES], NULL, &r, err);

	if (rc == FS_OK)
		rc = fs_changelog_tables_take(cl, r, err);
	PQclear(r);
	return rc;
}

bool
fs_changelog_tables_due(const struct fs_changelog *cl)
{
	return cl->tables_gen != fs_pg_generation(cl->pg) || now_s() - cl->tables_at >= cl->tables_ttl;
}

enum fs_err
fs_changelog_tables(struct fs_changelog *cl, const struct fs_tables **out, struct fs_error *err)
{
	enum fs_err rc = fs_pg_ready(cl->pg, err);

	*out = &cl->tables;
	if (rc == FS_OK && fs_changelog_tables_due(cl))
		rc = load_tables(cl, err);
	if (rc != FS_OK && cl->tables_gen) {
		/* Tables are only ever added: the list we have stays true while the database is away. */
		fs_error_clear(err);
		return FS_OK;
	}
	return rc;
}
