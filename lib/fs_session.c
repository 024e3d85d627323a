/* fs_session.c - /api/session: sign in, who am I, sign out. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fs_auth.h"
#include "fs_log.h"
#include "fs_session.h"

#define LOGIN_BODY_MAX 4096	/* bytes: a login is small, and the body is read before any check */

enum stmt { ST_FIND, ST_FAILED, ST_SIGN_IN, ST_REHASH_MARK, ST_REHASH, ST_LOGOUT, ST__MAX };

static const struct fs_pg_stmt stmts[ST__MAX] = {
	/* The account of login $1 and the seconds left of its hold-off (0: none). */
	[ST_FIND] = { "session_find",
	    "SELECT id::text, password_hash, status = 'active',"
	    " greatest(ceil(extract(epoch FROM locked_until - now())), 0)::integer"
	    " FROM users WHERE login = $1", 1 },
	/*
	 * One more failure of account $1; from the $2-th in a row on, held off for
	 * 2^(failures - $2) seconds, at most $3. An attempt that raced past a hold-off set
	 * meanwhile does not extend it.
	 */
	[ST_FAILED] = { "session_failed",
	    "UPDATE users SET failed_logins = failed_logins + 1,"
	    " locked_until = CASE WHEN failed_logins + 1 >= $2::integer THEN now()"
	    " + make_interval(secs => least(power(2, least(failed_logins + 1 - $2::integer, 30)),"
	    " $3::integer)) ELSE locked_until END"
	    " WHERE id = $1::uuid AND (locked_until IS NULL OR locked_until <= now())", 3 },
	/* A good sign-in: the count reset and the session (token hash $1) made, unless disabled meanwhile. */
	[ST_SIGN_IN] = { "session_sign_in",
	    "WITH u AS (UPDATE users SET failed_logins = 0, locked_until = NULL"
	    " WHERE id = $2::uuid AND status = 'active' RETURNING id)"
	    " INSERT INTO sessions (token_hash, user_id, expires_at)"
	    " SELECT $1::bytea, id, now() + make_interval(secs => $3::double precision) FROM u"
	    " RETURNING 1", 3 },
	/* A rehash (new Argon2 parameters, same password) ends no session (migration 006). */
	[ST_REHASH_MARK] = { "session_rehash_mark", "SELECT set_config('fieldsync.rehash', 'on', true)", 0 },
	[ST_REHASH] = { "session_rehash",
	    "UPDATE users SET password_hash = $2 WHERE id = $1::uuid AND password_hash = $3", 3 },
	[ST_LOGOUT] = { "session_logout", "DELETE FROM sessions WHERE token_hash = $1::bytea", 1 },
};
enum { FIND_ID, FIND_HASH, FIND_ACTIVE, FIND_LOCKED };

/*
 * What a session worker process keeps beside its connection: the auth statements (never
 * cached here: GET /api/session is the authority on a session), and the dummy hash an
 * unknown login is verified against. Set up by fs_session_init() before the first connection.
 */
static struct {
	char dummy[crypto_pwhash_STRBYTES];
} st;

enum fs_err
fs_session_init(struct fs_worker *w)
{
	static const char dummy_pw[] = "fieldsync: no such account";

	if (fs_pg_add(&w->db.pg, stmts, ST__MAX) != FS_OK
	    || crypto_pwhash_str(st.dummy, dummy_pw, sizeof(dummy_pw) - 1,
	    crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
		fs_log(FS_LOG_ERROR, "session: cannot set up the sign-in service");
		return ERR_INTERNAL;
	}
	w->auth.cache_ms = 0;
	return FS_OK;
}

/* Whether the request came over HTTPS (FastCGI param HTTPS = "on"). */
static bool
over_https(const struct fs_request *req)
{
	const char *https = fs_request_param(req, "HTTPS");

	return https && strcasecmp(https, "on") == 0;
}

/* Adds the Set-Cookie of TOKEN for MAX_AGE seconds ("" and 0 clear it). FS_OK or ERR_INTERNAL. */
static enum fs_err
set_cookie(struct fs_request *req, const char *token, long max_age)
{
	return fs_response_header(req, "Set-Cookie", "%s=%s; Path=/; HttpOnly; SameSite=Strict;"
	    " Max-Age=%ld%s", FS_COOKIE, token, max_age, over_https(req) ? "; Secure" : "");
}

/* Answers STATUS with {"token"?, "user", "expires_at"} for U. */
static void
answer_user(struct fs_request *req, int status, const char *token, const struct fs_user *u)
{
	cJSON *root = cJSON_CreateObject(), *user = fs_auth_user_json(u);
	char *text = NULL;
	bool ok = root && user && (!token || cJSON_AddStringToObject(root, "token", token));

	if (ok && cJSON_AddItemToObject(root, "user", user)) {
		user = NULL;	/* in the tree now */
		ok = cJSON_AddStringToObject(root, "expires_at", u->expires_at) != NULL;
	} else {
		ok = false;
	}
	if (ok)
		text = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	cJSON_Delete(user);
	if (!text) {
		fs_error_set(&req->err, ERR_INTERNAL, NULL, "out of memory");
		return;
	}
	/* Hand back memory the request frees with free(), whatever cJSON's allocator. */
	char *body = strdup(text);
	cJSON_free(text);
	if (!body) {
		fs_error_set(&req->err, ERR_INTERNAL, NULL, "out of memory");
		return;
	}
	fs_response_take(req, status, body, strlen(body));
}

/* The string member NAME of OBJ into *OUT, or 400/422 in ERR. */
static enum fs_err
string_member(const cJSON *obj, const char *name, const char **out, struct fs_error *err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);

	if (!v || cJSON_IsNull(v))
		return fs_error_set(err, ERR_MISSING_FIELD, name, "%s is required", name);
	if (!cJSON_IsString(v) || !v->valuestring)
		return fs_error_set(err, ERR_INVALID_TYPE, name, "%s must be a string", name);
	*out = v->valuestring;
	return FS_OK;
}

