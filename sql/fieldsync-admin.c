/*
 * fieldsync-admin: manage the accounts of sql/006_create_accounts.sql from the command line: add users,
 * set their passwords, disable and enable them, grant and revoke roles, list them. A password is read from
 * stdin only (never argv, never printed) and stored as the Argon2id string of libsodium's
 * crypto_pwhash_str. Each command is one transaction of parameterised statements; the triggers of 006 end
 * the sessions of a disabled user or a changed password and record every change in auth_changes.
 * Exit status: 0 done, 1 refused (one line on stderr says why), 2 usage error.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <sodium.h>

#include "fs_config.h"
#include "fs_log.h"
#include "fs_pg.h"

#define PROG "fieldsync-admin"

enum { EXIT_OK = 0, EXIT_REFUSED = 1, EXIT_USAGE = 2 };

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

/* Bytes of a password: the floor is [auth] password_min_length's default, the ceiling bounds the work. */
#define PASSWORD_MIN 10
#define PASSWORD_MAX 1024

enum role { ROLE_REP, ROLE_MANAGER, ROLE_FINANCE, ROLE_HR, ROLE_ADMIN, ROLE__MAX };

static const char *const role_names[ROLE__MAX] = {"rep", "manager", "finance", "hr", "admin"};

/* The options a command may take, as bits; --database and --help go with every command. */
enum {
	OPT_ROLE = 1u << 0,
	OPT_BRANCH = 1u << 1,
	OPT_NAME = 1u << 2,
	OPT_PASSWORD = 1u << 3,
};

static const struct option longopts[] = {
	{"database", required_argument, NULL, 'd'}, {"role", required_argument, NULL, 'r'},
	{"branch", required_argument, NULL, 'b'},   {"name", required_argument, NULL, 'n'},
	{"password-stdin", no_argument, NULL, 'p'}, {"password", optional_argument, NULL, 'P'},
	{"help", no_argument, NULL, 'h'},           {"config", required_argument, NULL, 'c'},
	{"check-config", no_argument, NULL, 'C'},   {"version", no_argument, NULL, 'V'},
	{NULL, 0, NULL, 0},
};

/* One run's request: the command line, checked, and the hash of the password read from stdin. */
struct args {
	const char *url;
	const char *config;      /* --config FILE */
	int check_config;
	struct fs_config cfg;    /* read only when no URL is given otherwise, or for --check-config */
	const char *verb;
	const char *login;
	const char *name;
	const char *role_arg;
	enum role role;          /* ROLE__MAX: no --role */
	const char **branch;     /* the --branch values, in order; points into argv */
	int nbranch;
	unsigned given;          /* OPT_ bits seen */
	char hash[crypto_pwhash_STRBYTES];
};

/* A user row locked for the transaction. */
struct user {
	char id[37];
	int active;
};

struct command {
	const char *verb;
	int (*run)(PGconn *conn, const struct args *a);
	int takes_login;
	unsigned allowed;  /* OPT_ bits it accepts */
	unsigned required; /* OPT_ bits it needs */
};

/* Print the usage text to OUT. */
static void
usage(FILE *out)
{
	fprintf(out,
		"usage: " PROG " [--database URL] [--config FILE] user COMMAND ...\n"
		"       " PROG " --check-config | --version | --help\n"
		"  user add LOGIN --role ROLE [--branch B ...] [--name NAME] --password-stdin\n"
		"  user passwd LOGIN --password-stdin\n"
		"  user disable LOGIN          end its sessions; it can no longer sign in\n"
		"  user enable LOGIN\n"
		"  user grant LOGIN --role ROLE --branch B [--branch B2 ...]   (admin: no --branch)\n"
		"  user revoke LOGIN --branch B [--role ROLE]                  (admin: --role admin)\n"
		"  user list                   login, status, memberships (role:branch), name; tab-separated\n"
		"ROLE is rep, manager, finance, hr or admin (every branch). The password is one line on stdin\n"
		"(%d to %d bytes; a terminal does not echo it), never an argument.\n"
		"  --database URL  libpq URL or conninfo (default: $DATABASE_URL, else the config's\n"
		"                  [database] url)\n"
		"  --config FILE   settings (default: $FIELDSYNC_CONF, else %s if it exists)\n"
		"  --check-config  read the settings, print the file read and exit\n"
		"Exit status: 0 done, 1 refused or the database or the config failed, 2 usage error.\n"
		"See fieldsync-admin(8).\n",
		PASSWORD_MIN, PASSWORD_MAX, FS_CONFIG_DEFAULT_PATH);
}

