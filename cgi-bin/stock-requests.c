/* stock-requests.fcgi - stock ordered from distributors for a branch. */
#include "fs_serve.h"

static const char *const statuses[] = { "pending", "approved", "rejected", "fulfilled", NULL };

static const struct fs_column columns[] = {
	{ .name = "distributor_id", .type = COL_UUID, .references = "distributors" },
	{ .name = "requested_by", .type = COL_TEXT,
	  .example = "\"Sample requester\"" },
	{ .name = "items", .type = COL_ARRAY, .flags = COL_REQUIRED,
	  .rule = "must be a non-empty list of {sku, name, quantity > 0}",
	  .example = "[{\"sku\":\"SKU-1\",\"name\":\"Widget\",\"quantity\":3},"
	      "{\"sku\":\"SKU-2\",\"name\":\"Gadget\",\"quantity\":1}]" },
	{ .name = "needed_by", .type = COL_DATE, .example = "\"2026-12-05\"" },
	{ .name = "status", .type = COL_ENUM, .values = statuses, .dflt = "pending",
	  .example = "\"pending\"" },
	{ .name = "notes", .type = COL_TEXT, .max_len = 10000, .example = "\"urgent\"" },
	{ .name = "approved_by", .type = COL_TEXT, .flags = COL_READONLY },
	{ .name = NULL },
};

static const struct fs_filter filters[] = {
	{ "status", FILTER_EQ, { "status" } },
	{ "date", FILTER_DAY, { "created_at" } },
	{ "distributor_id", FILTER_EQ, { "distributor_id" } },
	{ NULL, FILTER_EQ, { NULL } },
};

static const char *const pending[] = { "pending", NULL };

static const struct fs_grant grants[] = {
	/* A rep files requests and may change their own while nobody has decided on them. */
	{ .role = "rep", .ops = FS_OP_READ | FS_OP_CREATE | FS_OP_UPDATE,
	  .own = FS_OP_CREATE | FS_OP_UPDATE, .sets = pending, .while_in = pending },
	{ .role = "manager", .ops = FS_OP_READ | FS_OP_WRITE },
	{ .role = "finance", .ops = FS_OP_READ },
	{ .role = NULL },
};

static const struct fs_resource stock_requests = {
	.table = "stock_requests", .path = "stock-requests",
	.noun = "stock request", .label = "requested_by",
	.columns = columns, .filters = filters, .sort = "created_at", .sort_desc = true,
	.grants = grants, .owner = "requested_by", .approver = "approved_by", .approved = "approved",
};

int
main(int argc, char **argv)
{
	return fs_serve(argc, argv, &stock_requests);
}
