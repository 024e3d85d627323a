/* fs_write.c - the write path: row checks, the transaction, the answer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <strings.h>

#include "fs_idempotency.h"
#include "fs_ifmatch.h"
#include "fs_pipe.h"
#include "fs_json.h"
#include "fs_metrics.h"
#include "fs_query.h"
#include "fs_rights.h"
#include "fs_validate.h"
#include "fs_write.h"

/* Prune expired idempotency keys once every this many committed writes. */
#define PRUNE_EVERY 512

/*
 * Takes the expected version of a PUT from the body and from If-Match: either may say it, and
 * when both do they must agree (no silent choice between two answers).
 */
static void
take_version(const struct fs_request *req, struct fs_write *w, struct fs_error *err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(w->tree, "version");
	char buf[64], header[16];

	if (fs_ifmatch_parse(req->if_match, header, sizeof(header), err) != FS_OK)
		return;
	/* fs_validate_row() has checked it is a whole number from 1 to 2^31 - 1. */
	if (!fs_json_is_number(v)) {
		snprintf(w->version, sizeof(w->version), "%s", header);
		return;
	}
	snprintf(w->version, sizeof(w->version), "%.0f",
	    strtod(fs_json_number_text(v, buf, sizeof(buf)), NULL));
	if (header[0] && strcmp(header, w->version) != 0)
		fs_error_set(err, ERR_INVALID_PARAMETER, "If-Match",
		    "If-Match says version %s and the body version %s: send one, or the same", header,
		    w->version);
}

/*
 * 422 when a JSON field of ROW (details, items, agreement_data) is longer than max_json_field
 * bytes as stored: each such field is bounded, not only the body around it.
 */
static enum fs_err
check_json_sizes(const struct fs_worker *e, const cJSON *row, struct fs_error *err)
{
	for (const struct fs_column *c = e->res->columns; c->name; c++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(row, c->name);
		char *text;
		size_t len;

		if ((c->type != COL_OBJECT && c->type != COL_ARRAY) || !v || cJSON_IsNull(v))
			continue;
		if (!(text = fs_json_print(v)))
			return fs_error_set(err, ERR_INTERNAL, NULL, "out of memory");
		len = strlen(text);
		free(text);
		if (len > e->cfg->max_json_field)
			return fs_error_set(err, ERR_INVALID_VALUE, c->name, "%s is %zu bytes of JSON; at"
			    " most %zu", c->name, len, e->cfg->max_json_field);
	}
	return FS_OK;
}

/* Checks a new ROW: the server's fields filled in, then its values, then the user's rights. */
static enum fs_err
check_new_row(struct fs_worker *e, cJSON *row, struct fs_error *err)
{
	if (fs_rights_owner(e->res, e->user, row, err) != FS_OK
	    || fs_validate_row(e->res, row, FS_CREATE, err) != FS_OK
	    || check_json_sizes(e, row, err) != FS_OK
	    || fs_rights_approver(e->res, e->user, row, NULL, err) != FS_OK)
		return err->code;
	return fs_rights_create(e->res, e->user, row, err);
}

/* Checks W's parsed body against the resource and takes PUT's id and expected version. */
static void
check_body(struct fs_worker *e, const struct fs_request *req, struct fs_write *w,
    struct fs_error *err)
{
	const struct fs_resource *res = e->res;
	const cJSON *id;
	int i = 0;

