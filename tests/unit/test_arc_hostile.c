/* test_arc_hostile.c — ARC chains built to hurt (RFC 8617 4.2.1, 5.2;
 * issue 6 "Hostile chains"): 51 instances next to a real 50-set chain,
 * gaps, duplicate instances, sets missing a field, cv= values in the wrong
 * place, seals with garbage (bad base64, missing tags, unknown algorithms),
 * megabyte header values and thousands of ARC header fields.
 *
 * Each case must give a defined verdict (arc_state fail with a reason
 * naming the problem), bounded work (result.nverified never above
 * ARC_MAX_VERIFY, and no signature verified at all when the structure is
 * what fails: RFC 8617 5.2 steps 1-3 come before any key operation) and
 * bounded memory.  Inputs are sized so that work quadratic in the number or
 * size of header fields would make this program visibly slow; nothing is
 * timed.  A valid chain passes as a control, so each test can fail.
 *
 * Chains are made here: an Ed25519 and an RSA-2048 key generated with
 * OpenSSL when the program starts, sets added with arc_seal_message() (the
 * prior chain's structure from arc_chain_collect(), so a 50-set chain costs
 * 50 seals), keys served by the real libunbound from a zone file
 * ("zone:"), sealer k being hop<k>.example.
 */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arc.h"
#include "arena.h"
#include "dkim.h"
#include "dkimtest.h"
#include "dns.h"
#include "mailauth_limits.h"
#include "msg.h"
#include "slice.h"
#include "tag.h"

#define NOW 1700000000ull

/* Keys made once in main(), before check forks the tests. */
static char *ed_pem, *ed_rec, *rsa_pem, *rsa_rec;

static struct arena *A;
static struct dns_resolver *R;

static struct slice S(const char *s)
{
	return slice_from_cstr(s);
}

static const char base_msg[] =
	"Received: from mail.example.com by hop1.example; Tue, 14 Nov 2023 22:13:20 +0000\r\n"
	"From: Alice <alice@example.com>\r\n"
	"To: Bob <bob@example.net>\r\n"
	"Subject: Quarterly report\r\n"
	"Date: Tue, 14 Nov 2023 22:11:20 +0000\r\n"
	"Message-ID: <hostile-arc@example.com>\r\n"
	"\r\n"
	"Hello Bob,\r\n"
	"\r\n"
	"the figures are in.\r\n";

static void setup(void)
{
	A = arena_new(0);
	ck_assert_ptr_nonnull(A);
	struct dkimtest_zone z = { 0 };
	for (unsigned k = 1; k <= ARC_MAX_INSTANCES + 1; k++) {
		char name[64];
		snprintf(name, sizeof name, "ed._domainkey.hop%u.example", k);
		dkimtest_zone_txt(&z, name, ed_rec, strlen(ed_rec));
		snprintf(name, sizeof name, "rsa._domainkey.hop%u.example", k);
		dkimtest_zone_txt(&z, name, rsa_rec, strlen(rsa_rec));
	}
	R = dkimtest_resolver(&z);
	dkimtest_zone_free(&z);
	ck_assert_ptr_nonnull(R);
}

static void teardown(void)
{
	dns_resolver_free(R);
	R = NULL;
	arena_free(A);
	A = NULL;
}

static struct msg parse(struct slice text)
{
	struct msg m;
	enum msg_status st = msg_parse(&m, A, text);
	ck_assert_msg(st == MSG_OK, "message does not parse: %s", msg_status_str(st));
	return m;
}

/* ------------------------------------------------------------ sealing -- */

/* Add the next ARC set, sealed by hop<inst>.example.  The chain so far is
 * taken as passing (its structure is checked here; its signatures by the
 * verification tests). */
static struct slice seal_next(struct slice text, bool rsa)
{
	struct msg m = parse(text);
	struct arc_chain ch;
	ck_assert_int_eq(arc_chain_collect(A, &m, NOW, &ch), ARC_OK);
	ck_assert_msg(ch.status != ARC_CHAIN_BROKEN, "sealing a broken chain: %s", ch.why);
	struct arc_result prior;
	memset(&prior, 0, sizeof prior);
	prior.state = ch.status == ARC_CHAIN_OK ? ARC_PASS : ARC_NONE;
	prior.reason = "";
	prior.instances = ch.n;
	prior.chain = &ch;
	unsigned inst = ch.n + 1;

