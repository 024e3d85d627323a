/* sse.c - event streams: catch-up, live delivery, heartbeats, slow consumers, closing. */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <event2/bufferevent.h>
#include <sodium.h>

#include "log.h"
#include "sse.h"

#define CLOSE_GRACE 5		/* seconds a closing stream has to drain before it is dropped */
#define SLOW_AFTER 10		/* seconds a stream may lag behind live events before it is cut off */
#define WRITE_TIMEOUT 60	/* seconds a stream may make no write progress at all */
#define READ_LIMIT 4096		/* bytes a client may send after its request before reads stop */
#define DIRECT_IOV 768		/* events of one direct write (one piece each; under IOV_MAX) */

enum state { CATCHING_UP, LIVE, CLOSING };

struct stream {
	struct stream *prev, *next;
	struct relay *relay;
	struct evhttp_request *req;	/* NULL once handed back to libevent (closing) */
	struct evhttp_connection *evcon;
	struct filter filter;		/* types= and branch= */
	struct scope scope;		/* whose it is: what its events are checked against */
	struct event *deadline;		/* closing streams: when to drop the connection */
	int64_t cursor;			/* every event up to here is queued or filtered out */
	time_t behind_since;		/* when a live stream fell behind; 0 when it did not */
	enum state state;
	bool waiting;			/* catching up: waits for a catch-up page (pages.h) */
	unsigned char hash[FS_TOKEN_HASH_LEN];	/* its session's token hash, followed for revocation */
	unsigned char rights[32];	/* digest of the memberships it was opened with */
	time_t expires;			/* when its session ends (seconds since the epoch) */
	char addr[64];			/* the client's address, for the per-address limit */
	bool chunked;			/* its answer is chunked (an HTTP/1.1 request) */
	bool direct;			/* flush may write to its socket itself (see flush) */
	int fd;				/* its connection's socket */
	struct evbuffer *out;		/* ... and its output, which libevent writes */
	const char *recheck;		/* its session is being looked up after this auth change */
	unsigned long recheck_gen;	/* ... by that lookup (struct recheck), 0 when none */
};

/*
 * One session looked up again after an auth change, for every stream of it: a user's tabs
 * share their session, and one lookup each took thousands of places in the relay's query
 * queue (queries.h) where one does. Its answer goes to every stream of HASH that waits for it or
 * for a later one (GEN: the newest lookup a stream waits for is what clears it).
 */
struct recheck {
	struct recheck *next, *prev;	/* newest first; answered oldest first, so unlinked in O(1) */
	struct relay *relay;
	unsigned long gen;
	unsigned char hash[FS_TOKEN_HASH_LEN];
};

/* Seconds on a clock that only moves forward. */
static time_t
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* Bytes queued for S and not yet written to its socket. */
static size_t
pending(const struct stream *s)
{
	return evbuffer_get_length(s->out);
}

static void on_drain(struct evhttp_connection *evcon, void *arg);
static void stream_end(struct relay *r, struct stream *s, const char *last);
static void revoke(struct relay *r, struct stream *s, const char *why);

/*
 * Sends what r->scratch holds to S as one chunk, leaving the scratch buffer empty. With
 * nothing else unsent, the chunk is written to the socket at once, past libevent: no write
 * event armed and disarmed (two epoll_ctl calls and a loop turn per stream and event, most
 * of a fan-out's cost). What the socket does not take, and every chunk while something is
 * unsent, goes to the connection's output, which libevent writes as the socket drains,
 * on_drain following (the stream's first chunk went through evhttp: on_drain is its
 * connection's callback from then on). DIRECT false: always the latter, so that on_drain
 * surely follows.
 */
