/*
 * fs_auth.h - who is asking: roles, passwords, session tokens, the session of a request
 * and the CSRF rule. Every path asks here (fs_auth_require) before anything else.
 *
 * A token is 32 random bytes sent as 43 characters of unpadded base64url; the database
 * keeps only the SHA-256 of that text (sessions.token_hash). A request carries it as
 * "Authorization: Bearer <token>" or as the cookie fieldsync_session=<token>. A session is
 * valid while its user is active, now() < expires_at and now() < last_seen + session_idle;
 * the check is in the one statement that reads it.
 */
#ifndef FS_AUTH_H
#define FS_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <sodium.h>

#include "fs_config.h"
#include "fs_error.h"
#include "fs_http.h"
#include "fs_pg.h"

enum fs_role { ROLE_REP, ROLE_MANAGER, ROLE_FINANCE, ROLE_HR, ROLE_ADMIN, ROLE__MAX };

/* The name of ROLE as stored in memberships.role ("rep", …), or "" out of range. */
const char *fs_role_name(enum fs_role role);

/* The role named NAME into *OUT; false when NAME is no role. */
bool fs_role_parse(const char *name, enum fs_role *out);

#define FS_TOKEN_LEN 43			/* characters of a token */
#define FS_TOKEN_HASH_LEN crypto_hash_sha256_BYTES
#define FS_COOKIE "fieldsync_session"
#define FS_PASSWORD_MAX 1024		/* bytes */

struct fs_membership {
	char branch[201];		/* "*" for admin */
	enum fs_role role;
};

struct fs_user {
	char id[37], login[65], name[201];
	bool admin;			/* holds the admin role */
	size_t n;			/* memberships */
	struct fs_membership *m;	/* owned by whoever filled the user */
	char expires_at[40];		/* the session's absolute end (ISO 8601) */
};

#define FS_AUTH_CACHE 8

/* Per worker: its statements on the worker's connection and a small cache of sessions. */
struct fs_auth {
	struct fs_pg *pg;			/* borrowed */
	const struct fs_config *cfg;		/* borrowed */
	int cache_ms;				/* from cfg->auth_cache_ms; 0: always ask the database */
	struct {
		unsigned char hash[FS_TOKEN_HASH_LEN];
		/*
		 * The token itself, when a request brought it ("" otherwise): a fresh entry is
		 * found by it without hashing. Only in this process's memory, never stored.
		 */
		char token[FS_TOKEN_LEN + 1];
		struct fs_user user;
		struct timespec at;		/* CLOCK_MONOTONIC when read; tv_sec 0: empty slot */
	} cache[FS_AUTH_CACHE];
};

/*
 * Sets A up over PG and CFG (both borrowed, outliving A), initialises libsodium and adds
 * A's statements to PG (call before PG's first use). FS_OK or ERR_INTERNAL.
 */
enum fs_err fs_auth_init(struct fs_auth *a, struct fs_pg *pg, const struct fs_config *cfg);

/* Frees the cache. */
void fs_auth_release(struct fs_auth *a);

/*
 * The user of REQ's session (Bearer, else cookie) into *OUT (owned by A, valid until the
 * next call), or ERR_UNAUTHENTICATED. Served from a cache for at most auth_cache_ms. Sets
 * *VIA_COOKIE. A lost database is ERR_DATABASE_UNAVAILABLE.
 */
enum fs_err fs_auth_identify(struct fs_auth *a, const struct fs_request *req,
    const struct fs_user **out, bool *via_cookie, struct fs_error *err);

/*
 * What every resource and the feed ask first: the user of REQ's session (fs_auth_identify)
 * into *OUT, with the CSRF rule for what changes data (fs_auth_csrf). ERR_UNAUTHENTICATED
 * without a valid session. A build configured --enable-open-access (benchmarks only) answers
 * an admin without asking.
 */
enum fs_err fs_auth_require(struct fs_auth *a, const struct fs_request *req,
    const struct fs_user **out, struct fs_error *err);

