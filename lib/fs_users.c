/* fs_users.c - /api/users: the accounts, for admins. */
#include <regex.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs_auth.h"
#include "fs_formats.h"
#include "fs_json.h"
#include "fs_log.h"
#include "fs_users.h"

#define USERS_BODY_MAX (64 * 1024)	/* bytes */
#define MAX_MEMBERSHIPS 1000

/* A user as the API shows it: never the password hash. */
#define USER_JSON "json_build_object('id', u.id, 'login', u.login, 'name', u.name," \
	" 'status', u.status, 'memberships', coalesce((SELECT json_agg(json_build_object(" \
	"'branch', m.branch, 'role', m.role) ORDER BY m.branch COLLATE \"C\", m.role)" \
	" FROM memberships m WHERE m.user_id = u.id), '[]'), 'locked_until', u.locked_until," \
	" 'created_at', u.created_at, 'updated_at', u.updated_at, 'version', u.version)"
/* The memberships of the JSON text $2 ([{"branch","role"}], checked and normalised in C). */
#define MEMBERSHIPS "json_to_recordset($2::json) AS x(branch text, role text)"

enum stmt {
	ST_LIST, ST_GET, ST_INSERT, ST_UPDATE, ST_KEEP_MEMBERSHIPS, ST_ADD_MEMBERSHIPS,
	ST_DISABLE, ST_ADMINS, ST__MAX
};

static const struct fs_pg_stmt stmts[ST__MAX] = {
	[ST_LIST] = { "users_list", "SELECT coalesce(json_agg(" USER_JSON " ORDER BY u.login), '[]')::text"
	    " FROM users u", 0 },
	[ST_GET] = { "users_get", "SELECT " USER_JSON "::text FROM users u WHERE u.id = $1::uuid", 1 },
	/* One statement: the account and its memberships, or nothing. */
	[ST_INSERT] = { "users_insert",
	    "WITH u AS (INSERT INTO users (login, name, password_hash) VALUES ($1, $3, $4) RETURNING id),"
	    " m AS (INSERT INTO memberships (user_id, branch, role)"
	    " SELECT DISTINCT u.id, x.branch, x.role FROM u, " MEMBERSHIPS ")"
	    " SELECT id::text FROM u", 4 },
	/* NULL keeps a field as it is. */
	[ST_UPDATE] = { "users_update",
	    "UPDATE users SET name = coalesce($2, name), password_hash = coalesce($3, password_hash),"
	    " status = coalesce($4, status), updated_at = now(), version = version + 1"
	    " WHERE id = $1::uuid RETURNING id", 4 },
	/*
	 * Memberships replaced whole as two statements, those no longer held deleted and the new
	 * ones added: a membership kept is not touched, so it ends no one's rights.
	 */
	[ST_KEEP_MEMBERSHIPS] = { "users_keep_memberships",
	    "DELETE FROM memberships m WHERE m.user_id = $1::uuid AND NOT EXISTS"
	    " (SELECT 1 FROM " MEMBERSHIPS " WHERE x.branch = m.branch AND x.role = m.role)", 2 },
	[ST_ADD_MEMBERSHIPS] = { "users_add_memberships",
	    "INSERT INTO memberships (user_id, branch, role) SELECT DISTINCT $1::uuid, x.branch, x.role"
	    " FROM " MEMBERSHIPS " ON CONFLICT DO NOTHING", 2 },
	[ST_DISABLE] = { "users_disable",
	    "UPDATE users SET status = 'disabled', updated_at = now(), version = version + 1"
	    " WHERE id = $1::uuid RETURNING id", 1 },
	[ST_ADMINS] = { "users_admins",
	    "SELECT count(*) FROM users u WHERE u.status = 'active' AND EXISTS"
	    " (SELECT 1 FROM memberships m WHERE m.user_id = u.id AND m.role = 'admin')", 0 },
};

/*
 * What a users worker process keeps beside its connection: the auth statements and the
 * login rule. Set up by fs_users_init() before the first connection.
 */
static struct {
	regex_t login_re;
} st;

