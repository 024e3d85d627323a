/* leave-requests.fcgi - staff leave, requested and approved by HR. */
#include "fs_serve.h"

static const char *const types[] = { "annual", "sick", "unpaid", "other", NULL };
static const char *const statuses[] = { "pending", "approved", "rejected", "cancelled", NULL };

static const struct fs_column columns[] = {
	{ .name = "employee", .type = COL_TEXT,
	  .example = "\"Sample employee\"" },
	{ .name = "leave_type", .type = COL_ENUM, .values = types, .dflt = "annual",
	  .example = "\"annual\"" },
	{ .name = "start_date", .type = COL_DATE, .flags = COL_REQUIRED,
	  .example = "\"2026-12-20\"" },
	{ .name = "end_date", .type = COL_DATE, .flags = COL_REQUIRED,
	  .rule = "must not be before start_date", .example = "\"2026-12-24\"" },
	{ .name = "status", .type = COL_ENUM, .values = statuses, .dflt = "pending",
	  .example = "\"pending\"" },
	{ .name = "reason", .type = COL_TEXT, .max_len = 10000, .example = "\"holiday\"" },
	{ .name = "approved_by", .type = COL_TEXT, .flags = COL_READONLY },
	{ .name = NULL },
};

static const struct fs_filter filters[] = {
	{ "status", FILTER_EQ, { "status" } },
	{ "date", FILTER_SPAN, { "start_date", "end_date" } },
	{ "employee", FILTER_EQ, { "employee" } },
	{ NULL, FILTER_EQ, { NULL } },
};

static const char *const pending[] = { "pending", NULL };
static const char *const own_changes[] = { "pending", "cancelled", NULL };
static const char *const decisions[] = { "approved", "rejected", NULL };

static const struct fs_grant grants[] = {
	/* HR data: a rep sees and cancels only their own; a manager decides; finance sees none. */
	{ .role = "rep", .ops = FS_OP_READ | FS_OP_CREATE | FS_OP_UPDATE,
	  .own = FS_OP_READ | FS_OP_CREATE | FS_OP_UPDATE, .sets = own_changes, .while_in = pending },
	{ .role = "manager", .ops = FS_OP_READ | FS_OP_UPDATE, .sets = decisions, .while_in = pending },
	{ .role = "hr", .ops = FS_OP_READ | FS_OP_WRITE },
	{ .role = NULL },
};

static const struct fs_resource leave_requests = {
	.table = "leave_requests", .path = "leave-requests",
	.noun = "leave request", .label = "employee",
	.columns = columns, .filters = filters, .sort = "start_date", .sort_desc = true,
	.grants = grants, .owner = "employee", .approver = "approved_by", .approved = "approved",
};

int
main(int argc, char **argv)
{
	return fs_serve(argc, argv, &leave_requests);
}
