/* fs_auth.c - roles, tokens, passwords, the session of a request and the CSRF rule. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fs_auth.h"
#include "fs_json.h"
#include "fs_log.h"

static const char *const role_names[ROLE__MAX] = {
	[ROLE_REP] = "rep", [ROLE_MANAGER] = "manager", [ROLE_FINANCE] = "finance",
	[ROLE_HR] = "hr", [ROLE_ADMIN] = "admin",
};

enum stmt { ST_LOOKUP, ST_TRUSTED, ST__MAX };

/*
 * The session of token hash $1, if valid ($2: session_idle seconds), with its user and one
 * row per membership (NULLs for none). last_seen is touched at most once a minute: a write
 * only when it is older, not one per request.
 */
static const struct fs_pg_stmt stmts[ST__MAX] = {
	[ST_LOOKUP] = { "auth_lookup",
	    "WITH s AS (SELECT token_hash, user_id, expires_at, last_seen FROM sessions"
	    " WHERE token_hash = $1::bytea AND now() < expires_at"
	    " AND now() < last_seen + make_interval(secs => $2::double precision)),"
	    " t AS (UPDATE sessions x SET last_seen = now() FROM s WHERE x.token_hash = s.token_hash"
	    " AND s.last_seen < now() - interval '60 seconds' RETURNING 1)"
	    " SELECT u.id::text, u.login, u.name, to_json(s.expires_at) #>> '{}', m.branch, m.role"
	    " FROM s JOIN users u ON u.id = s.user_id AND u.status = 'active'"
	    " LEFT JOIN memberships m ON m.user_id = u.id"
	    " ORDER BY m.branch COLLATE \"C\", m.role", 2 },
	/* The active account of login $1 that the front door (trusted_header) vouches for. */
	[ST_TRUSTED] = { "auth_trusted",
	    "SELECT u.id::text, u.login, u.name, NULL, m.branch, m.role FROM users u"
	    " LEFT JOIN memberships m ON m.user_id = u.id WHERE u.login = $1 AND u.status = 'active'"
	    " ORDER BY m.branch COLLATE \"C\", m.role", 1 },
};
enum { COL_ID, COL_LOGIN, COL_NAME, COL_EXPIRES, COL_BRANCH, COL_ROLE };

const char *
fs_role_name(enum fs_role role)
{
	return role < ROLE__MAX ? role_names[role] : "";
}

bool
fs_role_parse(const char *name, enum fs_role *out)
{
	for (int r = 0; r < ROLE__MAX; r++)
		if (name && strcmp(name, role_names[r]) == 0) {
			*out = (enum fs_role)r;
			return true;
		}
	return false;
}

enum fs_err
fs_auth_init(struct fs_auth *a, struct fs_pg *pg, const struct fs_config *cfg)
{
	memset(a, 0, sizeof(*a));
	a->pg = pg;
	a->cfg = cfg;
	a->cache_ms = cfg->auth_cache_ms;
	if (sodium_init() < 0) {	/* 1 when already done: fine */
		fs_log(FS_LOG_ERROR, "libsodium cannot start");
		return ERR_INTERNAL;
	}
	return fs_pg_add(pg, stmts, ST__MAX);
}

/* Empties cache slot I. */
static void
drop_slot(struct fs_auth *a, int i)
{
	free(a->cache[i].user.m);
	memset(&a->cache[i], 0, sizeof(a->cache[i]));
}

void
fs_auth_release(struct fs_auth *a)
{
	for (int i = 0; i < FS_AUTH_CACHE; i++)
		drop_slot(a, i);
}

/* Whether TEXT is exactly one well-formed token (43 base64url characters). */
static bool
token_well_formed(const char *text, size_t len)
{
	if (len != FS_TOKEN_LEN)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = text[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
		    || c == '-' || c == '_'))
			return false;
	}
	return true;
}

/* The value of cookie NAME in the Cookie header COOKIES into *VAL / *LEN; false when absent. */
static bool
cookie_value(const char *cookies, const char *name, const char **val, size_t *len)
{
	size_t nlen = strlen(name);
	const char *p = cookies;

	while (p && *p) {
		while (*p == ' ' || *p == '\t' || *p == ';')
			p++;
		const char *end = strchr(p, ';');
		size_t plen = end ? (size_t)(end - p) : strlen(p);
		if (plen > nlen && strncmp(p, name, nlen) == 0 && p[nlen] == '=') {
			*val = p + nlen + 1;
			*len = plen - nlen - 1;
			while (*len && ((*val)[*len - 1] == ' ' || (*val)[*len - 1] == '\t'))
				(*len)--;
			return true;
		}
		p = end;
	}
	return false;
}

