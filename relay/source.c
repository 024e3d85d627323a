/* source.c - nanomsg intake and delivery from the change log. */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <nanomsg/nn.h>
#include <nanomsg/pubsub.h>

#include "log.h"
#include "message.h"
#include "source.h"
#include "sse.h"

#define MAX_DRAIN 10000			/* messages taken per wake-up, so HTTP keeps its turn */
#define MAX_MESSAGE (16 * 1024 * 1024)	/* larger messages are dropped by nanomsg: a gap */
#define RECEIVE_BUFFER (4 * 1024 * 1024)
#define DELIVERY_BYTES (4 * 1024 * 1024)	/* event text per change log page (one event may pass it) */

static void fetch_next(struct relay *r);

/*
 * Delivers the N frames in r->delivered (seqs rising, the first after the head): to the
 * live streams, then into the ring; the head follows.
 */
static void
deliver(struct relay *r, size_t n)
{
	if (n == 0)
		return;
	r->head = r->delivered[n - 1]->seq;
	r->events_in += (unsigned long long)n;
	/* Sent before the ring takes them: pushing may free any of them (its bounds). */
	sse_broadcast(r, r->delivered, n);
	for (size_t i = 0; i < n; i++)
		ring_push(&r->ring, r->delivered[i]);
}

/* A catch-up the poll started ended: one log line for all of it (a psql insert of 100,000
 * rows is 200 pages), not one a page. */
static void
unannounced_done(struct relay *r)
{
	if (r->unannounced && r->unannounced_n > 0)
		relay_log("the change log poll delivered %lld events nanomsg had not announced (head %" PRId64 ")",
		    r->unannounced_n, r->head);
	r->unannounced = false;
	r->unannounced_n = 0;
}

/* A read of the entries after the head came: deliver them, then read on while there is more. */
static void
on_fetched(void *arg, PGresult *res)
{
	struct relay *r = arg;
	struct frame *f;
	int n, k, ended;

	r->fetching = false;
	if (!res)
		return;		/* the next poll or message asks again */
	if (r->fetch_epoch != r->epoch) {
		fetch_next(r);	/* asked before the log went back: not what is there now */
		return;
	}
	n = PQntuples(res);
	ended = backlog_range_ended(res, r->batch);
	for (k = 0; k < n; k++) {
		if (!(f = backlog_frame(res, k)))
			break;
		r->delivered[k] = f;
	}
	deliver(r, (size_t)k);
	if (r->unannounced)
		r->unannounced_n += k;
	if (k < n) {
		relay_log("out of memory delivering seq %" PRId64 ": the next poll retries", r->head + 1);
		return;
	}
	if (ended && !r->again) {
		unannounced_done(r);
		r->want = r->head;	/* everything asked for is delivered */
		return;
	}
	r->again = false;
	if (r->head >= r->want)
		unannounced_done(r);	/* the poll's range is in: fetch_next reads no more */
	fetch_next(r);
}

/* Asks for the entries after the head up to r->want, unless a read runs or nothing is wanted. */
static void
fetch_next(struct relay *r)
{
	if (r->fetching || r->head < 0 || r->head >= r->want)
		return;
	r->fetch_epoch = r->epoch;
	r->fetching = backlog_fetch(&r->db, r->head, r->want, r->batch, DELIVERY_BYTES, on_fetched, r) == 0;
}

void
source_advance(struct relay *r, int64_t upto)
{
	if (upto > r->want)
		r->want = upto;
	if (r->fetching)
		r->again = true;	/* read on after the running read, even when it ends its range */
	else
		fetch_next(r);
}

static void
on_head(void *arg, PGresult *res)
{
	struct relay *r = arg;
	struct fs_error err = FS_ERROR_INIT;
	int64_t newest;

	r->polling = false;
	if (!res || fs_changelog_number(res, &newest, &err) != FS_OK) {
		fs_error_clear(&err);
		return;
	}
	if (r->head < 0) {
		r->head = r->want = newest;
		ring_reset(&r->ring, newest);
		relay_log("head is %" PRId64, newest);
	} else if (newest < r->poll_head) {
		/* Below what was delivered before the question was asked: gone from the log. (An
		 * answer only below the head is older than what messages delivered meanwhile.) */
		relay_log("the change log went back from %" PRId64 " to %" PRId64 ": every stream restarts",
		    r->head, newest);
		sse_end_all(r);
		r->head = r->want = newest;
		r->epoch++;
		r->again = false;
		ring_reset(&r->ring, newest);
		pages_reset(&r->pages);
	} else if (newest > r->head) {
		r->unannounced = r->unannounced || (!r->fetching && r->want <= r->head);
		source_advance(r, newest);
	}
}

void
source_poll(struct relay *r)
{
	if (!r->polling && (r->polling = backlog_head(&r->db, on_head, r) == 0))
		r->poll_head = r->head;
}

