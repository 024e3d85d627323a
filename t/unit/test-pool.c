/* test-pool.c - the relay's delivery threads: every item of a run once, on every thread count. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "pool.h"
#include "tap.h"

#define ITEMS 1000

struct counts {
	atomic_int seen[ITEMS];
};

/* pool_fn: counts each item of the slice. */
static void
count_slice(void *ctx, size_t from, size_t to)
{
	struct counts *c = ctx;

	for (size_t i = from; i < to; i++)
		atomic_fetch_add(&c->seen[i], 1);
}

/* Whether the first N counts are each ONCE (and the rest 0). */
static int
each(const struct counts *c, size_t n, int once)
{
	for (size_t i = 0; i < ITEMS; i++)
		if (atomic_load(&c->seen[i]) != (i < n ? once : 0))
			return 0;
	return 1;
}

int
main(void)
{
	static const size_t sizes[] = { 0, 1, 2, 3, 7, 64, ITEMS };
	static struct counts c;
	struct pool p;
	int cores = pool_threads_for_cores(8);

	ok(cores >= 1 && cores <= 8, "threads for the cores: between 1 and the most asked");
	ok(pool_threads_for_cores(1) == 1, "... and never more than that");

	for (int threads = 0; threads <= 4; threads++) {
		int good = 1;

		if (pool_init(&p, threads) != 0) {
			ok(0, "pool of %d threads starts", threads);
			continue;
		}
		is_int(p.helpers, threads > 1 ? threads - 1 : 0, "%d threads: the caller and %d helpers",
		    threads, threads > 1 ? threads - 1 : 0);
		for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
			memset(&c, 0, sizeof(c));
			pool_run(&p, sizes[k], count_slice, &c);
			good &= each(&c, sizes[k], 1);
		}
		ok(good, "%d threads: every item of runs of 0 to %d items is done once", threads, ITEMS);
		/* Many runs in a row: a helper that missed a start, or ran one twice, shows. */
		memset(&c, 0, sizeof(c));
		for (int run = 0; run < 2000; run++)
			pool_run(&p, ITEMS, count_slice, &c);
		ok(each(&c, ITEMS, 2000), "%d threads: 2000 runs in a row, each item 2000 times", threads);
		pool_release(&p);
		ok(p.helpers == 0 && !p.ready, "%d threads: released (the helpers joined)", threads);
	}
	pool_release(&p);
	ok(!p.ready && p.threads == NULL, "releasing twice does nothing more");
	return done_testing();
}
