/*
 * fs_log.h - the one log of every fieldsync process: one line per event,
 *
 *   2026-12-01T17:03:04.123Z error fieldsync-clients: database unavailable: ...
 *
 * an ISO-8601 UTC timestamp with milliseconds, a level, the process's name, the message
 * (newlines and tabs in it become spaces, so a line is an event). Lines go to stderr
 * (journald under systemd) or, with [log] file in the config, to that file, which
 * SIGUSR1 reopens after logrotate moved it. Each line is one write(2): processes sharing
 * the file never interleave within a line. Passwords and tokens are never logged.
 */
#ifndef FS_LOG_H
#define FS_LOG_H

#include "fs_error.h"

enum fs_log_level { FS_LOG_ERROR, FS_LOG_WARN, FS_LOG_INFO, FS_LOG__MAX };

/* Names this process's lines ("fieldsync-clients"); until called, "fieldsync". NAME is copied. */
void fs_log_init(const char *name);

/*
 * Sends the lines to PATH (appended; created 0640 less the umask) from now on: the file
 * takes stderr's place, so whatever else writes to stderr lands there too. NULL or "":
 * stderr stays. FS_OK, or ERR_INTERNAL after logging why on stderr, which stays.
 */
enum fs_err fs_log_file(const char *path);

/*
 * Opens the log file again by its name, over the old one: after a rename, the next line
 * goes to a new file. Does nothing when logging to stderr. Async-signal-safe. 0, or -1
 * (errno set) when the file cannot be opened: the lines go on to the old one.
 */
int fs_log_reopen(void);

/*
 * Makes SIGUSR1 call fs_log_reopen and then HOOK (NULL for none; it runs in the signal
 * handler, so it may only do async-signal-safe things, like passing the signal on to
 * children). SA_RESTART: a blocking accept() or wait() goes on. 0, or -1.
 */
int fs_log_catch_reopen(void (*hook)(void));

/* Logs one line at LEVEL; FMT is printf-like, without the newline. */
void fs_log(enum fs_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* fs_log with a va_list. */
void fs_logv(enum fs_log_level level, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

/* The name of LEVEL as it appears in a line ("error", "warn", "info"). */
const char *fs_log_level_name(enum fs_log_level level);

#endif
