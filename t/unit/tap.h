/* tap.h - the few TAP helpers the C unit tests need (plan, ok, is, done). */
#ifndef TAP_H
#define TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

/* ok(COND, NAME): one test point. */
#define ok(cond, ...) tap_ok(!!(cond), __FILE__, __LINE__, __VA_ARGS__)

/* is_str(GOT, EXPECTED, NAME): string equality, with both shown on failure. */
#define is_str(got, expected, ...) \
	tap_is_str((got), (expected), __FILE__, __LINE__, __VA_ARGS__)

/* is_int(GOT, EXPECTED, NAME) */
#define is_int(got, expected, ...) \
	tap_is_int((long)(got), (long)(expected), __FILE__, __LINE__, __VA_ARGS__)

__attribute__((format(printf, 4, 5))) static int
tap_ok(int pass, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", pass ? "" : "not ", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!pass) {
		tap_failed++;
		printf("#   failed at %s:%d\n", file, line);
	}
	return pass;
}

#define tap_is_str(got, exp, file, line, ...) \
	(tap_ok((got) && (exp) && strcmp((got), (exp)) == 0, file, line, __VA_ARGS__) \
	 || (printf("#   got:      '%s'\n#   expected: '%s'\n", (got) ? (got) : "(null)", \
	     (exp) ? (exp) : "(null)"), 0))

#define tap_is_int(got, exp, file, line, ...) \
	(tap_ok((got) == (exp), file, line, __VA_ARGS__) \
	 || (printf("#   got: %ld, expected: %ld\n", (got), (exp)), 0))

/* done_testing(): prints the plan; the exit status says whether all passed. */
static int
done_testing(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif
