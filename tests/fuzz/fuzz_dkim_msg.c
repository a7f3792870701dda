/* fuzz_dkim_msg.c — fuzz target for everything DKIM does to a message
 * before DNS and public-key cryptography (shared/dkim.h): header
 * canonicalization (RFC 6376 3.4.1, 3.4.2), the streaming body
 * canonicalizer (3.4.3, 3.4.4), header selection for h= (5.4.2), b=
 * removal and the header hash (3.7), and the one-pass body hasher with l=
 * (3.5, 3.7).  The input is a whole message.
 *
 * Properties checked (from dkim.h): relaxed header output is one line
 * (no LF, no HTAB, no double or trailing SP) with a lower-case name;
 * simple header output has only CRLF line ends; the body canonicalizer's
 * output does not depend on how the body is split into chunks, has only
 * CRLF line ends, no trailing empty lines and (relaxed) no WSP runs or WSP
 * before a line end; header selection never picks the excluded field,
 * never picks one field twice and picks fields with the names asked for.
 * Corpus: tests/fuzz/corpus/dkim_msg.  Ownership: tests/fuzz (fuzz harness).
 */
#include <string.h>

#include "dkim.h"
#include "fuzzutil.h"
#include "mailauth_limits.h"
#include "msg.h"

#define FUZZ_NOW 1700000000u

struct fuzz_sink_buf {
	struct buf b;
};

static void fuzz_emit(void *ctx, const char *p, size_t n)
{
	struct fuzz_sink_buf *s = ctx;
	buf_add(&s->b, p, n);
}

static struct slice fuzz_bcanon(struct arena *a, enum dkim_canon c, struct slice body,
                                size_t step, bool *err)
{
	struct fuzz_sink_buf s;
	buf_init(&s.b, a, 2 * body.len + 16);
	struct dkim_bcanon bc;
	dkim_bcanon_init(&bc, c, fuzz_emit, &s);
	if (step == 0) {
		dkim_bcanon_feed(&bc, body.ptr, body.len);
	} else {
		for (size_t off = 0; off < body.len; off += step) {
			size_t n = body.len - off < step ? body.len - off : step;
			dkim_bcanon_feed(&bc, body.ptr + off, n);
		}
	}
	dkim_bcanon_finish(&bc);
	*err = s.b.err;
	FUZZ_CHECK(bc.out_len == s.b.len || s.b.err);
	return buf_slice(&s.b);
}

static void fuzz_check_body(struct arena *a, enum dkim_canon c, struct slice body)
{
	bool e1, e2, e3;
	struct slice whole = fuzz_bcanon(a, c, body, 0, &e1);
	struct slice bytes = fuzz_bcanon(a, c, body, 1, &e2);
	struct slice odd = fuzz_bcanon(a, c, body, 7, &e3);
	if (e1 || e2 || e3)
		return;
	FUZZ_CHECK(slice_eq(whole, bytes));
	FUZZ_CHECK(slice_eq(whole, odd));
	const char *p = whole.ptr;
	size_t n = whole.len;
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\n')
			FUZZ_CHECK(i > 0 && p[i - 1] == '\r');
		if (c == DKIM_CANON_RELAXED) {
			FUZZ_CHECK(p[i] != '\t');
			if (p[i] == ' ')
				FUZZ_CHECK(i + 1 < n && p[i + 1] != ' ' &&
				           !(p[i + 1] == '\r' && i + 2 < n && p[i + 2] == '\n'));
		}
	}
	if (c == DKIM_CANON_SIMPLE) {
		/* RFC 6376 3.4.3: an empty body is one CRLF. */
		FUZZ_CHECK(n >= 2 && p[n - 2] == '\r' && p[n - 1] == '\n');
		if (n > 2)
			FUZZ_CHECK(!(n >= 4 && memcmp(p + n - 4, "\r\n\r\n", 4) == 0));
	} else if (n) {
		FUZZ_CHECK(n >= 2 && p[n - 2] == '\r' && p[n - 1] == '\n');
		FUZZ_CHECK(!(n >= 4 && memcmp(p + n - 4, "\r\n\r\n", 4) == 0));
	}
}

