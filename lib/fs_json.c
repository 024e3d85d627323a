/* fs_json.c - exact JSON bodies: UTF-8, unique keys, numbers as sent. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs_formats.h"
#include "fs_json.h"

/* The number literals of a JSON text, in document order. */
struct literals {
	const char **start;
	size_t *len;
	size_t n, next;
};

/*
 * Finds every number literal of the valid JSON text BODY: outside strings, a number is
 * the only token that starts with '-' or a digit. Returns false when out of memory.
 */
static bool
scan_numbers(const char *body, size_t len, struct literals *lit)
{
	size_t cap = 0;

	memset(lit, 0, sizeof(*lit));
	for (size_t i = 0; i < len; i++) {
		if (body[i] == '"') {
			for (i++; i < len && body[i] != '"'; i++)
				if (body[i] == '\\')
					i++;
			continue;
		}
		if (body[i] != '-' && (body[i] < '0' || body[i] > '9'))
			continue;
		if (lit->n == cap) {
			size_t ncap = cap ? 2 * cap : 16;
			const char **s = realloc(lit->start, ncap * sizeof(*s));
			size_t *l = s ? realloc(lit->len, ncap * sizeof(*l)) : NULL;

			if (s)
				lit->start = s;
			if (!s || !l)
				return false;
			lit->len = l;
			cap = ncap;
		}
		lit->start[lit->n] = body + i;
		lit->len[lit->n] = strspn(body + i, "0123456789+-.eE");
		i += lit->len[lit->n++] - 1;
	}
	return true;
}

/* Orders key pointers by the keys' text. */
static int
by_key(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Sets ERR when the object O holds a key twice (sorted, so a huge object stays cheap). */
static enum fs_code
check_unique_keys(const cJSON *o, struct fs_error *err)
{
	size_t n = 0, i = 0;
	const char **keys;
	enum fs_code rc = FS_OK;

	for (const cJSON *c = o->child; c; c = c->next)
		n++;
	if (n < 2)
		return FS_OK;
	if (!(keys = malloc(n * sizeof(*keys))))
		return fs_error_set(err, ERR_INTERNAL, NULL, "out of memory");
	for (const cJSON *c = o->child; c; c = c->next)
		keys[i++] = c->string;
	qsort(keys, n, sizeof(*keys), by_key);
	for (i = 1; i < n && rc == FS_OK; i++)
		if (strcmp(keys[i - 1], keys[i]) == 0)
			rc = fs_error_set(err, ERR_MALFORMED_JSON, keys[i],
			    "the key \"%.60s\" is given twice in one object", keys[i]);
	free(keys);
	return rc;
}

/* Walks the tree under NODE in document order: unique keys, numbers to raw literals. */
static enum fs_code
walk(cJSON *node, struct literals *lit, struct fs_error *err)
{
	cJSON *c, *next;
	enum fs_code rc;

	if (cJSON_IsObject(node) && (rc = check_unique_keys(node, err)) != FS_OK)
		return rc;
	for (c = node->child; c; c = next) {
		next = c->next;
		if (cJSON_IsNumber(c)) {
			char text[64];
			size_t k = lit->next++;

			/* Cannot happen for a text cJSON accepted; refuse rather than guess. */
			if (k >= lit->n || lit->len[k] >= sizeof(text))
				return fs_error_set(err, ERR_INVALID_VALUE, c->string,
				    "a number is longer than %zu characters", sizeof(text) - 1);
			snprintf(text, sizeof(text), "%.*s", (int)lit->len[k], lit->start[k]);
			if ((rc = fs_json_set_number(node, c, text, err)) != FS_OK)
				return rc;
		} else if ((rc = walk(c, lit, err)) != FS_OK) {
			return rc;
		}
	}
	return FS_OK;
}

/* Whether the JSON text holds a \u0000 escape, which no text column can store. */
static bool
has_nul_escape(const char *body, size_t len)
{
	/* Backslashes only occur inside strings, so pairing them off is enough. */
	for (size_t i = 0; i + 1 < len; i++) {
		if (body[i] != '\\')
			continue;
		if (body[i + 1] == 'u' && i + 5 < len && strncmp(body + i + 2, "0000", 4) == 0)
			return true;
		i++;
	}
	return false;
}

/* Parses the checked text BODY; the whole of it must be one value. */
static cJSON *
parse_whole(const char *body, size_t len, struct fs_error *err)
{
	const char *end = NULL;
	cJSON *tree = cJSON_ParseWithLengthOpts(body, len, &end, 0);

	if (!tree) {
		end = cJSON_GetErrorPtr();
		fs_error_set(err, ERR_MALFORMED_JSON, NULL, "the body is not valid JSON (at byte %ld)",
		    end && end >= body ? (long)(end - body) : 0L);
		return NULL;
	}
	/* Whitespace may follow the value; anything else is a second value or garbage. */
	while (end && (size_t)(end - body) < len && strchr(" \t\r\n", *end))
		end++;
	if (!end || (size_t)(end - body) != len) {
		cJSON_Delete(tree);
		fs_error_set(err, ERR_MALFORMED_JSON, NULL, "unexpected bytes after the JSON value");
		return NULL;
	}
	return tree;
}

cJSON *
fs_json_parse(const char *body, size_t len, struct fs_error *err)
{
	struct literals lit;
	cJSON *tree;
	bool scanned;

	if (!body || len == 0) {
		fs_error_set(err, ERR_MALFORMED_JSON, NULL, "the body is empty; send a JSON object");
		return NULL;
	}
	if (memchr(body, '\0', len) || has_nul_escape(body, len)) {
		fs_error_set(err, ERR_MALFORMED_JSON, NULL, "the body holds a NUL character");
		return NULL;
	}
	if (!fs_is_utf8(body, len)) {
		fs_error_set(err, ERR_MALFORMED_JSON, NULL, "the body is not valid UTF-8");
		return NULL;
	}
	if (!(tree = parse_whole(body, len, err)))
		return NULL;
	scanned = scan_numbers(body, len, &lit);
	if (!scanned)
		fs_error_set(err, ERR_INTERNAL, NULL, "out of memory");
	/* A bare number as the whole body is refused later as the wrong type. */
	if (!scanned || walk(tree, &lit, err) != FS_OK) {
		cJSON_Delete(tree);
		tree = NULL;
	}
	free(lit.start);
	free(lit.len);
	return tree;
}

bool
fs_json_is_number(const cJSON *v)
{
	return cJSON_IsNumber(v) || cJSON_IsRaw(v);
}

const char *
fs_json_number_text(const cJSON *v, char *buf, size_t size)
{
	if (cJSON_IsRaw(v))
		return v->valuestring;
	if (!cJSON_IsNumber(v))
		return NULL;
	snprintf(buf, size, "%.17g", v->valuedouble);
	return buf;
}

enum fs_code
fs_json_set_number(cJSON *parent, cJSON *v, const char *text, struct fs_error *err)
{
	cJSON *raw = cJSON_CreateRaw(text);

	if (!raw)
		return fs_error_set(err, ERR_INTERNAL, NULL, "out of memory");
	/* The key moves over as it is (cJSON frees it with the node that holds it). */
	raw->string = v->string;
	raw->type |= v->type & cJSON_StringIsConst;
	v->string = NULL;
	cJSON_ReplaceItemViaPointer(parent, v, raw);
	return FS_OK;
}

char *
fs_json_print(const cJSON *v)
{
	char *text = cJSON_PrintUnformatted(v), *out = NULL;

	if (text) {
		/* Hand back memory the caller frees with free(), whatever cJSON's allocator. */
		out = strdup(text);
		cJSON_free(text);
	}
	return out;
}
