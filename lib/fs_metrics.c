/* fs_metrics.c - counters shared by a pool's processes (a mapped file), shown as Prometheus text. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs_health.h"
#include "fs_log.h"
#include "fs_metrics.h"

#define MAGIC "fsmetr2"
#define STATUSES 600
#define BUCKETS 12
#define MAX_POOLS 64

/* Upper bounds of the latency buckets, in seconds (Prometheus' "le"); the last one is +Inf. */
static const double bounds[BUCKETS] = { 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
	1, 2.5, 5 };

struct counters {
	char magic[8];
	char name[64];
	uint64_t status[STATUSES];	/* answers by HTTP status */
	uint64_t latency[BUCKETS + 1];	/* answers by latency bucket (not cumulative) */
	uint64_t latency_usec;		/* their latency in all */
	uint64_t database_errors;
	uint64_t events;
	uint64_t writes;		/* POST, PUT and DELETE that reached the database */
	uint64_t write_round_trips;	/* their round trips to PostgreSQL */
	uint64_t reads_shared;		/* GETs by id answered in a round trip shared with others */
	uint64_t shared_read_trips;	/* those round trips */
};

static struct counters *mine;	/* this pool's, mapped before the workers are started */

void
fs_metrics_open(const char *dir, const char *name)
{
	char path[512];
	int fd;
	void *m;

	if (snprintf(path, sizeof(path), "%s/%s.metrics", dir, name) >= (int)sizeof(path)
	    || (fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0640)) < 0) {
		fs_log(FS_LOG_WARN, "no metrics: cannot open %s/%s.metrics: %s", dir, name, strerror(errno));
		return;
	}
	m = ftruncate(fd, sizeof(struct counters)) == 0
	    ? mmap(NULL, sizeof(struct counters), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) : MAP_FAILED;
	close(fd);
	if (m == MAP_FAILED) {
		fs_log(FS_LOG_WARN, "no metrics: cannot map %s: %s", path, strerror(errno));
		return;
	}
	mine = m;
	snprintf(mine->name, sizeof(mine->name), "%s", name);
	memcpy(mine->magic, MAGIC, sizeof(mine->magic));
}

static void
add(uint64_t *counter)
{
	__atomic_add_fetch(counter, 1, __ATOMIC_RELAXED);
}

void
fs_metrics_answer(int status, long long usec, bool database_error)
{
	int b = 0;

	if (!mine)
		return;
	add(&mine->status[status >= 0 && status < STATUSES ? status : 0]);
	while (b < BUCKETS && (double)usec / 1e6 > bounds[b])
		b++;
	add(&mine->latency[b]);
	__atomic_add_fetch(&mine->latency_usec, (uint64_t)(usec > 0 ? usec : 0), __ATOMIC_RELAXED);
	if (database_error)
		add(&mine->database_errors);
}

void
fs_metrics_event(void)
{
	if (mine)
		add(&mine->events);
}

void
fs_metrics_write(unsigned long round_trips)
{
	if (!mine || !round_trips)
		return;
	add(&mine->writes);
	__atomic_add_fetch(&mine->write_round_trips, (uint64_t)round_trips, __ATOMIC_RELAXED);
}

void
fs_metrics_shared_reads(unsigned long reads)
{
	if (!mine || !reads)
		return;
	add(&mine->shared_read_trips);
	__atomic_add_fetch(&mine->reads_shared, (uint64_t)reads, __ATOMIC_RELAXED);
}

/* A file of metrics (NAME.metrics), no hidden one. */
static int
is_metrics(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return d->d_name[0] != '.' && n > 8 && strcmp(d->d_name + n - 8, ".metrics") == 0;
}

/* Maps the pools' counters in DIR, read only, into POOLS; how many. */
static int
map_pools(const char *dir, const struct counters **pools)
{
	struct dirent **list = NULL;
	char path[512];
	int n = scandir(dir, &list, is_metrics, alphasort), got = 0, fd;

	for (int i = 0; i < n; i++) {
		void *m = MAP_FAILED;

		struct stat st;

		/* A file shorter than the counters (being made) would fault when read: skipped. */
		if (got < MAX_POOLS && snprintf(path, sizeof(path), "%s/%s", dir, list[i]->d_name) < (int)sizeof(path)
		    && (fd = open(path, O_RDONLY | O_CLOEXEC)) >= 0) {
			if (fstat(fd, &st) == 0 && st.st_size >= (off_t)sizeof(struct counters))
				m = mmap(NULL, sizeof(struct counters), PROT_READ, MAP_SHARED, fd, 0);
			close(fd);
		}
		if (m != MAP_FAILED && memcmp(((const struct counters *)m)->magic, MAGIC, sizeof(MAGIC)) == 0)
			pools[got++] = m;
		else if (m != MAP_FAILED)
			munmap(m, sizeof(struct counters));
		free(list[i]);
	}
	free(list);
	return got;
}

