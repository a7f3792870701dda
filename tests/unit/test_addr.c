/* test_addr.c — unit tests for shared/addr.c: RFC 5322 address lists (the
 * Appendix A examples, obsolete syntax), the From-field attacks DMARC
 * implementations have fallen for, hostile bytes and sizes, and the
 * classification of a message's From fields into Author Domains. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "arena.h"
#include "mailauth_limits.h"
#include "msg.h"
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

static struct slice S(const char *s)
{
	return slice_from_cstr(s);
}

/* An expected mailbox: local-part and domain as addr.h documents them,
 * the normalized domain (NULL: none), and the display name (NULL: empty). */
struct want_mb {
	const char *local, *domain, *norm, *display;
};

#define PRINT(s) (int)(s).len, (s).ptr ? (s).ptr : ""

static void check_list(const char *ctx, struct slice value, size_t ngroups,
                       const struct want_mb *want, size_t n)
{
	struct addr_list l;
	enum addr_status st = addr_parse_list(A, value, MSG_MAX_FROM_ADDRESSES, &l);
	ck_assert_msg(st == ADDR_OK, "%s: %s: %s at offset %zu", ctx, addr_status_str(st), l.reason,
	              l.err_offset);
	ck_assert_msg(l.n == n && l.total == n, "%s: %zu mailboxes, expected %zu", ctx, l.n, n);
	ck_assert_msg(l.ngroups == ngroups, "%s: %zu groups, expected %zu", ctx, l.ngroups, ngroups);
	for (size_t i = 0; i < n; i++) {
		const struct addr_mailbox *m = &l.mbox[i];
		ck_assert_msg(slice_eq(m->local, S(want[i].local)), "%s #%zu: local %.*s, expected %s",
		              ctx, i, PRINT(m->local), want[i].local);
		ck_assert_msg(slice_eq(m->domain, S(want[i].domain)), "%s #%zu: domain %.*s, expected %s",
		              ctx, i, PRINT(m->domain), want[i].domain);
		if (want[i].norm)
			ck_assert_msg(slice_eq(m->domain_norm, S(want[i].norm)),
			              "%s #%zu: normalized %.*s, expected %s", ctx, i, PRINT(m->domain_norm),
			              want[i].norm);
		else
			ck_assert_msg(m->domain_norm.ptr == NULL, "%s #%zu: normalized %.*s, expected none",
			              ctx, i, PRINT(m->domain_norm));
		const char *disp = want[i].display ? want[i].display : "";
		ck_assert_msg(slice_eq(m->display, S(disp)), "%s #%zu: display [%.*s], expected [%s]", ctx,
		              i, PRINT(m->display), disp);
	}
}

static void check_error(const char *ctx, struct slice value, enum addr_status want)
{
	struct addr_list l;
	enum addr_status st = addr_parse_list(A, value, MSG_MAX_FROM_ADDRESSES, &l);
	ck_assert_msg(st == want, "%s: got %s (%s), expected %s", ctx, addr_status_str(st),
	              l.reason ? l.reason : "", addr_status_str(want));
	/* Never a partial result. */
	ck_assert_msg(l.n == 0 && l.mbox == NULL && l.total == 0, "%s: partial result left", ctx);
	ck_assert_ptr_nonnull(l.reason);
	ck_assert_msg(l.err_offset <= value.len, "%s: offset %zu beyond %zu", ctx, l.err_offset,
	              value.len);
}

/* ---- RFC 5322 Appendix A ---- */

