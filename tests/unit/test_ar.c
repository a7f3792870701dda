/* test_ar.c — unit tests for shared/ar.c: the Authentication-Results field
 * we write (RFC 8601 2.2 grammar: tokens where allowed, quoted strings and
 * escaped comments where needed, "temperror" never "tmperror", folding) and
 * the authserv-id reader used to remove fields claiming our id (RFC 8601
 * 5).  Every field built here is also recorded through ardump for
 * tests/interop/ar_authres.sh. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ar.h"
#include "ardump.h"
#include "arena.h"
#include "dmarc.h"
#include "mailauth_limits.h"
#include "slice.h"

static struct arena *A;

static void setup(void)
{
	A = arena_new(0);
	ck_assert_ptr_nonnull(A);
}

static void teardown(void)
{
	arena_free(A);
	A = NULL;
}

#define S(lit) SLICE_LIT(lit)

static void ck_slice_eq(struct slice got, const char *want)
{
	ck_assert_msg(got.ptr != NULL, "no output");
	ck_assert_msg(slice_eq(got, slice_from_cstr(want)), "got\n[%.*s]\nwant\n[%s]", (int)got.len,
	              got.ptr, want);
}

/* The field with its folds removed (RFC 5322 2.2.3). */
static char *unfold(struct slice f)
{
	char *out = malloc(f.len + 1);
	size_t n = 0;
	for (size_t i = 0; i < f.len; i++) {
		if (f.ptr[i] == '\r' && i + 1 < f.len && f.ptr[i + 1] == '\n')
			continue;
		if (f.ptr[i] == '\n')
			continue;
		out[n++] = f.ptr[i];
	}
	out[n] = '\0';
	return out;
}

START_TEST(ar_writes_one_resinfo_per_method_on_its_own_line)
{
	struct ar_builder w;
	ar_begin(&w, A, S("mx.example.org"), false);
	ar_add_spf(&w, "pass", S("mx.example.org: domain of user@example.com designates 192.0.2.1"),
	           S("user@example.com"), false);
	ar_add_dkim(&w, "pass", SLICE_NULL, S("example.com"), SLICE_NULL, S("sel1"),
	            S("rsa-sha256"), S("abcd/EFGH+ijkl=="));
	ar_add_arc(&w, "none", SLICE_NULL, false, 0, SLICE_NULL);
	struct slice f = ar_finish(&w);
	ck_slice_eq(f, "Authentication-Results: mx.example.org;\n"
	               "\tspf=pass (mx.example.org: domain of user@example.com designates\n"
	               " 192.0.2.1) smtp.mailfrom=user@example.com;\n"
	               "\tdkim=pass header.d=example.com header.s=sel1 header.a=rsa-sha256\n"
	               " header.b=\"abcd/EFG\";\n"
	               "\tarc=none");
	ck_assert_uint_eq(w.n_entries, 3);
	if (ardump_begin("test_ar:one_resinfo_per_method", f, S("mx.example.org"))) {
		ardump_result("spf", "pass", SLICE_NULL);
		ardump_prop("smtp.mailfrom", S("user@example.com"));
		ardump_result("dkim", "pass", SLICE_NULL);
		ardump_prop("header.d", S("example.com"));
		ardump_prop("header.s", S("sel1"));
		ardump_prop("header.a", S("rsa-sha256"));
		ardump_prop("header.b", S("abcd/EFG"));
		ardump_result("arc", "none", SLICE_NULL);
		ardump_end();
	}
}
END_TEST

START_TEST(ar_writes_none_when_nothing_was_checked)
{
	struct ar_builder w;
	ar_begin(&w, A, S("mx.example.org"), true);
	struct slice f = ar_finish(&w);
	ck_slice_eq(f, "Authentication-Results: mx.example.org; none");
	/* A second finish gives the same field. */
	ck_slice_eq(ar_finish(&w), "Authentication-Results: mx.example.org; none");
	ck_slice_eq(ar_value(&w), " mx.example.org; none");
	if (ardump_begin("test_ar:none", f, S("mx.example.org")))
		ardump_end();
}
END_TEST

