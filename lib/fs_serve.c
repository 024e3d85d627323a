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

#include "fs_config.h"
#include "fs_engine.h"
#include "fs_http.h"
#include "fs_serve.h"

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

/* Serves FastCGI requests on LISTEN_FD until stopped. */
static int
request_loop(const struct fs_resource *res, const struct fs_config *cfg, int listen_fd)
{
	FCGX_Request fr;
	struct fs_engine e;
	struct fs_request req;

	if (FCGX_Init() != 0 || FCGX_InitRequest(&fr, listen_fd, FCGI_FAIL_ACCEPT_ON_INTR) != 0
	    || fs_engine_init(&e, res, cfg) < 0) {
		fprintf(stderr, "fieldsync: %s: cannot start a worker\n", res->path);
		return 1;
	}
	while (!stopping && FCGX_Accept_r(&fr) == 0) {
		fs_request_init(&req, &fr, cfg);
		fs_engine_handle(&e, &req);
		fs_request_release(&req);
		FCGX_Finish_r(&fr);
	}
	fs_engine_release(&e);
	FCGX_Free(&fr, 1);
	return 0;
}

/* Plain CGI: the request is in the environment and on stdin. */
static int
serve_cgi(const struct fs_resource *res, const struct fs_config *cfg)
{
	struct fs_engine e;
	struct fs_request req;

	if (fs_engine_init(&e, res, cfg) < 0)
		return 1;
	fs_request_init(&req, NULL, cfg);
	fs_engine_handle(&e, &req);
	fs_request_release(&req);
	fs_engine_release(&e);
	return fflush(stdout) == 0 ? 0 : 1;
}

/* Starts one worker process on LISTEN_FD; returns its pid or -1. */
static pid_t
spawn_worker(const struct fs_resource *res, const struct fs_config *cfg, int listen_fd)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(request_loop(res, cfg, listen_fd));
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
restart_worker(const struct fs_resource *res, const struct fs_config *cfg, int fd, pid_t *pids,
    time_t *born, int i, int st)
{
	fprintf(stderr, "fieldsync: %s: worker %d %s %d; restarting\n", res->path, (int)pids[i],
	    WIFSIGNALED(st) ? "killed by signal" : "exited with", WIFSIGNALED(st)
	    ? WTERMSIG(st) : WEXITSTATUS(st));
	/* A worker dying at once would make a fork storm; one restart a second at most. */
	if (time(NULL) - born[i] < 1)
		sleep(1);
	born[i] = time(NULL);
	pids[i] = spawn_worker(res, cfg, fd);
}

/* Standalone: listen on PATH and keep NWORKERS workers running until SIGTERM. */
static int
supervise(const struct fs_resource *res, const struct fs_config *cfg, const char *path,
    int nworkers)
{
	pid_t pids[MAX_WORKERS] = { 0 };
	time_t born[MAX_WORKERS] = { 0 };
	int fd, st, unix_socket = strchr(path, ':') == NULL;

	if (unix_socket)
		unlink(path);	/* a socket left by a crash would make bind fail */
	if (FCGX_Init() != 0 || (fd = FCGX_OpenSocket(path, BACKLOG)) < 0) {
		fprintf(stderr, "fieldsync: %s: cannot listen on %s\n", res->path, path);
		return 1;
	}
	if (unix_socket)
		chmod(path, 0660);
	for (int i = 0; i < nworkers; i++) {
		born[i] = time(NULL);
		pids[i] = spawn_worker(res, cfg, fd);
	}
	fprintf(stderr, "fieldsync: %s: %d workers on %s\n", res->path, nworkers, path);
	while (!stopping) {
		pid_t pid = wait(&st);
		if (pid < 0 && errno != EINTR)
			break;
		for (int i = 0; pid > 0 && !stopping && i < nworkers; i++)
			if (pids[i] == pid)
				restart_worker(res, cfg, fd, pids, born, i, st);
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
	    "usage: %s [--socket PATH|:PORT] [--workers N] [--config FILE]\n"
	    "  with --socket: standalone pre-forking FastCGI server\n"
	    "  without: FastCGI on fd 0 when it is a listening socket, else plain CGI\n"
	    "  environment: DATABASE_URL, FIELDSYNC_CONF\n", prog);
}

int
fs_serve(int argc, char **argv, const struct fs_resource *res)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "workers", required_argument, NULL, 'w' },
		{ "config", required_argument, NULL, 'c' },
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
	if (fs_config_load(&cfg, config) < 0)
		return 1;
	catch_stop_signals();
	if (socket_path)
		return supervise(res, &cfg, socket_path, workers);
	if (!FCGX_IsCGI())
		return request_loop(res, &cfg, 0);
	return serve_cgi(res, &cfg);
}
