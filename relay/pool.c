/* pool.c - helper threads sharing a loop's iterations with the caller (pool.h). */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pool.h"

struct helper {
	struct pool *pool;
	int slice;			/* 1 .. helpers: slice 0 is the caller's */
};

/* [*FROM, *TO) of slice K of N items in SLICES slices. */
static void
slice_of(size_t n, int slices, int k, size_t *from, size_t *to)
{
	*from = n * (size_t)k / (size_t)slices;
	*to = n * (size_t)(k + 1) / (size_t)slices;
}

static void *
helper_main(void *arg)
{
	struct helper *h = arg;
	struct pool *p = h->pool;
	unsigned long seen = 0;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		size_t from, to;

		while (p->run == seen && !p->stop)
			pthread_cond_wait(&p->go, &p->mu);
		if (p->stop)
			break;
		seen = p->run;
		slice_of(p->n, p->helpers + 1, h->slice, &from, &to);
		pthread_mutex_unlock(&p->mu);
		if (from < to)
			p->fn(p->ctx, from, to);
		pthread_mutex_lock(&p->mu);
		if (--p->busy == 0)
			pthread_cond_signal(&p->done);
	}
	pthread_mutex_unlock(&p->mu);
	free(h);
	return NULL;
}

int
pool_threads_for_cores(int max)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);

	return cores < 1 ? 1 : cores > max ? max : (int)cores;
}

int
pool_init(struct pool *p, int threads)
{
	sigset_t all, old;

	memset(p, 0, sizeof(*p));
	if (pthread_mutex_init(&p->mu, NULL) != 0)
		return -1;
	if (pthread_cond_init(&p->go, NULL) != 0) {
		pthread_mutex_destroy(&p->mu);
		return -1;
	}
	if (pthread_cond_init(&p->done, NULL) != 0) {
		pthread_cond_destroy(&p->go);
		pthread_mutex_destroy(&p->mu);
		return -1;
	}
	p->ready = true;
	if (threads > 1 && !(p->threads = calloc((size_t)threads - 1, sizeof(*p->threads)))) {
		pool_release(p);
		return -1;
	}
	/* Signals stay the loop's: the helpers start with every one blocked. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (int i = 1; i < threads; i++) {
		struct helper *h = malloc(sizeof(*h));

		if (!h)
			break;
		*h = (struct helper){ p, i };
		if (pthread_create(&p->threads[p->helpers], NULL, helper_main, h) != 0) {
			free(h);
			break;
		}
		p->helpers++;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (threads > 1 && p->helpers < threads - 1) {
		pool_release(p);
		return -1;
	}
	return 0;
}

void
pool_run(struct pool *p, size_t n, pool_fn *fn, void *ctx)
{
	size_t from, to;

	if (p->helpers == 0 || n < 2) {
		if (n)
			fn(ctx, 0, n);
		return;
	}
	pthread_mutex_lock(&p->mu);
	p->fn = fn;
	p->ctx = ctx;
	p->n = n;
	p->busy = p->helpers;
	p->run++;
	pthread_cond_broadcast(&p->go);
	pthread_mutex_unlock(&p->mu);
	slice_of(n, p->helpers + 1, 0, &from, &to);
	fn(ctx, from, to);
	pthread_mutex_lock(&p->mu);
	while (p->busy > 0)
		pthread_cond_wait(&p->done, &p->mu);
	pthread_mutex_unlock(&p->mu);
}

void
pool_release(struct pool *p)
{
	if (!p->ready)
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = true;
	pthread_cond_broadcast(&p->go);
	pthread_mutex_unlock(&p->mu);
	for (int i = 0; i < p->helpers; i++)
		pthread_join(p->threads[i], NULL);
	free(p->threads);
	pthread_cond_destroy(&p->go);
	pthread_cond_destroy(&p->done);
	pthread_mutex_destroy(&p->mu);
	memset(p, 0, sizeof(*p));
}