/* Print "fieldsync-admin: MESSAGE" on stderr and return STATUS, so that callers can `return say(...)`. */
static int __attribute__((format(printf, 2, 3)))
say(int status, const char *fmt, ...)
{
	va_list ap;

	fputs(PROG ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return status;
}

/* Return the role named S, or ROLE__MAX. */
static enum role
role_parse(const char *s)
{
	for (int r = 0; r < ROLE__MAX; r++)
		if (strcmp(s, role_names[r]) == 0)
			return (enum role)r;
	return ROLE__MAX;
}

/* Say whether S is a login users_login_check accepts: [a-z0-9][a-z0-9._@-]{0,63}. Checked here first so
 * that a message may quote the login knowing it holds nothing but those characters. */
static int
login_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 64 || !strchr("abcdefghijklmnopqrstuvwxyz0123456789", s[0]))
		return 0;
	return strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789._@-") == n;
}

/* Take one option C (with OPTARG) into A; return 0, or the exit status to stop with. */
static int
take_option(int c, struct args *a, char **argv)
{
	unsigned bit = c == 'r' ? OPT_ROLE : c == 'n' ? OPT_NAME : c == 'p' ? OPT_PASSWORD : 0;

	if (bit && (a->given & bit))
		return say(EXIT_USAGE, "--%s given twice", c == 'r' ? "role" : c == 'n' ? "name" :
							   "password-stdin");
	a->given |= bit;
	switch (c) {
	case 'd': a->url = optarg; return 0;
	case 'c': a->config = optarg; return 0;
	case 'C': a->check_config = 1; return 0;
	case 'V':
		printf(PROG " (fieldsync) " PACKAGE_VERSION "\n");
		exit(fflush(stdout) == 0 ? EXIT_OK : EXIT_REFUSED);
	case 'r': a->role_arg = optarg; return 0;
	case 'n': a->name = optarg; return 0;
	case 'p': return 0;
	case 'b': a->given |= OPT_BRANCH; a->branch[a->nbranch++] = optarg; return 0;
	case 'P': return say(EXIT_USAGE, "a password is never taken from the command line (ps and the "
					 "shell history show it): use --password-stdin");
	case 'h': usage(stdout); exit(EXIT_OK);
	case ':': return say(EXIT_USAGE, "%s needs a value", argv[optind - 1]);
	default:
		/* Not the whole argument: "--pass=secret" must not echo the secret. */
		return say(EXIT_USAGE, "unknown option %.*s (see --help)",
			   (int)strcspn(argv[optind - 1], "="), argv[optind - 1]);
	}
}

/*
 * The database URL when neither --database nor DATABASE_URL gives one: the config's [database]
 * url (A->cfg); with --check-config, prints the file read instead. Return 0, or the exit status.
 */
static int
read_config(struct args *a)
{
	fs_config_defaults(&a->cfg);
	if (fs_config_load(&a->cfg, a->config) != FS_OK)
		return EXIT_REFUSED;
	if (a->check_config) {
		printf("%s\n", a->cfg.path[0] ? a->cfg.path : "(built-in defaults)");
		return fflush(stdout) == 0 ? EXIT_OK : EXIT_REFUSED;
	}
	if (a->cfg.database_url[0])
		a->url = a->cfg.database_url;
	return 0;
}

/* Fill A from the command line, the environment and the config; return 0, or the exit status to stop with. */
static int
parse_args(int argc, char **argv, struct args *a)
{
	const char *env_url = getenv("DATABASE_URL");
	int c, rc;

	opterr = 0; /* our own messages: getopt's would quote a mistyped option whole */
	if (!(a->branch = calloc((size_t)argc, sizeof *a->branch)))
		return say(EXIT_REFUSED, "out of memory");
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1)
		if ((rc = take_option(c, a, argv)) != 0)
			return rc;
	if (a->check_config)
		exit(read_config(a));
	if (optind >= argc || strcmp(argv[optind], "user") != 0) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (++optind >= argc)
		return say(EXIT_USAGE, "user: which command? add, passwd, disable, enable, grant, revoke, list");
	a->verb = argv[optind++];
	if (optind < argc)
		a->login = argv[optind++];
	if (optind < argc) /* not quoted: it may be a password typed where it does not belong */
		return say(EXIT_USAGE, "unexpected argument after the login (see --help)");
	if (!a->url && env_url && *env_url)
		a->url = env_url;
	if (!a->url && (rc = read_config(a)) != 0)
		return rc;
	if (!a->url || !*a->url)
		return say(EXIT_USAGE, "no database given: pass --database URL, set DATABASE_URL or"
			   " [database] url in the config");
	return 0;
}

/* Check the options of A against what command C accepts and needs; return 0 or EXIT_USAGE. */
static int
check_usage(const struct command *c, const struct args *a)
{
	static const char *const names[] = {"--role", "--branch", "--name", "--password-stdin"};

	if (c->takes_login && !a->login)
		return say(EXIT_USAGE, "user %s: which login?", c->verb);
	if (!c->takes_login && a->login)
		return say(EXIT_USAGE, "user %s takes no login", c->verb);
	for (unsigned i = 0; i < 4; i++) {
		if ((a->given & (1u << i)) && !(c->allowed & (1u << i)))
			return say(EXIT_USAGE, "user %s takes no %s", c->verb, names[i]);
		if (!(a->given & (1u << i)) && (c->required & (1u << i)))
			return say(EXIT_USAGE, "user %s needs %s", c->verb, names[i]);
	}
	return 0;
}

/* Check the login, the role and the branches of A for its command; return 0 or EXIT_REFUSED. */
static int
check_values(struct args *a)
{
	int revoke = strcmp(a->verb, "revoke") == 0;

	if (a->login && !login_ok(a->login))
		return say(EXIT_REFUSED, "invalid login: 1 to 64 of a-z 0-9 . _ @ -, starting with a-z or 0-9");
	a->role = a->role_arg ? role_parse(a->role_arg) : ROLE__MAX;
	if (a->role_arg && a->role == ROLE__MAX)
		return say(EXIT_REFUSED, "unknown role '%s': rep, manager, finance, hr or admin", a->role_arg);
	for (int i = 0; i < a->nbranch; i++) {
		if (!*a->branch[i])
			return say(EXIT_REFUSED, "a branch cannot be empty");
		if (strcmp(a->branch[i], "*") == 0 && a->role != ROLE_ADMIN && !revoke)
			return say(EXIT_REFUSED, "branch '*' is admin's: use --role admin");
	}
	if (a->role == ROLE_ADMIN && a->nbranch > 0 && (a->nbranch > 1 || strcmp(a->branch[0], "*") != 0))
		return say(EXIT_REFUSED, "admin holds every branch: give no --branch");
	if (a->role != ROLE_ADMIN && a->role != ROLE__MAX && a->nbranch == 0 && !revoke)
		return say(EXIT_REFUSED, "role %s needs at least one --branch", role_names[a->role]);
	if (revoke && a->nbranch == 0 && a->role != ROLE_ADMIN)
		return say(EXIT_REFUSED, "user revoke needs --branch B (or --role admin)");
	return 0;
}

/* Turn off echo on the terminal FD while a password is typed; return whether it was turned off. */
static int
echo_off(int fd, struct termios *saved)
{
	struct termios t;

	if (!isatty(fd) || tcgetattr(fd, saved) != 0)
		return 0;
	t = *saved;
	t.c_lflag &= ~(tcflag_t)ECHO;
	return tcsetattr(fd, TCSAFLUSH, &t) == 0;
}

/* Read one line of stdin into BUF (PASSWORD_MAX + 2 bytes), the newline (and a CR before it) stripped;
 * a terminal is prompted and does not echo. Return its length, or -1 with a message printed. */
static long
read_password(const char *login, char *buf)
{
	struct termios saved;
	int quiet, c;
	long n = 0;

	setvbuf(stdin, NULL, _IONBF, 0); /* no copy of the password in stdio's buffer */
	if ((quiet = echo_off(STDIN_FILENO, &saved)))
		fprintf(stderr, "password for %s: ", login);
	while ((c = getchar()) != EOF && c != '\n' && n <= PASSWORD_MAX)
		buf[n++] = (char)c;
	if (quiet) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
		fputc('\n', stderr);
	}
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	if (c == EOF && n == 0 && ferror(stdin))
		return say(-1, "reading the password: %s", strerror(errno));
	if (c == EOF && n == 0)
		return say(-1, "no password on stdin (--password-stdin reads one line)");
	if (n > PASSWORD_MAX)
		return say(-1, "password too long: at most %d bytes", PASSWORD_MAX);
	if (memchr(buf, '\0', (size_t)n))
		return say(-1, "the password holds a NUL byte");
	if (n < PASSWORD_MIN)
		return say(-1, "password too short: at least %d bytes", PASSWORD_MIN);
	return n;
}

