/*
 * fs_events.h - change events out on nanomsg PUB, after COMMIT.
 *
 * One message per change_log entry, the type ("clients:create") first so that subscribers
 * can filter by prefix:
 *
 *   <type> <seq>                                          a doorbell: seq is committed
 *   <type> <seq> NUL <branch> NUL <owner> NUL <event>     the committed entry itself
 *
 * the second with the entry's branch, owner ("" for none) and event payload as the change
 * log's fs_change_event() gives it, for the relay to deliver without reading the log. Only
 * small transactions' entries under FS_EVENTS_MAX_ENTRY bytes are sent whole (a bulk
 * write stays doorbells). Publishing never blocks and never fails a request: a message
 * lost here is found again in change_log by the relay.
 */
#ifndef FS_EVENTS_H
#define FS_EVENTS_H

#include <libpq-fe.h>

#include "fs_error.h"

/* Entries whose branch, owner and event pass this many bytes go as doorbells. */
#define FS_EVENTS_MAX_ENTRY (16 * 1024)

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

/*
 * Sends one message per row of ENTRIES (FS_CHANGELOG_Q_MINE's rows: type, seq, branch, the
 * event or NULL, owner or NULL), in their order, without waiting: the entry whole when its
 * event is there and small enough, else a doorbell. A failure is logged and otherwise ignored.
 */
void fs_events_publish_entries(struct fs_events *ev, const PGresult *entries);

/* Closes the socket. */
void fs_events_close(struct fs_events *ev);

#endif
