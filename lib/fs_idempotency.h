/*
 * fs_idempotency.h - Idempotency-Key: the first answer to a write is kept, in the
 * write's own transaction, and given again for a repeat of the same request.
 *
 * This is what lets an offline client resend a write whose answer it never saw.
 */
#ifndef FS_IDEMPOTENCY_H
#define FS_IDEMPOTENCY_H

#include "fs_db.h"

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
 * never replays someone else's answer.
 *
 * Inside the open transaction: claims KEY for REQUEST (method, query and body as one
 * text). Sets *REPLAY to 1 and fills ANSWER when the key answered the same request
 * before; a different request under the key is ERR_IDEMPOTENCY_KEY_REUSED. A key
 * older than the configured ttl counts as new. Returns FS_OK or the code set in ERR.
 */
enum fs_err fs_idem_claim(struct fs_db *db, const char *scope, const char *key,
    const char *request, int *replay, struct fs_idem_answer *answer, struct fs_error *err);

/* Inside the same transaction: stores STATUS and BODY (may be NULL) as KEY's answer. */
enum fs_err fs_idem_save(struct fs_db *db, const char *scope, const char *key,
    int status, const char *body, struct fs_error *err);

/* Forgets every expired key (run now and then, outside a request's transaction). */
void fs_idem_prune(struct fs_db *db);

#endif
