/* dkim_body.c — DKIM body canonicalization as a streaming state machine
 * (RFC 6376 3.4.3 simple, 3.4.4 relaxed, 3.4.5 line ends) and the one-pass
 * body hasher that computes every body hash a message's signatures need
 * (3.7 step 1, with l= from 3.5).
 *
 * The canonicalizer sees the body in chunks split anywhere; all its state
 * between chunks is in struct dkim_bcanon (a CR whose meaning depends on the
 * next byte, a run of WSP not yet known to be trailing, empty lines not yet
 * known to be trailing), so the output never depends on the split.  For
 * speed it passes long runs of bytes that canonicalization leaves alone
 * straight through as one piece; bytes it changes are handled one by one.
 *
 * The hasher runs one canonicalizer per canonicalization in use and gives
 * its output to every digest (hash algorithm, l= limit) that needs it.
 * Small pieces are gathered in a staging buffer so the digests see large
 * updates.  All memory is in the arena given; OpenSSL contexts are
 * registered with it.
 */
#include "dkim.h"

#include <string.h>

#include <openssl/evp.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* Byte classes for the scanner: 0 ordinary, 1 SP/HTAB, 2 CR, 3 LF. */
static inline int body_class(unsigned char c)
{
	if (c > ' ')
		return 0;
	switch (c) {
	case ' ':
	case '\t':
		return 1;
	case '\r':
		return 2;
	case '\n':
		return 3;
	default:
		return 0;
	}
}

void dkim_bcanon_init(struct dkim_bcanon *c, enum dkim_canon canon, dkim_emit_fn emit, void *ctx)
{
	memset(c, 0, sizeof *c);
	c->canon = canon;
	c->emit = emit;
	c->ctx = ctx;
}

static void bc_out(struct dkim_bcanon *c, const char *p, size_t n)
{
	if (n) {
		c->emit(c->ctx, p, n);
		c->out_len += n;
	}
}

/* Content is about to be written on the current line: the empty lines held
 * back before it are not trailing after all. */
static void bc_content(struct dkim_bcanon *c)
{
	if (!c->mid_line) {
		static const char crlfs[] = "\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n";
		while (c->blank_lines) {
			uint64_t k = c->blank_lines < 8 ? c->blank_lines : 8;
			bc_out(c, crlfs, (size_t)k * 2);
			c->blank_lines -= k;
		}
		c->mid_line = true;
	}
	if (c->wsp_pending) {
		/* Relaxed: a run of WSP inside a line is one SP. */
		bc_out(c, " ", 1);
		c->wsp_pending = false;
	}
}

/* A line end: after content it is written at once; an empty line waits. */
static void bc_eol(struct dkim_bcanon *c)
{
	c->wsp_pending = false; /* relaxed: WSP at the end of a line goes */
	if (c->mid_line) {
		bc_out(c, "\r\n", 2);
		c->mid_line = false;
	} else {
		c->blank_lines++;
	}
}

/* The scanners below find where a pass-through run ends.  A run starts at
 * an ordinary byte of a line that has content; it may cross CRLF line ends
 * when the next line starts with content too (so a normal text body is one
 * run per chunk).  They return the first position the run cannot take (or
 * n), and set *eol when the run ends just after a CRLF it took. */

/* simple: only line ends matter (WSP and bare CR are content); a bare LF
 * stops the run (it becomes CRLF), as does an empty line (held back). */
static size_t scan_simple(const char *p, size_t i, size_t n, bool *eol)
{
	for (;;) {
		const char *lf = memchr(p + i, '\n', n - i);
		if (!lf) {
			/* A CR at the very end may be half of a CRLF. */
			return (n > i && p[n - 1] == '\r') ? n - 1 : n;
		}
		size_t j = (size_t)(lf - p);
		if (p[j - 1] != '\r')
			return j; /* bare LF (j > 0: the run began before it) */
		if (j + 1 < n && p[j + 1] != '\r' && p[j + 1] != '\n') {
			i = j + 1;
			continue;
		}
		*eol = true;
		return j + 1;
	}
}

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define BODY_SWAR 1
#define ONES 0x0101010101010101ull
/* 0x80 in each byte of x below 0x21 (SP, HTAB, CR, LF, other controls);
 * exact, no carries between bytes. */
static inline uint64_t swar_lt21(uint64_t x)
{
	uint64_t t = (x & (0x7f * ONES)) + 0x5f * ONES;
	return ~(t | x) & (0x80 * ONES);
}

