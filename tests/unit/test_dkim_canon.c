/* test_dkim_canon.c — unit tests for DKIM canonicalization and hashing
 * (shared/dkim_canon.c, shared/dkim_body.c, shared/b64.c): the RFC 6376
 * 3.4.5 example, the empty-body hashes of RFC 4871 erratum 1376, chunking
 * independence (every split point of a set of messages, and random bodies
 * against a straightforward reference implementation written here), the
 * one-pass hasher with several canonicalizations and l= limits, header
 * selection with over-signing, b= removal, and the strict base64 decoder. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "arena.h"
#include "b64.h"
#include "dkim.h"
#include "msg.h"
#include "slice.h"

static struct arena *A;

static void setup(void)
{
	A = arena_new(0);
	ck_assert_ptr_nonnull(A);
}

static void teardown(void)
{
	arena_free(A);
	A = NULL;
}

static struct slice S(const char *s)
{
	return slice_from_cstr(s);
}

/* ---------------------------------------------------------- helpers -- */

struct sink {
	char *p;
	size_t len, cap;
};

static void sink_emit(void *ctx, const char *p, size_t n)
{
	struct sink *s = ctx;
	if (n == 0)
		return;
	if (s->len + n > s->cap) {
		s->cap = (s->len + n) * 2 + 64;
		s->p = realloc(s->p, s->cap);
		ck_assert_ptr_nonnull(s->p);
	}
	memcpy(s->p + s->len, p, n);
	s->len += n;
}

/* Canonicalize body fed in the chunks given by cut points (sorted). */
static struct sink canon_chunks(enum dkim_canon c, const char *body, size_t len,
                                const size_t *cuts, size_t ncuts)
{
	struct sink s = { NULL, 0, 0 };
	struct dkim_bcanon bc;
	dkim_bcanon_init(&bc, c, sink_emit, &s);
	size_t prev = 0;
	for (size_t i = 0; i < ncuts; i++) {
		dkim_bcanon_feed(&bc, body + prev, cuts[i] - prev);
		prev = cuts[i];
	}
	dkim_bcanon_feed(&bc, body + prev, len - prev);
	dkim_bcanon_finish(&bc);
	ck_assert_uint_eq(bc.out_len, s.len);
	return s;
}

static struct sink canon_whole(enum dkim_canon c, const char *body, size_t len)
{
	return canon_chunks(c, body, len, NULL, 0);
}

/* The reference: canonicalization written the way RFC 6376 3.4.3-3.4.5
 * states it, on the whole body at once, with no streaming state at all. */
static struct sink canon_reference(enum dkim_canon c, const char *body, size_t len)
{
	/* 1. lines, split at CRLF or a bare LF; the rest is a last partial
	 *    line. */
	size_t nlines = 0;
	char **lines = calloc(len + 2, sizeof *lines);
	size_t *llen = calloc(len + 2, sizeof *llen);
	size_t start = 0;
	for (size_t i = 0; i < len; i++) {
		if (body[i] == '\n') {
			size_t e = (i > start && body[i - 1] == '\r') ? i - 1 : i;
			lines[nlines] = (char *)body + start;
			llen[nlines++] = e - start;
			start = i + 1;
		}
	}
	bool partial = start < len;
	if (partial) {
		lines[nlines] = (char *)body + start;
		llen[nlines++] = len - start;
	}
	/* 2. relaxed: WSP runs to one SP, trailing WSP removed. */
	char **out = calloc(nlines + 1, sizeof *out);
	size_t *olen = calloc(nlines + 1, sizeof *olen);
	for (size_t l = 0; l < nlines; l++) {
		out[l] = malloc(llen[l] + 1);
		size_t n = 0;
		for (size_t i = 0; i < llen[l]; i++) {
			char ch = lines[l][i];
			bool wsp = ch == ' ' || ch == '\t';
			if (c == DKIM_CANON_RELAXED && wsp) {
				if (n && out[l][n - 1] == ' ')
					continue;
				out[l][n++] = ' ';
			} else {
				out[l][n++] = ch;
			}
		}
		if (c == DKIM_CANON_RELAXED)
			while (n && out[l][n - 1] == ' ')
				n--;
		olen[l] = n;
	}
	/* 3. trailing empty lines go (a last partial line counts as a line). */
	size_t keep = nlines;
	while (keep && olen[keep - 1] == 0)
		keep--;
	struct sink s = { NULL, 0, 0 };
	for (size_t l = 0; l < keep; l++) {
		sink_emit(&s, out[l], olen[l]);
		sink_emit(&s, "\r\n", 2);
	}
	if (s.len == 0 && c == DKIM_CANON_SIMPLE)
		sink_emit(&s, "\r\n", 2);
	for (size_t l = 0; l < nlines; l++)
		free(out[l]);
	free(out);
	free(olen);
	free(lines);
	free(llen);
	return s;
}

