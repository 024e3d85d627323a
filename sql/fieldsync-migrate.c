/*
 * fieldsync-migrate: apply the SQL migrations DIR/NNN_name.sql to PostgreSQL, each once, in version order.
 * Each file runs in one transaction with its row in schema_migrations, so it is applied and recorded or
 * neither. A session advisory lock held for the whole run serialises concurrent runs. The checksum kept
 * with each row catches a file edited after it was applied: such a change belongs in a new migration.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <libpq-fe.h>

#include "fs_config.h"
#include "fs_log.h"
#include "fs_pg.h"

#ifndef FIELDSYNC_SQL_DIR
#define FIELDSYNC_SQL_DIR "sql"
#endif

#define PROG "fieldsync-migrate"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

/* The lock key is the first 64 bits of sha256('fieldsync-migrate'): fixed, yet not a magic number. */
static const char lock_sql[] =
	"SELECT pg_advisory_lock(('x' || left(encode(sha256('fieldsync-migrate'::bytea), 'hex'), 16))"
	"::bit(64)::bigint)";

static const char create_sql[] =
	"CREATE TABLE IF NOT EXISTS schema_migrations ("
	" version text PRIMARY KEY,"
	" name text NOT NULL,"
	" checksum text NOT NULL,"
	" applied_at timestamptz NOT NULL DEFAULT now())";

/* applied_at in UTC as one token, so --status lines split on blanks whatever the session's settings. */
static const char applied_sql[] =
	"SELECT version, name, checksum,"
	" to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
	" FROM schema_migrations ORDER BY version";

/* Checksum of the file's bytes, sent as binary bytea so no encoding conversion can change them. */
static const char checksum_sql[] = "SELECT encode(sha256($1::bytea), 'hex')";

static const char record_sql[] =
	"INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)";

static const struct option longopts[] = {
	{"database", required_argument, NULL, 'd'}, {"dir", required_argument, NULL, 'D'},
	{"status", no_argument, NULL, 's'},         {"help", no_argument, NULL, 'h'},
	{"config", required_argument, NULL, 'c'},   {"check-config", no_argument, NULL, 'C'},
	{"version", no_argument, NULL, 'V'},        {NULL, 0, NULL, 0},
};

struct options {
	const char *url;
	const char *dir;
	const char *config;	/* --config FILE */
	int status;
	int check_config;
	struct fs_config cfg;	/* read only when no URL is given otherwise, or for --check-config */
};

struct migration {
	char *path;          /* DIR/002_create_shared_tables.sql */
	const char *file;    /* 002_create_shared_tables.sql, inside path */
	char *version;       /* 002 */
	char *name;          /* create_shared_tables */
	char *text;          /* the file's contents, NUL-terminated */
	size_t len;
	char *checksum;      /* hex sha256 */
	int row;             /* its row in schema_migrations, or -1 while pending */
};

/* Print the usage text to OUT. */
static void
usage(FILE *out)
{
	fprintf(out,
		"usage: " PROG " [--database URL] [--config FILE] [--dir DIR] [--status]\n"
		"       " PROG " --check-config | --version | --help\n"
		"Apply the pending migrations DIR/NNN_name.sql in version order, each in its own transaction.\n"
		"  --database URL  libpq URL or conninfo (default: $DATABASE_URL, else the config's\n"
		"                  [database] url)\n"
		"  --config FILE   settings (default: $FIELDSYNC_CONF, else %s if it exists)\n"
		"  --dir DIR       migrations folder (default: $FIELDSYNC_SQL_DIR, else %s)\n"
		"  --status        list each migration as applied, pending, changed or missing; apply nothing\n"
		"  --check-config  read the settings, print the file read and exit\n"
		"Exit status: 0 done, 1 a migration, a changed or missing file, the config or the database\n"
		"failed, 2 usage error. See fieldsync-migrate(8).\n",
		FS_CONFIG_DEFAULT_PATH, FIELDSYNC_SQL_DIR);
}

/*
 * The database URL when neither --database nor DATABASE_URL gives one: the config's
 * [database] url (O->cfg); also answers --check-config. Return 0, or the exit status to
 * stop with (-1: done, exit 0).
 */
