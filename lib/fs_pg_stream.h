/*
 * fs_pg_stream.h - prepared statements sent on while earlier ones' results are still on
 * their way (libpq's pipeline mode), their results read as they come, in the order sent.
 *
 * A worker keeps reading requests while PostgreSQL runs the GETs by id it already sent,
 * and adds the new ones behind them: the worker's work and PostgreSQL's overlap, and the
 * statements that meet in the pipeline share its round trips.
 *
 * The sender owns what is in flight. Before any other use of the connection (fs_pg_exec,
 * fs_pg_command, fs_pg_each_row, fs_pg_send) fs_pg calls the sender's finish hook, which
 * must take every result left (fs_pg_stream_take with WAIT), so no statement runs inside
 * the pipeline of another.
 */
#ifndef FS_PG_STREAM_H
#define FS_PG_STREAM_H

#include <stdbool.h>

#include "fs_pg.h"

/*
 * Sends ST with PARAMS behind the statements in flight; nothing reaches the server before
 * fs_pg_stream_sync. False when nothing was sent (not connected, a transaction open, or the
 * send failed): the caller runs the statement on its own.
 */
bool fs_pg_stream_send(struct fs_pg *pg, const struct fs_pg_stmt *st, const char *const *params);

/*
 * Ends the group sent since the last sync (one implicit transaction: a failure stops the
 * rest of its group, not the next groups) and flushes it to the server. False when the
 * connection broke: every statement in flight then comes back failed.
 */
bool fs_pg_stream_sync(struct fs_pg *pg);

/* How many statements were sent whose results are not taken yet. */
int fs_pg_stream_unread(const struct fs_pg *pg);

/* The socket to wait on for the next result, or -1 when nothing is in flight. */
int fs_pg_stream_socket(const struct fs_pg *pg);

enum fs_pg_stream_result {
	FS_PG_STREAM_PENDING,	/* not here yet (only without WAIT) */
	FS_PG_STREAM_TAKEN,	/* the next statement's result, or its failure */
};

/*
 * Takes the result of the oldest statement in flight: a success in *OUT (the caller
 * PQclear()s it), or *OUT NULL when it failed or the connection broke (the caller runs it
 * again on its own: fs_pg_exec maps its failure or reconnects). WAIT: blocks until it
 * came, else FS_PG_STREAM_PENDING while it has not. Call only while fs_pg_stream_unread is
 * above 0. Once the last is taken the connection leaves pipeline mode.
 */
enum fs_pg_stream_result fs_pg_stream_take(struct fs_pg *pg, bool wait, PGresult **out);

/*
 * For fs_pg.c, before any other use of PG: runs the finish hook while statements are in
 * flight (a result its sender left untaken is dropped), reads the syncs' markers and leaves
 * pipeline mode.
 */
void fs_pg_stream_finish(struct fs_pg *pg);

#endif