START_TEST(addr_parses_rfc5322_a1_simple_and_mailbox_types)
{
	/* A.1.1 */
	static const struct want_mb a111[] = {
		{ "jdoe", "machine.example", "machine.example", "John Doe" },
	};
	check_list("A.1.1 From", S(" John Doe <jdoe@machine.example>"), 0, a111, 1);
	static const struct want_mb a112[] = {
		{ "mary", "example.net", "example.net", "Mary Smith" },
	};
	check_list("A.1.1 To", S(" Mary Smith <mary@example.net>"), 0, a112, 1);

	/* A.1.2 */
	static const struct want_mb a121[] = {
		{ "john.q.public", "example.com", "example.com", "\"Joe Q. Public\"" },
	};
	check_list("A.1.2 From", S(" \"Joe Q. Public\" <john.q.public@example.com>"), 0, a121, 1);
	static const struct want_mb a122[] = {
		{ "mary", "x.test", "x.test", "Mary Smith" },
		{ "jdoe", "example.org", "example.org", NULL },
		{ "one", "y.test", "y.test", "Who?" },
	};
	check_list("A.1.2 To", S(" Mary Smith <mary@x.test>, jdoe@example.org, Who? <one@y.test>"), 0,
	           a122, 3);
	static const struct want_mb a123[] = {
		{ "boss", "nil.test", "nil.test", NULL },
		{ "sysservices", "example.net", "example.net", "\"Giant; \\\"Big\\\" Box\"" },
	};
	check_list("A.1.2 Cc", S(" <boss@nil.test>, \"Giant; \\\"Big\\\" Box\" <sysservices@example.net>"),
	           0, a123, 2);
}
END_TEST

START_TEST(addr_parses_rfc5322_a13_groups_including_empty_ones)
{
	static const struct want_mb to[] = {
		{ "c", "a.test", "a.test", "Ed Jones" },
		{ "joe", "where.test", "where.test", NULL },
		{ "jdoe", "one.test", "one.test", "John" },
	};
	check_list("A.1.3 To", S(" A Group:Ed Jones <c@a.test>,joe@where.test,John <jdoe@one.test>;"), 1,
	           to, 3);
	check_list("A.1.3 Cc", S(" Undisclosed recipients:;"), 1, NULL, 0);

	struct addr_list l;
	ck_assert_int_eq(addr_parse_list(A, S("G1: a@x.test;, b@y.test, G2: c@z.test, d@z.test;"),
	                                 10, &l),
	                 ADDR_OK);
	ck_assert_uint_eq(l.n, 4);
	ck_assert_uint_eq(l.ngroups, 2);
	ck_assert_uint_eq(l.mbox[0].group, 1);
	ck_assert_uint_eq(l.mbox[1].group, 0);
	ck_assert_uint_eq(l.mbox[2].group, 2);
	ck_assert_uint_eq(l.mbox[3].group, 2);
}
END_TEST

START_TEST(addr_parses_rfc5322_a5_comments_and_folding)
{
	static const struct want_mb from[] = {
		{ "pete", "silly.test", "silly.test", "Pete" },
	};
	check_list("A.5 From", S(" Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>"), 0,
	           from, 1);
	static const struct want_mb to[] = {
		{ "c", "public.example", "public.example", "Chris Jones" },
		{ "joe", "example.org", "example.org", NULL },
		{ "jdoe", "one.test", "one.test", "John" },
	};
	check_list("A.5 To",
	           S("A Group(Some people)\r\n"
	             "     :Chris Jones <c@(Chris's host.)public.example>,\r\n"
	             "         joe@example.org,\r\n"
	             "  John <jdoe@one.test> (my dear friend); (the end of the group)"),
	           1, to, 3);
	check_list("A.5 Cc", S("(Empty list)(start)Hidden recipients  :(nobody(that I know))  ;"), 1,
	           NULL, 0);
	/* The same with Exim's LF line ends. */
	check_list("A.5 To LF",
	           S("A Group(Some people)\n"
	             "     :Chris Jones <c@(Chris's host.)public.example>,\n"
	             "         joe@example.org,\n"
	             "  John <jdoe@one.test> (my dear friend); (the end of the group)"),
	           1, to, 3);
}
END_TEST

