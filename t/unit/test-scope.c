/* test-scope.c - the relay's per-stream scope: which events a user's stream is sent, and what it may ask for. */
#include <stdlib.h>
#include <string.h>

#include "fs_declared.h"
#include "fs_describe.h"
#include "scope.h"
#include "tap.h"

/* The real declaration of leave requests, read back as the relay reads it from the database. */
#define main leave_requests_main
#include "../../cgi-bin/leave-requests.c"
#undef main

/* Whether S is sent an event of TYPE on a row of BRANCH owned by OWNER (NULL: none). */
static int
sent(const struct scope *s, const struct fs_tables *t, const char *type, const char *branch,
    const char *owner)
{
	struct frame *f = frame_new(1, type, branch, owner, "{}");
	int yes = f && scope_allows(s, t, f);

	free(f);
	return yes;
}

/* The code scope_check gives S for TYPES and BRANCH (NULL: not given), and the field into FIELD. */
static enum fs_err
asks(const struct scope *s, const struct fs_tables *t, const char *types, const char *branch,
    char *field)
{
	struct fs_error err = FS_ERROR_INIT;
	struct filter f;
	enum fs_err rc = filter_init(&f, types, branch, t, &err);

	if (rc == FS_OK)
		rc = scope_check(s, &f, t, &err);
	strcpy(field, err.field);
	filter_release(&f);
	fs_error_clear(&err);
	return rc;
}

int
main(void)
{
	static char *names[] = { "clients", "leave_requests" };
	struct fs_membership ann_m[] = { { "north", ROLE_REP }, { "south", ROLE_MANAGER } };
	struct fs_membership fin_m[] = { { "north", ROLE_FINANCE } };
	struct fs_user ann = { .id = "1", .login = "ann", .n = 2, .m = ann_m };
	struct fs_user fin = { .id = "2", .login = "fred", .n = 1, .m = fin_m };
	struct fs_user root = { .id = "3", .login = "root", .admin = true };
	struct fs_declared decl[2];
	struct fs_tables t = { names, 2, decl };
	struct fs_error err = FS_ERROR_INIT;
	struct scope a, f, r;
	char *json = fs_describe(&leave_requests), field_text[64], *field = field_text;

	memset(decl, 0, sizeof(decl));
	is_int(fs_declared_parse(&decl[1], json, &err), FS_OK, "the shipped leave-request declaration reads back");
	free(json);
	is_int(scope_init(&a, &ann, &err), FS_OK, "a scope for ann");
	is_int(scope_init(&f, &fin, &err), FS_OK, "... for fred (finance)");
	is_int(scope_init(&r, &root, &err), FS_OK, "... for root (admin)");
	strcpy(ann_m[0].branch, "changed");
	ok(a.user.n == 2 && strcmp(a.user.m[0].branch, "north") == 0 && a.user.m != ann_m,
	    "the scope holds its own copy of the memberships");

	/* Events. */
	ok(sent(&a, &t, "leave_requests:create", "north", "ann"), "a rep is sent their own leave request");
	ok(sent(&a, &t, "leave_requests:delete", "north", "ann"), "... and its tombstone");
	ok(!sent(&a, &t, "leave_requests:create", "north", "bob"), "... not someone else's");
	ok(!sent(&a, &t, "leave_requests:delete", "north", "bob"), "... nor its tombstone");
	ok(!sent(&a, &t, "leave_requests:update", "north", NULL), "... nor a row with no owner");
	ok(sent(&a, &t, "leave_requests:update", "south", "bob"), "as manager of south, every one there");
	ok(!sent(&a, &t, "leave_requests:create", "east", "ann"), "nothing of a branch not held, not even one's own");
	ok(!sent(&f, &t, "leave_requests:create", "north", "fred"), "finance is sent no leave request");
	ok(!sent(&a, &t, "clients:create", "north", NULL), "a table with no declaration recorded: not for a rep");
	ok(sent(&r, &t, "clients:create", "north", NULL), "... but for admin");
	ok(sent(&r, &t, "leave_requests:create", "anywhere", "bob"), "admin is sent everything");
	ok(!sent(&a, &t, "visits:create", "north", NULL), "a table not tracked: not for a rep");
	ok(!sent(&a, &t, "leave_requests", "north", "ann"), "a type without an action: nothing");

	/* What a stream may ask for. */
	is_int(asks(&a, &t, NULL, NULL, field), FS_OK, "no types=, no branch=: allowed");
	is_int(asks(&a, &t, NULL, "north", field), FS_OK, "branch= a branch held");
	is_int(asks(&a, &t, NULL, "east", field), ERR_FORBIDDEN, "branch= a branch not held: forbidden");
	is_str(field, "branch", "... naming branch");
	is_int(asks(&r, &t, NULL, "east", field), FS_OK, "admin holds every branch");
	is_int(asks(&f, &t, "leave_requests:*", NULL, field), ERR_FORBIDDEN,
	    "types= a table finance may not read: forbidden");
	is_str(field, "types", "... naming types");
	is_int(asks(&f, &t, "*", NULL, field), FS_OK, "types=* names no table: allowed");
	is_int(asks(&a, &t, "leave_requests:create", "south", field), FS_OK,
	    "types= a table the user reads in branch=");
	is_int(asks(&a, &t, "clients:*", NULL, field), ERR_FORBIDDEN,
	    "types= a table with no declaration: forbidden but for admin");
	is_int(asks(&r, &t, "clients:*", NULL, field), FS_OK, "... admin may");

	scope_release(&a);
	scope_release(&a);
	scope_release(&f);
	scope_release(&r);
	fs_declared_release(&decl[1]);
	return done_testing();
}
