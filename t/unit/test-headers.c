/* test-headers.c - the write headers as sent: If-Match as a version, Idempotency-Key. */
#include <string.h>

#include "fs_idempotency.h"
#include "fs_ifmatch.h"
#include "tap.h"

/* fs_ifmatch_parse of VALUE: its code, the version into OUT (16 bytes). */
static enum fs_err
if_match(const char *value, char *out)
{
	struct fs_error err = FS_ERROR_INIT;
	enum fs_err rc = fs_ifmatch_parse(value, out, 16, &err);

	fs_error_clear(&err);
	return rc;
}

/* fs_idem_key_check of KEY: its code. */
static enum fs_err
key(const char *k)
{
	struct fs_error err = FS_ERROR_INIT;
	enum fs_err rc = fs_idem_key_check(k, &err);

	fs_error_clear(&err);
	return rc;
}

int
main(void)
{
	char buf[16], big[FS_IDEM_KEY_MAX + 2];
	const char *v = buf;

	is_int(if_match(NULL, buf), FS_OK, "no If-Match");
	is_str(v, "", "... no version expected");
	is_int(if_match("*", buf), FS_OK, "If-Match: *");
	is_str(v, "", "... any version");
	is_int(if_match("\"3\"", buf), FS_OK, "If-Match: \"3\"");
	is_str(v, "3", "... version 3");
	is_int(if_match("W/\"12\"", buf), FS_OK, "a weak tag");
	is_str(v, "12", "... version 12");
	is_int(if_match("7", buf), FS_OK, "no quotes");
	is_str(v, "7", "... version 7");
	is_int(if_match("123456789", buf), FS_OK, "nine digits");
	is_int(if_match("\"1234567890\"", buf), ERR_INVALID_PARAMETER, "ten digits are too many");
	is_str(v, "", "... and leave no version");
	/* Lenient as it always was: a quote may be missing at either end. */
	is_int(if_match("W/\"3", buf), FS_OK, "an unclosed quote");
	is_str(v, "3", "... still version 3");
	is_int(if_match("\"3\" ", buf), ERR_INVALID_PARAMETER, "bytes after the tag");
	is_int(if_match("\"\"", buf), ERR_INVALID_PARAMETER, "an empty tag");
	is_int(if_match("\"3\", \"4\"", buf), ERR_INVALID_PARAMETER, "a list of tags");

	is_int(key("6f1c1f34-1c2f-4c44-8a0e-2f3b0a5b7c11"), FS_OK, "a uuid key");
	is_int(key("r\xc3\xa9sum\xc3\xa9 #1"), FS_OK, "a UTF-8 key");
	is_int(key(""), ERR_INVALID_PARAMETER, "an empty key");
	memset(big, 'k', FS_IDEM_KEY_MAX);
	big[FS_IDEM_KEY_MAX] = '\0';
	is_int(key(big), FS_OK, "a key of the longest length");
	big[FS_IDEM_KEY_MAX] = 'k';
	big[FS_IDEM_KEY_MAX + 1] = '\0';
	is_int(key(big), ERR_INVALID_PARAMETER, "one byte longer");
	/* Found by fuzzing: PostgreSQL's text refuses these, after the write had begun. */
	is_int(key("\xff\xfe"), ERR_INVALID_PARAMETER, "a key that is not UTF-8");
	is_int(key("ab\xc3"), ERR_INVALID_PARAMETER, "a key cut inside a character");
	return done_testing();
}