START_TEST(addr_parses_rfc5322_a6_obsolete_syntax)
{
	/* A.6.1: obs-phrase with a dot, obs-route, an empty list element and
	 * obs-domain with spaces around the dot. */
	static const struct want_mb from[] = {
		{ "john.q.public", "example.com", "example.com", "Joe Q. Public" },
	};
	check_list("A.6.1 From", S(" Joe Q. Public <john.q.public@example.com>"), 0, from, 1);
	static const struct want_mb to[] = {
		{ "mary", "example.net", "example.net", "Mary Smith" },
		{ "jdoe", "test.example", "test.example", NULL },
	};
	check_list("A.6.1 To", S(" Mary Smith <@node.test:mary@example.net>, , jdoe@test  . example"), 0,
	           to, 2);
	struct addr_list l;
	ck_assert_int_eq(addr_parse_list(A, S("Mary Smith <@node.test:mary@example.net>"), 10, &l),
	                 ADDR_OK);
	ck_assert(l.mbox[0].obs_route);
	ck_assert(l.mbox[0].angle);

	/* A.6.3: comments and whitespace inside the domain, a line holding only
	 * whitespace inside folding. */
	static const struct want_mb from3[] = {
		{ "jdoe", "machine.example", "machine.example", "John Doe" },
	};
	check_list("A.6.3 From", S(" John Doe <jdoe@machine(comment).  example>"), 0, from3, 1);
	static const struct want_mb to3[] = {
		{ "mary", "example.net", "example.net", "Mary Smith" },
	};
	check_list("A.6.3 To", S(" Mary Smith\r\n  \r\n          <mary@example.net>"), 0, to3, 1);

	/* obs-local-part: words with CFWS around the dots; a quoted word. */
	static const struct want_mb obs[] = {
		{ "john.q.\"public\"", "example.com", "example.com", NULL },
	};
	check_list("obs-local-part", S("john . q(middle) . \"public\" @ example . com"), 0, obs, 1);
	/* obs-route with several domains and empty elements. */
	static const struct want_mb route[] = {
		{ "a", "good.example", "good.example", NULL },
	};
	check_list("obs-route", S("<,@r1.example, ,@r2.example:a@good.example>"), 0, route, 1);
}
END_TEST

START_TEST(addr_keeps_quoted_local_parts_and_unicode)
{
	static const struct want_mb t[] = {
		{ "\"john doe\"", "example.com", "example.com", NULL },
		{ "j", "b\xc3\xbc" "cher.de", "xn--bcher-kva.de", "J\xc3\xbcrgen" },
		{ "\"a@b\"", "example.com", "example.com", "\"<x@y>\"" },
	};
	check_list("quoted and UTF-8",
	           S("\"john doe\"@example.com, J\xc3\xbcrgen <j@b\xc3\xbc" "cher.de>, "
	             "\"<x@y>\" <\"a@b\"@example.com>"),
	           0, t, 3);
}
END_TEST

START_TEST(addr_accepts_folding_inside_quoted_strings_comments_and_literals)
{
	static const struct want_mb t[] = {
		{ "x", "good.com", "good.com", "\"Alice\r\n Smith\"" },
		{ "y", "good.com", "good.com", NULL },
		{ "z", "[192.0.2.1\n 7]", NULL, NULL },
		{ "\"\"", "good.com", "good.com", NULL },
		{ "w", "good.com", "good.com", NULL },
	};
	check_list("folding",
	           S("\"Alice\r\n Smith\" <x@good.com>,\r\n\t(a comment\r\n folded) <(c)y@good.com>, "
	             "z@[192.0.2.1\n 7], \"\"@good.com, (Only a comment) <w@good.com>\r\n"),
	           0, t, 5);
}
END_TEST

/* ---- attacks (DESIGN.md "Lessons from the field" 1) ---- */

START_TEST(addr_takes_the_angle_address_not_an_address_in_the_display_name)
{
	static const struct want_mb t1[] = {
		{ "b", "good.com", "good.com", "\"a@evil.com\"" },
	};
	check_list("quoted display address", S(" \"a@evil.com\" <b@good.com>"), 0, t1, 1);
	static const struct want_mb t2[] = {
		{ "b", "good.com", "good.com", "\"x\\\" <a@evil.com>\"" },
	};
	check_list("escaped quote in display", S(" \"x\\\" <a@evil.com>\" <b@good.com>"), 0, t2, 1);
	static const struct want_mb t3[] = {
		{ "c", "good.com", "good.com", NULL },
	};
	static const struct want_mb t4[] = {
		{ "c", "good.com", "good.com", "Bob (x@evil.com) Smith" },
	};
	check_list("comment inside the display name", S(" Bob (x@evil.com) Smith (y@evil.com) <c@good.com>"),
	           0, t4, 1);
	check_list("nested comments with '@'",
	           S(" (a@evil.com (nested <b@evil.com>)) c@good.com (x@evil.com)"), 0, t3, 1);
}
END_TEST

START_TEST(addr_reports_every_address_of_a_list)
{
	static const struct want_mb t[] = {
		{ "a", "good.com", "good.com", NULL },
		{ "b", "evil.com", "evil.com", NULL },
	};
	check_list("two angle addresses", S(" <a@good.com>, <b@evil.com>"), 0, t, 2);
	check_list("two in a group", S(" G: <a@good.com>, b@evil.com;"), 1, t, 2);
}
END_TEST

START_TEST(addr_rejects_ambiguous_and_unbalanced_fields)
{
	static const char *bad[] = {
		" a@good.com <b@evil.com>",       /* addr-spec is not a display name */
		" <a@good.com",                    /* missing '>' */
		" a@good.com>",                    /* '>' without '<' */
		" >a@good.com",
		" Alice <a@good.com> <b@evil.com>",
		" <a@good.com> b@evil.com",
		" <a@good.com>>",
		" <<a@good.com>>",
		" <a@good.com <b@evil.com>>",
		" a@good.com@evil.com",
		" \"a@good.com <b@evil.com>",      /* unterminated quoted string */
		" (a@evil.com c@good.com",          /* unterminated comment */
		" a@good.com (x (y) z",
		" a@good.com)",
		" (a)) b@good.com",
		" a@[192.0.2.1",                    /* unterminated literal */
		" a@good.com]",
		" a@[1[2]",
		" a@good.com\\",
		" a\\@evil.com@good.com",
		" John Doe",                        /* no '@' */
		" john",
		" john doe@good.com",               /* two words are not a local-part */
		" .a@good.com",
		" a.@good.com",
		" a..b@good.com",
		" a@good..com",
		" a@.good.com",
		" a@good.com.",
		" a@",
		" @good.com",
		" <>",
		" <@good.com>",
		" <@route.example:>",
		" <@route.example a@good.com>",
		" .Alice <a@good.com>",
		" G: a@good.com",                   /* group without ';' */
		" G: a@good.com; b@evil.com",       /* no ',' after the group */
		" G: H: a@good.com;;",               /* nested group */
		" : a@good.com;",                   /* group without a name */
		" a@good.com;",
		" a@good.com:",
		"",
		" ",
		" ,",
		" , ,",
		" (only a comment)",
		" a@good.com\r\nBcc: b@evil.com",   /* line end without folding */
		" a@good.com\nX: y",
		" a@good.com\r b@evil.com",
		" a@good.com\x01",
		" \x7f a@good.com",
		" \"a\r\n\" <b@good.com>",           /* CRLF in a quoted string not folded */
	};
	char ctx[128];
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		snprintf(ctx, sizeof ctx, "bad #%zu [%s]", i, bad[i]);
		check_error(ctx, S(bad[i]), ADDR_E_SYNTAX);
	}
}
END_TEST

START_TEST(addr_rejects_nul_bytes_anywhere)
{
	static const struct {
		const char *p;
		size_t len;
	} t[] = {
		{ "a@good.com\0, b@evil.com", 23 },
		{ "a@goo\0d.com", 11 },
		{ "\"a\0\" <b@good.com>", 17 },
		{ "(\0) a@good.com", 14 },
		{ "a@[1\0]", 6 },
		{ "\"a\\\0\" <b@good.com>", 18 },
		{ "\0", 1 },
	};
	char ctx[64];
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		snprintf(ctx, sizeof ctx, "NUL #%zu", i);
		check_error(ctx, slice_make(t[i].p, t[i].len), ADDR_E_SYNTAX);
	}
}
END_TEST

START_TEST(addr_accepts_8bit_bytes_but_never_a_malformed_domain)
{
	/* Invalid UTF-8 parses (RFC 6532 atext) but the domain is unusable. */
	static const struct want_mb t[] = {
		{ "a", "\xff" "good.com", NULL, NULL },
		{ "b", "good.com", "good.com", "\"\xfe\xff\"" },
		{ "c", "[192.0.2.1]", NULL, NULL },
		{ "d", "exa!mple.com", NULL, NULL },
	};
	check_list("8-bit", S("a@\xff" "good.com, \"\xfe\xff\" <b@good.com>, c@[192.0.2.1], d@exa!mple.com"),
	           0, t, 4);
}
END_TEST

