/* test_failure_report.c — DMARC failure reports (failure_report.h): the
 * fo= decision, RFC 6590 redaction, the spool record, the RFC 6591 message
 * parsed back, the loop check and the per-domain rate limit. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "dmarc.h"
#include "failure_report.h"
#include "msg.h"

static struct arena *a;

static void setup(void)
{
	a = arena_new(0);
	ck_assert_ptr_nonnull(a);
}

static void teardown(void)
{
	arena_free(a);
}

static struct slice S(const char *s)
{
	return slice_from_cstr(s);
}

static bool has(struct slice hay, const char *needle)
{
	size_t n = strlen(needle);
	for (size_t i = 0; i + n <= hay.len; i++)
		if (memcmp(hay.ptr + i, needle, n) == 0)
			return true;
	return false;
}

/* ---------------------------------------------------------------- fo= */

START_TEST(fo_options_ask_for_reports_as_rfc_9991_says)
{
	static const struct {
		unsigned fo;
		bool spf_ap, dkim_ap, spf_f, dkim_f, want;
	} t[] = {
		/* fo=0 (and the default, an empty set): only when nothing aligned passed */
		{ DMARC_FO_0, false, false, false, false, true },
		{ DMARC_FO_0, true, false, false, true, false },
		{ DMARC_FO_0, false, true, true, false, false },
		{ 0, false, false, false, false, true },
		{ 0, true, false, false, false, false },
		/* fo=1: when any mechanism gave no aligned pass */
		{ DMARC_FO_1, true, false, false, false, true },
		{ DMARC_FO_1, false, true, false, false, true },
		{ DMARC_FO_1, true, true, false, false, false },
		/* fo=d: a DKIM signature failed, aligned or not */
		{ DMARC_FO_D, false, false, false, false, false },
		{ DMARC_FO_D, false, false, false, true, true },
		{ DMARC_FO_D, false, false, true, false, false },
		/* fo=s: SPF failed, aligned or not */
		{ DMARC_FO_S, false, false, true, false, true },
		{ DMARC_FO_S, false, false, false, true, false },
		/* fo=d:s */
		{ DMARC_FO_D | DMARC_FO_S, false, false, false, true, true },
		{ DMARC_FO_D | DMARC_FO_S, false, false, true, false, true },
		{ DMARC_FO_D | DMARC_FO_S, false, false, false, false, false },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		struct failure_auth f = { t[i].spf_ap, t[i].dkim_ap, t[i].spf_f, t[i].dkim_f };
		ck_assert_msg(failure_fo_wants(t[i].fo, &f) == t[i].want, "case %zu", i);
	}
}
END_TEST

/* ---------------------------------------------------------- redaction */

START_TEST(local_parts_are_redacted_and_domains_kept)
{
	static const struct {
		const char *in, *out;
	} t[] = {
		{ " john@example.com", " redacted@example.com" },
		{ " \"John Doe\" <john.doe@example.com>", " \"John Doe\" <redacted@example.com>" },
		{ " a@x.example, b@y.example", " redacted@x.example, redacted@y.example" },
		{ " \"odd <x> name\"@example.com", " redacted@example.com" },
		{ " \"john@example.com\" <john@example.com>",
		  " \"redacted@example.com\" <redacted@example.com>" },
		{ " Group: a@x.example;", " Group: redacted@x.example;" },
		{ " <>", " <>" },
		{ " no address here", " no address here" },
		{ " @example.com", " @example.com" },
		{ " a@b@c", " redacted@redacted@c" },
		{ " (comment x@y) z@w", " (comment redacted@y) redacted@w" },
		{ " from a by b with esmtp for <rcpt@example.net>;\n\tdate",
		  " from a by b with esmtp for <redacted@example.net>;\n\tdate" },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		struct buf b;
		buf_init(&b, a, 4096);
		failure_redact_addresses(&b, S(t[i].in));
		ck_assert_msg(!b.err && strcmp(buf_cstr(&b), t[i].out) == 0, "case %zu: got '%s'", i,
		              buf_cstr(&b));
	}
}
END_TEST

static struct msg *parse(const char *text)
{
	struct msg *m = arena_zalloc(a, sizeof *m);
	ck_assert_int_eq(msg_parse(m, a, S(text)), MSG_OK);
	return m;
}

