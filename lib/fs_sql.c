/* fs_sql.c - SQL text generated from a resource declaration (open_memstream builds it). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs_model.h"
#include "fs_sql.h"

/* The first parameter of the scope in STMT_GET. */
#define GET_SCOPE 2

static const char *const names[STMT__MAX] = {
	[STMT_GET] = "get", [STMT_LOCK] = "lock", [STMT_INSERT] = "insert",
	[STMT_INSERT_MANY] = "insert_many",
	[STMT_UPDATE] = "update", [STMT_DELETE] = "delete", [STMT_IDEM_EXPIRE] = "idem_expire",
	[STMT_IDEM_CLAIM] = "idem_claim", [STMT_IDEM_LOOKUP] = "idem_lookup",
	[STMT_IDEM_SAVE] = "idem_save", [STMT_IDEM_PRUNE] = "idem_prune", [STMT_XID] = "xid",
	[STMT_ACTOR] = "actor", [STMT_DEADLINE] = "deadline",
};

static const char *const sql_types[COL__MAX] = {
	[COL_TEXT] = "text", [COL_ENUM] = "text", [COL_UUID] = "uuid", [COL_DATE] = "date",
	[COL_TIMESTAMP] = "timestamptz", [COL_INT] = "integer", [COL_NUMERIC] = "numeric",
	[COL_DOUBLE] = "double precision", [COL_OBJECT] = "jsonb", [COL_ARRAY] = "jsonb",
};

/* Statements that do not depend on the resource. */
static const char *const fixed_sql[STMT__MAX] = {
	[STMT_IDEM_EXPIRE] = "DELETE FROM idempotency_keys WHERE resource = $1 AND key = $2"
	    " AND created_at < now() - make_interval(secs => $3::double precision)",
	[STMT_IDEM_CLAIM] = "INSERT INTO idempotency_keys (resource, key, request_hash)"
	    " VALUES ($1, $2, md5($3)) ON CONFLICT DO NOTHING RETURNING 1",
	[STMT_IDEM_LOOKUP] = "SELECT request_hash = md5($3), status, body FROM idempotency_keys"
	    " WHERE resource = $1 AND key = $2",
	[STMT_IDEM_SAVE] = "UPDATE idempotency_keys SET status = $3::integer, body = $4"
	    " WHERE resource = $1 AND key = $2",
	[STMT_IDEM_PRUNE] = "DELETE FROM idempotency_keys"
	    " WHERE created_at < now() - make_interval(secs => $1::double precision)",
	[STMT_XID] = "SELECT pg_current_xact_id()::text",
	[STMT_ACTOR] = "SELECT set_config('fieldsync.actor', $1, true)",
	[STMT_DEADLINE] = "SELECT set_config('statement_timeout', $1, true),"
	    " set_config('lock_timeout', $1, true)",
};

int
fs_sql_scope_params(const struct fs_resource *res)
{
	return res->owner ? 3 : 1;
}

const char *
fs_sql_name(enum fs_stmt s)
{
	return names[s];
}

/* The number of parameters of statement S for RES. */
static int
nparams(const struct fs_resource *res, enum fs_stmt s)
{
	static const int fixed[STMT__MAX] = {
		[STMT_LOCK] = 1, [STMT_INSERT] = 1, [STMT_INSERT_MANY] = 1, [STMT_UPDATE] = 3, [STMT_DELETE] = 1,
		[STMT_IDEM_EXPIRE] = 3, [STMT_IDEM_CLAIM] = 3, [STMT_IDEM_LOOKUP] = 3,
		[STMT_IDEM_SAVE] = 4, [STMT_IDEM_PRUNE] = 1, [STMT_XID] = 0, [STMT_ACTOR] = 1,
		[STMT_DEADLINE] = 1,
	};
	if (s == STMT_GET)
		return GET_SCOPE - 1 + fs_sql_scope_params(res);
	return fixed[s];
}

/* The SQL type of column NAME of RES. */
static const char *
type_of(const struct fs_resource *res, const char *name)
{
	const struct fs_column *c = fs_model_column(res, name);

	return c ? sql_types[c->type] : "text";
}

