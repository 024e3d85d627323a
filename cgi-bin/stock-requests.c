/* stock-requests.fcgi - stock ordered from distributors for a branch. */
#include "fs_serve.h"

static const char *const statuses[] = { "pending", "approved", "rejected", "fulfilled", NULL };

static const struct fs_column columns[] = {
	{ .name = "distributor_id", .type = COL_UUID },
	{ .name = "requested_by", .type = COL_TEXT, .flags = COL_REQUIRED },
	{ .name = "items", .type = COL_ARRAY, .flags = COL_REQUIRED,
	  .rule = "must be a non-empty list of {sku, name, quantity > 0}" },
	{ .name = "needed_by", .type = COL_DATE },
	{ .name = "status", .type = COL_ENUM, .values = statuses, .dflt = "pending" },
	{ .name = "notes", .type = COL_TEXT, .max_len = 10000 },
	{ .name = NULL },
};

static const struct fs_filter filters[] = {
	{ "status", FILTER_EQ, { "status" } },
	{ "date", FILTER_DAY, { "created_at" } },
	{ "distributor_id", FILTER_EQ, { "distributor_id" } },
	{ NULL, FILTER_EQ, { NULL } },
};

static const struct fs_resource stock_requests = {
	.table = "stock_requests", .path = "stock-requests",
	.columns = columns, .filters = filters, .sort = "created_at", .sort_desc = true,
};

int
main(int argc, char **argv)
{
	return fs_serve(argc, argv, &stock_requests);
}