	if (w->method == M_POST && cJSON_IsArray(w->tree)) {
		if (!w->tree->child)
			fs_error_set(err, ERR_EMPTY_BATCH, NULL, "the array is empty");
		else if (cJSON_GetArraySize(w->tree) > e->cfg->max_batch)
			fs_error_set(err, ERR_PAYLOAD_TOO_LARGE, NULL, "a batch holds at most %d rows;"
			    " send the rest in another", e->cfg->max_batch);
		for (cJSON *row = w->tree->child; row && err->code == FS_OK; row = row->next, i++)
			if (check_new_row(e, row, err) != FS_OK)
				err->index = i;
		return;
	}
	if (!cJSON_IsObject(w->tree)) {
		fs_error_set(err, ERR_INVALID_TYPE, NULL, w->method == M_POST
		    ? "send a JSON object or an array of objects" : "send a JSON object");
		return;
	}
	if (w->method == M_POST) {
		check_new_row(e, w->tree, err);
		return;
	}
	if (fs_validate_row(res, w->tree, FS_UPDATE, err) != FS_OK
	    || check_json_sizes(e, w->tree, err) != FS_OK)
		return;
	id = cJSON_GetObjectItemCaseSensitive(w->tree, "id");
	if (!cJSON_IsString(id)) {
		fs_error_set(err, ERR_MISSING_ID, "id", "PUT needs the row's id in the body");
		return;
	}
	w->id = id->valuestring;
	take_version(req, w, err);
}

/* Runs the one statement S with PARAMS as its own round trip: the result, or NULL with ERR set. */
static PGresult *
exec1(struct fs_worker *e, enum fs_stmt s, const char *const *params, int deleting,
    struct fs_error *err)
{
	const struct fs_pipe_step step = { .stmt = s, .params = params, .deleting = deleting };
	struct fs_pipe p;
	PGresult *r;

	if (fs_pipe_run(&e->db, &step, 1, 0, &p, err) != FS_OK) {
		fs_pipe_clear(&p);
		return NULL;
	}
	r = p.res[0];
	p.res[0] = NULL;
	return r;
}

/* Writes the stored JSON of outcome row ROW of R to F. */
static enum fs_err
put_row(const PGresult *r, int row, FILE *f, struct fs_error *err)
{
	size_t len = (size_t)PQgetlength(r, row, 1);

	if (fwrite(PQgetvalue(r, row, 1), 1, len, f) != len)
		return fs_error_set(err, ERR_INTERNAL, NULL, "out of memory");
	return FS_OK;
}

/*
 * The outcome of row I of R (STMT_INSERT or STMT_INSERT_MANY): what it created or found, into F.
 * FS_OK for a new row or the same content; else the error, naming the row (INDEX, -1: none).
 */
static enum fs_err
take_outcome(struct fs_worker *e, const PGresult *r, int i, int index, FILE *f, struct fs_error *err)
{
	char outcome = PQgetvalue(r, i, 0)[0];
	const char *owner = PQgetisnull(r, i, 3) ? NULL : PQgetvalue(r, i, 3);
	enum fs_err rc = FS_OK;

	if (outcome == 'x') {
		fs_error_set(err, ERR_DELETED, "id", "this %s was deleted (change %s) and is not"
		    " created again", e->res->noun ? e->res->noun : e->res->path, PQgetvalue(r, i, 1));
		fs_error_attach(err, "seq", strdup(PQgetvalue(r, i, 1)));
		rc = err->code;
	} else if (outcome != 'c' && !fs_rights_can_read(e->res, e->user, PQgetvalue(r, i, 2), owner)) {
		/* An id taken by a row the user may not read is taken, nothing more. */
		rc = fs_error_set(err, ERR_DUPLICATE_ID, "id", "a row with this id exists");
	} else if (outcome == 'd') {
		fs_error_set(err, ERR_DUPLICATE_ID, "id", "a row with this id exists with different"
		    " content; see error.current");
		fs_error_attach(err, "current", strdup(PQgetvalue(r, i, 1)));
		rc = err->code;
	} else {
		rc = put_row(r, i, f, err);
	}
	if (rc != FS_OK)
		err->index = index;
	return rc;
}

