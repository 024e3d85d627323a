/* test-log.c - lib/fs_log: the line format, one line per event, the file and its reopening. */
#include <errno.h>
#include <regex.h>
#include <stdlib.h>
#include <unistd.h>

#include "fs_log.h"
#include "tap.h"

static char dir[] = "/tmp/fs-log-XXXXXX";
static char path[64], moved[64];

/* The whole of FILE into BUF (SIZE bytes, NUL-terminated); the bytes read, or -1. */
static long
slurp(const char *file, char *buf, size_t size)
{
	FILE *f = fopen(file, "r");
	size_t n;

	if (!f)
		return -1;
	n = fread(buf, 1, size - 1, f);
	fclose(f);
	buf[n] = '\0';
	return (long)n;
}

/* Whether TEXT matches the extended regular expression RE. */
static int
matches(const char *text, const char *re)
{
	regex_t r;
	int m;

	if (regcomp(&r, re, REG_EXTENDED | REG_NOSUB) != 0)
		return 0;
	m = regexec(&r, text, 0, NULL, 0) == 0;
	regfree(&r);
	return m;
}

int
main(void)
{
	static char buf[16384], big[5000];
	long n;

	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof(path), "%s/x.log", dir);
	snprintf(moved, sizeof(moved), "%s/x.log.1", dir);
	fs_log_init("fieldsync-test");
	is_int(fs_log_file(path), FS_OK, "the log goes to a file");

	errno = EPIPE;
	fs_log(FS_LOG_ERROR, "database unavailable: %s", "line one\nline\ttwo\n");
	is_int(errno, EPIPE, "logging leaves errno as it was");
	fs_log(FS_LOG_WARN, "a warning");
	fs_log(FS_LOG_INFO, "some news");
	n = slurp(path, buf, sizeof(buf));
	if (!ok(matches(buf, "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z error "
	    "fieldsync-test: database unavailable: line one line two\n"), "time, level, name, message"))
		printf("#   got: '%s'\n", buf);
	ok(matches(buf, "\n[^ ]+Z warn fieldsync-test: a warning\n[^ ]+Z info fieldsync-test: some news\n$"),
	    "one line per event, newlines and tabs folded, trailing blanks cut");

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	fs_log(FS_LOG_INFO, "%s", big);
	n = slurp(path, buf, sizeof(buf)) - n;
	if (!ok(n > 1000 && n <= 2048 && buf[strlen(buf) - 1] == '\n', "a long message is cut to one line"))
		printf("#   %ld bytes\n", n);

	ok(rename(path, moved) == 0, "the file is renamed (logrotate)");
	is_int(fs_log_reopen(), 0, "reopen");
	fs_log(FS_LOG_INFO, "after the rotation");
	slurp(path, buf, sizeof(buf));
	if (!ok(matches(buf, "^[^ ]+Z info fieldsync-test: after the rotation\n$"),
	    "the next line is in a new file"))
		printf("#   got: '%s'\n", buf);
	slurp(moved, buf, sizeof(buf));
	ok(!strstr(buf, "after the rotation"), "... not in the renamed one");

	unlink(path);
	unlink(moved);
	rmdir(dir);
	is_int(fs_log_file(path) == FS_OK ? 1 : 0, 0, "a file in a folder that is gone is refused");
	return done_testing();
}