START_TEST(ar_uses_crlf_line_ends_when_asked)
{
	struct ar_builder w;
	ar_begin(&w, A, S("mx.example.org"), true);
	ar_add_spf(&w, "fail", SLICE_NULL, S("example.net"), false);
	struct slice f = ar_finish(&w);
	ck_slice_eq(f, "Authentication-Results: mx.example.org;\r\n\tspf=fail smtp.mailfrom=example.net");
	ck_slice_eq(ar_value(&w), " mx.example.org;\r\n\tspf=fail smtp.mailfrom=example.net");
	if (ardump_begin("test_ar:crlf", f, S("mx.example.org"))) {
		ardump_result("spf", "fail", SLICE_NULL);
		ardump_prop("smtp.mailfrom", S("example.net"));
		ardump_end();
	}
}
END_TEST

START_TEST(ar_writes_temperror_never_tmperror)
{
	struct ar_builder w;
	ar_begin(&w, A, S("mx.example.org"), false);
	ar_add_spf(&w, "tmperror", SLICE_NULL, S("helo.example.net"), true);
	ar_add_dkim(&w, "temperror", S("key unavailable"), S("example.com"), SLICE_NULL,
	            SLICE_NULL, SLICE_NULL, SLICE_NULL);
	struct slice f = ar_finish(&w);
	ck_slice_eq(f, "Authentication-Results: mx.example.org;\n"
	               "\tspf=temperror smtp.helo=helo.example.net;\n"
	               "\tdkim=temperror reason=\"key unavailable\" header.d=example.com");
	for (size_t i = 0; i + 8 <= f.len; i++)
		ck_assert(memcmp(f.ptr + i, "tmperror", 8) != 0);
	if (ardump_begin("test_ar:temperror", f, S("mx.example.org"))) {
		ardump_result("spf", "temperror", SLICE_NULL);
		ardump_prop("smtp.helo", S("helo.example.net"));
		ardump_result("dkim", "temperror", S("key unavailable"));
		ardump_prop("header.d", S("example.com"));
		ardump_end();
	}
}
END_TEST

/* pvalue = [CFWS] ( value / [ [ local-part ] "@" ] domain-name ) [CFWS] */
struct pv_case {
	const char *in;
	const char *want; /* as written after "smtp.mailfrom=" */
};

static const struct pv_case pv_cases[] = {
	{ "example.com", "example.com" },                        /* token */
	{ "user@example.com", "user@example.com" },              /* local-part "@" domain-name */
	{ "first.last+tag@example.com", "first.last+tag@example.com" },
	{ "@example.com", "@example.com" },                      /* "@" domain-name */
	{ "john doe@example.com", "\"john doe\"@example.com" },  /* local part quoted only */
	{ "a\"b@example.com", "\"a\\\"b\"@example.com" },
	{ "a..b@example.com", "\"a..b\"@example.com" },          /* not a dot-atom */
	{ "user@[192.0.2.1]", "\"user@[192.0.2.1]\"" },          /* no domain-name */
	{ "user@exa_mple.com", "\"user@exa_mple.com\"" },
	{ "two words", "\"two words\"" },
	{ "semi;colon", "\"semi;colon\"" },
	{ "back\\slash", "\"back\\\\slash\"" },
	{ "", "\"\"" },
	{ "2001:db8::1", "\"2001:db8::1\"" },
	{ "ctl\x01" "byte", "\"ctl?byte\"" },
	{ "\xc3\xa9t\xc3\xa9@example.com", "\"??t??\"@example.com" },
};

START_TEST(ar_quotes_property_values_only_where_the_grammar_needs_it)
{
	const struct pv_case *c = &pv_cases[_i];
	struct ar_builder w;
	ar_begin(&w, A, S("mx.example.org"), false);
	struct ar_prop p = { "smtp", "mailfrom", slice_from_cstr(c->in) };
	struct ar_entry e = { "spf", "pass", SLICE_NULL, SLICE_NULL, &p, 1 };
	ar_add(&w, &e);
	struct slice f = ar_finish(&w);
	char want[512];
	snprintf(want, sizeof want, "Authentication-Results: mx.example.org;\n\tspf=pass smtp.mailfrom=%s",
	         c->want);
	ck_assert_msg(slice_eq(f, slice_from_cstr(want)), "case %d: got [%.*s] want [%s]", _i,
	              (int)f.len, f.ptr, want);
	char src[64];
	snprintf(src, sizeof src, "test_ar:pvalue_%d", _i);
	if (ardump_begin(src, f, S("mx.example.org"))) {
		ardump_result("spf", "pass", SLICE_NULL);
		ardump_prop("smtp.mailfrom", slice_from_cstr(c->in));
		ardump_end();
	}
}
END_TEST

