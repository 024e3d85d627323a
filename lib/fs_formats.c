/* fs_formats.c - uuid, date and timestamp checks on top of strptime and timegm. */
#include <ctype.h>
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
 * The length of the UTF-8 character that lead byte C begins, and the range its second byte
 * must be in (RFC 3629's well-formed sequences: no overlong form, no surrogate, nothing
 * above U+10FFFF); 0 when C begins none.
 */
static size_t
utf8_lead(unsigned char c, unsigned char *lo, unsigned char *hi)
{
	*lo = 0x80;
	*hi = 0xbf;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		return 2;
	if (c == 0xe0)
		*lo = 0xa0;
	else if (c == 0xed)
		*hi = 0x9f;
	if (c >= 0xe0 && c <= 0xef)
		return 3;
	if (c == 0xf0)
		*lo = 0x90;
	else if (c == 0xf4)
		*hi = 0x8f;
	if (c >= 0xf0 && c <= 0xf4)
		return 4;
	return 0;
}

/*
 * How the N bytes at S begin: the length of the character there, or 0 when they begin none;
 * *CUT says whether they are a character cut short (valid as far as they go).
 */
static size_t
utf8_char(const unsigned char *s, size_t n, bool *cut)
{
	unsigned char lo, hi;
	size_t len = utf8_lead(s[0], &lo, &hi), i;

	*cut = false;
	if (len <= 1)
		return len;
	for (i = 1; i < len && i < n; i++)
		if (i == 1 ? s[i] < lo || s[i] > hi : (s[i] & 0xc0) != 0x80)
			return 0;
	if (i < len) {
		*cut = true;
		return 0;
	}
	return len;
}

bool
fs_is_utf8(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n;
	uint64_t word;
	size_t len;
	bool cut;

	/* A request body is mostly ASCII: eight bytes at a time while no high bit is set. */
	while (p < end) {
		if ((size_t)(end - p) >= sizeof(word)) {
			memcpy(&word, p, sizeof(word));
			if (!(word & UINT64_C(0x8080808080808080))) {
				p += sizeof(word);
				continue;
			}
		}
		if (!(len = utf8_char(p, (size_t)(end - p), &cut)))
			return false;
		p += len;
	}
	return true;
}

void
fs_utf8_clean(char *s)
{
	unsigned char *in = (unsigned char *)s, *out = in;
	size_t left = strlen(s), len;
	bool cut;

	/* The same rules as fs_is_utf8: what is kept is what it takes. */
	while (left > 0) {
		if ((len = utf8_char(in, left, &cut)) > 0) {
			memmove(out, in, len);
			out += len;
			in += len;
			left -= len;
		} else if (cut) {
			break;
		} else {
			*out++ = '?';
			in++;
			left--;
		}
	}
	*out = '\0';
}