/* 0x80 in each byte of x equal to SP. */
static inline uint64_t swar_sp(uint64_t x)
{
	uint64_t e = x ^ (0x20 * ONES);
	uint64_t t = (e & (0x7f * ONES)) + 0x7f * ONES;
	return ~(t | e) & (0x80 * ONES);
}
#endif

/* relaxed: the run takes bytes above SP, single SPs followed by such a
 * byte, CRLFs followed by such a byte, and control bytes other than HTAB,
 * CR and LF.  Sixteen bytes at a time with SSE2 (every x86-64), else eight
 * where the byte order allows: a block passes when none of its bytes stops
 * the run, i.e. each byte at or below SP is a SP whose next byte is above
 * SP; otherwise the first such byte is looked at one by one below.
 * Canonicalization is the part of body hashing that the SHA-256 floor
 * does not pay, and SHA-256 with the CPU's SHA instructions runs at about
 * two cycles per byte, so this loop has to stay well under that. */
static size_t scan_relaxed(const char *p, size_t i, size_t n, bool *eol)
{
	for (;;) {
#if defined(__SSE2__)
		{
			const __m128i sp20 = _mm_set1_epi8(' ');
			while (i + 17 <= n) {
				__m128i x = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
				/* min(x, SP) == x: the byte is at or below SP (unsigned). */
				unsigned lt = (unsigned)_mm_movemask_epi8(
					_mm_cmpeq_epi8(_mm_min_epu8(x, sp20), x));
				if (!lt) {
					i += 16;
					continue;
				}
				__m128i y = _mm_loadu_si128((const __m128i *)(const void *)(p + i + 1));
				unsigned next_lt = (unsigned)_mm_movemask_epi8(
					_mm_cmpeq_epi8(_mm_min_epu8(y, sp20), y));
				unsigned sp = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, sp20));
				unsigned stop = (lt & ~sp) | (sp & next_lt);
				if (!stop) {
					i += 16;
					continue;
				}
				i += (size_t)__builtin_ctz(stop);
				goto found;
			}
		}
#elif defined(BODY_SWAR)
		while (i + 9 <= n) {
			uint64_t x;
			memcpy(&x, p + i, 8);
			uint64_t lt = swar_lt21(x);
			if (!lt) {
				i += 8;
				continue;
			}
			uint64_t sp = swar_sp(x);
			uint64_t next_lt = (lt >> 8) |
			                   ((uint64_t)((unsigned char)p[i + 8] < 0x21) << 63);
			uint64_t stop = (lt & ~sp) | (sp & next_lt);
			if (!stop) {
				i += 8;
				continue;
			}
			i += (size_t)__builtin_ctzll(stop) >> 3;
			goto found;
		}
#endif
		while (i < n) {
			unsigned char d = (unsigned char)p[i];
			if (d > ' ') {
				i++;
				continue;
			}
			if (d == ' ' && i + 1 < n && (unsigned char)p[i + 1] > ' ') {
				i += 2;
				continue;
			}
			break;
		}
		if (i >= n)
			return n;
#if defined(__SSE2__) || defined(BODY_SWAR)
	found:
#endif
		{
			unsigned char d = (unsigned char)p[i];
			if (d == '\r' && i + 1 < n && p[i + 1] == '\n') {
				if (i + 2 < n && (unsigned char)p[i + 2] > ' ') {
					i += 2;
					continue;
				}
				*eol = true;
				return i + 2;
			}
			if (d != ' ' && d != '\t' && d != '\r' && d != '\n') {
				i++; /* another control byte: ordinary */
				continue;
			}
			return i;
		}
	}
}