START_TEST(ar_writes_quoted_property_values_after_the_others)
{
	/* RFC 8601 leaves the order free; python-authres 1.2 reads a quoted
	 * pvalue only at the end of a resinfo. */
	struct ar_builder w;
	ar_begin(&w, A, S("mx.example.org"), false);
	ar_add_arc(&w, "pass", SLICE_NULL, true, 1, S("2001:db8::25"));
	struct ar_prop props[3] = {
		{ "header", "b", S("x/y+z=") },
		{ "header", "d", S("example.com") },
		{ "header", "i", S("@example.com") },
	};
	struct ar_entry e = { "dkim", "pass", SLICE_NULL, SLICE_NULL, props, 3 };
	ar_add(&w, &e);
	struct slice f = ar_finish(&w);
	ck_slice_eq(f, "Authentication-Results: mx.example.org;\n"
	               "\tarc=pass header.oldest-pass=1 smtp.remote-ip=\"2001:db8::25\";\n"
	               "\tdkim=pass header.d=example.com header.i=@example.com header.b=\"x/y+z=\"");
	if (ardump_begin("test_ar:quoted_last", f, S("mx.example.org"))) {
		ardump_result("arc", "pass", SLICE_NULL);
		ardump_prop("header.oldest-pass", S("1"));
		ardump_prop("smtp.remote-ip", S("2001:db8::25"));
		ardump_result("dkim", "pass", SLICE_NULL);
		ardump_prop("header.d", S("example.com"));
		ardump_prop("header.i", S("@example.com"));
		ardump_prop("header.b", S("x/y+z="));
		ardump_end();
	}
}
END_TEST

START_TEST(ar_escapes_comments_and_reasons)
{
	struct ar_builder w;
	ar_begin(&w, A, S("mx.example.org"), false);
	static const char hostile[] = "a (nested) \\ \"q\"\r\n\tfold\x00nul \xff end ";
	struct ar_entry e = { "spf", "neutral", slice_make(hostile, sizeof hostile - 1),
		              slice_make(hostile, sizeof hostile - 1), NULL, 0 };
	ar_add(&w, &e);
	struct slice f = ar_finish(&w);
	ck_slice_eq(f, "Authentication-Results: mx.example.org;\n"
	               "\tspf=neutral (a \\(nested\\) \\\\ \"q\" fold?nul ? end)\n"
	               " reason=\"a (nested) \\\\ \\\"q\\\" fold?nul ? end\"");
	if (ardump_begin("test_ar:escapes", f, S("mx.example.org"))) {
		ardump_result("spf", "neutral", slice_make(hostile, sizeof hostile - 1));
		ardump_end();
	}
}
END_TEST

START_TEST(ar_cuts_long_text_and_marks_the_cut)
{
	char big[2000];
	memset(big, 'x', sizeof big);
	struct ar_builder w;
	ar_begin(&w, A, S("mx.example.org"), false);
	struct ar_entry e = { "dkim", "fail", slice_make(big, sizeof big),
		              slice_make(big, sizeof big), NULL, 0 };
	ar_add(&w, &e);
	struct slice f = ar_finish(&w);
	ck_assert_ptr_nonnull(f.ptr);
	char *u = unfold(f);
	char want[2 * AR_MAX_TEXT + 200];
	int n = snprintf(want, sizeof want, "Authentication-Results: mx.example.org;\tdkim=fail (");
	memset(want + n, 'x', AR_MAX_TEXT);
	n += AR_MAX_TEXT;
	n += snprintf(want + n, sizeof want - (size_t)n, "...) reason=\"");
	memset(want + n, 'x', AR_MAX_TEXT);
	n += AR_MAX_TEXT;
	snprintf(want + n, sizeof want - (size_t)n, "...\"");
	ck_assert_str_eq(u, want);
	free(u);
	if (ardump_begin("test_ar:cut", f, S("mx.example.org"))) {
		ardump_result("dkim", "fail", slice_make(big, sizeof big));
		ardump_end();
	}
}
END_TEST

