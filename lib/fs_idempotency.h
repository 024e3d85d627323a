/*
 * fs_idempotency.h - Idempotency-Key: the first answer to a write is kept, in the
 * write's own transaction, and given again for a repeat of the same request.
 *
 * This is what lets an offline client resend a write whose answer it never saw.
 */
#ifndef FS_IDEMPOTENCY_H
#define FS_IDEMPOTENCY_H

#include "fs_db.h"
#include "fs_pipe.h"

/* The longest key accepted. */
#define FS_IDEM_KEY_MAX 200

/* The first answer to a key, as stored. */
struct fs_idem_answer {
	int status;
	char *body;	/* owned, may be NULL (204) */
};

/* Checks KEY, an Idempotency-Key header as sent: FS_OK, or ERR_INVALID_PARAMETER in ERR. */
enum fs_err fs_idem_key_check(const char *key, struct fs_error *err);

/*
 * Keys are SCOPE's: a resource and a user ("clients:<user id>"), so that another user's key
 * never replays someone else's answer. A key older than the configured ttl counts as new.
 *
 * The statements are steps of the write's own batches (fs_pipe.h), so that a key costs one
 * round trip more than a write without one: the claim goes with BEGIN, the saved answer with
 * COMMIT. The texts, parameters and step buffers live in struct fs_idem (the caller's).
 */
struct fs_idem {
	char ttl[32], status[16];
	const char *claim[3];		/* scope, key, request */
	const char *expire[3];		/* scope, key, ttl */
	const char *save[4];		/* scope, key, status, body */
};

/*
 * Fills STEPS (room for 2) with the claim of KEY for REQUEST (method, query and body as one
 * text; SCOPE, KEY and REQUEST borrowed until the batch ran): forget the key when expired,
 * then claim it (a concurrent first use makes the claim wait for that transaction to end).
 * Returns the number of steps, or 0 with ERR set when KEY is not a valid key.
 */
int fs_idem_claim_steps(struct fs_idem *k, const struct fs_db *db, const char *scope,
    const char *key, const char *request, struct fs_pipe_step *steps, struct fs_error *err);

/* Whether the claim step's answer R says the key is new (this write goes on). */
int fs_idem_claimed(const PGresult *r);

/*
 * After a failed claim: looks up the key's stored answer and ends the transaction. Sets
 * *REPLAY to 1 and fills ANSWER when the key answered the same request before; a different
 * request under the key is ERR_IDEMPOTENCY_KEY_REUSED. Returns FS_OK or the code set in ERR.
 */
enum fs_err fs_idem_replay(struct fs_db *db, struct fs_idem *k, int *replay,
    struct fs_idem_answer *answer, struct fs_error *err);

/* Fills STEP with the store of STATUS and BODY (may be NULL; borrowed) as the key's answer. */
void fs_idem_save_step(struct fs_idem *k, int status, const char *body, struct fs_pipe_step *step);

/* Forgets every expired key (run now and then, outside a request's transaction). */
void fs_idem_prune(struct fs_db *db);

#endif