/* Read the password from stdin and put its Argon2id string into A->hash; return 0 or EXIT_REFUSED.
 * The password itself never leaves this function and is wiped before it returns. */
static int
hash_password(struct args *a)
{
	char pw[PASSWORD_MAX + 2];
	long n = read_password(a->login, pw);
	int rc = EXIT_REFUSED;

	if (n >= 0 && crypto_pwhash_str(a->hash, pw, (unsigned long long)n, crypto_pwhash_OPSLIMIT_INTERACTIVE,
					crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
		say(EXIT_REFUSED, "hashing the password: out of memory");
	else if (n >= 0)
		rc = 0;
	sodium_memzero(pw, sizeof pw);
	return rc;
}

/* Print the failure of R (or of the connection when R is NULL) in one line, naming WHAT; a constraint of
 * 006 is said in words. Return EXIT_REFUSED. */
static int
db_error(const PGconn *conn, const PGresult *r, const char *what)
{
	static const char *const known[][2] = {
		{"users_name_check", "a name is at most 200 characters"},
		{"users_login_check", "invalid login"},
		{"users_login_key", "that login already exists"},
		{"memberships_branch_check", "a branch is 1 to 200 characters"},
	};
	const char *constraint = r ? PQresultErrorField(r, PG_DIAG_CONSTRAINT_NAME) : NULL;
	const char *msg = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;

	for (size_t i = 0; constraint && i < sizeof known / sizeof known[0]; i++)
		if (strcmp(constraint, known[i][0]) == 0)
			return say(EXIT_REFUSED, "%s", known[i][1]);
	if (!msg)
		msg = r ? PQresultErrorMessage(r) : PQerrorMessage(conn);
	return say(EXIT_REFUSED, "%s: %.*s", what, (int)strcspn(msg, "\n"), msg);
}

/* Run SQL with the N text parameters P; return its result, or NULL with the failure printed. */
static PGresult *
query(PGconn *conn, const char *sql, int n, const char *const *p, const char *what)
{
	PGresult *r = PQexecParams(conn, sql, n, NULL, p, NULL, NULL, 0);
	ExecStatusType st = PQresultStatus(r);

	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
		return r;
	db_error(conn, r, what);
	PQclear(r);
	return NULL;
}

/* Run SQL with the N parameters P, whose rows are not needed; return how many rows it touched, or -1. */
static long
exec_count(PGconn *conn, const char *sql, int n, const char *const *p, const char *what)
{
	PGresult *r = query(conn, sql, n, p, what);
	long rows = r ? strtol(PQcmdTuples(r), NULL, 10) : -1;

	PQclear(r);
	return rows;
}

/* Find LOGIN's row and lock it for the transaction into *U; return 0, or EXIT_REFUSED printed. */
static int
lock_user(PGconn *conn, const char *login, struct user *u)
{
	const char *const p[] = {login};
	PGresult *r = query(conn, "SELECT id, status = 'active' FROM users WHERE login = $1 FOR UPDATE", 1, p,
			    "looking up the user");
	int found = r && PQntuples(r) == 1;

	if (found) {
		snprintf(u->id, sizeof u->id, "%s", PQgetvalue(r, 0, 0));
		u->active = strcmp(PQgetvalue(r, 0, 1), "t") == 0;
	}
	if (r && !found)
		say(EXIT_REFUSED, "no user '%s'", login);
	PQclear(r);
	return found ? 0 : EXIT_REFUSED;
}

/* Lock every active admin's row, in one order, before looking at one user: two runs that each take away a
 * different admin then queue up, and the second sees that the first left only one. Return 0 or 1. */
static int
lock_admins(PGconn *conn)
{
	return exec_count(conn, "SELECT u.id FROM users u WHERE u.status = 'active' AND u.id IN"
				" (SELECT user_id FROM memberships WHERE role = 'admin') ORDER BY u.id FOR UPDATE",
			  0, NULL, "locking the admins") < 0 ? EXIT_REFUSED : 0;
}

/* Refuse (EXIT_REFUSED, printed) when user ID is the last active admin, else return 0. Taking away the
 * last admin would leave nobody able to manage users but whoever holds the database. */
static int
refuse_last_admin(PGconn *conn, const char *id, const char *login, const char *doing)
{
	const char *const p[] = {id};
	PGresult *r = query(conn,
			    "SELECT EXISTS (SELECT 1 FROM users u JOIN memberships m ON m.user_id = u.id"
			    "  WHERE u.id = $1 AND u.status = 'active' AND m.role = 'admin')"
			    " AND NOT EXISTS (SELECT 1 FROM users u JOIN memberships m ON m.user_id = u.id"
			    "  WHERE u.id <> $1 AND u.status = 'active' AND m.role = 'admin')",
			    1, p, "counting the admins");
	int last = r && strcmp(PQgetvalue(r, 0, 0), "t") == 0;

	if (last)
		say(EXIT_REFUSED, "%s is the last active admin: %s would leave no one to manage users", login,
		    doing);
	PQclear(r);
	return r && !last ? 0 : EXIT_REFUSED;
}

/* Return how many sessions user ID has (the triggers of 006 delete them), or -1. */
static long
count_sessions(PGconn *conn, const char *id)
{
	const char *const p[] = {id};
	PGresult *r = query(conn, "SELECT count(*) FROM sessions WHERE user_id = $1", 1, p,
			    "counting sessions");
	long n = r ? strtol(PQgetvalue(r, 0, 0), NULL, 10) : -1;

	PQclear(r);
	return n;
}

/* Set user ID's status to active or disabled ("t"/"f" in ACTIVE), clearing a lockout; return 0 or 1. */
static int
set_status(PGconn *conn, const char *id, const char *active)
{
	const char *const p[] = {id, active};

	return exec_count(conn,
			  "UPDATE users SET status = CASE WHEN $2::boolean THEN 'active' ELSE 'disabled' END,"
			  " failed_logins = 0, locked_until = NULL, updated_at = now(), version = version + 1"
			  " WHERE id = $1",
			  2, p, "updating the user") == 1 ? 0 : EXIT_REFUSED;
}

/* Give user ID role ROLE in BRANCH; print what happened for LOGIN; return 0 or 1. */
static int
add_membership(PGconn *conn, const char *id, const char *login, enum role role, const char *branch)
{
	const char *const p[] = {id, branch, role_names[role]};
	long n = exec_count(conn,
			    "INSERT INTO memberships (user_id, branch, role) VALUES ($1, $2, $3)"
			    " ON CONFLICT DO NOTHING",
			    3, p, "granting");

	if (n < 0)
		return EXIT_REFUSED;
	if (role == ROLE_ADMIN)
		printf(n ? "%s is now admin\n" : "%s is admin already\n", login);
	else
		printf(n ? "%s is now %s in %s\n" : "%s is %s in %s already\n", login, role_names[role], branch);
	return 0;
}

/* user add: insert the user and their memberships. */
static int
cmd_add(PGconn *conn, const struct args *a)
{
	const char *const p[] = {a->login, a->name ? a->name : "", a->hash};
	PGresult *r = query(conn,
			    "INSERT INTO users (login, name, password_hash) VALUES ($1, $2, $3)"
			    " ON CONFLICT (login) DO NOTHING RETURNING id",
			    3, p, "adding the user");
	char id[37];
	int rc = r ? 0 : EXIT_REFUSED;

	if (r && PQntuples(r) != 1)
		rc = say(EXIT_REFUSED, "a user '%s' already exists", a->login);
	else if (r)
		snprintf(id, sizeof id, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	if (rc == 0)
		printf("added %s\n", a->login);
	if (rc == 0 && a->role == ROLE_ADMIN)
		rc = add_membership(conn, id, a->login, ROLE_ADMIN, "*");
	for (int i = 0; rc == 0 && a->role != ROLE_ADMIN && i < a->nbranch; i++)
		rc = add_membership(conn, id, a->login, a->role, a->branch[i]);
	return rc;
}

/* user passwd: store the new hash; the trigger ends the user's sessions. A lockout is lifted too. */
static int
cmd_passwd(PGconn *conn, const struct args *a)
{
	struct user u;
	long sessions;
	int rc = lock_user(conn, a->login, &u);
	const char *const p[] = {u.id, a->hash};

	if (rc != 0 || (sessions = count_sessions(conn, u.id)) < 0)
		return EXIT_REFUSED;
	if (exec_count(conn,
		       "UPDATE users SET password_hash = $2, failed_logins = 0, locked_until = NULL,"
		       " updated_at = now(), version = version + 1 WHERE id = $1",
		       2, p, "changing the password") != 1)
		return EXIT_REFUSED;
	printf("password changed for %s; %ld session%s ended\n", a->login, sessions, sessions == 1 ? "" : "s");
	return 0;
}

/* user disable: mark the user disabled; the trigger ends their sessions. */
static int
cmd_disable(PGconn *conn, const struct args *a)
{
	struct user u;
	long sessions;

	if (lock_admins(conn) != 0 || lock_user(conn, a->login, &u) != 0)
		return EXIT_REFUSED;
	if (!u.active) {
		printf("%s is disabled already\n", a->login);
		return 0;
	}
	if (refuse_last_admin(conn, u.id, a->login, "disabling it") != 0 ||
	    (sessions = count_sessions(conn, u.id)) < 0 || set_status(conn, u.id, "f") != 0)
		return EXIT_REFUSED;
	printf("disabled %s; %ld session%s ended\n", a->login, sessions, sessions == 1 ? "" : "s");
	return 0;
}

/* user enable: mark the user active again, with no failed sign-ins held against them. */
static int
cmd_enable(PGconn *conn, const struct args *a)
{
	struct user u;

	if (lock_user(conn, a->login, &u) != 0)
		return EXIT_REFUSED;
	if (u.active) {
		printf("%s is active already\n", a->login);
		return 0;
	}
	if (set_status(conn, u.id, "t") != 0)
		return EXIT_REFUSED;
	printf("enabled %s\n", a->login);
	return 0;
}

/* user grant: add the role in each branch (admin: in '*'); one already held is said and kept. */
static int
cmd_grant(PGconn *conn, const struct args *a)
{
	struct user u;
	int rc = lock_user(conn, a->login, &u);

	if (rc == 0 && a->role == ROLE_ADMIN)
		rc = add_membership(conn, u.id, a->login, ROLE_ADMIN, "*");
	for (int i = 0; rc == 0 && a->role != ROLE_ADMIN && i < a->nbranch; i++)
		rc = add_membership(conn, u.id, a->login, a->role, a->branch[i]);
	return rc;
}

/* Take from user ID the roles (only ROLE, unless ROLE__MAX) they hold in BRANCH; print them for LOGIN.
 * Return 0, or EXIT_REFUSED when there was none: a mistyped branch must not pass for done. */
static int
drop_memberships(PGconn *conn, const char *id, const char *login, enum role role, const char *branch)
{
	const char *const p[] = {id, branch, role == ROLE__MAX ? NULL : role_names[role]};
	PGresult *r = query(conn,
			    "DELETE FROM memberships WHERE user_id = $1 AND branch = $2"
			    " AND ($3::text IS NULL OR role = $3) RETURNING role",
			    3, p, "revoking");
	int n = r ? PQntuples(r) : -1;

	if (n == 0)
		say(EXIT_REFUSED, "%s holds no %s%sin branch '%s'", login, p[2] ? p[2] : "role", p[2] ? " role " : " ",
		    branch);
	for (int i = 0; i < n; i++)
		printf(strcmp(branch, "*") == 0 ? "%s is no longer %s\n" : "%s is no longer %s in %s\n", login,
		       PQgetvalue(r, i, 0), branch);
	PQclear(r);
	return n > 0 ? 0 : EXIT_REFUSED;
}

/* user revoke: drop the memberships of each branch (admin: '*'), all or none; never the last admin's. */
static int
cmd_revoke(PGconn *conn, const struct args *a)
{
	static const char *const star[] = {"*"};
	const char *const *branch = a->nbranch ? a->branch : star;
	int nbranch = a->nbranch ? a->nbranch : 1;
	struct user u;
	int rc = lock_admins(conn) != 0 ? EXIT_REFUSED : lock_user(conn, a->login, &u);

	for (int i = 0; rc == 0 && i < nbranch; i++)
		if (strcmp(branch[i], "*") == 0)
			rc = refuse_last_admin(conn, u.id, a->login, "revoking admin");
	for (int i = 0; rc == 0 && i < nbranch; i++)
		rc = drop_memberships(conn, u.id, a->login, a->role, branch[i]);
	return rc;
}

/* Print S as one tab-separated field: a tab, newline or other control character becomes '?'. */
static void
put_field(const char *s, int last)
{
	for (; *s; s++)
		putchar((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s);
	putchar(last ? '\n' : '\t');
}

/* user list: one line per user: login, status, memberships (role:branch, admin alone), name. */
static int
cmd_list(PGconn *conn, const struct args *a)
{
	PGresult *r = query(conn,
			    "SELECT u.login, u.status,"
			    " coalesce(string_agg(CASE WHEN m.role = 'admin' THEN 'admin' ELSE m.role || ':' || m.branch"
			    "  END, ',' ORDER BY m.role = 'admin' DESC, m.branch, m.role), '-'),"
			    " u.name FROM users u LEFT JOIN memberships m ON m.user_id = u.id"
			    " GROUP BY u.id ORDER BY u.login",
			    0, NULL, "listing users");

	(void)a;
	if (!r)
		return EXIT_REFUSED;
	for (int i = 0; i < PQntuples(r); i++)
		for (int f = 0; f < 4; f++)
			put_field(PQgetvalue(r, i, f), f == 3);
	PQclear(r);
	return 0;
}

static const struct command commands[] = {
	{"add", cmd_add, 1, OPT_ROLE | OPT_BRANCH | OPT_NAME | OPT_PASSWORD, OPT_ROLE | OPT_PASSWORD},
	{"passwd", cmd_passwd, 1, OPT_PASSWORD, OPT_PASSWORD},
	{"disable", cmd_disable, 1, 0, 0},
	{"enable", cmd_enable, 1, 0, 0},
	{"grant", cmd_grant, 1, OPT_ROLE | OPT_BRANCH, OPT_ROLE},
	{"revoke", cmd_revoke, 1, OPT_ROLE | OPT_BRANCH, 0},
	{"list", cmd_list, 0, 0, 0},
};

/* Return the command named VERB (which may be NULL), or NULL. */
static const struct command *
find_command(const char *verb)
{
	for (size_t i = 0; verb && i < sizeof commands / sizeof commands[0]; i++)
		if (strcmp(verb, commands[i].verb) == 0)
			return &commands[i];
	return NULL;
}

/* Run command C in one transaction: committed when it succeeds, else rolled back. Return the status. */
static int
run_in_transaction(PGconn *conn, const struct command *c, const struct args *a)
{
	int rc = exec_count(conn, "BEGIN", 0, NULL, "BEGIN") < 0 ? EXIT_REFUSED : c->run(conn, a);

	fflush(stdout);
	if (rc == 0 && exec_count(conn, "COMMIT", 0, NULL, "COMMIT") < 0)
		rc = EXIT_REFUSED;
	if (PQstatus(conn) == CONNECTION_OK && PQtransactionStatus(conn) != PQTRANS_IDLE)
		PQclear(PQexec(conn, "ROLLBACK")); /* the refusal is printed already; this cannot add to it */
	return rc;
}

/* Parse and check the arguments, read the password when the command takes one, connect and run. */
int
main(int argc, char **argv)
{
	static struct args a = {.role = ROLE__MAX};	/* static: the config it holds is 20 KiB */
	const struct command *c = NULL;
	PGconn *conn;
	char why[512];
	int rc;

	fs_log_init(PROG);
	rc = parse_args(argc, argv, &a);

	if (rc == 0 && !(c = find_command(a.verb)))
		rc = say(EXIT_USAGE, "user: unknown command '%s' (see --help)", a.verb);
	rc = rc ? rc : check_usage(c, &a);
	rc = rc ? rc : check_values(&a);
	if (rc == 0 && sodium_init() < 0)
		rc = say(EXIT_REFUSED, "libsodium cannot start");
	if (rc == 0 && (a.given & OPT_PASSWORD))
		rc = hash_password(&a);
	if (rc == 0) {
		conn = fs_pg_connect_tool(a.url, PROG, why, sizeof(why));
		if (!conn)
			say(EXIT_REFUSED, "cannot connect: %s", why);
		rc = conn ? run_in_transaction(conn, c, &a) : EXIT_REFUSED;
		PQfinish(conn);
	}
	free(a.branch);
	return rc;
}
