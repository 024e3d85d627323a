/* test-formats.c - uuid, date and timestamp formats, UTF-8. */
#include <errno.h>
#include <iconv.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs_formats.h"
#include "tap.h"

/* Whether iconv, converting UTF-8 to itself, takes the N bytes at S whole. */
static bool
iconv_utf8(iconv_t cd, const char *s, size_t n)
{
	char buf[64], *in = (char *)s, *out = buf;
	size_t left = n, room = sizeof(buf);

	iconv(cd, NULL, NULL, NULL, NULL);
	return iconv(cd, &in, &left, &out, &room) != (size_t)-1;
}

/*
 * fs_is_utf8 against glibc's converter on random strings of up to 12 bytes, drawn mostly
 * from the bytes where the rules are (leads, continuations, their edges), some ASCII. Not
 * the leads 0xf4 to 0xfd: glibc takes code points above U+10FFFF (in up to six bytes),
 * which RFC 3629 and PostgreSQL refuse (so does fs_is_utf8, tested above).
 */
static bool
same_as_iconv(void)
{
	static const unsigned char pick[] = { 'a', 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0,
		0xc1, 0xc2, 0xdf, 0xe0, 0xe1, 0xec, 0xed, 0xee, 0xef, 0xf0, 0xf1, 0xf3, 0xff };
	iconv_t cd = iconv_open("UTF-8", "UTF-8");
	char s[12];
	bool same = cd != (iconv_t)-1;

	srand(11);
	for (int i = 0; same && i < 200000; i++) {
		size_t n = (size_t)(rand() % (int)sizeof(s)) + 1;

		for (size_t k = 0; k < n; k++)
			s[k] = (char)pick[rand() % (int)sizeof(pick)];
		if (fs_is_utf8(s, n) != iconv_utf8(cd, s, n)) {
			printf("# differ (ours %d) on", fs_is_utf8(s, n));
			for (size_t k = 0; k < n; k++)
				printf(" %02x", (unsigned char)s[k]);
			puts("");
			same = false;
		}
	}
	if (cd != (iconv_t)-1)
		iconv_close(cd);
	return same;
}

/* Whether fs_utf8_clean makes IN into WANT. */
static bool
cleaned(const char *in, const char *want)
{
	char buf[64];

	snprintf(buf, sizeof(buf), "%s", in);
	fs_utf8_clean(buf);
	return strcmp(buf, want) == 0;
}

/* Whether every random string fs_utf8_clean has cleaned passes fs_is_utf8. */
static bool
clean_is_utf8(void)
{
	char s[16];

	srand(12);
	for (int i = 0; i < 100000; i++) {
		size_t n = (size_t)(rand() % (int)(sizeof(s) - 1));

		for (size_t k = 0; k < n; k++)
			s[k] = (char)(rand() % 255 + 1);
		s[n] = '\0';
		fs_utf8_clean(s);
		if (!fs_is_utf8(s, strlen(s)))
			return false;
	}
	return true;
}