static void expect_sink(struct sink s, const char *want, size_t wantlen, const char *what)
{
	ck_assert_msg(s.len == wantlen && (wantlen == 0 || memcmp(s.p, want, wantlen) == 0),
	              "%s: got [%.*s] (%zu), want [%.*s] (%zu)", what, (int)s.len,
	              s.p ? s.p : "", s.len, (int)wantlen, want, wantlen);
	free(s.p);
}

static void sha256_b64(const void *p, size_t n, char out[64])
{
	unsigned char md[32];
	unsigned int l = 0;
	EVP_Digest(p, n, md, &l, EVP_sha256(), NULL);
	struct arena *a = arena_new(0);
	struct slice b = b64_encode(a, md, l);
	memcpy(out, b.ptr, b.len);
	out[b.len] = '\0';
	arena_free(a);
}

/* --------------------------------------------------- body canon -- */

START_TEST(body_canon_matches_the_rfc6376_3_4_5_example)
{
	const char body[] = " C \r\nD \t E\r\n\r\n\r\n";
	struct sink s = canon_whole(DKIM_CANON_RELAXED, body, sizeof body - 1);
	expect_sink(s, " C\r\nD E\r\n", 9, "relaxed");
	s = canon_whole(DKIM_CANON_SIMPLE, body, sizeof body - 1);
	expect_sink(s, " C \r\nD \t E\r\n", 12, "simple");
}
END_TEST

START_TEST(body_canon_treats_a_bare_lf_as_crlf)
{
	const char lf[] = " C \nD \t E\n\n\n";
	const char crlf[] = " C \r\nD \t E\r\n\r\n\r\n";
	for (int c = 0; c < 2; c++) {
		struct sink a = canon_whole((enum dkim_canon)c, lf, sizeof lf - 1);
		struct sink b = canon_whole((enum dkim_canon)c, crlf, sizeof crlf - 1);
		ck_assert_uint_eq(a.len, b.len);
		ck_assert(memcmp(a.p, b.p, a.len) == 0);
		free(a.p);
		free(b.p);
	}
}
END_TEST

START_TEST(body_canon_keeps_a_bare_cr_as_an_ordinary_byte)
{
	const char body[] = "a\rb\r\n\r";
	expect_sink(canon_whole(DKIM_CANON_SIMPLE, body, sizeof body - 1), "a\rb\r\n\r\r\n", 8,
	            "simple");
	expect_sink(canon_whole(DKIM_CANON_RELAXED, "x \r y\r\n", 7), "x \r y\r\n", 7, "relaxed");
}
END_TEST

START_TEST(body_canon_handles_empty_bodies_as_erratum_1376_says)
{
	char h[64];
	/* simple: an empty body is CRLF; relaxed: it is empty. */
	static const char *const empties[] = { "", "\r\n", "\r\n\r\n", "\n\n\n" };
	for (size_t i = 0; i < 4; i++) {
		struct sink s = canon_whole(DKIM_CANON_SIMPLE, empties[i], strlen(empties[i]));
		sha256_b64(s.p, s.len, h);
		ck_assert_msg(strcmp(h, "frcCV1k9oG9oKj3dpUqdJg1PxRT2RSN/XKdLCPjaYaY=") == 0,
		              "case %zu: %s", i, h);
		free(s.p);
		s = canon_whole(DKIM_CANON_RELAXED, empties[i], strlen(empties[i]));
		sha256_b64(s.p ? s.p : "", s.len, h);
		ck_assert_msg(strcmp(h, "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=") == 0,
		              "case %zu: %s", i, h);
		free(s.p);
	}
	/* Whitespace-only lines are empty in relaxed, content in simple. */
	expect_sink(canon_whole(DKIM_CANON_RELAXED, " \t\r\n  \r\n", 8), "", 0, "relaxed ws");
	expect_sink(canon_whole(DKIM_CANON_SIMPLE, " \t\r\n", 4), " \t\r\n", 4, "simple ws");
}
END_TEST