static void fuzz_check_header_canon(struct arena *a, const struct msg_header *h)
{
	struct buf b;
	buf_init(&b, a, 2 * h->raw.len + 16);
	dkim_canon_header(&b, DKIM_CANON_RELAXED, h, false);
	if (!b.err) {
		struct slice s = buf_slice(&b);
		FUZZ_CHECK(s.len >= h->name.len + 1 && s.ptr[h->name.len] == ':');
		for (size_t i = 0; i < s.len; i++) {
			FUZZ_CHECK(s.ptr[i] != '\n' && s.ptr[i] != '\t');
			if (i < h->name.len)
				FUZZ_CHECK(!(s.ptr[i] >= 'A' && s.ptr[i] <= 'Z'));
			if (s.ptr[i] == ' ')
				FUZZ_CHECK(i + 1 < s.len && s.ptr[i + 1] != ' ');
		}
		/* No WSP around the colon (RFC 6376 3.4.2). */
		if (s.len > h->name.len + 1)
			FUZZ_CHECK(s.ptr[h->name.len + 1] != ' ');
	}
	buf_init(&b, a, 2 * h->raw.len + 16);
	dkim_canon_header(&b, DKIM_CANON_SIMPLE, h, true);
	if (!b.err) {
		struct slice s = buf_slice(&b);
		FUZZ_CHECK(s.len >= h->raw.len + 2);
		for (size_t i = 0; i < s.len; i++)
			if (s.ptr[i] == '\n')
				FUZZ_CHECK(i > 0 && s.ptr[i - 1] == '\r');
	}
}

static void fuzz_check_signature(struct arena *a, const struct msg *m, size_t idx,
                                 struct dkim_body *body, bool *body_used)
{
	const struct msg_header *h = &m->hdr[idx];
	struct dkim_sig s;
	if (dkim_sig_parse(a, h, FUZZ_NOW, &s) != DKIM_OK || s.reason != DKIM_R_OK)
		return;
	const struct msg_header **sel;
	size_t nsel;
	if (dkim_select_headers(a, m, s.h, s.nh, h, &sel, &nsel) != DKIM_OK)
		return;
	FUZZ_CHECK(nsel <= s.nh);
	for (size_t i = 0; i < nsel; i++) {
		FUZZ_CHECK(sel[i] != h);
		FUZZ_CHECK(sel[i] >= m->hdr && sel[i] < m->hdr + m->nhdr);
		bool named = false;
		for (size_t k = 0; k < s.nh && !named; k++)
			named = slice_eq_ci(sel[i]->name, s.h[k]);
		FUZZ_CHECK(named);
		for (size_t j = 0; j < i; j++)
			FUZZ_CHECK(sel[j] != sel[i]);
	}
	struct msg_header nob;
	FUZZ_CHECK(dkim_header_strip_b(a, h, &nob));
	unsigned char md[DKIM_MAX_DIGEST];
	int rc = dkim_header_hash(a, dkim_algo_hash(s.algo), s.hcanon,
	                          (const struct msg_header *const *)sel, nsel, &nob, md);
	FUZZ_CHECK(rc == DKIM_OK || rc == DKIM_ERR_NOMEM);
	size_t slot;
	if (dkim_body_want(body, s.bcanon, dkim_algo_hash(s.algo), s.have_l, s.l, &slot) == DKIM_OK)
		*body_used = true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena *a = arena_new(0);
	if (!a)
		return 0;
	struct msg m;
	if (msg_parse(&m, a, fuzz_input(data, size)) != MSG_OK) {
		arena_free(a);
		return 0;
	}
	for (size_t i = 0; i < m.nhdr; i++)
		fuzz_check_header_canon(a, &m.hdr[i]);
	fuzz_check_body(a, DKIM_CANON_SIMPLE, m.body);
	fuzz_check_body(a, DKIM_CANON_RELAXED, m.body);

	struct dkim_body *body = dkim_body_new(a);
	if (body) {
		bool used = false;
		size_t pos = 0, nsig = 0;
		long idx;
		while ((idx = msg_find_next(&m, SLICE_LIT("DKIM-Signature"), &pos)) >= 0 &&
		       nsig++ < DKIM_MAX_SIGS)
			fuzz_check_signature(a, &m, (size_t)idx, body, &used);
		if (used) {
			/* Two chunks, split in the middle, as a spool reader would. */
			size_t half = m.body.len / 2;
			if (dkim_body_feed(body, m.body.ptr, half) == DKIM_OK &&
			    dkim_body_feed(body, m.body.ptr + half, m.body.len - half) == DKIM_OK &&
			    dkim_body_finish(body) == DKIM_OK) {
				const unsigned char *md;
				size_t mdlen;
				uint64_t clen;
				dkim_body_result(body, 0, &md, &mdlen, &clen);
				FUZZ_CHECK(mdlen == 32 || mdlen == 20);
			}
		}
	}
	arena_free(a);
	return 0;
}