int
main(void)
{
	ok(fs_is_uuid("6f1c1f34-1c2f-4c44-8a0e-2f3b0a5b7c11"), "lower-case uuid");
	ok(fs_is_uuid("6F1C1F34-1C2F-4C44-8A0E-2F3B0A5B7C11"), "upper-case uuid");
	ok(!fs_is_uuid("6f1c1f34-1c2f-4c44-8a0e-2f3b0a5b7c1"), "uuid one digit short");
	ok(!fs_is_uuid("6f1c1f341c2f4c448a0e2f3b0a5b7c11"), "uuid without dashes");
	ok(!fs_is_uuid("6f1c1f34-1c2f-4c44-8a0e-2f3b0a5b7c11x"), "uuid with a tail");
	ok(!fs_is_uuid("zf1c1f34-1c2f-4c44-8a0e-2f3b0a5b7c11"), "uuid with a non-hex digit");
	ok(!fs_is_uuid(""), "empty uuid");

	ok(fs_is_date("2026-11-26"), "plain date");
	ok(fs_is_date("2024-02-29"), "leap day");
	ok(!fs_is_date("2025-02-29"), "no leap day in 2025");
	ok(!fs_is_date("2025-02-30"), "February 30th");
	ok(!fs_is_date("2025-13-01"), "month 13");
	ok(!fs_is_date("2025-1-01"), "one-digit month");
	ok(!fs_is_date("26-11-2026"), "day first");
	ok(!fs_is_date("2026-11-26T10:00"), "date with a time");
	ok(!fs_is_date("yesterday"), "a word");

	ok(fs_is_timestamp("2026-11-26T10:00"), "date and minutes");
	ok(fs_is_timestamp("2026-11-26T10:00:05Z"), "seconds and Z");
	ok(fs_is_timestamp("2026-11-26 10:00:05.123456+02:00"), "space, fraction, offset");
	ok(fs_is_timestamp("2026-11-26T10:00:05-0530"), "offset without colon");
	ok(!fs_is_timestamp("2026-11-26T10:00:05+25:00"), "an offset of 25 hours");
	ok(!fs_is_timestamp("2026-11-26T10:00:05+02:75"), "an offset of 75 minutes");
	ok(fs_is_timestamp("2026-11-26T10:00:05+14:00"), "the largest offset in use (Kiribati)");
	ok(!fs_is_date("0000-01-01"), "there is no year 0");
	ok(!fs_is_timestamp("2026-11-26"), "a date alone");
	ok(!fs_is_timestamp("2026-11-26T25:00"), "hour 25");
	ok(!fs_is_timestamp("2026-11-26T10:00:05.Z"), "empty fraction");
	ok(!fs_is_timestamp("2026-11-26T10:00 tomorrow"), "trailing words");
	ok(!fs_is_timestamp("2026-02-30T10:00"), "a day that does not exist");

	ok(fs_is_utf8("plain", 5), "ASCII is UTF-8");
	ok(fs_is_utf8("caf\xc3\xa9 \xe2\x82\xac", 9), "accents and the euro sign");
	ok(!fs_is_utf8("\xff\xfe", 2), "bytes no UTF-8 text has");
	ok(!fs_is_utf8("caf\xc3", 4), "a sequence cut short");
	ok(!fs_is_utf8("\xed\xa0\x80", 3), "an encoded surrogate");
	ok(fs_is_utf8("\xf0\x9f\x98\x80 \xef\xbf\xbf \xf4\x8f\xbf\xbf", 14), "four bytes, U+FFFF, U+10FFFF");
	ok(!fs_is_utf8("\xc0\x80", 2) && !fs_is_utf8("\xe0\x80\x80", 3) && !fs_is_utf8("\xf0\x80\x80\x80", 4),
	    "overlong forms");
	ok(!fs_is_utf8("\xf4\x90\x80\x80", 4) && !fs_is_utf8("\xf5\x80\x80\x80", 4)
	    && !fs_is_utf8("\xf8\x88\x80\x80\x80", 5), "above U+10FFFF, five bytes");
	ok(fs_is_utf8("a\0b", 3), "a NUL byte is a character (the JSON parser refuses it)");
	ok(!fs_is_utf8("0123456789abcdef\x80", 17), "a bad byte after whole words of ASCII");
	ok(same_as_iconv(), "the same answer as iconv's UTF-8 for 200,000 random strings");
	ok(cleaned("caf\xc3\xa9 \xe2\x82\xac", "caf\xc3\xa9 \xe2\x82\xac"), "clean keeps valid text as it is");
	ok(cleaned("a\xff" "b\xc0\x80" "c", "a?b??c"), "clean: each invalid byte becomes ?");
	ok(cleaned("ab\xe2\x82", "ab"), "clean: a character cut short at the end is dropped");
	ok(cleaned("\xf4\x90\x80\x80x", "????x"), "clean: above U+10FFFF is invalid, as fs_is_utf8 says");
	ok(clean_is_utf8(), "clean makes 100,000 random strings UTF-8 that fs_is_utf8 takes");
	return done_testing();
}