enum fs_err
fs_users_init(struct fs_worker *w)
{
	/* migration 006's users_login_check, so a bad login is named before SQL */
	if (fs_pg_add(&w->db.pg, stmts, ST__MAX) != FS_OK
	    || regcomp(&st.login_re, "^[a-z0-9][a-z0-9._@-]{0,63}$", REG_EXTENDED | REG_NOSUB) != 0) {
		fs_log(FS_LOG_ERROR, "users: cannot set up the service");
		return ERR_INTERNAL;
	}
	return FS_OK;
}

/* A change to the accounts, as checked from the body. Strings point into the body's tree. */
struct change {
	const char *id, *login, *name, *password, *status;
	char *memberships;		/* owned: normalised JSON, or NULL when not given */
	char hash[crypto_pwhash_STRBYTES];
};


/* Answers STATUS with the JSON text in the one cell of R. */
static void
answer_cell(struct fs_request *req, int status, const PGresult *r)
{
	char *body;

	if (PQntuples(r) != 1 || PQgetisnull(r, 0, 0)) {
		fs_error_set(&req->err, ERR_NOT_FOUND, NULL, "no user with that id");
		return;
	}
	/* PostgreSQL's json text is spaced; the API's answers are printed without whitespace. */
	cJSON *tree = cJSON_Parse(PQgetvalue(r, 0, 0));
	body = tree ? fs_json_print(tree) : NULL;
	cJSON_Delete(tree);
	if (!body) {
		fs_error_set(&req->err, ERR_INTERNAL, NULL, "out of memory");
		return;
	}
	fs_response_take(req, status, body, strlen(body));
}

/* Answers STATUS with the user ID as it is now. */
static void
answer_user(struct fs_worker *w, struct fs_request *req, int status, const char *id)
{
	const char *params[1] = { id };
	PGresult *r = NULL;

	if (fs_pg_exec(&w->db.pg, &stmts[ST_GET], params, &r, &req->err) == FS_OK)
		answer_cell(req, status, r);
	PQclear(r);
}

/* The ?id= of QUERY into *ID (NULL when the query is empty). FS_OK or 400 in ERR. */
static enum fs_err
query_id(const char *query, const char **id, struct fs_error *err)
{
	*id = NULL;
	if (!*query)
		return FS_OK;
	if (strncmp(query, "id=", 3) != 0 || strchr(query, '&'))
		return fs_error_set(err, ERR_UNKNOWN_PARAMETER, NULL, "/api/users takes only ?id=");
	if (!fs_is_uuid(query + 3))
		return fs_error_set(err, ERR_INVALID_FORMAT, "id", "id must be a uuid");
	*id = query + 3;
	return FS_OK;
}

/* The optional string member NAME of OBJ into *OUT (NULL when absent), at most MAX bytes. */
static enum fs_err
opt_string(const cJSON *obj, const char *name, size_t max, const char **out, struct fs_error *err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);

	*out = NULL;
	if (!v || cJSON_IsNull(v))
		return FS_OK;
	if (!cJSON_IsString(v) || !v->valuestring)
		return fs_error_set(err, ERR_INVALID_TYPE, name, "%s must be a string", name);
	if (strlen(v->valuestring) > max)
		return fs_error_set(err, ERR_INVALID_VALUE, name, "%s must be at most %zu bytes", name, max);
	*out = v->valuestring;
	return FS_OK;
}