START_TEST(addr_bounds_comment_nesting)
{
	char buf[512];
	size_t n = 0;
	for (int i = 0; i < MSG_MAX_COMMENT_DEPTH; i++)
		buf[n++] = '(';
	for (int i = 0; i < MSG_MAX_COMMENT_DEPTH; i++)
		buf[n++] = ')';
	memcpy(buf + n, " a@good.com", 11);
	n += 11;
	static const struct want_mb ok[] = { { "a", "good.com", "good.com", NULL } };
	check_list("max depth", slice_make(buf, n), 0, ok, 1);

	n = 0;
	for (int i = 0; i <= MSG_MAX_COMMENT_DEPTH; i++)
		buf[n++] = '(';
	for (int i = 0; i <= MSG_MAX_COMMENT_DEPTH; i++)
		buf[n++] = ')';
	memcpy(buf + n, " a@good.com", 11);
	n += 11;
	check_error("depth + 1", slice_make(buf, n), ADDR_E_LIMIT);
}
END_TEST

/* Hostile sizes must finish quickly (linear) and give a defined result. */
START_TEST(addr_handles_extremely_long_input_in_linear_time)
{
	size_t big = 2u * 1024 * 1024;
	char *p = malloc(big);
	ck_assert_ptr_nonnull(p);

	memset(p, 'a', big);
	check_error("2 MB atom", slice_make(p, big), ADDR_E_SYNTAX);

	memset(p, '(', big);
	check_error("2 MB of '('", slice_make(p, big), ADDR_E_LIMIT);

	p[0] = '"';
	memset(p + 1, 'x', big - 1);
	check_error("2 MB unterminated quote", slice_make(p, big), ADDR_E_SYNTAX);

	/* "a. " repeated: a 2 MB obs-phrase, then a real address. */
	size_t n = 0;
	while (n + 3 < big - 32) {
		memcpy(p + n, "a. ", 3);
		n += 3;
	}
	memcpy(p + n, "<x@good.com>", 12);
	n += 12;
	struct addr_list l;
	ck_assert_int_eq(addr_parse_list(A, slice_make(p, n), 10, &l), ADDR_OK);
	ck_assert_uint_eq(l.n, 1);
	ck_assert(slice_eq(l.mbox[0].domain_norm, S("good.com")));

	/* A local-part of 2 MB written with CFWS: rebuilt once. */
	n = 0;
	while (n + 3 < big - 32) {
		memcpy(p + n, "a .", 3);
		n += 3;
	}
	memcpy(p + n, "a@good.com", 10);
	n += 10;
	ck_assert_int_eq(addr_parse_list(A, slice_make(p, n), 10, &l), ADDR_OK);
	ck_assert_uint_eq(l.n, 1);
	ck_assert_uint_eq(l.mbox[0].local.len, (n - 10) / 3 * 2 + 1);

	/* A domain of 2 MB with CFWS: parsed, unusable, no error. */
	memcpy(p, "a@b", 3);
	n = 3;
	while (n + 4 < big) {
		memcpy(p + n, " . b", 4);
		n += 4;
	}
	ck_assert_int_eq(addr_parse_list(A, slice_make(p, n), 10, &l), ADDR_OK);
	ck_assert_uint_eq(l.n, 1);
	ck_assert_ptr_null(l.mbox[0].domain_norm.ptr);
	free(p);
}
END_TEST

START_TEST(addr_counts_addresses_beyond_the_storage_limit)
{
	struct buf b;
	buf_init(&b, A, 1u << 24);
	size_t total = 100000;
	for (size_t i = 0; i < total; i++)
		buf_addf(&b, "%su%zu@d%zu.example", i ? "," : "", i, i % 7);
	ck_assert(!b.err);
	struct addr_list l;
	ck_assert_int_eq(addr_parse_list(A, buf_slice(&b), MSG_MAX_FROM_ADDRESSES, &l), ADDR_OK);
	ck_assert_uint_eq(l.n, MSG_MAX_FROM_ADDRESSES);
	ck_assert_uint_eq(l.total, total);
	ck_assert(l.truncated);

	/* Storing none still validates the whole field. */
	ck_assert_int_eq(addr_parse_list(A, buf_slice(&b), 0, &l), ADDR_OK);
	ck_assert_uint_eq(l.n, 0);
	ck_assert_uint_eq(l.total, total);
	buf_add_cstr(&b, ", broken");
	ck_assert_int_eq(addr_parse_list(A, buf_slice(&b), 0, &l), ADDR_E_SYNTAX);
}
END_TEST