/* Inserts ROW (index I of a batch, or -1) as its own statement; writes its stored JSON to F. */
static enum fs_err
insert_row(struct fs_worker *e, const cJSON *row, int i, FILE *f, struct fs_error *err)
{
	char *text = fs_json_print(row);
	const char *params[1] = { text };
	PGresult *r;
	enum fs_err rc;

	if (!text)
		return fs_error_set(err, ERR_INTERNAL, NULL, "out of memory");
	r = exec1(e, STMT_INSERT, params, 0, err);
	/*
	 * No row at all: a concurrent transaction inserted this id and committed while we
	 * waited on it, after our statement's snapshot was taken. A new statement sees it.
	 */
	if (r && PQntuples(r) == 0) {
		PQclear(r);
		r = exec1(e, STMT_INSERT, params, 0, err);
	}
	free(text);
	if (!r) {
		err->index = i;
		return err->code;
	}
	if (PQntuples(r) != 1) {	/* deleted again in between: let the client retry */
		rc = fs_error_set(err, ERR_DATABASE_UNAVAILABLE, "id", "this id is being written; try again");
		err->index = i;
	} else {
		rc = take_outcome(e, r, 0, i, f, err);
	}
	PQclear(r);
	return rc;
}

/* Milliseconds since W's transaction began. */
static long
elapsed_ms(const struct fs_write *w)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long)(now.tv_sec - w->began.tv_sec) * 1000 + (now.tv_nsec - w->began.tv_nsec) / 1000000;
}

/* ERR_TIMEOUT once W's transaction is past the configured write_timeout (it is rolled back). */
static enum fs_err
check_deadline(const struct fs_worker *e, const struct fs_write *w, struct fs_error *err)
{
	if (elapsed_ms(w) < e->cfg->write_timeout)
		return FS_OK;
	return fs_error_set(err, ERR_TIMEOUT, NULL, "the write took longer than %d ms and was rolled"
	    " back; nothing of it was written", e->cfg->write_timeout);
}

/* Ends the open transaction, if the connection still has one, without keeping anything. */
static void
rollback(struct fs_worker *e)
{
	const struct fs_pipe_step step = { .command = "ROLLBACK" };
	struct fs_error scratch = FS_ERROR_INIT;
	struct fs_pipe p;

	if (!fs_pg_connected(&e->db.pg) || PQtransactionStatus(e->db.pg.conn) == PQTRANS_IDLE)
		return;
	fs_pipe_run(&e->db, &step, 1, 0, &p, &scratch);
	fs_pipe_clear(&p);
	fs_error_clear(&scratch);
}

/*
 * The first batch of W's statements: BEGIN and the actor (the request's user becomes the
 * transaction's created_by, updated_by and change_log.actor) unless an Idempotency-Key's claim
 * opened the transaction already, then STEP. Its answer in P (the caller clears it).
 */
static enum fs_err
first_batch(struct fs_worker *e, struct fs_write *w, const struct fs_pipe_step *step,
    struct fs_pipe *p, struct fs_error *err)
{
	struct fs_pipe_step steps[3];
	int n = 0;

	if (!w->key) {
		steps[n++] = (struct fs_pipe_step){ .command = "BEGIN" };
		if (e->user->id[0]) {	/* an open-access build's nobody has none */
			w->actor[0] = e->user->id;
			steps[n++] = (struct fs_pipe_step){ .stmt = STMT_ACTOR, .params = w->actor };
		}
	}
	steps[n++] = *step;
	if (fs_pipe_run(&e->db, steps, n, !w->key, p, err) != FS_OK)
		return err->code;
	/* The step's answer first: callers read res[0]. */
	for (int i = 0; i < n - 1; i++)
		PQclear(p->res[i]);
	p->res[0] = p->res[n - 1];
	p->n = 1;
	return FS_OK;
}