static void
send_chunk(struct relay *r, struct stream *s, bool direct)
{
	struct bufferevent *bev = evhttp_connection_get_bufferevent(s->evcon);
	struct evbuffer *out = bufferevent_get_output(bev);
	size_t n = evbuffer_get_length(r->scratch);
	char size[24];

	if (n == 0)
		return;
	if (!direct || !s->direct || evbuffer_get_length(out) > 0) {
		evhttp_send_reply_chunk_with_cb(s->req, r->scratch, on_drain, s);
		evbuffer_drain(r->scratch, evbuffer_get_length(r->scratch));
		s->direct = s->req != NULL;
		return;
	}
	if (s->chunked && (evbuffer_prepend(r->scratch, size, (size_t)snprintf(size, sizeof(size), "%zx\r\n", n)) < 0
	    || evbuffer_add(r->scratch, "\r\n", 2) < 0)) {
		relay_log("out of memory: a stream ends");
		evbuffer_drain(r->scratch, evbuffer_get_length(r->scratch));
		stream_end(r, s, NULL);
		return;
	}
	if (evbuffer_write(r->scratch, bufferevent_getfd(bev)) < 0 || evbuffer_get_length(r->scratch) > 0) {
		/* The rest (or all, after an error) as the socket drains; a lost client shows there. */
		evbuffer_add_buffer(out, r->scratch);
		bufferevent_enable(bev, EV_WRITE);
	}
}

/* Sends what r->scratch holds to S (send_chunk), at once where it can. */
static void
flush(struct relay *r, struct stream *s)
{
	send_chunk(r, s, true);
}

/* Unlinks S and frees it; libevent is freeing (or has freed) its connection. */
static void
forget(struct stream *s)
{
	struct relay *r = s->relay;

	if (s->prev)
		s->prev->next = s->next;
	else
		r->streams = s->next;
	if (s->next)
		s->next->prev = s->prev;
	r->nstreams--;
	if (s->deadline)
		event_free(s->deadline);
	filter_release(&s->filter);
	scope_release(&s->scope);
	free(s);
	trim_soon(&r->trim);	/* its buffers go back to the system with the next trim */
}

/*
 * The connection of S is going away (client gone, timeout, or closed by us). A request
 * libevent detached from it (the client left mid-stream) is ours to free; one still
 * attached is freed by libevent right after this.
 */
static void
on_close(struct evhttp_connection *evcon, void *arg)
{
	struct stream *s = arg;

	(void)evcon;
	if (s->req && !evhttp_request_get_connection(s->req))
		evhttp_request_free(s->req);
	forget(s);
}

/* A closing stream did not drain within the grace period: drop its connection. */
static void
on_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct stream *s = arg;

	(void)fd;
	(void)what;
	relay_log("a closing stream did not drain in %d s: dropped", CLOSE_GRACE);
	evhttp_connection_free(s->evcon);	/* calls on_close, which frees S */
}

/*
 * Sends what the scratch buffer holds and LAST (may be NULL) as the final text of S, ends
 * its response, and closes the connection once that is written, or after CLOSE_GRACE
 * seconds. S may be freed on return.
 */
static void
stream_end(struct relay *r, struct stream *s, const char *last)
{
	struct evhttp_request *req = s->req;
	const struct timeval grace = { CLOSE_GRACE, 0 };

	if (last && evbuffer_add(r->scratch, last, strlen(last)) < 0)
		relay_log("out of memory: a stream ends without its last event");
	flush(r, s);
	s->state = CLOSING;
	s->req = NULL;
	s->deadline = evtimer_new(r->base, on_deadline, s);
	if (!s->deadline || evtimer_add(s->deadline, &grace) < 0)
		relay_log("no timer for a closing stream: it closes when it drains or times out");
	evhttp_send_reply_end(req);	/* "Connection: close": the connection goes after this */
}

/* Whether S may take one more event: its output (and what is being built) is under BUDGET. */
static int
has_room(const struct relay *r, const struct stream *s, size_t budget)
{
	return pending(s) + evbuffer_get_length(r->scratch) < budget;
}

/* Whether S is to be sent F: its filter wants it and its user may read it (tables T). */
static bool
wants(const struct stream *s, const struct fs_tables *t, const struct frame *f)
{
	return filter_wants(&s->filter, f) && scope_allows(&s->scope, t, f);
}

/* Queues F for S when its filter wants it and its scope allows it, and counts it. 0, or -1. */
static int
queue(struct relay *r, const struct stream *s, const struct fs_tables *t, const struct frame *f)
{
	if (!wants(s, t, f))
		return 0;
	if (evbuffer_add(r->scratch, f->text, f->len) < 0)
		return -1;
	r->events_out++;
	return 0;
}