START_TEST(header_section_is_redacted_in_address_fields_only)
{
	struct msg *m = parse("Received: from x by y for <rcpt@example.net>;\r\n"
	                      " Mon, 1 Jan 2024\r\n"
	                      "From: Joe <joe@example.com>\r\n"
	                      "To: ann@example.net\r\n"
	                      "Message-ID: <id123@example.com>\r\n"
	                      "Subject: mail for bob@example.net\r\n"
	                      "\r\nbody secret@example.com\r\n");
	struct buf b;
	buf_init(&b, a, 1 << 20);
	ck_assert(failure_headers_write(&b, m, true, 1 << 20));
	ck_assert_str_eq(buf_cstr(&b), "Received: from x by y for <redacted@example.net>;\n"
	                               " Mon, 1 Jan 2024\n"
	                               "From: Joe <redacted@example.com>\n"
	                               "To: redacted@example.net\n"
	                               "Message-ID: <id123@example.com>\n"
	                               "Subject: mail for bob@example.net\n");
	ck_assert(!has(buf_slice(&b), "secret"));

	buf_init(&b, a, 1 << 20);
	ck_assert(failure_headers_write(&b, m, false, 1 << 20));
	ck_assert(has(buf_slice(&b), "From: Joe <joe@example.com>\n"));
	ck_assert(has(buf_slice(&b), "for <rcpt@example.net>"));
}
END_TEST

START_TEST(header_section_is_cut_at_a_field_boundary_and_malformed_lines_dropped)
{
	struct msg *m = parse("From: a@example.com\n"
	                      "this line is not a field\n"
	                      "Subject: 0123456789\n"
	                      "X-Long: abcdefghijklmnopqrstuvwxyz\n"
	                      "\n");
	struct buf b;
	buf_init(&b, a, 4096);
	ck_assert(failure_headers_write(&b, m, false, 4096));
	ck_assert(!has(buf_slice(&b), "not a field"));
	size_t full = b.len;
	buf_init(&b, a, 4096);
	ck_assert(!failure_headers_write(&b, m, false, full - 1));
	ck_assert_str_eq(buf_cstr(&b), "From: a@example.com\nSubject: 0123456789\n");
}
END_TEST

/* ------------------------------------------------------- spool record */

static struct failure_record sample(void)
{
	struct failure_record r;
	memset(&r, 0, sizeof r);
	r.policy_domain = S("example.com");
	r.reported_domain = S("mail.example.com");
	r.ruf[r.n_ruf++] = S("mailto:ruf@example.com");
	r.ruf[r.n_ruf++] = S("mailto:f@reports.example!10k");
	r.source_ip = S("192.0.2.1");
	r.mail_from = S("<redacted@example.com>");
	r.arrival = 1700000000;
	r.authres = S("mx.example;\n\tspf=fail smtp.mailfrom=example.com;\n\tdmarc=fail header.from=mail.example.com");
	r.alignment = S("none");
	r.delivery_result = S("reject");
	r.headers = S("From: x <redacted@mail.example.com>\nSubject: hi\n");
	return r;
}

START_TEST(spool_record_round_trips_and_values_are_one_printable_line)
{
	struct failure_record r = sample();
	r.source_ip = S("192.0.2.1\nInjected: yes\x01\xff");
	struct buf b;
	buf_init(&b, a, 1 << 20);
	failure_record_format(&r, &b);
	ck_assert(!b.err);
	struct failure_record p;
	const char *why = "";
	ck_assert_int_eq(failure_record_parse(buf_slice(&b), &p, &why), FAILURE_PARSE_OK);
	ck_assert(slice_eq(p.policy_domain, S("example.com")));
	ck_assert(slice_eq(p.reported_domain, S("mail.example.com")));
	ck_assert_uint_eq(p.n_ruf, 2);
	ck_assert(slice_eq(p.ruf[1], S("mailto:f@reports.example!10k")));
	ck_assert(slice_eq(p.source_ip, S("192.0.2.1Injected: yes??")));
	ck_assert(slice_eq(p.authres, S("mx.example; spf=fail smtp.mailfrom=example.com; dmarc=fail "
	                                "header.from=mail.example.com")));
	ck_assert_int_eq(p.arrival, 1700000000);
	ck_assert(slice_eq(p.headers, r.headers));
	ck_assert(!p.truncated);

	/* A value is cut so that "Name: value" stays within RFC 5322's 998. */
	char big[3000];
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	r = sample();
	r.authres = S(big);
	buf_init(&b, a, 1 << 20);
	failure_record_format(&r, &b);
	ck_assert_int_eq(failure_record_parse(buf_slice(&b), &p, &why), FAILURE_PARSE_OK);
	ck_assert_uint_eq(p.authres.len, FAILURE_MAX_FIELD_BYTES);
}
END_TEST

