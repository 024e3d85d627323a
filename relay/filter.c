/* filter.c - parses and applies a stream's types= filter. */
#include <stdlib.h>
#include <string.h>

#include "filter.h"

#define MAX_TYPES 1000

/* Whether the N bytes at S are a word of lowercase letters and "_" (UNDERSCORE allowed). */
static int
is_word(const char *s, size_t n, int underscore)
{
	if (n == 0 || n > 64)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (underscore && s[i] == '_')))
			return 0;
	return 1;
}

/* Whether the N bytes at S are one entry: "*", "table:*" or "table:action". */
static int
is_entry(const char *s, size_t n)
{
	const char *colon = memchr(s, ':', n);
	size_t left;

	if (n == 1 && s[0] == '*')
		return 1;
	if (!colon)
		return 0;
	left = (size_t)(colon - s);
	if (!is_word(s, left, 1))
		return 0;
	return (n - left - 1 == 1 && colon[1] == '*') || is_word(colon + 1, n - left - 1, 0);
}

char *
filter_parse(const char *types, int *malformed)
{
	size_t len = strlen(types);
	const char *p = types, *end = types + len, *comma;
	char *copy;

	*malformed = 1;
	if (len == 0 || len > MAX_TYPES)
		return NULL;
	for (;;) {
		comma = memchr(p, ',', (size_t)(end - p));
		if (!is_entry(p, (size_t)((comma ? comma : end) - p)))
			return NULL;
		if (!comma)
			break;
		p = comma + 1;
	}
	*malformed = 0;
	copy = strdup(types);
	return copy;
}

/* Whether one ENTRY (N bytes) matches TYPE (LEN bytes). */
static int
entry_match(const char *entry, size_t n, const char *type, size_t len)
{
	if (n == 1 && entry[0] == '*')
		return 1;
	if (n >= 2 && entry[n - 1] == '*')	/* "table:*": same table, any action */
		return len > n - 1 && memcmp(entry, type, n - 1) == 0;
	return n == len && memcmp(entry, type, n) == 0;
}

int
filter_match(const char *filter, const char *type, size_t len)
{
	const char *p = filter, *comma;

	if (!filter)
		return 1;
	for (;;) {
		comma = strchr(p, ',');
		if (entry_match(p, comma ? (size_t)(comma - p) : strlen(p), type, len))
			return 1;
		if (!comma)
			return 0;
		p = comma + 1;
	}
}
