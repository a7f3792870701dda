/* fuzz_addr.c — fuzz target for the RFC 5322 3.4 address-list parser
 * (addr_parse_list in shared/addr.h), the front line of DMARC's Author
 * Domain.  The input is a header field body (after "From:").
 *
 * Properties checked (from addr.h): the same verdict, mailbox count and
 * group count whatever max_store is (1 or MSG_MAX_FROM_ADDRESSES); n is
 * min(total, max_store) and truncated says when that cut; on error no
 * mailbox at all and err_offset inside the value; domain_norm is
 * domain_normalize(domain) (SLICE_NULL for literals); group numbers stay
 * within ngroups; each mailbox written back as "display <local@domain>"
 * parses to the same local part and domain.
 * Corpus: tests/fuzz/corpus/addr.  Ownership: tests/fuzz (fuzz harness).
 */
#include "addr.h"
#include "domain.h"
#include "fuzzutil.h"
#include "mailauth_limits.h"

static void fuzz_addr_check(struct arena *a, enum addr_status st, const struct addr_list *l,
                            size_t max_store, size_t size)
{
	FUZZ_CHECK(l->reason != NULL);
	if (st != ADDR_OK) {
		FUZZ_CHECK(st == ADDR_E_SYNTAX || st == ADDR_E_LIMIT || st == ADDR_E_NOMEM);
		FUZZ_CHECK(l->n == 0);
		FUZZ_CHECK(l->err_offset <= size);
		return;
	}
	FUZZ_CHECK(l->total >= 1 || l->ngroups >= 1);
	FUZZ_CHECK(l->n == (l->total < max_store ? l->total : max_store));
	FUZZ_CHECK(l->truncated == (l->total > max_store));
	for (size_t i = 0; i < l->n; i++) {
		const struct addr_mailbox *m = &l->mbox[i];
		fuzz_touch(m->display);
		fuzz_touch(m->local);
		fuzz_touch(m->domain);
		FUZZ_CHECK(m->group <= l->ngroups);
		FUZZ_CHECK(m->domain.len > 0);
		if (m->domain_literal) {
			FUZZ_CHECK(m->domain_norm.ptr == NULL);
			FUZZ_CHECK(m->domain.ptr[0] == '[' && m->domain.ptr[m->domain.len - 1] == ']');
			continue;
		}
		struct slice again;
		bool ok = domain_normalize(a, m->domain, &again);
		if (m->domain_norm.ptr) {
			for (size_t k = 0; k < m->domain_norm.len; k++) {
				char c = m->domain_norm.ptr[k];
				FUZZ_CHECK(!(c >= 'A' && c <= 'Z') && (unsigned char)c < 0x80);
			}
			if (ok)
				FUZZ_CHECK(slice_eq(again, m->domain_norm));
		} else {
			FUZZ_CHECK(!ok);
		}
	}
}

/* "display <local@domain>" (or "local@domain") parses back to the same
 * addr-spec: the parser reports what it read, not a guess. */
static void fuzz_addr_rewrite(struct arena *a, const struct addr_mailbox *m)
{
	struct buf b;
	buf_init(&b, a, m->display.len + m->local.len + m->domain.len + 8);
	if (m->display.len) {
		buf_add_slice(&b, m->display);
		buf_add_byte(&b, ' ');
	}
	if (m->angle)
		buf_add_byte(&b, '<');
	buf_add_slice(&b, m->local);
	buf_add_byte(&b, '@');
	buf_add_slice(&b, m->domain);
	if (m->angle)
		buf_add_byte(&b, '>');
	if (b.err)
		return;
	struct slice s = buf_slice(&b);
	struct addr_list l;
	enum addr_status st = addr_parse_list(a, s, 2, &l);
	if (st == ADDR_E_NOMEM)
		return;
	if (st != ADDR_OK || l.n != 1 || l.total != 1) {
		fprintf(stderr, "rewritten mailbox [%.*s] gave %s (%s) n=%zu\n", (int)s.len, s.ptr,
		        addr_status_str(st), l.reason, l.n);
		FUZZ_CHECK(!"a parsed mailbox written back does not parse as one mailbox");
	}
	FUZZ_CHECK(slice_eq(l.mbox[0].local, m->local));
	FUZZ_CHECK(slice_eq(l.mbox[0].domain, m->domain));
	FUZZ_CHECK(slice_eq(l.mbox[0].display, m->display));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena *a = arena_new(0);
	if (!a)
		return 0;
	struct slice in = fuzz_input(data, size);
	struct addr_list big, one;
	enum addr_status st_big = addr_parse_list(a, in, MSG_MAX_FROM_ADDRESSES, &big);
	fuzz_addr_check(a, st_big, &big, MSG_MAX_FROM_ADDRESSES, size);
	enum addr_status st_one = addr_parse_list(a, in, 1, &one);
	fuzz_addr_check(a, st_one, &one, 1, size);
	fuzz_touch(slice_from_cstr(addr_status_str(st_big)));

	if (st_big != ADDR_E_NOMEM && st_one != ADDR_E_NOMEM) {
		FUZZ_CHECK(st_big == st_one);
		FUZZ_CHECK(big.total == one.total && big.ngroups == one.ngroups);
		if (st_big == ADDR_OK && one.n == 1) {
			FUZZ_CHECK(slice_eq(big.mbox[0].local, one.mbox[0].local));
			FUZZ_CHECK(slice_eq(big.mbox[0].domain, one.mbox[0].domain));
		}
	}
	if (st_big == ADDR_OK)
		for (size_t i = 0; i < big.n; i++)
			fuzz_addr_rewrite(a, &big.mbox[i]);
	arena_free(a);
	return 0;
}