	struct dkim_privkey key;
	ck_assert_int_eq(dkim_privkey_load_pem(A, S(rsa ? rsa_pem : ed_pem), &key, NULL), DKIM_OK);
	struct arc_seal_params p;
	memset(&p, 0, sizeof p);
	p.domain = S(arena_printf(A, "hop%u.example", inst));
	p.selector = S(rsa ? "rsa" : "ed");
	p.key = &key;
	struct slice aar = S(arena_printf(A, "mx.hop%u.example; spf=pass smtp.mailfrom=example.com",
	                                  inst));
	struct arc_sealed s;
	const char *detail = NULL;
	int rc = arc_seal_message(A, &m, &p, &prior, aar, NOW, &s, &detail);
	ck_assert_msg(rc == ARC_OK, "arc_seal_message: %d %s", rc, detail ? detail : "");
	ck_assert_msg(s.sealed, "not sealed: %s", s.why);
	ck_assert_uint_eq(s.instance, inst);
	struct buf b;
	buf_init(&b, A, 1u << 24);
	buf_add_slice(&b, s.block);
	buf_add_slice(&b, text);
	ck_assert(!b.err);
	return buf_slice(&b);
}

/* A chain of n sets; set rsa_at (0: none) is sealed with the RSA key. */
static struct slice chain_of(unsigned n, unsigned rsa_at)
{
	struct slice t = S(base_msg);
	for (unsigned i = 1; i <= n; i++)
		t = seal_next(t, i == rsa_at);
	return t;
}

/* ------------------------------------------------------------ editing -- */

enum field_kind { F_AAR, F_AMS, F_AS };
static const char *const kind_name[] = {
	"ARC-Authentication-Results", "ARC-Message-Signature", "ARC-Seal",
};

/* The instance an ARC field written by our sealer names ("i=N" first). */
static unsigned field_instance(const struct msg_header *h)
{
	struct slice v = slice_trim_ws(h->value);
	if (v.len < 3 || v.ptr[0] != 'i' || v.ptr[1] != '=')
		return 0;
	unsigned n = 0;
	for (size_t i = 2; i < v.len && v.ptr[i] >= '0' && v.ptr[i] <= '9'; i++)
		n = n * 10 + (unsigned)(v.ptr[i] - '0');
	return n;
}

static long find_field(const struct msg *m, enum field_kind k, unsigned inst)
{
	for (size_t i = 0; i < m->nhdr; i++)
		if (slice_eq_cstr_ci(m->hdr[i].name, kind_name[k]) &&
		    field_instance(&m->hdr[i]) == inst)
			return (long)i;
	ck_abort_msg("no %s i=%u", kind_name[k], inst);
	return -1;
}

enum edit_op { E_DROP, E_DUP, E_REPLACE, E_ABOVE };

/* The message with field idx dropped, doubled, replaced by raw, or with raw
 * inserted above it (raw: a whole field without line end). */
static struct slice edit_at(struct slice text, size_t idx, enum edit_op op, struct slice raw)
{
	struct msg m = parse(text);
	ck_assert_uint_lt(idx, m.nhdr);
	struct buf b;
	buf_init(&b, A, 1u << 24);
	for (size_t i = 0; i < m.nhdr; i++) {
		if (i == idx && op == E_ABOVE) {
			buf_add_slice(&b, raw);
			buf_add_cstr(&b, "\r\n");
		}
		if (i == idx && op == E_DROP)
			continue;
		buf_add_slice(&b, i == idx && op == E_REPLACE ? raw : m.hdr[i].raw);
		buf_add_cstr(&b, "\r\n");
		if (i == idx && op == E_DUP) {
			buf_add_slice(&b, m.hdr[i].raw);
			buf_add_cstr(&b, "\r\n");
		}
	}
	buf_add_cstr(&b, "\r\n");
	buf_add_slice(&b, m.body);
	ck_assert(!b.err);
	return buf_slice(&b);
}

static struct slice edit(struct slice text, enum field_kind k, unsigned inst, enum edit_op op,
                         struct slice raw)
{
	struct msg m = parse(text);
	return edit_at(text, (size_t)find_field(&m, k, inst), op, raw);
}

static struct slice splice(struct slice s, const char *from, const char *to, struct slice with)
{
	struct buf b;
	buf_init(&b, A, 1u << 24);
	buf_add(&b, s.ptr, (size_t)(from - s.ptr));
	buf_add_slice(&b, with);
	buf_add(&b, to, (size_t)(s.ptr + s.len - to));
	ck_assert(!b.err);
	return buf_slice(&b);
}

/* The raw field with tag `tag` set to value (appended when absent) or,
 * value NULL, removed with its separator. */
static struct slice field_with_tag(const struct msg_header *h, const char *tag, struct slice value,
                                   bool remove)
{
	struct tag_list tl;
	ck_assert_int_eq(tag_list_parse(A, h->value, &tl, NULL), TAG_OK);
	const struct tag *t = tag_list_get(&tl, tag);
	const char *end = h->raw.ptr + h->raw.len;
	if (!t) {
		ck_assert(!remove);
		struct buf b;
		buf_init(&b, A, 1u << 24);
		buf_add_slice(&b, h->raw);
		buf_addf(&b, "; %s=", tag);
		buf_add_slice(&b, value);
		return buf_slice(&b);
	}
	if (!remove)
		return splice(h->raw, t->value.ptr, t->value.ptr + t->value.len, value);
	const char *from = t->name.ptr, *to = t->value.ptr + t->value.len;
	while (to < end && *to != ';')
		to++;
	if (to < end) {
		to++; /* the ';' after it, and the space that follows */
		while (to < end && (*to == ' ' || *to == '\t'))
			to++;
	} else {
		/* the last tag: take the ';' before it instead */
		while (from > h->value.ptr && from[-1] != ';')
			from--;
		if (from > h->value.ptr)
			from--;
	}
	return splice(h->raw, from, to, SLICE_NULL);
}

