/* fs_idempotency.c - claim, replay and store answers under an Idempotency-Key. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs_formats.h"
#include "fs_idempotency.h"

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

int
fs_idem_claim_steps(struct fs_idem *k, const struct fs_db *db, const char *scope,
    const char *key, const char *request, struct fs_pipe_step *steps, struct fs_error *err)
{
	if (fs_idem_key_check(key, err) != FS_OK)
		return 0;
	snprintf(k->ttl, sizeof(k->ttl), "%ld", db->pg.cfg->idempotency_ttl);
	k->claim[0] = k->expire[0] = k->save[0] = scope;
	k->claim[1] = k->expire[1] = k->save[1] = key;
	k->claim[2] = request;
	k->expire[2] = k->ttl;
	steps[0] = (struct fs_pipe_step){ .stmt = STMT_IDEM_EXPIRE, .params = k->expire };
	steps[1] = (struct fs_pipe_step){ .stmt = STMT_IDEM_CLAIM, .params = k->claim };
	return 2;
}

int
fs_idem_claimed(const PGresult *r)
{
	return r && PQntuples(r) == 1;
}

enum fs_err
fs_idem_replay(struct fs_db *db, struct fs_idem *k, int *replay, struct fs_idem_answer *answer,
    struct fs_error *err)
{
	const struct fs_pipe_step steps[2] = {
		{ .stmt = STMT_IDEM_LOOKUP, .params = k->claim },
		{ .command = "ROLLBACK" },
	};
	struct fs_pipe p;
	const PGresult *r;
	enum fs_err rc = FS_OK;

	*replay = 0;
	if (fs_pipe_run(db, steps, 2, 0, &p, err) != FS_OK) {
		fs_pipe_clear(&p);
		return err->code;
	}
	r = p.res[0];
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
	fs_pipe_clear(&p);
	return rc;
}

void
fs_idem_save_step(struct fs_idem *k, int status, const char *body, struct fs_pipe_step *step)
{
	snprintf(k->status, sizeof(k->status), "%d", status);
	k->save[2] = k->status;
	k->save[3] = body;
	*step = (struct fs_pipe_step){ .stmt = STMT_IDEM_SAVE, .params = k->save };
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
