/* fs_changes.c - the changes feed over change_log. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs_changes.h"
#include "fs_query.h"

/*
 * The feed's query parameters, as a parameter table for fs_query_parse(): the implied
 * branch filter (slot 0), then since and types. The feed is no resource; this only
 * names what its query string may hold.
 */
static const struct fs_column no_columns[] = { { .name = NULL } };
static const struct fs_filter params_of_feed[] = {
	{ "since", FILTER_EQ, { "seq" } },
	{ "types", FILTER_EQ, { "type" } },
	{ NULL, FILTER_EQ, { NULL } },
};
static const struct fs_resource feed = {
	.table = "change_log", .path = "changes", .columns = no_columns, .filters = params_of_feed,
	.sort = "seq",
};
enum { SLOT_BRANCH, SLOT_SINCE, SLOT_TYPES };

/* The largest seq there can be: asked "since" it, the page is empty but head is known. */
#define SEQ_MAX "9223372036854775807"

/* Parses a seq (a whole number >= 0) into *OUT; returns 1 on success. */
static int
parse_seq(const char *text, long long *out)
{
	char *end;

	errno = 0;
	*out = strtoll(text, &end, 10);
	return !errno && end != text && !*end && *out >= 0 && text[0] != '+';
}

/* Whether ITEM is "<table>:<action>" or "<table>:*" with a lower-case table name. */
static int
valid_type(const char *item)
{
	static const char *const actions[] = { "*", "create", "update", "delete", NULL };
	size_t name = strspn(item, "abcdefghijklmnopqrstuvwxyz_");

	if (name == 0 || item[name] != ':')
		return 0;
	for (const char *const *a = actions; *a; a++)
		if (strcmp(item + name + 1, *a) == 0)
			return 1;
	return 0;
}

/*
 * Turns "clients:*,appointments:create" into the PostgreSQL array literal of LIKE patterns
 * "{clients:%,appointments:create}". Only valid_type() items pass, so the literal needs no
 * quoting. Returns a malloc'd string, or NULL with ERR set.
 */
static char *
type_patterns(const char *types, struct fs_error *err)
{
	size_t len = strlen(types);
	char *copy = strdup(types), *out = malloc(len + 3), *save = NULL, *item, *o = out;
	/* strtok_r would skip empty items: refuse them first. */
	int valid = len > 0 && types[0] != ',' && types[len - 1] != ',' && !strstr(types, ",,");

	if (!copy || !out) {
		free(copy);
		free(out);
		fs_error_set(err, ERR_INTERNAL, NULL, "out of memory");
		return NULL;
	}
	*o++ = '{';
	for (item = strtok_r(copy, ",", &save); valid && item; item = strtok_r(NULL, ",", &save)) {
		const char *action;

		valid = valid_type(item);
		if (!valid)
			break;
		action = strchr(item, ':') + 1;
		o += sprintf(o, "%s%.*s%s", o - out > 1 ? "," : "", (int)(action - item), item,
		    strcmp(action, "*") == 0 ? "%" : action);
	}
	o[0] = '}';
	o[1] = '\0';
	free(copy);
	if (!valid) {
		free(out);
		fs_error_set(err, ERR_INVALID_PARAMETER, "types",
		    "types must be a comma-separated list such as clients:*,appointments:create");
		return NULL;
	}
	return out;
}

/* Answers the page in R for a request whose cursor was SINCE (-1: none given). */
static void
answer_page(struct fs_request *req, const PGresult *r, long long since)
{
	struct fs_error *err = &req->err;
	long long horizon = atoll(PQgetvalue(r, 0, 3)), head = atoll(PQgetvalue(r, 0, 4));
	int more = PQgetvalue(r, 0, 1)[0] == 't';
	long long next = more ? atoll(PQgetvalue(r, 0, 2)) : head;
	char *body = NULL, headtext[32];

	if (since >= 0 && (since < horizon || since > head)) {
		snprintf(headtext, sizeof(headtext), "%lld", head);
		if (since > head)	/* a database restored from an older backup */
			fs_error_set(err, ERR_HISTORY_GONE, "since", "since %lld is ahead of the change log"
			    " (at %lld): reload every resource, then continue from error.head", since, head);
		else
			fs_error_set(err, ERR_HISTORY_GONE, "since", "changes up to %lld were pruned:"
			    " reload every resource, then continue from error.head", horizon);
		fs_error_attach(err, "head", strdup(headtext));
		return;
	}
	if (asprintf(&body, "{\"changes\":%s,\"next\":%lld,\"more\":%s}", PQgetvalue(r, 0, 0),
	    next, more ? "true" : "false") < 0) {
		fs_error_set(err, ERR_INTERNAL, NULL, "out of memory");
		return;
	}
	fs_response_take(req, 200, body, strlen(body));
}

/* GET and HEAD: one page of the feed. */
static void
read_feed(struct fs_worker *w, struct fs_request *req)
{
	struct fs_error *err = &req->err;
	struct fs_query q;
	char limit[16], *patterns = NULL;
	const char *params[4];
	long long since = -1;
	PGresult *r = NULL;

	if (fs_query_parse(&feed, req->query, FS_QUERY_LIST, w->cfg->page_default,
	    w->cfg->page_max, &q, err) != FS_OK)
		goto out;
	if (q.after_key) {
		fs_error_set(err, ERR_UNKNOWN_PARAMETER, "after", "the feed pages with since=, not after=");
		goto out;
	}
	if (q.values[SLOT_SINCE] && !parse_seq(q.values[SLOT_SINCE], &since)) {
		fs_error_set(err, ERR_INVALID_PARAMETER, "since", "since must be a seq, a whole number >= 0");
		goto out;
	}
	if (q.values[SLOT_TYPES] && !(patterns = type_patterns(q.values[SLOT_TYPES], err)))
		goto out;
	snprintf(limit, sizeof(limit), "%d", q.limit);
	params[0] = since >= 0 ? q.values[SLOT_SINCE] : SEQ_MAX;
	params[1] = limit;
	params[2] = patterns;
	params[3] = q.values[SLOT_BRANCH];
	r = fs_db_exec(&w->db, STMT_LIST, params, 0, err);
	if (r)
		answer_page(req, r, since);
out:
	PQclear(r);
	free(patterns);
	fs_query_release(&q);
}

void
fs_changes_handle(struct fs_worker *w, struct fs_request *req)
{
	switch (req->method) {
	case M_GET:
	case M_HEAD:
		read_feed(w, req);
		break;
	case M_OPTIONS:
		fs_http_preflight(req);
		break;
	default:
		fs_error_set(&req->err, ERR_METHOD_NOT_ALLOWED, NULL, "the changes feed is read-only");
		break;
	}
}