START_TEST(spool_record_parser_refuses_what_it_did_not_write)
{
	static const char *const bad[] = {
		"",
		"Version: 1\nPolicy-Domain: a\nReported-Domain: a\nRuf: mailto:x@a\n", /* no blank */
		"Version: 2\nPolicy-Domain: a\nReported-Domain: a\nRuf: mailto:x@a\n\n",
		"Version: 1\nReported-Domain: a\nRuf: mailto:x@a\n\n",
		"Version: 1\nPolicy-Domain: a\nReported-Domain: a\n\n",
		"Version: 1\nPolicy-Domain: a\nReported-Domain: a\nRuf: mailto:x@a\nno colon\n\n",
		"Version: 1\nPolicy-Domain: a\nReported-Domain: a\nRuf: mailto:x@a\nArrival-Date: x\n\n",
		"Policy-Domain: a\nReported-Domain: a\nRuf: mailto:x@a\n\n",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct failure_record p;
		const char *why = NULL;
		ck_assert_msg(failure_record_parse(S(bad[i]), &p, &why) == FAILURE_PARSE_BAD,
		              "case %zu", i);
		ck_assert_msg(why && *why, "case %zu has a reason", i);
	}
}
END_TEST

/* ------------------------------------------------------------ reports */

START_TEST(reports_are_recognized_and_never_reported_about)
{
	ck_assert(failure_headers_are_report(
	        a, S("From: a@b\nSubject: Report Domain: example.com Submitter: x.example "
	             "Report-ID: 123\n")));
	ck_assert(failure_headers_are_report(
	        a, S("From: a@b\nContent-Type: multipart/report;\n report-type=feedback-report; "
	             "boundary=x\n")));
	ck_assert(failure_headers_are_report(
	        a, S("Content-Type: Multipart/Report; report-type=delivery-status\n")));
	ck_assert(!failure_headers_are_report(a, S("From: a@b\nSubject: Report\n"
	                                           "Content-Type: multipart/reports\n")));
	ck_assert(!failure_headers_are_report(a, S("From: a@b\nContent-Type: text/plain\n")));
}
END_TEST

/* Split the message at "--boundary" lines; returns the number of parts
 * (the preamble and the epilogue not counted) and fills part[]. */
static size_t mime_parts(struct slice body, const char *boundary, struct slice *part, size_t max,
                         bool *closed)
{
	char open[512], close_[512];
	snprintf(open, sizeof open, "--%s\n", boundary);
	snprintf(close_, sizeof close_, "--%s--\n", boundary);
	size_t n = 0;
	const char *start = NULL;
	*closed = false;
	const char *p = body.ptr, *end = slice_end(body);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *next = nl ? nl + 1 : end;
		struct slice line = slice_between(p, next);
		bool is_open = slice_eq(line, S(open)), is_close = slice_eq(line, S(close_));
		if (is_open || is_close) {
			if (start && n < max) {
				/* the line end before the delimiter belongs to it */
				const char *e = p > start && p[-1] == '\n' ? p - 1 : p;
				part[n++] = slice_between(start, e);
			}
			start = next;
			if (is_close) {
				*closed = true;
				break;
			}
		}
		p = next;
	}
	return n;
}

static struct slice field_value(const struct msg *m, const char *name)
{
	size_t pos = 0;
	long i = msg_find_next(m, S(name), &pos);
	if (i < 0)
		return SLICE_NULL;
	return slice_trim_ws(msg_unfold(a, m->hdr[i].value));
}

