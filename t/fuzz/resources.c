/* resources.c - the shipped declarations by path, and what every target shares. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs_error.h"
#include "fs_json.h"
#include "resources.h"

extern const struct fs_resource *const fuzz_appointments, *const fuzz_campaigns,
    *const fuzz_clients, *const fuzz_distributors, *const fuzz_finance_cash_requests,
    *const fuzz_leave_requests, *const fuzz_stock_requests, *const fuzz_visits;

/* Filled on first use: the declarations are other translation units' constants. */
static const struct fs_resource *all[8];
const size_t fuzz_nresources = sizeof(all) / sizeof(all[0]);

static void
load(void)
{
	if (all[0])
		return;
	all[0] = fuzz_appointments;
	all[1] = fuzz_campaigns;
	all[2] = fuzz_clients;
	all[3] = fuzz_distributors;
	all[4] = fuzz_finance_cash_requests;
	all[5] = fuzz_leave_requests;
	all[6] = fuzz_stock_requests;
	all[7] = fuzz_visits;
}

const struct fs_resource *
fuzz_resource_at(size_t i)
{
	load();
	return i < fuzz_nresources ? all[i] : NULL;
}

const struct fs_resource *
fuzz_resource(const char *path, size_t len)
{
	load();
	for (size_t i = 0; i < fuzz_nresources; i++)
		if (strlen(all[i]->path) == len && memcmp(all[i]->path, path, len) == 0)
			return all[i];
	return NULL;
}

char *
fuzz_split(const unsigned char *data, size_t size, const char **line, size_t *line_len)
{
	const unsigned char *nl = memchr(data, '\n', size);
	size_t rest;
	char *s;

	if (!nl)
		return NULL;
	*line = (const char *)data;
	*line_len = (size_t)(nl - data);
	rest = size - *line_len - 1;
	if (!(s = malloc(rest + 1)))
		return NULL;
	memcpy(s, nl + 1, rest);
	s[rest] = '\0';
	return s;
}

void
fuzz_fail(const char *what, const char *file, int line)
{
	fprintf(stderr, "%s:%d: invariant broken: %s\n", file, line, what);
	abort();
}

void
fuzz_check_error_json(const struct fs_error *err)
{
	struct fs_error again = FS_ERROR_INIT;
	char *json = fs_error_json(err);
	cJSON *tree;

	fuzz_assert(json != NULL, "fs_error_json answers");
	tree = fs_json_parse(json, strlen(json), &again);
	if (!tree)
		fprintf(stderr, "error body: %s\n", json);
	fuzz_assert(tree != NULL, "an error body is valid JSON (UTF-8, no repeated key)");
	cJSON_Delete(tree);
	fs_error_clear(&again);
	free(json);
}