/*
 * The batch that ends W's transaction, after the NPRE steps PRE (a write folded into it):
 * the answer stored under the Idempotency-Key, the deadline, the deferred change-log
 * triggers run (SET CONSTRAINTS ALL IMMEDIATE) under the time left, this transaction's
 * entries read (to publish after COMMIT), and COMMIT. PostgreSQL runs deferred triggers
 * inside COMMIT, where statement_timeout no longer counts: running them first keeps every
 * write within its write_timeout, so that the database gives up before any proxy in front
 * does and an error answered is true. The answers of PRE are left in P->res[0..NPRE-1]; the
 * committed entries go to e->committed. A connection lost during the batch leaves the
 * outcome unknown, and the answer says so: retry with the same id or key.
 */
static enum fs_err
commit(struct fs_worker *e, struct fs_write *w, const struct fs_pipe_step *pre, int npre,
    struct fs_pipe *p, struct fs_error *err)
{
	struct fs_pipe_step steps[FS_PIPE_MAX];
	int n = 0, mine = -1;

	memset(p, 0, sizeof(*p));
	if (check_deadline(e, w, err) != FS_OK)
		return err->code;
	for (int i = 0; i < npre; i++)
		steps[n++] = pre[i];
	if (w->key)
		fs_idem_save_step(&w->idem, w->status, w->body, &steps[n++]);
	snprintf(w->ms, sizeof(w->ms), "%ld", e->cfg->write_timeout - elapsed_ms(w));
	w->deadline[0] = w->ms;
	steps[n++] = (struct fs_pipe_step){ .stmt = STMT_DEADLINE, .params = w->deadline };
	steps[n++] = (struct fs_pipe_step){ .command = "SET CONSTRAINTS ALL IMMEDIATE" };
	if (fs_events_on(&e->events)) {
		mine = n;
		steps[n++] = (struct fs_pipe_step){ .other = fs_changelog_statement(FS_CHANGELOG_Q_MINE) };
	}
	steps[n++] = (struct fs_pipe_step){ .command = "COMMIT" };
	if (fs_pipe_run(&e->db, steps, n, 0, p, err) == FS_OK) {
		/* A COMMIT that the server turned into a ROLLBACK would say so. */
		if (strcmp(PQcmdStatus(p->res[n - 1]), "COMMIT") != 0)
			return fs_error_set(err, ERR_INTERNAL, NULL, "the transaction was rolled back");
		if (mine >= 0) {
			PQclear(e->committed);
			e->committed = p->res[mine];
			p->res[mine] = NULL;
		}
		return FS_OK;
	}
	if (!p->lost && fs_pg_connected(&e->db.pg))
		return err->code;
	fs_error_clear(err);
	return fs_error_set(err, ERR_OUTCOME_UNKNOWN, NULL, "the connection to the database was lost"
	    " while the write was being committed: it may or may not be saved; send it again with"
	    " the same ids or Idempotency-Key to find out");
}

/* A batch POST, one statement for every row: W->body the array of stored rows. */
static enum fs_err
insert_many(struct fs_worker *e, struct fs_write *w, FILE *f, struct fs_error *err)
{
	char *text = fs_json_print(w->tree);
	const char *params[1] = { text };
	const struct fs_pipe_step step = { .stmt = STMT_INSERT_MANY, .params = params };
	struct fs_pipe p;
	enum fs_err rc;
	const PGresult *r;

	if (!text)
		return fs_error_set(err, ERR_INTERNAL, NULL, "out of memory");
	rc = first_batch(e, w, &step, &p, err);
	free(text);
	if (rc != FS_OK) {
		/* A rule refused some row: find which, row by row (nothing is kept of this try). */
		if (p.failed >= 0 && !p.lost && (err->code == ERR_INVALID_FORMAT
		    || err->code == ERR_INVALID_VALUE || err->code == ERR_MISSING_FIELD
		    || err->code == ERR_UNKNOWN_REFERENCE || err->code == ERR_DUPLICATE_VALUE))
			w->one_by_one = 1;
		fs_pipe_clear(&p);
		return rc;
	}
	r = p.res[0];
	fputc('[', f);
	for (int i = 0; i < PQntuples(r) && rc == FS_OK; i++) {
		if (PQgetisnull(r, i, 0)) {
			/* A concurrent insert of this id committed meanwhile: row by row sees it. */
			w->one_by_one = 1;
			rc = fs_error_set(err, ERR_DATABASE_UNAVAILABLE, NULL, "try again");
			break;
		}
		if (i > 0)
			fputc(',', f);
		rc = take_outcome(e, r, i, i, f, err);
	}
	fputc(']', f);
	fs_pipe_clear(&p);
	return rc;
}