/* Queues the ring's events from position I on for S while its output stays under BUDGET. */
static int
from_ring(struct relay *r, struct stream *s, size_t i, size_t budget)
{
	const struct fs_tables *t = backlog_tables(&r->db);
	const struct frame *f;

	if (i >= r->ring.count) {	/* nothing held after the cursor: it is at the head */
		s->cursor = r->head;
		return 0;
	}
	for (; i < r->ring.count && has_room(r, s, budget); i++) {
		f = ring_at(&r->ring, i);
		if (queue(r, s, t, f) < 0)
			return -1;
		s->cursor = f->seq;
	}
	return 0;
}

/*
 * Queues for S the events after its cursor from the kept catch-up page that covers it,
 * while its output stays under BUDGET. 0 when it took some, 1 when the page is still to be
 * read (S waits: sse_pages_ready wakes it), -1 when the change log cannot be read now.
 */
static int
from_page(struct relay *r, struct stream *s, size_t budget)
{
	const struct page *pg = pages_find(&r->pages, s->cursor);
	const struct fs_tables *t;
	int k;

	if (!pg)
		return pages_request(&r->pages, s->cursor, r->head) < 0 ? -1 : 1;
	t = backlog_tables(&r->db);
	for (k = page_position(pg, s->cursor); k < pg->n && has_room(r, s, budget); k++) {
		const struct frame *f = pg->frames[k];

		if (queue(r, s, t, f) < 0)
			return -1;
		s->cursor = f->seq;
	}
	if (k == pg->n && s->cursor < pg->upto)	/* the rest of its range were burned numbers */
		s->cursor = pg->upto;
	return 0;
}

/*
 * Catches S up while its output is under half of client_buffer: from the ring when it
 * still holds every event after the cursor, else from the shared catch-up pages (waiting,
 * without blocking the loop, for one to be read). Turns S live at the head; ends it when
 * the change log is unavailable (the client retries and resumes). The first event always
 * fits, however large.
 */
static void
pump(struct relay *r, struct stream *s)
{
	size_t half = r->cfg->client_buffer / 2;
	long i;
	int rc;

	while (s->state == CATCHING_UP && !s->waiting && pending(s) < half) {
		if (s->cursor >= r->head) {
			s->state = LIVE;
			s->behind_since = 0;
			break;
		}
		i = ring_find(&r->ring, s->cursor);
		rc = i >= 0 ? from_ring(r, s, (size_t)i, half) : from_page(r, s, half);
		if (rc > 0) {
			s->waiting = true;
			break;
		}
		if (rc < 0) {
			relay_log("cannot catch a stream up from %" PRId64 ": ended, it will retry", s->cursor);
			stream_end(r, s, NULL);
			return;
		}
		flush(r, s);
	}
}

void
sse_pages_ready(void *arg, int ok)
{
	struct relay *r = arg;
	struct stream *s, *next;

	for (s = r->streams; s; s = next) {
		next = s->next;
		if (!s->waiting)
			continue;
		s->waiting = false;
		if (s->state != CATCHING_UP)
			continue;
		if (ok) {
			pump(r, s);
		} else {
			relay_log("cannot catch a stream up from %" PRId64 ": ended, it will retry", s->cursor);
			stream_end(r, s, NULL);
		}
	}
}

/* libevent wrote all S had queued: a catching-up stream takes its next batch. */
static void
on_drain(struct evhttp_connection *evcon, void *arg)
{
	struct stream *s = arg;

	(void)evcon;
	if (s->state == CATCHING_UP)
		pump(s->relay, s);
}

/* Ends S with a "resume" event: it could not keep up with the live events. */
static void
cut_off(struct relay *r, struct stream *s)
{
	char text[200];

	relay_log("slow consumer: behind for %d s with %zu bytes unsent, told to resume after %" PRId64,
	    SLOW_AFTER, pending(s), s->cursor);
	snprintf(text, sizeof(text), "id: %" PRId64 "\nevent: resume\ndata: {\"reason\":\"slow_consumer\","
	    "\"last_event_id\":%" PRId64 "}\n\n", s->cursor, s->cursor);
	stream_end(r, s, text);
}

/*
 * A live stream with nothing unsent is written a batch that fits its budget whole straight
 * to its socket, from the frames' own bytes, each as one chunk: no copy, no libevent. What
 * the socket does not take is copied to its output, which libevent writes as it drains.
 * Those writes are most of what an event to thousands of streams costs, nearly all of it in
 * the kernel, so they are shared with the pool's threads (pool.h) from PARALLEL_FROM
 * streams on; below that, waking a thread costs more than it saves.
 */
