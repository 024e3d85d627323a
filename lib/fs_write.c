/* fs_write.c - the write path: row checks, the transaction, the answer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <strings.h>

#include "fs_idempotency.h"
#include "fs_ifmatch.h"
#include "fs_json.h"
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

/*
 * What an insert's outcome R says when it created nothing new: a deleted id stays deleted
 * (409 deleted, with the tombstone's seq); an id taken by a row the user may not read is
 * taken, nothing more; one with other content answers it as it is now. FS_OK for a new row
 * (c) or the same content (e).
 */
static enum fs_err
existing(struct fs_worker *e, const PGresult *r, struct fs_error *err)
{
	char outcome = PQgetvalue(r, 0, 0)[0];
	const char *owner = PQgetisnull(r, 0, 3) ? NULL : PQgetvalue(r, 0, 3);

	if (outcome == 'x') {
		fs_error_set(err, ERR_DELETED, "id", "this %s was deleted (change %s) and is not"
		    " created again", e->res->noun ? e->res->noun : e->res->path, PQgetvalue(r, 0, 1));
		fs_error_attach(err, "seq", strdup(PQgetvalue(r, 0, 1)));
		return err->code;
	}
	if (outcome == 'c')
		return FS_OK;
	if (!fs_rights_can_read(e->res, e->user, PQgetvalue(r, 0, 2), owner))
		return fs_error_set(err, ERR_DUPLICATE_ID, "id", "a row with this id exists");
	if (outcome == 'e')
		return FS_OK;
	fs_error_set(err, ERR_DUPLICATE_ID, "id", "a row with this id exists with different content;"
	    " see error.current");
	fs_error_attach(err, "current", strdup(PQgetvalue(r, 0, 1)));
	return err->code;
}

