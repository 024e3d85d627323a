/* fs_pg_stream.c - statements in flight on one connection, taken in order as they come. */
#include "fs_pg_stream.h"

/* Whether PG's connection is there and has not broken. */
static bool
alive(const struct fs_pg *pg)
{
	return pg->conn && PQstatus(pg->conn) == CONNECTION_OK;
}

/*
 * Whether the next PQgetResult returns at once: always with WAIT (it blocks), else once
 * what arrived was read and completes a result. False also for a connection that broke.
 * The socket is read only when what libpq holds does not complete a result: a read that
 * finds nothing (most do, once a group's answers came in one) costs a system call.
 */
static bool
result_ready(struct fs_pg *pg, bool wait)
{
	if (!alive(pg))
		return false;
	if (wait || !PQisBusy(pg->conn))
		return true;
	if (!PQconsumeInput(pg->conn)) {
		fs_pg_close(pg);
		return false;
	}
	return !PQisBusy(pg->conn);
}

/*
 * With nothing in flight: reads the syncs' markers that are there (all of them with WAIT)
 * and leaves pipeline mode once none is left. False when the connection broke.
 */
static bool
settle(struct fs_pg *pg, bool wait)
{
	while (pg->stream_syncs > 0 && result_ready(pg, wait)) {
		PGresult *r = PQgetResult(pg->conn);
		bool sync = r && PQresultStatus(r) == PGRES_PIPELINE_SYNC;

		PQclear(r);
		if (!sync) {	/* nothing but markers is due: the stream is out of step */
			fs_pg_close(pg);
			return false;
		}
		pg->stream_syncs--;
	}
	if (!alive(pg)) {
		fs_pg_close(pg);
		return false;
	}
	if (pg->stream_syncs == 0 && PQpipelineStatus(pg->conn) != PQ_PIPELINE_OFF
	    && !PQexitPipelineMode(pg->conn)) {
		fs_pg_close(pg);
		return false;
	}
	return true;
}

bool
fs_pg_stream_send(struct fs_pg *pg, const struct fs_pg_stmt *st, const char *const *params)
{
	if (!alive(pg))
		return false;
	if (PQpipelineStatus(pg->conn) == PQ_PIPELINE_OFF
	    && (PQtransactionStatus(pg->conn) != PQTRANS_IDLE || !PQenterPipelineMode(pg->conn)))
		return false;
	if (!PQsendQueryPrepared(pg->conn, st->name, st->nparams, params, NULL, NULL, 0)) {
		/* Nothing in flight: leave pipeline mode as it was, or close what cannot. */
		if (pg->stream_unread == 0 && pg->stream_syncs == 0 && !PQexitPipelineMode(pg->conn))
			fs_pg_close(pg);
		return false;
	}
	pg->stream_unread++;
	pg->stream_open = true;
	return true;
}

bool
fs_pg_stream_sync(struct fs_pg *pg)
{
	if (!pg->stream_open)
		return true;
	pg->stream_open = false;
	if (alive(pg) && PQpipelineSync(pg->conn)) {
		pg->stream_syncs++;
		return true;
	}
	fs_pg_close(pg);
	return false;
}

int
fs_pg_stream_unread(const struct fs_pg *pg)
{
	return pg->stream_unread;
}

int
fs_pg_stream_socket(const struct fs_pg *pg)
{
	return pg->stream_unread > 0 && alive(pg) ? PQsocket(pg->conn) : -1;
}

/* The oldest statement is done with: R its result (NULL: failed). */
static enum fs_pg_stream_result
taken(struct fs_pg *pg, PGresult *r, PGresult **out)
{
	*out = r;
	pg->stream_got = NULL;
	if (--pg->stream_unread == 0)
		settle(pg, false);
	return FS_PG_STREAM_TAKEN;
}

/* Whether a statement whose first result is FIRST succeeded; EXTRA: another came after it. */
static bool
succeeded(const PGresult *first, bool extra)
{
	return first && !extra && (PQresultStatus(first) == PGRES_TUPLES_OK
	    || PQresultStatus(first) == PGRES_SINGLE_TUPLE);
}

enum fs_pg_stream_result
fs_pg_stream_take(struct fs_pg *pg, bool wait, PGresult **out)
{
	*out = NULL;
	if (pg->stream_open)
		fs_pg_stream_sync(pg);	/* a result is only ever waited for once it was sent */
	for (;;) {
		PGresult *r;

		if (!result_ready(pg, wait)) {
			if (alive(pg))
				return FS_PG_STREAM_PENDING;
			fs_pg_close(pg);
			return taken(pg, NULL, out);
		}
		r = PQgetResult(pg->conn);
		if (!r) {	/* the end of the oldest's results */
			PGresult *got = pg->stream_got;

			if (!got) {	/* an end with no result: out of step */
				fs_pg_close(pg);
				return taken(pg, NULL, out);
			}
			if (!succeeded(got, pg->stream_extra)) {
				PQclear(got);
				got = NULL;
			}
			pg->stream_extra = false;
			return taken(pg, got, out);
		}
		if (!pg->stream_got) {
			if (PQresultStatus(r) == PGRES_PIPELINE_SYNC) {
				PQclear(r);	/* an earlier group's end */
				pg->stream_syncs--;
			} else {
				pg->stream_got = r;
			}
			continue;
		}
		/*
		 * A statement's one row, then its end: libpq leaves single-row mode on for the
		 * first statement of a pipeline when the statement before it used it (it resets
		 * the mode only outside pipeline mode). Anything else fails the statement.
		 */
		if (PQresultStatus(pg->stream_got) != PGRES_SINGLE_TUPLE
		    || PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 0)
			pg->stream_extra = true;
		PQclear(r);
	}
}

void
fs_pg_stream_finish(struct fs_pg *pg)
{
	if (pg->stream_unread > 0 && pg->finish_stream)
		pg->finish_stream(pg->finish_stream_arg);
	while (pg->stream_unread > 0) {	/* a sender that left some: theirs are lost */
		PGresult *r;

		fs_pg_stream_take(pg, true, &r);
		PQclear(r);
	}
	if (pg->stream_open)
		fs_pg_stream_sync(pg);
	if (pg->stream_syncs > 0 || (pg->conn && PQpipelineStatus(pg->conn) != PQ_PIPELINE_OFF))
		settle(pg, true);
}