#define PARALLEL_FROM 64

/* One stream's direct write, and what came of it. */
struct direct_write {
	struct stream *s;
	size_t total;			/* bytes of the events it wants (0: none) */
	ssize_t written;		/* what the socket took; -1 when it failed */
	unsigned events;		/* the events it wants */
};

/* One batch's direct writes: the frames, and per stream what was written. */
struct direct_batch {
	const struct fs_tables *t;
	struct frame *const *frames;
	size_t n;
	struct direct_write *w;		/* r->direct */
};

/* The events of B that S wants, one piece each, into IOV (room for DIRECT_IOV); their count. */
static size_t
direct_iov(const struct direct_batch *b, const struct stream *s, struct iovec *iov)
{
	size_t k = 0;

	for (size_t i = 0; i < b->n; i++) {
		const struct frame *f = b->frames[i];

		if (wants(s, b->t, f))
			iov[k++] = s->chunked ? (struct iovec){ (void *)f->chunk, f->chunk_len }
			    : (struct iovec){ (void *)f->text, f->len };
	}
	return k;
}

/* Writes B to its streams FROM to TO (pool_fn: on any thread, each stream on one). */
static void
write_slice(void *ctx, size_t from, size_t to)
{
	const struct direct_batch *b = ctx;
	struct iovec iov[DIRECT_IOV];

	for (size_t i = from; i < to; i++) {
		struct direct_write *d = &b->w[i];
		size_t k = direct_iov(b, d->s, iov);

		d->events = (unsigned)k;
		d->total = 0;
		for (size_t j = 0; j < k; j++)
			d->total += iov[j].iov_len;
		/* Socket calls, not writev: no file layer; one event (the usual) is one send. */
		d->written = k == 0 ? 0 : k == 1 ? send(d->s->fd, iov[0].iov_base, iov[0].iov_len, MSG_NOSIGNAL)
		    : sendmsg(d->s->fd, &(struct msghdr){ .msg_iov = iov, .msg_iovlen = k }, MSG_NOSIGNAL);
		d->s->cursor = b->frames[b->n - 1]->seq;
	}
}

/* Copies what D's socket did not take of B to its stream's output (all of it after an
 * error: libevent then finds the client gone). */
static void
keep_rest(struct relay *r, const struct direct_batch *b, const struct direct_write *d)
{
	struct stream *s = d->s;
	struct bufferevent *bev = evhttp_connection_get_bufferevent(s->evcon);
	struct iovec iov[DIRECT_IOV];
	size_t k = direct_iov(b, s, iov), done = d->written > 0 ? (size_t)d->written : 0;

	for (size_t j = 0; j < k; j++) {
		if (done >= iov[j].iov_len) {
			done -= iov[j].iov_len;
			continue;
		}
		if (evbuffer_add(bufferevent_get_output(bev), (const char *)iov[j].iov_base + done,
		    iov[j].iov_len - done) < 0) {
			relay_log("out of memory: a stream ends");
			stream_end(r, s, NULL);
			return;
		}
		done = 0;
	}
	bufferevent_enable(bev, EV_WRITE);
}

/* Makes room in r->direct for every stream. Whether there is. */
static bool
direct_room(struct relay *r)
{
	struct direct_write *w;

	if ((size_t)r->nstreams <= r->direct_cap)
		return true;
	if (!(w = realloc(r->direct, (size_t)r->nstreams * sizeof(*w))))
		return false;
	r->direct = w;
	r->direct_cap = (size_t)r->nstreams;
	return true;
}