/* The login and password of the body BODY into *LOGIN and *PW. FS_OK or ERR. */
static enum fs_err
credentials(const cJSON *body, const char **login, const char **pw, struct fs_error *err)
{
	const cJSON *v;

	cJSON_ArrayForEach(v, body)
		if (strcmp(v->string, "login") != 0 && strcmp(v->string, "password") != 0)
			return fs_error_set(err, ERR_UNKNOWN_FIELD, v->string,
			    "a sign-in has only login and password, not %.64s", v->string);
	if (string_member(body, "login", login, err) != FS_OK
	    || string_member(body, "password", pw, err) != FS_OK)
		return err->code;
	return FS_OK;
}

static enum fs_err
invalid_credentials(struct fs_error *err)
{
	return fs_error_set(err, ERR_INVALID_CREDENTIALS, NULL, "wrong login or password");
}

/* Counts a failed sign-in of account ID (a failure to count it is logged, not answered). */
static void
count_failure(struct fs_worker *w, const char *id)
{
	struct fs_error e = FS_ERROR_INIT;
	char max[16], cap[16];
	const char *params[3] = { id, max, cap };
	PGresult *r = NULL;

	snprintf(max, sizeof(max), "%d", w->cfg->login_max_failures);
	snprintf(cap, sizeof(cap), "%d", w->cfg->login_lockout_max);
	if (fs_pg_exec(&w->db.pg, &stmts[ST_FAILED], params, &r, &e) != FS_OK)
		fs_log(FS_LOG_ERROR, "session: a failed sign-in was not counted: %s", e.message);
	PQclear(r);
	fs_error_clear(&e);
}

/* Replaces OLD, the hash PW (LEN bytes) matched for account ID, by one with today's parameters. */
static void
rehash(struct fs_worker *w, const char *id, const char *pw, size_t len, const char *old)
{
	struct fs_error e = FS_ERROR_INIT, ignored = FS_ERROR_INIT;
	char fresh[crypto_pwhash_STRBYTES] = "";
	const char *params[3] = { id, fresh, old };
	PGresult *r = NULL;

	/* Best effort: the sign-in stands whatever happens here; the next one tries again. */
	if (fs_auth_password_hash(pw, len, fresh, &e) != FS_OK
	    || fs_pg_command(&w->db.pg, "BEGIN", &e) != FS_OK)
		goto out;
	if (fs_pg_exec(&w->db.pg, &stmts[ST_REHASH_MARK], NULL, &r, &e) == FS_OK) {
		PQclear(r);
		r = NULL;
		if (fs_pg_exec(&w->db.pg, &stmts[ST_REHASH], params, &r, &e) == FS_OK
		    && fs_pg_command(&w->db.pg, "COMMIT", &e) == FS_OK)
			goto out;
	}
	fs_pg_command(&w->db.pg, "ROLLBACK", &ignored);
	fs_error_clear(&ignored);
out:
	if (e.code != FS_OK)
		fs_log(FS_LOG_ERROR, "session: a rehash failed: %s", e.message);
	PQclear(r);
	fs_error_clear(&e);
	sodium_memzero(fresh, sizeof(fresh));
}

/* Makes the session of account ID and answers 201 with it. */
static void
open_session(struct fs_worker *w, struct fs_request *req, const char *id)
{
	struct fs_error *err = &req->err;
	char token[FS_TOKEN_LEN + 1], hex[2 * FS_TOKEN_HASH_LEN + 3], life[32];
	unsigned char hash[FS_TOKEN_HASH_LEN];
	const char *params[3] = { hex, id, life };
	const struct fs_user *u;
	PGresult *r = NULL;

	fs_auth_token_new(token, hash);
	fs_auth_hash_text(hash, hex);
	snprintf(life, sizeof(life), "%ld", w->cfg->session_lifetime);
	if (fs_pg_exec(&w->db.pg, &stmts[ST_SIGN_IN], params, &r, err) != FS_OK)
		goto out;
	if (PQntuples(r) != 1) {	/* disabled between the check and now */
		invalid_credentials(err);
		goto out;
	}
	if (fs_auth_lookup(&w->auth, hash, &u, err) != FS_OK || set_cookie(req, token,
	    w->cfg->session_lifetime) != FS_OK)
		goto out;
	answer_user(req, 201, token, u);
out:
	PQclear(r);
	sodium_memzero(token, sizeof(token));
}