START_TEST(ar_folds_long_lines_near_78_columns)
{
	struct ar_builder w;
	ar_begin(&w, A, S("mx.example.org"), false);
	struct ar_prop props[6] = {
		{ "header", "d", S("a-rather-long-signing-domain.example.com") },
		{ "header", "i", S("someone@a-rather-long-signing-domain.example.com") },
		{ "header", "s", S("selector-2024-rotation-b") },
		{ "header", "a", S("rsa-sha256") },
		{ "header", "b", S("AbCdEfGh") },
	};
	struct ar_entry e = { "dkim", "pass",
		              S("good signature from a-rather-long-signing-domain.example.com with a long comment"),
		              SLICE_NULL, props, 5 };
	ar_add(&w, &e);
	struct slice f = ar_finish(&w);
	/* No physical line longer than the fold width (tab counted as 8). */
	size_t col = 0, lines = 1;
	for (size_t i = 0; i < f.len; i++) {
		if (f.ptr[i] == '\n') {
			col = 0;
			lines++;
			continue;
		}
		col = f.ptr[i] == '\t' ? (col / 8 + 1) * 8 : col + 1;
		ck_assert_msg(col <= AR_FOLD_WIDTH, "line %zu too long: %.*s", lines, (int)f.len, f.ptr);
	}
	ck_assert_uint_ge(lines, 4);
	/* Every fold is a line end before a space or tab (so unfolding only
	 * removes line ends). */
	for (size_t i = 0; i + 1 < f.len; i++)
		if (f.ptr[i] == '\n')
			ck_assert(f.ptr[i + 1] == ' ' || f.ptr[i + 1] == '\t');
	char *u = unfold(f);
	ck_assert_str_eq(u, "Authentication-Results: mx.example.org;\tdkim=pass (good signature "
	                    "from a-rather-long-signing-domain.example.com with a long comment) "
	                    "header.d=a-rather-long-signing-domain.example.com "
	                    "header.i=someone@a-rather-long-signing-domain.example.com "
	                    "header.s=selector-2024-rotation-b header.a=rsa-sha256 header.b=AbCdEfGh");
	free(u);
	if (ardump_begin("test_ar:folding", f, S("mx.example.org"))) {
		ardump_result("dkim", "pass", SLICE_NULL);
		for (size_t i = 0; i < 5; i++) {
			char name[32];
			snprintf(name, sizeof name, "%s.%s", props[i].ptype, props[i].property);
			ardump_prop(name, props[i].value);
		}
		ardump_end();
	}
}
END_TEST

START_TEST(ar_folds_inside_quoted_strings_without_changing_them)
{
	struct ar_builder w;
	ar_begin(&w, A, S("mx.example.org"), false);
	struct slice reason = S("the quick brown fox jumps over the lazy dog and then over the "
	                        "lazy cat and the sleepy mouse");
	struct ar_entry e = { "dmarc", "permerror", SLICE_NULL, reason, NULL, 0 };
	ar_add(&w, &e);
	struct slice f = ar_finish(&w);
	ck_assert_ptr_nonnull(memchr(f.ptr + 50, '\n', f.len - 50));
	char *u = unfold(f);
	char want[512];
	snprintf(want, sizeof want,
	         "Authentication-Results: mx.example.org;\tdmarc=permerror reason=\"%.*s\"",
	         (int)reason.len, reason.ptr);
	ck_assert_str_eq(u, want);
	free(u);
	if (ardump_begin("test_ar:fold_quoted", f, S("mx.example.org"))) {
		ardump_result("dmarc", "permerror", reason);
		ardump_end();
	}
}
END_TEST

