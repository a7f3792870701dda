/* test_hist.c — unit tests for shared/hist.c, the DMARC history file:
 * format/parse round trips, records written by OpenDMARC and by Exim's own
 * DMARC code (no extensions, older dkim lines), what opendmarc-import sees
 * in our lines, truncated and torn records, hostile values that must not
 * break the line structure, the size limit, and eight processes appending
 * thousands of records to one file at the same time.
 *
 * Parsed texts are copied into malloc'd buffers of exactly their length, so
 * the sanitizer build catches any read past the end. */
#include <check.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "arena.h"
#include "hist.h"
#include "mailauth_limits.h"
#include "slice.h"
#include "testutil.h"

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
	return slice_make(s, strlen(s));
}

static bool eq(struct slice s, const char *lit)
{
	return slice_eq(s, S(lit));
}

#define ck_slice(s, lit) \
	ck_assert_msg(eq((s), (lit)), "expected '%s', got '%.*s'", (lit), (int)(s).len, \
	              (s).ptr ? (s).ptr : "")

/* memmem() is a GNU extension; the build is plain POSIX. */
static const char *find_bytes(const char *hay, size_t hlen, const char *needle, size_t nlen)
{
	for (size_t i = 0; nlen <= hlen && i <= hlen - nlen; i++)
		if (memcmp(hay + i, needle, nlen) == 0)
			return hay + i;
	return NULL;
}

static char *exact_copy(const char *s, size_t len)
{
	char *p = malloc(len ? len : 1);
	ck_assert_ptr_nonnull(p);
	if (len)
		memcpy(p, s, len);
	return p;
}

static const struct hist_dkim full_dkim[] = {
	{ { "example.org", 11 }, { "sel1", 4 }, HIST_AUTH_PASS, { "", 0 } },
	{ { "mailer.example", 14 }, { "s2024", 5 }, HIST_AUTH_FAIL,
	  { "body hash mismatch", 18 } },
	{ { "broken.example", 14 }, { "k", 1 }, HIST_AUTH_PERMERROR, { "", 0 } },
};
static const struct slice full_rua[] = {
	{ "mailto:dmarc@example.org", 24 },
	{ "mailto:agg@reports.example!10m", 30 },
};
static const struct hist_override full_ov[] = {
	{ HIST_OVERRIDE_MAILING_LIST, { "list: dev@lists.example", 23 } },
	{ HIST_OVERRIDE_LOCAL_POLICY, { "", 0 } },
};
static const struct hist_arc_set full_arc[] = {
	{ 1, { "forwarder.example", 17 }, { "arc1", 4 }, { "192.0.2.7", 9 } },
	{ 2, { "lists.example", 13 }, { "seal \"2\"", 8 }, { "", 0 } },
};

/* A record with every field set away from its default. */
static void full_record(struct hist_record *r)
{
	hist_record_init(r);
	r->job = S("1qABCd-000123-Xy");
	r->reporter = S("mx1.receiver.example");
	r->received = 1700000123;
	r->ipaddr = S("2001:db8::25");
	r->from_domain = S("example.org");
	r->mfrom_domain = S("bounce.example.org");
	r->spf = HIST_AUTH_SOFTFAIL;
	r->spf_domain = S("bounce.example.org");
	r->spf_scope = HIST_SPF_MFROM;
	r->spf_human = S("~all matched = 100%");
	r->dkim = full_dkim;
	r->n_dkim = 3;
	r->pdomain = S("example.org");
	r->result = HIST_RESULT_FAIL;
	r->rua = full_rua;
	r->n_rua = 2;
	r->pct = 50;
	r->adkim_strict = true;
	r->aspf_strict = false;
	r->p = HIST_POLICY_REJECT;
	r->sp = HIST_POLICY_QUARANTINE;
	r->np = HIST_POLICY_NONE;
	r->requested = HIST_POLICY_REJECT;
	r->testing = true;
	r->discovery = HIST_DISCOVERY_TREEWALK;
	r->fo = S("0:d");
	r->ri = 3600;
	r->align_dkim = false;
	r->align_spf = true;
	r->arc = HIST_AUTH_PASS;
	r->arc_sets = full_arc;
	r->n_arc_sets = 2;
	r->arc_override = true;
	r->disposition = HIST_DISP_NONE;
	r->overrides = full_ov;
	r->n_overrides = 2;
	r->is_report = true;
}

