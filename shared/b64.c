/* b64.c — strict base64 decoding with FWS skipping, and encoding, for DKIM
 * (RFC 6376 3.5 base64string, RFC 4648 section 4).  See b64.h. */
#include "b64.h"

#include <string.h>

static const char b64_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Value of a base64 character, -1 for '=', -2 for FWS, -3 for anything
 * else.  A switch instead of a table keeps the file free of mutable state. */
static int b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	switch (c) {
	case '+':
		return 62;
	case '/':
		return 63;
	case '=':
		return -1;
	case ' ':
	case '\t':
	case '\r':
	case '\n':
		return -2;
	default:
		return -3;
	}
}

enum b64_status b64_decode(struct arena *a, struct slice in, struct slice *out)
{
	*out = SLICE_NULL;
	/* Every 4 characters give at most 3 bytes; FWS only makes it fewer. */
	char *dst = arena_alloc(a, in.len / 4 * 3 + 3);
	if (!dst)
		return B64_E_NOMEM;
	size_t n = 0;      /* bytes written */
	size_t chars = 0;  /* significant characters seen, padding included */
	size_t pad = 0;
	uint32_t acc = 0;
	for (size_t i = 0; i < in.len; i++) {
		int v = b64_value((unsigned char)in.ptr[i]);
		if (v == -2)
			continue;
		if (v == -3)
			return B64_E_SYNTAX;
		if (v == -1) {
			/* Padding only completes the last quantum: after two or
			 * three data characters of it, at most two of them. */
			pad++;
			chars++;
			if (pad > 2)
				return B64_E_SYNTAX;
			continue;
		}
		if (pad)
			return B64_E_SYNTAX; /* data after padding */
		acc = (acc << 6) | (uint32_t)v;
		chars++;
		if (chars % 4 == 0) {
			dst[n++] = (char)(acc >> 16);
			dst[n++] = (char)(acc >> 8);
			dst[n++] = (char)acc;
			acc = 0;
		}
	}
	if (chars % 4 != 0)
		return B64_E_SYNTAX;
	if (pad) {
		/* The last quantum held 4 - pad data characters. */
		size_t data = 4 - pad;
		if (data < 2)
			return B64_E_SYNTAX;
		acc <<= 6 * pad;
		dst[n++] = (char)(acc >> 16);
		if (data == 3)
			dst[n++] = (char)(acc >> 8);
	}
	*out = slice_make(dst, n);
	return B64_OK;
}

struct slice b64_encode(struct arena *a, const void *data, size_t len)
{
	const unsigned char *p = data;
	size_t outlen = (len + 2) / 3 * 4;
	char *dst = arena_alloc(a, outlen + 1);
	if (!dst)
		return SLICE_NULL;
	size_t o = 0, i = 0;
	for (; i + 3 <= len; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		dst[o++] = b64_alphabet[v >> 18];
		dst[o++] = b64_alphabet[(v >> 12) & 63];
		dst[o++] = b64_alphabet[(v >> 6) & 63];
		dst[o++] = b64_alphabet[v & 63];
	}
	if (len - i == 1) {
		uint32_t v = (uint32_t)p[i] << 16;
		dst[o++] = b64_alphabet[v >> 18];
		dst[o++] = b64_alphabet[(v >> 12) & 63];
		dst[o++] = '=';
		dst[o++] = '=';
	} else if (len - i == 2) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
		dst[o++] = b64_alphabet[v >> 18];
		dst[o++] = b64_alphabet[(v >> 12) & 63];
		dst[o++] = b64_alphabet[(v >> 6) & 63];
		dst[o++] = '=';
	}
	dst[o] = '\0';
	return slice_make(dst, o);
}
