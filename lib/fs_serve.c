/* fs_serve.c - argument parsing, the request loop, and the pre-forking supervisor. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "fs_changes.h"
#include "fs_config.h"
#include "fs_describe.h"
#include "fs_dispatch.h"
#include "fs_http.h"
#include "fs_serve.h"
#include "fs_session.h"
#include "fs_users.h"
#include "fs_worker.h"

#define MAX_WORKERS 64
#define BACKLOG 256

/* Set by SIGTERM/SIGINT; the only state a signal handler may touch. */
static volatile sig_atomic_t stopping;

static void
on_stop(int sig)
{
	(void)sig;
	stopping = 1;
}

/* Installs the stop handler without SA_RESTART, so accept() and wait() return. */
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

/*
 * The config a process started without one (no --config, no FIELDSYNC_CONF in its
 * environment) takes from the FIELDSYNC_CONF parameter of its first request: under
 * mod_fcgid, SetEnv in .htaccess reaches the requests' parameters but never the process's
 * environment. The parameter is set by the server's or the .htaccess's configuration,
 * never by the client (a request header Fieldsync-Conf arrives as HTTP_FIELDSYNC_CONF),
 * and only a path is taken this way, never the database URL: the secrets stay in a file
 * outside the document root. CFG is loaded from it (over the defaults) into *CFG_PATH
 * (SIZE bytes). FS_OK, or ERR_INTERNAL when the file cannot be loaded.
 */
static enum fs_err
config_from_request(FCGX_Request *fr, struct fs_config *cfg, char *cfg_path, size_t size)
{
	const char *p = FCGX_GetParam("FIELDSYNC_CONF", fr->envp);

	if (!p || !*p)
		return FS_OK;
	if (snprintf(cfg_path, size, "%s", p) >= (int)size) {
		fprintf(stderr, "fieldsync: config: the path in FIELDSYNC_CONF is too long\n");
		return ERR_INTERNAL;
	}
	fs_config_defaults(cfg);
	return fs_config_load(cfg, cfg_path);
}

/* Whether request FR names the config CFG_PATH that this process took from its first request. */
static int
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
		fprintf(stderr, "fieldsync: %s: cannot start a worker\n", svc->path);
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

/*
 * Serves FastCGI requests on LISTEN_FD until stopped, with CFG; a process that has no
 * config of its own (CFG_FROM_REQUEST) takes it from its first request (config_from_request)
 * and refuses a later request that names another.
 */
static int
request_loop(const struct fs_service *svc, const struct fs_config *cfg_in, int listen_fd,
    int cfg_from_request)
{
	FCGX_Request fr;
	struct fs_worker w;
	struct fs_request req;
	struct fs_config cfg = *cfg_in;
	char cfg_path[1024] = "";
	int started = 0, rc = 0;

	if (FCGX_Init() != 0 || FCGX_InitRequest(&fr, listen_fd, FCGI_FAIL_ACCEPT_ON_INTR) != 0) {
		fprintf(stderr, "fieldsync: %s: cannot start a worker\n", svc->path);
		return 1;
	}
	if (!cfg_from_request) {
		if (start_worker(&w, svc, &cfg) != FS_OK)
			return 1;
		started = 1;
	}
	while (!stopping && FCGX_Accept_r(&fr) == 0) {
		if (!started) {
			if (config_from_request(&fr, &cfg, cfg_path, sizeof(cfg_path)) != FS_OK
			    || start_worker(&w, svc, &cfg) != FS_OK) {
				/* Exit after the answer: the server starts a new process for the next one. */
				refuse(&fr, &cfg, "the server's configuration cannot be loaded");
				FCGX_Finish_r(&fr);
				rc = 1;
				break;
			}
			started = 1;
		}
		if (cfg_from_request && !same_config(&fr, cfg_path)) {
			fprintf(stderr, "fieldsync: %s: a request names another FIELDSYNC_CONF than %s,"
			    " which this process serves; refused\n", svc->path, cfg_path);
			refuse(&fr, &cfg, "this process serves another configuration");
			FCGX_Finish_r(&fr);
			continue;
		}
		fs_request_init(&req, &fr, &cfg);
		serve_one(svc, &w, &req);
		FCGX_Finish_r(&fr);
	}
	if (started)
		fs_worker_release(&w);
	FCGX_Free(&fr, 1);
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

/* Starts one worker process on LISTEN_FD; returns its pid or -1. */
static pid_t
spawn_worker(const struct fs_service *svc, const struct fs_config *cfg, int listen_fd)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(request_loop(svc, cfg, listen_fd, 0));
	if (pid < 0)
		perror("fieldsync: fork");
	return pid;
}

