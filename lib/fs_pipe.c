/* fs_pipe.c - a write's statements sent as one pipeline, answered in order, counted. */
#include <string.h>

#include "fs_pipe.h"

static unsigned long trips;

unsigned long
fs_pipe_round_trips(void)
{
	return trips;
}

void
fs_pipe_clear(struct fs_pipe *p)
{
	for (int i = 0; i < p->n; i++) {
		PQclear(p->res[i]);
		p->res[i] = NULL;
	}
	p->n = 0;
}

/* Whether R is a success. */
static int
succeeded(const PGresult *r)
{
	ExecStatusType st = PQresultStatus(r);

	return r && (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK);
}

/* Queues step S on C. 0 when libpq refused (the connection is gone). */
static int
send_step(struct fs_db *db, PGconn *c, const struct fs_pipe_step *s)
{
	const struct fs_pg_stmt *st = s->other ? s->other : &db->stmts[s->stmt];

	if (s->command)
		return PQsendQueryParams(c, s->command, 0, NULL, NULL, NULL, NULL, 0);
	return PQsendQueryPrepared(c, st->name, st->nparams, s->params, NULL, NULL, 0);
}

/* Sends the steps with one sync and reads every answer into P; sets P->lost when the connection broke. */
static void
once(struct fs_db *db, const struct fs_pipe_step *steps, int n, struct fs_pipe *p)
{
	PGconn *c = db->pg.conn;
	PGresult *r;

	p->n = n;
	p->failed = -1;
	p->lost = 0;
	memset(p->res, 0, sizeof(p->res));
	if (!PQenterPipelineMode(c)) {
		p->lost = 1;
		return;
	}
	for (int i = 0; i < n; i++)
		if (!send_step(db, c, &steps[i])) {
			p->lost = 1;
			return;
		}
	if (!PQpipelineSync(c)) {
		p->lost = 1;
		return;
	}
	trips++;
	for (int i = 0; i < n; i++) {
		if (!(r = PQgetResult(c))) {
			p->lost = 1;
			return;
		}
		if (PQresultStatus(r) == PGRES_PIPELINE_ABORTED)
			PQclear(r);
		else
			p->res[i] = r;
		if (p->failed < 0 && !succeeded(p->res[i]))
			p->failed = i;
		/* Each answer ends with a NULL; anything else means the stream is not what was sent. */
		if ((r = PQgetResult(c)) != NULL) {
			PQclear(r);
			p->lost = 1;
			return;
		}
		if (PQstatus(c) == CONNECTION_BAD) {
			p->lost = 1;
			return;
		}
	}
	r = PQgetResult(c);
	if (PQresultStatus(r) != PGRES_PIPELINE_SYNC || !PQexitPipelineMode(c))
		p->lost = 1;
	PQclear(r);
}

enum fs_err
fs_pipe_run(struct fs_db *db, const struct fs_pipe_step *steps, int n, int idle_retry,
    struct fs_pipe *p, struct fs_error *err)
{
	const PGresult *bad;
	int idle;

	memset(p, 0, sizeof(*p));
	p->failed = -1;
	if (n > FS_PIPE_MAX)
		return fs_error_set(err, ERR_INTERNAL, NULL, "too many statements in one batch");
	if (fs_pg_ready(&db->pg, err) != FS_OK)
		return err->code;
	idle = PQtransactionStatus(db->pg.conn) == PQTRANS_IDLE;
	once(db, steps, n, p);
	if (p->lost && idle && idle_retry) {
		/* The server restarted since the last use: nothing was done; not an outage yet. */
		fs_pipe_clear(p);
		fs_pg_close(&db->pg);
		if (fs_pg_ready(&db->pg, err) != FS_OK)
			return err->code;
		once(db, steps, n, p);
	}
	if (!p->lost && p->failed < 0)
		return FS_OK;
	if (p->failed < 0)
		p->failed = 0;
	bad = p->lost && !p->res[p->failed] ? NULL : p->res[p->failed];
	if (p->lost && PQstatus(db->pg.conn) != CONNECTION_BAD) {
		/* The answers were not what was asked for: this connection cannot be trusted. */
		fs_pg_close(&db->pg);
		bad = NULL;
	}
	fs_pg_map_error(&db->pg, bad, err);
	if (bad)
		fs_db_map_integrity(bad, db->res, steps[p->failed].deleting, err);
	return err->code;
}
