/* fs_rights.c - the server's own fields and the permission check of each row written. */
#include <stdio.h>
#include <string.h>

#include "fs_model.h"
#include "fs_perm.h"
#include "fs_rights.h"

/* The string member NAME of OBJ, or NULL when absent, null or not a string. */
static const char *
string_of(const cJSON *obj, const char *name)
{
	const cJSON *v = name ? cJSON_GetObjectItemCaseSensitive(obj, name) : NULL;

	return v && cJSON_IsString(v) ? v->valuestring : NULL;
}

/* The name RES gives one row, for messages. */
static const char *
noun(const struct fs_resource *res)
{
	return res->noun ? res->noun : res->path;
}

/* Replaces member NAME of OBJ with the string VALUE. */
static enum fs_err
set_string(cJSON *obj, const char *name, const char *value, struct fs_error *err)
{
	cJSON *v = cJSON_CreateString(value);

	cJSON_DeleteItemFromObjectCaseSensitive(obj, name);
	if (!v || !cJSON_AddItemToObject(obj, name, v)) {
		cJSON_Delete(v);
		return fs_error_set(err, ERR_INTERNAL, NULL, "out of memory");
	}
	return FS_OK;
}

enum fs_err
fs_rights_owner(const struct fs_resource *res, const struct fs_user *u, cJSON *row,
    struct fs_error *err)
{
	const cJSON *v;

	if (!cJSON_IsObject(row) || !res->owner)
		return FS_OK;
	v = cJSON_GetObjectItemCaseSensitive(row, res->owner);
	/* Absent or null is filled; anything else is the checks' to judge (17 is a type error). */
	return v && !cJSON_IsNull(v) ? FS_OK : set_string(row, res->owner, u->login, err);
}

enum fs_err
fs_rights_approver(const struct fs_resource *res, const struct fs_user *u, cJSON *row,
    const struct fs_locked *cur, struct fs_error *err)
{
	const char *status = string_of(row, "status");

	if (!res->approver || !status || strcmp(status, res->approved) != 0
	    || (cur && cur->status && strcmp(cur->status, res->approved) == 0))
		return FS_OK;
	return set_string(row, res->approver, u->login, err);
}

/* The status a new ROW gets: the one it names, else the column's default. */
static const char *
new_status(const struct fs_resource *res, const cJSON *row)
{
	const struct fs_column *c = fs_model_column(res, "status");
	const char *s = string_of(row, "status");

	return s ? s : c ? c->dflt : NULL;
}

enum fs_err
fs_rights_create(const struct fs_resource *res, const struct fs_user *u, const cJSON *row,
    struct fs_error *err)
{
	struct fs_perm_row p = {
		.branch = string_of(row, "branch"), .owner = string_of(row, res->owner),
		.new_status = new_status(res, row),
	};

	if (!p.branch)		/* fs_validate_row() answers first; never allow what it missed */
		return fs_error_set(err, ERR_FORBIDDEN, "branch", "a %s needs a branch", noun(res));
	if (fs_perm_allows(res, u, FS_OP_CREATE, &p))
		return FS_OK;
	if (!fs_perm_may(res, u, FS_OP_CREATE, p.branch))
		return fs_error_set(err, ERR_FORBIDDEN, "branch", "your roles may not create %ss in"
		    " branch %s", noun(res), p.branch);
	p.owner = u->login;
	if (res->owner && fs_perm_allows(res, u, FS_OP_CREATE, &p))
		return fs_error_set(err, ERR_FORBIDDEN, res->owner, "you may file a %s only in your"
		    " own name (%s)", noun(res), u->login);
	return fs_error_set(err, ERR_FORBIDDEN, "status", "your roles may not create a %s with"
	    " status %s", noun(res), p.new_status ? p.new_status : "(none)");
}

bool
fs_rights_can_read(const struct fs_resource *res, const struct fs_user *u, const char *branch,
    const char *owner)
{
	const struct fs_perm_row p = { .branch = branch, .owner = owner };

	return branch && fs_perm_allows(res, u, FS_OP_READ, &p);
}

/* Cell (0, COL) of R, or NULL when it is null. */
static const char *
cell(const PGresult *r, int col)
{
	return PQgetisnull(r, 0, col) ? NULL : PQgetvalue(r, 0, col);
}

enum fs_err
fs_rights_take(const struct fs_resource *res, const struct fs_user *u, const char *id,
    PGresult *r, struct fs_locked *cur, struct fs_error *err)
{
	memset(cur, 0, sizeof(*cur));
	cur->r = r;
	if (PQntuples(cur->r) == 1) {
		cur->json = PQgetvalue(cur->r, 0, 0);
		cur->branch = PQgetvalue(cur->r, 0, 1);
		cur->owner = cell(cur->r, 2);
		cur->status = cell(cur->r, 3);
		cur->version = PQgetvalue(cur->r, 0, 4);
		if (fs_rights_can_read(res, u, cur->branch, cur->owner))
			return FS_OK;
	}
	fs_rights_unlock(cur);
	return fs_error_set(err, ERR_NOT_FOUND, "id", "no %s with id %s", res->path, id);
}

enum fs_err
fs_rights_lock(struct fs_db *db, const struct fs_resource *res, const struct fs_user *u,
    const char *id, struct fs_locked *cur, struct fs_error *err)
{
	const char *params[1] = { id };
	PGresult *r;

	memset(cur, 0, sizeof(*cur));
	if (!(r = fs_db_exec(db, STMT_LOCK, params, 0, err)))
		return err->code;
	return fs_rights_take(res, u, id, r, cur, err);
}

enum fs_err
fs_rights_change(const struct fs_resource *res, const struct fs_user *u, unsigned op,
    const struct fs_locked *cur, const cJSON *fields, struct fs_error *err)
{
	const char *branch = string_of(fields, "branch"), *owner = string_of(fields, res->owner);
	struct fs_perm_row now = {
		.branch = cur->branch, .owner = cur->owner, .status = cur->status,
		.new_status = string_of(fields, "status"),
	};
	struct fs_perm_row then = now;

	if (op == FS_OP_DELETE)
		return fs_perm_allows(res, u, op, &now) ? FS_OK : fs_error_set(err, ERR_FORBIDDEN,
		    NULL, "your roles may not delete this %s", noun(res));
	if (!fs_perm_may(res, u, op, cur->branch))
		return fs_error_set(err, ERR_FORBIDDEN, NULL, "your roles may not change %ss in"
		    " branch %s", noun(res), cur->branch);
	if (!fs_perm_allows(res, u, op, &now))
		return fs_error_set(err, ERR_FORBIDDEN, now.new_status ? "status" : NULL,
		    "your roles may not make this change to this %s (status %s)", noun(res),
		    cur->status ? cur->status : "none");
	then.branch = branch ? branch : cur->branch;
	then.owner = owner ? owner : cur->owner;
	if (branch && !fs_perm_allows(res, u, op, &then))
		return fs_error_set(err, ERR_FORBIDDEN, "branch", "your roles may not move a %s to"
		    " branch %s", noun(res), branch);
	if (owner && !fs_perm_allows(res, u, op, &then))
		return fs_error_set(err, ERR_FORBIDDEN, res->owner, "your roles may not give this %s"
		    " to %s", noun(res), owner);
	return FS_OK;
}

void
fs_rights_unlock(struct fs_locked *cur)
{
	PQclear(cur->r);
	memset(cur, 0, sizeof(*cur));
}
