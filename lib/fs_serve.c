/* fs_serve.c - argument parsing, the request loop, and the pre-forking supervisor. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fcgiapp.h>
#include <systemd/sd-daemon.h>

#include "fs_changes.h"
#include "fs_config.h"
#include "fs_conns.h"
#include "fs_describe.h"
#include "fs_dispatch.h"
#include "fs_health.h"
#include "fs_http.h"
#include "fs_log.h"
#include "fs_metrics.h"
#include "fs_pools.h"
#include "fs_read.h"
#include "fs_serve.h"
#include "fs_session.h"
#include "fs_sizing.h"
#include "fs_supervise.h"
#include "fs_users.h"
#include "fs_worker.h"

#define BACKLOG 256

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

/* Set by SIGTERM/SIGINT; the only state a signal handler may touch. */
static volatile sig_atomic_t stopping;

static void
on_stop(int sig)
{
	(void)sig;
	stopping = 1;
}

/* Installs the stop handler without SA_RESTART, so accept() returns. */
static void
catch_stop_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);	/* a client gone mid-answer is an error return, not a death */
}

/* Begins REQ: the service's handler fills the answer, or leaves it deferred (fs_read.h). */
static void
begin_one(const struct fs_service *svc, struct fs_worker *w, struct fs_request *req)
{
	clock_gettime(CLOCK_MONOTONIC, &req->started);
	svc->handle(w, req);
}

/* Ends REQ, its answer filled: sends it, then the handler's after-work. */
static int
finish_one(struct fs_worker *w, struct fs_request *req)
{
	struct timespec t1;
	enum fs_err rc, why = req->err.code;

	rc = fs_request_answer(req);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	fs_metrics_answer(req->resp.status, (t1.tv_sec - req->started.tv_sec) * 1000000LL
	    + (t1.tv_nsec - req->started.tv_nsec) / 1000,
	    why == ERR_DATABASE_UNAVAILABLE || why == ERR_TIMEOUT || why == ERR_OUTCOME_UNKNOWN
	    || why == ERR_SCHEMA_OUTDATED || why == ERR_SCHEMA_NEWER);
	if (w->after_answer) {
		w->after_answer(w);
		w->after_answer = NULL;
	}
	fs_request_release(req);
	return rc;
}

/* One request, from its handler to its answer. */
static int
serve_one(const struct fs_service *svc, struct fs_worker *w, struct fs_request *req)
{
	begin_one(svc, w, req);
	return finish_one(w, req);
}

/*
 * The config a process started without one named (no --config, FIELDSYNC_CONF unset in its
 * environment) takes from the FIELDSYNC_CONF parameter of its first request, over the
 * installed default: under mod_fcgid, SetEnv in .htaccess reaches the requests' parameters
 * but never the process's environment. The parameter is set by the server's or the
 * .htaccess's configuration, never by the client (a request header Fieldsync-Conf arrives
 * as HTTP_FIELDSYNC_CONF), and only a path is taken this way, never the database URL: the
 * secrets stay in a file outside the document root. Without the parameter CFG stays as it
 * is. The path goes to CFG_PATH (SIZE bytes). FS_OK, or ERR_INTERNAL when it cannot be loaded.
 */
static enum fs_err
config_from_request(FCGX_Request *fr, struct fs_config *cfg, char *cfg_path, size_t size)
{
	const char *p = FCGX_GetParam("FIELDSYNC_CONF", fr->envp);

	if (!p || !*p)
		return FS_OK;
	if (snprintf(cfg_path, size, "%s", p) >= (int)size) {
		fs_log(FS_LOG_ERROR, "config: the path in the FIELDSYNC_CONF parameter is too long");
		return ERR_INTERNAL;
	}
	fs_config_defaults(cfg);
	return fs_config_load(cfg, cfg_path);
}

/* Whether request FR names the config CFG_PATH that this process took from its first request. */
static bool
same_config(FCGX_Request *fr, const char *cfg_path)
{
	const char *p = FCGX_GetParam("FIELDSYNC_CONF", fr->envp);

	return strcmp(p ? p : "", cfg_path) == 0;
}

/* Answers request FR with a 500 that says why, without a worker (no database, no resource). */
static void
refuse(FCGX_Request *fr, const struct fs_config *cfg, const char *why)
{
	struct fs_request req;

	fs_request_init(&req, fr, cfg);
	fs_error_set(&req.err, ERR_INTERNAL, NULL, "%s", why);
	fs_request_answer(&req);
	fs_request_release(&req);
}

