/* fs_log.c - timestamped, levelled log lines on stderr or in a reopenable file. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fs_log.h"

#define LINE_MAX_BYTES 2048

/*
 * The process's log: its name, and the file's path ("" while on stderr). Set at start,
 * before the signal handler that reads the path is installed; never changed after.
 */
static char log_name[64] = "fieldsync";
static char log_path[1024];
static void (*reopen_hook)(void);

static const char *const level_names[FS_LOG__MAX] = {
	[FS_LOG_ERROR] = "error", [FS_LOG_WARN] = "warn", [FS_LOG_INFO] = "info",
};

const char *
fs_log_level_name(enum fs_log_level level)
{
	return (unsigned)level < FS_LOG__MAX ? level_names[level] : "info";
}

void
fs_log_init(const char *name)
{
	snprintf(log_name, sizeof(log_name), "%s", name && *name ? name : "fieldsync");
}

/* Opens PATH for appending and puts it in stderr's place. Async-signal-safe. 0, or -1. */
static int
open_over_stderr(const char *path)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);

	if (fd < 0)
		return -1;
	if (fd != STDERR_FILENO) {
		/* dup2 clears close-on-exec on the copy: stderr stays stderr across exec. */
		if (dup2(fd, STDERR_FILENO) < 0) {
			int e = errno;

			close(fd);
			errno = e;
			return -1;
		}
		close(fd);
	}
	return 0;
}

enum fs_err
fs_log_file(const char *path)
{
	if (!path || !*path)
		return FS_OK;
	if (strlen(path) >= sizeof(log_path)) {
		fs_log(FS_LOG_ERROR, "log file name too long, logging to stderr: %.64s...", path);
		return ERR_INTERNAL;
	}
	if (open_over_stderr(path) < 0) {
		fs_log(FS_LOG_ERROR, "cannot open the log file %s, logging to stderr: %s", path,
		    strerror(errno));
		return ERR_INTERNAL;
	}
	memcpy(log_path, path, strlen(path) + 1);
	return FS_OK;
}

int
fs_log_reopen(void)
{
	int saved = errno, rc;

	if (!log_path[0])
		return 0;
	rc = open_over_stderr(log_path);
	if (rc == 0)
		errno = saved;
	return rc;
}

/* SIGUSR1: a new file under the old name, then whatever the process adds (its children). */
static void
on_reopen(int sig)
{
	int saved = errno;

	(void)sig;
	fs_log_reopen();
	if (reopen_hook)
		reopen_hook();
	errno = saved;
}

int
fs_log_catch_reopen(void (*hook)(void))
{
	struct sigaction sa;

	reopen_hook = hook;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_reopen;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	return sigaction(SIGUSR1, &sa, NULL);
}

/* Writes "<time> " into BUF (at least 32 bytes); returns the bytes written. */
static size_t
stamp(char *buf, size_t size)
{
	struct timespec now;
	struct tm tm;
	size_t n;

	if (clock_gettime(CLOCK_REALTIME, &now) != 0 || !gmtime_r(&now.tv_sec, &tm))
		return (size_t)snprintf(buf, size, "-");
	n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
	return n + (size_t)snprintf(buf + n, size - n, ".%03ldZ", now.tv_nsec / 1000000);
}

void
fs_logv(enum fs_log_level level, const char *fmt, va_list ap)
{
	char line[LINE_MAX_BYTES];
	size_t head, n;
	int len, saved = errno;

	head = stamp(line, 40);
	head += (size_t)snprintf(line + head, sizeof(line) - head, " %s %s: ",
	    fs_log_level_name(level), log_name);
	if (head >= sizeof(line) - 2)
		head = sizeof(line) - 2;
	len = vsnprintf(line + head, sizeof(line) - head - 1, fmt, ap);
	n = len < 0 ? head : head + (size_t)len;
	if (n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	/* One line per event, whatever the message quotes (libpq's messages span lines). */
	for (size_t i = head; i < n; i++)
		if (line[i] == '\n' || line[i] == '\r' || line[i] == '\t')
			line[i] = ' ';
	while (n > head && line[n - 1] == ' ')
		n--;
	line[n++] = '\n';
	/* One write per line: lines of processes sharing the file never interleave. */
	for (size_t off = 0; off < n;) {
		ssize_t w = write(STDERR_FILENO, line + off, n - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	errno = saved;	/* a caller may log, then still report errno */
}

void
fs_log(enum fs_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fs_logv(level, fmt, ap);
	va_end(ap);
}
