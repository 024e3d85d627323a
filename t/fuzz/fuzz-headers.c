/*
 * fuzz-headers.c - the request headers a worker reads before any database work, taken as
 * sent: If-Match (fs_ifmatch_parse), Idempotency-Key (fs_idem_key_check), and the
 * session token of Authorization and of Cookie (fs_auth_token_of). Input: the header
 * value (a C string, as the worker's FastCGI parameters are).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs_auth.h"
#include "fs_formats.h"
#include "fs_http.h"
#include "fs_idempotency.h"
#include "fs_ifmatch.h"
#include "resources.h"

/* The token a request with only the parameter NAME=VALUE carries, checked for its shape. */
static void
check_token(const char *name, const char *value)
{
	char param[8200], token[FS_TOKEN_LEN + 1];
	char *envp[] = { param, NULL };
	FCGX_Request fcgx = { .envp = envp };
	struct fs_request req = { .fcgx = &fcgx };
	bool via_cookie;

	if (snprintf(param, sizeof(param), "%s=%s", name, value) >= (int)sizeof(param))
		return;	/* longer than nginx's header buffers let through */
	if (!fs_auth_token_of(&req, token, &via_cookie))
		return;
	fuzz_assert(strlen(token) == FS_TOKEN_LEN, "a token has FS_TOKEN_LEN characters");
	fuzz_assert(strspn(token, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
	    == FS_TOKEN_LEN, "a token is base64url");
	fuzz_assert(via_cookie == (strcmp(name, "HTTP_COOKIE") == 0), "the token's source");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fs_error err = FS_ERROR_INIT;
	char version[16];
	char *value = malloc(size + 1);
	size_t n;

	if (!value)
		return 0;
	memcpy(value, data, size);
	value[size] = '\0';

	memset(version, 'x', sizeof(version));
	if (fs_ifmatch_parse(value, version, sizeof(version), &err) == FS_OK) {
		n = strlen(version);
		fuzz_assert(n < 10 && strspn(version, "0123456789") == n,
		    "an If-Match version is at most 9 digits");
		fuzz_assert(n > 0 || strcmp(value, "*") == 0, "only * means any version");
	} else {
		fuzz_assert(version[0] == '\0', "a refused If-Match leaves no version");
		fuzz_check_error_json(&err);
	}
	fs_error_clear(&err);

	if (fs_idem_key_check(value, &err) == FS_OK) {
		n = strlen(value);
		fuzz_assert(n >= 1 && n <= FS_IDEM_KEY_MAX, "a key is 1 to FS_IDEM_KEY_MAX bytes");
		/* The key is stored as PostgreSQL text: it must be what text holds. */
		fuzz_assert(fs_is_utf8(value, n), "an accepted key is valid UTF-8");
	} else {
		fuzz_check_error_json(&err);
	}
	fs_error_clear(&err);

	check_token("HTTP_AUTHORIZATION", value);
	check_token("HTTP_COOKIE", value);
	free(value);
	return 0;
}
