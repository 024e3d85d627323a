/*
 * fs_resource.h - a resource is data: its table, columns, filters and sort key.
 *
 * Each cgi-bin/<name>.c declares one `static const struct fs_resource` and hands it
 * to fs_serve(). The engine derives every SQL statement, every validation and every
 * filter from it; no resource has SQL or JSON code of its own. Lookups over a
 * declaration live in fs_model.h.
 */
#ifndef FS_RESOURCE_H
#define FS_RESOURCE_H

#include <stdbool.h>
#include <stddef.h>

/* The JSON shape and SQL type of a column. */
enum fs_coltype {
	COL_TEXT,	/* JSON string, SQL text */
	COL_ENUM,	/* JSON string from a fixed set, SQL text with a CHECK */
	COL_UUID,	/* JSON string, SQL uuid */
	COL_DATE,	/* JSON string YYYY-MM-DD, SQL date */
	COL_TIMESTAMP,	/* JSON string ISO 8601, SQL timestamptz */
	COL_INT,	/* JSON integral number, SQL integer */
	COL_NUMERIC,	/* JSON number or decimal string ("1500.50"), SQL numeric */
	COL_DOUBLE,	/* JSON number, SQL double precision */
	COL_OBJECT,	/* JSON object, SQL jsonb */
	COL_ARRAY,	/* JSON array, SQL jsonb */
	COL__MAX
};

/* Column flags. */
#define COL_REQUIRED	0x1	/* must be present and non-null on create */
#define COL_HAS_MIN	0x2	/* value >= min (or > min with COL_MIN_EXCLUSIVE) */
#define COL_HAS_MAX	0x4	/* value <= max */
#define COL_MIN_EXCLUSIVE 0x8
#define COL_UNIQUE	0x10	/* no two rows share a value (a UNIQUE constraint) */
#define COL_READONLY	0x20	/* set by the server only (created_at, updated_at, version) */

struct fs_column {
	const char *name;	/* column and JSON field name */
	enum fs_coltype type;
	unsigned flags;		/* COL_* flags */
	const char *const *values; /* COL_ENUM: NULL-terminated allowed values */
	const char *dflt;	/* value used on create when absent or null */
	double min, max;	/* numeric range, see flags */
	int max_len;		/* COL_TEXT: longest accepted string in bytes; 0 = 1000 */
	int scale;		/* COL_NUMERIC: most decimal places accepted; 0 = any */
	const char *rule;	/* words for the database rule on this field, for errors */
	const char *example;	/* JSON text of a valid value (docs, forms, tests); NULL for references */
	const char *references;	/* COL_UUID: path of the resource it points to, or NULL */
	int precision;		/* COL_NUMERIC: most significant digits in all (numeric(p, s)); 0 = any */
};

/* How a filter narrows a list. */
enum fs_filterkind {
	FILTER_EQ,	/* column = value */
	FILTER_SEARCH,	/* any of columns ILIKE %value% */
	FILTER_DAY,	/* the timestamp or date column falls on that day */
	FILTER_SPAN,	/* columns[0] <= day <= columns[1] (columns[1] may be null) */
	FILTER__MAX
};

#define FS_FILTER_COLUMNS 4

struct fs_filter {
	const char *name;	/* query parameter */
	enum fs_filterkind kind;
	const char *columns[FS_FILTER_COLUMNS]; /* NULL-terminated */
};

/* What a role may do with a resource's rows (fs_grant.ops; fs_perm.h checks them). */
#define FS_OP_READ		0x1
#define FS_OP_CREATE	0x2
#define FS_OP_UPDATE	0x4
#define FS_OP_DELETE	0x8
#define FS_OP_WRITE	(FS_OP_CREATE | FS_OP_UPDATE | FS_OP_DELETE)

/*
 * What one role may do with the resource in each branch where a user holds it. admin is not
 * listed: it may do everything everywhere. A role not listed may do nothing (not even read).
 */
struct fs_grant {
	const char *role;		/* "rep", "manager", "finance" or "hr" */
	unsigned ops;			/* FS_OP_READ, FS_OP_CREATE, FS_OP_UPDATE, FS_OP_DELETE */
	unsigned own;			/* of OPS, those only on the user's own rows (fs_resource.owner) */
	const char *const *sets;	/* statuses it may give a row (create, update); NULL: any */
	const char *const *while_in;	/* it may update or delete a row only in these statuses; NULL: any */
};

/*
 * One resource. Everything the engine, the nginx snippet, the browser library, the demo
 * page and the tests know of it comes from here (`<path>.fcgi --describe` prints it).
 */
struct fs_resource {
	const char *table;	/* SQL table, also the event prefix */
	const char *path;	/* URL segment under /api/, the binary's and the socket's name */
	const char *noun;	/* one row, for people ("client", "stock request") */
	const char *label;	/* the column a row is known by in a list */
	const struct fs_column *columns; /* domain columns, {NULL} terminated; branch is implied */
	const struct fs_filter *filters; /* besides branch, {NULL} terminated */
	const char *sort;	/* keyset sort column (NOT NULL in the table) */
	bool sort_desc;		/* newest first */
	const struct fs_grant *grants;	/* who may do what, {NULL} terminated */
	const char *owner;	/* the column naming the user a row is of (set from the session), or NULL */
	const char *approver;	/* the column set to the user who approves a row, or NULL */
	const char *approved;	/* the status that means approved (then approver is set) */
};

#endif
