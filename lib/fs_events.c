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

void
fs_events_publish(struct fs_events *ev, const char *type, const char *payload)
{
	size_t tl = strlen(type), pl = strlen(payload);
	char *msg;

	if (ev->sock < 0)
		return;
	msg = malloc(tl + 1 + pl);
	if (!msg) {
		fs_log(FS_LOG_ERROR, "events: out of memory, %s not published", type);
		return;
	}
	memcpy(msg, type, tl);
	msg[tl] = ' ';
	memcpy(msg + tl + 1, payload, pl);
	/* PUB never blocks for a slow or absent subscriber; EAGAIN only means "dropped". */
	if (nn_send(ev->sock, msg, tl + 1 + pl, NN_DONTWAIT) >= 0)
		fs_metrics_event();
	else if (nn_errno() != EAGAIN)
		fs_log(FS_LOG_WARN, "events: %s not published: %s", type, nn_strerror(nn_errno()));
	free(msg);
}

void
fs_events_close(struct fs_events *ev)
{
	if (ev->sock >= 0)
		nn_close(ev->sock);
	ev->sock = -1;
}