START_TEST(ar_quotes_an_authserv_id_that_is_not_a_token)
{
	struct ar_builder w;
	ar_begin(&w, A, S("mx example"), false);
	ck_slice_eq(ar_finish(&w), "Authentication-Results: \"mx example\"; none");
}
END_TEST

START_TEST(ar_skips_entries_that_are_not_keywords)
{
	struct ar_builder w;
	ar_begin(&w, A, S("mx.example.org"), false);
	struct ar_entry bad1 = { "sp f", "pass", SLICE_NULL, SLICE_NULL, NULL, 0 };
	struct ar_entry bad2 = { "spf", "pass;x", SLICE_NULL, SLICE_NULL, NULL, 0 };
	struct ar_entry bad3 = { "spf", "", SLICE_NULL, SLICE_NULL, NULL, 0 };
	struct ar_prop p = { "smtp", "mail from", S("x") };
	struct ar_entry bad4 = { "spf", "pass", SLICE_NULL, SLICE_NULL, &p, 1 };
	struct ar_entry bad5 = { "-spf", "pass", SLICE_NULL, SLICE_NULL, NULL, 0 };
	ar_add(&w, &bad1);
	ar_add(&w, &bad2);
	ar_add(&w, &bad3);
	ar_add(&w, &bad4);
	ar_add(&w, &bad5);
	ck_assert_uint_eq(w.n_skipped, 5);
	ck_slice_eq(ar_finish(&w), "Authentication-Results: mx.example.org; none");
}
END_TEST

START_TEST(ar_refuses_a_field_over_the_size_limit)
{
	struct ar_builder w;
	ar_begin(&w, A, S("mx.example.org"), false);
	struct ar_prop p = { "header", "d", S("example.com") };
	struct ar_entry e = { "dkim", "pass", S("a comment"), S("a reason"), &p, 1 };
	for (int i = 0; i < 5000; i++)
		ar_add(&w, &e);
	struct slice f = ar_finish(&w);
	ck_assert_ptr_null(f.ptr);
}
END_TEST

START_TEST(ar_dmarc_entry_carries_header_from_policy_and_comment)
{
	struct dmarc_eval e;
	memset(&e, 0, sizeof e);
	e.evaluated = true;
	e.result = DMARC_FAIL;
	e.reason = "no aligned SPF or DKIM identifier";
	e.author_domain = S("example.com");
	e.have_rec = true;
	e.rec.p = DMARC_POLICY_REJECT;
	e.rec.sp = DMARC_POLICY_QUARANTINE;
	e.rec.pct = 100;
	e.disc.found_at = DMARC_FOUND_AUTHOR;
	e.policy = DMARC_POLICY_REJECT;
	e.disposition = DMARC_POLICY_NONE;
	e.override = DMARC_OVERRIDE_LOCAL_POLICY;
	struct ar_builder w;
	ar_begin(&w, A, S("mx.example.org"), false);
	ar_add_dmarc(&w, &e);
	struct slice f = ar_finish(&w);
	ck_slice_eq(f, "Authentication-Results: mx.example.org;\n"
	               "\tdmarc=fail (p=reject sp=quarantine dis=none override=local_policy)\n"
	               " reason=\"no aligned SPF or DKIM identifier\" header.from=example.com\n"
	               " policy.dmarc=none");
	if (ardump_begin("test_ar:dmarc_fail", f, S("mx.example.org"))) {
		ardump_result("dmarc", "fail", S("no aligned SPF or DKIM identifier"));
		ardump_prop("header.from", S("example.com"));
		ardump_prop("policy.dmarc", S("none"));
		ardump_end();
	}

	/* DMARC off writes nothing; no From writes no header.from. */
	struct dmarc_eval off;
	memset(&off, 0, sizeof off);
	ar_begin(&w, A, S("mx.example.org"), false);
	ar_add_dmarc(&w, &off);
	ck_slice_eq(ar_finish(&w), "Authentication-Results: mx.example.org; none");

	struct dmarc_eval nofrom;
	memset(&nofrom, 0, sizeof nofrom);
	nofrom.evaluated = true;
	nofrom.result = DMARC_PERMERROR;
	nofrom.reason = "no From header field";
	ar_begin(&w, A, S("mx.example.org"), false);
	ar_add_dmarc(&w, &nofrom);
	f = ar_finish(&w);
	ck_slice_eq(f, "Authentication-Results: mx.example.org;\n"
	               "\tdmarc=permerror reason=\"no From header field\"");
	if (ardump_begin("test_ar:dmarc_nofrom", f, S("mx.example.org"))) {
		ardump_result("dmarc", "permerror", S("no From header field"));
		ardump_end();
	}
}
END_TEST

