/* test-filter.c - the types= grammar (lib/fs_types) and a stream's filter (relay/filter). */
#include <stdlib.h>
#include <string.h>

#include "filter.h"
#include "fs_types.h"
#include "tap.h"

static char *names[] = { "appointments", "clients", "stock_requests" };
static const struct fs_tables known = { names, 3, NULL };

/* The error code fs_types_parse gives TEXT (FS_OK when accepted). */
static enum fs_err
check(const char *text)
{
	struct fs_error err = FS_ERROR_INIT;
	struct fs_types t;
	enum fs_err rc = fs_types_parse(&t, text, &known, &err);

	fs_types_release(&t);
	fs_error_clear(&err);
	return rc;
}

/* Whether TEXT (checked) passes TYPE. */
static int
match(const char *text, const char *type)
{
	struct fs_error err = FS_ERROR_INIT;
	struct fs_types t;
	int m = fs_types_parse(&t, text, &known, &err) == FS_OK && fs_types_match(&t, type, strlen(type));

	fs_types_release(&t);
	return m;
}

/* The LIKE patterns of TEXT into BUF; "NULL" for every type. */
static const char *
patterns(const char *text, char *buf, size_t size)
{
	struct fs_error err = FS_ERROR_INIT;
	struct fs_types t;
	char *p = NULL;

	fs_types_parse(&t, text, &known, &err);
	fs_types_patterns(&t, &p, &err);
	snprintf(buf, size, "%s", p ? p : "NULL");
	free(p);
	fs_types_release(&t);
	return buf;
}