START_TEST(body_canon_adds_a_line_end_to_a_last_line_without_one)
{
	expect_sink(canon_whole(DKIM_CANON_SIMPLE, "abc", 3), "abc\r\n", 5, "simple");
	expect_sink(canon_whole(DKIM_CANON_RELAXED, "abc  ", 5), "abc\r\n", 5, "relaxed");
	expect_sink(canon_whole(DKIM_CANON_SIMPLE, "a\r\n\r\nb", 6), "a\r\n\r\nb\r\n", 8,
	            "inner empty line kept");
}
END_TEST

static const char *const split_corpus[] = {
	" C \r\nD \t E\r\n\r\n\r\n",
	"Hi.\r\n\r\nWe lost the game.  Are you hungry yet?\r\n\r\nJoe.\r\n",
	"Hi.\n\nWe lost the game.  Are you hungry yet?\n\nJoe.\n\n\n",
	"mixed\r\nends\nhere \t \r\n\r\n  \n\t\r\nlast  ",
	"\r\r\n\r\r\r\n\n\r",
	"  leading\r\n\t\ttabs\t\r\n \r\n x \r\n",
	"a  b\t\tc \t d\r\n\r\n\r\ne",
	"",
	"\r",
	"\n",
	" ",
};

START_TEST(body_canon_output_does_not_depend_on_chunking)
{
	for (size_t m = 0; m < sizeof split_corpus / sizeof split_corpus[0]; m++) {
		const char *body = split_corpus[m];
		size_t len = strlen(body);
		for (int c = 0; c < 2; c++) {
			struct sink whole = canon_whole((enum dkim_canon)c, body, len);
			/* every single split point */
			for (size_t i = 0; i <= len; i++) {
				struct sink s = canon_chunks((enum dkim_canon)c, body, len, &i, 1);
				ck_assert_msg(s.len == whole.len &&
				                      (s.len == 0 || !memcmp(s.p, whole.p, s.len)),
				              "message %zu canon %d split at %zu", m, c, i);
				free(s.p);
			}
			/* every pair of split points (three chunks) */
			for (size_t i = 0; i <= len; i++) {
				for (size_t j = i; j <= len; j++) {
					size_t cuts[2] = { i, j };
					struct sink s = canon_chunks((enum dkim_canon)c, body, len, cuts, 2);
					ck_assert_msg(s.len == whole.len &&
					                      (s.len == 0 || !memcmp(s.p, whole.p, s.len)),
					              "message %zu canon %d split at %zu,%zu", m, c, i, j);
					free(s.p);
				}
			}
			/* one byte at a time */
			size_t *all = calloc(len + 1, sizeof *all);
			for (size_t i = 0; i < len; i++)
				all[i] = i;
			struct sink s = canon_chunks((enum dkim_canon)c, body, len, all, len);
			ck_assert_msg(s.len == whole.len && (s.len == 0 || !memcmp(s.p, whole.p, s.len)),
			              "message %zu canon %d byte by byte", m, c);
			free(s.p);
			free(all);
			/* and it agrees with the reference */
			struct sink ref = canon_reference((enum dkim_canon)c, body, len);
			ck_assert_msg(ref.len == whole.len &&
			                      (ref.len == 0 || !memcmp(ref.p, whole.p, ref.len)),
			              "message %zu canon %d differs from the reference: [%.*s] vs [%.*s]",
			              m, c, (int)whole.len, whole.p ? whole.p : "", (int)ref.len,
			              ref.p ? ref.p : "");
			free(ref.p);
			free(whole.p);
		}
	}
}
END_TEST

START_TEST(body_canon_agrees_with_the_reference_on_random_bodies)
{
	/* Bodies over the bytes canonicalization cares about, fed in random
	 * chunks; a fixed seed keeps the test reproducible. */
	static const char alphabet[] = "abc   \t\r\n\x01\xff";
	unsigned seed = 12345;
	char body[400];
	for (int iter = 0; iter < 4000; iter++) {
		seed = seed * 1103515245u + 12345u;
		size_t len = (seed >> 16) % sizeof body;
		for (size_t i = 0; i < len; i++) {
			seed = seed * 1103515245u + 12345u;
			body[i] = alphabet[(seed >> 16) % (sizeof alphabet - 1)];
		}
		size_t cuts[8], nc = 0;
		size_t prev = 0;
		while (nc < 8 && len) {
			seed = seed * 1103515245u + 12345u;
			size_t step = (seed >> 16) % (len / 3 + 2);
			if (prev + step > len)
				break;
			prev += step;
			cuts[nc++] = prev;
		}
		for (int c = 0; c < 2; c++) {
			struct sink s = canon_chunks((enum dkim_canon)c, body, len, cuts, nc);
			struct sink ref = canon_reference((enum dkim_canon)c, body, len);
			ck_assert_msg(ref.len == s.len && (s.len == 0 || !memcmp(ref.p, s.p, s.len)),
			              "iteration %d canon %d: [%.*s] vs reference [%.*s]", iter, c,
			              (int)s.len, s.p ? s.p : "", (int)ref.len, ref.p ? ref.p : "");
			free(s.p);
			free(ref.p);
		}
	}
}
END_TEST

START_TEST(body_canon_agrees_with_the_reference_on_mostly_text_bodies)
{
	/* Mostly letters with single spaces and CRLFs, now and then what the
	 * fast scanners must stop at (a second space, HTAB, bare CR or LF, a
	 * control byte, SP or HTAB after a line end), so long runs pass the
	 * 8- and 16-byte block scans and every kind of stop lands at every
	 * position of a block. */
	static const char *const pieces[] = { "word", "ab", "x", " ", " ", " ", " ", "\r\n",
		                              "\r\n", "  ", "\t", "\r", "\n", "\x01", "\xff",
		                              "\r\n ", "\r\n\t", " \r\n", "\r\n\r\n" };
	unsigned seed = 777;
	char body[3000];
	for (int iter = 0; iter < 3000; iter++) {
		size_t len = 0;
		seed = seed * 1103515245u + 12345u;
		size_t want = (seed >> 16) % (sizeof body - 8);
		while (len < want) {
			seed = seed * 1103515245u + 12345u;
			unsigned r = (seed >> 16) % 64;
			const char *pc = pieces[r < 32 ? r % 3 : r < 48 ? 3 + r % 5
			                                               : 8 + r % 11];
			size_t pl = strlen(pc);
			memcpy(body + len, pc, pl);
			len += pl;
		}
		size_t cuts[4], nc = 0;
		if (iter % 2) {
			seed = seed * 1103515245u + 12345u;
			cuts[nc++] = (seed >> 16) % (len + 1);
		}
		for (int c = 0; c < 2; c++) {
			struct sink s = canon_chunks((enum dkim_canon)c, body, len, cuts, nc);
			struct sink ref = canon_reference((enum dkim_canon)c, body, len);
			ck_assert_msg(ref.len == s.len && (s.len == 0 || !memcmp(ref.p, s.p, s.len)),
			              "iteration %d canon %d: outputs differ (%zu vs reference %zu bytes)",
			              iter, c, s.len, ref.len);
			free(s.p);
			free(ref.p);
		}
	}
}
END_TEST

static void count_emit(void *ctx, const char *p, size_t n)
{
	(void)p;
	(void)n;
	(*(size_t *)ctx)++;
}

START_TEST(body_canon_passes_long_unchanged_runs_through_in_few_pieces)
{
	/* Performance property: a CRLF text body with single spaces comes
	 * out unchanged, in one piece per chunk fed, not one per line. */
	size_t n = 0;
	char *body = malloc(70000);
	while (n + 60 < 70000) {
		memcpy(body + n, "The quick brown fox jumps over the lazy dog again.\r\n", 52);
		n += 52;
	}
	for (int c = 0; c < 2; c++) {
		size_t pieces = 0;
		struct dkim_bcanon bc;
		dkim_bcanon_init(&bc, (enum dkim_canon)c, count_emit, &pieces);
		dkim_bcanon_feed(&bc, body, n);
		dkim_bcanon_finish(&bc);
		ck_assert_msg(pieces <= 2, "canon %d: %zu pieces", c, pieces);
		ck_assert_uint_eq(bc.out_len, n);
		struct sink whole = canon_whole((enum dkim_canon)c, body, n);
		ck_assert_uint_eq(whole.len, n);
		ck_assert(memcmp(whole.p, body, n) == 0);
		free(whole.p);
	}
	free(body);
}
END_TEST

/* ------------------------------------------------------ body hasher -- */

static void body_digest_b64(struct dkim_body *b, size_t slot, char out[64], uint64_t *clen)
{
	const unsigned char *md;
	size_t mdlen;
	dkim_body_result(b, slot, &md, &mdlen, clen);
	ck_assert_ptr_nonnull(md);
	struct slice e = b64_encode(A, md, mdlen);
	memcpy(out, e.ptr, e.len);
	out[e.len] = '\0';
}

START_TEST(body_hasher_computes_every_requested_hash_in_one_pass)
{
	const char body[] = "Hi.\r\n\r\nWe lost the game.  Are you hungry yet?\r\n\r\nJoe.\r\n";
	struct dkim_body *b = dkim_body_new(A);
	size_t s_simple, s_relaxed, s_relaxed_l10, s_dup, s_sha1;
	ck_assert_int_eq(dkim_body_want(b, DKIM_CANON_SIMPLE, DKIM_HASH_SHA256, false, 0, &s_simple), 0);
	ck_assert_int_eq(dkim_body_want(b, DKIM_CANON_RELAXED, DKIM_HASH_SHA256, false, 0, &s_relaxed), 0);
	ck_assert_int_eq(dkim_body_want(b, DKIM_CANON_RELAXED, DKIM_HASH_SHA256, true, 10, &s_relaxed_l10), 0);
	ck_assert_int_eq(dkim_body_want(b, DKIM_CANON_SIMPLE, DKIM_HASH_SHA256, false, 0, &s_dup), 0);
	ck_assert_int_eq(dkim_body_want(b, DKIM_CANON_SIMPLE, DKIM_HASH_SHA1, false, 0, &s_sha1), 0);
	ck_assert_uint_eq(s_dup, s_simple);
	ck_assert_uint_ne(s_relaxed, s_simple);
	/* fed in awkward pieces */
	for (size_t i = 0; i < sizeof body - 1; i += 3)
		ck_assert_int_eq(dkim_body_feed(b, body + i, i + 3 <= sizeof body - 1 ? 3 : sizeof body - 1 - i), 0);
	ck_assert_int_eq(dkim_body_finish(b), 0);
	char h[64];
	uint64_t clen;
	/* The body hashes of the signed vectors in the conformance data
	 * (dkim-dkimpy rfc6376.signed.msg simple, RFC 8463 A.3 relaxed). */
	body_digest_b64(b, s_simple, h, &clen);
	ck_assert_str_eq(h, "4bLNXImK9drULnmePzZNEBleUanJCX5PIsDIFoH4KTQ=");
	body_digest_b64(b, s_relaxed, h, &clen);
	ck_assert_str_eq(h, "2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=");
	ck_assert_uint_eq(clen, sizeof body - 2); /* "  " became " " */
	char want[64];
	sha256_b64("Hi.\r\n\r\nWe ", 10, want);
	body_digest_b64(b, s_relaxed_l10, h, &clen);
	ck_assert_str_eq(h, want);
	ck_assert_uint_eq(clen, sizeof body - 2);
	const unsigned char *md;
	size_t mdlen;
	dkim_body_result(b, s_sha1, &md, &mdlen, &clen);
	ck_assert_uint_eq(mdlen, 20);
}
END_TEST