/* A single POST: W->body the stored row. */
static enum fs_err
insert_one(struct fs_worker *e, struct fs_write *w, FILE *f, struct fs_error *err)
{
	char *text = fs_json_print(w->tree);
	const char *params[1] = { text };
	const struct fs_pipe_step step = { .stmt = STMT_INSERT, .params = params };
	struct fs_pipe p;
	enum fs_err rc;

	if (!text)
		return fs_error_set(err, ERR_INTERNAL, NULL, "out of memory");
	rc = first_batch(e, w, &step, &p, err);
	free(text);
	if (rc == FS_OK && PQntuples(p.res[0]) == 1)
		rc = take_outcome(e, p.res[0], 0, -1, f, err);
	else if (rc == FS_OK)	/* a concurrent insert of this id: insert_row tries again */
		rc = insert_row(e, w->tree, -1, f, err);
	fs_pipe_clear(&p);
	return rc;
}

/* POST, row after row (a batch whose set-based insert failed): the transaction opened first. */
static enum fs_err
insert_each(struct fs_worker *e, struct fs_write *w, FILE *f, struct fs_error *err)
{
	const struct fs_pipe_step step = { .command = "SELECT 1" };
	struct fs_pipe p;
	enum fs_err rc = first_batch(e, w, &step, &p, err);
	int i = 0;

	fs_pipe_clear(&p);
	fputc('[', f);
	for (const cJSON *row = w->tree->child; row && rc == FS_OK; row = row->next, i++) {
		if (i > 0)
			fputc(',', f);
		if ((rc = check_deadline(e, w, err)) == FS_OK)
			rc = insert_row(e, row, i, f, err);
	}
	fputc(']', f);
	return rc;
}

/* POST: every row, in order, into one answer (an object, or an array for a batch); commits. */
static enum fs_err
apply_post(struct fs_worker *e, struct fs_write *w, struct fs_error *err)
{
	FILE *f = open_memstream(&w->body, &w->len);
	struct fs_pipe p = { 0 };
	enum fs_err rc;

	if (!f)
		return fs_error_set(err, ERR_INTERNAL, NULL, "out of memory");
	if (!cJSON_IsArray(w->tree))
		rc = insert_one(e, w, f, err);
	else if (w->one_by_one)
		rc = insert_each(e, w, f, err);
	else
		rc = insert_many(e, w, f, err);
	if (fclose(f) != 0 && rc == FS_OK)
		rc = fs_error_set(err, ERR_INTERNAL, NULL, "out of memory");
	w->status = 201;
	if (rc == FS_OK)
		rc = commit(e, w, NULL, 0, &p, err);
	fs_pipe_clear(&p);
	return rc;
}

/* Locks row W->id (the first batch) into CUR: ERR_NOT_FOUND unless the user may read it. */
static enum fs_err
lock_row(struct fs_worker *e, struct fs_write *w, struct fs_locked *cur, struct fs_error *err)
{
	const char *params[1] = { w->id };
	const struct fs_pipe_step step = { .stmt = STMT_LOCK, .params = params };
	struct fs_pipe p;
	PGresult *r;
	enum fs_err rc;

	memset(cur, 0, sizeof(*cur));
	if ((rc = first_batch(e, w, &step, &p, err)) != FS_OK) {
		fs_pipe_clear(&p);
		return rc;
	}
	r = p.res[0];
	p.res[0] = NULL;
	return fs_rights_take(e->res, e->user, w->id, r, cur, err);
}

