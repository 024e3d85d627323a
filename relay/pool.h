/*
 * pool.h - helper threads that share one loop's iterations with the relay's own thread.
 *
 * The relay is single-threaded; only the writes of one event to thousands of streams are
 * split (sse.c): each write is a system call whose cost is mostly the kernel's, so the
 * cores are what bounds how soon the last stream has it. A run hands the helpers slices of
 * [0, N), does the first slice itself and returns when every slice is done; nothing else
 * of the relay runs meanwhile, so FN may touch what the slice's items own without locks.
 */
#ifndef RELAY_POOL_H
#define RELAY_POOL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

typedef void pool_fn(void *ctx, size_t from, size_t to);

struct pool {
	int helpers;			/* threads besides the caller's */
	pthread_t *threads;
	pthread_mutex_t mu;
	pthread_cond_t go, done;
	unsigned long run;		/* moves with every run: the helpers' signal to start */
	int busy;			/* helpers still working on the current run */
	bool stop;
	bool ready;			/* pool_init succeeded: pool_release has work */
	pool_fn *fn;			/* the current run */
	void *ctx;
	size_t n;
};

/* The threads for THREADS-way runs (THREADS - 1 helpers; 1 or less: none). 0, or -1. */
int pool_init(struct pool *p, int threads);

/* Threads for this machine: its online cores, at least 1 and at most MAX. */
int pool_threads_for_cores(int max);

/* Runs FN(CTX, from, to) over [0, N) in slices, one per thread, and waits for all of them. */
void pool_run(struct pool *p, size_t n, pool_fn *fn, void *ctx);

/* Stops and joins the helpers (nothing when pool_init did not succeed). */
void pool_release(struct pool *p);

#endif
