/*
 * relay.h - the state of one relay process, made by main and handed to every module.
 *
 * Single-threaded: everything runs in the libevent loop of BASE (only a delivery's socket
 * writes are shared with POOL's threads, while the loop waits for them). HEAD is the highest seq
 * delivered to the streams; every event up to it is in the ring (the newest ring_size of
 * them) or in the change log.
 */
#ifndef RELAY_RELAY_H
#define RELAY_RELAY_H

#include <stdbool.h>
#include <stdint.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

#include "backlog.h"
#include "fs_config.h"
#include "pages.h"
#include "pool.h"
#include "ring.h"
#include "trim.h"

struct direct_write;
struct opening;
struct recheck;
struct stream;

struct relay {
	const struct fs_config *cfg;	/* borrowed */
	struct event_base *base;
	struct evhttp *http;
	struct backlog db;
	struct ring ring;
	int64_t head;			/* highest seq delivered; -1 until the database told us */
	struct stream *streams;		/* every open stream, newest first */
	int nstreams;
	struct evbuffer *scratch;	/* reused to build each chunk of output */
	int batch;			/* events per change log query (delivered before the ring takes them) */
	struct frame **delivered;	/* room for one batch of newly delivered events */
	struct pool pool;		/* threads that share the writes of a delivery (sse.c) */
	struct direct_write *direct;	/* room for a delivery's writes, one per stream */
	size_t direct_cap;
	long bad_messages;		/* nanomsg messages without a seq, ignored */
	unsigned long long events_in;	/* events taken into the ring (from the log or messages) */
	unsigned long long events_live;	/* ... of them, delivered from the workers' messages */
	unsigned long long events_out;	/* events queued to streams, each stream counted */
	int nn_sock;			/* nanomsg SUB socket, -1 when none */
	struct event *nn_ev;		/* its NN_RCVFD in the loop */
	int64_t auth_seq;		/* auth_changes followed up to here; -1 until known */
	struct trim trim;		/* memory given back after streams close */
	struct pages pages;		/* catch-up pages, read without blocking and shared */
	/* Database work in flight (queries.h: one of each at a time). */
	bool polling;			/* the head is being asked */
	int64_t poll_head;		/* ... what r->head was when it was asked */
	bool fetching;			/* entries after the head are being read */
	bool again;			/* ... and more was announced meanwhile */
	bool unannounced;		/* ... found by the poll, not by a message (logged) */
	long long unannounced_n;	/* ... events of it delivered so far: one log line at its end */
	int64_t want;			/* deliver up to here (INT64_MAX: all that is committed) */
	unsigned long epoch;		/* moves when the log went back: older answers are dropped */
	unsigned long fetch_epoch;	/* ... the one the running read was asked in */
	bool following;			/* auth_changes are being read */
	struct recheck *rechecks;	/* sessions being looked up again after auth changes (sse.c) */
	unsigned long recheck_gen;	/* ... the newest one's number */
	bool pruning;			/* retention runs */
	struct opening *openings;	/* GET /events waiting for the session lookup (http.c) */
	int nopenings;
};

#endif
