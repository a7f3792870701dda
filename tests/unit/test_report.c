/* test_report.c — unit tests for the aggregate report building blocks:
 * shared/report_agg.c (grouping per policy domain and window, ri=, rows,
 * skipped records, watermarks, date ranges), shared/report_xml.c (row
 * keys, escaping, DKIM order, override reasons, the whole document),
 * shared/report_mail.c (report ids, file names, the MIME message and its
 * Subject), shared/report_state.c (the state file), and the report_*
 * options of shared/config.c. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "b64.h"
#include "config.h"
#include "hist.h"
#include "mailauth_limits.h"
#include "report_agg.h"
#include "report_dest.h"
#include "report_mail.h"
#include "report_state.h"
#include "report_xml.h"
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
	return slice_make(s, strlen(s));
}

/* strstr over a slice (the text may hold NUL bytes: row keys do). */
static const char *find(struct slice hay, const char *needle)
{
	size_t n = strlen(needle);
	for (size_t i = 0; n <= hay.len && i <= hay.len - n; i++)
		if (memcmp(hay.ptr + i, needle, n) == 0)
			return hay.ptr + i;
	return NULL;
}

static size_t count_of(struct slice hay, const char *needle)
{
	size_t c = 0, n = strlen(needle);
	for (size_t i = 0; n <= hay.len && i + n <= hay.len; i++)
		if (memcmp(hay.ptr + i, needle, n) == 0)
			c++;
	return c;
}

#define ck_has(hay, needle) \
	ck_assert_msg(find((hay), (needle)) != NULL, "'%s' missing in:\n%.*s", (needle), \
	              (int)(hay).len, (hay).ptr)
#define ck_hasnt(hay, needle) \
	ck_assert_msg(find((hay), (needle)) == NULL, "'%s' present in:\n%.*s", (needle), \
	              (int)(hay).len, (hay).ptr)

#define DAY 86400
/* 2023-11-14T00:00:00Z */
#define T0 1699920000

static const struct slice rua1[] = { { "mailto:dmarc@example.com", 24 } };

/* A passing record of example.com at time t from ip. */
static void rec(struct hist_record *r, int64_t t, const char *ip)
{
	hist_record_init(r);
	r->job = S("job");
	r->reporter = S("mx.example.test");
	r->received = t;
	r->ipaddr = S(ip);
	r->from_domain = S("example.com");
	r->mfrom_domain = S("example.com");
	r->spf = HIST_AUTH_PASS;
	r->spf_domain = S("example.com");
	r->pdomain = S("example.com");
	r->result = HIST_RESULT_PASS;
	r->p = r->requested = HIST_POLICY_REJECT;
	r->discovery = HIST_DISCOVERY_TREEWALK;
	r->align_spf = true;
	r->disposition = HIST_DISP_PASS;
	r->rua = rua1;
	r->n_rua = 1;
}

static enum report_agg_fate add(struct report_agg *g, const struct hist_record *r, size_t file,
                                uint64_t off)
{
	enum report_agg_fate fate = REPORT_AGG_COUNTED;
	ck_assert_int_eq(report_agg_add(g, r, file, off, &fate), REPORT_AGG_OK);
	return fate;
}

/* ------------------------------------------------------------------ */
/* Aggregation                                                         */

START_TEST(identical_records_share_a_row_and_other_ips_get_their_own)
{
	struct report_agg *g = report_agg_new(A, 1);
	struct hist_record r;
	for (int i = 0; i < 5; i++) {
		rec(&r, T0 + 100 + i, "192.0.2.1");
		ck_assert_int_eq(add(g, &r, 0, (uint64_t)i * 100), REPORT_AGG_COUNTED);
	}
	rec(&r, T0 + 200, "192.0.2.2");
	add(g, &r, 0, 900);
	rec(&r, T0 + 300, "192.0.2.1");
	r.align_spf = false;
	r.result = HIST_RESULT_FAIL;
	r.disposition = HIST_DISP_REJECT;
	add(g, &r, 0, 1000);
	report_agg_finish(g);
	ck_assert_uint_eq(report_agg_count(g), 1);
	struct report_group *grp = report_agg_group(g, 0);
	ck_assert_uint_eq(grp->messages, 7);
	ck_assert_uint_eq(grp->n_rows, 3);
	uint64_t total = 0, max = 0;
	for (size_t i = 0; i < grp->n_rows; i++) {
		total += grp->rows[i].count;
		if (grp->rows[i].count > max)
			max = grp->rows[i].count;
		if (i)
			ck_assert_msg(memcmp(grp->rows[i - 1].key.ptr, grp->rows[i].key.ptr,
			                     grp->rows[i - 1].key.len < grp->rows[i].key.len
			                             ? grp->rows[i - 1].key.len
			                             : grp->rows[i].key.len) <= 0,
			              "rows are sorted by key");
	}
	ck_assert_uint_eq(total, 7);
	ck_assert_uint_eq(max, 5);
	ck_assert_int_eq(grp->first, T0 + 100);
	ck_assert_int_eq(grp->last, T0 + 300);
	ck_assert_uint_eq(grp->min_offset[0], 0);
}
END_TEST

