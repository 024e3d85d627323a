/* fs_config.c - the INI file (through libinih) and the environment. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <ini.h>

#include "fs_config.h"
#include "fs_log.h"

void
fs_config_defaults(struct fs_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->connect_timeout = 1;
	cfg->connections = 64;
	cfg->statement_timeout = 10000;
	cfg->write_timeout = 20000;
	cfg->max_body = 1024 * 1024;
	cfg->page_default = 100;
	cfg->page_max = 10000;
	cfg->page_max_bytes = 4 * 1024 * 1024;
	cfg->max_json_field = 256 * 1024;
	cfg->max_batch = 1000;
	cfg->idempotency_ttl = 7L * 24 * 3600;
	snprintf(cfg->timezone, sizeof(cfg->timezone), "UTC");
	snprintf(cfg->metrics_allow, sizeof(cfg->metrics_allow), "127.0.0.1 ::1");
	cfg->retry_after = 2;
	cfg->retention_days = 30;
	snprintf(cfg->relay_listen, sizeof(cfg->relay_listen), "127.0.0.1:8091");
	cfg->ring_size = 10000;
	cfg->ring_bytes = 64 * 1024 * 1024;
	cfg->heartbeat = 15;
	cfg->client_buffer = 256 * 1024;
	cfg->poll_interval = 1000;
	cfg->max_clients = 10000;
	cfg->max_streams_per_address = 32;
	cfg->max_streams_per_user = 16;
	cfg->delivery_threads = 0;
	cfg->session_lifetime = 60L * 24 * 3600;
	cfg->session_idle = 14L * 24 * 3600;
	cfg->auth_cache_ms = 1000;
	cfg->login_max_failures = 5;
	cfg->login_lockout_max = 900;
	cfg->password_min_length = 10;
}

/* Parses a whole decimal number in [lo, hi] into *out; returns 1 on success. */
static int
parse_long(const char *text, long lo, long hi, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(text, &end, 10);
	if (errno || end == text || *end || v < lo || v > hi)
		return 0;
	*out = v;
	return 1;
}

/* Splits the space-separated VALUE into the origin allowlist. */
static int
set_origins(struct fs_config *cfg, const char *value)
{
	char buf[4096], *save = NULL, *tok;

	snprintf(buf, sizeof(buf), "%s", value);
	cfg->norigins = 0;
	for (tok = strtok_r(buf, " \t,", &save); tok; tok = strtok_r(NULL, " \t,", &save)) {
		if (cfg->norigins == FS_MAX_ORIGINS)
			return 0;
		snprintf(cfg->origins[cfg->norigins++], sizeof(cfg->origins[0]), "%s", tok);
	}
	return 1;
}