/* Writes the WHERE condition of filter F, whose value is parameter N. */
static void
write_filter(FILE *f, const struct fs_resource *res, const struct fs_filter *flt, int n)
{
	const char *col = flt->columns[0];

	switch (flt->kind) {
	case FILTER_EQ:
		fprintf(f, "t.%s = $%d::%s", col, n, type_of(res, col));
		break;
	case FILTER_SEARCH:
		fputc('(', f);
		for (int i = 0; i < FS_FILTER_COLUMNS && flt->columns[i]; i++)
			fprintf(f, "%st.%s ILIKE $%d::text", i ? " OR " : "", flt->columns[i], n);
		fputc(')', f);
		break;
	case FILTER_DAY:
		if (strcmp(type_of(res, col), "date") == 0)
			fprintf(f, "t.%s = $%d::date", col, n);
		else
			fprintf(f, "t.%s >= $%d::date AND t.%s < $%d::date + 1", col, n, col, n);
		break;
	case FILTER_SPAN:
		fprintf(f, "t.%s <= $%d::date AND (t.%s IS NULL OR t.%s >= $%d::date)",
		    col, n, flt->columns[1], flt->columns[1], n);
		break;
	case FILTER__MAX:
		break;
	}
}

/* The scope condition on row t, its parameters from N (fs_sql_scope_params). */
static void
write_scope(FILE *f, const struct fs_resource *res, int n)
{
	fprintf(f, "($%d::text[] IS NULL OR t.branch = ANY ($%d::text[])", n, n);
	if (res->owner)
		fprintf(f, " OR (t.branch = ANY ($%d::text[]) AND t.%s = $%d::text)", n + 1, res->owner,
		    n + 2);
	fputc(')', f);
}

/* The scope condition of a list: rows in the branches of $N, or one's own in those of $N+1. */
static void
write_list_scope(FILE *f, const struct fs_resource *res, int n)
{
	fprintf(f, "(t.branch = ANY ($%d::text[])", n);
	if (res->owner)
		fprintf(f, " OR (t.branch = ANY ($%d::text[]) AND t.%s = $%d::text)", n + 1, res->owner,
		    n + 2);
	fputc(')', f);
}

/*
 * The keyset page: rows in scope after the cursor, filtered, one more than asked for, each
 * with its cursor last. The worker makes their JSON (fs_rowjson) and ends the page at its
 * byte bound, reading the rows one by one.
 */
char *
fs_sql_list(const struct fs_resource *res, unsigned parts, int *nparams)
{
	const char *k = res->sort, *dir = res->sort_desc ? " DESC" : "";
	int n = 2, conditions = 0;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return NULL;
	fprintf(f, "SELECT t.*, t.%s::text || '|' || t.id::text FROM %s t", k, res->table);
	if (parts & FS_LIST_AFTER) {
		fprintf(f, " WHERE (t.%s, t.id) %c ($%d::text::%s, $%d::uuid)", k,
		    res->sort_desc ? '<' : '>', n, type_of(res, k), n + 1);
		n += 2;
		conditions++;
	}
	if (parts & FS_LIST_SCOPED) {
		fputs(conditions++ ? " AND " : " WHERE ", f);
		write_list_scope(f, res, n);
		n += fs_sql_scope_params(res);
	}
	for (int i = 0; i < fs_model_nfilters(res); i++) {
		if (!(parts & FS_LIST_FILTER(i)))
			continue;
		fputs(conditions++ ? " AND " : " WHERE ", f);
		write_filter(f, res, fs_model_filter(res, i), n++);
	}
	fprintf(f, " ORDER BY t.%s%s, t.id%s LIMIT $1::integer + 1", k, dir, dir);
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	*nparams = n - 1;
	return text;
}

/* The owner column of row T as text, or NULL, for the caller's permission check. */
static void
write_owner(FILE *f, const struct fs_resource *res, const char *t)
{
	if (res->owner)
		fprintf(f, "%s.%s::text", t, res->owner);
	else
		fputs("NULL::text", f);
}

/*
 * Create one row -> (outcome, row json or tombstone seq, branch, owner). An existing id
 * answers whether its content is the same (e) or not (d); the id of a deleted row answers
 * its tombstone (x), never a new row.
 */