START_TEST(windows_are_days_aligned_to_midnight_utc)
{
	struct report_agg *g = report_agg_new(A, 1);
	struct hist_record r;
	rec(&r, T0 + DAY - 1, "192.0.2.1");
	add(g, &r, 0, 0);
	rec(&r, T0 + DAY, "192.0.2.1");
	add(g, &r, 0, 100);
	rec(&r, T0, "192.0.2.1");
	add(g, &r, 0, 200);
	report_agg_finish(g);
	ck_assert_uint_eq(report_agg_count(g), 2);
	struct report_group *d1 = report_agg_group(g, 0), *d2 = report_agg_group(g, 1);
	ck_assert_int_eq(d1->window_start, T0);
	ck_assert_uint_eq(d1->window_len, DAY);
	ck_assert_uint_eq(d1->messages, 2);
	ck_assert_uint_eq(d1->min_offset[0], 0);
	ck_assert_int_eq(d2->window_start, T0 + DAY);
	ck_assert_uint_eq(d2->messages, 1);
	ck_assert_uint_eq(d2->min_offset[0], 100);
	ck_assert(report_group_finished(d1, T0 + DAY));
	ck_assert(!report_group_finished(d1, T0 + DAY - 1));
}
END_TEST

START_TEST(a_smaller_ri_is_honoured_in_rfc7489_mode_only)
{
	static const struct {
		enum hist_discovery disc;
		uint32_t ri, want;
	} cases[] = {
		{ HIST_DISCOVERY_PSL, 3600, 3600 },
		{ HIST_DISCOVERY_PSL, 7200, 7200 },
		{ HIST_DISCOVERY_PSL, 5400, 3600 },   /* whole hours */
		{ HIST_DISCOVERY_PSL, 60, REPORT_MIN_INTERVAL },
		{ HIST_DISCOVERY_PSL, 0, DAY },
		{ HIST_DISCOVERY_PSL, 2 * DAY, DAY }, /* never longer than a day */
		{ HIST_DISCOVERY_TREEWALK, 3600, DAY }, /* RFC 9989 has no ri= */
		{ HIST_DISCOVERY_UNKNOWN, 3600, DAY },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct hist_record r;
		rec(&r, T0, "192.0.2.1");
		r.discovery = cases[i].disc;
		r.ri = cases[i].ri;
		ck_assert_msg(report_window_len(&r) == cases[i].want, "case %zu: %u", i,
		              report_window_len(&r));
	}
	/* Hourly windows: three records in two hours give two groups. */
	struct report_agg *g = report_agg_new(A, 1);
	struct hist_record r;
	for (int i = 0; i < 3; i++) {
		rec(&r, T0 + 1800 * i, "192.0.2.1");
		r.discovery = HIST_DISCOVERY_PSL;
		r.ri = 3600;
		add(g, &r, 0, (uint64_t)i);
	}
	report_agg_finish(g);
	ck_assert_uint_eq(report_agg_count(g), 2);
	ck_assert_int_eq(report_agg_group(g, 1)->window_start, T0 + 3600);
	ck_assert(report_group_finished(report_agg_group(g, 0), T0 + 3600));
}
END_TEST

START_TEST(records_without_policy_temperrors_reports_and_old_ones_are_skipped)
{
	struct report_agg *g = report_agg_new(A, 1);
	ck_assert_int_eq(report_agg_set_watermark(g, S("Example.COM"), T0 + 500), REPORT_AGG_OK);
	ck_assert_int_eq(report_agg_watermark(g, S("example.com")), T0 + 500);
	ck_assert_int_eq(report_agg_watermark(g, S("other.example")), INT64_MIN);
	struct hist_record r;
	rec(&r, T0 + 1000, "192.0.2.1");
	r.result = HIST_RESULT_NONE;
	ck_assert_int_eq(add(g, &r, 0, 0), REPORT_AGG_SKIP_NO_POLICY);
	rec(&r, T0 + 1000, "192.0.2.1");
	r.pdomain = S("");
	ck_assert_int_eq(add(g, &r, 0, 0), REPORT_AGG_SKIP_NO_POLICY);
	rec(&r, T0 + 1000, "192.0.2.1");
	r.result = HIST_RESULT_TEMPERROR;
	ck_assert_int_eq(add(g, &r, 0, 0), REPORT_AGG_SKIP_TEMPERROR);
	rec(&r, T0 + 1000, "192.0.2.1");
	r.is_report = true;
	ck_assert_int_eq(add(g, &r, 0, 0), REPORT_AGG_SKIP_REPORT);
	rec(&r, T0 + 499, "192.0.2.1");
	ck_assert_int_eq(add(g, &r, 0, 0), REPORT_AGG_SKIP_REPORTED);
	rec(&r, T0 + 500, "192.0.2.1");
	ck_assert_int_eq(add(g, &r, 0, 0), REPORT_AGG_COUNTED);
	rec(&r, T0 + 1000, "192.0.2.1");
	r.result = HIST_RESULT_PERMERROR;
	ck_assert_int_eq(add(g, &r, 0, 0), REPORT_AGG_COUNTED);
	report_agg_finish(g);
	ck_assert_uint_eq(report_agg_count(g), 1);
	ck_assert_uint_eq(report_agg_group(g, 0)->messages, 2);
}
END_TEST