static struct slice with_tag_s(struct slice text, enum field_kind k, unsigned inst,
                               const char *tag, struct slice value, bool remove)
{
	struct msg m = parse(text);
	long i = find_field(&m, k, inst);
	return edit_at(text, (size_t)i, E_REPLACE, field_with_tag(&m.hdr[i], tag, value, remove));
}

/* value NULL: the tag removed */
static struct slice with_tag(struct slice text, enum field_kind k, unsigned inst, const char *tag,
                             const char *value)
{
	return with_tag_s(text, k, inst, tag, value ? S(value) : SLICE_NULL, !value);
}

/* The raw field with its instance ("i=N" after the colon) set to inst
 * (written as the given text, so it may be out of range). */
static struct slice field_renumbered(const struct msg_header *h, const char *inst)
{
	const char *p = h->value.ptr, *end = h->value.ptr + h->value.len;
	while (p < end && *p == ' ')
		p++;
	ck_assert(end - p > 2 && p[0] == 'i' && p[1] == '=');
	const char *d = p + 2, *e = d;
	while (e < end && *e >= '0' && *e <= '9')
		e++;
	return splice(h->raw, d, e, S(inst));
}

/* ----------------------------------------------------------- verifying -- */

static struct arc_result verify_opts(struct slice text, const struct arc_verify_opts *opts)
{
	struct msg *m = arena_zalloc(A, sizeof *m);
	ck_assert_ptr_nonnull(m);
	*m = parse(text);
	struct arc_verify_opts o;
	memset(&o, 0, sizeof o);
	if (opts)
		o = *opts;
	o.now = NOW;
	o.deadline_ms = dns_now_ms() + 5000;
	struct arc_verifier *v = arc_verifier_new(A, R, m, &o);
	ck_assert_ptr_nonnull(v);
	ck_assert_int_eq(arc_verifier_body(v, m->body.ptr, m->body.len), ARC_OK);
	struct arc_result r;
	ck_assert_int_eq(arc_verifier_finish(v, &r), ARC_OK);
	/* Invariants of every result. */
	ck_assert_ptr_nonnull(r.reason);
	ck_assert_uint_le(r.nverified, o.max_verify ? o.max_verify : ARC_MAX_VERIFY);
	ck_assert_uint_le(r.instances, ARC_MAX_INSTANCES);
	if (r.state == ARC_PASS)
		ck_assert_str_eq(r.reason, "");
	if (r.state == ARC_FAIL)
		ck_assert_msg(r.reason[0] != '\0', "fail without a reason");
	return r;
}

static struct arc_result verify(struct slice text)
{
	return verify_opts(text, NULL);
}

/* A fail whose reason holds every one of the NULL-terminated words.
 * structural: the chain broke in RFC 8617 5.2 steps 1-3, so no signature
 * may have been verified. */
static void expect_fail(const struct arc_result *r, const char *what, bool structural, ...)
{
	ck_assert_msg(r->state == ARC_FAIL, "%s: state %s (%s)", what, arc_state_str(r->state),
	              r->reason);
	va_list ap;
	va_start(ap, structural);
	const char *w;
	while ((w = va_arg(ap, const char *)) != NULL)
		ck_assert_msg(strstr(r->reason, w) != NULL, "%s: reason \"%s\" lacks \"%s\"", what,
		              r->reason, w);
	va_end(ap);
	if (structural) {
		ck_assert_msg(r->chain && r->chain->status == ARC_CHAIN_BROKEN,
		              "%s: not refused on structure (%s)", what, r->reason);
		ck_assert_msg(r->nverified == 0, "%s: %zu signatures verified", what, r->nverified);
		ck_assert(!r->limit_hit);
	}
}

/* ---------------------------------------------------------- the tests -- */

