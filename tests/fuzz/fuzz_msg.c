/* fuzz_msg.c — fuzz target for the message model (shared/msg.h, RFC 5322
 * 2.1, 2.2, 3.6.8): msg_parse on arbitrary bytes, then the lookups and
 * msg_unfold on every field.
 *
 * Properties checked (from msg.h): every slice points into the input;
 * malformed fields have empty name and value; the field count stays within
 * MSG_MAX_HEADERS; without a separator the body is empty; unfolding never
 * grows a value; forward and backward lookups agree with msg_count; feeding
 * the parsed fields back through msg_add_header gives the same fields.
 * Corpus: tests/fuzz/corpus/msg (whole messages).
 * Ownership: tests/fuzz (fuzz harness).
 */
#include "fuzzutil.h"
#include "mailauth_limits.h"
#include "msg.h"

static void fuzz_msg_lookups(const struct msg *m, struct slice name)
{
	size_t n = msg_count(m, name);
	FUZZ_CHECK(n <= m->nhdr);
	size_t pos = 0, fwd = 0;
	long prev_i = -1, i;
	while ((i = msg_find_next(m, name, &pos)) >= 0) {
		FUZZ_CHECK(i > prev_i && (size_t)i < m->nhdr);
		FUZZ_CHECK(slice_eq_ci(m->hdr[i].name, name));
		prev_i = i;
		fwd++;
		FUZZ_CHECK(fwd <= m->nhdr);
	}
	FUZZ_CHECK(fwd == n);
	size_t back = 0;
	pos = m->nhdr;
	long next_i = (long)m->nhdr;
	while ((i = msg_find_prev(m, name, &pos)) >= 0) {
		FUZZ_CHECK(i < next_i);
		next_i = i;
		back++;
		FUZZ_CHECK(back <= m->nhdr);
	}
	FUZZ_CHECK(back == n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena *a = arena_new(0);
	if (!a)
		return 0;
	struct slice in = fuzz_input(data, size);
	struct msg m;
	enum msg_status st = msg_parse(&m, a, in);
	FUZZ_CHECK(st == MSG_OK || st == MSG_E_TOO_MANY_HEADERS || st == MSG_E_HEADER_TOO_BIG ||
	           st == MSG_E_LINE_TOO_LONG || st == MSG_E_NOMEM);
	FUZZ_CHECK(m.nhdr <= MSG_MAX_HEADERS);
	FUZZ_CHECK(m.malformed_lines <= m.nhdr);
	FUZZ_CHECK(fuzz_within(m.body, data, size));
	if (st == MSG_OK && m.no_separator)
		FUZZ_CHECK(m.body.len == 0);

	size_t malformed = 0;
	for (size_t i = 0; i < m.nhdr; i++) {
		const struct msg_header *h = &m.hdr[i];
		FUZZ_CHECK(fuzz_within(h->raw, data, size));
		FUZZ_CHECK(fuzz_within(h->name, h->raw.ptr, h->raw.len));
		FUZZ_CHECK(fuzz_within(h->value, h->raw.ptr, h->raw.len));
		if (h->name.len == 0) {
			FUZZ_CHECK(h->value.len == 0);
			malformed++;
		}
		struct slice u = msg_unfold(a, h->value);
		if (u.ptr) {
			FUZZ_CHECK(u.len <= h->value.len);
			fuzz_touch(u);
		}
	}
	if (st == MSG_OK)
		FUZZ_CHECK(malformed == m.malformed_lines);

	if (st == MSG_OK) {
		fuzz_msg_lookups(&m, SLICE_LIT("From"));
		fuzz_msg_lookups(&m, SLICE_LIT("dkim-signature"));
		if (m.nhdr > 0)
			fuzz_msg_lookups(&m, m.hdr[m.nhdr - 1].name);

		/* The glue builds messages field by field: it must see the same
		 * fields as the parser. */
		struct msg m2;
		msg_init(&m2, a);
		for (size_t i = 0; i < m.nhdr; i++) {
			enum msg_status st2 = msg_add_header(&m2, m.hdr[i].raw);
			if (st2 == MSG_E_NOMEM)
				break;
			FUZZ_CHECK(st2 == MSG_OK);
			const struct msg_header *h1 = &m.hdr[i], *h2 = &m2.hdr[i];
			FUZZ_CHECK(slice_eq(h1->raw, h2->raw));
			FUZZ_CHECK(slice_eq(h1->name, h2->name));
			FUZZ_CHECK(slice_eq(h1->value, h2->value));
		}
		msg_set_body(&m2, m.body);
	}
	arena_free(a);
	return 0;
}