static void
write_insert(FILE *f, const struct fs_resource *res)
{
	const struct fs_column *c;

	fprintf(f, "WITH r AS (SELECT * FROM jsonb_populate_record(NULL::%s, $1::jsonb)),"
	    " gone AS (SELECT g.seq FROM tombstones g, r WHERE g.resource = '%s' AND g.row_id = r.id"
	    " AND NOT EXISTS (SELECT 1 FROM %s t WHERE t.id = r.id)),"
	    " ins AS (INSERT INTO %s AS t (id, branch", res->table, res->table, res->table, res->table);
	for (c = res->columns; c->name; c++)
		fprintf(f, ", %s", c->name);
	fputs(") SELECT coalesce(r.id, gen_random_uuid()), r.branch", f);
	for (c = res->columns; c->name; c++)
		fprintf(f, ", r.%s", c->name);
	fputs(" FROM r WHERE NOT EXISTS (SELECT 1 FROM gone) ON CONFLICT (id) DO NOTHING RETURNING t.*)"
	    " SELECT 'c', row_to_json(ins)::text, ins.branch, ", f);
	write_owner(f, res, "ins");
	fprintf(f, " FROM ins"
	    " UNION ALL SELECT CASE WHEN t = jsonb_populate_record(t, $1::jsonb) THEN 'e' ELSE 'd' END,"
	    " row_to_json(t)::text, t.branch, ");
	write_owner(f, res, "t");
	fprintf(f, " FROM %s t, r WHERE t.id = r.id AND NOT EXISTS (SELECT 1 FROM ins)"
	    " UNION ALL SELECT 'x', seq::text, NULL, NULL FROM gone", res->table);
}

/*
 * Create every row of the array $1 in one statement, in the order sent -> one answer per row
 * as write_insert's, ordered as sent. An id sent twice is created once, by its first row; the
 * later ones answer as for an existing row (same content or not). Any deleted id creates
 * nothing at all (the batch fails). A row that neither was created nor exists as the
 * statement sees it (a concurrent insert of its id committed meanwhile) answers no outcome.
 * What costs per row is kept to rows that need it: the rows are read by one
 * jsonb_populate_recordset, only ids the client sent are looked up (tombstones, rows that
 * exist), and only rows not created read the table (OFFSET 0 keeps that lookup behind its
 * condition) or their element of $1 again (the comparison).
 */
static void
write_insert_many(FILE *f, const struct fs_resource *res)
{
	const struct fs_column *c;

	/* The first row of each id, by a window: one sort, where a self-join would be quadratic. */
	fputs("WITH a AS MATERIALIZED (SELECT u.*, row_number() OVER (PARTITION BY u.id ORDER BY u.i) = 1"
	    " AS first FROM (SELECT s.ordinality AS i, s.id IS NOT NULL AS sent,"
	    " coalesce(s.id, gen_random_uuid()) AS id, s.branch", f);
	for (c = res->columns; c->name; c++)
		fprintf(f, ", s.%s", c->name);
	fprintf(f, " FROM jsonb_populate_recordset(NULL::%s, $1::jsonb) WITH ORDINALITY AS s) u),"
	    " gone AS (SELECT a.i, g.seq FROM a, tombstones g WHERE a.sent AND g.resource = '%s'"
	    " AND g.row_id = a.id AND NOT EXISTS (SELECT 1 FROM %s t WHERE t.id = a.id)),"
	    " ins AS (INSERT INTO %s AS t (id, branch", res->table, res->table, res->table, res->table);
	for (c = res->columns; c->name; c++)
		fprintf(f, ", %s", c->name);
	fputs(") SELECT a.id, a.branch", f);
	for (c = res->columns; c->name; c++)
		fprintf(f, ", a.%s", c->name);
	fprintf(f, " FROM a WHERE a.first AND NOT EXISTS (SELECT 1 FROM gone) ORDER BY a.i"
	    " ON CONFLICT (id) DO NOTHING RETURNING t.id, t AS r),"
	    " got AS (SELECT a.i, g.seq, n.id IS NOT NULL AND a.first AS created, coalesce(o.r, n.r) AS cur"
	    " FROM a LEFT JOIN gone g ON g.i = a.i LEFT JOIN ins n ON n.id = a.id"
	    " LEFT JOIN LATERAL (SELECT t AS r FROM %s t WHERE a.sent AND n.id IS NULL AND t.id = a.id"
	    " OFFSET 0) o ON true)"
	    " SELECT CASE WHEN seq IS NOT NULL THEN 'x' WHEN created THEN 'c' WHEN (cur).id IS NULL"
	    " THEN NULL WHEN cur = jsonb_populate_record(cur, $1::jsonb -> (i - 1)::integer) THEN 'e'"
	    " ELSE 'd' END,"
	    " CASE WHEN seq IS NOT NULL THEN seq::text ELSE row_to_json(cur)::text END, (cur).branch, ",
	    res->table);
	if (res->owner)
		fprintf(f, "(cur).%s::text", res->owner);
	else
		fputs("NULL::text", f);
	fputs(" FROM got ORDER BY i", f);
}

