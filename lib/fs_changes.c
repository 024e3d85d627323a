/* fs_changes.c - the changes feed, on the change log layer (fs_changelog.h). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs_changes.h"
#include "fs_perm.h"
#include "fs_query.h"
#include "fs_types.h"

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

/* Parses a seq (a whole number >= 0) into *OUT; returns 1 on success. */
static int
parse_seq(const char *text, long long *out)
{
	char *end;

	errno = 0;
	*out = strtoll(text, &end, 10);
	return !errno && end != text && !*end && *out >= 0 && text[0] != '+';
}

/* Answers PAGE for a request whose cursor was SINCE (-1: none given), or history_gone. */
static void
answer_page(struct fs_request *req, const struct fs_changelog_page *page, long long since)
{
	struct fs_error *err = &req->err;
	char *body = NULL, head[32];

	if (since >= 0 && (since < page->horizon || since > page->head)) {
		snprintf(head, sizeof(head), "%lld", (long long)page->head);
		if (since > page->head)	/* a database restored from an older backup */
			fs_error_set(err, ERR_HISTORY_GONE, "since", "since %lld is ahead of the change log"
			    " (at %lld): reload every resource, then continue from error.head", since,
			    (long long)page->head);
		else
			fs_error_set(err, ERR_HISTORY_GONE, "since", "changes up to %lld were pruned:"
			    " reload every resource, then continue from error.head",
			    (long long)page->horizon);
		fs_error_attach(err, "head", strdup(head));
		return;
	}
	if (asprintf(&body, "{\"changes\":%s,\"next\":%lld,\"more\":%s}", page->changes,
	    (long long)page->next, page->more ? "true" : "false") < 0) {
		fs_error_set(err, ERR_INTERNAL, NULL, "out of memory");
		return;
	}
	fs_response_take(req, 200, body, strlen(body));
}

/* The LIKE patterns of the types= value TEXT (NULL: none given), into *PATTERNS. */
static enum fs_err
type_patterns(struct fs_worker *w, const char *text, char **patterns, struct fs_error *err)
{
	const struct fs_tables *known;
	struct fs_types types = { 0 };
	enum fs_err rc;

	*patterns = NULL;
	if (!text)
		return FS_OK;
	if ((rc = fs_changelog_tables(&w->log, &known, err)) == FS_OK
	    && (rc = fs_types_parse(&types, text, known, err)) == FS_OK)
		rc = fs_types_patterns(&types, patterns, err);
	fs_types_release(&types);
	return rc;
}

/* Adds to RIGHTS what U may read of table NAME (RES its permissions): {"all": …, "own": …}. */
static bool
add_rights(cJSON *rights, const char *name, const struct fs_resource *res, const struct fs_user *u,
    struct fs_error *err)
{
	char *all = NULL, *own = NULL;
	bool everywhere, ok;
	cJSON *t;

	if (fs_perm_branches(res, u, FS_OP_READ, &all, &own, &everywhere, err) != FS_OK)
		return false;
	ok = (t = cJSON_AddObjectToObject(rights, name)) && cJSON_AddStringToObject(t, "all", all)
	    && cJSON_AddStringToObject(t, "own", own);
	free(all);
	free(own);
	if (!ok)
		fs_error_set(err, ERR_INTERNAL, NULL, "out of memory");
	return ok;
}

/*
 * What W's user may read of the change log, as fs_changelog_range.rights, into *OUT (the
 * caller frees it; NULL for an admin: everything). A table whose workers recorded no
 * declaration is left out, so only an admin sees it. FS_OK or ERR.
 */
static enum fs_err
feed_rights(struct fs_worker *w, char **out, struct fs_error *err)
{
	const struct fs_tables *known;
	cJSON *rights;
	bool ok = true;

	*out = NULL;
	if (w->user->admin)
		return FS_OK;
	if (fs_changelog_tables(&w->log, &known, err) != FS_OK)
		return err->code;
	if (!(rights = cJSON_CreateObject()))
		return fs_error_set(err, ERR_INTERNAL, NULL, "out of memory");
	for (size_t i = 0; ok && i < known->n; i++) {
		const char *name = known->names[i];
		const struct fs_resource *res = fs_tables_resource(known, name, strlen(name));

		if (res)
			ok = add_rights(rights, name, res, w->user, err);
	}
	if (ok && !(*out = cJSON_PrintUnformatted(rights)))
		ok = fs_error_set(err, ERR_INTERNAL, NULL, "out of memory") == FS_OK;
	cJSON_Delete(rights);
	return ok ? FS_OK : err->code;
}

/* GET and HEAD: one page of the feed, of the entries its user may read. */
static void
read_feed(struct fs_worker *w, struct fs_request *req)
{
	struct fs_error *err = &req->err;
	struct fs_changelog_page page = { 0 };
	struct fs_query q;
	char *patterns = NULL, *rights = NULL;
	long long since = -1;

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
	if (type_patterns(w, q.values[SLOT_TYPES], &patterns, err) != FS_OK
	    || feed_rights(w, &rights, err) != FS_OK)
		goto out;
	/* Without since the page is empty, but the head is known: where the log is now. */
	const struct fs_changelog_range range = {
		.after = since >= 0 ? since : INT64_MAX, .upto = -1, .limit = q.limit,
		.patterns = patterns, .branch = q.values[SLOT_BRANCH],
		.rights = rights, .login = w->user->login, .max_bytes = w->cfg->page_max_bytes,
	};
	if (fs_changelog_page(&w->log, &range, &page, err) == FS_OK)
		answer_page(req, &page, since);
out:
	free(page.changes);
	free(patterns);
	free(rights);
	fs_query_release(&q);
}

void
fs_changes_handle(struct fs_worker *w, struct fs_request *req)
{
	w->user = NULL;
	if (req->method != M_OPTIONS && fs_auth_require(&w->auth, req, &w->user, &req->err) != FS_OK)
		return;
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
