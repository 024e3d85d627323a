/*
 * fs_supervise.h - the pre-forking supervisor of a resource's workers.
 *
 * One listening socket, NWORKERS worker processes accepting on it. A worker that dies is
 * replaced (at most one restart a second per slot). SIGHUP re-reads the configuration:
 * a new set of workers starts with it, then the old ones are told to stop (SIGTERM: each
 * finishes the request it serves), and the socket never closes, so no request is refused
 * or dropped; a configuration with errors is logged and the running one kept. SIGTERM or
 * SIGINT stop everything; SIGUSR1 reopens the log file here and in every worker (logrotate). Workers die with their supervisor (PR_SET_PDEATHSIG), so a
 * killed supervisor leaves no orphan holding the socket. Under systemd the supervisor
 * says READY, RELOADING and STOPPING (sd_notify; nothing without systemd).
 */
#ifndef FS_SUPERVISE_H
#define FS_SUPERVISE_H

#include "fs_config.h"

struct fs_supervisor {
	int listen_fd;
	int nworkers;			/* 1..FS_MAX_WORKERS */
	const char *config_path;	/* what SIGHUP reads again (NULL: FIELDSYNC_CONF, as at start) */
	struct fs_config *cfg;		/* the workers' configuration; replaced by a reload */
	/* A worker's life on LISTEN_FD with CFG: returns its exit status. */
	int (*work)(const struct fs_config *cfg, int listen_fd, void *arg);
	void *arg;
};

/* Runs S until SIGTERM or SIGINT; returns the exit status (0, or 1 when it could not start). */
int fs_supervise(struct fs_supervisor *s);

#endif