static void check_arf(struct slice mail, const struct failure_record *r)
{
	struct msg top;
	ck_assert_int_eq(msg_parse(&top, a, mail), MSG_OK);
	struct slice ct = field_value(&top, "Content-Type");
	ck_assert_msg(slice_starts_with_ci(ct, S("multipart/report;")), "%.*s", (int)ct.len, ct.ptr);
	ck_assert(has(ct, "report-type=feedback-report"));
	const char *bq = NULL;
	for (size_t i = 0; i + 10 <= ct.len; i++)
		if (memcmp(ct.ptr + i, "boundary=\"", 10) == 0)
			bq = ct.ptr + i + 10;
	ck_assert_ptr_nonnull(bq);
	const char *be = memchr(bq, '"', (size_t)(slice_end(ct) - bq));
	ck_assert_ptr_nonnull(be);
	char boundary[256];
	ck_assert_uint_lt((size_t)(be - bq), sizeof boundary);
	memcpy(boundary, bq, (size_t)(be - bq));
	boundary[be - bq] = '\0';
	ck_assert(slice_eq(field_value(&top, "MIME-Version"), S("1.0")));
	ck_assert(slice_eq(field_value(&top, "Auto-Submitted"), S("auto-generated")));
	ck_assert(slice_eq(field_value(&top, "To"), S("<ruf@example.com>")));
	ck_assert(field_value(&top, "Date").len && field_value(&top, "Message-ID").len);

	struct slice part[8];
	bool closed;
	size_t n = mime_parts(top.body, boundary, part, 8, &closed);
	ck_assert_uint_eq(n, 3);
	ck_assert(closed);

	struct msg p1, p2, p3;
	ck_assert_int_eq(msg_parse(&p1, a, part[0]), MSG_OK);
	ck_assert(slice_starts_with_ci(field_value(&p1, "Content-Type"), S("text/plain")));
	ck_assert_int_eq(msg_parse(&p2, a, part[1]), MSG_OK);
	ck_assert(slice_eq_ci(field_value(&p2, "Content-Type"), S("message/feedback-report")));
	ck_assert_int_eq(msg_parse(&p3, a, part[2]), MSG_OK);
	ck_assert(slice_starts_with_ci(field_value(&p3, "Content-Type"), S("text/rfc822-headers")));
	ck_assert(slice_eq(p3.body, r->headers));

	/* The feedback report's own fields (RFC 5965 3.1, RFC 6591 3.1). */
	struct msg fb;
	ck_assert_int_eq(msg_parse(&fb, a, p2.body), MSG_OK);
	ck_assert(fb.no_separator);
	static const char *const required[] = {
		"Feedback-Type", "User-Agent", "Version", "Original-Mail-From", "Arrival-Date",
		"Source-IP", "Reported-Domain", "Authentication-Results", "Identity-Alignment",
		"Auth-Failure", "Delivery-Result",
	};
	for (size_t i = 0; i < sizeof required / sizeof required[0]; i++)
		ck_assert_msg(field_value(&fb, required[i]).len, "%s present", required[i]);
	ck_assert(slice_eq(field_value(&fb, "Feedback-Type"), S("auth-failure")));
	ck_assert(slice_eq(field_value(&fb, "Version"), S("1")));
	ck_assert(slice_eq(field_value(&fb, "Auth-Failure"), S("dmarc")));
	ck_assert(slice_eq(field_value(&fb, "Reported-Domain"), r->reported_domain));
	ck_assert(slice_eq(field_value(&fb, "Source-IP"), r->source_ip));
	ck_assert(slice_eq(field_value(&fb, "Arrival-Date"), S("Tue, 14 Nov 2023 22:13:20 +0000")));
	ck_assert_uint_eq(fb.malformed_lines, 0);
}

START_TEST(report_message_has_the_rfc_6591_structure)
{
	struct failure_record r = sample();
	struct buf text;
	buf_init(&text, a, 1 << 20);
	failure_record_format(&r, &text);
	struct failure_record p;
	const char *why;
	ck_assert_int_eq(failure_record_parse(buf_slice(&text), &p, &why), FAILURE_PARSE_OK);
	struct failure_mail m = {
		.rec = &p, .from = "dmarc@receiver.example", .org_name = "Receiver",
		.receiver = "receiver.example", .user_agent = "exim-mailauth/0", .to = S("ruf@example.com"),
		.id = S("abc123"), .date = 1700000100,
	};
	struct buf b;
	buf_init(&b, a, 1 << 20);
	failure_mail_build(&m, &b);
	ck_assert(!b.err);
	check_arf(buf_slice(&b), &p);
}
END_TEST

