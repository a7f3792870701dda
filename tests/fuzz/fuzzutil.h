/* fuzzutil.h — small helpers shared by the fuzz targets (header only, so
 * each target links alone with libFuzzer or with replay_main.c).
 *
 * FUZZ_CHECK states a property the parser documents in its header; a
 * violation traps, which libFuzzer and the replay driver report as a crash
 * with the condition printed first.  Ownership: tests/fuzz (fuzz harness).
 */
#ifndef MAILAUTH_FUZZUTIL_H
#define MAILAUTH_FUZZUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "arena.h"
#include "slice.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                              \
	do {                                                                              \
		if (!(cond)) {                                                                \
			fprintf(stderr, "%s:%d: property violated: %s\n", __FILE__, __LINE__, #cond); \
			__builtin_trap();                                                         \
		}                                                                             \
	} while (0)

/* True when s is empty or lies inside [base, base + len). */
static inline bool fuzz_within(struct slice s, const void *base, size_t len)
{
	if (s.len == 0)
		return true;
	const char *b = base;
	if (!s.ptr || !b)
		return false;
	uintptr_t p = (uintptr_t)s.ptr, lo = (uintptr_t)b;
	return p >= lo && p - lo <= len && s.len <= len - (p - lo);
}

/* Touch every byte of s, so a slice pointing at freed or foreign memory is
 * reported by AddressSanitizer where the parser made it. */
static volatile unsigned fuzz_sink;

static inline void fuzz_touch(struct slice s)
{
	unsigned h = 0;
	for (size_t i = 0; i < s.len; i++)
		h = h * 31 + (unsigned char)s.ptr[i];
	fuzz_sink += h;
}

/* The input as a slice, not copied: libFuzzer and the replay driver both
 * hand over an exact-size buffer, so any read past the end is caught. */
static inline struct slice fuzz_input(const uint8_t *data, size_t size)
{
	return slice_make((const char *)data, size);
}

#endif