/*
 * The session whose token hashes to HASH into *OUT (owned by A, as fs_auth_identify),
 * always read from the database; ERR_UNAUTHENTICATED when it is not valid.
 */
enum fs_err fs_auth_lookup(struct fs_auth *a, const unsigned char *hash,
    const struct fs_user **out, struct fs_error *err);

/*
 * fs_auth_lookup in two halves, for a caller that runs the statement itself (the relay, on
 * its event loop): the statement and its two parameters for HASH (written into HEX, 67
 * bytes, and IDLE, 24 bytes, which PARAMS point at), then the user its answer R names into
 * U (the caller frees U->m). FS_OK, ERR_UNAUTHENTICATED (no valid session) or ERR_INTERNAL.
 */
const struct fs_pg_stmt *fs_auth_lookup_query(const struct fs_auth *a, const unsigned char *hash,
    char *hex, char *idle, const char *params[2]);
enum fs_err fs_auth_lookup_user(const PGresult *r, struct fs_user *u, struct fs_error *err);

/* Drops the session hashing to HASH from A's cache (after a logout). */
void fs_auth_forget(struct fs_auth *a, const unsigned char *hash);

/*
 * The CSRF rule: a POST, PUT or DELETE authenticated by the cookie passes only when its
 * Origin is allowed (cors_origins) or it carries "X-Requested-With: fieldsync"; else
 * ERR_CSRF_FAILED. Bearer requests (VIA_COOKIE false) and reads always pass.
 */
enum fs_err fs_auth_csrf(const struct fs_request *req, bool via_cookie, struct fs_error *err);

/*
 * The token REQ carries (Bearer, else cookie) into TOKEN (FS_TOKEN_LEN + 1 bytes), and
 * whether it came from the cookie into *VIA_COOKIE. False when there is none or it is not
 * a well-formed token.
 */
bool fs_auth_token_of(const struct fs_request *req, char *token, bool *via_cookie);

/*
 * Whether REQ offers credentials at all: an Authorization header, the session cookie, or
 * the front door's parameter (trusted_header). Offered credentials are checked, never ignored.
 */
bool fs_auth_offered(const struct fs_request *req);

/* A new random token into TOKEN (FS_TOKEN_LEN + 1 bytes) and its hash into HASH. */
void fs_auth_token_new(char *token, unsigned char *hash);

/* The SHA-256 of the token text TOKEN into HASH. */
void fs_auth_token_hash(const char *token, unsigned char *hash);

/* HASH as a bytea literal ("\x" and 64 hex digits) into TEXT (67 bytes), for a $n parameter. */
void fs_auth_hash_text(const unsigned char *hash, char *text);

/*
 * Checks the password PW (LEN bytes) against the config's bounds (FIELD names it in the
 * error): at least password_min_length, at most FS_PASSWORD_MAX bytes, no NUL.
 * FS_OK or ERR_INVALID_VALUE.
 */
enum fs_err fs_auth_password_check(const struct fs_config *cfg, const char *pw, size_t len,
    const char *field, struct fs_error *err);

/* The Argon2id hash of PW (LEN bytes) into OUT (crypto_pwhash_STRBYTES). FS_OK or ERR_INTERNAL. */
enum fs_err fs_auth_password_hash(const char *pw, size_t len, char *out, struct fs_error *err);

/*
 * The body of REQ, a POST or PUT to the session or users endpoint, as one JSON object
 * (fs_json_parse: exact): 415 unless Content-Type is application/json, 413 over LIMIT
 * bytes (before reading), 400 when not JSON or not an object. The tree (the caller
 * deletes it) or NULL with ERR set.
 */
cJSON *fs_auth_body(struct fs_request *req, size_t limit, struct fs_error *err);

/* U as {"id","login","name","memberships":[{"branch","role"}]}; the caller deletes it. NULL when out of memory. */
cJSON *fs_auth_user_json(const struct fs_user *u);

#endif