/* Change the fields present in $1; a stale version answers the current row instead. */
static void
write_update(FILE *f, const struct fs_resource *res)
{
	fprintf(f, "WITH upd AS (UPDATE %s AS t SET branch = CASE WHEN $1::jsonb ? 'branch'"
	    " THEN p.branch ELSE t.branch END", res->table);
	for (const struct fs_column *c = res->columns; c->name; c++)
		fprintf(f, ", %s = CASE WHEN $1::jsonb ? '%s' THEN p.%s ELSE t.%s END",
		    c->name, c->name, c->name, c->name);
	fprintf(f, ", version = t.version + 1, updated_at = now()"
	    " FROM jsonb_populate_record(NULL::%s, $1::jsonb) AS p"
	    " WHERE t.id = $2::uuid AND ($3::integer IS NULL OR t.version = $3::integer)"
	    " RETURNING t.*)"
	    " SELECT 'u', row_to_json(upd)::text FROM upd"
	    " UNION ALL SELECT 'v', row_to_json(t)::text FROM %s t"
	    " WHERE t.id = $2::uuid AND NOT EXISTS (SELECT 1 FROM upd)", res->table, res->table);
}

/* Generates statement S of RES; returns the text (owned by the caller) or NULL. */
static char *
build_one(const struct fs_resource *res, enum fs_stmt s)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	if (fixed_sql[s])
		return strdup(fixed_sql[s]);
	f = open_memstream(&text, &len);
	if (!f)
		return NULL;
	switch (s) {
	case STMT_GET:
		fprintf(f, "SELECT row_to_json(t)::text, t.version FROM %s t WHERE t.id = $1::uuid AND ",
		    res->table);
		write_scope(f, res, GET_SCOPE);
		break;
	case STMT_LOCK:
		fputs("SELECT row_to_json(t)::text, t.branch, ", f);
		write_owner(f, res, "t");
		fprintf(f, ", %s::text, t.version FROM %s t WHERE t.id = $1::uuid FOR UPDATE",
		    fs_model_column(res, "status") ? "t.status" : "NULL", res->table);
		break;
	case STMT_INSERT:
		write_insert(f, res);
		break;
	case STMT_INSERT_MANY:
		write_insert_many(f, res);
		break;
	case STMT_UPDATE:
		write_update(f, res);
		break;
	case STMT_DELETE:
		fprintf(f, "DELETE FROM %s t WHERE t.id = $1::uuid RETURNING t.id::text", res->table);
		break;
	default:
		break;
	}
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

enum fs_err
fs_sql_build(const struct fs_resource *res, struct fs_sql *sql)
{
	memset(sql, 0, sizeof(*sql));
	for (int s = 0; s < STMT__MAX; s++) {
		sql->text[s] = build_one(res, (enum fs_stmt)s);
		sql->nparams[s] = nparams(res, (enum fs_stmt)s);
		if (!sql->text[s]) {
			fs_sql_release(sql);
			return ERR_INTERNAL;
		}
	}
	return FS_OK;
}

void
fs_sql_release(struct fs_sql *sql)
{
	for (int s = 0; s < STMT__MAX; s++) {
		free(sql->text[s]);
		sql->text[s] = NULL;
	}
}