START_TEST(a_valid_three_set_chain_passes_and_tampering_fails_it)
{
	struct slice t = chain_of(3, 2);
	struct arc_result r = verify(t);
	ck_assert_msg(r.state == ARC_PASS, "control chain: %s (%s)", arc_state_str(r.state),
	              r.reason);
	ck_assert_uint_eq(r.instances, 3);
	ck_assert_uint_eq(r.oldest_pass, 1);
	/* latest AMS, three seals, two older AMSs */
	ck_assert_uint_eq(r.nverified, 6);
	ck_assert(!r.limit_hit && !r.dns_temporary && !r.top_cv_fail);
	ck_assert(slice_eq(r.domains, S("hop1.example:hop2.example:hop3.example")));

	/* A signed header changed: the latest AMS fails. */
	struct msg m = parse(t);
	long subj = -1;
	for (size_t i = 0; i < m.nhdr; i++)
		if (slice_eq_cstr_ci(m.hdr[i].name, "Subject"))
			subj = (long)i;
	ck_assert_int_ge(subj, 0);
	r = verify(edit_at(t, (size_t)subj, E_REPLACE, S("Subject: Quarterly report (edited)")));
	expect_fail(&r, "subject changed", false, "i=3", "ARC-Message-Signature", NULL);
	ck_assert_uint_eq(r.nverified, 1);
	/* An older seal changed: the latest seal covers it. */
	r = verify(with_tag(t, F_AS, 2, "t", "1700000001"));
	expect_fail(&r, "older seal changed", false, "i=3", "ARC-Seal", "incorrect", NULL);
	ck_assert_uint_eq(r.nverified, 2);
}
END_TEST

START_TEST(fifty_sets_pass_and_a_fifty_first_instance_fails_unverified)
{
	struct slice t = chain_of(ARC_MAX_INSTANCES, 0);
	struct arc_result r = verify(t);
	ck_assert_msg(r.state == ARC_PASS, "50 sets: %s (%s)", arc_state_str(r.state), r.reason);
	ck_assert_uint_eq(r.instances, ARC_MAX_INSTANCES);
	ck_assert_uint_eq(r.oldest_pass, 1);
	ck_assert_uint_eq(r.nverified, 2 * ARC_MAX_INSTANCES);
	ck_assert(!r.limit_hit);

	/* The sealer refuses to add a 51st set (RFC 8617 4.2.1). */
	struct msg m = parse(t);
	struct dkim_privkey key;
	ck_assert_int_eq(dkim_privkey_load_pem(A, S(ed_pem), &key, NULL), DKIM_OK);
	struct arc_seal_params p;
	memset(&p, 0, sizeof p);
	p.domain = S("hop51.example");
	p.selector = S("ed");
	p.key = &key;
	struct arc_sealed s;
	ck_assert_int_eq(arc_seal_message(A, &m, &p, &r, S("mx.hop51.example; none"), NOW, &s, NULL),
	                 ARC_OK);
	ck_assert(!s.sealed);
	ck_assert_msg(strstr(s.why, "ARC_MAX_INSTANCES") != NULL, "%s", s.why);

	/* A complete 51st set made from the 50th, on top. */
	long aar = find_field(&m, F_AAR, 50), ams = find_field(&m, F_AMS, 50),
	     as = find_field(&m, F_AS, 50);
	struct slice t51 = edit_at(t, 0, E_ABOVE, field_renumbered(&m.hdr[aar], "51"));
	t51 = edit_at(t51, 0, E_ABOVE, field_renumbered(&m.hdr[ams], "51"));
	t51 = edit_at(t51, 0, E_ABOVE, field_renumbered(&m.hdr[as], "51"));
	r = verify(t51);
	expect_fail(&r, "51 sets", true, "ARC_MAX_INSTANCES", NULL);
	ck_assert_uint_eq(r.instances, ARC_MAX_INSTANCES);

	/* One field with an instance above 50 is enough, whatever its size. */
	static const char *const big[] = { "51", "4294967297", "18446744073709551617",
		                           "99999999999999999999999999999999999999999" };
	for (size_t i = 0; i < sizeof big / sizeof big[0]; i++) {
		for (int k = F_AAR; k <= F_AS; k++) {
			long f = find_field(&m, (enum field_kind)k, 50);
			r = verify(edit_at(t, 0, E_ABOVE, field_renumbered(&m.hdr[f], big[i])));
			char *what = arena_printf(A, "%s i=%s", kind_name[k], big[i]);
			expect_fail(&r, what, true, "ARC_MAX_INSTANCES", NULL);
		}
	}
}
END_TEST

START_TEST(gaps_in_the_instances_fail_before_any_signature_is_checked)
{
	struct slice t = chain_of(3, 0);
	/* i=1 and i=3 only */
	struct slice g = edit(t, F_AAR, 2, E_DROP, SLICE_NULL);
	g = edit(g, F_AMS, 2, E_DROP, SLICE_NULL);
	g = edit(g, F_AS, 2, E_DROP, SLICE_NULL);
	struct arc_result r = verify(g);
	expect_fail(&r, "gap at 2", true, "i=2", "no ARC set", NULL);
	ck_assert_uint_eq(r.instances, 3);
	/* i=2 and i=3 only */
	g = edit(t, F_AAR, 1, E_DROP, SLICE_NULL);
	g = edit(g, F_AMS, 1, E_DROP, SLICE_NULL);
	g = edit(g, F_AS, 1, E_DROP, SLICE_NULL);
	r = verify(g);
	expect_fail(&r, "gap at 1", true, "i=1", "no ARC set", NULL);
	/* a lone set numbered 3 */
	struct msg m = parse(chain_of(1, 0));
	struct slice lone = S(base_msg);
	for (int k = F_AAR; k <= F_AS; k++)
		lone = edit_at(lone, 0, E_ABOVE,
		               field_renumbered(&m.hdr[find_field(&m, (enum field_kind)k, 1)], "3"));
	r = verify(lone);
	expect_fail(&r, "lone i=3", true, "i=1", "no ARC set", NULL);
}
END_TEST

