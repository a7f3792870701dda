/* arena.c — chunked region allocator; see arena.h.  Chunks come from malloc
 * and are linked; large requests get a chunk of their own. */
#include "arena.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mailauth_limits.h"

#define ARENA_CHUNK 16384
#define ARENA_ALIGN _Alignof(max_align_t)

struct arena_chunk {
	struct arena_chunk *next;
	size_t size, used;
	_Alignas(max_align_t) unsigned char data[];
};

struct arena_cleanup {
	struct arena_cleanup *next;
	void (*fn)(void *);
	void *ptr;
};

struct arena {
	struct arena_chunk *head;
	struct arena_cleanup *cleanups;
	size_t used, cap;
};

struct arena *arena_new(size_t cap)
{
	struct arena *a = calloc(1, sizeof *a);
	if (a)
		a->cap = cap ? cap : ARENA_DEFAULT_CAP;
	return a;
}

void arena_free(struct arena *a)
{
	if (!a)
		return;
	while (a->cleanups) {
		struct arena_cleanup *c = a->cleanups;
		a->cleanups = c->next;
		c->fn(c->ptr);
	}
	while (a->head) {
		struct arena_chunk *c = a->head;
		a->head = c->next;
		free(c);
	}
	free(a);
}

void *arena_alloc(struct arena *a, size_t n)
{
	if (!a)
		return NULL;
	if (n == 0)
		n = 1;
	if (n > SIZE_MAX - ARENA_ALIGN)
		return NULL;
	n = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
	if (n > a->cap - a->used || a->used > a->cap)
		return NULL;
	struct arena_chunk *c = a->head;
	if (!c || c->size - c->used < n) {
		size_t sz = n > ARENA_CHUNK / 2 ? n : ARENA_CHUNK;
		struct arena_chunk *nc = malloc(sizeof *nc + sz);
		if (!nc)
			return NULL;
		nc->size = sz;
		nc->used = 0;
		if (c && sz == n && c->size - c->used >= ARENA_CHUNK / 4) {
			/* A big block gets its own chunk behind the current one, so the
			 * current chunk's free space stays usable. */
			nc->next = c->next;
			c->next = nc;
		} else {
			nc->next = c;
			a->head = nc;
		}
		c = nc;
	}
	void *p = c->data + c->used;
	c->used += n;
	a->used += n;
	return p;
}

void *arena_zalloc(struct arena *a, size_t n)
{
	void *p = arena_alloc(a, n);
	if (p)
		memset(p, 0, n ? n : 1);
	return p;
}

void *arena_calloc(struct arena *a, size_t n, size_t sz)
{
	if (sz && n > SIZE_MAX / sz)
		return NULL;
	return arena_zalloc(a, n * sz);
}

void *arena_realloc(struct arena *a, void *p, size_t oldn, size_t newn)
{
	void *q = arena_alloc(a, newn);
	if (q && p && oldn)
		memcpy(q, p, oldn < newn ? oldn : newn);
	return q;
}

char *arena_strndup(struct arena *a, const char *p, size_t len)
{
	if (len == SIZE_MAX)
		return NULL;
	char *q = arena_alloc(a, len + 1);
	if (!q)
		return NULL;
	if (len)
		memcpy(q, p, len);
	q[len] = '\0';
	return q;
}

struct slice arena_slice_dup(struct arena *a, struct slice s)
{
	char *q = arena_strndup(a, s.ptr, s.len);
	return q ? slice_make(q, s.len) : SLICE_NULL;
}

char *arena_printf(struct arena *a, const char *fmt, ...)
{
	struct buf b;
	va_list ap;
	buf_init(&b, a, SIZE_MAX / 2);
	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	if (b.err)
		return NULL;
	return (char *)buf_cstr(&b);
}

bool arena_defer(struct arena *a, void (*fn)(void *), void *ptr)
{
	struct arena_cleanup *c = a ? arena_alloc(a, sizeof *c) : NULL;
	if (!c) {
		fn(ptr);
		return false;
	}
	c->fn = fn;
	c->ptr = ptr;
	c->next = a->cleanups;
	a->cleanups = c;
	return true;
}

size_t arena_used(const struct arena *a)
{
	return a ? a->used : 0;
}

void buf_init(struct buf *b, struct arena *a, size_t max)
{
	b->arena = a;
	b->ptr = NULL;
	b->len = b->cap = 0;
	b->max = max;
	b->err = false;
}

/* Make room for n more bytes plus a NUL. */
static bool buf_reserve(struct buf *b, size_t n)
{
	if (b->err)
		return false;
	if (n > b->max - b->len || b->len > b->max) {
		b->err = true;
		return false;
	}
	if (b->len + n + 1 <= b->cap)
		return true;
	size_t ncap = b->cap ? b->cap : 64;
	while (ncap < b->len + n + 1) {
		if (ncap > SIZE_MAX / 2) {
			b->err = true;
			return false;
		}
		ncap *= 2;
	}
	char *np = arena_realloc(b->arena, b->ptr, b->len, ncap);
	if (!np) {
		b->err = true;
		return false;
	}
	b->ptr = np;
	b->cap = ncap;
	return true;
}

void buf_add(struct buf *b, const void *p, size_t len)
{
	if (!buf_reserve(b, len))
		return;
	if (len)
		memcpy(b->ptr + b->len, p, len);
	b->len += len;
	b->ptr[b->len] = '\0';
}

void buf_add_slice(struct buf *b, struct slice s)
{
	buf_add(b, s.ptr, s.len);
}

void buf_add_cstr(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void buf_add_byte(struct buf *b, char c)
{
	buf_add(b, &c, 1);
}

void buf_vaddf(struct buf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0) {
		b->err = true;
		return;
	}
	if (!buf_reserve(b, (size_t)n))
		return;
	vsnprintf(b->ptr + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
}

void buf_addf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	buf_vaddf(b, fmt, ap);
	va_end(ap);
}

struct slice buf_slice(const struct buf *b)
{
	if (b->err || !b->ptr)
		return slice_make("", 0);
	return slice_make(b->ptr, b->len);
}

const char *buf_cstr(const struct buf *b)
{
	return (b->err || !b->ptr) ? "" : b->ptr;
}