void dkim_bcanon_feed(struct dkim_bcanon *c, const char *p, size_t n)
{
	const bool relaxed = c->canon == DKIM_CANON_RELAXED;
	size_t i = 0;
	if (n && c->cr_pending) {
		c->cr_pending = false;
		if (p[0] == '\n') {
			bc_eol(c);
			i = 1;
		} else {
			/* The CR was an ordinary byte (RFC 6376 3.4.5 names only
			 * CRLF as a line end; we add bare LF, never bare CR). */
			bc_content(c);
			bc_out(c, "\r", 1);
		}
	}
	while (i < n) {
		unsigned char ch = (unsigned char)p[i];
		int cls = body_class(ch);
		if (cls == 0) {
			/* Content on the line settles the held-back state; then a
			 * pass-through run goes out as one piece. */
			bc_content(c);
			size_t start = i;
			bool eol = false;
			i = relaxed ? scan_relaxed(p, i + 1, n, &eol) : scan_simple(p, i + 1, n, &eol);
			bc_out(c, p + start, i - start);
			if (eol)
				c->mid_line = false;
			continue;
		}
		i++;
		switch (cls) {
		case 1:
			if (relaxed) {
				c->wsp_pending = true;
			} else {
				bc_content(c);
				bc_out(c, (const char *)&p[i - 1], 1);
			}
			break;
		case 2:
			if (i < n) {
				if (p[i] == '\n') {
					i++;
					bc_eol(c);
				} else {
					bc_content(c);
					bc_out(c, "\r", 1);
				}
			} else {
				c->cr_pending = true;
			}
			break;
		default: /* bare LF */
			bc_eol(c);
			break;
		}
	}
}

void dkim_bcanon_finish(struct dkim_bcanon *c)
{
	if (c->finished)
		return;
	if (c->cr_pending) {
		c->cr_pending = false;
		bc_content(c);
		bc_out(c, "\r", 1);
	}
	/* A last line without a line end gets one (3.4.3 and 3.4.4); trailing
	 * WSP on it goes like on any line (relaxed). */
	if (c->mid_line)
		bc_eol(c);
	/* 3.4.3: an empty body (or only empty lines) is one CRLF in simple;
	 * in relaxed it stays empty (RFC 6376 erratum 1384 ... consensus of
	 * the DKIM interop: the relaxed null body is the null input). */
	if (c->out_len == 0 && c->canon == DKIM_CANON_SIMPLE)
		bc_out(c, "\r\n", 2);
	c->blank_lines = 0;
	c->finished = true;
}

/* ------------------------------------------------------------ hasher -- */

/* Staging buffer size: pieces smaller than this are gathered; larger ones
 * go straight to the digests. */
#define BODY_STAGE 8192
#define BODY_DIRECT 256

struct body_digest {
	enum dkim_hash hash;
	bool limited;
	uint64_t limit;
	uint64_t fed;             /* bytes given to the digest */
	EVP_MD_CTX *ctx;
	unsigned char md[DKIM_MAX_DIGEST];
	size_t mdlen;
};

struct body_canon {
	struct dkim_body *owner;
	struct dkim_bcanon bc;
	size_t *slots;            /* digests fed by this canonicalizer */
	size_t nslots;
	char *stage;
	size_t staged;
	bool used;
};

struct dkim_body {
	struct arena *arena;
	struct body_canon canon[2];  /* indexed by enum dkim_canon */
	struct body_digest *dig;
	size_t ndig;
	bool started, finished, err;
};

static void body_free_mdctx(void *p)
{
	EVP_MD_CTX_free(p);
}

struct dkim_body *dkim_body_new(struct arena *a)
{
	struct dkim_body *b = arena_zalloc(a, sizeof *b);
	if (!b)
		return NULL;
	b->arena = a;
	return b;
}

int dkim_body_want(struct dkim_body *b, enum dkim_canon c, enum dkim_hash h, bool limited,
                   uint64_t limit, size_t *slot)
{
	if (b->started)
		return DKIM_ERR_ARG;
	if (!limited)
		limit = 0;
	for (size_t i = 0; i < b->ndig; i++) {
		struct body_digest *d = &b->dig[i];
		struct body_canon *bc = &b->canon[c];
		if (d->hash != h || d->limited != limited || d->limit != limit)
			continue;
		for (size_t j = 0; j < bc->nslots; j++) {
			if (bc->slots[j] == i) {
				*slot = i;
				return DKIM_OK;
			}
		}
	}
	/* Grow by one; signatures per message are few (DKIM_MAX_SIGS). */
	struct body_digest *nd = arena_realloc(b->arena, b->dig, b->ndig * sizeof *nd,
	                                       (b->ndig + 1) * sizeof *nd);
	struct body_canon *bc = &b->canon[c];
	size_t *ns = arena_realloc(b->arena, bc->slots, bc->nslots * sizeof *ns,
	                           (bc->nslots + 1) * sizeof *ns);
	if (!nd || !ns)
		return DKIM_ERR_NOMEM;
	b->dig = nd;
	bc->slots = ns;
	struct body_digest *d = &b->dig[b->ndig];
	memset(d, 0, sizeof *d);
	d->hash = h;
	d->limited = limited;
	d->limit = limit;
	d->ctx = EVP_MD_CTX_new();
	if (!d->ctx || !arena_defer(b->arena, body_free_mdctx, d->ctx))
		return DKIM_ERR_NOMEM;
	if (EVP_DigestInit_ex(d->ctx, h == DKIM_HASH_SHA1 ? EVP_sha1() : EVP_sha256(), NULL) != 1)
		return DKIM_ERR_CRYPTO;
	bc->slots[bc->nslots++] = b->ndig;
	*slot = b->ndig++;
	return DKIM_OK;
}