/*
 * Runs the write statement STEP of a PUT or DELETE: folded into the committing batch, or
 * without an Idempotency-Key (whose stored answer needs the statement's answer first) as its
 * own round trip before it. Either way the answer is in *R (the caller PQclear()s it).
 * Committing after a statement that changed nothing (a stale version, a row gone) writes
 * nothing: the answer is still the error.
 */
static enum fs_err
write_and_commit(struct fs_worker *e, struct fs_write *w, const struct fs_pipe_step *step,
    enum fs_err (*answer)(struct fs_worker *, struct fs_write *, const PGresult *, struct fs_error *),
    struct fs_error *err)
{
	struct fs_pipe p = { 0 };
	PGresult *r = NULL;
	enum fs_err rc;

	if (w->key) {
		if (!(r = exec1(e, step->stmt, step->params, step->deleting, err)))
			return err->code;
		if ((rc = answer(e, w, r, err)) == FS_OK)
			rc = commit(e, w, NULL, 0, &p, err);
	} else if ((rc = commit(e, w, step, 1, &p, err)) == FS_OK) {
		rc = answer(e, w, p.res[0], err);
	}
	PQclear(r);
	fs_pipe_clear(&p);
	return rc;
}

/* The answer of a PUT's STMT_UPDATE R. */
static enum fs_err
put_answer(struct fs_worker *e, struct fs_write *w, const PGresult *r, struct fs_error *err)
{
	if (PQntuples(r) == 0)
		return fs_error_set(err, ERR_NOT_FOUND, "id", "no %s with id %s", e->res->path, w->id);
	if (PQgetvalue(r, 0, 0)[0] == 'v') {
		fs_error_set(err, ERR_VERSION_CONFLICT, "version",
		    "the row was changed by someone else; see error.current");
		fs_error_attach(err, "current", strdup(PQgetvalue(r, 0, 1)));
		return err->code;
	}
	w->status = 200;
	w->len = (size_t)PQgetlength(r, 0, 1);
	free(w->body);
	if (!(w->body = strdup(PQgetvalue(r, 0, 1))))
		return fs_error_set(err, ERR_INTERNAL, NULL, "out of memory");
	return FS_OK;
}

/* The answer of a DELETE's STMT_DELETE R. */
static enum fs_err
delete_answer(struct fs_worker *e, struct fs_write *w, const PGresult *r, struct fs_error *err)
{
	if (PQntuples(r) != 1)
		return fs_error_set(err, ERR_NOT_FOUND, "id", "no %s with id %s", e->res->path, w->id);
	w->status = 204;
	return FS_OK;
}

/*
 * PUT: the fields present, if the version still matches, on a row the user may change so.
 * The row is locked first: what is checked is what is changed.
 */
static enum fs_err
apply_put(struct fs_worker *e, struct fs_write *w, struct fs_error *err)
{
	struct fs_locked cur;
	char *text;
	const char *params[3] = { NULL, w->id, w->version[0] ? w->version : NULL };
	const struct fs_pipe_step step = { .stmt = STMT_UPDATE, .params = params };
	enum fs_err rc;

	if (lock_row(e, w, &cur, err) != FS_OK)
		return err->code;
	if (fs_rights_change(e->res, e->user, FS_OP_UPDATE, &cur, w->tree, err) != FS_OK
	    || fs_rights_approver(e->res, e->user, w->tree, &cur, err) != FS_OK) {
		fs_rights_unlock(&cur);
		return err->code;
	}
	fs_rights_unlock(&cur);
	if (!(text = fs_json_print(w->tree)))
		return fs_error_set(err, ERR_INTERNAL, NULL, "out of memory");
	params[0] = text;
	rc = write_and_commit(e, w, &step, put_answer, err);
	free(text);
	return rc;
}