bool
fs_auth_token_of(const struct fs_request *req, char *token, bool *via_cookie)
{
	const char *auth = fs_request_param(req, "HTTP_AUTHORIZATION");
	const char *cookies = fs_request_param(req, "HTTP_COOKIE");
	const char *val = NULL;
	size_t len = 0;

	*via_cookie = false;
	token[0] = '\0';
	if (auth && *auth) {
		/* An Authorization header decides, even a broken one: never fall back to the cookie. */
		if (strncasecmp(auth, "Bearer ", 7) != 0)
			return false;
		val = auth + 7;
		while (*val == ' ')
			val++;
		len = strlen(val);
		while (len && val[len - 1] == ' ')
			len--;
	} else if (cookies && cookie_value(cookies, FS_COOKIE, &val, &len)) {
		*via_cookie = true;
	} else {
		return false;
	}
	if (!token_well_formed(val, len))
		return false;
	memcpy(token, val, FS_TOKEN_LEN);
	token[FS_TOKEN_LEN] = '\0';
	return true;
}

void
fs_auth_token_hash(const char *token, unsigned char *hash)
{
	crypto_hash_sha256(hash, (const unsigned char *)token, strlen(token));
}

void
fs_auth_token_new(char *token, unsigned char *hash)
{
	unsigned char raw[32];

	randombytes_buf(raw, sizeof(raw));
	sodium_bin2base64(token, FS_TOKEN_LEN + 1, raw, sizeof(raw),
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof(raw));
	fs_auth_token_hash(token, hash);
}

void
fs_auth_hash_text(const unsigned char *hash, char *text)
{
	memcpy(text, "\\x", 2);
	sodium_bin2hex(text + 2, 2 * FS_TOKEN_HASH_LEN + 1, hash, FS_TOKEN_HASH_LEN);
}

/* Copies SRC into DST (SIZE bytes); false when it does not fit. */
static bool
copy(char *dst, size_t size, const char *src)
{
	size_t n = strlen(src);

	if (n >= size)
		return false;
	memcpy(dst, src, n + 1);
	return true;
}

/* Fills U from the lookup result R (at least one row); FS_OK or ERR_INTERNAL. */
static enum fs_err
fill_user(struct fs_user *u, const PGresult *r, struct fs_error *err)
{
	int rows = PQntuples(r);

	memset(u, 0, sizeof(*u));
	if (!copy(u->id, sizeof(u->id), PQgetvalue(r, 0, COL_ID))
	    || !copy(u->login, sizeof(u->login), PQgetvalue(r, 0, COL_LOGIN))
	    || !copy(u->name, sizeof(u->name), PQgetvalue(r, 0, COL_NAME))
	    || !copy(u->expires_at, sizeof(u->expires_at), PQgetvalue(r, 0, COL_EXPIRES)))
		return fs_error_set(err, ERR_INTERNAL, NULL, "a session row does not fit");
	if (PQgetisnull(r, 0, COL_BRANCH))
		return FS_OK;
	u->m = calloc((size_t)rows, sizeof(*u->m));
	if (!u->m)
		return fs_error_set(err, ERR_INTERNAL, NULL, "out of memory");
	for (int i = 0; i < rows; i++) {
		struct fs_membership *m = &u->m[u->n];
		if (!copy(m->branch, sizeof(m->branch), PQgetvalue(r, i, COL_BRANCH))
		    || !fs_role_parse(PQgetvalue(r, i, COL_ROLE), &m->role)) {
			free(u->m);
			u->m = NULL;
			u->n = 0;
			return fs_error_set(err, ERR_INTERNAL, NULL, "a membership row is not understood");
		}
		u->admin |= m->role == ROLE_ADMIN;
		u->n++;
	}
	return FS_OK;
}

/* The cache slot of HASH, or -1. */
static int
find_slot(const struct fs_auth *a, const unsigned char *hash)
{
	for (int i = 0; i < FS_AUTH_CACHE; i++)
		if (a->cache[i].at.tv_sec && sodium_memcmp(a->cache[i].hash, hash, FS_TOKEN_HASH_LEN) == 0)
			return i;
	return -1;
}