/* Checks one membership M (position I) and appends it, normalised, to OUT. */
static enum fs_err
membership(const cJSON *m, int i, cJSON *out, struct fs_error *err)
{
	const cJSON *v;
	const char *branch, *role;
	enum fs_role r;
	cJSON *o;

	if (!cJSON_IsObject(m))
		return fs_error_set(err, ERR_INVALID_TYPE, "memberships",
		    "memberships[%d] must be an object {\"branch\", \"role\"}", i);
	cJSON_ArrayForEach(v, m)
		if (strcmp(v->string, "branch") != 0 && strcmp(v->string, "role") != 0)
			return fs_error_set(err, ERR_UNKNOWN_FIELD, "memberships",
			    "memberships[%d] has only branch and role, not %.64s", i, v->string);
	if (opt_string(m, "role", 64, &role, err) != FS_OK || opt_string(m, "branch", 200, &branch, err) != FS_OK)
		return err->code;
	if (!role)
		return fs_error_set(err, ERR_MISSING_FIELD, "memberships", "memberships[%d] needs a role", i);
	if (!fs_role_parse(role, &r))
		return fs_error_set(err, ERR_INVALID_VALUE, "memberships", "memberships[%d]: role must be"
		    " one of: rep, manager, finance, hr, admin", i);
	if (r == ROLE_ADMIN && branch && strcmp(branch, "*") != 0)
		return fs_error_set(err, ERR_INVALID_VALUE, "memberships",
		    "memberships[%d]: admin holds every branch: give no branch (or \"*\")", i);
	if (r != ROLE_ADMIN && (!branch || !*branch || strcmp(branch, "*") == 0))
		return fs_error_set(err, ERR_MISSING_FIELD, "memberships",
		    "memberships[%d]: a %s role needs a branch", i, role);
	if (!(o = cJSON_CreateObject()) || !cJSON_AddItemToArray(out, o)) {
		cJSON_Delete(o);
		return fs_error_set(err, ERR_INTERNAL, NULL, "out of memory");
	}
	if (!cJSON_AddStringToObject(o, "branch", r == ROLE_ADMIN ? "*" : branch)
	    || !cJSON_AddStringToObject(o, "role", fs_role_name(r)))
		return fs_error_set(err, ERR_INTERNAL, NULL, "out of memory");
	return FS_OK;
}

/* The memberships member of BODY, checked, as normalised JSON text into *OUT (NULL: absent). */
static enum fs_err
memberships(const cJSON *body, char **out, struct fs_error *err)
{
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(body, "memberships"), *m;
	cJSON *norm;
	int i = 0;

	*out = NULL;
	if (!list)
		return FS_OK;
	if (!cJSON_IsArray(list))
		return fs_error_set(err, ERR_INVALID_TYPE, "memberships", "memberships must be an array");
	if (cJSON_GetArraySize(list) > MAX_MEMBERSHIPS)
		return fs_error_set(err, ERR_INVALID_VALUE, "memberships", "at most %d memberships",
		    MAX_MEMBERSHIPS);
	if (!(norm = cJSON_CreateArray()))
		return fs_error_set(err, ERR_INTERNAL, NULL, "out of memory");
	cJSON_ArrayForEach(m, list)
		if (membership(m, i++, norm, err) != FS_OK)
			break;
	if (err->code == FS_OK && !(*out = fs_json_print(norm)))
		fs_error_set(err, ERR_INTERNAL, NULL, "out of memory");
	cJSON_Delete(norm);
	return err->code;
}

/* Refuses a member of BODY not in the NULL-terminated ALLOWED. */
static enum fs_err
only(const cJSON *body, const char *const *allowed, struct fs_error *err)
{
	const cJSON *v;

	cJSON_ArrayForEach(v, body) {
		size_t i = 0;
		while (allowed[i] && strcmp(allowed[i], v->string) != 0)
			i++;
		if (!allowed[i])
			return fs_error_set(err, ERR_UNKNOWN_FIELD, v->string, "a user has no field %.64s",
			    v->string);
	}
	return FS_OK;
}

/* The fields of BODY common to POST and PUT into C, the password hashed. */
static enum fs_err
common_fields(struct fs_worker *w, const cJSON *body, struct change *c, struct fs_error *err)
{
	if (opt_string(body, "name", 200, &c->name, err) != FS_OK
	    || opt_string(body, "password", FS_PASSWORD_MAX, &c->password, err) != FS_OK
	    || memberships(body, &c->memberships, err) != FS_OK)
		return err->code;
	if (c->name && !fs_is_utf8(c->name, strlen(c->name)))	/* fs_json_parse has checked; be sure */
		return fs_error_set(err, ERR_INVALID_VALUE, "name", "name must be UTF-8");
	if (c->password && (fs_auth_password_check(w->cfg, c->password, strlen(c->password),
	    "password", err) != FS_OK || fs_auth_password_hash(c->password, strlen(c->password),
	    c->hash, err) != FS_OK))
		return err->code;
	return FS_OK;
}

