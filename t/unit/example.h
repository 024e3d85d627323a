/* example.h - a resource declaration with one column of every type, for the unit tests. */
#ifndef EXAMPLE_H
#define EXAMPLE_H

#include "fs_resource.h"

static const char *const example_statuses[] = { "open", "closed", NULL };

static const struct fs_column example_columns[] = {
	{ .name = "name", .type = COL_TEXT, .flags = COL_REQUIRED, .max_len = 10 },
	{ .name = "status", .type = COL_ENUM, .values = example_statuses, .dflt = "open" },
	{ .name = "owner_id", .type = COL_UUID },
	{ .name = "due_on", .type = COL_DATE },
	{ .name = "starts_on", .type = COL_DATE },
	{ .name = "seen_at", .type = COL_TIMESTAMP },
	{ .name = "count", .type = COL_INT, .flags = COL_HAS_MIN | COL_HAS_MAX, .min = 1, .max = 9,
	  .dflt = "3" },
	{ .name = "amount", .type = COL_NUMERIC, .flags = COL_HAS_MIN | COL_MIN_EXCLUSIVE, .min = 0,
	  .scale = 2 },
	{ .name = "lat", .type = COL_DOUBLE, .flags = COL_HAS_MIN | COL_HAS_MAX, .min = -90, .max = 90 },
	{ .name = "extra", .type = COL_OBJECT },
	{ .name = "items", .type = COL_ARRAY, .rule = "must be a list of things" },
	{ .name = NULL },
};

static const struct fs_filter example_filters[] = {
	{ "status", FILTER_EQ, { "status" } },
	{ "search", FILTER_SEARCH, { "name", "status" } },
	{ "date", FILTER_DAY, { "seen_at" } },
	{ "owner_id", FILTER_EQ, { "owner_id" } },
	{ "active_on", FILTER_SPAN, { "starts_on", "due_on" } },
	{ NULL, FILTER_EQ, { NULL } },
};

static const struct fs_resource example = {
	.table = "examples", .path = "examples", .columns = example_columns,
	.filters = example_filters, .sort = "seen_at", .sort_desc = true,
};

#endif