static uint64_t
load(const uint64_t *counter)
{
	return __atomic_load_n(counter, __ATOMIC_RELAXED);
}

/* The Prometheus text of the N POOLS into OUT (a memstream): each family once, its pools inside. */
/* The lines of counter fieldsync_NAME, the uint64_t at OFFSET of each of the N POOLS. */
static void
counter(FILE *out, const struct counters *const *pools, int n, const char *name, const char *help,
    size_t offset)
{
	fprintf(out, "# HELP fieldsync_%s %s\n# TYPE fieldsync_%s counter\n", name, help, name);
	for (int p = 0; p < n; p++)
		fprintf(out, "fieldsync_%s{resource=\"%s\"} %llu\n", name, pools[p]->name,
		    (unsigned long long)load((const uint64_t *)((const char *)pools[p] + offset)));
}

static void
render(FILE *out, const struct counters *const *pools, int n)
{
	fputs("# HELP fieldsync_requests_total Answers by resource and HTTP status.\n"
	    "# TYPE fieldsync_requests_total counter\n", out);
	for (int p = 0; p < n; p++)
		for (int s = 1; s < STATUSES; s++)
			if (load(&pools[p]->status[s]))
				fprintf(out, "fieldsync_requests_total{resource=\"%s\",status=\"%d\"} %llu\n",
				    pools[p]->name, s, (unsigned long long)load(&pools[p]->status[s]));
	fputs("# HELP fieldsync_request_duration_seconds Time from taking a request to its answer sent.\n"
	    "# TYPE fieldsync_request_duration_seconds histogram\n", out);
	for (int p = 0; p < n; p++) {
		uint64_t total = 0;

		for (int b = 0; b <= BUCKETS; b++) {
			total += load(&pools[p]->latency[b]);
			if (b < BUCKETS)
				fprintf(out, "fieldsync_request_duration_seconds_bucket{resource=\"%s\",le=\"%g\"} %llu\n",
				    pools[p]->name, bounds[b], (unsigned long long)total);
		}
		fprintf(out, "fieldsync_request_duration_seconds_bucket{resource=\"%s\",le=\"+Inf\"} %llu\n"
		    "fieldsync_request_duration_seconds_sum{resource=\"%s\"} %.6f\n"
		    "fieldsync_request_duration_seconds_count{resource=\"%s\"} %llu\n", pools[p]->name,
		    (unsigned long long)total, pools[p]->name, (double)load(&pools[p]->latency_usec) / 1e6,
		    pools[p]->name, (unsigned long long)total);
	}
	counter(out, pools, n, "database_errors_total", "Answers the database made fail (unavailable,"
	    " timeout, outcome unknown, schema).", offsetof(struct counters, database_errors));
	counter(out, pools, n, "events_published_total", "Change events published on nanomsg.",
	    offsetof(struct counters, events));
	counter(out, pools, n, "writes_total", "Writes (POST, PUT, DELETE) that reached the database.",
	    offsetof(struct counters, writes));
	counter(out, pools, n, "write_round_trips_total", "Round trips to PostgreSQL those writes made.",
	    offsetof(struct counters, write_round_trips));
	counter(out, pools, n, "shared_reads_total", "GETs by id sent to PostgreSQL with others: in"
	    " one group, or behind others still in flight.", offsetof(struct counters, reads_shared));
	counter(out, pools, n, "shared_read_round_trips_total", "The groups they went in.",
	    offsetof(struct counters, shared_read_trips));
}

void
fs_metrics_handle(struct fs_worker *w, struct fs_request *req)
{
	const struct counters *pools[MAX_POOLS];
	char dir[108], self[108], *text = NULL;
	size_t len = 0;
	FILE *out;
	int n = 0;

	(void)w;
	if (req->method != M_GET && req->method != M_HEAD) {
		fs_error_set(&req->err, ERR_METHOD_NOT_ALLOWED, NULL, "/api/metrics takes GET");
		return;
	}
	if (!fs_config_metrics_allowed(req->cfg, fs_request_param(req, "REMOTE_ADDR"))) {
		fs_error_set(&req->err, ERR_FORBIDDEN, NULL, "metrics are shown only to the addresses"
		    " of [metrics] allow");
		return;
	}
	if (req->fcgx && fs_socket_folder(req->fcgx->listen_sock, dir, self, sizeof(dir)))
		n = map_pools(dir, pools);
	if (!(out = open_memstream(&text, &len))) {
		fs_error_set(&req->err, ERR_INTERNAL, NULL, "out of memory");
		return;
	}
	render(out, pools, n);
	for (int p = 0; p < n; p++)
		munmap((void *)pools[p], sizeof(struct counters));
	if (fclose(out) != 0 || !text) {
		free(text);
		fs_error_set(&req->err, ERR_INTERNAL, NULL, "out of memory");
		return;
	}
	req->resp.content_type = "text/plain; version=0.0.4; charset=utf-8";
	fs_response_take(req, 200, text, len);
}