START_TEST(the_policy_of_the_latest_record_is_reported)
{
	struct report_agg *g = report_agg_new(A, 2);
	struct hist_record r;
	static const struct slice rua2[] = { { "mailto:new@example.com", 22 } };
	rec(&r, T0 + 2000, "192.0.2.1");
	r.p = HIST_POLICY_QUARANTINE;
	r.rua = rua2;
	r.testing = true;
	add(g, &r, 1, 40);
	rec(&r, T0 + 1000, "192.0.2.1"); /* older, read later (another host's file) */
	r.p = HIST_POLICY_NONE;
	add(g, &r, 0, 70);
	report_agg_finish(g);
	struct report_group *grp = report_agg_group(g, 0);
	ck_assert_int_eq(grp->policy.p, HIST_POLICY_QUARANTINE);
	ck_assert(grp->policy.testing);
	ck_assert_uint_eq(grp->n_rua, 1);
	ck_assert(slice_eq(grp->rua[0], S("mailto:new@example.com")));
	ck_assert_uint_eq(grp->min_offset[0], 70);
	ck_assert_uint_eq(grp->min_offset[1], 40);
}
END_TEST

START_TEST(policy_domains_group_case_insensitively_and_sort)
{
	struct report_agg *g = report_agg_new(A, 1);
	struct hist_record r;
	const char *doms[] = { "b.example", "A.Example", "a.example", "B.EXAMPLE" };
	for (size_t i = 0; i < 4; i++) {
		rec(&r, T0 + 10, "192.0.2.1");
		r.pdomain = S(doms[i]);
		add(g, &r, 0, i);
	}
	report_agg_finish(g);
	ck_assert_uint_eq(report_agg_count(g), 2);
	ck_assert(slice_eq(report_agg_group(g, 0)->pdomain, S("a.example")));
	ck_assert(slice_eq(report_agg_group(g, 1)->pdomain, S("b.example")));
	ck_assert_uint_eq(report_agg_group(g, 0)->messages, 2);
}
END_TEST

START_TEST(date_ranges_follow_windows_watermarks_and_flushes)
{
	struct report_agg *g = report_agg_new(A, 1);
	struct hist_record r;
	rec(&r, T0 + 5000, "192.0.2.1");
	add(g, &r, 0, 0);
	report_agg_finish(g);
	struct report_group *grp = report_agg_group(g, 0);
	int64_t b, e;
	report_group_range(g, grp, T0 + 2 * DAY, &b, &e);
	ck_assert_int_eq(b, T0);
	ck_assert_int_eq(e, T0 + DAY);
	/* Flushed before the window ended: up to now. */
	report_group_range(g, grp, T0 + 7000, &b, &e);
	ck_assert_int_eq(e, T0 + 7001);
	/* A clock behind the last record: up to the record. */
	report_group_range(g, grp, T0 + 10, &b, &e);
	ck_assert_int_eq(e, T0 + 5001);

	/* After a flush, the rest of the window starts at the watermark. */
	struct report_agg *g2 = report_agg_new(A, 1);
	report_agg_set_watermark(g2, S("example.com"), T0 + 7001);
	rec(&r, T0 + 9000, "192.0.2.1");
	add(g2, &r, 0, 0);
	report_agg_finish(g2);
	report_group_range(g2, report_agg_group(g2, 0), T0 + 2 * DAY, &b, &e);
	ck_assert_int_eq(b, T0 + 7001);
	ck_assert_int_eq(e, T0 + DAY);
}
END_TEST

START_TEST(thousands_of_distinct_rows_are_kept_apart)
{
	/* More rows than the hash table's first size: it grows and every
	 * row stays distinct. */
	struct report_agg *g = report_agg_new(A, 1);
	struct hist_record r;
	char ip[32];
	for (int i = 0; i < 3000; i++) {
		snprintf(ip, sizeof ip, "10.%d.%d.1", i / 256, i % 256);
		rec(&r, T0 + i, ip);
		add(g, &r, 0, (uint64_t)i);
	}
	report_agg_finish(g);
	ck_assert_uint_eq(report_agg_group(g, 0)->n_rows, 3000);
}
END_TEST

/* ------------------------------------------------------------------ */
/* XML                                                                 */

static struct slice row_key(const struct hist_record *r)
{
	struct buf b;
	buf_init(&b, A, 1u << 20);
	report_xml_row_key(A, r, &b);
	ck_assert(!b.err);
	return buf_slice(&b);
}

