/* log.c - timestamped log lines on stderr. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "log.h"

void
relay_log(const char *fmt, ...)
{
	char stamp[32] = "", line[1024];
	struct timespec now;
	struct tm tm;
	va_list ap;

	if (clock_gettime(CLOCK_REALTIME, &now) == 0 && gmtime_r(&now.tv_sec, &tm))
		strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* One line per message, whatever it quotes (libpq's messages span lines). */
	for (char *p = line; *p; p++)
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
	for (size_t n = strlen(line); n > 0 && line[n - 1] == ' '; n--)
		line[n - 1] = '\0';
	/* One write per line, so lines never interleave. */
	fprintf(stderr, "%s fieldsync-relay: %s\n", stamp, line);
}