START_TEST(body_hasher_refuses_new_requests_after_the_body_started)
{
	struct dkim_body *b = dkim_body_new(A);
	size_t s;
	ck_assert_int_eq(dkim_body_want(b, DKIM_CANON_SIMPLE, DKIM_HASH_SHA256, false, 0, &s), 0);
	ck_assert_int_eq(dkim_body_feed(b, "x", 1), 0);
	ck_assert_int_eq(dkim_body_want(b, DKIM_CANON_RELAXED, DKIM_HASH_SHA256, false, 0, &s),
	                 DKIM_ERR_ARG);
	ck_assert_int_eq(dkim_body_finish(b), 0);
}
END_TEST

START_TEST(body_hasher_streams_a_large_body_like_the_whole)
{
	size_t n = 300000;
	char *body = malloc(n);
	for (size_t i = 0; i < n; i++)
		body[i] = "ab  c\t\r\n\n"[(i * 7 + i / 13) % 9];
	struct dkim_body *b1 = dkim_body_new(A), *b2 = dkim_body_new(A);
	size_t s1[2], s2[2];
	for (int c = 0; c < 2; c++) {
		dkim_body_want(b1, (enum dkim_canon)c, DKIM_HASH_SHA256, false, 0, &s1[c]);
		dkim_body_want(b2, (enum dkim_canon)c, DKIM_HASH_SHA256, false, 0, &s2[c]);
	}
	dkim_body_feed(b1, body, n);
	for (size_t off = 0; off < n;) {
		size_t k = (off * 31 + 17) % 5000 + 1;
		if (off + k > n)
			k = n - off;
		dkim_body_feed(b2, body + off, k);
		off += k;
	}
	dkim_body_finish(b1);
	dkim_body_finish(b2);
	for (int c = 0; c < 2; c++) {
		char h1[64], h2[64], ref[64];
		uint64_t l1, l2;
		body_digest_b64(b1, s1[c], h1, &l1);
		body_digest_b64(b2, s2[c], h2, &l2);
		ck_assert_str_eq(h1, h2);
		ck_assert_uint_eq(l1, l2);
		struct sink r = canon_reference((enum dkim_canon)c, body, n);
		sha256_b64(r.p, r.len, ref);
		ck_assert_str_eq(h1, ref);
		ck_assert_uint_eq(l1, r.len);
		free(r.p);
	}
	free(body);
}
END_TEST

/* ---------------------------------------------------- header canon -- */

static struct msg parse_msg(const char *text)
{
	struct msg m;
	ck_assert_int_eq(msg_parse(&m, A, slice_from_cstr(text)), MSG_OK);
	return m;
}

START_TEST(header_canon_matches_the_rfc6376_3_4_5_example)
{
	struct msg m = parse_msg("A: X\r\nB : Y\t\r\n\tZ  \r\n\r\nbody\r\n");
	ck_assert_uint_eq(m.nhdr, 2);
	struct buf b;
	buf_init(&b, A, 4096);
	dkim_canon_header(&b, DKIM_CANON_RELAXED, &m.hdr[0], true);
	dkim_canon_header(&b, DKIM_CANON_RELAXED, &m.hdr[1], true);
	ck_assert(slice_eq(buf_slice(&b), S("a:X\r\nb:Y Z\r\n")));
	buf_init(&b, A, 4096);
	dkim_canon_header(&b, DKIM_CANON_SIMPLE, &m.hdr[0], true);
	dkim_canon_header(&b, DKIM_CANON_SIMPLE, &m.hdr[1], true);
	ck_assert(slice_eq(buf_slice(&b), S("A: X\r\nB : Y\t\r\n\tZ  \r\n")));
}
END_TEST

START_TEST(header_canon_simple_writes_lf_folding_as_crlf)
{
	struct msg m = parse_msg("Subject: one\n two\n\t three\n\nbody\n");
	struct buf b;
	buf_init(&b, A, 4096);
	dkim_canon_header(&b, DKIM_CANON_SIMPLE, &m.hdr[0], false);
	ck_assert(slice_eq(buf_slice(&b), S("Subject: one\r\n two\r\n\t three")));
	buf_init(&b, A, 4096);
	dkim_canon_header(&b, DKIM_CANON_RELAXED, &m.hdr[0], false);
	ck_assert(slice_eq(buf_slice(&b), S("subject:one two three")));
}
END_TEST