START_TEST(duplicate_instances_fail_before_any_signature_is_checked)
{
	struct slice one = chain_of(1, 0);
	/* two ARC-Seal i=1, the same or different */
	struct arc_result r = verify(edit(one, F_AS, 1, E_DUP, SLICE_NULL));
	expect_fail(&r, "ARC-Seal twice", true, "i=1", "more than one ARC-Seal", NULL);
	struct msg other = parse(chain_of(1, 1)); /* an RSA-sealed set 1 */
	r = verify(edit(one, F_AS, 1, E_ABOVE, other.hdr[find_field(&other, F_AS, 1)].raw));
	expect_fail(&r, "two different ARC-Seals", true, "i=1", "more than one ARC-Seal", NULL);
	r = verify(edit(one, F_AMS, 1, E_DUP, SLICE_NULL));
	expect_fail(&r, "AMS twice", true, "i=1", "more than one ARC-Message-Signature", NULL);
	r = verify(edit(one, F_AAR, 1, E_DUP, SLICE_NULL));
	expect_fail(&r, "AAR twice", true, "i=1", "more than one ARC-Authentication-Results", NULL);
	/* a whole set repeated in the middle of a chain */
	struct slice t = chain_of(3, 0);
	struct slice d = edit(t, F_AAR, 2, E_DUP, SLICE_NULL);
	d = edit(d, F_AMS, 2, E_DUP, SLICE_NULL);
	d = edit(d, F_AS, 2, E_DUP, SLICE_NULL);
	r = verify(d);
	expect_fail(&r, "set 2 twice", true, "i=2", "more than one", NULL);
	/* the latest set repeated: still structural, not a signature check */
	d = edit(t, F_AS, 3, E_DUP, SLICE_NULL);
	r = verify(d);
	expect_fail(&r, "top seal twice", true, "i=3", "more than one ARC-Seal", NULL);
}
END_TEST

START_TEST(a_set_missing_a_field_fails_before_any_signature_is_checked)
{
	struct slice t = chain_of(3, 0);
	for (unsigned inst = 1; inst <= 3; inst++) {
		for (int k = F_AAR; k <= F_AS; k++) {
			struct arc_result r = verify(edit(t, (enum field_kind)k, inst, E_DROP, SLICE_NULL));
			char *what = arena_printf(A, "i=%u without %s", inst, kind_name[k]);
			char *where = arena_printf(A, "i=%u", inst);
			expect_fail(&r, what, true, where, kind_name[k], "missing", NULL);
		}
	}
	/* An AAR with an instance but nothing after it is no AAR (RFC 8617
	 * 4.1.1: the payload starts with an authserv-id). */
	struct slice e = edit(t, F_AAR, 2, E_REPLACE, S("ARC-Authentication-Results: i=2;  "));
	struct arc_result r = verify(e);
	expect_fail(&r, "AAR without payload", true, "ARC-Authentication-Results", "i=", NULL);
}
END_TEST

START_TEST(cv_values_out_of_place_fail_before_any_signature_is_checked)
{
	struct slice t = chain_of(3, 0);
	static const struct {
		unsigned inst;
		const char *cv;    /* NULL: removed */
		const char *words[3];
		bool top_fail;
	} cases[] = {
		{ 2, "none", { "i=2", "cv= must be pass", NULL }, false },
		{ 3, "none", { "i=3", "cv= must be pass", NULL }, false },
		{ 1, "pass", { "i=1", "cv= must be none", NULL }, false },
		{ 2, "fail", { "i=2", "cv=fail", NULL }, false },
		{ 3, "fail", { "i=3", "cv=fail", NULL }, true },
		{ 2, NULL, { "i=2", "cv=", NULL }, false },
		{ 2, "PASS", { "i=2", "cv=", NULL }, false },
		{ 1, "", { "i=1", "cv=", NULL }, false },
		{ 2, "pass none", { "i=2", "cv=", NULL }, false },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct slice e = with_tag(t, F_AS, cases[i].inst, "cv", cases[i].cv);
		struct arc_result r = verify(e);
		char *what = arena_printf(A, "case %zu", i);
		expect_fail(&r, what, true, cases[i].words[0], cases[i].words[1], NULL);
		ck_assert_msg(r.top_cv_fail == cases[i].top_fail, "%s: top_cv_fail", what);
	}
}
END_TEST

