/* test-perm.c - grants against memberships: one row, and the branch sets for SQL. */
#include <stdlib.h>
#include <string.h>

#include "fs_declared.h"
#include "fs_describe.h"
#include "fs_perm.h"
#include "tap.h"

/* The real declaration of leave requests, so the test checks the permissions as shipped. */
#define main leave_requests_main
#include "../../cgi-bin/leave-requests.c"
#undef main

int
main(void)
{
	struct fs_membership ann_m[] = { { "north", ROLE_REP }, { "south", ROLE_MANAGER } };
	struct fs_membership hr_m[] = { { "north", ROLE_HR }, { "north", ROLE_REP } };
	struct fs_membership fin_m[] = { { "north", ROLE_FINANCE } };
	struct fs_user ann = { .login = "ann", .n = 2, .m = ann_m };
	struct fs_user hr = { .login = "hana", .n = 2, .m = hr_m };
	struct fs_user fin = { .login = "fred", .n = 1, .m = fin_m };
	struct fs_user admin = { .login = "root", .admin = true };
	struct fs_error err = FS_ERROR_INIT;
	char *all, *own;
	bool everywhere;

	/* Reads. */
	ok(fs_perm_allows(&leave_requests, &ann, FS_OP_READ, &(struct fs_perm_row){ "north", "ann", NULL, NULL }),
	    "a rep reads their own leave request");
	ok(!fs_perm_allows(&leave_requests, &ann, FS_OP_READ, &(struct fs_perm_row){ "north", "bob", NULL, NULL }),
	    "a rep does not read someone else's");
	ok(fs_perm_allows(&leave_requests, &ann, FS_OP_READ, &(struct fs_perm_row){ "south", "bob", NULL, NULL }),
	    "the same user as manager of another branch reads every request there");
	ok(!fs_perm_allows(&leave_requests, &ann, FS_OP_READ, &(struct fs_perm_row){ "east", "ann", NULL, NULL }),
	    "nothing in a branch not held, not even one's own");
	ok(!fs_perm_allows(&leave_requests, &fin, FS_OP_READ, &(struct fs_perm_row){ "north", "fred", NULL, NULL }),
	    "finance reads no leave request at all");
	ok(fs_perm_allows(&leave_requests, &admin, FS_OP_DELETE, &(struct fs_perm_row){ "x", NULL, "approved", NULL }),
	    "admin may do everything everywhere");

	/* Writes and statuses. */
	ok(fs_perm_allows(&leave_requests, &ann, FS_OP_CREATE, &(struct fs_perm_row){ "north", "ann", NULL, "pending" }),
	    "a rep files their own request");
	ok(!fs_perm_allows(&leave_requests, &ann, FS_OP_CREATE, &(struct fs_perm_row){ "north", "bob", NULL, "pending" }),
	    "a rep cannot file in someone else's name");
	ok(!fs_perm_allows(&leave_requests, &ann, FS_OP_CREATE, &(struct fs_perm_row){ "north", "ann", NULL, "approved" }),
	    "a rep cannot file an approved request");
	ok(fs_perm_allows(&leave_requests, &ann, FS_OP_UPDATE, &(struct fs_perm_row){ "north", "ann", "pending", "cancelled" }),
	    "a rep cancels their own pending request");
	ok(!fs_perm_allows(&leave_requests, &ann, FS_OP_UPDATE, &(struct fs_perm_row){ "north", "ann", "pending", "approved" }),
	    "a rep cannot approve their own request");
	ok(!fs_perm_allows(&leave_requests, &ann, FS_OP_UPDATE, &(struct fs_perm_row){ "north", "ann", "approved", "cancelled" }),
	    "a rep cannot change a request that was decided");
	ok(!fs_perm_allows(&leave_requests, &ann, FS_OP_DELETE, &(struct fs_perm_row){ "north", "ann", "pending", NULL }),
	    "a rep deletes nothing");
	ok(fs_perm_allows(&leave_requests, &ann, FS_OP_UPDATE, &(struct fs_perm_row){ "south", "bob", "pending", "approved" }),
	    "a manager approves a pending request in their branch");
	ok(!fs_perm_allows(&leave_requests, &ann, FS_OP_UPDATE, &(struct fs_perm_row){ "south", "bob", "pending", "cancelled" }),
	    "a manager may only decide");
	ok(!fs_perm_allows(&leave_requests, &ann, FS_OP_CREATE, &(struct fs_perm_row){ "south", "ann", NULL, "pending" }),
	    "a manager files no leave request for the branch they manage");
	ok(fs_perm_allows(&leave_requests, &hr, FS_OP_UPDATE, &(struct fs_perm_row){ "north", "bob", "approved", "rejected" }),
	    "hr changes any request in any status");
	ok(fs_perm_may(&leave_requests, &ann, FS_OP_CREATE, "north") && !fs_perm_may(&leave_requests, &ann, FS_OP_CREATE, "east"),
	    "may: creating in a held branch, not in another");

	/* Branch sets for SQL. */
	is_int(fs_perm_branches(&leave_requests, &ann, FS_OP_READ, &all, &own, &everywhere, &err), FS_OK, "branches");
	is_str(all, "{\"south\"}", "reads every row where manager");
	is_str(own, "{\"north\"}", "reads own rows where rep");
	ok(!everywhere, "a rep is not everywhere");
	free(all);
	free(own);
	fs_perm_branches(&leave_requests, &hr, FS_OP_READ, &all, &own, &everywhere, &err);
	is_str(all, "{\"north\"}", "hr and rep in one branch: hr's wider grant wins");
	is_str(own, "{}", "... and the branch is not listed twice");
	free(all);
	free(own);
	fs_perm_branches(&leave_requests, &fin, FS_OP_READ, &all, &own, &everywhere, &err);
	is_str(all, "{}", "finance: no branch for leave requests");
	free(all);
	free(own);
	fs_perm_branches(&leave_requests, &admin, FS_OP_READ, &all, &own, &everywhere, &err);
	ok(everywhere && !all && !own, "admin: everywhere, no sets");
	{
		struct fs_membership odd_m[] = { { "a\"b\\c", ROLE_HR } };
		struct fs_user odd = { .login = "o", .n = 1, .m = odd_m };

		fs_perm_branches(&leave_requests, &odd, FS_OP_READ, &all, &own, &everywhere, &err);
		is_str(all, "{\"a\\\"b\\\\c\"}", "quotes and backslashes in a branch are escaped");
		free(all);
		free(own);
	}
	/*
	 * The feed and the relay check with the declaration read back from its --describe: every
	 * combination must give the same answer as the compiled one.
	 */
	{
		char *text = fs_describe(&leave_requests);
		struct fs_declared d;
		const struct fs_user *users[] = { &ann, &hr, &fin, &admin };
		const char *branches[] = { "north", "south", "east" }, *owners[] = { "ann", "bob", NULL };
		const char *statuses[] = { "pending", "approved", "cancelled", NULL };
		const unsigned ops[] = { FS_OP_READ, FS_OP_CREATE, FS_OP_UPDATE, FS_OP_DELETE };
		int same = 1, checked = 0;

		is_int(fs_declared_parse(&d, text, &err), FS_OK, "the description reads back");
		is_str(d.res.owner, "employee", "with its owner column");
		for (size_t u = 0; u < 4; u++)
			for (size_t o = 0; o < 4; o++)
				for (size_t b = 0; b < 3; b++)
					for (size_t w = 0; w < 3; w++)
						for (size_t s1 = 0; s1 < 4; s1++)
							for (size_t s2 = 0; s2 < 4; s2++) {
								struct fs_perm_row row = { branches[b], owners[w],
								    statuses[s1], statuses[s2] };
								same &= fs_perm_allows(&leave_requests, users[u], ops[o], &row)
								    == fs_perm_allows(&d.res, users[u], ops[o], &row);
								checked++;
							}
		ok(same, "the same answer as the compiled declaration in all %d cases", checked);
		fs_declared_release(&d);
		free(text);
		is_int(fs_declared_parse(&d, "{\"kind\":\"feed\"}", &err), ERR_INVALID_VALUE,
		    "a description without permissions is refused");
		fs_declared_release(&d);
	}
	return done_testing();
}