int
fs_config_set(struct fs_config *cfg, const char *section, const char *key, const char *value)
{
	long v;

#define IS(s, k) (strcmp(section, s) == 0 && strcmp(key, k) == 0)
#define COPY(dst) (snprintf(dst, sizeof(dst), "%s", value) < (int)sizeof(dst))
	if (IS("database", "url"))
		return COPY(cfg->database_url);
	if (IS("database", "connections"))
		return parse_long(value, 1, 100000, &v) ? (cfg->connections = (int)v, 1) : 0;
	if (IS("workers", "count"))
		return parse_long(value, 0, FS_MAX_WORKERS, &v) ? (cfg->workers = (int)v, 1) : 0;
	if (IS("database", "connect_timeout"))
		return parse_long(value, 1, 60, &v) ? (cfg->connect_timeout = (int)v, 1) : 0;
	if (IS("database", "statement_timeout"))
		return parse_long(value, 0, INT_MAX, &v) ? (cfg->statement_timeout = (int)v, 1) : 0;
	if (IS("database", "write_timeout"))
		return parse_long(value, 1, INT_MAX, &v) ? (cfg->write_timeout = (int)v, 1) : 0;
	if (IS("http", "max_body"))
		return parse_long(value, 1, LONG_MAX, &v) ? (cfg->max_body = (size_t)v, 1) : 0;
	if (IS("http", "page_default"))
		return parse_long(value, 1, 1000000, &v) ? (cfg->page_default = (int)v, 1) : 0;
	if (IS("http", "page_max"))
		return parse_long(value, 1, 1000000, &v) ? (cfg->page_max = (int)v, 1) : 0;
	if (IS("http", "page_max_bytes"))
		return parse_long(value, 1024, LONG_MAX, &v) ? (cfg->page_max_bytes = v, 1) : 0;
	if (IS("http", "max_batch"))
		return parse_long(value, 1, 1000000, &v) ? (cfg->max_batch = (int)v, 1) : 0;
	if (IS("http", "max_json_field"))
		return parse_long(value, 2, LONG_MAX, &v) ? (cfg->max_json_field = (size_t)v, 1) : 0;
	if (IS("http", "cors_origins"))
		return set_origins(cfg, value);
	if (IS("http", "idempotency_ttl"))
		return parse_long(value, 1, LONG_MAX, &v) ? (cfg->idempotency_ttl = v, 1) : 0;
	if (IS("http", "timezone"))
		return COPY(cfg->timezone);
	if (IS("http", "retry_after"))
		return parse_long(value, 0, 3600, &v) ? (cfg->retry_after = (int)v, 1) : 0;
	if (IS("events", "publish"))
		return COPY(cfg->publish);
	if (IS("events", "retention_days"))
		return parse_long(value, 1, 36500, &v) ? (cfg->retention_days = (int)v, 1) : 0;
	if (IS("relay", "listen"))
		return COPY(cfg->relay_listen);
	if (IS("relay", "sub"))
		return COPY(cfg->relay_sub);
	if (IS("relay", "ring_size"))
		return parse_long(value, 16, 10000000, &v) ? (cfg->ring_size = (int)v, 1) : 0;
	if (IS("relay", "ring_bytes"))
		return parse_long(value, 4096, LONG_MAX, &v) ? (cfg->ring_bytes = (size_t)v, 1) : 0;
	if (IS("relay", "heartbeat"))
		return parse_long(value, 1, 3600, &v) ? (cfg->heartbeat = (int)v, 1) : 0;
	if (IS("relay", "client_buffer"))
		return parse_long(value, 4096, LONG_MAX, &v) ? (cfg->client_buffer = (size_t)v, 1) : 0;
	if (IS("relay", "poll_interval"))
		return parse_long(value, 10, 600000, &v) ? (cfg->poll_interval = (int)v, 1) : 0;
	if (IS("relay", "max_clients"))
		return parse_long(value, 1, 1000000, &v) ? (cfg->max_clients = (int)v, 1) : 0;
	if (IS("relay", "max_streams_per_address"))
		return parse_long(value, 1, 1000000, &v) ? (cfg->max_streams_per_address = (int)v, 1) : 0;
	if (IS("relay", "max_streams_per_user"))
		return parse_long(value, 1, 1000000, &v) ? (cfg->max_streams_per_user = (int)v, 1) : 0;
	if (IS("relay", "delivery_threads"))
		return parse_long(value, 0, 64, &v) ? (cfg->delivery_threads = (int)v, 1) : 0;
	if (IS("auth", "session_lifetime"))	/* at most ten years */
		return parse_long(value, 60, 315360000, &v) ? (cfg->session_lifetime = v, 1) : 0;
	if (IS("auth", "session_idle"))
		return parse_long(value, 60, 315360000, &v) ? (cfg->session_idle = v, 1) : 0;
	if (IS("auth", "auth_cache_ms"))
		return parse_long(value, 0, 60000, &v) ? (cfg->auth_cache_ms = (int)v, 1) : 0;
	if (IS("auth", "login_max_failures"))
		return parse_long(value, 1, 1000, &v) ? (cfg->login_max_failures = (int)v, 1) : 0;
	if (IS("auth", "login_lockout_max"))
		return parse_long(value, 1, 86400, &v) ? (cfg->login_lockout_max = (int)v, 1) : 0;
	/* A parameter nginx sets itself; an HTTP_* one would come from the client's headers. */
	if (IS("auth", "trusted_header"))
		return strspn(value, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") == strlen(value)
		    && strncmp(value, "HTTP_", 5) != 0 ? COPY(cfg->trusted_header) : 0;
	if (IS("auth", "password_min_length"))	/* passwords are at most 1024 bytes */
		return parse_long(value, 1, 1024, &v) ? (cfg->password_min_length = (int)v, 1) : 0;
	if (IS("log", "file"))
		return COPY(cfg->log_file);
	if (IS("metrics", "allow"))
		return COPY(cfg->metrics_allow);
#undef COPY
#undef IS
	return 0;
}

/* libinih's callback: one key; unknown keys and bad values stop the load. */
static int
on_key(void *user, const char *section, const char *key, const char *value)
{
	if (fs_config_set(user, section, key, value))
		return 1;
	/* The value is not quoted: a misplaced line may hold a password. */
	fs_log(FS_LOG_ERROR, "config: bad or unknown key [%s] %s", section, key);
	(void)value;
	return 0;
}

const char *
fs_config_find(const char *explicit_path, const char *default_path)
{
	const char *env = getenv("FIELDSYNC_CONF");
	struct stat st;

	if (explicit_path)
		return explicit_path;
	if (env)
		return *env ? env : NULL;
	/* Only an absent default means "none": one that is there but unreadable is an error. */
	if (default_path && *default_path && (stat(default_path, &st) == 0 || errno != ENOENT))
		return default_path;
	return NULL;
}

enum fs_err
fs_config_load(struct fs_config *cfg, const char *path)
{
	const char *url = getenv("DATABASE_URL");
	int rc;

	path = fs_config_find(path, FS_CONFIG_DEFAULT_PATH);
	cfg->path[0] = '\0';
	if (path) {
		if (strlen(path) >= sizeof(cfg->path)) {
			fs_log(FS_LOG_ERROR, "config: file name too long: %.64s...", path);
			return ERR_INTERNAL;
		}
		rc = ini_parse(path, on_key, cfg);
		if (rc < 0) {
			fs_log(FS_LOG_ERROR, "config: cannot read %s: %s", path,
			    rc == -1 ? strerror(errno) : "out of memory");
			return ERR_INTERNAL;
		}
		if (rc > 0) {
			fs_log(FS_LOG_ERROR, "config: %s: error on line %d", path, rc);
			return ERR_INTERNAL;
		}
		memcpy(cfg->path, path, strlen(path) + 1);
	}
	if (url && *url)
		snprintf(cfg->database_url, sizeof(cfg->database_url), "%s", url);
	if (cfg->page_default > cfg->page_max)
		cfg->page_default = cfg->page_max;
	return FS_OK;
}

int
fs_config_origin_named(const struct fs_config *cfg, const char *origin)
{
	for (int i = 0; origin && *origin && i < cfg->norigins; i++)
		if (strcasecmp(cfg->origins[i], origin) == 0)
			return 1;
	return 0;
}

int
fs_config_origin_allowed(const struct fs_config *cfg, const char *origin)
{
	if (!origin || !*origin)
		return 0;
	for (int i = 0; i < cfg->norigins; i++)
		if (strcmp(cfg->origins[i], "*") == 0 || strcasecmp(cfg->origins[i], origin) == 0)
			return 1;
	return 0;
}

bool
fs_config_metrics_allowed(const struct fs_config *cfg, const char *addr)
{
	size_t n = addr ? strlen(addr) : 0;

	for (const char *p = cfg->metrics_allow; n && *p; p += strspn(p, " \t")) {
		size_t len = strcspn(p, " \t");

		if (len == n && strncasecmp(p, addr, n) == 0)
			return true;
		p += len;
	}
	return false;
}
