/* fuzz_addr_from.c — fuzz target for the Author Domain extraction
 * (addr_from_domains and addr_from_single_domain in shared/addr.h, RFC 9989
 * 5.3.1, RFC 5322 3.6).  The input is a whole message, parsed with
 * msg_parse first (the From fields anywhere in the header section).
 *
 * Properties checked (from addr.h): the kind agrees with the number of From
 * fields (none, one, several); the domains are distinct, normalized and at
 * most the number of mailboxes stored; addr_from_single_domain answers only
 * for ADDR_FROM_ONE or a multi-address field sharing one usable domain,
 * and then with domains[0].
 * Corpus: tests/fuzz/corpus/addr_from.  Ownership: tests/fuzz (fuzz harness).
 */
#include "addr.h"
#include "domain.h"
#include "fuzzutil.h"
#include "mailauth_limits.h"
#include "msg.h"

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
	struct addr_from f;
	enum addr_status st = addr_from_domains(a, &m, &f);
	if (st == ADDR_E_NOMEM) {
		arena_free(a);
		return 0;
	}
	FUZZ_CHECK(st == ADDR_OK);
	FUZZ_CHECK(f.reason != NULL);
	fuzz_touch(slice_from_cstr(f.reason));
	fuzz_touch(slice_from_cstr(addr_from_kind_str(f.kind)));

	size_t nfrom = msg_count(&m, SLICE_LIT("From"));
	FUZZ_CHECK(f.nfields == nfrom);
	if (nfrom == 0)
		FUZZ_CHECK(f.kind == ADDR_FROM_NONE && f.ndomains == 0);
	else if (nfrom > 1)
		FUZZ_CHECK(f.kind == ADDR_FROM_MULTI_FIELD);
	else
		FUZZ_CHECK(f.kind == ADDR_FROM_ONE || f.kind == ADDR_FROM_NO_DOMAIN ||
		           f.kind == ADDR_FROM_MULTI_ADDRESS);
	if (f.kind == ADDR_FROM_ONE)
		FUZZ_CHECK(f.ndomains == 1 && f.naddresses == 1);
	FUZZ_CHECK(f.ndomains <= MSG_MAX_FROM_ADDRESSES);
	if (!f.truncated)
		FUZZ_CHECK(f.ndomains <= f.naddresses);

	for (size_t i = 0; i < f.ndomains; i++) {
		struct slice d = f.domains[i], again;
		FUZZ_CHECK(d.len > 0 && d.len <= DOMAIN_MAX_TEXT_NAME);
		for (size_t k = 0; k < d.len; k++)
			FUZZ_CHECK(!(d.ptr[k] >= 'A' && d.ptr[k] <= 'Z') && (unsigned char)d.ptr[k] < 0x80);
		if (domain_normalize(a, d, &again))
			FUZZ_CHECK(slice_eq(again, d));
		for (size_t j = 0; j < i; j++)
			FUZZ_CHECK(!domain_eq(f.domains[j], d));
	}

	struct slice one;
	bool single = addr_from_single_domain(&f, &one);
	if (single) {
		FUZZ_CHECK(f.kind == ADDR_FROM_ONE || f.kind == ADDR_FROM_MULTI_ADDRESS);
		FUZZ_CHECK(f.ndomains == 1 && slice_eq(one, f.domains[0]));
	} else {
		FUZZ_CHECK(one.ptr == NULL && one.len == 0);
		FUZZ_CHECK(f.kind != ADDR_FROM_ONE);
	}
	arena_free(a);
	return 0;
}