/* Starts worker W for SVC with CFG: connected before the first request when it can be. */
static enum fs_err
start_worker(struct fs_worker *w, const struct fs_service *svc, const struct fs_config *cfg)
{
	struct fs_error err = FS_ERROR_INIT;

	if (fs_worker_init(w, svc, cfg) != FS_OK) {
		fs_log(FS_LOG_ERROR, "cannot start a worker");
		return ERR_INTERNAL;
	}
	/*
	 * Connect before the first request, so it is not the one that waits, and the resource's
	 * declaration is recorded in the database as soon as the worker runs. A database that is
	 * away is only logged: requests connect again as they come.
	 */
	fs_pg_ready(&w->db.pg, &err);
	fs_error_clear(&err);
	return FS_OK;
}

/* Answers the deferred GETs by id whose results came, oldest first. */
static void
answer_deferred(struct fs_conns *conns, struct fs_worker *w)
{
	struct fs_request *req;

	while ((req = fs_read_answered(w)) != NULL) {
		FCGX_Request *kept = req->fcgx;

		finish_one(w, req);
		fs_conns_done(conns, kept);
	}
}

/*
 * The next request: another the last wait found ready, else the next wait's first. GETs by
 * id left in flight (fs_read.h) are sent before the wait, which also ends when their results
 * come; each is answered as soon as its result is there. Once stopping, those in flight are
 * answered before the end (NULL).
 */
static FCGX_Request *
next_request(struct fs_conns *conns, struct fs_worker *w, const sigset_t *waiting)
{
	FCGX_Request *fr;
	bool results;

	for (;;) {
		fs_read_take(w, false);
		answer_deferred(conns, w);
		if (w->ndeferred < FS_DEFERRED && (fr = fs_conns_more(conns)) != NULL)
			return fr;
		fs_read_send(w);
		if (w->ndeferred == 0)
			return fs_conns_next(conns, waiting, &stopping, -1, 0, NULL);
		if (fs_read_socket(w) < 0)
			continue;	/* none in flight: those left run on their own */
		if (w->ndeferred == FS_DEFERRED || stopping) {
			fs_read_take(w, true);
			continue;
		}
		fr = fs_conns_next(conns, waiting, &stopping, fs_read_socket(w), w->db.pg.generation,
		    &results);
		if (fr)
			return fr;
		if (!results && !stopping) {	/* the wait failed: answer those in flight, then end */
			fs_read_take(w, true);
			answer_deferred(conns, w);
			return NULL;
		}
	}
}

/*
 * Serves FastCGI requests on LISTEN_FD until stopped, with CFG; a process that was named no
 * config (CFG_FROM_REQUEST) may take it from its first request (config_from_request), and
 * then refuses a later request that names another.
 */
static int
request_loop(const struct fs_service *svc, const struct fs_config *cfg_in, int listen_fd,
    bool cfg_from_request)
{
	static struct fs_conns conns;	/* FS_CONNS connections' state: not on the stack */
	static struct fs_request reqs[FS_DEFERRED];
	FCGX_Request *fr;
	struct fs_worker w;
	struct fs_request *req;
	struct fs_config cfg = *cfg_in;
	char cfg_path[1024] = "";
	sigset_t stops, waiting;
	bool started = false;
	int rc = 0;

	if (FCGX_Init() != 0 || fs_conns_open(&conns, listen_fd) != 0) {
		fs_log(FS_LOG_ERROR, "cannot start a worker");
		return 1;
	}
	/* Once per worker, not per request: the stops blocked but while waiting (fs_conns_next). */
	sigemptyset(&stops);
	sigaddset(&stops, SIGTERM);
	sigaddset(&stops, SIGINT);
	sigprocmask(SIG_BLOCK, &stops, &waiting);
	sigdelset(&waiting, SIGTERM);
	sigdelset(&waiting, SIGINT);
	if (!cfg_from_request) {
		if (start_worker(&w, svc, &cfg) != FS_OK)
			return 1;
		started = true;
	}
	for (fr = fs_conns_next(&conns, &waiting, &stopping, -1, 0, NULL); fr;
	    fr = next_request(&conns, &w, &waiting)) {
		if (!started) {
			if (config_from_request(fr, &cfg, cfg_path, sizeof(cfg_path)) != FS_OK
			    || start_worker(&w, svc, &cfg) != FS_OK) {
				/* Exit after the answer: the server starts a new process for the next one. */
				refuse(fr, &cfg, "the server's configuration cannot be loaded");
				fs_conns_done(&conns, fr);
				rc = 1;
				break;
			}
			started = true;
		}
		if (cfg_from_request && !same_config(fr, cfg_path)) {
			fs_log(FS_LOG_ERROR, "a request names another FIELDSYNC_CONF than '%s', which this"
			    " process serves; refused", cfg_path);
			refuse(fr, &cfg, "this process serves another configuration");
			fs_conns_done(&conns, fr);
			continue;
		}
		req = &reqs[fs_read_spare(&w)];
		fs_request_init(req, fr, &cfg);
		w.deferring = svc->res != NULL;
		begin_one(svc, &w, req);
		if (!req->deferred) {
			finish_one(&w, req);
			fs_conns_done(&conns, fr);
		}
	}
	if (started)
		fs_worker_release(&w);
	fs_conns_close(&conns);
	return rc;
}

