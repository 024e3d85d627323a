/* fs_serve.c - argument parsing, the request loop, and the pre-forking supervisor. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fcgiapp.h>
#include <systemd/sd-daemon.h>

#include "fs_changes.h"
#include "fs_config.h"
#include "fs_describe.h"
#include "fs_dispatch.h"
#include "fs_health.h"
#include "fs_http.h"
#include "fs_serve.h"
#include "fs_session.h"
#include "fs_supervise.h"
#include "fs_users.h"
#include "fs_worker.h"

#define BACKLOG 256

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

/* One request: the service's handler fills the answer, this sends it, then the handler's after-work. */
static int
serve_one(const struct fs_service *svc, struct fs_worker *w, struct fs_request *req)
{
	enum fs_err rc;

	svc->handle(w, req);
	rc = fs_request_answer(req);
	if (w->after_answer) {
		w->after_answer(w);
		w->after_answer = NULL;
	}
	fs_request_release(req);
	return rc;
}

/* Serves FastCGI requests on LISTEN_FD until stopped. */
static int
request_loop(const struct fs_service *svc, const struct fs_config *cfg, int listen_fd)
{
	FCGX_Request fr;
	struct fs_worker w;
	struct fs_request req;

	if (FCGX_Init() != 0 || FCGX_InitRequest(&fr, listen_fd, FCGI_FAIL_ACCEPT_ON_INTR) != 0
	    || fs_worker_init(&w, svc, cfg) != FS_OK) {
		fprintf(stderr, "fieldsync: %s: cannot start a worker\n", svc->path);
		return 1;
	}
	/*
	 * Connect before the first request, so it is not the one that waits, and the resource's
	 * declaration is recorded in the database as soon as the worker runs. A database that is
	 * away is only logged: requests connect again as they come.
	 */
	{
		struct fs_error err = FS_ERROR_INIT;

		fs_pg_ready(&w.db.pg, &err);
		fs_error_clear(&err);
	}
	while (!stopping && FCGX_Accept_r(&fr) == 0) {
		fs_request_init(&req, &fr, cfg);
		serve_one(svc, &w, &req);
		FCGX_Finish_r(&fr);
	}
	fs_worker_release(&w);
	FCGX_Free(&fr, 1);
	return 0;
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
	return request_loop(svc, cfg, listen_fd);
}

/*
 * Standalone: listen on PATH (or take the socket systemd holds for us: socket activation,
 * so a restart never closes it) and supervise NWORKERS workers until SIGTERM.
 */
static int
supervise(const struct fs_service *svc, struct fs_config *cfg, const char *config,
    const char *path, int nworkers)
{
	struct fs_supervisor s = { .name = svc->path, .nworkers = nworkers, .config_path = config,
		.cfg = cfg, .work = work, .arg = (void *)svc };
	int held = sd_listen_fds(1), own = !held && path && strchr(path, ':') == NULL;

	if (held > 1 || held < 0) {
		fprintf(stderr, "fieldsync: %s: systemd passed %d sockets; one is served\n", svc->path, held);
		if (held < 0)
			return 1;
	}
	if (held > 0) {
		s.listen_fd = SD_LISTEN_FDS_START;
	} else {
		if (own)
			unlink(path);	/* a socket left by a crash would make bind fail */
		if (FCGX_Init() != 0 || (s.listen_fd = FCGX_OpenSocket(path, BACKLOG)) < 0) {
			fprintf(stderr, "fieldsync: %s: cannot listen on %s\n", svc->path, path);
			return 1;
		}
		if (own)
			chmod(path, 0660);
	}
	fprintf(stderr, "fieldsync: %s: serving on %s\n", svc->path, held > 0 ? "the socket systemd holds" : path);
	/* The socket stays after a stop: a health check finds nothing listening on it ("down"). */
	return fs_supervise(&s);
}

/* Prints how to run the binary. */
static void
usage(const char *prog)
{
	fprintf(stderr,
	    "usage: %s [--socket PATH|:PORT] [--workers N] [--config FILE] | --describe\n"
	    "  with --socket, or a socket passed by systemd (socket activation): pre-forking\n"
	    "  FastCGI server; SIGHUP reloads the config, SIGTERM stops\n"
	    "  --describe: print what this binary serves as JSON and exit\n"
	    "  without: FastCGI on fd 0 when it is a listening socket, else plain CGI\n"
	    "  environment: DATABASE_URL, FIELDSYNC_CONF\n", prog);
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
		fprintf(stderr, "fieldsync: %s: cannot describe the declaration\n", svc->path);
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
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *socket_path = NULL, *config = NULL;
	int workers = 2, c;
	struct fs_config cfg;

	while ((c = getopt_long(argc, argv, "s:w:c:h", opts, NULL)) != -1) {
		switch (c) {
		case 's': socket_path = optarg; break;
		case 'c': config = optarg; break;
		case 'd': return describe(svc, kind);
		case 'w':
			workers = atoi(optarg);
			if (workers >= 1 && workers <= FS_MAX_WORKERS)
				break;
			fprintf(stderr, "%s: --workers must be 1..%d\n", argv[0], FS_MAX_WORKERS);
			return 2;
		default:
			usage(argv[0]);
			return c == 'h' ? 0 : 2;
		}
	}
	fs_config_defaults(&cfg);
	if (fs_config_load(&cfg, config) != FS_OK)
		return 1;
	catch_stop_signals();
	if (socket_path || sd_listen_fds(0) > 0)
		return supervise(svc, &cfg, config, socket_path, workers);
	if (!FCGX_IsCGI())
		return request_loop(svc, &cfg, 0);
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
fs_serve_users(int argc, char **argv)
{
	const struct fs_service svc = { .path = "users", .res = NULL, .handle = fs_users_handle,
		.init = fs_users_init };

	return serve(argc, argv, &svc, "users");
}