static struct slice format(const struct hist_record *r)
{
	struct buf b;
	buf_init(&b, A, 1u << 22);
	ck_assert_int_eq(hist_format(r, &b), HIST_OK);
	return buf_slice(&b);
}

/* Parse exactly one record out of text (copied to an exact buffer). */
static void parse_one(struct slice text, struct hist_record *out, char **keep)
{
	char *copy = exact_copy(text.ptr, text.len);
	struct slice t = slice_make(copy, text.len);
	size_t pos = 0, start = 99;
	ck_assert_int_eq(hist_parse_next(A, t, &pos, out, &start), HIST_PARSE_RECORD);
	ck_assert_uint_eq(pos, text.len);
	ck_assert_ptr_ne(memchr(copy + start, 'j', 1), NULL);
	struct hist_record dummy;
	ck_assert_int_eq(hist_parse_next(A, t, &pos, &dummy, NULL), HIST_PARSE_END);
	*keep = copy;
}

START_TEST(a_full_record_survives_format_and_parse)
{
	struct hist_record in, out;
	full_record(&in);
	char *keep;
	parse_one(format(&in), &out, &keep);
	ck_slice(out.job, "1qABCd-000123-Xy");
	ck_slice(out.reporter, "mx1.receiver.example");
	ck_assert_int_eq(out.received, 1700000123);
	ck_slice(out.ipaddr, "2001:db8::25");
	ck_slice(out.from_domain, "example.org");
	ck_slice(out.mfrom_domain, "bounce.example.org");
	ck_assert_int_eq(out.spf, HIST_AUTH_SOFTFAIL);
	ck_slice(out.spf_domain, "bounce.example.org");
	ck_assert_int_eq(out.spf_scope, HIST_SPF_MFROM);
	ck_slice(out.spf_human, "~all matched = 100%");
	ck_assert_uint_eq(out.n_dkim, 3);
	for (size_t i = 0; i < 3; i++) {
		ck_assert(slice_eq(out.dkim[i].domain, full_dkim[i].domain));
		ck_assert(slice_eq(out.dkim[i].selector, full_dkim[i].selector));
		ck_assert_int_eq(out.dkim[i].result, full_dkim[i].result);
		ck_assert(slice_eq(out.dkim[i].human, full_dkim[i].human));
	}
	ck_slice(out.pdomain, "example.org");
	ck_assert_int_eq(out.result, HIST_RESULT_FAIL);
	ck_assert_uint_eq(out.n_rua, 2);
	ck_slice(out.rua[0], "mailto:dmarc@example.org");
	ck_slice(out.rua[1], "mailto:agg@reports.example!10m");
	ck_assert_uint_eq(out.pct, 50);
	ck_assert(out.adkim_strict);
	ck_assert(!out.aspf_strict);
	ck_assert_int_eq(out.p, HIST_POLICY_REJECT);
	ck_assert_int_eq(out.sp, HIST_POLICY_QUARANTINE);
	ck_assert_int_eq(out.np, HIST_POLICY_NONE);
	ck_assert_int_eq(out.requested, HIST_POLICY_REJECT);
	ck_assert(out.testing);
	ck_assert_int_eq(out.discovery, HIST_DISCOVERY_TREEWALK);
	ck_slice(out.fo, "0:d");
	ck_assert_uint_eq(out.ri, 3600);
	ck_assert(!out.align_dkim);
	ck_assert(out.align_spf);
	ck_assert_int_eq(out.arc, HIST_AUTH_PASS);
	ck_assert(out.arc_override);
	ck_assert_uint_eq(out.n_arc_sets, 2);
	for (size_t i = 0; i < 2; i++) {
		ck_assert_uint_eq(out.arc_sets[i].instance, full_arc[i].instance);
		ck_assert(slice_eq(out.arc_sets[i].domain, full_arc[i].domain));
		ck_assert(slice_eq(out.arc_sets[i].selector, full_arc[i].selector));
		ck_assert(slice_eq(out.arc_sets[i].ip, full_arc[i].ip));
	}
	ck_assert_int_eq(out.disposition, HIST_DISP_NONE);
	ck_assert_uint_eq(out.n_overrides, 2);
	ck_assert_int_eq(out.overrides[0].type, HIST_OVERRIDE_MAILING_LIST);
	ck_slice(out.overrides[0].comment, "list: dev@lists.example");
	ck_assert_int_eq(out.overrides[1].type, HIST_OVERRIDE_LOCAL_POLICY);
	ck_assert_uint_eq(out.overrides[1].comment.len, 0);
	ck_assert(out.is_report);

	/* Formatting the parsed record gives the same text again. */
	struct slice again = format(&out);
	struct hist_record in2;
	full_record(&in2);
	ck_assert(slice_eq(again, format(&in2)));
	free(keep);
}
END_TEST

