/*
 * hold-socket - what a systemd socket unit does, for the tests without systemd: it holds a
 * listening unix socket open while the service behind it is restarted.
 *
 *   hold-socket PATH CMD [ARG]...
 *
 * Listens on PATH (mode 0660) and runs CMD with the socket as descriptor 3 and
 * LISTEN_FDS=1, LISTEN_PID=<CMD's pid>, as systemd passes it (sd_listen_fds). SIGHUP
 * restarts CMD as `systemctl restart` does (SIGTERM, wait for it to exit, start it again);
 * SIGTERM or SIGINT stops it and exits. Connections that arrive between the two stay in
 * the socket's backlog.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static sigset_t saved;

/* Starts ARGV with FD as descriptor 3; its pid, or -1. */
static pid_t
start(int fd, char **argv)
{
	pid_t pid = fork();
	char me[24];

	if (pid != 0)
		return pid;
	sigprocmask(SIG_SETMASK, &saved, NULL);
	if (fd != 3 && (dup2(fd, 3) < 0 || close(fd) < 0))
		_exit(127);
	snprintf(me, sizeof(me), "%d", (int)getpid());
	if (setenv("LISTEN_FDS", "1", 1) < 0 || setenv("LISTEN_PID", me, 1) < 0)
		_exit(127);
	execvp(argv[0], argv);
	perror("hold-socket: exec");
	_exit(127);
}

/* Stops PID (SIGTERM) and waits for it. */
static void
stop(pid_t pid)
{
	if (pid > 0 && kill(pid, SIGTERM) == 0)
		waitpid(pid, NULL, 0);
}

int
main(int argc, char **argv)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	sigset_t set;
	pid_t pid;
	int fd, sig;

	if (argc < 3 || strlen(argv[1]) >= sizeof(addr.sun_path)) {
		fputs("usage: hold-socket PATH CMD [ARG]...\n", stderr);
		return 2;
	}
	memcpy(addr.sun_path, argv[1], strlen(argv[1]) + 1);
	unlink(argv[1]);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(fd, 256) < 0 ||
	    chmod(argv[1], 0660) < 0) {
		perror("hold-socket: listen");
		return 1;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, &saved);
	pid = start(fd, argv + 2);
	while ((sig = sigwaitinfo(&set, NULL)) != SIGTERM && sig != SIGINT) {
		if (sig != SIGHUP)
			continue;
		stop(pid);
		pid = start(fd, argv + 2);
		fprintf(stderr, "hold-socket: restarted %s as %d\n", argv[2], (int)pid);
	}
	stop(pid);
	unlink(argv[1]);
	return 0;
}