START_TEST(row_keys_escape_hostile_text_and_stay_well_formed)
{
	struct hist_record r;
	rec(&r, T0, "192.0.2.1");
	r.from_domain = S("a<b>&\"c'.example");
	r.mfrom_domain = slice_make("x\001y\x80z\xc3\xa9.example", 15);
	r.spf_human = S("</human_result><evil/>");
	struct slice k = row_key(&r);
	ck_has(k, "<header_from>a&lt;b&gt;&amp;&quot;c&apos;.example</header_from>");
	/* A control byte becomes '?', an invalid UTF-8 byte U+FFFD, valid
	 * UTF-8 stays. */
	ck_has(k, "<envelope_from>x?y\xef\xbf\xbdz\xc3\xa9.example</envelope_from>");
	ck_has(k, "&lt;/human_result&gt;&lt;evil/&gt;");
	ck_hasnt(k, "<evil/>");
	/* The key starts with the source_ip part and a NUL. */
	ck_assert_ptr_nonnull(memchr(k.ptr, '\0', k.len));
	ck_assert(slice_starts_with_ci(k, S("      <source_ip>192.0.2.1</source_ip>\n")));
}
END_TEST

START_TEST(dkim_results_are_ordered_aligned_passes_first)
{
	static const struct hist_dkim dk[] = {
		{ { "failing.example", 15 }, { "f", 1 }, HIST_AUTH_FAIL, { "", 0 } },
		{ { "third.party", 11 }, { "t", 1 }, HIST_AUTH_PASS, { "", 0 } },
		{ { "mail.example.com", 16 }, { "r", 1 }, HIST_AUTH_PASS, { "", 0 } },
		{ { "example.com", 11 }, { "s", 1 }, HIST_AUTH_PASS, { "ok", 2 } },
	};
	struct hist_record r;
	rec(&r, T0, "192.0.2.1");
	r.dkim = dk;
	r.n_dkim = 4;
	struct slice k = row_key(&r);
	const char *s = find(k, "<selector>s</selector>"), *rl = find(k, "<selector>r</selector>"),
	           *t = find(k, "<selector>t</selector>"), *f = find(k, "<selector>f</selector>");
	ck_assert(s && rl && t && f);
	ck_assert_msg(s < rl && rl < t && t < f, "order: strict, relaxed, other pass, failures");
	ck_has(k, "<human_result>ok</human_result>");
	ck_assert_uint_eq(count_of(k, "<dkim>\n"), 4);
	/* SPF after DKIM (AuthResultType is a sequence). */
	ck_assert(find(k, "<spf>\n") > f);
}
END_TEST

START_TEST(override_reasons_and_helo_spf_follow_the_schema)
{
	static const struct hist_override ov[] = {
		{ HIST_OVERRIDE_MAILING_LIST, { "list <dev>", 10 } },
		{ HIST_OVERRIDE_SAMPLED_OUT, { "", 0 } },
		{ HIST_OVERRIDE_TRUSTED_FORWARDER, { "", 0 } },
	};
	struct hist_record r;
	rec(&r, T0, "192.0.2.1");
	r.overrides = ov;
	r.n_overrides = 3;
	r.spf_scope = HIST_SPF_HELO;
	r.spf_domain = S("helo.example");
	r.mfrom_domain = S("");
	struct slice k = row_key(&r);
	ck_has(k, "<type>mailing_list</type>\n          <comment>list &lt;dev&gt;</comment>");
	ck_has(k, "<type>other</type>\n          <comment>sampled_out</comment>");
	ck_has(k, "<type>trusted_forwarder</type>\n        </reason>");
	ck_hasnt(k, "sampled_out</type>");
	ck_has(k, "<domain>helo.example</domain>\n        <result>pass</result>");
	ck_hasnt(k, "<scope>");
	ck_has(k, "<envelope_from></envelope_from>");
}
END_TEST

