/* test-formats.c - uuid, date and timestamp formats. */
#include "fs_formats.h"
#include "tap.h"

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
	return done_testing();
}
