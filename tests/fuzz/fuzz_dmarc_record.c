/* fuzz_dmarc_record.c — fuzz target for DMARC policy records
 * (dmarc_record_parse and dmarc_record_effective in shared/dmarc.h; RFC 9989
 * 4.7, 4.8, 4.10.1; RFC 7489 6.3 for pct=, rf=, ri=).  The input is one TXT
 * string.
 *
 * Properties checked (from dmarc.h): NOT_DMARC unless the text starts with
 * the v tag; a record keeps the text it came from; enumerations stay in
 * range; pct is 0..100; at most DMARC_MAX_REPORT_URIS report URIs, each
 * inside the text and only when the tag was present; the 4.10.1 rule:
 * a record is unusable exactly when p= is missing or invalid (or sp=/np=
 * invalid) and rua= has no valid URI, and a degraded record asks for none.
 * Corpus: tests/fuzz/corpus/dmarc_record.  Ownership: tests/fuzz (fuzz harness).
 */
#include "dmarc.h"
#include "fuzzutil.h"
#include "mailauth_limits.h"

static void fuzz_uris(const struct slice *u, size_t n, bool present, const void *base,
                      size_t len)
{
	FUZZ_CHECK(n <= DMARC_MAX_REPORT_URIS);
	if (n)
		FUZZ_CHECK(present && u != NULL);
	for (size_t i = 0; i < n; i++) {
		FUZZ_CHECK(u[i].len > 0);
		FUZZ_CHECK(fuzz_within(u[i], base, len));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena *a = arena_new(0);
	if (!a)
		return 0;
	struct slice in = fuzz_input(data, size);
	struct dmarc_record r;
	enum dmarc_rec_status st = dmarc_record_parse(a, in, &r);
	FUZZ_CHECK(st == DMARC_REC_OK || st == DMARC_REC_NOT_DMARC || st == DMARC_REC_NOMEM);
	if (st == DMARC_REC_OK) {
		/* RFC 9989 4.7: v=DMARC1 comes first. */
		FUZZ_CHECK(size >= 8);
		FUZZ_CHECK(slice_eq(r.text, in));
		FUZZ_CHECK(r.p <= DMARC_POLICY_REJECT && r.sp <= DMARC_POLICY_REJECT &&
		           r.np <= DMARC_POLICY_REJECT);
		FUZZ_CHECK(r.adkim <= DMARC_ALIGN_STRICT && r.aspf <= DMARC_ALIGN_STRICT);
		FUZZ_CHECK(r.psd <= DMARC_PSD_N);
		FUZZ_CHECK(r.pct <= 100);
		FUZZ_CHECK((r.fo & ~(DMARC_FO_0 | DMARC_FO_1 | DMARC_FO_D | DMARC_FO_S)) == 0);
		fuzz_uris(r.rua, r.n_rua, r.rua_present, data, size);
		fuzz_uris(r.ruf, r.n_ruf, r.ruf_present, data, size);
		fuzz_touch(r.rf);
		if (r.note)
			fuzz_touch(slice_from_cstr(r.note));
		fuzz_touch(slice_from_cstr(dmarc_policy_str(r.p)));

		struct dmarc_record eff;
		bool degraded;
		bool usable = dmarc_record_effective(&r, &eff, &degraded);
		bool p_ok = r.p != DMARC_POLICY_UNSPECIFIED && !r.p_invalid && !r.sp_invalid &&
		            !r.np_invalid;
		FUZZ_CHECK(usable == (p_ok || r.n_rua > 0));
		FUZZ_CHECK(!degraded || usable);
		if (usable && degraded)
			FUZZ_CHECK(!p_ok && eff.p == DMARC_POLICY_NONE && eff.sp == DMARC_POLICY_NONE &&
			           eff.np == DMARC_POLICY_NONE);
		if (usable && !degraded)
			FUZZ_CHECK(eff.p == r.p && eff.sp == r.sp && eff.np == r.np);
	}
	arena_free(a);
	return 0;
}