START_TEST(a_document_has_metadata_policy_and_counted_records)
{
	struct report_agg *g = report_agg_new(A, 1);
	struct hist_record r;
	for (int i = 0; i < 3; i++) {
		rec(&r, T0 + i, i == 2 ? "2001:db8::1" : "192.0.2.1");
		r.p = r.requested = HIST_POLICY_QUARANTINE;
		r.sp = HIST_POLICY_UNSPECIFIED;
		r.np = HIST_POLICY_REJECT;
		r.adkim_strict = true;
		r.fo = S("1");
		add(g, &r, 0, 0);
	}
	report_agg_finish(g);
	struct report_group *grp = report_agg_group(g, 0);
	struct report_meta meta = { "Org & Co", "dmarc@receiver.example", NULL, "receiver.example",
		                    "exim-mailauth test" };
	struct buf b;
	buf_init(&b, A, 1u << 20);
	report_xml_write(&b, &meta, S("0123abcd"), T0, T0 + DAY - 1, &grp->policy, grp->rows,
	                 grp->n_rows);
	struct slice x = buf_slice(&b);
	ck_assert(slice_starts_with_ci(x, S("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	                                    "<feedback xmlns=\"urn:ietf:params:xml:ns:dmarc-2.0\">")));
	ck_has(x, "<org_name>Org &amp; Co</org_name>");
	ck_has(x, "<email>dmarc@receiver.example</email>");
	ck_hasnt(x, "extra_contact_info");
	ck_has(x, "<report_id>0123abcd</report_id>");
	ck_has(x, "<begin>1699920000</begin>");
	ck_has(x, "<end>1700006399</end>");
	ck_has(x, "<generator>exim-mailauth test</generator>");
	ck_has(x, "<p>quarantine</p>");
	ck_has(x, "<sp>quarantine</sp>"); /* absent sp= means p= */
	ck_has(x, "<np>reject</np>");
	ck_has(x, "<adkim>s</adkim>");
	ck_has(x, "<aspf>r</aspf>");
	ck_has(x, "<fo>1</fo>");
	ck_has(x, "<discovery_method>treewalk</discovery_method>");
	ck_has(x, "<testing>n</testing>");
	ck_assert_uint_eq(count_of(x, "<record>"), 2);
	ck_assert_uint_eq(count_of(x, "</record>"), 2);
	ck_has(x, "<source_ip>192.0.2.1</source_ip>\n      <count>2</count>\n      <policy_evaluated>");
	ck_has(x, "<source_ip>2001:db8::1</source_ip>\n      <count>1</count>");
	ck_assert(slice_ends_with_ci(x, S("</feedback>\n")));

	meta.extra_contact_info = "https://receiver.example/dmarc";
	buf_init(&b, A, 1u << 20);
	report_xml_write(&b, &meta, S("x"), T0, T0 + 1, &grp->policy, grp->rows, grp->n_rows);
	ck_has(buf_slice(&b),
	       "<extra_contact_info>https://receiver.example/dmarc</extra_contact_info>");
}
END_TEST

/* ------------------------------------------------------------------ */
/* Report ids, file names, messages                                    */

START_TEST(report_ids_are_32_hex_digits_stable_and_distinct)
{
	struct buf a, b, c, d;
	buf_init(&a, A, 64);
	buf_init(&b, A, 64);
	buf_init(&c, A, 64);
	buf_init(&d, A, 64);
	ck_assert(report_id_make(&a, "receiver.example", "mx1", S("example.com"), T0, T0 + DAY - 1));
	ck_assert(report_id_make(&b, "receiver.example", "mx1", S("example.com"), T0, T0 + DAY - 1));
	ck_assert(report_id_make(&c, "receiver.example", "mx2", S("example.com"), T0, T0 + DAY - 1));
	ck_assert(report_id_make(&d, "receiver.example", "mx1", S("example.com"), T0 + DAY,
	                         T0 + 2 * DAY - 1));
	ck_assert_uint_eq(a.len, 32);
	for (size_t i = 0; i < a.len; i++)
		ck_assert(strchr("0123456789abcdef", a.ptr[i]) != NULL);
	ck_assert(slice_eq(buf_slice(&a), buf_slice(&b)));
	ck_assert(!slice_eq(buf_slice(&a), buf_slice(&c)));
	ck_assert(!slice_eq(buf_slice(&a), buf_slice(&d)));
}
END_TEST

START_TEST(file_names_follow_rfc9990_and_cannot_leave_the_directory)
{
	struct buf b;
	buf_init(&b, A, 4096);
	report_filename(&b, "receiver.example", S("example.com"), T0, T0 + DAY - 1, S("abc123"));
	ck_assert_str_eq(buf_cstr(&b),
	                 "receiver.example!example.com!1699920000!1700006399!abc123.xml.gz");
	buf_init(&b, A, 4096);
	report_filename(&b, "r.example", S("../evil/x"), 1, 2, S("id"));
	ck_assert_str_eq(buf_cstr(&b), "r.example!_._evil_x!1!2!id.xml.gz");
	ck_assert_ptr_null(strchr(buf_cstr(&b), '/'));
}
END_TEST

/* Header field value of name in msg (first line only). */
static struct slice header_value(struct slice msg, const char *name)
{
	size_t n = strlen(name);
	for (size_t i = 0; i + n < msg.len; i++) {
		if ((i == 0 || msg.ptr[i - 1] == '\n') && memcmp(msg.ptr + i, name, n) == 0 &&
		    msg.ptr[i + n] == ':') {
			size_t s = i + n + 1, e = s;
			/* Unfold continuation lines. */
			while (e < msg.len && !(msg.ptr[e] == '\n' &&
			                        (e + 1 >= msg.len || (msg.ptr[e + 1] != ' ' &&
			                                              msg.ptr[e + 1] != '\t'))))
				e++;
			return slice_make(msg.ptr + s, e - s);
		}
		if (i > 0 && msg.ptr[i - 1] == '\n' && msg.ptr[i] == '\n')
			break; /* end of header */
	}
	return SLICE_NULL;
}

