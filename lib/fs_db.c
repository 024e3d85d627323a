/* fs_db.c - the worker's statements on the shared connection layer, errors named by field. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs_db.h"
#include "fs_describe.h"
#include "fs_log.h"
#include "fs_model.h"

/*
 * Records the resource's owner column and declaration in change_log_tables, so that the
 * change log's trigger, the feed and the relay learn them from the declaration. Written only
 * when they changed: every worker does this on every new connection.
 */
static void
record_declaration(struct fs_pg *pg, void *arg)
{
	const struct fs_db *db = arg;
	const char *params[3] = { db->res->table, db->res->owner, db->declaration };
	PGresult *r = PQexecParams(pg->conn, "UPDATE change_log_tables SET owner_column = $2,"
	    " declaration = $3::jsonb WHERE name = $1 AND (owner_column IS DISTINCT FROM $2"
	    " OR declaration IS DISTINCT FROM $3::jsonb)", 3, NULL, params, NULL, NULL, 0);

	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		fs_log(FS_LOG_WARN, "cannot record the declaration of %s: %s", db->res->path,
		    PQerrorMessage(pg->conn));
	PQclear(r);
}

enum fs_err
fs_db_init(struct fs_db *db, const struct fs_config *cfg, const char *name,
    const struct fs_resource *res, const struct fs_sql *sql)
{
	char appname[64];

	memset(db, 0, sizeof(*db));
	db->res = res;
	for (int s = 0; s < STMT__MAX; s++)
		db->stmts[s] = (struct fs_pg_stmt){ fs_sql_name((enum fs_stmt)s), sql->text[s],
		    sql->nparams[s] };
	snprintf(appname, sizeof(appname), "fieldsync-%s", name);
	fs_pg_init(&db->pg, cfg, appname, 0);
	if (res) {
		db->nlists = FS_LIST_FILTER(fs_model_nfilters(res));	/* every combination of parts */
		if (!(db->lists = calloc(db->nlists, sizeof(*db->lists)))
		    || !(db->declaration = fs_describe(res)))
			return ERR_INTERNAL;
		db->pg.on_connect = record_declaration;
		db->pg.on_connect_arg = db;
	}
	return fs_pg_add(&db->pg, db->stmts, STMT__MAX);
}

void
fs_db_close(struct fs_db *db)
{
	fs_pg_close(&db->pg);
	free(db->declaration);
	db->declaration = NULL;
	for (unsigned i = 0; i < db->nlists; i++) {
		free((char *)db->lists[i].st.name);
		free((char *)db->lists[i].st.sql);
	}
	free(db->lists);
	db->lists = NULL;
	db->nlists = 0;
}

struct fs_pg_lazy *
fs_db_list(struct fs_db *db, unsigned parts)
{
	struct fs_pg_lazy *l = &db->lists[parts];
	char name[32];
	int n;

	if (l->st.sql)
		return l;
	if (!(l->st.sql = fs_sql_list(db->res, parts, &n)))
		return NULL;
	l->st.nparams = n;
	/*
	 * A search is planned with its pattern (no name: sent unprepared): a cached plan cannot
	 * tell a rare pattern from a common one, and over 100,000 rows it scanned the branch
	 * beside the trigram indexes, 30 times slower (bench/explain-search).
	 */
	for (int i = 0; i < fs_model_nfilters(db->res); i++)
		if ((parts & FS_LIST_FILTER(i)) && fs_model_filter(db->res, i)->kind == FILTER_SEARCH)
			return l;
	snprintf(name, sizeof(name), "list_%x", parts);
	if (!(l->st.name = strdup(name))) {
		free((char *)l->st.sql);
		l->st.sql = NULL;
		return NULL;
	}
	return l;
}

PGresult *
fs_db_exec(struct fs_db *db, enum fs_stmt s, const char *const *params, int deleting,
    struct fs_error *err)
{
	PGresult *r = NULL;

	if (fs_pg_exec(&db->pg, &db->stmts[s], params, &r, err) == FS_OK)
		return r;
	if (r)
		fs_db_map_integrity(r, db->res, deleting, err);
	PQclear(r);
	return NULL;
}

enum fs_err
fs_db_command(struct fs_db *db, const char *command, struct fs_error *err)
{
	return fs_pg_command(&db->pg, command, err);
}

/* The field a constraint named "<table>_<field>_<suffix>" is about, into FIELD. */
static void
constraint_field(const char *constraint, const char *table, const char *suffix, char *field,
    size_t size)
{
	size_t tl = strlen(table), cl, sl = strlen(suffix);

	field[0] = '\0';
	if (!constraint || strncmp(constraint, table, tl) != 0 || constraint[tl] != '_')
		return;
	constraint += tl + 1;
	cl = strlen(constraint);
	if (cl > sl && strcmp(constraint + cl - sl, suffix) == 0)
		snprintf(field, size, "%.*s", (int)(cl - sl), constraint);
}

enum fs_err
fs_db_map_integrity(const PGresult *r, const struct fs_resource *res, int deleting,
    struct fs_error *err)
{
	const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
	const char *constraint = PQresultErrorField(r, PG_DIAG_CONSTRAINT_NAME);
	const char *table = PQresultErrorField(r, PG_DIAG_TABLE_NAME);
	const char *column = PQresultErrorField(r, PG_DIAG_COLUMN_NAME);
	const char *own = res ? res->table : (table ? table : "");
	const struct fs_column *c;
	char field[64];

	if (!state || strncmp(state, "23", 2) != 0)
		return err->code;
	if (strcmp(state, "23502") == 0)
		return fs_error_set(err, ERR_MISSING_FIELD, column, "%s is required",
		    column ? column : "a field");
	if (strcmp(state, "23503") == 0 && deleting)
		return fs_error_set(err, ERR_REFERENCED, NULL, "this row is still referenced by %s",
		    table ? table : "other rows");
	if (strcmp(state, "23503") == 0) {
		constraint_field(constraint, own, "_fkey", field, sizeof(field));
		return fs_error_set(err, ERR_UNKNOWN_REFERENCE, field,
		    "%s does not refer to an existing row", field[0] ? field : "a reference");
	}
	if (strcmp(state, "23505") == 0) {
		constraint_field(constraint, own, "_key", field, sizeof(field));
		return fs_error_set(err, ERR_DUPLICATE_VALUE, field, "%s is already taken",
		    field[0] ? field : "a unique value");
	}
	constraint_field(constraint, own, "_check", field, sizeof(field));
	c = field[0] && res ? fs_model_column(res, field) : NULL;
	if (c && c->rule)
		return fs_error_set(err, ERR_INVALID_VALUE, field, "%s %s", field, c->rule);
	/* The constraint's name is ours, not words for people: name the field only. */
	if (constraint)
		fs_log(FS_LOG_WARN, "%s: check %s failed without words in its declaration", own,
		    constraint);
	return fs_error_set(err, ERR_INVALID_VALUE, field, "%s is not an allowed value",
	    field[0] ? field : "a field");
}
