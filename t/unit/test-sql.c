/*
 * test-sql.c - the SQL the engine generates, against golden files.
 *
 * Run with UPDATE_GOLDEN=1 to rewrite t/unit/golden/ after an intended change,
 * then review the diff.
 */
#include <stdlib.h>

#include "example.h"
#include "fs_model.h"
#include "fs_sql.h"
#include "tap.h"

/* The highest $n in TEXT. */
static int
max_param(const char *text)
{
	int max = 0;

	for (const char *p = strchr(text, '$'); p; p = strchr(p + 1, '$')) {
		int n = atoi(p + 1);
		if (n > max)
			max = n;
	}
	return max;
}

/* Reads the golden file for statement NAME; the caller frees it. */
static char *
read_golden(const char *name)
{
	char path[512], *text = NULL;
	size_t cap = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/examples.%s.sql", GOLDEN_DIR, name);
	if (getenv("UPDATE_GOLDEN"))
		return NULL;
	f = fopen(path, "r");
	if (!f)
		return NULL;
	if (getdelim(&text, &cap, '\0', f) < 0) {
		free(text);
		text = NULL;
	}
	fclose(f);
	if (text && *text && text[strlen(text) - 1] == '\n')
		text[strlen(text) - 1] = '\0';
	return text;
}

/* Writes TEXT as the golden file for NAME. */
static void
write_golden(const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/examples.%s.sql", GOLDEN_DIR, name);
	f = fopen(path, "w");
	if (f) {
		fprintf(f, "%s\n", text);
		fclose(f);
	}
}

/* Checks TEXT against the golden file NAME (or rewrites it), and its parameters against N. */
static void
check_golden(const char *name, const char *text, int n)
{
	char *golden = read_golden(name);

	if (getenv("UPDATE_GOLDEN"))
		write_golden(name, text);
	else
		is_str(text, golden, "%s matches its golden file", name);
	is_int(max_param(text), n, "%s uses exactly its declared parameters", name);
	ok(strchr(text, '"') == NULL, "%s has no quoted identifiers from input", name);
	free(golden);
}

/* The list of RES with PARTS, checked against the golden file NAME; the caller frees it. */
static char *
check_list(const struct fs_resource *res, unsigned parts, const char *name)
{
	int n = -1;
	char *text = fs_sql_list(res, parts, &n);

	ok(text != NULL, "list 0x%x built", parts);
	if (text && name)
		check_golden(name, text, n);
	else if (text)
		is_int(max_param(text), n, "list 0x%x uses exactly its declared parameters", parts);
	return text;
}

int
main(void)
{
	struct fs_sql sql;
	unsigned every = FS_LIST_FILTER(fs_model_nfilters(&example)) - 1;
	char *list;

	ok(fs_sql_build(&example, &sql) == 0, "statements built");
	for (int s = 0; s < STMT__MAX; s++)
		check_golden(fs_sql_name((enum fs_stmt)s), sql.text[s], sql.nparams[s]);

	/* The list with every part, and with none: each combination is a statement of its own. */
	list = check_list(&example, every, "list");
	ok(list && strstr(list, "(t.seen_at, t.id) < ($2::text::timestamptz, $3::uuid)") != NULL,
	    "descending keyset compares with <");
	ok(list && strstr(list, "(t.name ILIKE $7::text OR t.status ILIKE $7::text)") != NULL,
	    "search covers each of its columns");
	ok(list && strstr(list, "t.starts_on <= $10::date AND (t.due_on IS NULL") != NULL,
	    "span filter between two columns");
	ok(list && !strstr(list, "::text IS NULL") && !strstr(list, "::date IS NULL"), "no part is optional inside the statement");
	free(list);
	list = check_list(&example, 0, "list-none");
	ok(list && !strstr(list, "WHERE"), "nothing given, every row");
	free(list);
	list = check_list(&example, FS_LIST_FILTER(2), "list-search");
	ok(list && strstr(list, " WHERE (t.name ILIKE $2::text OR t.status ILIKE $2::text) ORDER BY"),
	    "one filter alone takes $2");
	free(list);
	for (unsigned parts = 0; parts <= every; parts++)
		free(check_list(&example, parts, NULL));
	ok(strstr(sql.text[STMT_INSERT], "ON CONFLICT (id) DO NOTHING") != NULL,
	    "insert tolerates a replayed id");
	ok(strstr(sql.text[STMT_UPDATE], "count = CASE WHEN $1::jsonb ? 'count' THEN p.count") != NULL,
	    "update only changes the fields sent");
	ok(strstr(sql.text[STMT_GET], "AND ($2::text[] IS NULL OR t.branch = ANY ($2::text[]))") != NULL,
	    "a row is read only in scope");
	ok(strstr(sql.text[STMT_LOCK], "FOR UPDATE") != NULL, "a row to change is locked first");
	fs_sql_release(&sql);

	/* With an owner column, the scope adds the branches of one's own rows and the login. */
	struct fs_resource owned = example;

	owned.owner = "name";
	ok(fs_sql_build(&owned, &sql) == 0, "statements of an owned resource built");
	ok(strstr(sql.text[STMT_GET], " OR (t.branch = ANY ($3::text[]) AND t.name = $4::text))") != NULL,
	    "own rows are in scope in the own-only branches");
	list = check_list(&owned, FS_LIST_SCOPED | FS_LIST_FILTER(0), NULL);
	ok(list && strstr(list, " WHERE (t.branch = ANY ($2::text[]) OR (t.branch = ANY ($3::text[])"
	    " AND t.name = $4::text)) AND t.branch = $5::text ORDER BY"), "the list takes the same scope");
	free(list);
	fs_sql_release(&sql);
	return done_testing();
}