START_TEST(the_report_message_is_mime_with_the_rfc9990_subject)
{
	struct report_meta meta = { "Receiver Org", "dmarc-reports@receiver.example", NULL,
		                    "receiver.example", NULL };
	unsigned char att[1000];
	for (size_t i = 0; i < sizeof att; i++)
		att[i] = (unsigned char)(i * 7 + 3);
	struct report_mail m = {
		.meta = &meta, .pdomain = S("a-rather-long-policy-domain-name.example.com"),
		.report_id = S("0123456789abcdef0123456789abcdef"),
		.filename = S("receiver.example!example.com!1!2!0123.xml.gz"),
		.to = S("dmarc@example.com"), .begin = T0, .end = T0 + DAY - 1, .messages = 12,
		.date = T0 + DAY + 60, .attachment = slice_make((const char *)att, sizeof att),
	};
	struct buf b;
	buf_init(&b, A, 1u << 20);
	report_mail_build(&m, &b);
	ck_assert(!b.err);
	struct slice msg = buf_slice(&b);
	struct slice subj = header_value(msg, "Subject");
	ck_assert_ptr_nonnull(subj.ptr);
	/* Our own history writer must recognise our reports (no loops). */
	ck_assert(hist_subject_is_report(subj));
	ck_has(subj, "Report Domain: a-rather-long-policy-domain-name.example.com");
	ck_has(subj, "Submitter: receiver.example");
	ck_has(subj, "Report-ID: 0123456789abcdef0123456789abcdef");
	/* Folded: no line longer than 78 characters (RFC 5322 2.1.1) but
	 * those holding the file name, which cannot be folded. */
	size_t ls = 0;
	for (size_t i = 0; i < msg.len; i++) {
		if (msg.ptr[i] != '\n')
			continue;
		struct slice l = slice_make(msg.ptr + ls, i - ls);
		ck_assert_msg(l.len <= 78 || find(l, "!0123.xml.gz"), "a line of %zu characters: %.*s",
		              l.len, (int)l.len, l.ptr);
		ls = i + 1;
	}
	ck_assert(slice_eq(header_value(msg, "To"), S(" <dmarc@example.com>")));
	ck_assert(slice_eq(header_value(msg, "From"),
	                   S(" \"Receiver Org\" <dmarc-reports@receiver.example>")));
	ck_assert(slice_eq(header_value(msg, "Auto-Submitted"), S(" auto-generated")));
	ck_assert(slice_eq(header_value(msg, "MIME-Version"), S(" 1.0")));
	ck_assert(slice_eq(header_value(msg, "Date"), S(" Wed, 15 Nov 2023 00:01:00 +0000")));
	ck_has(msg, "Content-Type: application/gzip");
	ck_has(msg, "filename=\"receiver.example!example.com!1!2!0123.xml.gz\"");
	ck_has(msg, "12 messages");

	/* The base64 part decodes to the attachment. */
	const char *start = find(msg, "Content-Transfer-Encoding: base64\n");
	ck_assert_ptr_nonnull(start);
	const char *body = find(slice_make(start, (size_t)(slice_end(msg) - start)), "\n\n");
	ck_assert_ptr_nonnull(body);
	body += 2;
	const char *end = find(slice_make(body, (size_t)(slice_end(msg) - body)), "\n--=_");
	ck_assert_ptr_nonnull(end);
	struct buf joined;
	buf_init(&joined, A, 1u << 20);
	for (const char *p = body; p < end; p++)
		if (*p != '\n')
			buf_add_byte(&joined, *p);
	struct slice dec;
	ck_assert_int_eq(b64_decode(A, buf_slice(&joined), &dec), B64_OK);
	ck_assert_uint_eq(dec.len, sizeof att);
	ck_assert(memcmp(dec.ptr, att, sizeof att) == 0);
	ck_has(slice_make(end, (size_t)(slice_end(msg) - end)),
	       "--=_mailauth_report_0123456789abcdef0123456789abcdef--\n");
	ck_assert_uint_eq(report_encoded_size(sizeof att), (sizeof att + 2) / 3 * 4);
}
END_TEST

START_TEST(our_own_address_is_recognised_whatever_its_case)
{
	struct report_meta meta = { "x", "dmarc-reports@receiver.example", NULL, "receiver.example",
		                    NULL };
	ck_assert(report_is_self(&meta, S("DMARC-Reports@Receiver.Example")));
	ck_assert(!report_is_self(&meta, S("dmarc@receiver.example")));
	ck_assert(!report_is_self(&meta, S("dmarc-reports@receiver.example.org")));
}
END_TEST

/* ------------------------------------------------------------------ */
/* State                                                               */

