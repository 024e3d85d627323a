/*
 * fs_config.h - settings from the INI file (conf/fieldsync.conf) and the environment.
 */
#ifndef FS_CONFIG_H
#define FS_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "fs_error.h"

#define FS_MAX_ORIGINS 16

/* Where the config is when neither --config nor FIELDSYNC_CONF says: $(sysconfdir)/fieldsync.conf. */
#ifndef FS_CONFIG_DEFAULT_PATH
#define FS_CONFIG_DEFAULT_PATH "/usr/local/etc/fieldsync.conf"
#endif

/* Workers per pool, at most (--workers, [workers] count). */
#define FS_MAX_WORKERS 64

struct fs_config {
	char path[1024];		/* the file read, "" when none (built-in defaults) */
	char database_url[1024];	/* [database] url; DATABASE_URL wins */
	int connect_timeout;		/* seconds */
	int connections;		/* PostgreSQL connections of this host's fieldsync, at most */
	int workers;			/* workers per pool; 0: derived (fs_sizing) */
	int statement_timeout;		/* milliseconds */
	int write_timeout;		/* milliseconds a write's transaction may take in all */
	size_t max_body;		/* bytes */
	int page_default, page_max;
	long page_max_bytes;		/* a page (list, feed) holds rows up to this many bytes */
	size_t max_json_field;		/* bytes of one jsonb field (details, items, agreement_data) */
	int max_batch;			/* rows of one POST */
	char origins[FS_MAX_ORIGINS][256]; /* [http] cors_origins, space-separated; "*" = any */
	int norigins;
	long idempotency_ttl;		/* seconds */
	char timezone[64];
	int retry_after;		/* seconds, sent with 503 */
	char publish[1024];		/* [events] publish: nanomsg addresses, space-separated */
	int retention_days;		/* [events] retention_days: change_log kept this long */
	/* [relay] */
	char relay_listen[512];		/* HTTP: "unix:/path" or "host:port" */
	char relay_sub[1024];		/* nanomsg addresses the relay binds, space-separated */
	int ring_size;			/* events kept in memory for resuming clients */
	size_t ring_bytes;		/* ... and the bytes they may take at most */
	int heartbeat;			/* seconds between heartbeat comments */
	size_t client_buffer;		/* bytes of unsent output before a client is cut off */
	int poll_interval;		/* milliseconds between change_log checks for missed events */
	int max_clients;		/* concurrent SSE connections */
	int max_streams_per_address;	/* open streams of one client address */
	int max_streams_per_user;	/* open streams of one user */
	int delivery_threads;		/* threads writing an event to the streams; 0: one a core */
	/* [auth] */
	long session_lifetime;		/* seconds a session lives at most (absolute) */
	long session_idle;		/* seconds a session lives unused */
	int auth_cache_ms;		/* how stale a worker's cached session may be */
	int login_max_failures;		/* failed sign-ins in a row before the account is held off */
	int login_lockout_max;		/* seconds the hold-off grows to at most */
	int password_min_length;	/* bytes */
	char trusted_header[64];	/* FastCGI parameter nginx sets to an SSO login, "" for none */
	/* [log] */
	char metrics_allow[512];	/* [metrics] allow: client addresses /api/metrics answers */
	char log_file[1024];		/* lines appended here, reopened on SIGUSR1; "" = stderr */
};

/* Fills CFG with the defaults. */
void fs_config_defaults(struct fs_config *cfg);

/*
 * The file to read: EXPLICIT (--config) when not NULL; else FIELDSYNC_CONF when set (set
 * but empty: none); else DEFAULT_PATH when it exists; else NULL, the built-in defaults.
 * The result is EXPLICIT, the environment's or DEFAULT_PATH itself.
 */
const char *fs_config_find(const char *explicit_path, const char *default_path);

/*
 * Loads the file fs_config_find(PATH, FS_CONFIG_DEFAULT_PATH) names over the defaults,
 * recording its name in cfg->path, then applies DATABASE_URL from the environment.
 * FS_OK, or ERR_INTERNAL with a message logged.
 */
enum fs_err fs_config_load(struct fs_config *cfg, const char *path);

/* Sets one KEY of SECTION from text; returns 1 when known and valid, 0 otherwise. */
int fs_config_set(struct fs_config *cfg, const char *section, const char *key, const char *value);

/* Whether ORIGIN may make cross-origin requests. */
int fs_config_origin_allowed(const struct fs_config *cfg, const char *origin);

/*
 * Whether ORIGIN is named in cors_origins itself, not only let in by "*": only such an
 * origin may send the session cookie cross-origin (Access-Control-Allow-Credentials).
 */
int fs_config_origin_named(const struct fs_config *cfg, const char *origin);

/* Whether ADDR (a client address) is one [metrics] allow lists. */
bool fs_config_metrics_allowed(const struct fs_config *cfg, const char *addr);

#endif
