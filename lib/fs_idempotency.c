/* fs_idempotency.c - claim, replay and store answers under an Idempotency-Key. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs_formats.h"
#include "fs_idempotency.h"

/* Looks up the stored answer of KEY after a failed claim. */
static enum fs_err
lookup(struct fs_db *db, const char *const *params, int *replay, struct fs_idem_answer *answer,
    struct fs_error *err)
{
	PGresult *r = fs_db_exec(db, STMT_IDEM_LOOKUP, params, 0, err);
	enum fs_err rc = FS_OK;

	if (!r)
		return err->code;
	if (PQntuples(r) == 0 || PQgetisnull(r, 0, 1)) {
		/* Deleted or never answered since the claim failed: a race, not a client error. */
		rc = fs_error_set(err, ERR_DATABASE_UNAVAILABLE, NULL, "try again");
	} else if (strcmp(PQgetvalue(r, 0, 0), "t") != 0) {
		rc = fs_error_set(err, ERR_IDEMPOTENCY_KEY_REUSED, "Idempotency-Key",
		    "this Idempotency-Key was used for a different request");
	} else {
		*replay = 1;
		answer->status = atoi(PQgetvalue(r, 0, 1));
		answer->body = PQgetisnull(r, 0, 2) ? NULL : strdup(PQgetvalue(r, 0, 2));
		if (!PQgetisnull(r, 0, 2) && !answer->body)
			rc = fs_error_set(err, ERR_INTERNAL, NULL, "out of memory");
	}
	PQclear(r);
	return rc;
}

enum fs_err
fs_idem_key_check(const char *key, struct fs_error *err)
{
	if (strlen(key) == 0 || strlen(key) > FS_IDEM_KEY_MAX)
		return fs_error_set(err, ERR_INVALID_PARAMETER, "Idempotency-Key",
		    "Idempotency-Key must be 1 to %d characters", FS_IDEM_KEY_MAX);
	/* Stored as PostgreSQL text, which refuses other bytes (and only once the write began). */
	if (!fs_is_utf8(key, strlen(key)))
		return fs_error_set(err, ERR_INVALID_PARAMETER, "Idempotency-Key",
		    "Idempotency-Key must be valid UTF-8");
	return FS_OK;
}

enum fs_err
fs_idem_claim(struct fs_db *db, const char *scope, const char *key,
    const char *request, int *replay, struct fs_idem_answer *answer, struct fs_error *err)
{
	char ttl[32];
	const char *params[] = { scope, key, request };
	const char *expire[] = { scope, key, ttl };
	PGresult *r;
	int claimed;

	*replay = 0;
	if (fs_idem_key_check(key, err) != FS_OK)
		return err->code;
	snprintf(ttl, sizeof(ttl), "%ld", db->pg.cfg->idempotency_ttl);
	r = fs_db_exec(db, STMT_IDEM_EXPIRE, expire, 0, err);
	if (!r)
		return err->code;
	PQclear(r);
	/* A concurrent first use of the key makes this wait for that transaction to end. */
	r = fs_db_exec(db, STMT_IDEM_CLAIM, params, 0, err);
	if (!r)
		return err->code;
	claimed = PQntuples(r) == 1;
	PQclear(r);
	return claimed ? FS_OK : lookup(db, params, replay, answer, err);
}

enum fs_err
fs_idem_save(struct fs_db *db, const char *scope, const char *key,
    int status, const char *body, struct fs_error *err)
{
	char st[16];
	const char *params[] = { scope, key, st, body };
	PGresult *r;

	snprintf(st, sizeof(st), "%d", status);
	r = fs_db_exec(db, STMT_IDEM_SAVE, params, 0, err);
	if (!r)
		return err->code;
	PQclear(r);
	return FS_OK;
}

void
fs_idem_prune(struct fs_db *db)
{
	char ttl[32];
	const char *params[] = { ttl };
	struct fs_error err = FS_ERROR_INIT;
	PGresult *r;

	snprintf(ttl, sizeof(ttl), "%ld", db->pg.cfg->idempotency_ttl);
	r = fs_db_exec(db, STMT_IDEM_PRUNE, params, 0, &err);
	PQclear(r);
	fs_error_clear(&err);
}