START_TEST(the_state_round_trips_through_its_text)
{
	struct report_state st;
	report_state_init(&st, A);
	struct report_state_file f = { 2049, 131077, 123456, 256, 0xfeedface01234567ull, T0,
		                       S("/var/spool/exim4/my history%1") };
	ck_assert_int_eq(report_state_file_set(&st, &f), REPORT_STATE_OK);
	ck_assert_int_eq(report_state_set_watermark(&st, S("example.com"), T0 + DAY),
	                 REPORT_STATE_OK);
	ck_assert_int_eq(report_state_set_watermark(&st, S("EXAMPLE.com"), T0 + 2 * DAY),
	                 REPORT_STATE_OK);
	ck_assert_uint_eq(st.n_domains, 1);
	struct buf b;
	buf_init(&b, A, 1u << 16);
	report_state_format(&st, &b);
	ck_has(buf_slice(&b), "my%20history%251");

	struct report_state st2;
	report_state_init(&st2, A);
	char err[128];
	ck_assert_int_eq(report_state_parse(&st2, buf_slice(&b), err, sizeof err), REPORT_STATE_OK);
	ck_assert_uint_eq(st2.n_files, 1);
	struct report_state_file *e = report_state_file_find(&st2, 2049, 131077);
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(e->offset, 123456);
	ck_assert_uint_eq(e->head_len, 256);
	ck_assert_uint_eq(e->head_hash, 0xfeedface01234567ull);
	ck_assert_int_eq(e->last_seen, T0);
	ck_assert(slice_eq(e->path, S("/var/spool/exim4/my history%1")));
	ck_assert_int_eq(report_state_watermark(&st2, S("example.com")), T0 + 2 * DAY);
	ck_assert_int_eq(report_state_watermark(&st2, S("example.org")), INT64_MIN);
	ck_assert_ptr_null(report_state_file_find(&st2, 2049, 1));

	struct report_state empty;
	report_state_init(&empty, A);
	ck_assert_int_eq(report_state_parse(&empty, S(""), err, sizeof err), REPORT_STATE_OK);
	ck_assert_uint_eq(empty.n_files + empty.n_domains, 0);
}
END_TEST

START_TEST(a_damaged_state_file_is_an_error_naming_the_line)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
		{ "something else\n", "line 1: not a mailauth-report state file" },
		{ "mailauth-report-state 2\n", "line 1: not a mailauth-report state file" },
		{ "mailauth-report-state 1\nfile 1 2 x 4 ab 5 /p\n", "line 2: malformed entry" },
		{ "mailauth-report-state 1\n# c\ndomain example.com\n", "line 3: malformed entry" },
		{ "mailauth-report-state 1\nfile 1 2 3 4 zz 5 /p\n", "line 2: malformed entry" },
		{ "mailauth-report-state 1\nwhat 1\n", "line 2: malformed entry" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct report_state st;
		report_state_init(&st, A);
		char err[128] = "";
		ck_assert_msg(report_state_parse(&st, S(cases[i].text), err, sizeof err) ==
		                      REPORT_STATE_SYNTAX,
		              "case %zu accepted", i);
		ck_assert_msg(strstr(err, cases[i].want), "case %zu: '%s'", i, err);
	}
}
END_TEST

START_TEST(files_resume_only_when_they_are_the_same_file)
{
	struct report_state_file e = { 1, 2, 1000, 256, 0x1234, T0, S("/h") };
	ck_assert_uint_eq(report_state_resume(&e, 5000, 0x1234), 1000);
	ck_assert_uint_eq(report_state_resume(&e, 1000, 0x1234), 1000);
	ck_assert_uint_eq(report_state_resume(&e, 999, 0x1234), 0);   /* truncated */
	ck_assert_uint_eq(report_state_resume(&e, 5000, 0x9999), 0);  /* inode reused */
	ck_assert_uint_eq(report_state_resume(NULL, 5000, 0x1234), 0); /* new file */
	struct report_state_file small = { 1, 2, 100, 100, 0x55, T0, S("/h") };
	ck_assert_uint_eq(report_state_resume(&small, 99, 0x55), 0);
	ck_assert_uint_eq(report_state_resume(&small, 100, 0x55), 100);
	ck_assert_uint_eq(report_state_hash("abc", 3), report_state_hash("abc", 3));
	ck_assert_uint_ne(report_state_hash("abc", 3), report_state_hash("abd", 3));
}
END_TEST

START_TEST(old_file_entries_are_pruned)
{
	struct report_state st;
	report_state_init(&st, A);
	struct report_state_file f1 = { 1, 1, 0, 0, 0, T0, S("/old") };
	struct report_state_file f2 = { 1, 2, 0, 0, 0, T0 + DAY, S("/new") };
	report_state_file_set(&st, &f1);
	report_state_file_set(&st, &f2);
	report_state_prune(&st, T0 + 1);
	ck_assert_uint_eq(st.n_files, 1);
	ck_assert(slice_eq(st.files[0].path, S("/new")));
}
END_TEST

/* ------------------------------------------------------------------ */
/* Configuration                                                       */

