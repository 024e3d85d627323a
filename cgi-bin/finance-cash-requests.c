/* finance-cash-requests.fcgi - requests for cash, approved and paid by finance. */
#include "fs_serve.h"

static const char *const statuses[] = { "pending", "approved", "rejected", "paid", NULL };

static const struct fs_column columns[] = {
	{ .name = "requested_by", .type = COL_TEXT, .example = "\"carol\"" },
	{ .name = "amount", .type = COL_NUMERIC,
	  .flags = COL_REQUIRED | COL_HAS_MIN | COL_MIN_EXCLUSIVE | COL_HAS_MAX,
	  .min = 0, .max = 9999999999.99, .scale = 2, .example = "125.5", .precision = 12 },
	{ .name = "currency", .type = COL_TEXT, .dflt = "USD", .max_len = 3,
	  .rule = "must be a three-letter ISO 4217 code such as USD", .example = "\"ZAR\"" },
	{ .name = "purpose", .type = COL_TEXT, .flags = COL_REQUIRED,
	  .example = "\"Sample purpose\"" },
	{ .name = "needed_by", .type = COL_DATE, .example = "\"2026-12-03\"" },
	{ .name = "status", .type = COL_ENUM, .values = statuses, .dflt = "pending",
	  .example = "\"pending\"" },
	{ .name = "approved_by", .type = COL_TEXT, .flags = COL_READONLY },
	{ .name = NULL },
};

static const struct fs_filter filters[] = {
	{ "status", FILTER_EQ, { "status" } },
	{ "date", FILTER_DAY, { "created_at" } },
	{ "requested_by", FILTER_EQ, { "requested_by" } },
	{ NULL, FILTER_EQ, { NULL } },
};

static const char *const pending[] = { "pending", NULL };

static const struct fs_grant grants[] = {
	/* Money: a rep sees only their own requests; only finance decides and pays. */
	{ .role = "rep", .ops = FS_OP_READ | FS_OP_CREATE, .own = FS_OP_READ | FS_OP_CREATE,
	  .sets = pending },
	{ .role = "manager", .ops = FS_OP_READ | FS_OP_CREATE, .sets = pending },
	{ .role = "finance", .ops = FS_OP_READ | FS_OP_WRITE },
	{ .role = NULL },
};

static const struct fs_resource finance_cash_requests = {
	.table = "finance_cash_requests", .path = "finance-cash-requests",
	.noun = "cash request", .label = "purpose",
	.columns = columns, .filters = filters, .sort = "created_at", .sort_desc = true,
	.grants = grants, .owner = "requested_by", .approver = "approved_by", .approved = "approved",
};

int
main(int argc, char **argv)
{
	return fs_serve(argc, argv, &finance_cash_requests);
}
