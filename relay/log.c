/* log.c - the relay's older log call, kept for the modules that use it. */
#include <stdarg.h>

#include "log.h"

void
relay_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fs_logv(FS_LOG_WARN, fmt, ap);
	va_end(ap);
}