START_TEST(report_options_are_read_checked_and_printed)
{
	const char text[] = "report_org_name = Example Org \xc3\xa9 & Co\n"
	                    "report_email = dmarc-reports@Example.ORG\n"
	                    "report_extra_contact_info = https://example.org/dmarc\n"
	                    "report_submitter = Example.org\n"
	                    "report_state_file = /var/spool/exim4/mailauth/report-state\n"
	                    "report_sendmail = /usr/sbin/sendmail -t -oi\n";
	struct config *c;
	char err[512];
	ck_assert_msg(config_parse(&c, "t.conf", S(text), err, sizeof err) == CONFIG_OK, "%s", err);
	ck_assert_str_eq(c->report_org_name, "Example Org \xc3\xa9 & Co");
	ck_assert_str_eq(c->report_email, "dmarc-reports@example.org");
	ck_assert_str_eq(c->report_extra_contact_info, "https://example.org/dmarc");
	ck_assert_str_eq(c->report_submitter, "example.org");
	ck_assert_str_eq(c->report_state_file, "/var/spool/exim4/mailauth/report-state");
	ck_assert_str_eq(c->report_sendmail, "/usr/sbin/sendmail -t -oi");
	struct buf b;
	buf_init(&b, A, 1u << 16);
	config_format(c, &b);
	ck_has(buf_slice(&b), "report_email = dmarc-reports@example.org\n");
	ck_has(buf_slice(&b), "report_sendmail = /usr/sbin/sendmail -t -oi\n");
	struct config *c2;
	ck_assert_msg(config_parse(&c2, "again", buf_slice(&b), err, sizeof err) == CONFIG_OK, "%s",
	              err);
	ck_assert_str_eq(c2->report_org_name, c->report_org_name);
	config_free(c);
	config_free(c2);

	c = config_defaults();
	ck_assert_ptr_null(c->report_org_name);
	ck_assert_ptr_null(c->report_email);
	ck_assert_ptr_null(c->report_state_file);
	ck_assert_ptr_null(c->report_sendmail);
	config_free(c);

	static const struct {
		const char *text, *want;
	} bad[] = {
		{ "report_email = nobody\n", "report_email: must be an address" },
		{ "report_email = a..b@example.org\n", "must be an address" },
		{ "report_email = \"q\"@example.org\n", "must be an address" },
		{ "report_email = a@b@\n", "must be an address" },
		{ "report_email = a@exa mple.org\n", "must be an address" },
		{ "report_sendmail = sendmail -t\n", "must be an absolute program path" },
		{ "report_state_file = state\n", "must be an absolute path" },
		{ "report_org_name = a\tb\n", "without control characters" },
		{ "report_submitter = not a domain\n", "not a valid domain" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ck_assert_msg(config_parse(&c, "t.conf", S(bad[i].text), err, sizeof err) ==
		                      CONFIG_E_SYNTAX,
		              "case %zu accepted", i);
		ck_assert_msg(strstr(err, bad[i].want), "case %zu: '%s'", i, err);
	}
}
END_TEST

static Suite *report_suite(void)
{
	Suite *s = suite_create("report");
	TCase *agg = tcase_create("aggregation");
	tcase_add_checked_fixture(agg, setup, teardown);
	tcase_add_test(agg, identical_records_share_a_row_and_other_ips_get_their_own);
	tcase_add_test(agg, windows_are_days_aligned_to_midnight_utc);
	tcase_add_test(agg, a_smaller_ri_is_honoured_in_rfc7489_mode_only);
	tcase_add_test(agg, records_without_policy_temperrors_reports_and_old_ones_are_skipped);
	tcase_add_test(agg, the_policy_of_the_latest_record_is_reported);
	tcase_add_test(agg, policy_domains_group_case_insensitively_and_sort);
	tcase_add_test(agg, date_ranges_follow_windows_watermarks_and_flushes);
	tcase_add_test(agg, thousands_of_distinct_rows_are_kept_apart);
	suite_add_tcase(s, agg);

	TCase *xml = tcase_create("xml");
	tcase_add_checked_fixture(xml, setup, teardown);
	tcase_add_test(xml, row_keys_escape_hostile_text_and_stay_well_formed);
	tcase_add_test(xml, dkim_results_are_ordered_aligned_passes_first);
	tcase_add_test(xml, override_reasons_and_helo_spf_follow_the_schema);
	tcase_add_test(xml, a_document_has_metadata_policy_and_counted_records);
	suite_add_tcase(s, xml);

	TCase *mail = tcase_create("mail");
	tcase_add_checked_fixture(mail, setup, teardown);
	tcase_add_test(mail, report_ids_are_32_hex_digits_stable_and_distinct);
	tcase_add_test(mail, file_names_follow_rfc9990_and_cannot_leave_the_directory);
	tcase_add_test(mail, the_report_message_is_mime_with_the_rfc9990_subject);
	tcase_add_test(mail, our_own_address_is_recognised_whatever_its_case);
	suite_add_tcase(s, mail);

	TCase *state = tcase_create("state");
	tcase_add_checked_fixture(state, setup, teardown);
	tcase_add_test(state, the_state_round_trips_through_its_text);
	tcase_add_test(state, a_damaged_state_file_is_an_error_naming_the_line);
	tcase_add_test(state, files_resume_only_when_they_are_the_same_file);
	tcase_add_test(state, old_file_entries_are_pruned);
	tcase_add_test(state, report_options_are_read_checked_and_printed);
	suite_add_tcase(s, state);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(report_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
