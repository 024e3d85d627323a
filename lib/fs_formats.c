/* fs_formats.c - uuid, date and timestamp checks on top of strptime and timegm. */
#include <ctype.h>
#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fs_formats.h"

bool
fs_is_uuid(const char *s)
{
	static const int group[] = { 8, 4, 4, 4, 12 };

	for (int g = 0; g < 5; g++) {
		size_t n = strspn(s, "0123456789abcdefABCDEF");
		if (n != (size_t)group[g])
			return false;
		s += n;
		if (g < 4 && *s++ != '-')
			return false;
	}
	return *s == '\0';
}

/* Parses the date at the start of S into TM; returns the rest, or NULL. */
static const char *
parse_date(const char *s, struct tm *tm)
{
	struct tm norm;
	const char *rest;

	/* strptime alone accepts 2025-02-31 and short years; demand the canonical shape. */
	if (strlen(s) < 10 || !isdigit((unsigned char)s[0]) || s[4] != '-' || s[7] != '-')
		return NULL;
	/* There is no year 0 (1 BC is followed by AD 1); PostgreSQL refuses it. */
	if (strncmp(s, "0000", 4) == 0)
		return NULL;
	memset(tm, 0, sizeof(*tm));
	rest = strptime(s, "%Y-%m-%d", tm);
	if (!rest || rest != s + 10)
		return NULL;
	norm = *tm;
	norm.tm_hour = 12;
	if (timegm(&norm) == (time_t)-1 || norm.tm_mday != tm->tm_mday || norm.tm_mon != tm->tm_mon)
		return NULL;
	return rest;
}

bool
fs_is_date(const char *s)
{
	struct tm tm;
	const char *rest = parse_date(s, &tm);

	return rest && *rest == '\0';
}

/* Skips one or more digits; returns NULL when there are none. */
static const char *
digits(const char *s)
{
	const char *p = s;

	while (isdigit((unsigned char)*p))
		p++;
	return p > s ? p : NULL;
}

/* The two digits at S as a number, or -1. */
static int
two_digits(const char *s)
{
	if (!isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]))
		return -1;
	return (s[0] - '0') * 10 + (s[1] - '0');
}

/* Whether S is empty, "Z", or an offset ±HH[:MM] / ±HHMM that exists (PostgreSQL's: up to 15:59). */
static bool
is_zone(const char *s)
{
	int hh, mm = 0;

	if (*s == '\0' || strcmp(s, "Z") == 0 || strcmp(s, "z") == 0)
		return true;
	if (*s != '+' && *s != '-')
		return false;
	s++;
	if ((hh = two_digits(s)) < 0 || hh > 15)
		return false;
	s += 2;
	if (*s == ':')
		s++;
	if (*s != '\0' && ((mm = two_digits(s)) < 0 || s[2] != '\0'))
		return false;
	return mm <= 59;
}

bool
fs_is_timestamp(const char *s)
{
	struct tm tm;
	const char *p = parse_date(s, &tm);

	if (!p || (*p != 'T' && *p != 't' && *p != ' '))
		return false;
	p = strptime(p + 1, "%H:%M", &tm);
	if (!p)
		return false;
	if (*p == ':') {
		p = strptime(p + 1, "%S", &tm);
		if (!p)
			return false;
		if (*p == '.' && !(p = digits(p + 1)))
			return false;
	}
	return is_zone(p);
}

/*
 * The length of the UTF-8 character at S (N bytes left), or 0 when it is not one: RFC 3629's
 * well-formed sequences, so no overlong form, no surrogate, nothing above U+10FFFF.
 */
static size_t
utf8_char(const unsigned char *s, size_t n)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4;
	else
		return 0;
	if (n < len)
		return 0;
	/* The second byte's range is narrower after these leads. */
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return len;
}

bool
fs_is_utf8(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n;
	uint64_t word;
	size_t len;

	/* A request body is mostly ASCII: eight bytes at a time while no high bit is set. */
	while (p < end) {
		if ((size_t)(end - p) >= sizeof(word)) {
			memcpy(&word, p, sizeof(word));
			if (!(word & UINT64_C(0x8080808080808080))) {
				p += sizeof(word);
				continue;
			}
		}
		if (!(len = utf8_char(p, (size_t)(end - p))))
			return false;
		p += len;
	}
	return true;
}

void
fs_utf8_clean(char *s)
{
	iconv_t cd = iconv_open("UTF-8", "UTF-8");
	size_t n = strlen(s), left = n, room = n;
	char *copy = strdup(s), *in = copy, *out = s;

	if (cd == (iconv_t)-1 || !copy) {
		/* No converter: keep only ASCII, which is always valid. */
		for (char *p = s; *p; p++)
			if ((unsigned char)*p >= 0x80)
				*p = '?';
		free(copy);
		if (cd != (iconv_t)-1)
			iconv_close(cd);
		return;
	}
	/* Each invalid byte becomes '?'; a character cut short at the end is dropped. */
	while (left > 0 && iconv(cd, &in, &left, &out, &room) == (size_t)-1) {
		if (errno != EILSEQ)
			break;
		*out++ = '?';
		room--;
		in++;
		left--;
	}
	*out = '\0';
	iconv_close(cd);
	free(copy);
}