/* ------------------------------------------------------------------ */
/* Reading authserv-id                                                 */

struct id_case {
	const char *value;
	enum ar_parse_status st;
	const char *id; /* NULL: not checked */
	unsigned version;
};

static const struct id_case id_cases[] = {
	{ " mx.example.org; spf=pass smtp.mailfrom=example.net", AR_PARSE_OK, "mx.example.org", 0 },
	{ "mx.example.org;spf=pass", AR_PARSE_OK, "mx.example.org", 0 },
	{ " mx.example.org 1; spf=pass", AR_PARSE_OK, "mx.example.org", 1 },
	{ " mx.example.org (version follows) 1 (after) ; none", AR_PARSE_OK, "mx.example.org", 1 },
	{ " (comment (nested \\) paren) here)\r\n\tmx.example.org\r\n ; none", AR_PARSE_OK,
	  "mx.example.org", 0 },
	{ "\n mx.example.org\n\t; dkim=pass", AR_PARSE_OK, "mx.example.org", 0 },
	{ " \"mx.example.org\"; none", AR_PARSE_OK, "mx.example.org", 0 },
	{ " \"mx.exa\\mple.org\" 2; none", AR_PARSE_OK, "mx.example.org", 2 },
	{ " MX.Example.ORG; none", AR_PARSE_OK, "MX.Example.ORG", 0 },
	{ " mx.example.org", AR_PARSE_MALFORMED, "mx.example.org", 0 },
	{ " mx.example.org garbage; spf=pass", AR_PARSE_MALFORMED, "mx.example.org", 0 },
	{ " mx.example.org/2; spf=pass", AR_PARSE_MALFORMED, "mx.example.org", 0 },
	{ " mx.example.org 99999999999; none", AR_PARSE_MALFORMED, "mx.example.org", 0 },
	{ " mx.example.org (open comment; none", AR_PARSE_MALFORMED, "mx.example.org", 0 },
	{ "", AR_PARSE_NO_ID, NULL, 0 },
	{ "   \r\n\t ", AR_PARSE_NO_ID, NULL, 0 },
	{ " ; spf=pass", AR_PARSE_NO_ID, NULL, 0 },
	{ " (unterminated mx.example.org; none", AR_PARSE_NO_ID, NULL, 0 },
	{ " \"unterminated; none", AR_PARSE_NO_ID, NULL, 0 },
	{ " \"\"; none", AR_PARSE_NO_ID, NULL, 0 },
};

START_TEST(ar_parse_authserv_id_reads_the_id_past_cfws_and_a_version)
{
	const struct id_case *c = &id_cases[_i];
	size_t len = strlen(c->value);
	char *copy = malloc(len ? len : 1); /* exactly len bytes: no NUL to lean on */
	memcpy(copy, c->value, len);
	struct slice id;
	unsigned version = 77;
	enum ar_parse_status st = ar_parse_authserv_id(A, slice_make(copy, len), &id, &version);
	ck_assert_msg(st == c->st, "case %d: status %s, want %s", _i, ar_parse_status_str(st),
	              ar_parse_status_str(c->st));
	if (c->id)
		ck_assert_msg(slice_eq(id, slice_from_cstr(c->id)), "case %d: id [%.*s]", _i,
		              (int)id.len, id.ptr);
	if (st == AR_PARSE_OK)
		ck_assert_uint_eq(version, c->version);
	free(copy);
}
END_TEST

