/* fs_supervise.c - pre-forked workers on one socket: restarts, reloads, clean stops. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "fs_log.h"
#include "fs_supervise.h"

#define RETIRING (2 * FS_MAX_WORKERS)	/* workers finishing their last request after a reload */

struct pool {
	pid_t pid[FS_MAX_WORKERS];
	time_t born[FS_MAX_WORKERS];
	pid_t retiring[RETIRING];
	sigset_t saved;			/* the signal mask before the supervisor blocked its own */
};

/* Starts one worker; its pid, or -1 (logged). */
static pid_t
spawn(const struct fs_supervisor *s, struct pool *p)
{
	pid_t parent = getpid(), pid = fork();

	if (pid == 0) {
		sigprocmask(SIG_SETMASK, &p->saved, NULL);
		signal(SIGHUP, SIG_IGN);	/* the supervisor's: a worker is replaced, not reloaded */
		/* Dies with its supervisor (also one killed with SIGKILL), never left holding the socket. */
		if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() != parent)
			_exit(1);
		_exit(s->work(s->cfg, s->listen_fd, s->arg));
	}
	if (pid < 0)
		fs_log(FS_LOG_ERROR, "cannot start a worker: %s", strerror(errno));
	return pid;
}

/* Starts the worker of slot I, not faster than once a second (a worker dying at once would fork-storm). */
static void
start_slot(const struct fs_supervisor *s, struct pool *p, int i)
{
	if (p->born[i] && time(NULL) - p->born[i] < 1)
		sleep(1);
	p->born[i] = time(NULL);
	p->pid[i] = spawn(s, p);
}

/* Reaps every worker that exited; one of the current set is replaced. */
static void
reap(const struct fs_supervisor *s, struct pool *p)
{
	pid_t pid;
	int st;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		for (int i = 0; i < RETIRING; i++)
			if (p->retiring[i] == pid)
				p->retiring[i] = 0;
		for (int i = 0; i < s->nworkers; i++) {
			if (p->pid[i] != pid)
				continue;
			fs_log(FS_LOG_WARN, "worker %d %s %d; restarting", (int)pid,
			    WIFSIGNALED(st) ? "killed by signal" : "exited with",
			    WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
			start_slot(s, p, i);
		}
	}
}

/*
 * SIGHUP: the configuration again; new workers start with it before the old ones are told
 * to stop, so the socket always has a worker accepting.
 */
static void
reload(const struct fs_supervisor *s, struct pool *p)
{
	struct fs_config fresh;
	int k = 0;

	sd_notify(0, "RELOADING=1");
	fs_config_defaults(&fresh);
	if (fs_config_load(&fresh, s->config_path) != FS_OK) {
		fs_log(FS_LOG_ERROR, "the configuration has errors: the running one is kept");
		sd_notify(0, "READY=1");
		return;
	}
	if (strcmp(fresh.log_file, s->cfg->log_file) != 0)
		fs_log_file(fresh.log_file);	/* the new workers inherit it */
	*s->cfg = fresh;
	for (int i = 0; i < s->nworkers; i++) {
		pid_t old = p->pid[i];

		p->born[i] = 0;
		start_slot(s, p, i);
		if (old <= 0)
			continue;
		kill(old, SIGTERM);	/* it finishes the request it serves, then exits */
		while (k < RETIRING && p->retiring[k])
			k++;
		if (k < RETIRING)
			p->retiring[k] = old;
	}
	fs_log(FS_LOG_INFO, "configuration reloaded: %d new workers", s->nworkers);
	sd_notify(0, "READY=1");
}

/* SIGUSR1 (logrotate): the log file opened again by its name, here and in every worker. */
static void
reopen_logs(const struct fs_supervisor *s, const struct pool *p)
{
	if (fs_log_reopen() < 0)
		fs_log(FS_LOG_ERROR, "cannot reopen the log file: %s", strerror(errno));
	for (int i = 0; i < s->nworkers; i++)
		if (p->pid[i] > 0)
			kill(p->pid[i], SIGUSR1);
	for (int i = 0; i < RETIRING; i++)
		if (p->retiring[i] > 0)
			kill(p->retiring[i], SIGUSR1);
}

/* Stops every worker, current and retiring, and waits for them. */
static void
stop_all(const struct fs_supervisor *s, struct pool *p)
{
	for (int i = 0; i < s->nworkers; i++)
		if (p->pid[i] > 0)
			kill(p->pid[i], SIGTERM);
	for (int i = 0; i < RETIRING; i++)
		if (p->retiring[i] > 0)
			kill(p->retiring[i], SIGTERM);
	while (wait(NULL) > 0 || errno == EINTR)
		;
}

int
fs_supervise(struct fs_supervisor *s)
{
	struct pool p;
	sigset_t set;
	int sig;

	memset(&p, 0, sizeof(p));
	/* Signals are taken synchronously (sigwaitinfo): none is lost between two checks. */
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGUSR1);
	if (sigprocmask(SIG_BLOCK, &set, &p.saved) < 0) {
		fs_log(FS_LOG_ERROR, "cannot block signals: %s", strerror(errno));
		return 1;
	}
	for (int i = 0; i < s->nworkers; i++)
		start_slot(s, &p, i);
	fs_log(FS_LOG_INFO, "%d workers", s->nworkers);
	sd_notify(0, "READY=1");
	while ((sig = sigwaitinfo(&set, NULL)) != SIGTERM && sig != SIGINT) {
		if (sig == SIGHUP)
			reload(s, &p);
		else if (sig == SIGUSR1)
			reopen_logs(s, &p);
		else if (sig < 0 && errno != EINTR)
			break;
		reap(s, &p);
	}
	sd_notify(0, "STOPPING=1");
	stop_all(s, &p);
	sigprocmask(SIG_SETMASK, &p.saved, NULL);
	return 0;
}