/* DELETE ?id=, of a row the user may delete (locked first, as for PUT), at the version If-Match names. */
static enum fs_err
apply_delete(struct fs_worker *e, struct fs_write *w, struct fs_error *err)
{
	const char *params[1] = { w->id };
	const struct fs_pipe_step step = { .stmt = STMT_DELETE, .params = params, .deleting = 1 };
	struct fs_locked cur;

	if (lock_row(e, w, &cur, err) != FS_OK)
		return err->code;
	if (fs_rights_change(e->res, e->user, FS_OP_DELETE, &cur, NULL, err) == FS_OK
	    && w->version[0] && strcmp(w->version, cur.version) != 0) {
		fs_error_set(err, ERR_VERSION_CONFLICT, "version",
		    "the row was changed by someone else; see error.current");
		fs_error_attach(err, "current", strdup(cur.json));
	}
	fs_rights_unlock(&cur);
	if (err->code != FS_OK)
		return err->code;
	return write_and_commit(e, w, &step, delete_answer, err);
}

/* Applies W by its method, up to and including COMMIT. */
static enum fs_err
apply(struct fs_worker *e, struct fs_write *w, struct fs_error *err)
{
	if (w->method == M_POST)
		return apply_post(e, w, err);
	if (w->method == M_PUT)
		return apply_put(e, w, err);
	return apply_delete(e, w, err);
}

/* The text an Idempotency-Key is bound to: method, query and body. */
static char *
request_text(const struct fs_request *req)
{
	char *text = NULL;

	if (asprintf(&text, "%s %s\n%s", fs_method_name(req->method), req->query,
	    req->body ? req->body : "") < 0)
		return NULL;
	return text;
}

/*
 * Opens the transaction with the claim of REQ's key (BEGIN, the actor and the claim in one
 * round trip); on a replay answers it and ends the transaction. FS_OK to go on writing.
 */
static enum fs_err
claim_key(struct fs_worker *e, struct fs_request *req, struct fs_write *w, const char *scope,
    const char *request, int *replay, struct fs_error *err)
{
	struct fs_pipe_step steps[4];
	struct fs_idem_answer answer = { 0, NULL };
	struct fs_pipe p;
	int n = 0, k, claimed;
	enum fs_err rc;

	*replay = 0;
	steps[n++] = (struct fs_pipe_step){ .command = "BEGIN" };
	if (e->user->id[0]) {
		w->actor[0] = e->user->id;
		steps[n++] = (struct fs_pipe_step){ .stmt = STMT_ACTOR, .params = w->actor };
	}
	if (!(k = fs_idem_claim_steps(&w->idem, &e->db, scope, req->idem_key, request, steps + n, err)))
		return err->code;
	n += k;
	rc = fs_pipe_run(&e->db, steps, n, 1, &p, err);
	claimed = rc == FS_OK && fs_idem_claimed(p.res[n - 1]);
	fs_pipe_clear(&p);
	if (rc != FS_OK || claimed)
		return rc;
	rc = fs_idem_replay(&e->db, &w->idem, replay, &answer, err);
	if (rc == FS_OK && *replay) {
		fs_response_take(req, answer.status, answer.body, answer.body ? strlen(answer.body) : 0);
		answer.body = NULL;
		rc = fs_response_header(req, "Idempotent-Replay", "true");
	}
	free(answer.body);
	return rc;
}

/*
 * After COMMIT and the answer: one event per change_log entry of the transaction, in seq
 * order (read in the committing batch); now and then the expired idempotency keys go.
 */
static void
after_commit(struct fs_worker *e)
{
	/* Events lost here lose nothing: the relay finds the entries in change_log. */
	fs_events_publish_entries(&e->events, e->committed);
	PQclear(e->committed);
	e->committed = NULL;
	if (++e->writes % PRUNE_EVERY == 0)
		fs_idem_prune(&e->db);
}