START_TEST(addr_reports_where_the_syntax_error_is)
{
	struct addr_list l;
	ck_assert_int_eq(addr_parse_list(A, S("a@good.com <b@evil.com>"), 10, &l), ADDR_E_SYNTAX);
	ck_assert_uint_eq(l.err_offset, 11);
	ck_assert_str_eq(l.reason, "expected ',' between addresses");
	ck_assert_int_eq(addr_parse_list(A, S("x <a@good.com"), 10, &l), ADDR_E_SYNTAX);
	ck_assert_str_eq(l.reason, "missing '>'");
	ck_assert_uint_eq(l.err_offset, 2);
}
END_TEST

/* ---- Author Domains of a message ---- */

static struct addr_from from_of(const char *raw_headers)
{
	struct msg m;
	/* The message lives in the arena: msg keeps pointers into it. */
	struct slice raw = arena_slice_dup(A, S(raw_headers));
	ck_assert_ptr_nonnull(raw.ptr);
	ck_assert_int_eq(msg_parse(&m, A, raw), MSG_OK);
	struct addr_from f;
	ck_assert_int_eq(addr_from_domains(A, &m, &f), ADDR_OK);
	ck_assert_ptr_nonnull(f.reason);
	return f;
}

static void check_domains(const char *ctx, const struct addr_from *f, const char *const *want,
                          size_t n)
{
	ck_assert_msg(f->ndomains == n, "%s: %zu domains, expected %zu", ctx, f->ndomains, n);
	for (size_t i = 0; i < n; i++)
		ck_assert_msg(slice_eq(f->domains[i], S(want[i])), "%s: domain %zu is %.*s, expected %s",
		              ctx, i, PRINT(f->domains[i]), want[i]);
}

START_TEST(addr_from_finds_exactly_one_author_domain)
{
	struct addr_from f = from_of("Subject: x\r\nFrom: Alice\r\n <alice@Mail.Example.COM>\r\n\r\nbody\r\n");
	ck_assert_int_eq(f.kind, ADDR_FROM_ONE);
	ck_assert_uint_eq(f.nfields, 1);
	ck_assert_uint_eq(f.naddresses, 1);
	static const char *const d[] = { "mail.example.com" };
	check_domains("one", &f, d, 1);
	struct slice author;
	ck_assert(addr_from_single_domain(&f, &author));
	ck_assert(slice_eq(author, S("mail.example.com")));

	/* Field names are case-insensitive; LF line ends; U-labels. */
	f = from_of("FROM : <j@B\xc3\x9c" "CHER.de>\n\nbody\n");
	ck_assert_int_eq(f.kind, ADDR_FROM_ONE);
	static const char *const d2[] = { "xn--bcher-kva.de" };
	check_domains("idn", &f, d2, 1);

	/* RFC 6854: a group holding one mailbox. */
	f = from_of("From: Team: bob@example.org;\r\n\r\n");
	ck_assert_int_eq(f.kind, ADDR_FROM_ONE);
}
END_TEST

START_TEST(addr_from_reports_a_missing_from_field)
{
	struct addr_from f = from_of("Subject: x\r\nSender: a@good.com\r\n\r\nbody\r\n");
	ck_assert_int_eq(f.kind, ADDR_FROM_NONE);
	ck_assert_uint_eq(f.nfields, 0);
	ck_assert_uint_eq(f.ndomains, 0);
	struct slice d;
	ck_assert(!addr_from_single_domain(&f, &d));
	ck_assert_ptr_null(d.ptr);
}
END_TEST

