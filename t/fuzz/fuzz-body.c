/*
 * fuzz-body.c - a write's body: fs_json_parse, then the checks a POST or PUT runs on it
 * against a shipped declaration (lib/fs_write.c's check_new_row and check_body).
 *
 * Input: "<resource path> <create|update>\n<body>". What passes must print to JSON that
 * parses exactly again and passes the same checks again: it is what PostgreSQL receives.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fs_auth.h"
#include "fs_json.h"
#include "fs_rights.h"
#include "fs_validate.h"
#include "resources.h"

static struct fs_membership memberships[] = { { "north", ROLE_REP }, { "south", ROLE_MANAGER } };
static const struct fs_user user = { .id = "00000000-0000-4000-8000-000000000001",
	.login = "ann", .n = 2, .m = memberships };

/* What lib/fs_write.c checks of one new row. */
static enum fs_err
check_new_row(const struct fs_resource *res, cJSON *row, struct fs_error *err)
{
	if (fs_rights_owner(res, &user, row, err) != FS_OK
	    || fs_validate_row(res, row, FS_CREATE, err) != FS_OK
	    || fs_rights_approver(res, &user, row, NULL, err) != FS_OK)
		return err->code;
	return fs_rights_create(res, &user, row, err);
}

/* ROW passed as KIND: printed, it parses again and passes fs_validate_row again. */
static void
check_passed(const struct fs_resource *res, const cJSON *row, enum fs_write_kind kind)
{
	struct fs_error err = FS_ERROR_INIT;
	char *text = fs_json_print(row);
	cJSON *again;

	fuzz_assert(text != NULL, "a checked row prints");
	again = fs_json_parse(text, strlen(text), &err);
	fuzz_assert(again != NULL, "a checked row prints as JSON fs_json_parse takes");
	fuzz_assert(fs_validate_row(res, again, kind, &err) == FS_OK,
	    "a checked row passes its checks again");
	cJSON_Delete(again);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fs_error err = FS_ERROR_INIT;
	const char *line, *sp;
	const struct fs_resource *res;
	enum fs_write_kind kind;
	size_t len;
	char *body = fuzz_split(data, size, &line, &len);
	cJSON *tree;

	if (!body)
		return 0;
	sp = memchr(line, ' ', len);
	res = sp ? fuzz_resource(line, (size_t)(sp - line)) : NULL;
	if (!res || len - (size_t)(sp - line) != 7) {
		free(body);
		return 0;
	}
	if (memcmp(sp, " create", 7) == 0)
		kind = FS_CREATE;
	else if (memcmp(sp, " update", 7) == 0)
		kind = FS_UPDATE;
	else {
		free(body);
		return 0;
	}
	/* The body as the worker reads it: its length, NULs and all. */
	tree = fs_json_parse(body, size - len - 1, &err);
	if (!tree) {
		fuzz_assert(err.code != FS_OK, "a refused body says why");
	} else if (kind == FS_CREATE && cJSON_IsArray(tree)) {
		for (cJSON *row = tree->child; row && err.code == FS_OK; row = row->next)
			if (check_new_row(res, row, &err) == FS_OK)
				check_passed(res, row, FS_CREATE);
	} else if (kind == FS_CREATE) {
		if (check_new_row(res, tree, &err) == FS_OK)
			check_passed(res, tree, FS_CREATE);
	} else if (fs_validate_row(res, tree, FS_UPDATE, &err) == FS_OK) {
		check_passed(res, tree, FS_UPDATE);
	}
	if (err.code != FS_OK)
		fuzz_check_error_json(&err);
	fs_error_clear(&err);
	cJSON_Delete(tree);
	free(body);
	return 0;
}
