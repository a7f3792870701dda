/* fuzz_dkim_sig.c — fuzz target for DKIM-Signature parsing and validation
 * (dkim_sig_parse and dkim_header_strip_b in shared/dkim.h; RFC 6376 3.5,
 * 3.7, 6.1.1; RFC 8301 3.1).  The input is the field body after
 * "DKIM-Signature:", folding included; the harness builds the field in an
 * exact-size buffer so a read past its end is caught.
 *
 * Properties checked (from dkim.h): every problem is a reason with a
 * detail, never a crash; a signature accepted as DKIM_R_OK has all of
 * v a b bh d h s, v=1, From among h=, a normalized d= with i= inside it,
 * x= after t= and not before now, and not rsa-sha1; b= removal succeeds on
 * any accepted signature, keeps the name, removes only the b= value and is
 * idempotent.
 * Corpus: tests/fuzz/corpus/dkim_sig.  Ownership: tests/fuzz (fuzz harness).
 */
#include <stdlib.h>
#include <string.h>

#include "dkim.h"
#include "domain.h"
#include "fuzzutil.h"

/* A fixed "now" inside the seeds' t=/x= ranges, so runs are reproducible. */
#define FUZZ_NOW 1700000000u

static void fuzz_strip_check(struct arena *a, const struct msg_header *h, bool must)
{
	struct msg_header nb, nb2;
	bool ok = dkim_header_strip_b(a, h, &nb);
	if (must)
		FUZZ_CHECK(ok);
	if (!ok)
		return;
	FUZZ_CHECK(nb.raw.len <= h->raw.len);
	FUZZ_CHECK(fuzz_within(nb.name, nb.raw.ptr, nb.raw.len));
	FUZZ_CHECK(fuzz_within(nb.value, nb.raw.ptr, nb.raw.len));
	FUZZ_CHECK(slice_eq(nb.name, h->name));
	FUZZ_CHECK(nb.value.ptr + nb.value.len == nb.raw.ptr + nb.raw.len);
	/* Idempotent: once b= is empty, removing it again changes nothing. */
	FUZZ_CHECK(dkim_header_strip_b(a, &nb, &nb2));
	FUZZ_CHECK(slice_eq(nb.raw, nb2.raw));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char prefix[] = "DKIM-Signature:";
	const size_t plen = sizeof prefix - 1;
	char *raw = malloc(plen + size + 1);
	if (!raw)
		return 0;
	memcpy(raw, prefix, plen);
	if (size)
		memcpy(raw + plen, data, size);
	struct msg_header h;
	h.raw = slice_make(raw, plen + size);
	h.name = slice_make(raw, plen - 1);
	h.value = slice_make(raw + plen, size);

	struct arena *a = arena_new(0);
	if (!a) {
		free(raw);
		return 0;
	}
	struct dkim_sig s;
	int rc = dkim_sig_parse(a, &h, FUZZ_NOW, &s);
	FUZZ_CHECK(rc == DKIM_OK || rc == DKIM_ERR_NOMEM);
	if (rc == DKIM_OK) {
		FUZZ_CHECK(s.detail != NULL);
		fuzz_touch(slice_from_cstr(s.detail));
		fuzz_touch(slice_from_cstr(dkim_reason_str(s.reason)));
		FUZZ_CHECK(s.hdr == &h);
	}
	if (rc == DKIM_OK && s.reason == DKIM_R_OK) {
		FUZZ_CHECK(s.v.ptr && s.a_text.ptr && s.b_text.ptr && s.bh_text.ptr && s.d.ptr &&
		           s.h_text.ptr && s.s.ptr);
		FUZZ_CHECK(slice_eq(s.v, SLICE_LIT("1")));
		FUZZ_CHECK(s.algo != DKIM_ALG_RSA_SHA1);
		FUZZ_CHECK(s.nh >= 1);
		bool from = false;
		for (size_t i = 0; i < s.nh; i++) {
			FUZZ_CHECK(s.h[i].len > 0);
			from |= slice_eq_ci(s.h[i], SLICE_LIT("from"));
		}
		FUZZ_CHECK(from);
		struct slice again;
		FUZZ_CHECK(domain_normalize(a, s.d_norm, &again) && slice_eq(again, s.d_norm));
		FUZZ_CHECK(domain_is_within(s.i_domain, s.d_norm));
		if (s.have_x) {
			FUZZ_CHECK(s.x >= FUZZ_NOW);
			if (s.have_t)
				FUZZ_CHECK(s.x > s.t);
		}
		fuzz_touch(s.b);
		fuzz_touch(s.bh);
		FUZZ_CHECK(fuzz_within(s.b_text, raw, plen + size));
		FUZZ_CHECK(fuzz_within(s.d, raw, plen + size));
	}
	fuzz_strip_check(a, &h, rc == DKIM_OK && s.reason == DKIM_R_OK);

	/* now 0: no expiry check, the rest the same. */
	struct dkim_sig s0;
	if (dkim_sig_parse(a, &h, 0, &s0) == DKIM_OK && rc == DKIM_OK && s.reason == DKIM_R_OK)
		FUZZ_CHECK(s0.reason == DKIM_R_OK);
	arena_free(a);
	free(raw);
	return 0;
}