/* Plain CGI: the request is in the environment and on stdin. */
static int
serve_cgi(const struct fs_service *svc, const struct fs_config *cfg)
{
	struct fs_worker w;
	struct fs_request req;
	int rc;

	if (fs_worker_init(&w, svc, cfg) != FS_OK)
		return 1;
	fs_request_init(&req, NULL, cfg);
	rc = serve_one(svc, &w, &req);
	fs_worker_release(&w);
	return rc == FS_OK ? 0 : 1;
}

/* A supervised worker's life (fs_supervise.h): the request loop on the shared socket. */
static int
work(const struct fs_config *cfg, int listen_fd, void *svc)
{
	catch_stop_signals();
	return request_loop(svc, cfg, listen_fd, false);
}

/*
 * Standalone: listen on PATH (or take the socket systemd holds for us: socket activation,
 * so a restart never closes it) and supervise NWORKERS workers until SIGTERM. The socket
 * stays after a stop: a health check finds nothing listening on it ("down").
 */
static int
supervise(const struct fs_service *svc, struct fs_config *cfg, const char *config,
    const char *path, int nworkers)
{
	struct fs_supervisor s = { .nworkers = nworkers, .config_path = config, .cfg = cfg,
		.work = work, .arg = (void *)svc };
	int held = sd_listen_fds(1), own = !held && path && strchr(path, ':') == NULL;
	char dir[108], self[108];

	if (held < 0 || held > 1) {
		fs_log(FS_LOG_ERROR, "systemd passed %d sockets; one is served", held);
		if (held < 0)
			return 1;
	}
	if (held > 0) {
		s.listen_fd = SD_LISTEN_FDS_START;
	} else {
		if (own)
			unlink(path);	/* a socket left by a crash would make bind fail */
		if (FCGX_Init() != 0 || (s.listen_fd = FCGX_OpenSocket(path, BACKLOG)) < 0) {
			fs_log(FS_LOG_ERROR, "cannot listen on %s", path);
			return 1;
		}
		if (own)
			chmod(path, 0660);
	}
	fs_log(FS_LOG_INFO, "serving on %s", held > 0 ? "the socket systemd holds" : path);
	if (fs_socket_folder(s.listen_fd, dir, self, sizeof(dir)))
		fs_metrics_open(dir, svc->path);	/* before the workers: they inherit the mapping */
	return fs_supervise(&s);
}

/* Prints how to run the binary to OUT. */
static void
usage(FILE *out, const char *prog)
{
	fprintf(out,
	    "usage: %s [--socket PATH|:PORT] [--workers N] [--config FILE]\n"
	    "       %s --describe | --check-config | --version | --help\n"
	    "  --socket, or a socket systemd passes (socket activation): pre-forking FastCGI\n"
	    "            server, SIGHUP reloads the config, SIGTERM stops; without either,\n"
	    "            FastCGI on fd 0 when it is a listening socket, else plain CGI\n"
	    "  --config FILE: settings (default: $FIELDSYNC_CONF, else %s if it exists)\n"
	    "  --describe: print what this binary serves as JSON and exit\n"
	    "  --check-config: read the settings, print the file read and exit (non-zero: invalid)\n"
	    "  environment: DATABASE_URL, FIELDSYNC_CONF; SIGUSR1 reopens the [log] file\n"
	    "  FastCGI on fd 0 named no config: its first request's FIELDSYNC_CONF parameter\n"
	    "  see fieldsync-worker(8), fieldsync.conf(5)\n", prog, prog, FS_CONFIG_DEFAULT_PATH);
}

/* The last part of PATH. */
static const char *
base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/* --check-config: which file CFG came from ("(built-in defaults)" for none). */
static int
print_config_path(const struct fs_config *cfg)
{
	return printf("%s\n", cfg->path[0] ? cfg->path : "(built-in defaults)") > 0
	    && fflush(stdout) == 0 ? 0 : 1;
}