START_TEST(header_canon_relaxed_handles_empty_and_whitespace_values)
{
	struct msg m = parse_msg("X-Empty:\r\nX-Blank: \t \r\nX-Cr: a\rb \r\n\r\n");
	struct buf b;
	buf_init(&b, A, 4096);
	for (size_t i = 0; i < 3; i++)
		dkim_canon_header(&b, DKIM_CANON_RELAXED, &m.hdr[i], true);
	ck_assert(slice_eq(buf_slice(&b), S("x-empty:\r\nx-blank:\r\nx-cr:a\rb\r\n")));
}
END_TEST

START_TEST(header_strip_b_empties_only_the_b_value)
{
	struct msg m = parse_msg("DKIM-Signature: v=1; bh=abc=;\r\n b=AAAA\r\n  BBBB ; d=x\r\n\r\n");
	struct msg_header out;
	ck_assert(dkim_header_strip_b(A, &m.hdr[0], &out));
	ck_assert(slice_eq(out.raw, S("DKIM-Signature: v=1; bh=abc=;\r\n b= ; d=x")));
	ck_assert(slice_eq(out.name, S("DKIM-Signature")));
	ck_assert(slice_eq(out.value, S(" v=1; bh=abc=;\r\n b= ; d=x")));
	/* b= last, value at the very end */
	m = parse_msg("ARC-Seal: i=1; b=  Zm9v\r\n\r\n");
	ck_assert(dkim_header_strip_b(A, &m.hdr[0], &out));
	ck_assert(slice_eq(out.raw, S("ARC-Seal: i=1; b=")));
	/* no b=, or not a tag list */
	m = parse_msg("DKIM-Signature: v=1; bh=x\r\nX: ;;\r\n\r\n");
	ck_assert(!dkim_header_strip_b(A, &m.hdr[0], &out));
	ck_assert(!dkim_header_strip_b(A, &m.hdr[1], &out));
}
END_TEST

