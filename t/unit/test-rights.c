/* test-rights.c - the server's own fields and the row checks of writes, on a real declaration. */
#include <string.h>

#include "fs_rights.h"
#include "tap.h"

/* The real declaration of cash requests: an owner, an approver, own-only grants. */
#define main cash_requests_main
#include "../../cgi-bin/finance-cash-requests.c"
#undef main

/* The string member NAME of the object JSON after fs_rights_owner (CUR NULL: a POST) or
 * fs_rights_approver by U, or "(absent)". */
static char *
filled(const char *json, const struct fs_user *u, const struct fs_locked *cur, const char *name)
{
	static char out[128];
	cJSON *row = cJSON_Parse(json), *v;
	struct fs_error err = FS_ERROR_INIT;
	enum fs_err rc = strcmp(name, "approved_by") == 0
	    ? fs_rights_approver(&finance_cash_requests, u, row, cur, &err)
	    : fs_rights_owner(&finance_cash_requests, u, row, &err);

	out[0] = '\0';
	if (row && rc == FS_OK) {
		v = cJSON_GetObjectItemCaseSensitive(row, name);
		snprintf(out, sizeof(out), "%s", cJSON_IsString(v) ? v->valuestring : v ? "?" : "(absent)");
	}
	cJSON_Delete(row);
	fs_error_clear(&err);
	return out;
}

/* The error code of fs_rights_create by U on JSON, and its field into FIELD. */
static enum fs_err
create(const char *json, const struct fs_user *u, char *field)
{
	cJSON *row = cJSON_Parse(json);
	struct fs_error err = FS_ERROR_INIT;
	enum fs_err rc = fs_rights_create(&finance_cash_requests, u, row, &err);

	snprintf(field, 64, "%s", err.field);
	cJSON_Delete(row);
	fs_error_clear(&err);
	return rc;
}

/* The error code of fs_rights_change by U doing OP with FIELDS (JSON) on CUR. */
static enum fs_err
change(const struct fs_user *u, unsigned op, const struct fs_locked *cur, const char *fields)
{
	cJSON *f = fields ? cJSON_Parse(fields) : NULL;
	struct fs_error err = FS_ERROR_INIT;
	enum fs_err rc = fs_rights_change(&finance_cash_requests, u, op, cur, f, &err);

	cJSON_Delete(f);
	fs_error_clear(&err);
	return rc;
}

int
main(void)
{
	struct fs_membership rep_m[] = { { "north", ROLE_REP } };
	struct fs_membership fin_m[] = { { "north", ROLE_FINANCE }, { "south", ROLE_REP } };
	struct fs_user rep = { .login = "ann", .n = 1, .m = rep_m };
	struct fs_user fin = { .login = "fred", .n = 2, .m = fin_m };
	const struct fs_locked mine = { .branch = "north", .owner = "ann", .status = "pending" };
	const struct fs_locked approved = { .branch = "north", .owner = "ann", .status = "approved" };
	char buf[64], *field = buf;	/* a pointer: tap.h tests it against NULL */

	/* The server's fields. */
	is_str(filled("{\"branch\":\"north\"}", &rep, NULL, "requested_by"), "ann",
	    "a missing owner is the user who creates the row");
	is_str(filled("{\"requested_by\":\"bob\"}", &rep, NULL, "requested_by"), "bob",
	    "a named owner is kept, for the check to judge");
	is_str(filled("{\"status\":\"pending\"}", &rep, NULL, "approved_by"), "(absent)",
	    "no approver before an approval");
	is_str(filled("{\"status\":\"approved\",\"approved_by\":\"mallory\"}", &fin, &mine, "approved_by"),
	    "fred", "approving sets the approver from the session, over what was sent");
	is_str(filled("{\"status\":\"approved\"}", &fin, &approved, "approved_by"), "(absent)",
	    "saving an approved row again keeps its approver");
	is_str(filled("{\"status\":\"approved\"}", &fin, NULL, "approved_by"), "fred",
	    "a row created approved has its creator as approver");

	/* Creating. */
	is_int(create("{\"branch\":\"north\",\"requested_by\":\"ann\"}", &rep, field), FS_OK,
	    "a rep files a pending request of their own");
	is_int(create("{\"branch\":\"north\",\"requested_by\":\"bob\"}", &rep, field), ERR_FORBIDDEN,
	    "not in someone else's name");
	is_str(field, "requested_by", "... and the error names the owner");
	is_int(create("{\"branch\":\"south\",\"requested_by\":\"ann\"}", &rep, field), ERR_FORBIDDEN,
	    "not in a branch not held");
	is_str(field, "branch", "... and the error names the branch");
	is_int(create("{\"branch\":\"north\",\"requested_by\":\"ann\",\"status\":\"paid\"}", &rep, field),
	    ERR_FORBIDDEN, "not already paid");
	is_str(field, "status", "... and the error names the status");
	is_int(create("{\"branch\":\"north\",\"requested_by\":\"bob\",\"status\":\"paid\"}", &fin, field),
	    FS_OK, "finance files any request in its branch");

	/* Changing and deleting a locked row. */
	is_int(change(&rep, FS_OP_UPDATE, &mine, "{\"status\":\"approved\"}"), ERR_FORBIDDEN,
	    "a rep cannot approve their own request");
	is_int(change(&fin, FS_OP_UPDATE, &mine, "{\"status\":\"approved\"}"), FS_OK,
	    "finance approves it");
	is_int(change(&fin, FS_OP_UPDATE, &mine, "{\"branch\":\"south\"}"), ERR_FORBIDDEN,
	    "a move needs the right to write in the branch moved to");
	is_int(change(&fin, FS_OP_UPDATE, &mine, "{\"requested_by\":\"bob\"}"), FS_OK,
	    "finance may give a request to someone else");
	is_int(change(&rep, FS_OP_DELETE, &mine, NULL), ERR_FORBIDDEN, "a rep deletes nothing");
	is_int(change(&fin, FS_OP_DELETE, &approved, NULL), FS_OK, "finance deletes in its branch");
	return done_testing();
}