/*
 * Prints SVC's declaration as JSON (see fs_describe.h); a service that is no resource
 * prints only {"kind":KIND,"path":…}.
 */
static int
describe(const struct fs_service *svc, const char *kind)
{
	char *text = svc->res ? fs_describe(svc->res) : NULL;
	int ok;

	if (svc->res && !text) {
		fs_log(FS_LOG_ERROR, "cannot describe the declaration");
		return 1;
	}
	if (text)
		ok = printf("%s\n", text) > 0;
	else
		ok = printf("{\"kind\":\"%s\",\"path\":\"%s\"}\n", kind, svc->path) > 0;
	free(text);
	return ok && fflush(stdout) == 0 ? 0 : 1;
}

/* Runs the binary for SVC (of KIND, for --describe) as its arguments and environment say; returns the exit status. */
static int
serve(int argc, char **argv, const struct fs_service *svc, const char *kind)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "workers", required_argument, NULL, 'w' },
		{ "config", required_argument, NULL, 'c' },
		{ "describe", no_argument, NULL, 'd' },
		{ "check-config", no_argument, NULL, 'C' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *socket_path = NULL, *config = NULL;
	int workers = 0, c, check = 0;
	struct fs_config cfg;
	char name[80];

	snprintf(name, sizeof(name), "fieldsync-%s", svc->path);
	fs_log_init(name);
	while ((c = getopt_long(argc, argv, "s:w:c:h", opts, NULL)) != -1) {
		switch (c) {
		case 's': socket_path = optarg; break;
		case 'c': config = optarg; break;
		case 'C': check = 1; break;
		case 'd': return describe(svc, kind);
		case 'V':
			printf("%s (fieldsync) %s\n", base_name(argv[0]), PACKAGE_VERSION);
			return fflush(stdout) == 0 ? 0 : 1;
		case 'w':
			workers = atoi(optarg);
			if (workers >= 1 && workers <= FS_MAX_WORKERS)
				break;
			fprintf(stderr, "%s: --workers must be 1..%d\n", argv[0], FS_MAX_WORKERS);
			return 2;
		case 'h':
			usage(stdout, argv[0]);
			return 0;
		default:
			usage(stderr, argv[0]);
			return 2;
		}
	}
	fs_config_defaults(&cfg);
	if (fs_config_load(&cfg, config) != FS_OK)
		return 1;
	if (check)
		return print_config_path(&cfg);
	fs_log_file(cfg.log_file);	/* a file that cannot be opened leaves the lines on stderr */
	if (!workers)
		workers = fs_sizing_workers(&cfg, fs_sizing_cores(), FS_POOLS);
	/* A worker reopens on its own; a supervisor takes SIGUSR1 itself and passes it on. */
	if (fs_log_catch_reopen(NULL) < 0)
		fs_log(FS_LOG_WARN, "cannot catch SIGUSR1: the log file is never reopened");
	catch_stop_signals();
	if (socket_path || sd_listen_fds(0) > 0)
		return supervise(svc, &cfg, config, socket_path, workers);
	if (!FCGX_IsCGI())
		return request_loop(svc, &cfg, 0, !config && !getenv("FIELDSYNC_CONF"));
	return serve_cgi(svc, &cfg);
}

int
fs_serve(int argc, char **argv, const struct fs_resource *res)
{
	const struct fs_service svc = { .path = res->path, .res = res, .handle = fs_dispatch };

	return serve(argc, argv, &svc, "resource");
}

int
fs_serve_changes(int argc, char **argv)
{
	const struct fs_service svc = { .path = "changes", .res = NULL, .handle = fs_changes_handle };

	return serve(argc, argv, &svc, "feed");
}

int
fs_serve_session(int argc, char **argv)
{
	const struct fs_service svc = { .path = "session", .res = NULL, .handle = fs_session_handle,
		.init = fs_session_init };

	return serve(argc, argv, &svc, "session");
}

int
fs_serve_health(int argc, char **argv)
{
	const struct fs_service svc = { .path = "health", .res = NULL, .handle = fs_health_handle,
		.init = fs_health_init };

	return serve(argc, argv, &svc, "health");
}

int
fs_serve_metrics(int argc, char **argv)
{
	const struct fs_service svc = { .path = "metrics", .res = NULL, .handle = fs_metrics_handle };

	return serve(argc, argv, &svc, "metrics");
}

int
fs_serve_users(int argc, char **argv)
{
	const struct fs_service svc = { .path = "users", .res = NULL, .handle = fs_users_handle,
		.init = fs_users_init };

	return serve(argc, argv, &svc, "users");
}
