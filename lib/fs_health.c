/* fs_health.c - /api/health: the database, its schema, and the socket of every service. */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "fs_health.h"
#include "fs_schema_version.h"

enum stmt { ST_SCHEMA, ST__MAX };
static const struct fs_pg_stmt stmts[ST__MAX] = {
	[ST_SCHEMA] = { "health_schema", "SELECT coalesce(max(version), '') FROM schema_migrations", 0 },
};

enum fs_err
fs_health_init(struct fs_worker *w)
{
	return fs_pg_add(&w->db.pg, stmts, ST__MAX);
}

bool
fs_socket_folder(int fd, char *dir, char *self, size_t size)
{
	struct sockaddr_un a;
	socklen_t len = sizeof(a);
	char *slash;

	memset(&a, 0, sizeof(a));
	if (fd < 0 || getsockname(fd, (struct sockaddr *)&a, &len) < 0 || a.sun_family != AF_UNIX
	    || !a.sun_path[0])
		return false;
	a.sun_path[sizeof(a.sun_path) - 1] = '\0';
	if (!(slash = strrchr(a.sun_path, '/')) || strlen(a.sun_path) >= size)
		return false;
	snprintf(self, size, "%s", slash + 1);
	*slash = '\0';
	snprintf(dir, size, "%s", a.sun_path[0] ? a.sun_path : "/");
	return true;
}

/* Whether something accepts on the unix socket PATH: "up", "busy" (its backlog is full) or "down". */
static const char *
probe(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	size_t n = strlen(path);
	int fd, rc, e;

	if (n >= sizeof(a.sun_path))
		return "down";
	memcpy(a.sun_path, path, n + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0)
		return "down";
	rc = connect(fd, (struct sockaddr *)&a, sizeof(a));
	e = errno;
	close(fd);
	return rc == 0 ? "up" : e == EAGAIN ? "busy" : "down";
}

/* A socket file of a service: NAME.sock, no hidden file (PostgreSQL's .s.PGSQL.* among them). */
static int
is_service(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return d->d_name[0] != '.' && n > 5 && strcmp(d->d_name + n - 5, ".sock") == 0;
}

/* Adds {"<name>": "up"|"busy"|"down"} for every socket beside REQ's own to DOC; false if one is not up. */
static bool
add_services(cJSON *doc, const struct fs_request *req)
{
	char dir[sizeof(((struct sockaddr_un *)NULL)->sun_path)], self[sizeof(dir)], path[512];
	struct dirent **list = NULL;
	cJSON *services;
	bool all_up = true;
	int n;

	if (!req->fcgx || !fs_socket_folder(req->fcgx->listen_sock, dir, self, sizeof(dir))
	    || (n = scandir(dir, &list, is_service, alphasort)) < 0)
		return true;
	services = cJSON_AddObjectToObject(doc, "services");
	for (int i = 0; i < n; i++) {
		const char *name = list[i]->d_name, *state;

		if (services && strcmp(name, self) != 0) {
			/* A path too long for a socket is no socket anyone listens on. */
			state = snprintf(path, sizeof(path), "%s/%s", dir, name) < (int)sizeof(path) ? probe(path) : "down";
			all_up &= strcmp(state, "up") == 0;
			list[i]->d_name[strlen(name) - 5] = '\0';	/* the service, without ".sock" */
			if (!cJSON_AddStringToObject(services, name, state))
				all_up = false;
		}
		free(list[i]);
	}
	free(list);
	return services && all_up;
}

void
fs_health_handle(struct fs_worker *w, struct fs_request *req)
{
	struct fs_error err = FS_ERROR_INIT;
	const char *status = "ok", *database = "ok";
	PGresult *r = NULL;
	cJSON *doc, *schema, *state;
	enum fs_err rc;
	char *text;

	if (req->method == M_OPTIONS) {
		fs_http_preflight(req);
		return;
	}
	if (req->method != M_GET && req->method != M_HEAD) {
		fs_error_set(&req->err, ERR_METHOD_NOT_ALLOWED, NULL, "/api/health takes GET");
		return;
	}
	rc = fs_pg_exec(&w->db.pg, &stmts[ST_SCHEMA], NULL, &r, &err);
	doc = cJSON_CreateObject();
	state = cJSON_AddStringToObject(doc, "status", "");	/* first: what one reads at a glance */
	schema = cJSON_AddObjectToObject(doc, "schema");
	if (rc == FS_OK) {
		const char *have = PQgetvalue(r, 0, 0);
		int cmp = strcmp(have, FS_SCHEMA_VERSION);

		cJSON_AddStringToObject(schema, "database", have);
		if (cmp != 0)
			status = fs_error_name(cmp < 0 ? ERR_SCHEMA_OUTDATED : ERR_SCHEMA_NEWER);
	} else if (rc == ERR_SCHEMA_OUTDATED || rc == ERR_SCHEMA_NEWER) {
		status = fs_error_name(rc);	/* refused at connection: fs_pg logged the versions */
	} else {
		status = database = "unavailable";
	}
	PQclear(r);
	fs_error_clear(&err);
	cJSON_AddStringToObject(schema, "build", FS_SCHEMA_VERSION);
	cJSON_AddStringToObject(doc, "database", database);
	if (!add_services(doc, req) && strcmp(status, "ok") == 0)
		status = "degraded";
	if (!state || !schema || !cJSON_SetValuestring(state, status) || !(text = cJSON_PrintUnformatted(doc))) {
		fs_error_set(&req->err, ERR_INTERNAL, NULL, "out of memory");
		cJSON_Delete(doc);
		return;
	}
	cJSON_Delete(doc);
	fs_response_take(req, strcmp(status, "ok") == 0 ? 200 : 503, text, strlen(text));
}