START_TEST(addr_from_reports_a_from_field_without_a_domain)
{
	static const struct {
		const char *msg;
		bool syntax;
	} t[] = {
		{ "From: undisclosed-recipients:;\r\n\r\n", false },
		{ "From: (nobody) Hidden : (really) ;\r\n\r\n", false },
		{ "From: alice\r\n\r\n", true },
		{ "From: \r\n\r\n", true },
		{ "From: a@good.com <b@evil.com>\r\n\r\n", true },
		{ "From: <a@good.com\r\n\r\n", true },
		{ "From: a@[192.0.2.1]\r\n\r\n", false },
		{ "From: a@bad_domain!.com\r\n\r\n", false },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		struct addr_from f = from_of(t[i].msg);
		ck_assert_msg(f.kind == ADDR_FROM_NO_DOMAIN, "case %zu: kind %s (%s)", i,
		              addr_from_kind_str(f.kind), f.reason);
		ck_assert_msg(f.syntax_error == t[i].syntax, "case %zu: syntax_error %d", i,
		              f.syntax_error);
		ck_assert_msg(f.ndomains == 0, "case %zu: %zu domains", i, f.ndomains);
		struct slice d;
		ck_assert_msg(!addr_from_single_domain(&f, &d), "case %zu", i);
	}
	struct addr_from f = from_of("From: <a@good.com\r\n\r\n");
	ck_assert_msg(strstr(f.reason, "missing '>'") != NULL, "reason: %s", f.reason);
}
END_TEST

START_TEST(addr_from_lists_the_domains_of_several_from_fields)
{
	struct addr_from f = from_of("From: a@good.com\r\nTo: x@y.test\r\nfrom: b@evil.com\r\n\r\n");
	ck_assert_int_eq(f.kind, ADDR_FROM_MULTI_FIELD);
	ck_assert_uint_eq(f.nfields, 2);
	static const char *const d[] = { "good.com", "evil.com" };
	check_domains("two fields", &f, d, 2);
	struct slice author;
	ck_assert(!addr_from_single_domain(&f, &author));

	/* Even with the same domain twice: RFC 5322 allows one From field. */
	f = from_of("From: a@good.com\r\nFrom: b@GOOD.com\r\n\r\n");
	ck_assert_int_eq(f.kind, ADDR_FROM_MULTI_FIELD);
	static const char *const d1[] = { "good.com" };
	check_domains("same twice", &f, d1, 1);
	ck_assert(!addr_from_single_domain(&f, &author));

	/* A broken second field is still a second field. */
	f = from_of("From: a@good.com\r\nFrom: <b@evil.com\r\n\r\n");
	ck_assert_int_eq(f.kind, ADDR_FROM_MULTI_FIELD);
	ck_assert(f.syntax_error);
	check_domains("broken second", &f, d1, 1);
}
END_TEST

START_TEST(addr_from_lists_distinct_domains_of_several_addresses)
{
	struct addr_from f = from_of("From: <a@good.com>, <b@evil.com>, c@Good.com\r\n\r\n");
	ck_assert_int_eq(f.kind, ADDR_FROM_MULTI_ADDRESS);
	ck_assert_uint_eq(f.naddresses, 3);
	static const char *const d[] = { "good.com", "evil.com" };
	check_domains("two domains", &f, d, 2);
	struct slice author;
	ck_assert(!addr_from_single_domain(&f, &author));

	/* One domain shared by every address: exactly one Author Domain. */
	f = from_of("From: a@good.com, B <b@GOOD.com>\r\n\r\n");
	ck_assert_int_eq(f.kind, ADDR_FROM_MULTI_ADDRESS);
	static const char *const d1[] = { "good.com" };
	check_domains("shared domain", &f, d1, 1);
	ck_assert(addr_from_single_domain(&f, &author));
	ck_assert(slice_eq(author, S("good.com")));

	/* One address without a usable domain spoils it. */
	f = from_of("From: a@good.com, b@[192.0.2.1]\r\n\r\n");
	ck_assert_int_eq(f.kind, ADDR_FROM_MULTI_ADDRESS);
	ck_assert(f.unusable);
	check_domains("literal", &f, d1, 1);
	ck_assert(!addr_from_single_domain(&f, &author));
}
END_TEST