/* POST: sign in. */
static void
sign_in(struct fs_worker *w, struct fs_request *req)
{
	struct fs_error *err = &req->err;
	const char *login = NULL, *pw = NULL, *params[1], *id, *stored;
	cJSON *body = fs_auth_body(req, LOGIN_BODY_MAX, err);
	PGresult *r = NULL;
	size_t len;
	int left;

	if (!body || credentials(body, &login, &pw, err) != FS_OK)
		goto out;
	if (!login || !pw) {	/* credentials() sets both on success; never trust that blindly */
		invalid_credentials(err);
		goto out;
	}
	len = strlen(pw);
	params[0] = login;
	if (fs_pg_exec(&w->db.pg, &stmts[ST_FIND], params, &r, err) != FS_OK)
		goto out;
	if (PQntuples(r) != 1) {
		/* As costly as a wrong password, so the time tells nothing about the login. */
		if (crypto_pwhash_str_verify(st.dummy, pw, len) == 0)
			fs_log(FS_LOG_ERROR, "session: the dummy hash matched a password");
		invalid_credentials(err);
		goto out;
	}
	left = atoi(PQgetvalue(r, 0, FIND_LOCKED));
	if (left > 0) {
		fs_error_set(err, ERR_RATE_LIMITED, NULL, "too many failed sign-ins: try again in %d s", left);
		err->retry_after = left;
		goto out;
	}
	id = PQgetvalue(r, 0, FIND_ID);
	stored = PQgetvalue(r, 0, FIND_HASH);
	/* A disabled account is verified too: the same answer at the same cost as a wrong password. */
	if (crypto_pwhash_str_verify(stored, pw, len) != 0 || strcmp(PQgetvalue(r, 0, FIND_ACTIVE), "t") != 0) {
		count_failure(w, id);
		invalid_credentials(err);
		goto out;
	}
	if (crypto_pwhash_str_needs_rehash(stored, crypto_pwhash_OPSLIMIT_INTERACTIVE,
	    crypto_pwhash_MEMLIMIT_INTERACTIVE) == 1)
		rehash(w, id, pw, len, stored);
	open_session(w, req, id);
out:
	/* The password leaves no copy behind in this long-lived process. */
	if (pw)
		sodium_memzero((void *)pw, strlen(pw));
	if (req->body)
		sodium_memzero(req->body, req->body_len);
	PQclear(r);
	cJSON_Delete(body);
}

/* GET and HEAD: the session's user. */
static void
who_am_i(struct fs_worker *w, struct fs_request *req)
{
	const struct fs_user *u;
	bool via_cookie;

	if (fs_auth_identify(&w->auth, req, &u, &via_cookie, &req->err) == FS_OK)
		answer_user(req, 200, NULL, u);
}

/* DELETE: sign out. */
static void
sign_out(struct fs_worker *w, struct fs_request *req)
{
	char token[FS_TOKEN_LEN + 1], hex[2 * FS_TOKEN_HASH_LEN + 3];
	unsigned char hash[FS_TOKEN_HASH_LEN];
	const char *params[1] = { hex };
	const struct fs_user *u;
	PGresult *r = NULL;
	bool via_cookie;

	if (fs_auth_identify(&w->auth, req, &u, &via_cookie, &req->err) != FS_OK
	    || fs_auth_csrf(req, via_cookie, &req->err) != FS_OK
	    || !fs_auth_token_of(req, token, &via_cookie))
		return;
	fs_auth_token_hash(token, hash);
	sodium_memzero(token, sizeof(token));
	fs_auth_hash_text(hash, hex);
	fs_auth_forget(&w->auth, hash);
	if (fs_pg_exec(&w->db.pg, &stmts[ST_LOGOUT], params, &r, &req->err) == FS_OK
	    && set_cookie(req, "", 0) == FS_OK)
		fs_response_set(req, 204, NULL, 0);
	PQclear(r);
}

void
fs_session_handle(struct fs_worker *w, struct fs_request *req)
{
	switch (req->method) {
	case M_POST:
		sign_in(w, req);
		break;
	case M_GET:
	case M_HEAD:
		who_am_i(w, req);
		break;
	case M_DELETE:
		sign_out(w, req);
		break;
	case M_OPTIONS:
		fs_http_preflight(req);
		break;
	default:
		fs_error_set(&req->err, ERR_METHOD_NOT_ALLOWED, NULL,
		    "/api/session takes POST, GET and DELETE");
		break;
	}
}
