/*
 * fieldsync-relay - fans the change events of the workers out to browsers as
 * Server-Sent Events.
 *
 *   fieldsync-relay [--config FILE] [--listen ADDR] [--sub ADDR]...
 *   fieldsync-relay --check-config | --version | --help
 *
 * This file: arguments, configuration, signals and timers, and wiring the modules
 * together (source.c takes events in, sse.c sends them out, http.c routes requests).
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "http.h"
#include "listen.h"
#include "log.h"
#include "relay.h"
#include "source.h"
#include "sse.h"

#define BATCH 500		/* events per change log query */
#define PRUNE_EVERY 3600	/* seconds between change log retention runs */
#define MAX_THREADS 8		/* delivery threads derived from the cores, at most */

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

/* The relay's timers and signal events, freed together at exit. */
enum timer { T_POLL, T_HEARTBEAT, T_SWEEP, T_PRUNE, T_SIGTERM, T_SIGINT, T__MAX };

static void
usage(FILE *out)
{
	fprintf(out, "usage: fieldsync-relay [--config FILE] [--listen ADDR] [--sub ADDR]...\n"
	    "       fieldsync-relay --check-config | --version | --help\n"
	    "  --config FILE  settings, [relay] and [events] sections (default: $FIELDSYNC_CONF,\n"
	    "                 else %s if it exists)\n"
	    "  --listen ADDR  serve HTTP on unix:/path or host:port, several separated by spaces\n"
	    "                 (overrides [relay] listen)\n"
	    "  --sub ADDR     bind nanomsg SUB to ADDR, tcp:// or ipc://; repeatable\n"
	    "                 (overrides [relay] sub)\n"
	    "  --check-config read the settings, print the file read and exit (non-zero: invalid)\n"
	    "DATABASE_URL (or [database] url) says where the change log is. SIGUSR1 reopens\n"
	    "the [log] file. See fieldsync-relay(8), fieldsync.conf(5).\n", FS_CONFIG_DEFAULT_PATH);
}

/* Appends ADDR to the space-separated list SUB (SIZE bytes), replacing it when FIRST. 0, or -1. */
static int
add_sub(char *sub, size_t size, const char *addr, int first)
{
	size_t used = first ? 0 : strlen(sub);
	int n = snprintf(sub + used, size - used, "%s%s", used ? " " : "", addr);

	return n < 0 || (size_t)n >= size - used ? -1 : 0;
}