int
main(void)
{
	struct fs_error err = FS_ERROR_INIT;
	struct filter f;
	struct frame *north = frame_new(1, "clients:create", "north", NULL, "{}");
	struct frame *south = frame_new(2, "appointments:delete", "south", NULL, "{}");
	char buf[300], big[1100];

	ok(fs_tables_has(&known, "clients", 7), "the known tables: clients");
	ok(fs_tables_has(&known, "clients:x", 7), "... by length, not terminator");
	ok(!fs_tables_has(&known, "client", 6), "... a prefix is not a table");
	ok(!fs_tables_has(&known, "visits", 6), "... nor is a table without a change log");

	/* the permissions beside the names */
	{
		struct fs_declared decl[3];
		const struct fs_tables with = { names, 3, decl };

		memset(decl, 0, sizeof(decl));
		is_int(fs_declared_parse(&decl[1], "{\"table\":\"clients\",\"permissions\":"
		    "{\"rep\":{\"ops\":[\"read\"]}}}", &err), FS_OK, "a declaration for clients");
		ok(fs_tables_resource(&known, "clients", 7) == NULL, "a list without declarations has no permissions");
		ok(fs_tables_resource(&with, "clients:create", 7) == &decl[1].res, "... clients' own, by length");
		ok(fs_tables_resource(&with, "appointments", 12) == NULL, "... none where none is recorded");
		ok(fs_tables_resource(&with, "visits", 6) == NULL, "... nor for a table without a change log");
		fs_declared_release(&decl[1]);
		fs_error_clear(&err);
	}

	/* grammar */
	is_int(check("*"), FS_OK, "* is accepted");
	is_int(check("clients:*"), FS_OK, "clients:* is accepted");
	is_int(check("clients:create"), FS_OK, "clients:create is accepted");
	is_int(check("clients:create,appointments:*,stock_requests:delete"), FS_OK, "a comma-separated list");
	is_int(check("clients:update,*"), FS_OK, "* among others");
	is_int(check(""), ERR_INVALID_PARAMETER, "empty is refused");
	is_int(check("clients"), ERR_INVALID_PARAMETER, "a table without an action is refused");
	is_int(check("clients:"), ERR_INVALID_PARAMETER, "an empty action is refused");
	is_int(check("clients:archive"), ERR_INVALID_PARAMETER, "an unknown action is refused");
	is_int(check("visits:*"), ERR_INVALID_PARAMETER, "an unknown table is refused");
	is_int(check("Clients:*"), ERR_INVALID_PARAMETER, "upper case is refused");
	is_int(check("clients:*,"), ERR_INVALID_PARAMETER, "a trailing comma is refused");
	is_int(check(",clients:*"), ERR_INVALID_PARAMETER, "a leading comma is refused");
	is_int(check("clients:*,,appointments:*"), ERR_INVALID_PARAMETER, "an empty entry is refused");
	is_int(check("cli%:*"), ERR_INVALID_PARAMETER, "a LIKE wildcard in a table is refused");
	is_int(check("clients:create:x"), ERR_INVALID_PARAMETER, "two colons are refused");
	memset(big, 0, sizeof(big));
	for (size_t i = 0; i + 10 < 1001; i += 10)
		memcpy(big + i, "clients:*,", 10);
	memcpy(big + 1000, "clients:*", 9);
	is_int(check(big), ERR_INVALID_PARAMETER, "over 1000 bytes is refused");
	fs_types_parse(&(struct fs_types){ 0 }, "visits:create", &known, &err);
	is_str(err.field, "types", "the error names the field types");
	ok(strstr(err.message, "visits") != NULL, "... and the unknown table (%s)", err.message);
	fs_error_clear(&err);

	/* matching */
	ok(match("*", "visits:create"), "* passes everything");
	ok(match("clients:*", "clients:update"), "clients:* passes clients:update");
	ok(!match("clients:*", "appointments:update"), "clients:* refuses another table");
	ok(!match("clients:*", "clientsx:update"), "clients:* refuses a longer table name");
	ok(match("clients:create", "clients:create"), "an exact entry passes its type");
	ok(!match("clients:create", "clients:created"), "... not a longer action");
	ok(!match("clients:create", "clients:update"), "... not another action");
	ok(match("appointments:delete,clients:create", "clients:create"), "any entry of a list");
	ok(!match("appointments:delete,clients:create", "clients"), "a type without a colon passes nothing");
	ok(fs_types_match(NULL, "x:y", 3), "a NULL list passes everything");

	/* the feed's LIKE patterns */
	is_str(patterns("clients:*,appointments:create", buf, sizeof(buf)), "{clients:%,appointments:create}",
	    "patterns: table:* becomes table:%%");
	is_str(patterns("stock_requests:*", buf, sizeof(buf)), "{stock\\\\_requests:%}",
	    "patterns: _ is escaped for LIKE");
	is_str(patterns("*", buf, sizeof(buf)), "NULL", "patterns: * is no filter at all");

	/* a stream's filter: types and branch */
	is_int(filter_init(&f, NULL, NULL, &known, &err), FS_OK, "no types=, no branch=");
	ok(filter_wants(&f, north) && filter_wants(&f, south), "... wants everything");
	filter_release(&f);
	is_int(filter_init(&f, "clients:*", "north", &known, &err), FS_OK, "types=clients:*&branch=north");
	ok(filter_wants(&f, north), "... wants north's clients:create");
	ok(!filter_wants(&f, south), "... not south's appointments:delete");
	filter_release(&f);
	is_int(filter_init(&f, "appointments:delete", "north", &known, &err), FS_OK, "types= and another branch");
	ok(!filter_wants(&f, south), "... a matching type of another branch is not wanted");
	filter_release(&f);
	is_int(filter_init(&f, NULL, "", &known, &err), ERR_INVALID_PARAMETER, "an empty branch= is refused");
	is_str(err.field, "branch", "... naming branch");
	filter_release(&f);
	fs_error_clear(&err);
	memset(big, 'b', 201);
	big[201] = '\0';
	is_int(filter_init(&f, NULL, big, &known, &err), ERR_INVALID_PARAMETER, "a 201-byte branch= is refused");
	filter_release(&f);
	fs_error_clear(&err);
	is_int(filter_init(&f, "nope:*", NULL, &known, &err), ERR_INVALID_PARAMETER, "a bad types= is refused");
	filter_release(&f);
	filter_release(&f);
	fs_error_clear(&err);
	free(north);
	free(south);
	return done_testing();
}
