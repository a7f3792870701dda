/* fuzz_spf_addr.c — fuzz target for IP address text as SPF reads and
 * writes it (shared/spf_addr.h; RFC 7208 5.6, 7.3 and section 12's
 * ip4-network / ip6-network, RFC 4291 2.2, RFC 5952).  The input is one
 * address in text form.
 *
 * Properties checked (from spf_addr.h): the client parser agrees with the
 * strict IPv4 and IPv6 parsers (IPv4-mapped IPv6 becomes IPv4); the
 * readable form parses back to the same address; the formatters stay
 * within their documented maxima; an address matches itself at every
 * prefix length and a network at /0 matches anything of its family.
 * Corpus: tests/fuzz/corpus/spf_addr.  Ownership: tests/fuzz (fuzz harness).
 */
#include <string.h>

#include "fuzzutil.h"
#include "spf_addr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct slice in = fuzz_input(data, size);
	uint8_t v4[4], v6[16];
	bool is4 = spf_addr_parse_ip4(in, v4);
	bool is6 = spf_addr_parse_ip6(in, v6);
	FUZZ_CHECK(!(is4 && is6));
	struct spf_addr ad;
	bool ok = spf_addr_parse(in, &ad);
	FUZZ_CHECK(ok == (is4 || is6));
	if (!ok)
		return 0;
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	if (is4) {
		FUZZ_CHECK(ad.family == 4 && memcmp(ad.b, v4, 4) == 0);
	} else if (memcmp(v6, mapped, 12) == 0) {
		FUZZ_CHECK(ad.family == 4 && memcmp(ad.b, v6 + 12, 4) == 0);
	} else {
		FUZZ_CHECK(ad.family == 6 && memcmp(ad.b, v6, 16) == 0);
	}
	unsigned width = ad.family == 4 ? 32 : 128;
	for (unsigned c = 0; c <= width + 1; c++)
		FUZZ_CHECK(spf_addr_match(ad.b, ad.b, ad.family, c));

	char text[SPF_ADDR_TEXT_MAX], dotted[SPF_ADDR_DOTTED_MAX], rev[SPF_ADDR_REVERSE_MAX];
	size_t tl = spf_addr_format(&ad, text);
	FUZZ_CHECK(tl > 0 && tl < SPF_ADDR_TEXT_MAX && text[tl] == '\0');
	size_t dl = spf_addr_format_dotted(&ad, dotted);
	FUZZ_CHECK(dl > 0 && dl < SPF_ADDR_DOTTED_MAX && dotted[dl] == '\0');
	size_t rl = spf_addr_format_reverse(&ad, rev);
	FUZZ_CHECK(rl > dl && rl < SPF_ADDR_REVERSE_MAX && rev[rl] == '\0');

	struct spf_addr back;
	FUZZ_CHECK(spf_addr_parse(slice_make(text, tl), &back));
	FUZZ_CHECK(back.family == ad.family && memcmp(back.b, ad.b, ad.family == 4 ? 4 : 16) == 0);
	if (ad.family == 4)
		FUZZ_CHECK(spf_addr_parse_ip4(slice_make(text, tl), v4) && memcmp(v4, ad.b, 4) == 0);
	else
		FUZZ_CHECK(spf_addr_parse_ip6(slice_make(text, tl), v6) && memcmp(v6, ad.b, 16) == 0);
	/* /0 matches every address of the family. */
	uint8_t other[16];
	memset(other, 0xa5, sizeof other);
	FUZZ_CHECK(spf_addr_match(other, ad.b, ad.family, 0));
	return 0;
}