START_TEST(header_selection_goes_bottom_up_and_oversigns)
{
	struct msg m = parse_msg("From: biz\r\nFoo: bar\r\nfrom: baz\r\nSubject: boring\r\n"
	                         "DKIM-Signature: x\r\n\r\n");
	struct slice names[] = { S("from"), S("subject"), S("to"), S("FROM"), S("from"),
	                         S("dkim-signature") };
	const struct msg_header **sel;
	size_t n;
	ck_assert_int_eq(dkim_select_headers(A, &m, names, 6, &m.hdr[4], &sel, &n), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert(slice_eq(sel[0]->raw, S("from: baz")));
	ck_assert(slice_eq(sel[1]->raw, S("Subject: boring")));
	ck_assert(slice_eq(sel[2]->raw, S("From: biz")));
	/* the excluded field is never picked, even when named */
	ck_assert_int_eq(dkim_select_headers(A, &m, names + 5, 1, NULL, &sel, &n), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(dkim_select_headers(A, &m, names + 5, 1, &m.hdr[4], &sel, &n), 0);
	ck_assert_uint_eq(n, 0);
}
END_TEST

START_TEST(header_hash_covers_fields_then_the_signature_without_crlf)
{
	struct msg m = parse_msg("From: a\r\nTo: b\r\nDKIM-Signature: v=1; b=xyz\r\n\r\n");
	struct msg_header nob;
	ck_assert(dkim_header_strip_b(A, &m.hdr[2], &nob));
	const struct msg_header *f[2] = { &m.hdr[0], &m.hdr[1] };
	unsigned char md[32], want[32];
	ck_assert_int_eq(dkim_header_hash(A, DKIM_HASH_SHA256, DKIM_CANON_RELAXED, f, 2, &nob, md), 0);
	const char text[] = "from:a\r\nto:b\r\ndkim-signature:v=1; b=";
	unsigned int l;
	EVP_Digest(text, sizeof text - 1, want, &l, EVP_sha256(), NULL);
	ck_assert(memcmp(md, want, 32) == 0);
}
END_TEST

/* ------------------------------------------------------------ base64 -- */

START_TEST(b64_decode_skips_fws_and_is_strict_otherwise)
{
	static const struct {
		const char *in;
		const char *out; /* NULL: syntax error */
	} cases[] = {
		{ "Zm9v", "foo" },
		{ "Zm9vYg==", "foob" },
		{ "Zm9vYmE=", "fooba" },
		{ " Zm9v\r\n\tYmFy ", "foobar" },
		{ "Zm 9v Y g = =", "foob" },
		{ "", "" },
		{ " \r\n ", "" },
		{ "Zm9", NULL },
		{ "Zm9vY", NULL },
		{ "Zm9v=", NULL },
		{ "Zm9vYg=", NULL },
		{ "Zm9vY===", NULL },
		{ "Zg==Zg==", NULL },
		{ "Zm9v!", NULL },
		{ "Zm9v;", NULL },
		{ "====", NULL },
		{ "Zm-_", NULL },
		{ "Zm9v\x80", NULL },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct slice out;
		enum b64_status st = b64_decode(A, S(cases[i].in), &out);
		if (!cases[i].out) {
			ck_assert_msg(st == B64_E_SYNTAX, "case %zu: accepted", i);
		} else {
			ck_assert_msg(st == B64_OK, "case %zu: rejected", i);
			ck_assert_msg(slice_eq(out, S(cases[i].out)), "case %zu: wrong bytes", i);
		}
	}
	/* NUL inside the input is a syntax error, not the end. */
	struct slice out;
	ck_assert_int_eq(b64_decode(A, slice_make("Zm9v\0AAA", 8), &out), B64_E_SYNTAX);
}
END_TEST

START_TEST(b64_encode_round_trips_every_length)
{
	unsigned char data[64];
	for (size_t i = 0; i < sizeof data; i++)
		data[i] = (unsigned char)(i * 37 + 11);
	for (size_t n = 0; n <= sizeof data; n++) {
		struct slice e = b64_encode(A, data, n);
		ck_assert_uint_eq(e.len, (n + 2) / 3 * 4);
		struct slice d;
		ck_assert_int_eq(b64_decode(A, e, &d), B64_OK);
		ck_assert_uint_eq(d.len, n);
		ck_assert(n == 0 || memcmp(d.ptr, data, n) == 0);
	}
}
END_TEST

static Suite *dkim_canon_suite(void)
{
	Suite *s = suite_create("dkim_canon");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, body_canon_matches_the_rfc6376_3_4_5_example);
	tcase_add_test(tc, body_canon_treats_a_bare_lf_as_crlf);
	tcase_add_test(tc, body_canon_keeps_a_bare_cr_as_an_ordinary_byte);
	tcase_add_test(tc, body_canon_handles_empty_bodies_as_erratum_1376_says);
	tcase_add_test(tc, body_canon_adds_a_line_end_to_a_last_line_without_one);
	tcase_add_test(tc, body_canon_output_does_not_depend_on_chunking);
	tcase_add_test(tc, body_canon_agrees_with_the_reference_on_random_bodies);
	tcase_add_test(tc, body_canon_agrees_with_the_reference_on_mostly_text_bodies);
	tcase_add_test(tc, body_canon_passes_long_unchanged_runs_through_in_few_pieces);
	tcase_add_test(tc, body_hasher_computes_every_requested_hash_in_one_pass);
	tcase_add_test(tc, body_hasher_refuses_new_requests_after_the_body_started);
	tcase_add_test(tc, body_hasher_streams_a_large_body_like_the_whole);
	tcase_add_test(tc, header_canon_matches_the_rfc6376_3_4_5_example);
	tcase_add_test(tc, header_canon_simple_writes_lf_folding_as_crlf);
	tcase_add_test(tc, header_canon_relaxed_handles_empty_and_whitespace_values);
	tcase_add_test(tc, header_strip_b_empties_only_the_b_value);
	tcase_add_test(tc, header_selection_goes_bottom_up_and_oversigns);
	tcase_add_test(tc, header_hash_covers_fields_then_the_signature_without_crlf);
	tcase_add_test(tc, b64_decode_skips_fws_and_is_strict_otherwise);
	tcase_add_test(tc, b64_encode_round_trips_every_length);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(dkim_canon_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