void
sse_broadcast(struct relay *r, struct frame *const *frames, size_t n)
{
	size_t half = r->cfg->client_buffer / 2, i, bytes = 0, nd = 0;
	struct direct_batch b = { .t = r->streams ? backlog_tables(&r->db) : NULL, .frames = frames, .n = n };
	bool direct;

	for (i = 0; i < n; i++)
		bytes += frames[i]->len;
	/* A batch of no more than half a client_buffer, in few enough pieces for one send. */
	direct = bytes < half && n <= DIRECT_IOV && direct_room(r);
	b.w = r->direct;		/* where direct_room put it */
	for (struct stream *s = r->streams, *next; s; s = next) {
		next = s->next;
		if (s->state != LIVE)
			continue;
		if (direct && s->direct && pending(s) == 0) {
			b.w[nd++] = (struct direct_write){ .s = s };
			continue;
		}
		for (i = 0; i < n && has_room(r, s, half); i++) {
			if (queue(r, s, b.t, frames[i]) < 0)
				break;
			s->cursor = frames[i]->seq;
		}
		if (i < n) {
			/* Half its buffer is unsent: the ring holds the rest until it drains (through
			 * libevent, so that on_drain follows, once the ring has taken the frames). */
			s->state = CATCHING_UP;
			s->behind_since = now_s();
			send_chunk(r, s, false);
		} else {
			flush(r, s);
		}
	}
	if (nd >= PARALLEL_FROM)
		pool_run(&r->pool, nd, write_slice, &b);
	else
		write_slice(&b, 0, nd);
	for (i = 0; i < nd; i++) {
		const struct direct_write *d = &b.w[i];

		r->events_out += d->events;
		if (d->written < 0 || (size_t)d->written != d->total)
			keep_rest(r, &b, d);
	}
}

void
sse_sweep(struct relay *r)
{
	struct stream *s, *next;
	time_t now = now_s();

	time_t wall = time(NULL);

	for (s = r->streams; s; s = next) {
		next = s->next;
		if (s->state != CLOSING && s->expires && wall >= s->expires)
			revoke(r, s, "expired");	/* the session's absolute lifetime is over */
		else if (s->state == CATCHING_UP && s->behind_since && now - s->behind_since >= SLOW_AFTER)
			cut_off(r, s);
	}
}

time_t
sse_parse_instant(const char *text)
{
	struct tm tm;
	const char *p;
	int sign, hh = 0, mm = 0;

	memset(&tm, 0, sizeof(tm));
	if (!(p = strptime(text, "%Y-%m-%dT%H:%M:%S", &tm)))
		return 0;
	p += strspn(p, ".0123456789");	/* the fraction: a second early at most */
	if (*p == 'Z' || *p == '\0')
		return timegm(&tm);
	sign = *p == '-' ? -1 : 1;
	if ((*p != '+' && *p != '-') || sscanf(p + 1, "%2d:%2d", &hh, &mm) < 1)
		return 0;
	return timegm(&tm) - sign * (hh * 3600 + mm * 60);
}

/* Ends S with a "revoked" event saying WHY (logout, disabled, password_changed, rights_changed). */
static void
revoke(struct relay *r, struct stream *s, const char *why)
{
	char text[160];

	relay_log("a stream of user %s ends: %s", s->scope.user.id, why);
	snprintf(text, sizeof(text), "event: revoked\ndata: {\"reason\":\"%s\"}\n\n", why);
	stream_end(r, s, text);
}

void
sse_rights_digest(const struct fs_user *u, unsigned char *out)
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, NULL, 0, 32);
	crypto_generichash_update(&st, (const unsigned char *)(u->admin ? "admin" : "-"), u->admin ? 5 : 1);
	for (size_t i = 0; i < u->n; i++) {
		const char *role = fs_role_name(u->m[i].role);

		crypto_generichash_update(&st, (const unsigned char *)u->m[i].branch,
		    strlen(u->m[i].branch) + 1);
		crypto_generichash_update(&st, (const unsigned char *)role, strlen(role) + 1);
	}
	crypto_generichash_final(&st, out, 32);
}

/* Why a stream is revoked, from the least said to the most: a client told "disabled" knows
 * more than one told "logout". */
static const char *const reasons[] = { "rights_changed", "logout", "password_changed", "disabled" };

/* The rank of WHY among the reasons (an unknown one counts as the least). */
static int
weight(const char *why)
{
	for (int i = 0; i < (int)(sizeof(reasons) / sizeof(reasons[0])); i++)
		if (strcmp(why, reasons[i]) == 0)
			return i;
	return 0;
}

/* Takes C out of the relay's lookups and frees it. */
static void
recheck_free(struct recheck *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		c->relay->rechecks = c->next;
	if (c->next)
		c->next->prev = c->prev;
	free(c);
}

