/* appointments.fcgi - scheduled meetings between reps and clients. */
#include "fs_serve.h"

static const char *const statuses[] = { "scheduled", "completed", "cancelled", "no_show", NULL };

static const struct fs_column columns[] = {
	{ .name = "client_id", .type = COL_UUID, .flags = COL_REQUIRED, .references = "clients" },
	{ .name = "scheduled_at", .type = COL_TIMESTAMP, .flags = COL_REQUIRED,
	  .example = "\"2026-12-01T09:30:00Z\"" },
	{ .name = "duration_minutes", .type = COL_INT, .flags = COL_HAS_MIN | COL_HAS_MAX,
	  .min = 1, .max = 1440, .dflt = "30", .example = "45" },
	{ .name = "assigned_to", .type = COL_TEXT, .example = "\"agent-ann\"" },
	{ .name = "purpose", .type = COL_TEXT, .example = "\"Sample appointment\"" },
	{ .name = "status", .type = COL_ENUM, .values = statuses, .dflt = "scheduled",
	  .example = "\"scheduled\"" },
	{ .name = "notes", .type = COL_TEXT, .max_len = 10000, .example = "\"bring samples\"" },
	{ .name = NULL },
};

static const struct fs_filter filters[] = {
	{ "date", FILTER_DAY, { "scheduled_at" } },
	{ "status", FILTER_EQ, { "status" } },
	{ "client_id", FILTER_EQ, { "client_id" } },
	{ "assigned_to", FILTER_EQ, { "assigned_to" } },
	{ NULL, FILTER_EQ, { NULL } },
};

static const struct fs_grant grants[] = {
	{ .role = "rep", .ops = FS_OP_READ | FS_OP_WRITE },
	{ .role = "manager", .ops = FS_OP_READ | FS_OP_WRITE },
	{ .role = "finance", .ops = FS_OP_READ },
	{ .role = NULL },
};

static const struct fs_resource appointments = {
	.table = "appointments", .path = "appointments", .noun = "appointment", .label = "purpose",
	.columns = columns, .filters = filters, .sort = "scheduled_at",
	.grants = grants,
};

int
main(int argc, char **argv)
{
	return fs_serve(argc, argv, &appointments);
}