/* Reads the arguments over the configuration into CFG. 0, 1 (answered: help, version, check) or -1. */
static int
parse_args(int argc, char **argv, struct fs_config *cfg)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "listen", required_argument, NULL, 'l' },
		{ "sub", required_argument, NULL, 's' },
		{ "check-config", no_argument, NULL, 'C' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = NULL, *listen = NULL;
	char sub[sizeof(cfg->relay_sub)] = "";
	int c, nsub = 0, check = 0;

	while ((c = getopt_long(argc, argv, "c:l:s:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case 'l': listen = optarg; break;
		case 's':
			if (add_sub(sub, sizeof(sub), optarg, nsub++ == 0) < 0) {
				fputs("fieldsync-relay: too many --sub addresses\n", stderr);
				return -1;
			}
			break;
		case 'C': check = 1; break;
		case 'V': printf("fieldsync-relay (fieldsync) %s\n", PACKAGE_VERSION); return 1;
		case 'h': usage(stdout); return 1;
		default: usage(stderr); return -1;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return -1;
	}
	fs_config_defaults(cfg);
	if (fs_config_load(cfg, config) != FS_OK)
		return -1;
	if (check) {
		printf("%s\n", cfg->path[0] ? cfg->path : "(built-in defaults)");
		return 1;
	}
	if (listen && (strlen(listen) >= sizeof(cfg->relay_listen) ||
	    !fs_config_set(cfg, "relay", "listen", listen)))
		return -1;
	if (nsub)
		snprintf(cfg->relay_sub, sizeof(cfg->relay_sub), "%s", sub);
	return 0;
}

/* Raises the soft open-file limit to the hard one: every stream is a descriptor. */
static void
raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			fs_log(FS_LOG_WARN, "cannot raise the open-file limit");
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
		fs_log(FS_LOG_INFO, "open-file limit %llu", (unsigned long long)rl.rlim_cur);
}

/* Retention ran (NULL: it could not). */
static void
on_pruned(void *arg, PGresult *res)
{
	struct relay *r = arg;
	struct fs_error err = FS_ERROR_INIT;
	int64_t gone = 0;

	r->pruning = false;
	if (!res || fs_changelog_number(res, &gone, &err) != FS_OK)
		fs_log(FS_LOG_WARN, "change log retention skipped: the database is unavailable");
	else if (gone > 0)
		fs_log(FS_LOG_INFO, "change log retention: %lld entries older than %d days removed", (long long)gone,
		    r->cfg->retention_days);
	fs_error_clear(&err);
}

/* Runs the change log retention: entries older than retention_days go. */
static void
prune(struct relay *r)
{
	if (!r->pruning)
		r->pruning = backlog_prune(&r->db, r->cfg->retention_days, on_pruned, r) == 0;
}

static void
on_poll(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	source_poll(arg);
}

static void
on_heartbeat(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	sse_heartbeat(arg);
}

static void
on_sweep(evutil_socket_t fd, short what, void *arg)
{
	struct relay *r = arg;

	(void)fd;
	(void)what;
	sse_sweep(r);
	sse_follow_auth(r);	/* every second: revocation reaches open streams within 2 s */
	backlog_refresh_tables(&r->db);
}

static void
on_prune(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	prune(arg);
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct relay *r = arg;

	(void)what;
	fs_log(FS_LOG_INFO, "signal %d: stopping", (int)sig);
	event_base_loopbreak(r->base);
}

/* Adds the timers and signal handlers to T. 0, or -1. */
static int
add_events(struct relay *r, struct event **t)
{
	const struct timeval poll = { r->cfg->poll_interval / 1000, (r->cfg->poll_interval % 1000) * 1000 };
	const struct timeval beat = { r->cfg->heartbeat, 0 }, second = { 1, 0 }, hour = { PRUNE_EVERY, 0 };

	t[T_POLL] = event_new(r->base, -1, EV_PERSIST, on_poll, r);
	t[T_HEARTBEAT] = event_new(r->base, -1, EV_PERSIST, on_heartbeat, r);
	t[T_SWEEP] = event_new(r->base, -1, EV_PERSIST, on_sweep, r);
	t[T_PRUNE] = event_new(r->base, -1, EV_PERSIST, on_prune, r);
	t[T_SIGTERM] = evsignal_new(r->base, SIGTERM, on_signal, r);
	t[T_SIGINT] = evsignal_new(r->base, SIGINT, on_signal, r);
	for (int i = 0; i < T__MAX; i++)
		if (!t[i])
			return -1;
	return event_add(t[T_POLL], &poll) < 0 || event_add(t[T_HEARTBEAT], &beat) < 0 ||
	    event_add(t[T_SWEEP], &second) < 0 || event_add(t[T_PRUNE], &hour) < 0 ||
	    event_add(t[T_SIGTERM], NULL) < 0 || event_add(t[T_SIGINT], NULL) < 0 ? -1 : 0;
}

/* Sets up R over CFG: loop, ring, database, scratch buffer. 0, or -1. */
static int
relay_init(struct relay *r, const struct fs_config *cfg)
{
	int threads;

	memset(r, 0, sizeof(*r));
	r->cfg = cfg;
	r->head = -1;
	r->auth_seq = -1;
	r->nn_sock = -1;
	r->batch = BATCH;
	r->base = event_base_new();
	pages_init(&r->pages, &r->db, sse_pages_ready, r);
	r->scratch = evbuffer_new();
	r->delivered = calloc((size_t)r->batch, sizeof(*r->delivered));
	if (!r->base || backlog_init(&r->db, cfg, r->base) < 0 || !r->scratch || !r->delivered ||
	    ring_init(&r->ring, (size_t)cfg->ring_size, cfg->ring_bytes, 0) < 0 ||
	    trim_init(&r->trim, r->base) < 0) {
		fs_log(FS_LOG_ERROR, "out of memory at start");
		return -1;
	}
	threads = cfg->delivery_threads ? cfg->delivery_threads : pool_threads_for_cores(MAX_THREADS);
	if (pool_init(&r->pool, threads) < 0) {
		fs_log(FS_LOG_ERROR, "cannot start %d delivery threads", threads);
		return -1;
	}
	return 0;
}

/* Frees what relay_init and the run made. */
static void
relay_release(struct relay *r, struct event **t)
{
	http_close(r);		/* closes every stream */
	source_close(r);
	for (int i = 0; i < T__MAX; i++)
		if (t[i])
			event_free(t[i]);
	trim_release(&r->trim);
	pages_release(&r->pages);
	backlog_close(&r->db);
	sse_forget_rechecks(r);
	ring_release(&r->ring);
	pool_release(&r->pool);
	free(r->direct);
	free(r->delivered);
	if (r->scratch)
		evbuffer_free(r->scratch);
	if (r->base)
		event_base_free(r->base);
}

#define MAX_LISTEN 4	/* addresses in [relay] listen */

/*
 * Serves HTTP on every address of LISTEN (separated by spaces: a Unix socket for the proxy in
 * front, a TCP address of its own for streams that come straight, ...). The Unix socket paths
 * go to PATHS (MAX_LISTEN of them, empty where none), to be removed at exit. 0, or -1 (logged).
 */
static int
open_listeners(struct relay *r, const char *listen, char paths[][512])
{
	char copy[sizeof(((struct fs_config *)0)->relay_listen)], *save = NULL, *addr;
	int n = 0, fd;

	snprintf(copy, sizeof(copy), "%s", listen);
	for (addr = strtok_r(copy, " \t", &save); addr; addr = strtok_r(NULL, " \t", &save)) {
		if (n == MAX_LISTEN) {
			relay_log("[relay] listen: at most %d addresses", MAX_LISTEN);
			return -1;
		}
		fd = listen_open(addr, paths[n], sizeof(paths[n]));
		if (fd < 0 || (n == 0 ? http_open(r, fd) : http_accept(r, fd)) < 0)
			return -1;
		n++;
	}
	if (n == 0)
		relay_log("[relay] listen names no address");
	return n > 0 ? 0 : -1;
}

int
main(int argc, char **argv)
{
	struct fs_config cfg;
	struct relay r;
	struct event *timers[T__MAX] = { NULL };
	char sock_paths[MAX_LISTEN][512] = { "" };
	int rc;

	fs_log_init("fieldsync-relay");
	rc = parse_args(argc, argv, &cfg);
	if (rc != 0)
		return rc > 0 ? (fflush(stdout) == 0 ? 0 : 1) : 2;
	fs_log_file(cfg.log_file);	/* a file that cannot be opened leaves the lines on stderr */
	/* Reopened in the handler itself (async-signal-safe), not in the loop: nothing to wait for. */
	if (fs_log_catch_reopen(NULL) < 0)
		fs_log(FS_LOG_WARN, "cannot catch SIGUSR1: the log file is never reopened");
	signal(SIGPIPE, SIG_IGN);	/* a client gone mid-write is an error return, not a death */
	raise_nofile();
	if (relay_init(&r, &cfg) < 0) {
		relay_release(&r, timers);
		return 1;
	}
	rc = open_listeners(&r, cfg.relay_listen, sock_paths) < 0 || source_open(&r) < 0 ||
	    add_events(&r, timers) < 0;
	if (!rc) {
		fs_log(FS_LOG_INFO, "listening on %s (ring %d, client buffer %zu bytes, at most %d streams,"
		    " %d delivery threads)", cfg.relay_listen, cfg.ring_size, cfg.client_buffer, cfg.max_clients,
		    r.pool.helpers + 1);
		/* Queued now, asked as the loop starts: the head, the tables, where revocation is followed from. */
		source_poll(&r);
		backlog_refresh_tables(&r.db);
		sse_follow_auth(&r);
		prune(&r);
		rc = event_base_dispatch(r.base) < 0;
	}
	relay_release(&r, timers);
	for (int i = 0; i < MAX_LISTEN; i++)
		if (sock_paths[i][0])
			unlink(sock_paths[i]);
	if (rc)
		fs_log(FS_LOG_ERROR, "stopped on an error");
	else
		fs_log(FS_LOG_INFO, "stopped");
	return rc ? 1 : 0;
}
