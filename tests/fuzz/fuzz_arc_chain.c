/* fuzz_arc_chain.c — fuzz target for ARC chain collection (arc_chain_collect
 * in shared/arc.h; RFC 8617 4.1, 4.2.1, 5.2 steps 1-3): instances, set
 * structure, cv= values and the tags of every ARC-Message-Signature and
 * ARC-Seal, all without DNS or hashing.  The input is a whole message.
 *
 * Properties checked (from arc.h): NONE exactly when the message has no
 * ARC header field; the count of ARC fields seen; at most
 * ARC_MAX_INSTANCES sets; an OK chain has sets 1..n each complete with
 * instance k, cv=none at i=1 and cv=pass above; every signature has a
 * reason text, and a usable one has a normalized d= and its key name; a
 * broken chain says why.
 * Corpus: tests/fuzz/corpus/arc_chain.  Ownership: tests/fuzz (fuzz harness).
 */
#include "arc.h"
#include "domain.h"
#include "fuzzutil.h"
#include "mailauth_limits.h"
#include "msg.h"

#define FUZZ_NOW 1700000000u

static void fuzz_check_sig(struct arena *a, const struct arc_sig *s, unsigned instance)
{
	if (!s->hdr)
		return;
	FUZZ_CHECK(s->why != NULL);
	fuzz_touch(slice_from_cstr(s->why));
	if (!s->usable)
		return;
	FUZZ_CHECK(s->instance == instance);
	struct slice again;
	FUZZ_CHECK(domain_normalize(a, s->d_norm, &again) && slice_eq(again, s->d_norm));
	FUZZ_CHECK(s->key_name.len > s->d_norm.len);
	FUZZ_CHECK(domain_is_within(s->key_name, s->d_norm));
	fuzz_touch(s->b);
	fuzz_touch(s->s);
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
	struct arc_chain c;
	int rc = arc_chain_collect(a, &m, FUZZ_NOW, &c);
	FUZZ_CHECK(rc == ARC_OK || rc == ARC_ERR_NOMEM);
	if (rc != ARC_OK) {
		arena_free(a);
		return 0;
	}
	size_t narc = msg_count(&m, SLICE_LIT("ARC-Seal")) +
	              msg_count(&m, SLICE_LIT("ARC-Message-Signature")) +
	              msg_count(&m, SLICE_LIT("ARC-Authentication-Results"));
	FUZZ_CHECK(c.arc_headers == narc);
	FUZZ_CHECK((c.status == ARC_CHAIN_NONE) == (narc == 0));
	FUZZ_CHECK(c.n <= ARC_MAX_INSTANCES);
	fuzz_touch(c.domains);
	if (c.status == ARC_CHAIN_BROKEN) {
		FUZZ_CHECK(c.why != NULL);
		fuzz_touch(slice_from_cstr(c.why));
	}
	for (unsigned k = 0; k < c.n && c.set; k++) {
		const struct arc_set *s = &c.set[k];
		if (c.status == ARC_CHAIN_OK) {
			FUZZ_CHECK(s->instance == k + 1);
			FUZZ_CHECK(s->aar && s->ams.hdr && s->as.hdr);
			FUZZ_CHECK(s->as.cv == (k == 0 ? ARC_CV_NONE : ARC_CV_PASS));
		}
		fuzz_check_sig(a, &s->ams, k + 1);
		fuzz_check_sig(a, &s->as, k + 1);
		if (s->aar)
			fuzz_touch(s->aar->raw);
	}
	if (c.status == ARC_CHAIN_OK)
		FUZZ_CHECK(c.n >= 1 && c.set != NULL);
	arena_free(a);
	return 0;
}