START_TEST(ar_claims_authserv_id_ignores_case_and_matches_malformed_fields)
{
	struct slice ours = S("mx.example.org");
	ck_assert(ar_claims_authserv_id(A, S(" MX.EXAMPLE.ORG; spf=pass"), ours));
	ck_assert(ar_claims_authserv_id(A, S(" mx.example.org.; spf=pass"), ours));
	ck_assert(ar_claims_authserv_id(A, S(" (x) \"mx.example.org\" 1; none"), ours));
	ck_assert(ar_claims_authserv_id(A, S(" mx.example.org garbage"), ours));
	ck_assert(!ar_claims_authserv_id(A, S(" mx.example.org.evil; spf=pass"), ours));
	ck_assert(!ar_claims_authserv_id(A, S(" example.org; spf=pass"), ours));
	ck_assert(!ar_claims_authserv_id(A, S(" ; spf=pass"), ours));
	ck_assert(!ar_claims_authserv_id(A, S(" mx.example.org; none"), SLICE_NULL));
}
END_TEST

START_TEST(ar_parse_authserv_id_is_linear_on_deep_comments)
{
	/* 200000 nested comments: a counter, not recursion. */
	size_t depth = 200000, len = 2 * depth + 32;
	char *v = malloc(len);
	size_t n = 0;
	for (size_t i = 0; i < depth; i++)
		v[n++] = '(';
	for (size_t i = 0; i < depth; i++)
		v[n++] = ')';
	memcpy(v + n, " mx.example.org; none", 21);
	n += 21;
	struct slice id;
	unsigned version;
	ck_assert_int_eq(ar_parse_authserv_id(A, slice_make(v, n), &id, &version), AR_PARSE_OK);
	ck_assert(slice_eq(id, S("mx.example.org")));
	free(v);
}
END_TEST

START_TEST(ar_round_trips_every_field_it_builds_through_its_own_reader)
{
	struct ar_builder w;
	ar_begin(&w, A, S("mx.example.org"), true);
	ar_add_spf(&w, "pass", S("(x)"), S("a@b.example"), false);
	struct slice f = ar_finish(&w);
	struct slice value = slice_sub(f, 23, f.len);
	struct slice id;
	unsigned version;
	ck_assert_int_eq(ar_parse_authserv_id(A, value, &id, &version), AR_PARSE_OK);
	ck_assert(slice_eq(id, S("mx.example.org")));
	ck_assert(ar_claims_authserv_id(A, ar_value(&w), S("mx.example.org")));
}
END_TEST

static Suite *ar_suite(void)
{
	Suite *s = suite_create("ar");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, ar_writes_one_resinfo_per_method_on_its_own_line);
	tcase_add_test(tc, ar_writes_none_when_nothing_was_checked);
	tcase_add_test(tc, ar_uses_crlf_line_ends_when_asked);
	tcase_add_test(tc, ar_writes_temperror_never_tmperror);
	tcase_add_loop_test(tc, ar_quotes_property_values_only_where_the_grammar_needs_it, 0,
	                    (int)(sizeof pv_cases / sizeof pv_cases[0]));
	tcase_add_test(tc, ar_writes_quoted_property_values_after_the_others);
	tcase_add_test(tc, ar_escapes_comments_and_reasons);
	tcase_add_test(tc, ar_cuts_long_text_and_marks_the_cut);
	tcase_add_test(tc, ar_folds_long_lines_near_78_columns);
	tcase_add_test(tc, ar_folds_inside_quoted_strings_without_changing_them);
	tcase_add_test(tc, ar_quotes_an_authserv_id_that_is_not_a_token);
	tcase_add_test(tc, ar_skips_entries_that_are_not_keywords);
	tcase_add_test(tc, ar_refuses_a_field_over_the_size_limit);
	tcase_add_test(tc, ar_dmarc_entry_carries_header_from_policy_and_comment);
	tcase_add_loop_test(tc, ar_parse_authserv_id_reads_the_id_past_cfws_and_a_version, 0,
	                    (int)(sizeof id_cases / sizeof id_cases[0]));
	tcase_add_test(tc, ar_claims_authserv_id_ignores_case_and_matches_malformed_fields);
	tcase_add_test(tc, ar_parse_authserv_id_is_linear_on_deep_comments);
	tcase_add_test(tc, ar_round_trips_every_field_it_builds_through_its_own_reader);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(ar_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