/*
 * The session of lookup ARG, looked up after an auth change, for each stream of it that
 * waits: one that no longer holds ends the stream with the change's reason; one whose
 * memberships differ from those the stream was opened with ends it with rights_changed
 * (the client reconnects and gets the new rights). A change that left its session and
 * rights as they were (another session's logout, a grant made just before it opened)
 * leaves it alone. When the database cannot say, the stream ends plainly: its client
 * reconnects and is checked then. A stream waiting for a later lookup too is judged by
 * this one as well: ending a stream is always safe, and the later one may end it yet.
 */
static void
on_rechecked(void *arg, PGresult *res)
{
	struct recheck *c = arg;
	struct relay *r = c->relay;
	struct fs_error err = FS_ERROR_INIT;
	struct fs_user u = { .m = NULL };
	enum fs_err found = res ? fs_auth_lookup_user(res, &u, &err) : ERR_INTERNAL;
	unsigned char now[32];
	struct stream *s, *next;

	if (found == FS_OK)
		sse_rights_digest(&u, now);
	for (s = r->streams; s; s = next) {
		const char *why = s->recheck;

		next = s->next;
		if (s->state == CLOSING || !s->recheck_gen || memcmp(s->hash, c->hash, sizeof(c->hash)) != 0)
			continue;
		if (s->recheck_gen <= c->gen) {
			s->recheck_gen = 0;
			s->recheck = NULL;
		}
		if (found == ERR_UNAUTHENTICATED)
			revoke(r, s, why);
		else if (found != FS_OK)
			stream_end(r, s, NULL);
		else if (memcmp(now, s->rights, sizeof(now)) != 0)
			revoke(r, s, "rights_changed");
	}
	free(u.m);
	fs_error_clear(&err);
	recheck_free(c);
}

/* The lookup of HASH asked since FROM (a generation), or NULL. */
static struct recheck *
recheck_since(const struct relay *r, const unsigned char *hash, unsigned long from)
{
	for (struct recheck *c = r->rechecks; c && c->gen > from; c = c->next)
		if (memcmp(c->hash, hash, sizeof(c->hash)) == 0)
			return c;
	return NULL;
}

/* A new lookup of HASH (on_rechecked), newest first in r->rechecks; NULL when it cannot be asked. */
static struct recheck *
recheck_ask(struct relay *r, const unsigned char *hash)
{
	struct recheck *c = malloc(sizeof(*c));

	if (!c)
		return NULL;
	c->relay = r;
	c->gen = ++r->recheck_gen;
	memcpy(c->hash, hash, sizeof(c->hash));
	if (backlog_lookup(&r->db, hash, on_rechecked, c) < 0) {
		free(c);
		return NULL;
	}
	c->prev = NULL;
	c->next = r->rechecks;
	if (c->next)
		c->next->prev = c;
	r->rechecks = c;
	return c;
}

/* Looks the sessions of USER's streams up again after the auth change WHY, one lookup a session. */
static void
recheck(struct relay *r, const char *user, const char *why)
{
	const unsigned long from = r->recheck_gen;	/* lookups asked by this call are newer */
	struct stream *s, *next;
	int unchecked = 0;

	for (s = r->streams; s; s = next) {
		struct recheck *c;

		next = s->next;
		if (s->state == CLOSING || strcmp(s->scope.user.id, user) != 0)
			continue;
		/* A lookup asked before may have run before this change: ask again. */
		c = recheck_since(r, s->hash, from);
		if (!c && !(c = recheck_ask(r, s->hash))) {
			stream_end(r, s, NULL);	/* cannot be checked: reconnecting checks it */
			unchecked++;
			continue;
		}
		if (!s->recheck || weight(why) > weight(s->recheck))
			s->recheck = why;
		s->recheck_gen = c->gen;
	}
	if (unchecked)
		relay_log("%d streams of user %s ended (%s): too many lookups at once, they reconnect",
		    unchecked, user, why);
}

void
sse_forget_rechecks(struct relay *r)
{
	struct recheck *c, *next;

	for (c = r->rechecks; c; c = next) {
		next = c->next;
		free(c);
	}
	r->rechecks = NULL;
}

/* The newest auth_changes entry: revocation is followed from there. */
static void
on_auth_head(void *arg, PGresult *res)
{
	struct relay *r = arg;
	struct fs_error err = FS_ERROR_INIT;

	r->following = false;
	if (res && fs_changelog_number(res, &r->auth_seq, &err) != FS_OK)
		r->auth_seq = -1;
	fs_error_clear(&err);
}

