/* arena.h — region allocator for one evaluation (one message, one query).
 *
 * Everything allocated from an arena dies with arena_free(); nothing is freed
 * individually.  Objects owned by other libraries (OpenSSL keys, contexts)
 * are registered with arena_defer() so they are released with the arena.
 * An arena has a byte cap: once an allocation would exceed it, that and every
 * later allocation fails (NULL) — callers treat NULL as an operational
 * failure, never as a verdict.
 */
#ifndef MAILAUTH_ARENA_H
#define MAILAUTH_ARENA_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "slice.h"

struct arena;

/* New arena that may hand out at most cap bytes (0: ARENA_DEFAULT_CAP).
 * Returns NULL when out of memory. */
struct arena *arena_new(size_t cap);
/* Runs the deferred cleanups (last registered first), frees all memory. */
void arena_free(struct arena *a);

/* n bytes aligned for any type, or NULL (out of memory, cap reached, n 0
 * counts as 1). */
void *arena_alloc(struct arena *a, size_t n);
/* Same, zero-filled. */
void *arena_zalloc(struct arena *a, size_t n);
/* n elements of size sz, checked for overflow, zero-filled. */
void *arena_calloc(struct arena *a, size_t n, size_t sz);
/* Grow *p (from arena_alloc, old size oldn) to newn bytes; copies. */
void *arena_realloc(struct arena *a, void *p, size_t oldn, size_t newn);

/* Copy of len bytes plus a terminating NUL (for APIs that need C strings;
 * the bytes may still contain NULs, so keep the length). */
char *arena_strndup(struct arena *a, const char *p, size_t len);
/* Copy of a slice into the arena; on failure returns SLICE_NULL. */
struct slice arena_slice_dup(struct arena *a, struct slice s);
/* printf into the arena; our own format strings only. NULL on failure. */
char *arena_printf(struct arena *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Call fn(ptr) when the arena is freed.  Returns false when the cleanup
 * could not be registered; fn(ptr) has then already been called, so the
 * caller never leaks. */
bool arena_defer(struct arena *a, void (*fn)(void *), void *ptr);

/* Bytes handed out so far (for benchmarks and limit tests). */
size_t arena_used(const struct arena *a);

/* Growable byte buffer inside an arena, with a maximum length.  Any failure
 * (cap, memory) sets err and makes later appends no-ops: check once at the
 * end (OpenSMTPD's sticky-error style). */
struct buf {
	struct arena *arena;
	char *ptr;
	size_t len, cap, max;
	bool err;
};

void buf_init(struct buf *b, struct arena *a, size_t max);
void buf_add(struct buf *b, const void *p, size_t len);
void buf_add_slice(struct buf *b, struct slice s);
void buf_add_cstr(struct buf *b, const char *s);
void buf_add_byte(struct buf *b, char c);
void buf_addf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vaddf(struct buf *b, const char *fmt, va_list ap);
/* The contents as a slice (NUL-terminated in memory as well when !err). */
struct slice buf_slice(const struct buf *b);
/* The contents as a C string (never NULL: "" when err or empty). */
const char *buf_cstr(const struct buf *b);

#endif