/* The slot whose entry a request with TOKEN filled, or -1 (compared in constant time). */
static int
find_token(const struct fs_auth *a, const char *token)
{
	for (int i = 0; i < FS_AUTH_CACHE; i++)
		if (a->cache[i].at.tv_sec && a->cache[i].token[0]
		    && sodium_memcmp(a->cache[i].token, token, FS_TOKEN_LEN) == 0)
			return i;
	return -1;
}

/* A slot for a new entry: an empty one, else the oldest. */
static int
free_slot(struct fs_auth *a)
{
	int oldest = 0;

	for (int i = 0; i < FS_AUTH_CACHE; i++) {
		if (!a->cache[i].at.tv_sec)
			return i;
		if (a->cache[i].at.tv_sec < a->cache[oldest].at.tv_sec
		    || (a->cache[i].at.tv_sec == a->cache[oldest].at.tv_sec
		    && a->cache[i].at.tv_nsec < a->cache[oldest].at.tv_nsec))
			oldest = i;
	}
	drop_slot(a, oldest);
	return oldest;
}

/* Milliseconds from AT to now (CLOCK_MONOTONIC). */
static long long
ms_since(const struct timespec *at)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long long)(now.tv_sec - at->tv_sec) * 1000 + (now.tv_nsec - at->tv_nsec) / 1000000;
}

void
fs_auth_forget(struct fs_auth *a, const unsigned char *hash)
{
	int i = find_slot(a, hash);

	if (i >= 0)
		drop_slot(a, i);
}

/* Runs the user lookup S with PARAMS and caches its answer under HASH; see fs_auth_lookup. */
static enum fs_err
lookup(struct fs_auth *a, enum stmt s, const char *const *params, const unsigned char *hash,
    const struct fs_user **out, struct fs_error *err)
{
	PGresult *r = NULL;
	enum fs_err rc;
	int i;

	*out = NULL;
	fs_auth_forget(a, hash);
	rc = fs_pg_exec(a->pg, &stmts[s], params, &r, err);
	if (rc == FS_OK && PQntuples(r) == 0)
		rc = fs_error_set(err, ERR_UNAUTHENTICATED, NULL,
		    "the session has ended or is unknown: sign in again");
	if (rc == FS_OK) {
		i = free_slot(a);
		sodium_memzero(a->cache[i].token, sizeof(a->cache[i].token));	/* another token's */
		rc = fill_user(&a->cache[i].user, r, err);
		if (rc == FS_OK) {
			memcpy(a->cache[i].hash, hash, FS_TOKEN_HASH_LEN);
			clock_gettime(CLOCK_MONOTONIC, &a->cache[i].at);
			if (!a->cache[i].at.tv_sec)	/* 0 marks an empty slot */
				a->cache[i].at.tv_sec = 1;
			*out = &a->cache[i].user;
		} else {
			drop_slot(a, i);
		}
	}
	PQclear(r);
	return rc;
}

const struct fs_pg_stmt *
fs_auth_lookup_query(const struct fs_auth *a, const unsigned char *hash, char *hex, char *idle,
    const char *params[2])
{
	fs_auth_hash_text(hash, hex);
	snprintf(idle, 24, "%ld", a->cfg->session_idle);
	params[0] = hex;
	params[1] = idle;
	return &stmts[ST_LOOKUP];
}

enum fs_err
fs_auth_lookup_user(const PGresult *r, struct fs_user *u, struct fs_error *err)
{
	memset(u, 0, sizeof(*u));
	if (PQntuples(r) == 0)
		return fs_error_set(err, ERR_UNAUTHENTICATED, NULL,
		    "the session has ended or is unknown: sign in again");
	return fill_user(u, r, err);
}

enum fs_err
fs_auth_lookup(struct fs_auth *a, const unsigned char *hash, const struct fs_user **out,
    struct fs_error *err)
{
	char hex[2 * FS_TOKEN_HASH_LEN + 3], idle[24];
	const char *params[2];

	fs_auth_lookup_query(a, hash, hex, idle, params);
	return lookup(a, ST_LOOKUP, params, hash, out, err);
}

