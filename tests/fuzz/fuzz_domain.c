/* fuzz_domain.c — fuzz target for domain-name normalization and label
 * arithmetic (shared/domain.h: RFC 1034 3.1, RFC 1035 2.3.4, RFC 4343,
 * RFC 5890/5891 through libidn2).  The input is one name, any bytes.
 *
 * Properties checked (from domain.h): a normalized name is non-empty, at
 * most DOMAIN_MAX_TEXT_NAME, lower-case LDH/'_' labels of 1..63 octets, no
 * trailing dot, and normalizing it again changes nothing; for pure ASCII
 * input the result is exactly the lower-cased input without one trailing
 * dot.  On the normalized name the label helpers agree with each other
 * (label count, parent, last labels, is_within, eq).  On the raw input
 * every returned slice points into it.
 * Corpus: tests/fuzz/corpus/domain.  Ownership: tests/fuzz (fuzz harness).
 */
#include "domain.h"
#include "fuzzutil.h"
#include "mailauth_limits.h"

static void fuzz_domain_check_valid(struct slice d)
{
	FUZZ_CHECK(d.ptr && d.len >= 1 && d.len <= DOMAIN_MAX_TEXT_NAME);
	FUZZ_CHECK(d.ptr[d.len] == '\0'); /* documented: NUL-terminated in memory */
	size_t label = 0, labels = 1;
	for (size_t i = 0; i < d.len; i++) {
		char c = d.ptr[i];
		if (c == '.') {
			FUZZ_CHECK(label > 0);
			label = 0;
			labels++;
			continue;
		}
		FUZZ_CHECK((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_');
		label++;
		FUZZ_CHECK(label <= DNS_MAX_LABEL);
	}
	FUZZ_CHECK(label > 0);
	FUZZ_CHECK(domain_label_count(d) == labels);

	FUZZ_CHECK(domain_eq(d, d));
	FUZZ_CHECK(domain_is_within(d, d));
	struct slice p = domain_parent(d);
	FUZZ_CHECK(fuzz_within(p, d.ptr, d.len));
	if (labels == 1) {
		FUZZ_CHECK(p.len == 0);
	} else {
		FUZZ_CHECK(domain_label_count(p) == labels - 1);
		FUZZ_CHECK(domain_is_within(d, p));
		FUZZ_CHECK(!domain_is_within(p, d));
		FUZZ_CHECK(slice_eq(domain_last_labels(d, labels - 1), p));
	}
	FUZZ_CHECK(domain_last_labels(d, 0).len == 0);
	for (size_t k = 1; k <= labels + 1; k++) {
		struct slice t = domain_last_labels(d, k);
		FUZZ_CHECK(fuzz_within(t, d.ptr, d.len));
		FUZZ_CHECK(domain_label_count(t) == (k < labels ? k : labels));
		FUZZ_CHECK(domain_is_within(d, t));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena *a = arena_new(0);
	if (!a)
		return 0;
	struct slice in = fuzz_input(data, size);

	/* Raw input: the helpers must stay inside it whatever it holds. */
	FUZZ_CHECK(fuzz_within(domain_parent(in), data, size));
	FUZZ_CHECK(fuzz_within(domain_last_labels(in, 1), data, size));
	FUZZ_CHECK(fuzz_within(domain_last_labels(in, 2), data, size));
	FUZZ_CHECK(fuzz_within(domain_last_labels(in, size + 1), data, size));
	FUZZ_CHECK(domain_label_count(in) <= size);
	FUZZ_CHECK(domain_eq(in, in));

	struct slice out;
	bool ok = domain_normalize(a, in, &out);
	if (!ok) {
		FUZZ_CHECK(out.ptr == NULL && out.len == 0);
	} else {
		fuzz_domain_check_valid(out);
		struct slice again;
		if (domain_normalize(a, out, &again))
			FUZZ_CHECK(slice_eq(again, out));
		else
			FUZZ_CHECK(!"a normalized name does not normalize again");
	}

	bool ascii = size > 0 && size <= DOMAIN_MAX_INPUT_BYTES;
	for (size_t i = 0; i < size && ascii; i++)
		if (data[i] == 0 || data[i] >= 0x80)
			ascii = false;
	if (ascii && ok) {
		size_t len = size - (data[size - 1] == '.');
		FUZZ_CHECK(out.len == len);
		for (size_t i = 0; i < len; i++) {
			unsigned char c = data[i];
			if (c >= 'A' && c <= 'Z')
				c = (unsigned char)(c + 32);
			FUZZ_CHECK((unsigned char)out.ptr[i] == c);
		}
		FUZZ_CHECK(domain_eq(in, out));
	}
	arena_free(a);
	return 0;
}