START_TEST(a_default_record_survives_format_and_parse)
{
	struct hist_record in, out;
	hist_record_init(&in);
	in.job = S("1q-min");
	in.received = 1;
	char *keep;
	struct slice text = format(&in);
	parse_one(text, &out, &keep);
	ck_slice(out.job, "1q-min");
	ck_assert_int_eq(out.received, 1);
	ck_assert_int_eq(out.spf, HIST_AUTH_UNSET);
	ck_assert_uint_eq(out.n_dkim, 0);
	ck_assert_uint_eq(out.n_rua, 0);
	ck_assert_uint_eq(out.pct, 100);
	ck_assert_int_eq(out.result, HIST_RESULT_NONE);
	ck_assert_int_eq(out.p, HIST_POLICY_UNSPECIFIED);
	ck_assert_int_eq(out.np, HIST_POLICY_UNSPECIFIED);
	ck_assert_int_eq(out.arc, HIST_AUTH_NONE);
	ck_assert_int_eq(out.disposition, HIST_DISP_NONE);
	ck_assert(!out.is_report);
	/* No SPF evaluated: no spf line at all (as Exim does). */
	ck_assert_ptr_null(find_bytes(text.ptr, text.len, "\nspf ", 5));
	ck_assert_ptr_nonnull(find_bytes(text.ptr, text.len, "\nrua -\n", 7));
	free(keep);
}
END_TEST

/* What opendmarc-import does with a line: ($key, $value, $data) =
 * split / /, $_, 3; for dkim, ($selector, $result) = split / /, $data. */
struct importer_view {
	char key[32];
	char value[300];
	char sel[300];
	char res[300];
};

static void import_line(const char *line, size_t len, struct importer_view *v)
{
	memset(v, 0, sizeof *v);
	const char *end = line + len;
	const char *sp1 = memchr(line, ' ', len);
	size_t kl = sp1 ? (size_t)(sp1 - line) : len;
	ck_assert_uint_lt(kl, sizeof v->key);
	memcpy(v->key, line, kl);
	if (!sp1)
		return;
	const char *val = sp1 + 1;
	const char *sp2 = memchr(val, ' ', (size_t)(end - val));
	size_t vl = sp2 ? (size_t)(sp2 - val) : (size_t)(end - val);
	ck_assert_uint_lt(vl, sizeof v->value);
	memcpy(v->value, val, vl);
	if (!sp2)
		return;
	const char *data = sp2 + 1;
	const char *sp3 = memchr(data, ' ', (size_t)(end - data));
	size_t sl = sp3 ? (size_t)(sp3 - data) : (size_t)(end - data);
	ck_assert_uint_lt(sl, sizeof v->sel);
	memcpy(v->sel, data, sl);
	if (!sp3)
		return;
	const char *res = sp3 + 1;
	const char *sp4 = memchr(res, ' ', (size_t)(end - res));
	size_t rl = sp4 ? (size_t)(sp4 - res) : (size_t)(end - res);
	ck_assert_uint_lt(rl, sizeof v->res);
	memcpy(v->res, res, rl);
}

