/* fs_ifmatch.c - If-Match taken as a row version. */
#include <stdio.h>
#include <string.h>

#include "fs_ifmatch.h"

enum fs_err
fs_ifmatch_parse(const char *value, char *version, size_t size, struct fs_error *err)
{
	const char *m = value;
	size_t n;

	version[0] = '\0';
	if (!m || strcmp(m, "*") == 0)
		return FS_OK;
	if (strncmp(m, "W/", 2) == 0)
		m += 2;
	if (*m == '"')
		m++;
	/* At most 9 digits: every such number is a version PostgreSQL's integer holds. */
	n = strspn(m, "0123456789");
	if (n == 0 || n >= 10 || (m[n] != '\0' && !(m[n] == '"' && m[n + 1] == '\0')))
		return fs_error_set(err, ERR_INVALID_PARAMETER, "If-Match",
		    "If-Match must be a version such as \"3\"");
	snprintf(version, size, "%.*s", (int)n, m);
	return FS_OK;
}