START_TEST(addr_from_stops_collecting_after_the_address_limit)
{
	struct buf b;
	buf_init(&b, A, 1u << 20);
	buf_add_cstr(&b, "From: ");
	size_t total = MSG_MAX_FROM_ADDRESSES + 50;
	for (size_t i = 0; i < total; i++)
		buf_addf(&b, "%su%zu@good.com", i ? ", " : "", i);
	buf_add_cstr(&b, "\r\n\r\n");
	ck_assert(!b.err);
	struct addr_from f = from_of(buf_cstr(&b));
	ck_assert_int_eq(f.kind, ADDR_FROM_MULTI_ADDRESS);
	ck_assert_uint_eq(f.naddresses, total);
	ck_assert(f.truncated);
	static const char *const d[] = { "good.com" };
	check_domains("truncated", &f, d, 1);
	/* Unseen addresses could hold other domains: no single domain. */
	struct slice author;
	ck_assert(!addr_from_single_domain(&f, &author));
}
END_TEST

START_TEST(addr_from_kind_words_are_stable)
{
	ck_assert_str_eq(addr_from_kind_str(ADDR_FROM_ONE), "one");
	ck_assert_str_eq(addr_from_kind_str(ADDR_FROM_NONE), "none");
	ck_assert_str_eq(addr_from_kind_str(ADDR_FROM_NO_DOMAIN), "nodomain");
	ck_assert_str_eq(addr_from_kind_str(ADDR_FROM_MULTI_FIELD), "multiple-fields");
	ck_assert_str_eq(addr_from_kind_str(ADDR_FROM_MULTI_ADDRESS), "multiple-addresses");
}
END_TEST

START_TEST(addr_reports_an_exhausted_arena_as_nomem)
{
	struct arena *small = arena_new(256);
	ck_assert_ptr_nonnull(small);
	struct buf b;
	buf_init(&b, A, 1u << 16);
	for (int i = 0; i < 50; i++)
		buf_addf(&b, "%sa%d@d%d.example", i ? "," : "", i, i);
	struct addr_list l;
	ck_assert_int_eq(addr_parse_list(small, buf_slice(&b), 100, &l), ADDR_E_NOMEM);
	ck_assert_uint_eq(l.n, 0);
	arena_free(small);
}
END_TEST

static Suite *addr_suite(void)
{
	Suite *s = suite_create("addr");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, addr_parses_rfc5322_a1_simple_and_mailbox_types);
	tcase_add_test(tc, addr_parses_rfc5322_a13_groups_including_empty_ones);
	tcase_add_test(tc, addr_parses_rfc5322_a5_comments_and_folding);
	tcase_add_test(tc, addr_parses_rfc5322_a6_obsolete_syntax);
	tcase_add_test(tc, addr_keeps_quoted_local_parts_and_unicode);
	tcase_add_test(tc, addr_accepts_folding_inside_quoted_strings_comments_and_literals);
	tcase_add_test(tc, addr_takes_the_angle_address_not_an_address_in_the_display_name);
	tcase_add_test(tc, addr_reports_every_address_of_a_list);
	tcase_add_test(tc, addr_rejects_ambiguous_and_unbalanced_fields);
	tcase_add_test(tc, addr_rejects_nul_bytes_anywhere);
	tcase_add_test(tc, addr_accepts_8bit_bytes_but_never_a_malformed_domain);
	tcase_add_test(tc, addr_bounds_comment_nesting);
	tcase_add_test(tc, addr_handles_extremely_long_input_in_linear_time);
	tcase_add_test(tc, addr_counts_addresses_beyond_the_storage_limit);
	tcase_add_test(tc, addr_reports_where_the_syntax_error_is);
	tcase_add_test(tc, addr_from_finds_exactly_one_author_domain);
	tcase_add_test(tc, addr_from_reports_a_missing_from_field);
	tcase_add_test(tc, addr_from_reports_a_from_field_without_a_domain);
	tcase_add_test(tc, addr_from_lists_the_domains_of_several_from_fields);
	tcase_add_test(tc, addr_from_lists_distinct_domains_of_several_addresses);
	tcase_add_test(tc, addr_from_stops_collecting_after_the_address_limit);
	tcase_add_test(tc, addr_from_kind_words_are_stable);
	tcase_add_test(tc, addr_reports_an_exhausted_arena_as_nomem);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(addr_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
