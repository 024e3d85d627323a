/*
 * log.h - the relay's log: one line per notable thing, on stderr, with a UTC timestamp.
 */
#ifndef RELAY_LOG_H
#define RELAY_LOG_H

/* Writes "<time> fieldsync-relay: <message>\n" to stderr; FMT is printf-like, without the newline. */
void relay_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