/* The user the front door names in REQ (trusted_header), cached like a session. */
static enum fs_err
trusted_user(struct fs_auth *a, const char *login, const struct fs_user **out,
    struct fs_error *err)
{
	unsigned char hash[FS_TOKEN_HASH_LEN];
	const char *params[1] = { login };
	char *key = NULL;
	int i;

	/* Its own namespace in the cache: no token hashes to "trusted\n<login>". */
	if (asprintf(&key, "trusted\n%s", login) < 0)
		return fs_error_set(err, ERR_INTERNAL, NULL, "out of memory");
	fs_auth_token_hash(key, hash);
	free(key);
	i = find_slot(a, hash);
	if (i >= 0 && a->cache_ms > 0 && ms_since(&a->cache[i].at) < a->cache_ms) {
		*out = &a->cache[i].user;
		return FS_OK;
	}
	if (lookup(a, ST_TRUSTED, params, hash, out, err) == ERR_UNAUTHENTICATED)
		fs_error_set(err, ERR_UNAUTHENTICATED, NULL, "the signed-in user has no active account here");
	return *out ? FS_OK : err->code;
}

enum fs_err
fs_auth_identify(struct fs_auth *a, const struct fs_request *req, const struct fs_user **out,
    bool *via_cookie, struct fs_error *err)
{
	char token[FS_TOKEN_LEN + 1];
	unsigned char hash[FS_TOKEN_HASH_LEN];
	int i;

	*out = NULL;
	if (a->cfg->trusted_header[0]) {
		const char *login = fs_request_param(req, a->cfg->trusted_header);

		/* The browser signed in through the front door: its cookies, so the CSRF rule. */
		*via_cookie = true;
		if (login && *login)
			return trusted_user(a, login, out, err);
	}
	if (!fs_auth_token_of(req, token, via_cookie))
		return fs_error_set(err, ERR_UNAUTHENTICATED, NULL,
		    "sign in first (POST /api/session), then send the token as Authorization: Bearer"
		    " or the session cookie");
	/* A fresh entry for this very token answers without hashing it (a third of the check). */
	i = find_token(a, token);
	if (i >= 0 && a->cache_ms > 0 && ms_since(&a->cache[i].at) < a->cache_ms) {
		sodium_memzero(token, sizeof(token));
		*out = &a->cache[i].user;
		return FS_OK;
	}
	fs_auth_token_hash(token, hash);
	i = find_slot(a, hash);
	if (i >= 0 && a->cache_ms > 0 && ms_since(&a->cache[i].at) < a->cache_ms)
		*out = &a->cache[i].user;
	else if (fs_auth_lookup(a, hash, out, err) == FS_OK)
		i = find_slot(a, hash);
	if (*out && i >= 0)
		memcpy(a->cache[i].token, token, sizeof(token));
	sodium_memzero(token, sizeof(token));
	return *out ? FS_OK : err->code;
}

#ifdef FS_OPEN_ACCESS
/* Benchmarks of what access control costs: everyone is an admin, nothing is asked. */
enum fs_err
fs_auth_require(struct fs_auth *a, const struct fs_request *req, const struct fs_user **out,
    struct fs_error *err)
{
	static const struct fs_user anyone = { .login = "open-access", .admin = true };

	(void)a;
	(void)req;
	(void)err;
	*out = &anyone;
	return FS_OK;
}
#else
enum fs_err
fs_auth_require(struct fs_auth *a, const struct fs_request *req, const struct fs_user **out,
    struct fs_error *err)
{
	bool via_cookie;

	if (fs_auth_identify(a, req, out, &via_cookie, err) != FS_OK)
		return err->code;
	return fs_auth_csrf(req, via_cookie, err);
}
#endif

bool
fs_auth_offered(const struct fs_request *req)
{
	const char *cookie = fs_request_param(req, "HTTP_COOKIE"), *front;

	front = req->cfg->trusted_header[0] ? fs_request_param(req, req->cfg->trusted_header) : NULL;
	return fs_request_param(req, "HTTP_AUTHORIZATION") || (cookie && strstr(cookie, FS_COOKIE "="))
	    || (front && *front);
}

enum fs_err
fs_auth_csrf(const struct fs_request *req, bool via_cookie, struct fs_error *err)
{
	const char *xrw;

	if (!via_cookie || (req->method != M_POST && req->method != M_PUT && req->method != M_DELETE))
		return FS_OK;
	if (fs_config_origin_allowed(req->cfg, req->origin))
		return FS_OK;
	xrw = fs_request_param(req, "HTTP_X_REQUESTED_WITH");
	if (xrw && strcmp(xrw, "fieldsync") == 0)
		return FS_OK;
	return fs_error_set(err, ERR_CSRF_FAILED, NULL, "a change made with the session cookie needs"
	    " an allowed Origin or the header X-Requested-With: fieldsync");
}