/*
 * New auth_changes entries: one check per user of the batch, after all of it, with the
 * weightiest reason among its entries (disabling an account also logs each of its sessions
 * out, and the client should be told the account was disabled).
 */
static void
on_auth_changes(void *arg, PGresult *res)
{
	struct relay *r = arg;
	int n;

	r->following = false;
	if (!res)
		return;
	n = PQntuples(res);
	for (int i = 0; i < n; i++) {
		const char *user = PQgetvalue(res, i, 1), *why = PQgetvalue(res, i, 2);
		bool first = true;

		for (int k = 0; k < i && first; k++)
			first = strcmp(PQgetvalue(res, k, 1), user) != 0;
		if (!first)
			continue;
		for (int k = i + 1; k < n; k++)
			if (strcmp(PQgetvalue(res, k, 1), user) == 0
			    && weight(PQgetvalue(res, k, 2)) > weight(why))
				why = PQgetvalue(res, k, 2);
		/* The reason outlives RES (the lookups answer later): one of the known words. */
		recheck(r, user, reasons[weight(why)]);
	}
	if (n > 0)
		r->auth_seq = strtoll(PQgetvalue(res, n - 1, 0), NULL, 10);
}

void
sse_follow_auth(struct relay *r)
{
	if (r->following)
		return;
	if (r->auth_seq < 0)
		r->following = backlog_auth_head(&r->db, on_auth_head, r) == 0;
	else
		r->following = backlog_auth_changes(&r->db, r->auth_seq, on_auth_changes, r) == 0;
}

void
sse_heartbeat(struct relay *r)
{
	static const char beat[] = ": heartbeat\n\n";

	for (struct stream *s = r->streams; s; s = s->next) {
		if (s->state == CLOSING || evbuffer_add(r->scratch, beat, sizeof(beat) - 1) < 0)
			continue;
		flush(r, s);
	}
}

void
sse_end_all(struct relay *r)
{
	struct stream *s, *next;

	for (s = r->streams; s; s = next) {
		next = s->next;
		if (s->state != CLOSING)
			stream_end(r, s, NULL);
	}
}

void
sse_count(const struct relay *r, const char *addr, const char *user, int *by_addr, int *by_user)
{
	*by_addr = *by_user = 0;
	for (const struct stream *s = r->streams; s; s = s->next) {
		if (s->state == CLOSING)
			continue;
		*by_addr += strcmp(s->addr, addr) == 0;
		*by_user += strcmp(s->scope.user.id, user) == 0;
	}
}

int
sse_owns(const struct relay *r, const struct evhttp_request *req)
{
	for (const struct stream *s = r->streams; s; s = s->next)
		if (s->req == req)
			return 1;
	return 0;
}

/* Starts the 200 answer of S: headers, connection settings. 0, or -1 with nothing sent. */
static int
start(struct relay *r, struct stream *s)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(s->req);
	const struct timeval write_timeout = { WRITE_TIMEOUT, 0 };
	struct bufferevent *bev;

	if (evhttp_add_header(h, "Content-Type", "text/event-stream") < 0 ||
	    evhttp_add_header(h, "Cache-Control", "no-store") < 0 ||
	    evhttp_add_header(h, "X-Accel-Buffering", "no") < 0 ||
	    evhttp_add_header(h, "Connection", "close") < 0)
		return -1;
	evhttp_send_reply_start(s->req, 200, "OK");
	s->chunked = evhttp_find_header(h, "Transfer-Encoding") != NULL;	/* as evhttp decided */
	/* The headers are written: only "Connection: close" is read again (when the answer
	 * ends, to close the connection), the rest would stay for as long as the stream. Out
	 * of memory here, a closing stream's connection goes at its deadline instead. */
	evhttp_clear_headers(h);
	(void)evhttp_add_header(h, "Connection", "close");
	s->evcon = evhttp_request_get_connection(s->req);
	bev = evhttp_connection_get_bufferevent(s->evcon);
	/* Idle is normal for a stream (no read timeout); a client that takes nothing for a
	 * minute is dropped; one that only sends is not read past READ_LIMIT bytes. */
	bufferevent_set_timeouts(bev, NULL, &write_timeout);
	bufferevent_setwatermark(bev, EV_READ, 0, READ_LIMIT);
	s->fd = bufferevent_getfd(bev);
	s->out = bufferevent_get_output(bev);
	/* A TCP client (the relay's own address) gets each event as it is written: with Nagle,
	 * an event written while the last is unacknowledged waits for the ACK, up to the peer's
	 * delayed-ACK time (40 ms). On a unix socket (nginx's) this fails, and means nothing. */
	(void)setsockopt(s->fd, IPPROTO_TCP, TCP_NODELAY, &(int){ 1 }, sizeof(int));
	evhttp_connection_set_closecb(s->evcon, on_close, s);
	s->next = r->streams;
	if (r->streams)
		r->streams->prev = s;
	r->streams = s;
	r->nstreams++;
	return 0;
}

