/*
 * fs_events.h - change events out on nanomsg PUB, after COMMIT.
 *
 * One message per changed row: "<type> <payload>", the type ("clients:create") first so
 * that subscribers can filter by prefix. Publishing never blocks and never fails a
 * request: a message lost here is found again in change_log by the relay.
 */
#ifndef FS_EVENTS_H
#define FS_EVENTS_H

#include "fs_error.h"

struct fs_events {
	int sock;	/* nanomsg PUB socket, or -1 when nothing is published */
};

/*
 * Opens a PUB socket connected to every space-separated nanomsg address in ADDRESSES
 * (none: publishing is off). Call it in the process that publishes: nanomsg sockets do
 * not survive fork(). FS_OK, or ERR_INTERNAL with a message on stderr (publishing off).
 */
enum fs_err fs_events_open(struct fs_events *ev, const char *addresses);

/* Whether events are published at all. */
int fs_events_on(const struct fs_events *ev);

/* Sends "TYPE PAYLOAD" without waiting; a failure is logged and otherwise ignored. */
void fs_events_publish(struct fs_events *ev, const char *type, const char *payload);

/* Closes the socket. */
void fs_events_close(struct fs_events *ev);

#endif