enum fs_err
fs_auth_password_check(const struct fs_config *cfg, const char *pw, size_t len, const char *field,
    struct fs_error *err)
{
	if (len < (size_t)cfg->password_min_length)
		return fs_error_set(err, ERR_INVALID_VALUE, field, "the password must be at least %d bytes",
		    cfg->password_min_length);
	if (len > FS_PASSWORD_MAX)
		return fs_error_set(err, ERR_INVALID_VALUE, field, "the password must be at most %d bytes",
		    FS_PASSWORD_MAX);
	if (memchr(pw, '\0', len))
		return fs_error_set(err, ERR_INVALID_VALUE, field, "the password must not hold a NUL");
	return FS_OK;
}

enum fs_err
fs_auth_password_hash(const char *pw, size_t len, char *out, struct fs_error *err)
{
	if (crypto_pwhash_str(out, pw, len, crypto_pwhash_OPSLIMIT_INTERACTIVE,
	    crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
		return fs_error_set(err, ERR_INTERNAL, NULL, "out of memory hashing a password");
	return FS_OK;
}

cJSON *
fs_auth_user_json(const struct fs_user *u)
{
	cJSON *o = cJSON_CreateObject(), *ms = NULL;
	bool ok = o && cJSON_AddStringToObject(o, "id", u->id)
	    && cJSON_AddStringToObject(o, "login", u->login)
	    && cJSON_AddStringToObject(o, "name", u->name)
	    && (ms = cJSON_AddArrayToObject(o, "memberships")) != NULL;

	for (size_t i = 0; ok && i < u->n; i++) {
		cJSON *m = cJSON_CreateObject();
		if (!m || !cJSON_AddItemToArray(ms, m)) {	/* not in the tree: ours to free */
			cJSON_Delete(m);
			ok = false;
			break;
		}
		ok = cJSON_AddStringToObject(m, "branch", u->m[i].branch)
		    && cJSON_AddStringToObject(m, "role", fs_role_name(u->m[i].role));
	}
	if (!ok) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

/* Whether the content type TYPE is JSON (application/json, charset UTF-8 if any). */
static bool
is_json(const char *type)
{
	const char *p, *cs;

	if (!type || strncasecmp(type, "application/json", 16) != 0)
		return false;
	p = type + 16;
	while (*p == ' ')
		p++;
	if (*p == '\0')
		return true;
	if (*p != ';')
		return false;
	cs = strcasestr(p, "charset=");
	return !cs || strncasecmp(cs + 8, "utf-8", 5) == 0 || strncasecmp(cs + 8, "\"utf-8\"", 7) == 0;
}

cJSON *
fs_auth_body(struct fs_request *req, size_t limit, struct fs_error *err)
{
	const char *cl = fs_request_param(req, "CONTENT_LENGTH");
	cJSON *root;

	if (!is_json(req->content_type)) {
		fs_error_set(err, ERR_UNSUPPORTED_MEDIA_TYPE, NULL,
		    "send the body as Content-Type: application/json");
		return NULL;
	}
	/* Refused before a byte is read (a malformed length is fs_request_read_body's 400). */
	if (cl && *cl && strspn(cl, "0123456789") == strlen(cl)
	    && (strlen(cl) > 9 || strtoull(cl, NULL, 10) > limit)) {
		fs_error_set(err, ERR_PAYLOAD_TOO_LARGE, NULL, "the body is larger than %zu bytes", limit);
		return NULL;
	}
	if (fs_request_read_body(req, err) != FS_OK)
		return NULL;
	if (req->body_len > limit) {
		fs_error_set(err, ERR_PAYLOAD_TOO_LARGE, NULL, "the body is larger than %zu bytes", limit);
		return NULL;
	}
	root = fs_json_parse(req->body, req->body_len, err);
	if (root && !cJSON_IsObject(root)) {
		cJSON_Delete(root);
		fs_error_set(err, ERR_INVALID_TYPE, NULL, "the body must be a JSON object");
		return NULL;
	}
	return root;
}