START_TEST(seals_with_garbage_fail_naming_the_problem)
{
	/* The latest seal (i=3) is checked first among the seals, so a problem
	 * there is the one reported; only the latest AMS may have been
	 * verified before it. */
	struct slice t = chain_of(3, 0);
	/* valid base64 of the length of an Ed25519 signature, not a signature */
	char zeros[89];
	memset(zeros, 'A', 86);
	memcpy(zeros + 86, "==", 3);
	static const struct {
		const char *tag;
		const char *value; /* NULL: tag removed; "": the zeros above */
		const char *word;
	} cases[] = {
		{ "b", "!!!!", "b= is not base64" },
		{ "b", "AAA", "b= is not base64" },
		{ "b", "====", "b= is not base64" },
		{ "b", "QUJD=REVG", "b= is not base64" },
		{ "b", NULL, "b= is missing" },
		{ "d", NULL, "d= is missing" },
		{ "s", NULL, "s= is missing" },
		{ "a", NULL, "a= is missing" },
		{ "a", "rsa-sha512", "a= names no known algorithm" },
		{ "a", "ed448-sha512", "a= names no known algorithm" },
		{ "a", "rsa-sha1", "RFC 8301" },
		{ "d", "exa mple..", "d= is not a domain name" },
		{ "s", "sel..x", "s= is not a selector" },
		{ "t", "soon", "t= is not a timestamp" },
		{ "h", "from:to", "h= is not allowed" },
		{ "b", "", "signature incorrect" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const char *v = cases[i].value && !cases[i].value[0] ? zeros : cases[i].value;
		struct arc_result r = verify(with_tag(t, F_AS, 3, cases[i].tag, v));
		char *what = arena_printf(A, "case %zu (%s=)", i, cases[i].tag);
		expect_fail(&r, what, false, "i=3", "ARC-Seal", cases[i].word, NULL);
		ck_assert_msg(r.nverified <= 2, "%s: %zu verified", what, r.nverified);
	}
	/* an empty b= */
	struct arc_result r0 = verify(with_tag_s(t, F_AS, 3, "b", slice_make("", 0), false));
	expect_fail(&r0, "empty b=", false, "i=3", "ARC-Seal", "b= is empty", NULL);
	/* The same garbage in an older seal: the latest seal covers it and
	 * fails first. */
	struct arc_result r = verify(with_tag(t, F_AS, 1, "b", "!!!!"));
	expect_fail(&r, "garbage in seal 1", false, "i=3", "ARC-Seal", NULL);
	ck_assert_uint_le(r.nverified, 2);
	/* A seal whose i= is what is broken cannot be placed: structural. */
	static const char *const bad_i[] = { "", "0", "-1", "1x", " 1 2", "0x1" };
	for (size_t i = 0; i < sizeof bad_i / sizeof bad_i[0]; i++) {
		r = verify(with_tag(t, F_AS, 3, "i", bad_i[i]));
		char *what = arena_printf(A, "i=\"%s\"", bad_i[i]);
		expect_fail(&r, what, true, "ARC-Seal", "i=", NULL);
	}
	r = verify(edit(t, F_AS, 3, E_REPLACE, S("ARC-Seal: \x01\x02 garbage ;;==")));
	expect_fail(&r, "garbage field", true, "ARC-Seal", "i=", NULL);
	/* a control byte anywhere makes the tag list, i= included, unusable */
	r = verify(with_tag(t, F_AS, 3, "b", "QUJD\x01REVG"));
	expect_fail(&r, "control byte in b=", true, "ARC-Seal", "i=", NULL);
	/* garbage in the latest AMS: named, nothing verified */
	r = verify(with_tag(t, F_AMS, 3, "bh", "@@@@"));
	expect_fail(&r, "AMS bh=", false, "i=3", "ARC-Message-Signature", "bh=", NULL);
	ck_assert_uint_eq(r.nverified, 0);
	r = verify(with_tag(t, F_AMS, 3, "h", NULL));
	expect_fail(&r, "AMS without h=", false, "i=3", "ARC-Message-Signature", "h= is missing", NULL);
	ck_assert_uint_eq(r.nverified, 0);
	r = verify(with_tag(t, F_AMS, 3, "h", "arc-seal:from"));
	expect_fail(&r, "AMS h= with ARC-Seal", false, "i=3", "ARC-Message-Signature", "4.1.2", NULL);
	ck_assert_uint_eq(r.nverified, 0);
}
END_TEST

/* n bytes of base64 text folded every 76 characters. */
static struct slice folded_base64(size_t n)
{
	struct buf b;
	buf_init(&b, A, n + n / 76 * 3 + 16);
	static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	for (size_t i = 0; i < n; i++) {
		if (i && i % 76 == 0)
			buf_add_cstr(&b, "\r\n ");
		buf_add_byte(&b, al[(i * 7 + i / 3) % 64]);
	}
	ck_assert(!b.err);
	return buf_slice(&b);
}

START_TEST(megabyte_header_values_give_a_defined_fail)
{
	const size_t MB = 1024 * 1024;
	/* latest seal by RSA and by Ed25519 */
	for (unsigned top_rsa = 0; top_rsa < 2; top_rsa++) {
		struct slice t = chain_of(3, top_rsa ? 3 : 0);
		/* a 1 MB b= (about 768 KB of signature) */
		struct arc_result r = verify(with_tag_s(t, F_AS, 3, "b", folded_base64(MB), false));
		expect_fail(&r, "1 MB b=", false, "i=3", "ARC-Seal", "signature incorrect", NULL);
		ck_assert_uint_le(r.nverified, 2);
		/* a 1 MB unknown tag in an otherwise valid seal: tolerated by
		 * the parser, breaks the signature */
		r = verify(with_tag_s(t, F_AS, 3, "zz", folded_base64(MB), false));
		expect_fail(&r, "1 MB unknown tag", false, "i=3", "ARC-Seal", "incorrect", NULL);
		ck_assert_uint_le(r.nverified, 2);
	}
	struct slice t = chain_of(3, 0);
	/* a 1 MB AAR payload in the oldest set */
	struct buf b;
	buf_init(&b, A, 2 * MB);
	buf_add_cstr(&b, "ARC-Authentication-Results: i=1; mx.hop1.example; spf=pass\r\n (");
	buf_add_slice(&b, folded_base64(MB));
	buf_add_cstr(&b, ")");
	struct arc_result r = verify(edit(t, F_AAR, 1, E_REPLACE, buf_slice(&b)));
	expect_fail(&r, "1 MB AAR", false, "i=3", "ARC-Seal", "incorrect", NULL);
	ck_assert_uint_le(r.nverified, 2);
	/* a 1 MB ARC-Seal without a usable instance: structural */
	buf_init(&b, A, 2 * MB);
	buf_add_cstr(&b, "ARC-Seal: x=");
	buf_add_slice(&b, folded_base64(MB));
	r = verify(edit(t, F_AS, 3, E_REPLACE, buf_slice(&b)));
	expect_fail(&r, "1 MB ARC-Seal without i=", true, "ARC-Seal", "i=", NULL);
	/* a 1 MB h= in the latest AMS: refused on its count, unverified */
	buf_init(&b, A, 2 * MB);
	buf_add_cstr(&b, "from");
	for (size_t i = 0; b.len < MB; i++)
		buf_add_cstr(&b, i % 16 ? ":x-list-header" : ":\r\n x-list-header");
	r = verify(with_tag_s(t, F_AMS, 3, "h", buf_slice(&b), false));
	expect_fail(&r, "1 MB h=", false, "i=3", "ARC-Message-Signature",
	            "DKIM_MAX_SIGNED_HEADERS", NULL);
	ck_assert_uint_eq(r.nverified, 0);
}
END_TEST

/* Insert count copies of fields produced by make(i) below the top field. */
static struct slice with_many(struct slice text, size_t count, struct slice (*make)(size_t))
{
	struct msg m = parse(text);
	struct buf b;
	buf_init(&b, A, (size_t)MSG_MAX_HEADER_BYTES + text.len);
	for (size_t i = 0; i < m.nhdr; i++) {
		buf_add_slice(&b, m.hdr[i].raw);
		buf_add_cstr(&b, "\r\n");
		if (i == 0)
			for (size_t k = 0; k < count; k++) {
				buf_add_slice(&b, make(k));
				buf_add_cstr(&b, "\r\n");
			}
	}
	buf_add_cstr(&b, "\r\n");
	buf_add_slice(&b, m.body);
	ck_assert(!b.err);
	return buf_slice(&b);
}

static struct slice many_src; /* the field the makers copy */

static struct slice make_copy(size_t k)
{
	(void)k;
	return many_src;
}

static struct slice make_aar_cycle(size_t k)
{
	return S(arena_printf(A, "ARC-Authentication-Results: i=%zu; mx.hop.example; none",
	                      k % ARC_MAX_INSTANCES + 1));
}

static struct slice make_over(size_t k)
{
	return S(arena_printf(A, "ARC-Message-Signature: i=%zu; a=ed25519-sha256; d=x.example; "
	                         "s=ed; h=from; bh=AAAA; b=AAAA", ARC_MAX_INSTANCES + 1 + k));
}

static struct slice make_garbage(size_t k)
{
	return S(arena_printf(A, "arc-seal: %zu garbage; ;= i", k));
}

static struct slice make_long_h(size_t k)
{
	struct buf b;
	buf_init(&b, A, 4096);
	buf_addf(&b, "ARC-Message-Signature: i=%zu; a=ed25519-sha256; d=hop1.example; s=ed;"
	             " bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=; b=AAAA; h=from",
	         k % 3 + 1);
	for (int i = 1; i < DKIM_MAX_SIGNED_HEADERS; i++)
		buf_add_cstr(&b, i % 12 ? ":x" : ":\r\n x");
	return buf_slice(&b);
}

START_TEST(thousands_of_arc_fields_give_a_defined_fail_with_nothing_verified)
{
	struct slice t = chain_of(3, 0);
	struct msg m = parse(t);
	/* fields allowed in all: MSG_MAX_HEADERS, less the message's own */
	size_t room = MSG_MAX_HEADERS - m.nhdr;
	ck_assert_uint_ge(room, 4900);

	many_src = m.hdr[find_field(&m, F_AS, 1)].raw;
	struct arc_result r = verify(with_many(t, room, make_copy));
	expect_fail(&r, "ARC-Seal i=1 x4990", true, "i=1", "more than one ARC-Seal", NULL);
	ck_assert_uint_eq(r.chain->arc_headers, room + 9);

	many_src = m.hdr[find_field(&m, F_AMS, 3)].raw;
	r = verify(with_many(t, room, make_copy));
	expect_fail(&r, "ARC-Message-Signature i=3 x4990", true, "i=3",
	            "more than one ARC-Message-Signature", NULL);

	r = verify(with_many(t, room, make_aar_cycle));
	expect_fail(&r, "AAR for every instance", true, "i=1", "more than one", NULL);

	r = verify(with_many(t, room, make_over));
	expect_fail(&r, "instances 51..", true, "ARC_MAX_INSTANCES", NULL);

	r = verify(with_many(t, room, make_garbage));
	expect_fail(&r, "garbage ARC-Seals", true, "ARC-Seal", "i=", NULL);

	/* Thousands of AMSs each listing DKIM_MAX_SIGNED_HEADERS names (as
	 * much as the header section holds): parsed once each, in bounded
	 * memory. */
	size_t per = make_long_h(0).len + 2;
	size_t fit = (MSG_MAX_HEADER_BYTES - t.len) / per;
	if (fit > room)
		fit = room;
	ck_assert_uint_ge(fit, 1000);
	size_t before = arena_used(A);
	r = verify(with_many(t, fit, make_long_h));
	expect_fail(&r, "long h= AMSs", true, "i=1", "more than one ARC-Message-Signature", NULL);
	ck_assert_msg(arena_used(A) - before < 64u * 1024 * 1024, "%zu bytes used",
	              arena_used(A) - before);
}
END_TEST

START_TEST(the_verify_and_hash_budgets_stop_the_work_on_a_long_chain)
{
	struct slice t = chain_of(ARC_MAX_INSTANCES, 0);
	struct arc_verify_opts o;
	memset(&o, 0, sizeof o);
	o.max_verify = 10;
	struct arc_result r = verify_opts(t, &o);
	expect_fail(&r, "max_verify 10", false, "ARC-Seal", "ARC_MAX_VERIFY", NULL);
	ck_assert_uint_eq(r.nverified, 10);
	ck_assert(r.limit_hit);
	/* the seals checked newest first: the 10th verification was AS i=42 */
	ck_assert_msg(strstr(r.reason, "i=41:") != NULL, "%s", r.reason);

	memset(&o, 0, sizeof o);
	o.max_hash_bytes = 20000;
	r = verify_opts(t, &o);
	expect_fail(&r, "max_hash_bytes 20000", false, "ARC-Seal", "ARC_MAX_HASH_BYTES", NULL);
	ck_assert(r.limit_hit);
	ck_assert_uint_lt(r.nverified, 2 * ARC_MAX_INSTANCES);
}
END_TEST

static Suite *arc_hostile_suite(void)
{
	Suite *s = suite_create("arc_hostile");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, a_valid_three_set_chain_passes_and_tampering_fails_it);
	tcase_add_test(tc, fifty_sets_pass_and_a_fifty_first_instance_fails_unverified);
	tcase_add_test(tc, gaps_in_the_instances_fail_before_any_signature_is_checked);
	tcase_add_test(tc, duplicate_instances_fail_before_any_signature_is_checked);
	tcase_add_test(tc, a_set_missing_a_field_fails_before_any_signature_is_checked);
	tcase_add_test(tc, cv_values_out_of_place_fail_before_any_signature_is_checked);
	tcase_add_test(tc, seals_with_garbage_fail_naming_the_problem);
	tcase_add_test(tc, megabyte_header_values_give_a_defined_fail);
	tcase_add_test(tc, thousands_of_arc_fields_give_a_defined_fail_with_nothing_verified);
	tcase_add_test(tc, the_verify_and_hash_budgets_stop_the_work_on_a_long_chain);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	if (!dkimtest_genkey("ed25519", 0, &ed_pem, &ed_rec) ||
	    !dkimtest_genkey("rsa", 2048, &rsa_pem, &rsa_rec)) {
		fprintf(stderr, "test_arc_hostile: key generation failed\n");
		printf("0 passed, 1 failed\n");
		return EXIT_FAILURE;
	}
	SRunner *sr = srunner_create(arc_hostile_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	free(ed_pem);
	free(ed_rec);
	free(rsa_pem);
	free(rsa_rec);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