START_TEST(opendmarc_import_reads_the_values_it_knows_from_our_lines)
{
	struct hist_record in;
	full_record(&in);
	struct slice text = format(&in);
	static const struct {
		const char *key, *value, *sel, *res;
	} want[] = {
		{ "job", "1qABCd-000123-Xy", NULL, NULL },
		{ "reporter", "mx1.receiver.example", NULL, NULL },
		{ "received", "1700000123", NULL, NULL },
		{ "ipaddr", "2001:db8::25", NULL, NULL },
		{ "from", "example.org", NULL, NULL },
		{ "mfrom", "bounce.example.org", NULL, NULL },
		{ "spf", "2", NULL, NULL },
		{ "dkim", "example.org", "sel1", "0" },
		{ "dkim", "mailer.example", "s2024", "7" },
		{ "dkim", "broken.example", "k", "5" },
		{ "pdomain", "example.org", NULL, NULL },
		{ "policy", "16", NULL, NULL },
		{ "rua", "mailto:dmarc@example.org", NULL, NULL },
		{ "rua", "mailto:agg@reports.example!10m", NULL, NULL },
		{ "pct", "50", NULL, NULL },
		{ "adkim", "115", NULL, NULL },
		{ "aspf", "114", NULL, NULL },
		{ "p", "114", NULL, NULL },
		{ "sp", "113", NULL, NULL },
		{ "align_dkim", "5", NULL, NULL },
		{ "align_spf", "4", NULL, NULL },
		{ "arc", "0", NULL, NULL },
		{ "arc_policy", "0", NULL, NULL },
		{ "action", "2", NULL, NULL },
	};
	size_t n = 0, p = 0;
	while (p < text.len) {
		const char *nl = memchr(text.ptr + p, '\n', text.len - p);
		ck_assert_ptr_nonnull(nl);
		size_t len = (size_t)(nl - (text.ptr + p));
		if (len) {
			struct importer_view v;
			import_line(text.ptr + p, len, &v);
			ck_assert_msg(n < sizeof want / sizeof want[0], "extra line %s", v.key);
			ck_assert_str_eq(v.key, want[n].key);
			ck_assert_str_eq(v.value, want[n].value);
			if (want[n].sel) {
				ck_assert_str_eq(v.sel, want[n].sel);
				ck_assert_str_eq(v.res, want[n].res);
			}
			if (strcmp(v.key, "arc_policy") == 0)
				ck_assert_msg(strncmp(v.sel, "json:[", 6) == 0,
				              "arc_policy data must be json: for the importer");
			n++;
		}
		p += len + 1;
	}
	ck_assert_uint_eq(n, sizeof want / sizeof want[0]);
}
END_TEST

START_TEST(a_record_written_by_opendmarc_is_read_with_derived_fields)
{
	/* OpenDMARC 1.4 / Exim with libopendmarc 1.4: no extensions. */
	static const char text[] = "job 1qXYZ-0001-AB\n"
	                           "reporter mx.example.net\n"
	                           "received 1699990000\n"
	                           "ipaddr 192.0.2.10\n"
	                           "from sender.example\n"
	                           "mfrom sender.example\n"
	                           "spf 0\n"
	                           "dkim sender.example sel 0\n"
	                           "pdomain sender.example\n"
	                           "policy 15\n"
	                           "rua mailto:rua@sender.example\n"
	                           "pct 100\n"
	                           "adkim 114\n"
	                           "aspf 114\n"
	                           "p 114\n"
	                           "sp 0\n"
	                           "align_dkim 4\n"
	                           "align_spf 4\n"
	                           "action 2\n";
	struct hist_record r;
	char *keep;
	parse_one(slice_make(text, sizeof text - 1), &r, &keep);
	ck_assert_int_eq(r.result, HIST_RESULT_PASS);
	ck_assert_int_eq(r.requested, HIST_POLICY_REJECT);
	/* Passed under p=reject: RFC 9990's "pass" disposition. */
	ck_assert_int_eq(r.disposition, HIST_DISP_PASS);
	ck_assert_int_eq(r.spf, HIST_AUTH_PASS);
	ck_slice(r.spf_domain, "sender.example");
	ck_assert_int_eq(r.sp, HIST_POLICY_UNSPECIFIED);
	ck_assert_int_eq(r.discovery, HIST_DISCOVERY_UNKNOWN);
	ck_assert(r.align_dkim && r.align_spf);
	ck_assert_uint_eq(r.n_dkim, 1);
	ck_slice(r.dkim[0].selector, "sel");
	free(keep);
}
END_TEST

START_TEST(older_exim_dkim_lines_without_selector_are_read)
{
	static const char text[] = "job 1q-old\n"
	                           "reporter mx\n"
	                           "received 100\n"
	                           "ipaddr 192.0.2.1\n"
	                           "from a.example\n"
	                           "mfrom \n"
	                           "dkim a.example 7\n"
	                           "dkim b.example 11\n"
	                           "pdomain a.example\n"
	                           "policy 17\n"
	                           "rua -\n"
	                           "action 4\n";
	struct hist_record r;
	char *keep;
	parse_one(slice_make(text, sizeof text - 1), &r, &keep);
	ck_assert_uint_eq(r.mfrom_domain.len, 0);
	ck_assert_uint_eq(r.n_dkim, 2);
	ck_slice(r.dkim[0].domain, "a.example");
	ck_assert_uint_eq(r.dkim[0].selector.len, 0);
	ck_assert_int_eq(r.dkim[0].result, HIST_AUTH_FAIL);
	/* ARES "unknown" (Exim's code for some broken signatures). */
	ck_assert_int_eq(r.dkim[1].result, HIST_AUTH_PERMERROR);
	ck_assert_int_eq(r.result, HIST_RESULT_FAIL);
	ck_assert_int_eq(r.requested, HIST_POLICY_QUARANTINE);
	ck_assert_int_eq(r.disposition, HIST_DISP_QUARANTINE);
	ck_assert_uint_eq(r.n_rua, 0);
	free(keep);
}
END_TEST