START_TEST(report_boundary_avoids_text_found_in_the_headers)
{
	struct failure_record r = sample();
	r.headers = S("From: x@example.com\n--=_mailauth_arf_abc123: y\n"
	              "--=_mailauth_arf_abc123_0--: z\n");
	struct failure_mail m = {
		.rec = &r, .from = "dmarc@receiver.example", .org_name = NULL,
		.receiver = "receiver.example", .user_agent = "exim-mailauth/0", .to = S("ruf@example.com"),
		.id = S("abc123"), .date = 1700000100,
	};
	struct buf b;
	buf_init(&b, a, 1 << 20);
	failure_mail_build(&m, &b);
	ck_assert(!b.err);
	ck_assert(has(buf_slice(&b), "boundary=\"=_mailauth_arf_abc123_0_1\""));
	/* authres in sample() is folded: check_arf compares unfolded values */
	r.authres = S("mx.example");
	check_arf(buf_slice(&b), &r);
}
END_TEST

/* --------------------------------------------------------- rate limit */

START_TEST(rate_limit_counts_per_domain_and_clock_hour)
{
	struct failure_rate r;
	failure_rate_init(&r, a);
	int64_t t = 1700000000 - 1700000000 % 3600 + 10;
	for (int i = 0; i < 3; i++)
		ck_assert_msg(failure_rate_take(&r, S("example.com"), t + i, 3), "report %d", i);
	ck_assert(!failure_rate_take(&r, S("example.com"), t + 5, 3));
	ck_assert(!failure_rate_take(&r, S("EXAMPLE.com"), t + 6, 3));
	ck_assert(failure_rate_take(&r, S("other.example"), t + 7, 3));
	/* a report that could not be sent gives its slot back */
	failure_rate_give_back(&r, S("example.com"), t + 8);
	ck_assert(failure_rate_take(&r, S("example.com"), t + 9, 3));
	ck_assert(!failure_rate_take(&r, S("example.com"), t + 10, 3));
	/* the next hour starts afresh */
	ck_assert(failure_rate_take(&r, S("example.com"), t + 3600, 3));

	/* state survives a round trip; past hours are left out */
	struct buf b;
	buf_init(&b, a, 1 << 20);
	failure_rate_format(&r, t + 7200, &b);
	ck_assert_str_eq(buf_cstr(&b), "");
	buf_init(&b, a, 1 << 20);
	failure_rate_format(&r, t, &b);
	struct failure_rate r2;
	failure_rate_init(&r2, a);
	ck_assert(failure_rate_parse(&r2, buf_slice(&b)));
	ck_assert(!failure_rate_take(&r2, S("other.example"), t, 1));
	ck_assert(failure_rate_take(&r2, S("other.example"), t, 2));
	ck_assert(!failure_rate_take(&r2, S("other.example"), t, 2));

	/* a damaged state is refused and leaves nothing behind */
	struct failure_rate r3;
	failure_rate_init(&r3, a);
	ck_assert(!failure_rate_parse(&r3, S("example.com 472222 1\nexample.org x 1\n")));
	ck_assert_uint_eq(r3.n, 0);
	ck_assert(!failure_rate_parse(&r3, S("example.com 472222 99999999\n")));
}
END_TEST

static Suite *failure_suite(void)
{
	Suite *s = suite_create("failure_report");
	TCase *tc = tcase_create("failure_report");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, fo_options_ask_for_reports_as_rfc_9991_says);
	tcase_add_test(tc, local_parts_are_redacted_and_domains_kept);
	tcase_add_test(tc, header_section_is_redacted_in_address_fields_only);
	tcase_add_test(tc, header_section_is_cut_at_a_field_boundary_and_malformed_lines_dropped);
	tcase_add_test(tc, spool_record_round_trips_and_values_are_one_printable_line);
	tcase_add_test(tc, spool_record_parser_refuses_what_it_did_not_write);
	tcase_add_test(tc, reports_are_recognized_and_never_reported_about);
	tcase_add_test(tc, report_message_has_the_rfc_6591_structure);
	tcase_add_test(tc, report_boundary_avoids_text_found_in_the_headers);
	tcase_add_test(tc, rate_limit_counts_per_domain_and_clock_hour);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(failure_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