static int
read_config(struct options *o)
{
	fs_config_defaults(&o->cfg);
	if (fs_config_load(&o->cfg, o->config) != FS_OK)
		return 1;
	if (o->check_config) {
		printf("%s\n", o->cfg.path[0] ? o->cfg.path : "(built-in defaults)");
		return fflush(stdout) == 0 ? -1 : 1;
	}
	if (!o->url && o->cfg.database_url[0])
		o->url = o->cfg.database_url;
	return 0;
}

/* Fill O from the command line, the environment and the config; return 0, or the exit status to stop with. */
static int
parse_args(int argc, char **argv, struct options *o)
{
	const char *env_url = getenv("DATABASE_URL");
	int c, rc;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (c == 'd')
			o->url = optarg;
		else if (c == 'D')
			o->dir = optarg;
		else if (c == 's')
			o->status = 1;
		else if (c == 'c')
			o->config = optarg;
		else if (c == 'C')
			o->check_config = 1;
		else if (c == 'V') {
			printf(PROG " (fieldsync) " PACKAGE_VERSION "\n");
			exit(fflush(stdout) == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
		} else if (c == 'h') {
			usage(stdout);
			exit(EXIT_SUCCESS);
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, PROG ": unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	if (!o->url && env_url && *env_url)
		o->url = env_url;
	if ((!o->url || o->check_config) && (rc = read_config(o)) != 0)
		return rc;
	if (!o->url || !*o->url) {
		fprintf(stderr, PROG ": no database given: pass --database URL, set DATABASE_URL or"
			" [database] url in the config\n");
		return 2;
	}
	if (!o->dir)
		o->dir = getenv("FIELDSYNC_SQL_DIR");
	if (!o->dir || !*o->dir)
		o->dir = FIELDSYNC_SQL_DIR;
	return 0;
}

/* Say whether a directory entry is named like a migration: three digits, '_', a name, ".sql". */
static int
is_migration(const struct dirent *d)
{
	const char *s = d->d_name;
	size_t n = strlen(s);

	return n > 8 && isdigit((unsigned char)s[0]) && isdigit((unsigned char)s[1]) &&
	       isdigit((unsigned char)s[2]) && s[3] == '_' && strcmp(s + n - 4, ".sql") == 0;
}

/* Read the text file PATH whole into a new NUL-terminated buffer; return it (length in *LEN) or NULL. */
static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	char *buf = NULL;
	const char *why = NULL; /* NULL: errno says why */
	int ok = 0;

	if (f && fstat(fileno(f), &st) == 0) {
		if (st.st_size >= INT_MAX || !(buf = malloc((size_t)st.st_size + 1)))
			why = "too large";
		else if ((*len = fread(buf, 1, (size_t)st.st_size, f)) != (size_t)st.st_size)
			why = ferror(f) ? NULL : "changed while being read";
		else if (memchr(buf, '\0', *len))
			why = "holds a NUL byte";
		else
			ok = 1;
	}
	why = why ? why : strerror(errno);
	if (f)
		fclose(f);
	if (!ok) {
		fprintf(stderr, PROG ": %s: %s\n", path, why);
		free(buf);
		return NULL;
	}
	buf[*len] = '\0';
	return buf;
}

/* Load the migration file FILE of DIR into M; return 0 or -1 with a message printed. */
static int
load_one(const char *dir, const char *file, struct migration *m)
{
	m->row = -1;
	m->version = strndup(file, 3);
	m->name = strndup(file + 4, strlen(file) - 8);
	if (asprintf(&m->path, "%s/%s", dir, file) < 0)
		m->path = NULL;
	if (!m->path || !m->version || !m->name) {
		fprintf(stderr, PROG ": out of memory\n");
		return -1;
	}
	m->file = m->path + strlen(dir) + 1;
	m->text = slurp(m->path, &m->len);
	return m->text ? 0 : -1;
}

/* Free the N migrations of M and M itself. */
static void
free_migrations(struct migration *m, int n)
{
	for (int i = 0; m && i < n; i++) {
		free(m[i].path);
		free(m[i].version);
		free(m[i].checksum);
		free(m[i].name);
		free(m[i].text);
	}
	free(m);
}

/* Read every migration of DIR into *OUT, sorted by version; return how many, or -1. */
static int
load_migrations(const char *dir, struct migration **out)
{
	struct dirent **ents;
	int n = scandir(dir, &ents, is_migration, alphasort);
	int ok = n >= 0;
	struct migration *m = ok ? calloc((size_t)n + 1, sizeof *m) : NULL;

	if (!m)
		fprintf(stderr, PROG ": %s: %s\n", dir, strerror(n < 0 ? errno : ENOMEM));
	ok = m != NULL;
	for (int i = 0; i < n; i++) {
		ok = ok && load_one(dir, ents[i]->d_name, &m[i]) == 0;
		if (ok && i > 0 && strcmp(m[i].version, m[i - 1].version) == 0) {
			fprintf(stderr, PROG ": %s and %s have the same version\n", m[i - 1].path, m[i].path);
			ok = 0;
		}
		free(ents[i]);
	}
	if (n >= 0)
		free(ents);
	if (!ok) {
		free_migrations(m, n);
		return -1;
	}
	*out = m;
	return n;
}

/* Return the server's message for result R (or for the connection when R is NULL). */
static const char *
errmsg(const PGconn *conn, const PGresult *r)
{
	return r ? PQresultErrorMessage(r) : PQerrorMessage(conn);
}

/* Run SQL, whose rows are not needed; on failure print WHAT and the server's message; return 0 or -1. */
static int
exec_ok(PGconn *conn, const char *sql, const char *what)
{
	PGresult *r = PQexec(conn, sql);
	ExecStatusType st = PQresultStatus(r);
	int ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;

	if (!ok)
		fprintf(stderr, PROG ": %s: %s", what, errmsg(conn, r));
	PQclear(r);
	return ok ? 0 : -1;
}

/* Store in M the hex sha256 of its file, computed by the server; return 0 or -1. */
static int
compute_checksum(PGconn *conn, struct migration *m)
{
	const char *const params[] = {m->text};
	const int lengths[] = {(int)m->len};
	const int formats[] = {1};
	PGresult *r = PQexecParams(conn, checksum_sql, 1, NULL, params, lengths, formats, 0);
	int ok = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 &&
		 (m->checksum = strdup(PQgetvalue(r, 0, 0)));

	if (!ok)
		fprintf(stderr, PROG ": checksum of %s: %s", m->path, errmsg(conn, r));
	PQclear(r);
	return ok ? 0 : -1;
}

/* Fetch schema_migrations into *OUT; with --status a missing table counts as empty. Return 0 or -1. */
static int
load_applied(PGconn *conn, int status_only, PGresult **out)
{
	PGresult *r = PQexec(conn, applied_sql);
	const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
	int absent = status_only && state && strcmp(state, "42P01") == 0; /* undefined_table */

	*out = NULL;
	if (PQresultStatus(r) == PGRES_TUPLES_OK) {
		*out = r;
		return 0;
	}
	if (!absent)
		fprintf(stderr, PROG ": schema_migrations: %s", errmsg(conn, r));
	PQclear(r);
	return absent ? 0 : -1;
}

/* Return the index in M of the migration with VERSION, or -1. */
static int
find_version(const struct migration *m, int n, const char *version)
{
	for (int i = 0; i < n; i++)
		if (strcmp(m[i].version, version) == 0)
			return i;
	return -1;
}

/* Compare the applied rows with the files, printing a line per migration with --status (applied, pending,
 * changed, missing) or else an error per changed or missing file; return how many are changed or missing. */
static int
audit(const PGresult *applied, const struct migration *m, int n, const struct options *o)
{
	int bad = 0;

	for (int i = 0; i < n; i++) {
		const char *sum = m[i].row < 0 ? NULL : PQgetvalue(applied, m[i].row, 2);
		int changed = sum && strcmp(sum, m[i].checksum) != 0;

		bad += changed;
		if (o->status && !sum)
			printf("pending %s %s\n", m[i].version, m[i].name);
		else if (o->status)
			printf("%s %s %s %s\n", changed ? "changed" : "applied", m[i].version, m[i].name,
			       PQgetvalue(applied, m[i].row, 3));
		else if (changed)
			fprintf(stderr, PROG ": %s has changed since it was applied; put the change in a new "
					"migration\n", m[i].path);
	}
	for (int r = 0; r < PQntuples(applied); r++) {
		const char *version = PQgetvalue(applied, r, 0), *name = PQgetvalue(applied, r, 1);

		if (find_version(m, n, version) >= 0)
			continue;
		bad++;
		if (o->status)
			printf("missing %s %s %s\n", version, name, PQgetvalue(applied, r, 3));
		else
			fprintf(stderr, PROG ": %s/%s_%s.sql was applied but is missing\n", o->dir, version,
				name);
	}
	return bad;
}

/* Run migration M and record it, both in one transaction; return 0, or -1 after rolling back. */
static int
apply_one(PGconn *conn, const struct migration *m)
{
	const char *const params[] = {m->version, m->name, m->checksum};
	PGresult *r;
	int ok;

	if (exec_ok(conn, "BEGIN", m->file) < 0)
		return -1;
	r = PQexec(conn, m->text); /* the whole file: several statements, one result */
	ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK ||
	     PQresultStatus(r) == PGRES_EMPTY_QUERY;
	if (!ok)
		fprintf(stderr, PROG ": %s: %s", m->file, errmsg(conn, r));
	PQclear(r);
	if (ok && PQtransactionStatus(conn) != PQTRANS_INTRANS) {
		fprintf(stderr, PROG ": %s: ended the transaction; a migration must not BEGIN or COMMIT\n",
			m->file);
		ok = 0;
	}
	if (ok) {
		r = PQexecParams(conn, record_sql, 3, NULL, params, NULL, NULL, 0);
		if (!(ok = PQresultStatus(r) == PGRES_COMMAND_OK))
			fprintf(stderr, PROG ": %s: recording it: %s", m->file, errmsg(conn, r));
		PQclear(r);
	}
	ok = ok && exec_ok(conn, "COMMIT", m->file) == 0;
	if (!ok && PQstatus(conn) == CONNECTION_OK && PQtransactionStatus(conn) != PQTRANS_IDLE)
		exec_ok(conn, "ROLLBACK", m->file);
	return ok ? 0 : -1;
}

/* Apply every pending migration of M in order, printing each; return the exit status. */
static int
apply_pending(PGconn *conn, const struct migration *m, int n)
{
	int applied = 0;

	for (int i = 0; i < n; i++) {
		if (m[i].row >= 0)
			continue;
		if (apply_one(conn, &m[i]) < 0)
			return 1;
		printf("applied %s\n", m[i].file);
		fflush(stdout);
		applied++;
	}
	if (applied == 0)
		printf("up to date\n");
	return 0;
}

/* Do one run (status or apply) over an open connection; return the exit status. */
static int
run(PGconn *conn, const struct options *o, struct migration *m, int n)
{
	PGresult *applied = NULL;
	int rc;

	for (int i = 0; i < n; i++)
		if (compute_checksum(conn, &m[i]) < 0)
			return 1;
	/* Lock before creating schema_migrations: concurrent CREATE TABLE IF NOT EXISTS can collide. */
	if (!o->status && (exec_ok(conn, lock_sql, "advisory lock") < 0 ||
			   exec_ok(conn, create_sql, "creating schema_migrations") < 0))
		return 1;
	if (load_applied(conn, o->status, &applied) < 0)
		return 1;
	for (int r = 0, i; r < PQntuples(applied); r++)
		if ((i = find_version(m, n, PQgetvalue(applied, r, 0))) >= 0)
			m[i].row = r;
	rc = audit(applied, m, n, o) > 0 ? 1 : o->status ? 0 : apply_pending(conn, m, n);
	PQclear(applied);
	return rc;
}

/* Parse the arguments, load the files, connect and run; return the exit status. */
int
main(int argc, char **argv)
{
	static struct options o;	/* static: the config it holds is 20 KiB */
	struct migration *m = NULL;
	int rc, n;

	fs_log_init(PROG);
	rc = parse_args(argc, argv, &o);
	if (rc != 0)
		return rc < 0 ? 0 : rc;
	if ((n = load_migrations(o.dir, &m)) < 0)
		return 1;
	char why[512];
	PGconn *conn = fs_pg_connect_tool(o.url, PROG, why, sizeof(why));

	if (!conn)
		fprintf(stderr, PROG ": cannot connect: %s\n", why);
	rc = conn ? run(conn, &o, m, n) : 1;
	PQfinish(conn);
	free_migrations(m, n);
	return rc;
}