static struct slice two_records(void)
{
	struct hist_record r;
	full_record(&r);
	struct buf b;
	buf_init(&b, A, 1u << 22);
	ck_assert_int_eq(hist_format(&r, &b), HIST_OK);
	r.job = S("second");
	ck_assert_int_eq(hist_format(&r, &b), HIST_OK);
	return buf_slice(&b);
}

START_TEST(a_truncated_last_record_is_incomplete_until_it_is_whole)
{
	struct slice all = two_records();
	/* Every cut inside the second record leaves it incomplete. */
	const char *second = find_bytes(all.ptr, all.len, "job second", 10);
	ck_assert_ptr_nonnull(second);
	size_t first_end = (size_t)(second - all.ptr);
	for (size_t cut = first_end + 1; cut < all.len; cut++) {
		char *copy = exact_copy(all.ptr, cut);
		struct slice t = slice_make(copy, cut);
		struct hist_record r;
		size_t pos = 0;
		ck_assert_int_eq(hist_parse_next(A, t, &pos, &r, NULL), HIST_PARSE_RECORD);
		ck_slice(r.job, "1qABCd-000123-Xy");
		size_t before = pos;
		enum hist_parse_status st = hist_parse_next(A, t, &pos, &r, NULL);
		ck_assert_msg(st == HIST_PARSE_INCOMPLETE, "cut %zu: status %d", cut, (int)st);
		ck_assert_msg(pos >= before && pos <= first_end, "cut %zu: pos %zu", cut, pos);
		free(copy);
	}
	/* Whole: both records. */
	char *copy = exact_copy(all.ptr, all.len);
	struct slice t = slice_make(copy, all.len);
	size_t pos = 0;
	struct hist_record r;
	ck_assert_int_eq(hist_parse_next(A, t, &pos, &r, NULL), HIST_PARSE_RECORD);
	ck_assert_int_eq(hist_parse_next(A, t, &pos, &r, NULL), HIST_PARSE_RECORD);
	ck_slice(r.job, "second");
	ck_assert_int_eq(hist_parse_next(A, t, &pos, &r, NULL), HIST_PARSE_END);
	free(copy);
}
END_TEST

START_TEST(a_torn_record_in_the_middle_is_skipped_and_the_next_one_is_read)
{
	struct slice all = two_records();
	const char *second = find_bytes(all.ptr, all.len, "\njob second", 11);
	ck_assert_ptr_nonnull(second);
	/* Simulate a short write of the first record: cut it anywhere, then
	 * the second record follows (it starts with its own empty line). */
	size_t first_len = (size_t)(second - all.ptr);
	for (size_t cut = 1; cut < first_len; cut++) {
		size_t rest = all.len - first_len;
		char *copy = malloc(cut + rest);
		ck_assert_ptr_nonnull(copy);
		memcpy(copy, all.ptr, cut);
		memcpy(copy + cut, second, rest);
		struct slice t = slice_make(copy, cut + rest);
		size_t pos = 0;
		struct hist_record r;
		int records = 0, damaged = 0;
		bool whole_first = false;
		for (;;) {
			enum hist_parse_status st = hist_parse_next(A, t, &pos, &r, NULL);
			if (st == HIST_PARSE_END)
				break;
			ck_assert_msg(st == HIST_PARSE_RECORD || st == HIST_PARSE_DAMAGED,
			              "cut %zu: status %d", cut, (int)st);
			if (st == HIST_PARSE_RECORD) {
				/* Only the record's final newline lost: the next
				 * record's empty line ends it, and it is whole. */
				if (cut == first_len - 1 && records == 0 && !eq(r.job, "second")) {
					ck_slice(r.job, "1qABCd-000123-Xy");
					ck_assert_int_eq(r.received, 1700000123);
					whole_first = true;
					continue;
				}
				ck_slice(r.job, "second");
				records++;
			} else {
				damaged++;
			}
		}
		ck_assert_msg(records == 1, "cut %zu: %d records", cut, records);
		ck_assert_msg(damaged == ((whole_first || cut == 1) ? 0 : 1), "cut %zu: %d damaged", cut,
		              damaged);
		free(copy);
	}
}
END_TEST