/* Give bytes to every digest of one canonicalizer, each up to its limit. */
static void body_to_digests(struct body_canon *bc, const char *p, size_t n)
{
	struct dkim_body *b = bc->owner;
	for (size_t j = 0; j < bc->nslots; j++) {
		struct body_digest *d = &b->dig[bc->slots[j]];
		size_t take = n;
		if (d->limited) {
			uint64_t room = d->limit > d->fed ? d->limit - d->fed : 0;
			if (take > room)
				take = (size_t)room;
		}
		if (take && EVP_DigestUpdate(d->ctx, p, take) != 1)
			b->err = true;
		d->fed += take;
	}
}

static void body_flush(struct body_canon *bc)
{
	if (bc->staged) {
		body_to_digests(bc, bc->stage, bc->staged);
		bc->staged = 0;
	}
}

static void body_emit(void *ctx, const char *p, size_t n)
{
	struct body_canon *bc = ctx;
	if (n >= BODY_DIRECT) {
		body_flush(bc);
		body_to_digests(bc, p, n);
		return;
	}
	if (bc->staged + n > BODY_STAGE)
		body_flush(bc);
	memcpy(bc->stage + bc->staged, p, n);
	bc->staged += n;
}

static int body_start(struct dkim_body *b)
{
	b->started = true;
	for (int c = 0; c < 2; c++) {
		struct body_canon *bc = &b->canon[c];
		if (!bc->nslots)
			continue;
		bc->owner = b;
		bc->used = true;
		bc->stage = arena_alloc(b->arena, BODY_STAGE);
		if (!bc->stage)
			return DKIM_ERR_NOMEM;
		dkim_bcanon_init(&bc->bc, (enum dkim_canon)c, body_emit, bc);
	}
	return DKIM_OK;
}

int dkim_body_feed(struct dkim_body *b, const char *p, size_t n)
{
	if (b->finished)
		return DKIM_ERR_ARG;
	if (!b->started) {
		int rc = body_start(b);
		if (rc)
			return rc;
	}
	for (int c = 0; c < 2; c++)
		if (b->canon[c].used)
			dkim_bcanon_feed(&b->canon[c].bc, p, n);
	return b->err ? DKIM_ERR_CRYPTO : DKIM_OK;
}

int dkim_body_finish(struct dkim_body *b)
{
	if (b->finished)
		return DKIM_OK;
	if (!b->started) {
		int rc = body_start(b);
		if (rc)
			return rc;
	}
	b->finished = true;
	for (int c = 0; c < 2; c++) {
		struct body_canon *bc = &b->canon[c];
		if (!bc->used)
			continue;
		dkim_bcanon_finish(&bc->bc);
		body_flush(bc);
	}
	for (size_t i = 0; i < b->ndig; i++) {
		struct body_digest *d = &b->dig[i];
		unsigned int len = 0;
		if (EVP_DigestFinal_ex(d->ctx, d->md, &len) != 1)
			b->err = true;
		d->mdlen = len;
	}
	return b->err ? DKIM_ERR_CRYPTO : DKIM_OK;
}

void dkim_body_result(const struct dkim_body *b, size_t slot, const unsigned char **md,
                      size_t *mdlen, uint64_t *canon_len)
{
	*md = NULL;
	*mdlen = 0;
	*canon_len = 0;
	if (slot >= b->ndig || !b->finished)
		return;
	*md = b->dig[slot].md;
	*mdlen = b->dig[slot].mdlen;
	for (int c = 0; c < 2; c++) {
		const struct body_canon *bc = &b->canon[c];
		for (size_t j = 0; j < bc->nslots; j++)
			if (bc->slots[j] == slot)
				*canon_len = bc->bc.out_len;
	}
}
