/* fs_events.c - the nanomsg PUB side of change events. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nanomsg/nn.h>
#include <nanomsg/pubsub.h>

#include "fs_events.h"
#include "fs_log.h"
#include "fs_metrics.h"

enum fs_err
fs_events_open(struct fs_events *ev, const char *addresses)
{
	char buf[1024], *save = NULL, *addr;
	int sndbuf = 4 * 1024 * 1024;

	ev->sock = -1;
	if (!addresses || !*addresses)
		return FS_OK;
	ev->sock = nn_socket(AF_SP, NN_PUB);
	if (ev->sock < 0) {
		fs_log(FS_LOG_ERROR, "events: nn_socket: %s", nn_strerror(nn_errno()));
		return ERR_INTERNAL;
	}
	/* A bulk write publishes hundreds of events at once: room for them, not drops. */
	if (nn_setsockopt(ev->sock, NN_SOL_SOCKET, NN_SNDBUF, &sndbuf, sizeof(sndbuf)) < 0)
		fs_log(FS_LOG_WARN, "events: NN_SNDBUF: %s", nn_strerror(nn_errno()));
	snprintf(buf, sizeof(buf), "%s", addresses);
	/* nn_connect only records the address: the relay may start later, nanomsg reconnects. */
	for (addr = strtok_r(buf, " \t,", &save); addr; addr = strtok_r(NULL, " \t,", &save)) {
		if (nn_connect(ev->sock, addr) < 0) {
			fs_log(FS_LOG_ERROR, "events: cannot use %s: %s", addr, nn_strerror(nn_errno()));
			fs_events_close(ev);
			return ERR_INTERNAL;
		}
	}
	return FS_OK;
}

int
fs_events_on(const struct fs_events *ev)
{
	return ev->sock >= 0;
}

/* Sends the LEN bytes of MSG (of an event of TYPE) without waiting. */
static void
send_message(struct fs_events *ev, const char *type, const char *msg, size_t len)
{
	/* PUB never blocks for a slow or absent subscriber; EAGAIN only means "dropped". */
	if (nn_send(ev->sock, msg, len, NN_DONTWAIT) >= 0)
		fs_metrics_event();
	else if (nn_errno() != EAGAIN)
		fs_log(FS_LOG_WARN, "events: %s not published: %s", type, nn_strerror(nn_errno()));
}

/* Appends the LEN bytes of S and, when NUL, a NUL to the message at *P. */
static char *
put(char *p, const char *s, size_t len, int nul)
{
	memcpy(p, s, len);
	p += len;
	if (nul)
		*p++ = '\0';
	return p;
}

void
fs_events_publish_entries(struct fs_events *ev, const PGresult *entries)
{
	if (ev->sock < 0 || !entries)
		return;
	for (int i = 0; i < PQntuples(entries); i++) {
		const char *type = PQgetvalue(entries, i, 0), *seq = PQgetvalue(entries, i, 1);
		size_t tl = strlen(type), sl = strlen(seq), bl = 0, ol = 0, el = 0, len = tl + 1 + sl;
		int whole = PQnfields(entries) >= 5 && !PQgetisnull(entries, i, 3);
		char *msg, *p;

		if (whole) {
			bl = (size_t)PQgetlength(entries, i, 2);
			el = (size_t)PQgetlength(entries, i, 3);
			ol = PQgetisnull(entries, i, 4) ? 0 : (size_t)PQgetlength(entries, i, 4);
			whole = bl + ol + el <= FS_EVENTS_MAX_ENTRY;
		}
		if (whole)
			len += 3 + bl + ol + el;
		if (!(msg = malloc(len))) {
			fs_log(FS_LOG_ERROR, "events: out of memory, %s not published", type);
			continue;
		}
		p = put(msg, type, tl, 0);
		*p++ = ' ';
		p = put(p, seq, sl, whole);
		if (whole) {
			p = put(p, PQgetvalue(entries, i, 2), bl, 1);
			p = put(p, PQgetvalue(entries, i, 4), ol, 1);
			p = put(p, PQgetvalue(entries, i, 3), el, 0);
		}
		send_message(ev, type, msg, (size_t)(p - msg));
		free(msg);
	}
}

void
fs_events_close(struct fs_events *ev)
{
	if (ev->sock >= 0)
		nn_close(ev->sock);
	ev->sock = -1;
}