/* Stops every worker in PIDS and waits for them. */
static void
stop_workers(pid_t *pids, int n)
{
	for (int i = 0; i < n; i++)
		if (pids[i] > 0)
			kill(pids[i], SIGTERM);
	for (int i = 0; i < n; i++)
		if (pids[i] > 0)
			waitpid(pids[i], NULL, 0);
}

/* Replaces the worker that exited with status ST at slot I, slowly if it keeps dying. */
static void
restart_worker(const struct fs_service *svc, const struct fs_config *cfg, int fd, pid_t *pids,
    time_t *born, int i, int st)
{
	fprintf(stderr, "fieldsync: %s: worker %d %s %d; restarting\n", svc->path, (int)pids[i],
	    WIFSIGNALED(st) ? "killed by signal" : "exited with", WIFSIGNALED(st)
	    ? WTERMSIG(st) : WEXITSTATUS(st));
	/* A worker dying at once would make a fork storm; one restart a second at most. */
	if (time(NULL) - born[i] < 1)
		sleep(1);
	born[i] = time(NULL);
	pids[i] = spawn_worker(svc, cfg, fd);
}

/* Standalone: listen on PATH and keep NWORKERS workers running until SIGTERM. */
static int
supervise(const struct fs_service *svc, const struct fs_config *cfg, const char *path,
    int nworkers)
{
	pid_t pids[MAX_WORKERS] = { 0 };
	time_t born[MAX_WORKERS] = { 0 };
	int fd, st, unix_socket = strchr(path, ':') == NULL;

	if (unix_socket)
		unlink(path);	/* a socket left by a crash would make bind fail */
	if (FCGX_Init() != 0 || (fd = FCGX_OpenSocket(path, BACKLOG)) < 0) {
		fprintf(stderr, "fieldsync: %s: cannot listen on %s\n", svc->path, path);
		return 1;
	}
	if (unix_socket)
		chmod(path, 0660);
	for (int i = 0; i < nworkers; i++) {
		born[i] = time(NULL);
		pids[i] = spawn_worker(svc, cfg, fd);
	}
	fprintf(stderr, "fieldsync: %s: %d workers on %s\n", svc->path, nworkers, path);
	while (!stopping) {
		pid_t pid = wait(&st);
		if (pid < 0 && errno != EINTR)
			break;
		for (int i = 0; pid > 0 && !stopping && i < nworkers; i++)
			if (pids[i] == pid)
				restart_worker(svc, cfg, fd, pids, born, i, st);
	}
	stop_workers(pids, nworkers);
	if (unix_socket)
		unlink(path);
	return 0;
}

/* Prints how to run the binary. */
static void
usage(const char *prog)
{
	fprintf(stderr,
	    "usage: %s [--socket PATH|:PORT] [--workers N] [--config FILE] | --describe\n"
	    "  with --socket: standalone pre-forking FastCGI server\n"
	    "  --describe: print what this binary serves as JSON and exit\n"
	    "  without: FastCGI on fd 0 when it is a listening socket, else plain CGI\n"
	    "  environment: DATABASE_URL, FIELDSYNC_CONF (without either --config or\n"
	    "  FIELDSYNC_CONF, FastCGI takes its first request's FIELDSYNC_CONF parameter)\n", prog);
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
			if (workers >= 1 && workers <= MAX_WORKERS)
				break;
			fprintf(stderr, "%s: --workers must be 1..%d\n", argv[0], MAX_WORKERS);
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
	if (socket_path)
		return supervise(svc, &cfg, socket_path, workers);
	if (!FCGX_IsCGI()) {
		const char *env = getenv("FIELDSYNC_CONF");
		return request_loop(svc, &cfg, 0, !config && !(env && *env));
	}
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
fs_serve_users(int argc, char **argv)
{
	const struct fs_service svc = { .path = "users", .res = NULL, .handle = fs_users_handle,
		.init = fs_users_init };

	return serve(argc, argv, &svc, "users");
}
