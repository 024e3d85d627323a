/* test-config.c - the INI file and the environment. */
#include <stdlib.h>
#include <unistd.h>

#include "fs_config.h"
#include "tap.h"

/* Writes TEXT to a new temporary file; returns its name (static buffer). */
static const char *
temp_file(const char *text)
{
	static char name[] = "/tmp/fs-config-XXXXXX";
	int fd;

	snprintf(name, sizeof(name), "/tmp/fs-config-XXXXXX");
	fd = mkstemp(name);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		return NULL;
	close(fd);
	return name;
}

int
main(void)
{
	struct fs_config cfg;
	const char *path;

	unsetenv("DATABASE_URL");
	/* Set but empty: no file, whatever config this machine has installed. */
	setenv("FIELDSYNC_CONF", "", 1);
	fs_config_defaults(&cfg);
	is_int(fs_config_load(&cfg, NULL), FS_OK, "no file is fine");
	is_str(cfg.path, "", "... and none is recorded as read");
	is_int(cfg.max_body, 1024 * 1024, "max_body defaults to 1 MiB");
	is_int(cfg.page_default, 100, "page_default 100");
	is_int(cfg.idempotency_ttl, 7 * 24 * 3600, "keys kept 7 days");

	path = temp_file("[database]\nurl = postgresql:///x\n[http]\nmax_body = 2048\n"
	    "page_max = 50\npage_default = 80\ncors_origins = https://a.example http://b:8080\n");
	is_int(fs_config_load(&cfg, path), FS_OK, "a good file");
	is_str(cfg.database_url, "postgresql:///x", "url read");
	is_str(cfg.path, path, "the file read is recorded");
	is_int(cfg.max_body, 2048, "max_body read");
	is_int(cfg.page_default, 50, "page_default capped by page_max");
	ok(fs_config_origin_allowed(&cfg, "https://a.example"), "first origin allowed");
	ok(fs_config_origin_allowed(&cfg, "http://b:8080"), "second origin allowed");
	ok(!fs_config_origin_allowed(&cfg, "https://evil.example"), "other origin refused");
	ok(!fs_config_origin_allowed(&cfg, NULL), "no origin, no CORS");

	setenv("DATABASE_URL", "postgresql:///from-env", 1);
	is_int(fs_config_load(&cfg, path), FS_OK, "load again with DATABASE_URL");
	is_str(cfg.database_url, "postgresql:///from-env", "DATABASE_URL wins");
	unlink(path);

	fs_config_defaults(&cfg);
	path = temp_file("[http]\nmax_body = lots\n");
	is_int(fs_config_load(&cfg, path), ERR_INTERNAL, "a bad number is refused");
	unlink(path);
	path = temp_file("[http]\ncolour = blue\n");
	is_int(fs_config_load(&cfg, path), ERR_INTERNAL, "an unknown key is refused");
	unlink(path);
	is_int(fs_config_load(&cfg, "/nonexistent/fieldsync.conf"), ERR_INTERNAL, "a missing file is refused");
	fs_config_defaults(&cfg);
	is_int(cfg.ring_bytes, 64 * 1024 * 1024, "ring_bytes defaults to 64 MiB");
	is_int(cfg.max_streams_per_address, 32, "32 streams per address");
	is_int(cfg.max_streams_per_user, 16, "16 streams per user");
	ok(fs_config_set(&cfg, "relay", "ring_bytes", "65536") && cfg.ring_bytes == 65536, "ring_bytes read");
	ok(!fs_config_set(&cfg, "relay", "ring_bytes", "100"), "a ring_bytes under 4096 is refused");
	ok(fs_config_set(&cfg, "relay", "max_streams_per_address", "2") && cfg.max_streams_per_address == 2,
	    "max_streams_per_address read");
	ok(fs_config_set(&cfg, "relay", "max_streams_per_user", "3") && cfg.max_streams_per_user == 3,
	    "max_streams_per_user read");
	ok(!fs_config_set(&cfg, "relay", "max_streams_per_user", "0"), "a limit of 0 is refused");
	is_int(cfg.delivery_threads, 0, "delivery_threads defaults to 0 (one a core)");
	ok(fs_config_set(&cfg, "relay", "delivery_threads", "3") && cfg.delivery_threads == 3, "delivery_threads read");
	ok(!fs_config_set(&cfg, "relay", "delivery_threads", "65") && !fs_config_set(&cfg, "relay",
	    "delivery_threads", "-1"), "delivery_threads over 64 or negative is refused");
	ok(fs_config_set(&cfg, "http", "cors_origins", "*"), "wildcard origin");
	ok(fs_config_origin_allowed(&cfg, "https://any.example"), "wildcard allows any origin");

	/* Which file: --config, then FIELDSYNC_CONF, then the installed default when it exists. */
	path = temp_file("[log]\nfile = /var/log/fieldsync/fieldsync.log\n");
	unsetenv("FIELDSYNC_CONF");
	is_str(fs_config_find(NULL, path), path, "no --config, no FIELDSYNC_CONF: the default path");
	ok(fs_config_find(NULL, "/nonexistent/fieldsync.conf") == NULL, "... unless it is absent");
	is_str(fs_config_find("/etc/explicit.conf", path), "/etc/explicit.conf", "--config first");
	setenv("FIELDSYNC_CONF", "/etc/from-env.conf", 1);
	is_str(fs_config_find(NULL, path), "/etc/from-env.conf", "then FIELDSYNC_CONF");
	is_str(fs_config_find("/etc/explicit.conf", path), "/etc/explicit.conf", "--config over it");
	setenv("FIELDSYNC_CONF", "", 1);
	ok(fs_config_find(NULL, path) == NULL, "FIELDSYNC_CONF set but empty: no file");
	fs_config_defaults(&cfg);
	is_str(cfg.log_file, "", "[log] file defaults to stderr");
	is_int(fs_config_load(&cfg, path), FS_OK, "[log] file is a key");
	is_str(cfg.log_file, "/var/log/fieldsync/fieldsync.log", "... read");
	unlink(path);
	return done_testing();
}