START_TEST(garbage_before_the_first_record_is_skipped)
{
	static const char text[] = "some junk\nmore junk\n\njob j1\nreceived 5\naction 2\n";
	char *copy = exact_copy(text, sizeof text - 1);
	struct slice t = slice_make(copy, sizeof text - 1);
	size_t pos = 0;
	struct hist_record r;
	ck_assert_int_eq(hist_parse_next(A, t, &pos, &r, NULL), HIST_PARSE_DAMAGED);
	ck_assert_int_eq(hist_parse_next(A, t, &pos, &r, NULL), HIST_PARSE_RECORD);
	ck_slice(r.job, "j1");
	ck_assert_int_eq(hist_parse_next(A, t, &pos, &r, NULL), HIST_PARSE_END);
	free(copy);
}
END_TEST

START_TEST(a_record_without_received_time_is_damaged)
{
	static const char text[] = "job j1\nfrom x.example\naction 2\njob j2\nreceived 9\naction 0\n";
	char *copy = exact_copy(text, sizeof text - 1);
	struct slice t = slice_make(copy, sizeof text - 1);
	size_t pos = 0;
	struct hist_record r;
	ck_assert_int_eq(hist_parse_next(A, t, &pos, &r, NULL), HIST_PARSE_DAMAGED);
	ck_assert_int_eq(hist_parse_next(A, t, &pos, &r, NULL), HIST_PARSE_RECORD);
	ck_slice(r.job, "j2");
	ck_assert_int_eq(r.disposition, HIST_DISP_REJECT);
	free(copy);
}
END_TEST

START_TEST(hostile_values_cannot_break_the_line_structure)
{
	struct hist_record in, out;
	hist_record_init(&in);
	in.job = S("j\nreceived 1\naction 2\njob forged");
	in.received = 42;
	in.from_domain = slice_make("evil example.org\r\naction 0", 26);
	in.ipaddr = slice_make("1.2.3.4\0x", 9);
	static const struct hist_dkim d = { { "d\n.example", 10 }, { "s 1 0", 5 },
		                            HIST_AUTH_PASS, { "x\ny", 3 } };
	in.dkim = &d;
	in.n_dkim = 1;
	static const struct hist_override o = { HIST_OVERRIDE_OTHER, { "a=b:c%d\n", 8 } };
	in.overrides = &o;
	in.n_overrides = 1;
	struct slice text = format(&in);
	/* No byte of a value may end a line or a field early. */
	size_t lines = 0;
	for (size_t i = 0; i < text.len; i++)
		if (text.ptr[i] == '\n')
			lines++;
	ck_assert_uint_eq(lines, 21); /* blank + 20 lines, none injected */
	char *keep;
	parse_one(text, &out, &keep);
	ck_assert_int_eq(out.received, 42);
	ck_slice(out.job, "j%0Areceived%201%0Aaction%202%0Ajob%20forged");
	ck_slice(out.from_domain, "evil%20example.org%0D%0Aaction%200");
	ck_slice(out.ipaddr, "1.2.3.4%00x");
	ck_assert_uint_eq(out.n_dkim, 1);
	ck_slice(out.dkim[0].selector, "s%201%200");
	ck_assert_int_eq(out.dkim[0].result, HIST_AUTH_PASS);
	/* Our own extension values round-trip exactly. */
	ck_assert(slice_eq(out.dkim[0].human, d.human));
	ck_assert(slice_eq(out.overrides[0].comment, o.comment));
	free(keep);
}
END_TEST

START_TEST(an_oversized_record_is_refused_and_nothing_is_written)
{
	static struct hist_dkim many[HIST_MAX_DKIM];
	static char big[HIST_MAX_FIELD_BYTES];
	memset(big, 'a', sizeof big);
	for (size_t i = 0; i < HIST_MAX_DKIM; i++) {
		many[i].domain = slice_make(big, sizeof big);
		many[i].selector = slice_make(big, sizeof big);
		many[i].result = HIST_AUTH_FAIL;
	}
	struct hist_record r;
	hist_record_init(&r);
	r.job = S("big");
	r.received = 1;
	r.dkim = many;
	r.n_dkim = HIST_MAX_DKIM;
	char *path = testutil_write_temp("", 0, ".hist");
	ck_assert_ptr_nonnull(path);
	char err[256];
	ck_assert_int_eq(hist_append_path(path, &r, A, err, sizeof err), HIST_E_TOO_BIG);
	ck_assert_ptr_nonnull(strstr(err, "larger than"));
	size_t len = 1;
	char *data = testutil_read_file(path, &len);
	ck_assert_ptr_nonnull(data);
	ck_assert_uint_eq(len, 0);
	free(data);
	unlink(path);
	free(path);
}
END_TEST