/* Runs W in one transaction with REQ's Idempotency-Key; on success or replay fills the answer. */
static void
run(struct fs_worker *e, struct fs_request *req, struct fs_write *w, struct fs_error *err)
{
	int replay = 0;
	char *request = NULL, scope[256];

	snprintf(scope, sizeof(scope), "%s:%s", e->res->table, e->user->id);
	clock_gettime(CLOCK_MONOTONIC, &w->began);
	w->key = NULL;
	if (req->idem_key) {
		if (!(request = request_text(req))) {
			fs_error_set(err, ERR_INTERNAL, NULL, "out of memory");
			return;
		}
		if (claim_key(e, req, w, scope, request, &replay, err) != FS_OK || replay)
			goto out;
		w->key = req->idem_key;
	}
	if (apply(e, w, err) != FS_OK)
		goto out;
	fs_response_take(req, w->status, w->body, w->len);
	w->body = NULL;
	/* The client has its answer before the events go out (and the idempotency keys are pruned). */
	e->after_answer = after_commit;
out:
	rollback(e);
	free(request);
}

/* Frees what W owns. */
static void
release(struct fs_write *w)
{
	cJSON_Delete(w->tree);
	free(w->body);
	w->tree = NULL;
	w->body = NULL;
}

/* Whether the request declares a JSON body (charset, if given, must be UTF-8). */
static int
is_json(const char *type)
{
	const char *p, *cs;

	if (!type || strncasecmp(type, "application/json", 16) != 0)
		return 0;
	p = type + 16;
	while (*p == ' ')
		p++;
	if (*p == '\0')
		return 1;
	if (*p != ';')
		return 0;
	cs = strcasestr(p, "charset=");
	return !cs || strncasecmp(cs + 8, "utf-8", 5) == 0 || strncasecmp(cs + 8, "\"utf-8\"", 7) == 0;
}

/* The front line for POST and PUT: query, content type, size, JSON syntax. */
static cJSON *
read_json_body(struct fs_worker *e, struct fs_request *req, struct fs_error *err)
{
	struct fs_query q;
	enum fs_err rc = fs_query_parse(e->res, req->query, 0, 1, 1, &q, err);

	fs_query_release(&q);
	if (rc != FS_OK)
		return NULL;
	if (!is_json(req->content_type)) {
		fs_error_set(err, ERR_UNSUPPORTED_MEDIA_TYPE, NULL,
		    "send the body as Content-Type: application/json");
		return NULL;
	}
	if (fs_request_read_body(req, err) != FS_OK)
		return NULL;
	return fs_json_parse(req->body, req->body_len, err);
}

void
fs_write_handle(struct fs_worker *e, struct fs_request *req)
{
	struct fs_write w = { .method = req->method };
	struct fs_query q = { 0 };
	struct fs_error *err = &req->err;
	unsigned long trips = fs_pipe_round_trips();

	if (req->method == M_DELETE) {
		if (fs_query_parse(e->res, req->query, FS_QUERY_ID, 1, 1, &q, err) == FS_OK && !q.id)
			fs_error_set(err, ERR_MISSING_ID, "id", "DELETE needs ?id=");
		else if (err->code == FS_OK)
			fs_ifmatch_parse(req->if_match, w.version, sizeof(w.version), err);
		w.id = q.id;
	} else if ((w.tree = read_json_body(e, req, err)) != NULL) {
		check_body(e, req, &w, err);
	}
	if (err->code == FS_OK)
		run(e, req, &w, err);
	/* A batch that a rule refused: again row by row, to name the row (nothing was kept). */
	if (w.one_by_one && err->code != FS_OK && err->code != ERR_OUTCOME_UNKNOWN) {
		fs_error_clear(err);
		free(w.body);
		w.body = NULL;
		w.len = 0;
		run(e, req, &w, err);
	}
	fs_metrics_write(fs_pipe_round_trips() - trips);
	release(&w);
	fs_query_release(&q);
}
