/* fuzz_spf_record.c — fuzz target for SPF record parsing (shared/
 * spf_record.h, RFC 7208 4.5, 4.6, 5, 6 and the ABNF of section 12).  The
 * input is one TXT record's text.
 *
 * Properties checked (from spf_record.h): a record that parses is a
 * v=spf1 record of at most SPF_MAX_RECORD_BYTES; every slice points into
 * it; CIDR lengths stay within 32/128; include/exists carry a domain-spec
 * and every domain-spec is a valid one; n_dns_terms counts exactly the
 * DNS mechanisms plus redirect; writing the parsed terms back ("v=spf1"
 * + directives + redirect= + exp=) parses to the same record.  On a
 * syntax error *why is set and *bad points into the input.
 * Corpus: tests/fuzz/corpus/spf_record.  Ownership: tests/fuzz (fuzz harness).
 */
#include <string.h>

#include "fuzzutil.h"
#include "mailauth_limits.h"
#include "spf_macro.h"
#include "spf_record.h"

static void fuzz_spf_check(const struct spf_record *r, struct slice in)
{
	size_t dns = 0;
	for (size_t i = 0; i < r->n_mech; i++) {
		const struct spf_mech *m = &r->mech[i];
		FUZZ_CHECK(fuzz_within(m->text, in.ptr, in.len));
		FUZZ_CHECK(fuzz_within(m->domain_spec, in.ptr, in.len));
		FUZZ_CHECK(m->qual <= SPF_QUAL_NEUTRAL && m->kind <= SPF_MECH_EXISTS);
		fuzz_touch(slice_from_cstr(spf_mech_kind_str(m->kind)));
		if (spf_mech_queries_dns(m->kind))
			dns++;
		switch (m->kind) {
		case SPF_MECH_INCLUDE:
		case SPF_MECH_EXISTS:
			FUZZ_CHECK(m->domain_spec.len > 0);
			break;
		case SPF_MECH_A:
		case SPF_MECH_MX:
			FUZZ_CHECK(m->cidr4 <= 32 && m->cidr6 <= 128);
			break;
		case SPF_MECH_IP4:
			FUZZ_CHECK(m->cidr4 <= 32);
			break;
		case SPF_MECH_IP6:
			FUZZ_CHECK(m->cidr6 <= 128);
			break;
		default:
			break;
		}
		if (m->domain_spec.len)
			FUZZ_CHECK(spf_macro_valid(m->domain_spec, SPF_MACRO_DOMAIN, NULL));
	}
	FUZZ_CHECK(r->n_dns_terms == dns + (r->has_redirect ? 1 : 0));
	if (r->has_redirect) {
		FUZZ_CHECK(fuzz_within(r->redirect, in.ptr, in.len));
		FUZZ_CHECK(spf_macro_valid(r->redirect, SPF_MACRO_DOMAIN, NULL));
	}
	if (r->has_exp) {
		FUZZ_CHECK(fuzz_within(r->exp, in.ptr, in.len));
		FUZZ_CHECK(spf_macro_valid(r->exp, SPF_MACRO_DOMAIN, NULL));
	}
}

static void fuzz_spf_same(const struct spf_record *a, const struct spf_record *b)
{
	FUZZ_CHECK(a->n_mech == b->n_mech);
	FUZZ_CHECK(a->n_dns_terms == b->n_dns_terms);
	FUZZ_CHECK(a->has_redirect == b->has_redirect && a->has_exp == b->has_exp);
	FUZZ_CHECK(slice_eq(a->redirect, b->redirect) && slice_eq(a->exp, b->exp));
	for (size_t i = 0; i < a->n_mech; i++) {
		const struct spf_mech *x = &a->mech[i], *y = &b->mech[i];
		FUZZ_CHECK(x->kind == y->kind && x->qual == y->qual);
		FUZZ_CHECK(slice_eq(x->text, y->text));
		FUZZ_CHECK(slice_eq(x->domain_spec, y->domain_spec));
		FUZZ_CHECK(x->cidr4 == y->cidr4 && x->cidr6 == y->cidr6);
		FUZZ_CHECK(memcmp(x->net, y->net, sizeof x->net) == 0);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena *a = arena_new(0);
	if (!a)
		return 0;
	struct slice in = fuzz_input(data, size);
	bool is1 = spf_record_is_spf1(in);
	struct spf_record r;
	const char *why = NULL;
	struct slice bad = SLICE_NULL;
	enum spf_record_status st = spf_record_parse(a, in, &r, &why, &bad);
	switch (st) {
	case SPF_RECORD_OK:
		FUZZ_CHECK(is1 && size <= SPF_MAX_RECORD_BYTES);
		fuzz_spf_check(&r, in);
		break;
	case SPF_RECORD_SYNTAX:
		FUZZ_CHECK(why != NULL);
		fuzz_touch(slice_from_cstr(why));
		FUZZ_CHECK(fuzz_within(bad, data, size));
		break;
	case SPF_RECORD_NOMEM:
		break;
	default:
		FUZZ_CHECK(!"unknown spf_record_status");
	}
	/* NULL out-parameters are allowed. */
	struct spf_record r0;
	enum spf_record_status st0 = spf_record_parse(a, in, &r0, NULL, NULL);
	FUZZ_CHECK(st0 == st || st0 == SPF_RECORD_NOMEM || st == SPF_RECORD_NOMEM);

	if (st == SPF_RECORD_OK) {
		struct buf b;
		buf_init(&b, a, size + 64);
		buf_add_cstr(&b, "v=spf1");
		for (size_t i = 0; i < r.n_mech; i++) {
			buf_add_byte(&b, ' ');
			buf_add_slice(&b, r.mech[i].text);
		}
		if (r.has_redirect) {
			buf_add_cstr(&b, " redirect=");
			buf_add_slice(&b, r.redirect);
		}
		if (r.has_exp) {
			buf_add_cstr(&b, " exp=");
			buf_add_slice(&b, r.exp);
		}
		if (!b.err && b.len <= SPF_MAX_RECORD_BYTES) {
			struct spf_record r2;
			enum spf_record_status st2 = spf_record_parse(a, buf_slice(&b), &r2, NULL, NULL);
			if (st2 != SPF_RECORD_NOMEM) {
				FUZZ_CHECK(st2 == SPF_RECORD_OK);
				fuzz_spf_same(&r, &r2);
			}
		}
	}
	arena_free(a);
	return 0;
}