/* Runs S with PARAMS, discarding the result. FS_OK or ERR. */
static enum fs_err
run(struct fs_worker *w, enum stmt s, const char *const *params, PGresult **keep, struct fs_error *err)
{
	PGresult *r = NULL;
	enum fs_err rc = fs_pg_exec(&w->db.pg, &stmts[s], params, &r, err);

	if (keep && rc == FS_OK)
		*keep = r;
	else
		PQclear(r);
	/* The one unique value of users: its login. */
	if (rc == ERR_DUPLICATE_VALUE)
		fs_error_set(err, ERR_DUPLICATE_VALUE, "login", "that login is taken");
	return rc;
}

/* POST: a new account. */
static void
create_user(struct fs_worker *w, struct fs_request *req, const cJSON *body)
{
	static const char *const allowed[] = { "login", "name", "password", "memberships", NULL };
	struct fs_error *err = &req->err;
	struct change c = { 0 };
	PGresult *r = NULL;
	char id[37];

	if (only(body, allowed, err) != FS_OK || opt_string(body, "login", 64, &c.login, err) != FS_OK)
		goto out;
	if (!c.login) {
		fs_error_set(err, ERR_MISSING_FIELD, "login", "login is required");
		goto out;
	}
	if (regexec(&st.login_re, c.login, 0, NULL, 0) != 0) {
		fs_error_set(err, ERR_INVALID_VALUE, "login", "login must be 1 to 64 of a-z 0-9 . _ @ -,"
		    " starting with a letter or digit");
		goto out;
	}
	if (!cJSON_GetObjectItemCaseSensitive(body, "password")) {
		fs_error_set(err, ERR_MISSING_FIELD, "password", "password is required");
		goto out;
	}
	if (common_fields(w, body, &c, err) != FS_OK)
		goto out;
	const char *params[4] = { c.login, c.memberships ? c.memberships : "[]", c.name ? c.name : "",
	    c.hash };
	if (run(w, ST_INSERT, params, &r, err) != FS_OK)
		goto out;
	snprintf(id, sizeof(id), "%s", PQgetvalue(r, 0, 0));
	answer_user(w, req, 201, id);
out:
	PQclear(r);
	free(c.memberships);
	sodium_memzero(c.hash, sizeof(c.hash));
}

/* Inside the open transaction: refuses, as 422, a state with no active admin left. */
static enum fs_err
admin_left(struct fs_worker *w, struct fs_error *err)
{
	PGresult *r = NULL;
	enum fs_err rc = run(w, ST_ADMINS, NULL, &r, err);

	if (rc == FS_OK && strcmp(PQgetvalue(r, 0, 0), "0") == 0)
		rc = fs_error_set(err, ERR_INVALID_VALUE, NULL,
		    "that would leave no active admin: make another admin first");
	PQclear(r);
	return rc;
}

/* Runs the change C of user C->id in one transaction; FS_OK or ERR (rolled back). */
static enum fs_err
apply(struct fs_worker *w, const struct change *c, struct fs_error *err)
{
	const char *upd[4] = { c->id, c->name, c->password ? c->hash : NULL, c->status };
	const char *mem[2] = { c->id, c->memberships };
	struct fs_error ignored = FS_ERROR_INIT;
	PGresult *r = NULL;

	if (fs_pg_command(&w->db.pg, "BEGIN", err) != FS_OK)
		return err->code;
	if (run(w, ST_UPDATE, upd, &r, err) == FS_OK && PQntuples(r) == 0)
		fs_error_set(err, ERR_NOT_FOUND, "id", "no user with that id");
	PQclear(r);
	if (err->code == FS_OK && c->memberships
	    && run(w, ST_KEEP_MEMBERSHIPS, mem, NULL, err) == FS_OK)
		run(w, ST_ADD_MEMBERSHIPS, mem, NULL, err);
	if (err->code == FS_OK && admin_left(w, err) == FS_OK
	    && fs_pg_command(&w->db.pg, "COMMIT", err) == FS_OK)
		return FS_OK;
	fs_pg_command(&w->db.pg, "ROLLBACK", &ignored);
	fs_error_clear(&ignored);
	return err->code;
}