/* Inserts ROW (index I of a batch, or -1); writes its stored JSON to F. */
static enum fs_err
insert_row(struct fs_worker *e, const cJSON *row, int i, FILE *f, struct fs_error *err)
{
	char *text = fs_json_print(row);
	const char *params[1] = { text };
	PGresult *r;
	enum fs_err rc = FS_OK;

	if (!text)
		return fs_error_set(err, ERR_INTERNAL, NULL, "out of memory");
	r = fs_db_exec(&e->db, STMT_INSERT, params, 0, err);
	/*
	 * No row at all: a concurrent transaction inserted this id and committed while we
	 * waited on it, after our statement's snapshot was taken. A new statement sees it.
	 */
	if (r && PQntuples(r) == 0) {
		PQclear(r);
		r = fs_db_exec(&e->db, STMT_INSERT, params, 0, err);
	}
	free(text);
	if (!r) {
		err->index = i;
		return err->code;
	}
	if (PQntuples(r) != 1)	/* deleted again in between: let the client retry */
		rc = fs_error_set(err, ERR_DATABASE_UNAVAILABLE, "id", "this id is being written; try again");
	else if ((rc = existing(e, r, err)) == FS_OK
	    && fwrite(PQgetvalue(r, 0, 1), 1, (size_t)PQgetlength(r, 0, 1), f)
	    != (size_t)PQgetlength(r, 0, 1))
		rc = fs_error_set(err, ERR_INTERNAL, NULL, "out of memory");
	if (rc != FS_OK)
		err->index = i;
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

/* POST: every row, in order, into one answer (an object, or an array for a batch). */
static enum fs_err
apply_post(struct fs_worker *e, struct fs_write *w, struct fs_error *err)
{
	int batch = cJSON_IsArray(w->tree), i = 0;
	FILE *f = open_memstream(&w->body, &w->len);
	enum fs_err rc = FS_OK;

	if (!f)
		return fs_error_set(err, ERR_INTERNAL, NULL, "out of memory");
	if (!batch) {
		rc = insert_row(e, w->tree, -1, f, err);
	} else {
		fputc('[', f);
		for (const cJSON *row = w->tree->child; row && rc == FS_OK; row = row->next, i++) {
			if (i > 0)
				fputc(',', f);
			if ((rc = check_deadline(e, w, err)) == FS_OK)
				rc = insert_row(e, row, i, f, err);
		}
		fputc(']', f);
	}
	if (fclose(f) != 0 && rc == FS_OK)
		rc = fs_error_set(err, ERR_INTERNAL, NULL, "out of memory");
	w->status = 201;
	return rc;
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
	PGresult *r;
	enum fs_err rc = FS_OK;

	if (fs_rights_lock(&e->db, e->res, e->user, w->id, &cur, err) != FS_OK)
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
	r = fs_db_exec(&e->db, STMT_UPDATE, params, 0, err);
	free(text);
	if (!r)
		return err->code;
	if (PQntuples(r) == 0) {
		rc = fs_error_set(err, ERR_NOT_FOUND, "id", "no %s with id %s", e->res->path, w->id);
	} else if (PQgetvalue(r, 0, 0)[0] == 'v') {
		rc = fs_error_set(err, ERR_VERSION_CONFLICT, "version",
		    "the row was changed by someone else; see error.current");
		fs_error_attach(err, "current", strdup(PQgetvalue(r, 0, 1)));
	} else {
		w->status = 200;
		w->len = (size_t)PQgetlength(r, 0, 1);
		w->body = strdup(PQgetvalue(r, 0, 1));
		if (!w->body)
			rc = fs_error_set(err, ERR_INTERNAL, NULL, "out of memory");
	}
	PQclear(r);
	return rc;
}

/* DELETE ?id=, of a row the user may delete (locked first, as for PUT), at the version If-Match names. */
static enum fs_err
apply_delete(struct fs_worker *e, struct fs_write *w, struct fs_error *err)
{
	const char *params[1] = { w->id };
	struct fs_locked cur;
	PGresult *r;
	int found;

	if (fs_rights_lock(&e->db, e->res, e->user, w->id, &cur, err) != FS_OK)
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
	if (!(r = fs_db_exec(&e->db, STMT_DELETE, params, 1, err)))
		return err->code;
	found = PQntuples(r) == 1;
	PQclear(r);
	if (!found)
		return fs_error_set(err, ERR_NOT_FOUND, "id", "no %s with id %s", e->res->path, w->id);
	w->status = 204;
	return FS_OK;
}

/* Applies W by its method. */
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

/* Claims the request's key; on a replay answers it. Returns FS_OK to go on writing. */
static enum fs_err
claim_key(struct fs_worker *e, struct fs_request *req, const char *scope, int *replay,
    struct fs_error *err)
{
	struct fs_idem_answer answer = { 0, NULL };
	char *request = request_text(req);
	enum fs_err rc;

	if (!request)
		return fs_error_set(err, ERR_INTERNAL, NULL, "out of memory");
	rc = fs_idem_claim(&e->db, scope, req->idem_key, request, replay, &answer, err);
	free(request);
	if (rc == FS_OK && *replay) {
		fs_response_take(req, answer.status, answer.body, answer.body ? strlen(answer.body) : 0);
		answer.body = NULL;
		rc = fs_response_header(req, "Idempotent-Replay", "true");
	}
	free(answer.body);
	return rc;
}

/* The id of the open transaction, to find its change_log entries after COMMIT; NULL with ERR set. */
static char *
transaction_id(struct fs_worker *e, struct fs_error *err)
{
	PGresult *r;
	char *xid;

	r = fs_db_exec(&e->db, STMT_XID, NULL, 0, err);
	if (!r)
		return NULL;
	xid = strdup(PQgetvalue(r, 0, 0));
	PQclear(r);
	if (!xid)
		fs_error_set(err, ERR_INTERNAL, NULL, "out of memory");
	return xid;
}

/*
 * After COMMIT and the answer: one event per change_log entry of the transaction, in seq
 * order; now and then the expired idempotency keys go.
 */
static void
after_commit(struct fs_worker *e)
{
	struct fs_error err = FS_ERROR_INIT;
	PGresult *r = NULL;

	/* A failure here loses nothing: the relay finds the entries in change_log. */
	if (e->committed_xid)
		fs_changelog_of_xid(&e->log, e->committed_xid, &r, &err);
	for (int i = 0; r && i < PQntuples(r); i++)
		fs_events_publish(&e->events, PQgetvalue(r, i, 0), PQgetvalue(r, i, 1));
	PQclear(r);
	fs_error_clear(&err);
	free(e->committed_xid);
	e->committed_xid = NULL;
	if (++e->writes % PRUNE_EVERY == 0)
		fs_idem_prune(&e->db);
}

/* The request's user becomes the transaction's actor (created_by, updated_by, change_log.actor). */
static enum fs_err
set_actor(struct fs_worker *e, struct fs_error *err)
{
	const char *params[1] = { e->user->id };
	PGresult *r;

	if (!e->user->id[0])	/* an open-access build's nobody */
		return FS_OK;
	if (!(r = fs_db_exec(&e->db, STMT_ACTOR, params, 0, err)))
		return err->code;
	PQclear(r);
	return FS_OK;
}

/*
 * COMMITs W's transaction within its write_timeout, so that the database gives up before any
 * proxy in front does and an error answered is true. PostgreSQL runs the deferred change-log
 * triggers inside COMMIT, where statement_timeout no longer counts: a batch, or a write with
 * less time left than statement_timeout, runs them first (SET CONSTRAINTS ALL IMMEDIATE)
 * under the time left; a short single write's COMMIT is bounded by lock_timeout (fs_pg). A
 * connection lost while COMMIT was under way leaves the outcome unknown, and the answer says
 * so: retry with the same id or key.
 */
static enum fs_err
commit(struct fs_worker *e, struct fs_write *w, struct fs_error *err)
{
	long left = e->cfg->write_timeout - elapsed_ms(w);
	char ms[24];
	const char *params[1] = { ms };
	PGresult *r;

	if (check_deadline(e, w, err) != FS_OK)
		return err->code;
	if (left < e->cfg->statement_timeout || cJSON_IsArray(w->tree)) {
		snprintf(ms, sizeof(ms), "%ld", left);
		if (!(r = fs_db_exec(&e->db, STMT_DEADLINE, params, 0, err)))
			return err->code;
		PQclear(r);
		if (fs_db_command(&e->db, "SET CONSTRAINTS ALL IMMEDIATE", err) != FS_OK)
			return err->code;
	}
	if (fs_db_command(&e->db, "COMMIT", err) == FS_OK || fs_pg_connected(&e->db.pg))
		return err->code;
	fs_error_clear(err);
	return fs_error_set(err, ERR_OUTCOME_UNKNOWN, NULL, "the connection to the database was lost"
	    " while the write was being committed: it may or may not be saved; send it again with"
	    " the same ids or Idempotency-Key to find out");
}

/* Runs W in one transaction with REQ's Idempotency-Key; on success or replay fills the answer. */
static void
run(struct fs_worker *e, struct fs_request *req, struct fs_write *w, struct fs_error *err)
{
	struct fs_error scratch = FS_ERROR_INIT;
	int replay = 0;
	char *xid = NULL, scope[256];

	snprintf(scope, sizeof(scope), "%s:%s", e->res->table, e->user->id);

	clock_gettime(CLOCK_MONOTONIC, &w->began);
	if (fs_db_command(&e->db, "BEGIN", err) != FS_OK)
		return;
	if (set_actor(e, err) != FS_OK)
		goto rollback;
	if (req->idem_key && (claim_key(e, req, scope, &replay, err) != FS_OK || replay))
		goto rollback;
	if (apply(e, w, err) != FS_OK)
		goto rollback;
	if (req->idem_key
	    && fs_idem_save(&e->db, scope, req->idem_key, w->status, w->body, err) != FS_OK)
		goto rollback;
	if (fs_events_on(&e->events) && !(xid = transaction_id(e, err)))
		goto rollback;
	if (commit(e, w, err) != FS_OK) {
		free(xid);
		return;
	}
	fs_response_take(req, w->status, w->body, w->len);
	w->body = NULL;
	/* The client has its answer before the events go out (and the idempotency keys are pruned). */
	e->committed_xid = xid;
	e->after_answer = after_commit;
	return;
rollback:
	fs_db_command(&e->db, "ROLLBACK", &scratch);
	fs_error_clear(&scratch);
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
	release(&w);
	fs_query_release(&q);
}