START_TEST(appending_to_an_unwritable_path_says_why)
{
	struct hist_record r;
	hist_record_init(&r);
	r.job = S("x");
	char err[256];
	ck_assert_int_eq(hist_append_path("/nonexistent-dir/history", &r, A, err, sizeof err),
	                 HIST_E_IO);
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent-dir/history"));
}
END_TEST

/* ---- eight writers at once ---- */

#define WRITERS 8
#define PER_WRITER 600

static char sig_domains[WRITERS][64];

static void writer_record(struct hist_record *r, struct hist_dkim *dk, int w, int i, char *job,
                          size_t joblen, char *rep, size_t replen)
{
	hist_record_init(r);
	snprintf(job, joblen, "w%d-%d", w, i);
	snprintf(rep, replen, "host-%d", w);
	r->job = S(job);
	r->reporter = S(rep);
	r->received = 1700000000 + i;
	r->ipaddr = S("198.51.100.7");
	r->from_domain = S(sig_domains[w]);
	r->pdomain = S(sig_domains[w]);
	r->result = HIST_RESULT_FAIL;
	/* Records of very different sizes, many larger than PIPE_BUF. */
	size_t n = (size_t)((i * 7 + w) % 40);
	for (size_t k = 0; k < n; k++) {
		dk[k].domain = S(sig_domains[w]);
		dk[k].selector = S("selector-with-a-reasonably-long-name-for-size");
		dk[k].result = k % 2 ? HIST_AUTH_FAIL : HIST_AUTH_PASS;
		dk[k].human = S("some human readable text to make the record larger");
	}
	r->dkim = dk;
	r->n_dkim = n;
}

START_TEST(eight_processes_appending_at_once_never_tear_or_interleave_records)
{
	char *path = testutil_write_temp("", 0, ".hist");
	ck_assert_ptr_nonnull(path);
	for (int w = 0; w < WRITERS; w++)
		snprintf(sig_domains[w], sizeof sig_domains[w], "writer%d.example", w);
	pid_t pids[WRITERS];
	for (int w = 0; w < WRITERS; w++) {
		pids[w] = fork();
		ck_assert_int_ge(pids[w], 0);
		if (pids[w] == 0) {
			struct arena *a = arena_new(0);
			int rc = a ? 0 : 1;
			static struct hist_dkim dk[40];
			for (int i = 0; i < PER_WRITER && rc == 0; i++) {
				struct hist_record r;
				char job[32], rep[32], err[256];
				writer_record(&r, dk, w, i, job, sizeof job, rep, sizeof rep);
				if (hist_append_path(path, &r, a, err, sizeof err) != HIST_OK)
					rc = 2;
			}
			arena_free(a);
			_exit(rc);
		}
	}
	for (int w = 0; w < WRITERS; w++) {
		int st;
		ck_assert_int_eq(waitpid(pids[w], &st, 0), pids[w]);
		ck_assert(WIFEXITED(st));
		ck_assert_int_eq(WEXITSTATUS(st), 0);
	}
	size_t len;
	char *data = testutil_read_file(path, &len);
	ck_assert_ptr_nonnull(data);
	char *copy = exact_copy(data, len);
	free(data);
	struct slice t = slice_make(copy, len);

	static unsigned char seen[WRITERS][PER_WRITER];
	memset(seen, 0, sizeof seen);
	size_t pos = 0, records = 0;
	struct arena *pa = arena_new(0);
	for (;;) {
		struct hist_record r;
		enum hist_parse_status st = hist_parse_next(pa, t, &pos, &r, NULL);
		if (st == HIST_PARSE_END)
			break;
		ck_assert_msg(st == HIST_PARSE_RECORD, "status %d at %zu", (int)st, pos);
		int w = -1, i = -1;
		char job[32];
		ck_assert_uint_lt(r.job.len, sizeof job);
		memcpy(job, r.job.ptr, r.job.len);
		job[r.job.len] = '\0';
		ck_assert_int_eq(sscanf(job, "w%d-%d", &w, &i), 2);
		ck_assert(w >= 0 && w < WRITERS && i >= 0 && i < PER_WRITER);
		ck_assert_msg(!seen[w][i], "record %s twice", job);
		seen[w][i] = 1;
		/* Every field is the writer's own: nothing mixed in. */
		struct hist_record want;
		static struct hist_dkim dk[40];
		char wj[32], wr[32];
		writer_record(&want, dk, w, i, wj, sizeof wj, wr, sizeof wr);
		ck_assert(slice_eq(r.reporter, want.reporter));
		ck_assert_int_eq(r.received, want.received);
		ck_assert(slice_eq(r.from_domain, want.from_domain));
		ck_assert_uint_eq(r.n_dkim, want.n_dkim);
		for (size_t k = 0; k < r.n_dkim; k++) {
			ck_assert(slice_eq(r.dkim[k].domain, want.dkim[k].domain));
			ck_assert_int_eq(r.dkim[k].result, want.dkim[k].result);
		}
		records++;
	}
	ck_assert_uint_eq(records, WRITERS * PER_WRITER);
	arena_free(pa);
	free(copy);
	unlink(path);
	free(path);
}
END_TEST