/* PUT: a change to an account. */
static void
update_user(struct fs_worker *w, struct fs_request *req, const cJSON *body)
{
	static const char *const allowed[] = { "id", "name", "password", "status", "memberships", NULL };
	struct fs_error *err = &req->err;
	struct change c = { 0 };

	if (only(body, allowed, err) != FS_OK || opt_string(body, "id", 64, &c.id, err) != FS_OK
	    || opt_string(body, "status", 64, &c.status, err) != FS_OK)
		goto out;
	if (!c.id) {
		fs_error_set(err, ERR_MISSING_ID, "id", "PUT needs the user's id in the body");
		goto out;
	}
	if (!fs_is_uuid(c.id)) {
		fs_error_set(err, ERR_INVALID_FORMAT, "id", "id must be a uuid");
		goto out;
	}
	if (c.status && strcmp(c.status, "active") != 0 && strcmp(c.status, "disabled") != 0) {
		fs_error_set(err, ERR_INVALID_VALUE, "status", "status must be one of: active, disabled");
		goto out;
	}
	if (common_fields(w, body, &c, err) == FS_OK && apply(w, &c, err) == FS_OK) {
		fs_auth_release(&w->auth);	/* our own cache must not outlive the change */
		answer_user(w, req, 200, c.id);
	}
out:
	free(c.memberships);
	sodium_memzero(c.hash, sizeof(c.hash));
}

/* DELETE ?id=: the account disabled, its sessions ended. */
static void
disable_user(struct fs_worker *w, struct fs_request *req, const char *id)
{
	const struct change c = { .id = id, .status = "disabled" };

	if (!id) {
		fs_error_set(&req->err, ERR_MISSING_ID, "id", "DELETE needs ?id=");
		return;
	}
	if (apply(w, &c, &req->err) == FS_OK) {
		fs_auth_release(&w->auth);
		fs_response_set(req, 204, NULL, 0);
	}
}

/* GET: every account, or ?id= one. */
static void
read_users(struct fs_worker *w, struct fs_request *req, const char *id)
{
	PGresult *r = NULL;

	if (id) {
		answer_user(w, req, 200, id);
		return;
	}
	if (run(w, ST_LIST, NULL, &r, &req->err) == FS_OK)
		answer_cell(req, 200, r);
	PQclear(r);
}

/* Who may: an admin's session, and for a change made with the cookie the CSRF rule. */
static enum fs_err
admit(struct fs_worker *w, struct fs_request *req, struct fs_error *err)
{
	const struct fs_user *u;
	bool via_cookie;

	if (fs_auth_identify(&w->auth, req, &u, &via_cookie, err) != FS_OK
	    || fs_auth_csrf(req, via_cookie, err) != FS_OK)
		return err->code;
	if (!u->admin)
		return fs_error_set(err, ERR_FORBIDDEN, NULL, "only an admin manages users");
	return FS_OK;
}

void
fs_users_handle(struct fs_worker *w, struct fs_request *req)
{
	struct fs_error *err = &req->err;
	const char *id = NULL;
	cJSON *body = NULL;

	if (req->method == M_OPTIONS) {
		fs_http_preflight(req);
		return;
	}
	if (req->method == M_OTHER) {
		fs_error_set(err, ERR_METHOD_NOT_ALLOWED, NULL, "use one of " FS_ALLOW);
		return;
	}
	if (admit(w, req, err) != FS_OK || query_id(req->query, &id, err) != FS_OK)
		return;
	if ((req->method == M_POST || req->method == M_PUT) && id) {
		fs_error_set(err, ERR_UNKNOWN_PARAMETER, "id", "POST and PUT take the id in the body");
		return;
	}
	switch (req->method) {
	case M_GET:
	case M_HEAD:
		read_users(w, req, id);
		break;
	case M_POST:
		if ((body = fs_auth_body(req, USERS_BODY_MAX, err)))
			create_user(w, req, body);
		break;
	case M_PUT:
		if ((body = fs_auth_body(req, USERS_BODY_MAX, err)))
			update_user(w, req, body);
		break;
	case M_DELETE:
		disable_user(w, req, id);
		break;
	default:
		break;
	}
	/* The password, if any, leaves no copy behind in this long-lived process. */
	if (req->body)
		sodium_memzero(req->body, req->body_len);
	cJSON_Delete(body);
}