int
sse_needs_horizon(const struct relay *r, const struct sse_request *q)
{
	return q->has_cursor && q->cursor_ok && q->cursor <= r->head && ring_find(&r->ring, q->cursor) < 0;
}

/*
 * Queues S's first events after the retry hint: "ready" without a cursor; nothing with a
 * cursor the stream can catch up from. Returns 0 to go on, or 1 after ending S with an
 * error (bad cursor), a reload (history pruned) or nothing (change log unavailable).
 */
static int
first_events(struct relay *r, struct stream *s, const struct sse_request *q)
{
	char text[400];

	if (!q->has_cursor) {
		snprintf(text, sizeof(text), "id: %" PRId64 "\nevent: ready\ndata: {\"seq\":%" PRId64 "}\n\n",
		    r->head, r->head);
		s->state = LIVE;
		if (evbuffer_add(r->scratch, text, strlen(text)) < 0)
			stream_end(r, s, NULL);
		return s->state == CLOSING;
	}
	if (!q->cursor_ok || q->cursor > r->head) {
		snprintf(text, sizeof(text), "event: error\ndata: {\"error\":{\"code\":\"invalid_last_event_id\","
		    "\"message\":\"Last-Event-ID (or since) must be a whole number from 0 to %" PRId64
		    ", the newest event\"}}\n\n", r->head);
		stream_end(r, s, text);
		return 1;
	}
	if (ring_find(&r->ring, s->cursor) >= 0)
		return 0;
	if (!q->horizon_known) {
		relay_log("cannot check the change log horizon: a stream from %" PRId64 " ended, it will retry",
		    s->cursor);
		stream_end(r, s, NULL);
		return 1;
	}
	if (s->cursor >= q->pruned)
		return 0;
	snprintf(text, sizeof(text), "event: reload\ndata: {\"code\":\"history_gone\",\"head\":%" PRId64 ","
	    "\"message\":\"reload every resource, then resume from %" PRId64 "\"}\n\n", r->head, r->head);
	stream_end(r, s, text);
	return 1;
}

int
sse_open(struct relay *r, struct evhttp_request *req, struct sse_request *q)
{
	struct stream *s = calloc(1, sizeof(*s));

	if (!s)
		return -1;
	s->relay = r;
	s->req = req;
	s->cursor = q->has_cursor ? q->cursor : r->head;
	s->state = CATCHING_UP;
	if (start(r, s) < 0) {
		free(s);
		return -1;
	}
	memcpy(s->hash, q->hash, sizeof(s->hash));
	memcpy(s->rights, q->rights, sizeof(s->rights));
	s->expires = q->expires;
	memcpy(s->addr, q->addr, sizeof(s->addr));
	/* Everything the stream needs from its request is copied: its headers (the token among
	 * them) are freed now rather than kept for as long as the stream is open. */
	evhttp_clear_headers(evhttp_request_get_input_headers(req));
	s->filter = q->filter;		/* the stream owns them from here */
	s->scope = q->scope;
	memset(&q->filter, 0, sizeof(q->filter));
	q->filter.types.all = 1;
	memset(&q->scope, 0, sizeof(q->scope));
	if (evbuffer_add(r->scratch, "retry: 2000\n\n", 13) < 0) {
		stream_end(r, s, NULL);
		return 0;
	}
	if (first_events(r, s, q))
		return 0;
	flush(r, s);
	pump(r, s);
	return 0;
}