START_TEST(report_subjects_are_recognised)
{
	ck_assert(hist_subject_is_report(
	        S(" Report Domain: example.com Submitter: mail.receiver.example Report-ID: <x@y>")));
	ck_assert(hist_subject_is_report(
	        S("Report Domain: example.com\r\n  Submitter: r.example")));
	ck_assert(!hist_subject_is_report(S("Report Domain: example.com")));
	ck_assert(!hist_subject_is_report(S("ReportDomain: a Submitter: b")));
	ck_assert(!hist_subject_is_report(S("Re: Report Domain: a Submitter: b")));
	ck_assert(!hist_subject_is_report(S("")));
}
END_TEST

START_TEST(dispositions_follow_rfc9990_words)
{
	ck_assert_int_eq(hist_disposition_for(HIST_RESULT_PASS, HIST_POLICY_REJECT,
	                                      HIST_POLICY_NONE),
	                 HIST_DISP_PASS);
	ck_assert_int_eq(hist_disposition_for(HIST_RESULT_PASS, HIST_POLICY_NONE, HIST_POLICY_NONE),
	                 HIST_DISP_NONE);
	ck_assert_int_eq(hist_disposition_for(HIST_RESULT_FAIL, HIST_POLICY_REJECT,
	                                      HIST_POLICY_REJECT),
	                 HIST_DISP_REJECT);
	ck_assert_int_eq(hist_disposition_for(HIST_RESULT_FAIL, HIST_POLICY_REJECT,
	                                      HIST_POLICY_QUARANTINE),
	                 HIST_DISP_QUARANTINE);
	/* t=y or an override: the requested reject was not applied. */
	ck_assert_int_eq(hist_disposition_for(HIST_RESULT_FAIL, HIST_POLICY_REJECT,
	                                      HIST_POLICY_NONE),
	                 HIST_DISP_NONE);
}
END_TEST

static Suite *hist_suite(void)
{
	Suite *s = suite_create("hist");
	TCase *tc = tcase_create("format_parse");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, a_full_record_survives_format_and_parse);
	tcase_add_test(tc, a_default_record_survives_format_and_parse);
	tcase_add_test(tc, opendmarc_import_reads_the_values_it_knows_from_our_lines);
	tcase_add_test(tc, a_record_written_by_opendmarc_is_read_with_derived_fields);
	tcase_add_test(tc, older_exim_dkim_lines_without_selector_are_read);
	tcase_add_test(tc, a_truncated_last_record_is_incomplete_until_it_is_whole);
	tcase_add_test(tc, a_torn_record_in_the_middle_is_skipped_and_the_next_one_is_read);
	tcase_add_test(tc, garbage_before_the_first_record_is_skipped);
	tcase_add_test(tc, a_record_without_received_time_is_damaged);
	tcase_add_test(tc, hostile_values_cannot_break_the_line_structure);
	tcase_add_test(tc, report_subjects_are_recognised);
	tcase_add_test(tc, dispositions_follow_rfc9990_words);
	suite_add_tcase(s, tc);

	TCase *io = tcase_create("append");
	tcase_add_checked_fixture(io, setup, teardown);
	tcase_set_timeout(io, 120);
	tcase_add_test(io, an_oversized_record_is_refused_and_nothing_is_written);
	tcase_add_test(io, appending_to_an_unwritable_path_says_why);
	tcase_add_test(io, eight_processes_appending_at_once_never_tear_or_interleave_records);
	suite_add_tcase(s, io);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(hist_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