/*
 * NN_RCVFD is readable: take the waiting messages. While each is the entry right after
 * the head (seq head + 1, the event in the message) and no read of the change log runs,
 * it is delivered as it is, in batches; the first that is not (a doorbell, a gap, two
 * workers out of order, an entry too big to send whole) hands the rest to the change log:
 * everything committed after the head is delivered from there, not only up to that seq.
 * The rest of its transaction (a bulk write) is committed too, and its messages may have
 * been dropped by a full PUB queue; what is visible is always a gap-free prefix, as seqs
 * follow commit order. A seq at or below the head is a duplicate, dropped.
 */
static void
on_message(evutil_socket_t fd, short what, void *arg)
{
	struct relay *r = arg;
	int64_t upto = -1;
	bool live = r->head >= 0 && !r->fetching;
	size_t k = 0;
	struct message m;
	struct frame *f;
	void *msg;
	int n;

	(void)fd;
	(void)what;
	for (int i = 0; i < MAX_DRAIN; i++) {
		msg = NULL;
		n = nn_recv(r->nn_sock, &msg, NN_MSG, NN_DONTWAIT);
		if (n < 0) {
			if (nn_errno() != EAGAIN && nn_errno() != EINTR)
				relay_log("nanomsg receive: %s", nn_strerror(nn_errno()));
			break;
		}
		if (!message_parse(msg, (size_t)n, &m)) {
			if (r->bad_messages++ % 1000 == 0)
				relay_log("ignored a message without a seq (%ld so far): %.*s", r->bad_messages,
				    n < 80 ? n : 80, (const char *)msg);
		} else if (live && m.seq == r->head + 1 + (int64_t)k && (f = message_frame(&m))) {
			r->delivered[k++] = f;
			r->events_live++;
			if (k == (size_t)r->batch) {
				deliver(r, k);
				k = 0;
			}
		} else if (m.seq > r->head + (int64_t)k) {
			live = false;	/* from here on the change log says what comes next */
			if (m.seq > upto)
				upto = m.seq;
		}
		nn_freemsg(msg);
	}
	deliver(r, k);
	if (r->want < r->head)
		r->want = r->head;
	if (upto > r->head) {
		r->unannounced = false;	/* what the running read brings was announced */
		r->unannounced_n = 0;
		source_advance(r, INT64_MAX);
	}
}

/* Binds S to each address in r->cfg->relay_sub; 0, or -1 (logged). */
static int
bind_all(const struct relay *r, int s)
{
	char copy[sizeof(r->cfg->relay_sub)], *save = NULL, *addr;

	snprintf(copy, sizeof(copy), "%s", r->cfg->relay_sub);
	for (addr = strtok_r(copy, " \t", &save); addr; addr = strtok_r(NULL, " \t", &save)) {
		if (nn_bind(s, addr) < 0) {
			relay_log("cannot bind nanomsg to %s: %s", addr, nn_strerror(nn_errno()));
			return -1;
		}
		relay_log("receiving events on %s", addr);
	}
	return 0;
}

int
source_open(struct relay *r)
{
	const char *addrs = r->cfg->relay_sub;
	int s, max = MAX_MESSAGE, rcvbuf = RECEIVE_BUFFER, fd;
	size_t fd_len = sizeof(fd);

	r->nn_sock = -1;
	if (strspn(addrs, " \t") == strlen(addrs)) {
		relay_log("no [relay] sub address: only the change log poll feeds the streams");
		return 0;
	}
	s = nn_socket(AF_SP, NN_SUB);
	if (s < 0) {
		relay_log("nanomsg socket: %s", nn_strerror(nn_errno()));
		return -1;
	}
	if (nn_setsockopt(s, NN_SUB, NN_SUB_SUBSCRIBE, "", 0) < 0 ||
	    nn_setsockopt(s, NN_SOL_SOCKET, NN_RCVMAXSIZE, &max, sizeof(max)) < 0 ||
	    nn_setsockopt(s, NN_SOL_SOCKET, NN_RCVBUF, &rcvbuf, sizeof(rcvbuf)) < 0 ||
	    nn_getsockopt(s, NN_SOL_SOCKET, NN_RCVFD, &fd, &fd_len) < 0) {
		relay_log("nanomsg socket options: %s", nn_strerror(nn_errno()));
		nn_close(s);
		return -1;
	}
	if (bind_all(r, s) < 0) {
		nn_close(s);
		return -1;
	}
	r->nn_ev = event_new(r->base, fd, EV_READ | EV_PERSIST, on_message, r);
	if (!r->nn_ev || event_add(r->nn_ev, NULL) < 0) {
		relay_log("cannot watch the nanomsg socket");
		if (r->nn_ev)
			event_free(r->nn_ev);
		r->nn_ev = NULL;
		nn_close(s);
		return -1;
	}
	r->nn_sock = s;
	return 0;
}

void
source_close(struct relay *r)
{
	if (r->nn_ev)
		event_free(r->nn_ev);
	r->nn_ev = NULL;
	if (r->nn_sock >= 0)
		nn_close(r->nn_sock);
	r->nn_sock = -1;
}
