/*
 * sse.h - event streams: the answer to one GET /events, from the client's cursor to live.
 *
 * A stream catches up first (from the ring, else from the change log, a batch at a time and
 * only while its unsent output is under half of client_buffer), then is live: each event
 * the relay delivers is appended as it comes, while its unsent output stays under half of
 * client_buffer. A live stream that reaches that falls behind: it is fed from the ring (the
 * shared buffer) as it drains, so a burst never costs more than half a client_buffer per
 * stream. One that stays behind for 10 s is a slow consumer: it gets a final "resume"
 * event (its last_event_id is where to resume) and is closed once that is written, or 5 s
 * later. Per stream the relay keeps its cursor (every event up to it is queued or filtered
 * out), its filter, its scope (whose it is: every stream has a session) and its state.
 * Every event, live, from the ring or from the change log, is sent only when the filter
 * wants it and the scope allows it (scope.h).
 */
#ifndef RELAY_SSE_H
#define RELAY_SSE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <event2/http.h>

#include "filter.h"
#include "frame.h"
#include "relay.h"
#include "scope.h"

/* What a GET /events asked for, as http.c checked it. */
struct sse_request {
	int has_cursor;			/* Last-Event-ID or since= was given */
	int cursor_ok;			/* ... and is a whole number (not yet compared with head) */
	int64_t cursor;
	struct filter filter;		/* types= and branch=; owned */
	struct scope scope;		/* the session's user as it is now; owned */
	unsigned char hash[FS_TOKEN_HASH_LEN];	/* the session's token hash */
	unsigned char rights[32];	/* ... a digest of its user's memberships now */
	time_t expires;			/* ... and when the session ends (seconds since the epoch) */
	char addr[64];			/* the client's address (http.c: peer, or nginx's X-Real-IP) */
	int horizon_known;		/* a cursor behind the ring: the pruning horizon was read */
	int64_t pruned;			/* ... entries at or below it are gone */
};

/* Whether a stream for Q must know the pruning horizon: its cursor is behind the ring. */
int sse_needs_horizon(const struct relay *r, const struct sse_request *q);

/* The instant of the ISO 8601 timestamp TEXT ("2027-01-30T13:40:00.123+02:00") as seconds, or 0. */
time_t sse_parse_instant(const char *text);

/* The digest of U's memberships (admin included) into OUT (32 bytes), to tell a change of rights. */
void sse_rights_digest(const struct fs_user *u, unsigned char *out);

/*
 * Answers REQ with a stream per Q. Returns 0 once the stream owns REQ, Q->filter and
 * Q->scope (Q's left empty), or -1 out of memory before anything was sent: REQ, Q->filter
 * and Q->scope stay the caller's.
 */
int sse_open(struct relay *r, struct evhttp_request *req, struct sse_request *q);

/*
 * Counts the open streams (not closing) of the client address ADDR into *BY_ADDR and of
 * the user USER (an id) into *BY_USER.
 */
void sse_count(const struct relay *r, const char *addr, const char *user, int *by_addr, int *by_user);

/* Whether REQ is the request of an open stream. */
int sse_owns(const struct relay *r, const struct evhttp_request *req);

/*
 * Appends the N events just delivered (FRAMES, seqs rising, the last one r->head) to every
 * live stream whose filter and scope pass them; a stream with half of client_buffer unsent
 * falls behind and takes the rest from the ring as it drains.
 */
void sse_broadcast(struct relay *r, struct frame *const *frames, size_t n);

/*
 * A catch-up page came (OK), or the change log cannot be read (0): the streams waiting for
 * one go on, or end (their clients retry and resume). ARG is the relay (pages.h's callback).
 */
void sse_pages_ready(void *arg, int ok);

/* Cuts off the streams that have been behind the live events for too long. */
void sse_sweep(struct relay *r);

/*
 * Follows auth_changes: every stream of a user whose rights ended or changed (logout,
 * disabled, password changed, memberships changed) and whose session no longer holds, or
 * whose rights changed, gets a final "revoked" event with the reason and is closed (the
 * client reconnects and is scoped by its rights then: a stream never outlives the rights
 * it is filtered with).
 */
void sse_follow_auth(struct relay *r);

/* Writes a heartbeat comment to every stream that is not closing. */
void sse_heartbeat(struct relay *r);

/* Ends every stream that is not closing (the clients reconnect and resume). */
void sse_end_all(struct relay *r);

/* Frees the session lookups still waiting (after backlog_close: none will answer). */
void sse_forget_rechecks(struct relay *r);

#endif
