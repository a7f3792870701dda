/* test_dns.c — unit tests for the DNS layer: shared/dns.c (resolvers,
 * batches, classification), shared/dns_zone.c (the zone file) and
 * shared/dns_wire.c (wire-format decoding).
 *
 * Every lookup goes through the real libunbound, answering from zone files
 * written to temporary files (resolver spec zone:/path); the timeout tests
 * point unbound at a UDP socket on 127.0.0.1 that never answers.  Nothing
 * leaves the machine.  One resolver serves the main zone for all tests of a
 * case: it is built in an unchecked fixture (in check's parent process,
 * before any query, so each forked test starts its own libunbound worker).
 *
 * The wire decoders are fed hostile bytes directly: compression pointers
 * where none may be, loops, truncations, oversized names. */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "arena.h"
#include "dns.h"
#include "dns_wire.h"
#include "dns_zone.h"
#include "mailauth_limits.h"
#include "slice.h"
#include "testutil.h"

/* Budget for lookups that must succeed (local data answers in
 * milliseconds; generous for loaded machines and the sanitizer build). */
#define OK_BUDGET_MS 5000
/* Budget for lookups that must time out. */
#define TIMEOUT_BUDGET_MS 1200

static struct slice S(const char *s)
{
	return slice_make(s, strlen(s));
}

static bool eq(struct slice s, const char *lit)
{
	return slice_eq(s, S(lit));
}

/* The reverse (ip6.arpa) name of an IPv6 address, in a static buffer. */
static const char *rev6(const char *addr)
{
	static char out[80];
	unsigned char b[16];
	static const char hex[] = "0123456789abcdef";
	ck_assert_int_eq(inet_pton(AF_INET6, addr, b), 1);
	size_t o = 0;
	for (int i = 15; i >= 0; i--) {
		out[o++] = hex[b[i] & 15];
		out[o++] = '.';
		out[o++] = hex[b[i] >> 4];
		out[o++] = '.';
	}
	memcpy(out + o, "ip6.arpa.", 10);
	return out;
}

/* ---- the main zone ---- */

static char *zone_path;
static struct dns_resolver *R;
static struct arena *A;

static char *main_zone_text(void)
{
	static char text[16384];
	size_t o = 0;
	o += (size_t)snprintf(text + o, sizeof text - o, "%s",
		"# exim-mailauth test zone\n"
		"; another comment style\n"
		"\n"
		"a.test.            300 IN A     192.0.2.1\n"
		"a.test.                  AAAA  2001:db8::1\n"
		"two.test.          IN 60  A     192.0.2.10\n"
		"two.test.                 A     192.0.2.11\n"
		"mx.test.                  MX    10 Mail.Test.\n"
		"mx.test.                  MX    20 backup.test.\n"
		"nullmx.test.              MX    0 .\n"
		"1.2.0.192.in-addr.arpa.   PTR   host.test.\n"
		"5.0.0.10.in-addr.arpa.    PTR   ten.test.\n"
		"1.0.0.127.in-addr.arpa.   PTR   loopback.test.\n"
		"spf.test.                 TXT   \"v=spf1 \" \"ip4:192.0.2.0/24 \" \"-all\"\n"
		"esc.test.                 TXT   \"a\\\"b\\\\c\\065\\000d\"\n"
		"semi.test.                TXT   \"k=rsa; p=abc\" ; a trailing comment\n"
		"bare.test.                TXT   unquoted\n"
		"empty.test.               TXT   \"\"\n"
		"multi.test.               TXT   \"first\"\n"
		"multi.test.               TXT   \"second\"\n"
		"x.y.z.example.            TXT   \"deep\"\n"
		"alias.example.            CNAME target.example.\n"
		"target.example.           TXT   \"v=DMARC1; p=reject\"\n"
		"target.example.           A     192.0.2.99\n"
		"c1.example.               CNAME c2.example.\n"
		"c2.example.               CNAME target.example.\n"
		"dangling.example.         CNAME nowhere.example.\n"
		"loop1.example.            CNAME loop2.example.\n"
		"loop2.example.            CNAME loop1.example.\n"
		"host.invalid.             A     192.0.2.50\n"
		"sub.host.localhost.       A     192.0.2.51\n"
		"hidden.onion.             TXT   \"onion\"\n"
		"home.home.arpa.           A     192.0.2.52\n"
		"sel._domainkey.example.com. TXT \"v=DKIM1; k=ed25519; p=abc\"\r\n"
		"UPPER.Test.               TXT   \"case\"\n"
		"we!rd+na=me.test.         TXT   \"odd\"\n");
	o += (size_t)snprintf(text + o, sizeof text - o, "%s PTR v6host.test.\n",
	                      rev6("2001:db8::1"));
	o += (size_t)snprintf(text + o, sizeof text - o, "%s PTR ula.test.\n", rev6("fd00::1"));
	o += (size_t)snprintf(text + o, sizeof text - o, "%s PTR lo6.test.\n", rev6("::1"));
	/* 50 names for the batch test. */
	for (int i = 0; i < 50; i++)
		o += (size_t)snprintf(text + o, sizeof text - o, "n%d.batch.test. TXT \"value %d\"\n",
		                      i, i);
	ck_assert_uint_lt(o, sizeof text - 1);
	return text;
}

static void main_zone_setup(void)
{
	char err[512];
	const char *text = main_zone_text();
	zone_path = testutil_write_temp(text, strlen(text), ".zone");
	ck_assert_ptr_nonnull(zone_path);
	char spec[4200];
	snprintf(spec, sizeof spec, "zone:%s", zone_path);
	R = dns_resolver_new(spec, err, sizeof err);
	ck_assert_msg(R != NULL, "zone resolver: %s", err);
}

static void main_zone_teardown(void)
{
	dns_resolver_free(R);
	R = NULL;
	unlink(zone_path);
	free(zone_path);
	zone_path = NULL;
}

static void arena_setup(void)
{
	A = arena_new(0);
	ck_assert_ptr_nonnull(A);
}

static void arena_teardown(void)
{
	arena_free(A);
	A = NULL;
}

static struct dns_answer *q(enum dns_type t, const char *name)
{
	struct dns_answer *ans = dns_query(R, A, t, S(name), dns_now_ms() + OK_BUDGET_MS);
	ck_assert_ptr_nonnull(ans);
	return ans;
}

static void assert_status(const struct dns_answer *ans, enum dns_status st)
{
	ck_assert_msg(ans->status == st, "%s %.*s: status %s (%s), expected %s",
	              dns_type_str(ans->type), (int)ans->qname.len, ans->qname.ptr,
	              dns_status_str(ans->status), ans->why ? ans->why : "-", dns_status_str(st));
}

/* The TXT data of a one-record answer. */
static struct slice txt1(const char *name)
{
	struct dns_answer *ans = q(DNS_T_TXT, name);
	assert_status(ans, DNS_ST_OK);
	ck_assert_uint_eq(ans->n, 1);
	return ans->rr[0].data;
}

/* ---- record types ---- */

START_TEST(a_record_is_returned_as_four_network_order_bytes)
{
	struct dns_answer *ans = q(DNS_T_A, "a.test");
	assert_status(ans, DNS_ST_OK);
	ck_assert_uint_eq(ans->n, 1);
	ck_assert_uint_eq(ans->rr[0].data.len, 4);
	ck_assert_mem_eq(ans->rr[0].data.ptr, "\xc0\x00\x02\x01", 4);
	ck_assert_int_eq(ans->security, DNS_SEC_INSECURE);
	ck_assert_str_eq(ans->why, "data");
	ck_assert_uint_eq(ans->ttl, 300);
	ck_assert(eq(ans->qname, "a.test"));
	ck_assert(eq(ans->canon, "a.test"));
}
END_TEST

START_TEST(two_a_records_and_class_before_ttl_are_accepted)
{
	struct dns_answer *ans = q(DNS_T_A, "two.test.");
	assert_status(ans, DNS_ST_OK);
	ck_assert_uint_eq(ans->n, 2);
	bool seen10 = false, seen11 = false;
	for (size_t i = 0; i < ans->n; i++) {
		ck_assert_uint_eq(ans->rr[i].data.len, 4);
		seen10 |= memcmp(ans->rr[i].data.ptr, "\xc0\x00\x02\x0a", 4) == 0;
		seen11 |= memcmp(ans->rr[i].data.ptr, "\xc0\x00\x02\x0b", 4) == 0;
	}
	ck_assert(seen10 && seen11);
}
END_TEST

START_TEST(aaaa_record_is_returned_as_sixteen_bytes)
{
	unsigned char want[16];
	inet_pton(AF_INET6, "2001:db8::1", want);
	struct dns_answer *ans = q(DNS_T_AAAA, "a.test");
	assert_status(ans, DNS_ST_OK);
	ck_assert_uint_eq(ans->n, 1);
	ck_assert_uint_eq(ans->rr[0].data.len, 16);
	ck_assert_mem_eq(ans->rr[0].data.ptr, want, 16);
}
END_TEST

START_TEST(mx_records_give_preference_and_lower_case_exchange)
{
	struct dns_answer *ans = q(DNS_T_MX, "mx.test");
	assert_status(ans, DNS_ST_OK);
	ck_assert_uint_eq(ans->n, 2);
	bool ten = false, twenty = false;
	for (size_t i = 0; i < ans->n; i++) {
		if (ans->rr[i].pref == 10) {
			ck_assert(eq(ans->rr[i].name, "mail.test"));
			ten = true;
		} else if (ans->rr[i].pref == 20) {
			ck_assert(eq(ans->rr[i].name, "backup.test"));
			twenty = true;
		}
	}
	ck_assert(ten && twenty);
}
END_TEST

START_TEST(null_mx_has_the_empty_name)
{
	struct dns_answer *ans = q(DNS_T_MX, "nullmx.test");
	assert_status(ans, DNS_ST_OK);
	ck_assert_uint_eq(ans->n, 1);
	ck_assert_uint_eq(ans->rr[0].pref, 0);
	ck_assert_uint_eq(ans->rr[0].name.len, 0);
	ck_assert_ptr_nonnull(ans->rr[0].name.ptr);
}
END_TEST

START_TEST(ipv4_reverse_names_are_served_from_the_file)
{
	struct dns_answer *ans = q(DNS_T_PTR, "1.2.0.192.in-addr.arpa");
	assert_status(ans, DNS_ST_OK);
	ck_assert_uint_eq(ans->n, 1);
	ck_assert(eq(ans->rr[0].name, "host.test"));
	/* 10.in-addr.arpa is one of unbound's built-in (AS112) zones. */
	ans = q(DNS_T_PTR, "5.0.0.10.in-addr.arpa.");
	assert_status(ans, DNS_ST_OK);
	ck_assert(eq(ans->rr[0].name, "ten.test"));
	/* 127.in-addr.arpa too; unbound's own "localhost." PTR must be gone. */
	ans = q(DNS_T_PTR, "1.0.0.127.in-addr.arpa");
	assert_status(ans, DNS_ST_OK);
	ck_assert_uint_eq(ans->n, 1);
	ck_assert(eq(ans->rr[0].name, "loopback.test"));
	/* Not in the file: no built-in answer either. */
	assert_status(q(DNS_T_PTR, "2.0.0.127.in-addr.arpa"), DNS_ST_NXDOMAIN);
	assert_status(q(DNS_T_PTR, "9.9.168.192.in-addr.arpa"), DNS_ST_NXDOMAIN);
}
END_TEST

START_TEST(ipv6_reverse_names_are_served_from_the_file)
{
	struct dns_answer *ans = q(DNS_T_PTR, rev6("2001:db8::1"));
	assert_status(ans, DNS_ST_OK);
	ck_assert(eq(ans->rr[0].name, "v6host.test"));
	ans = q(DNS_T_PTR, rev6("fd00::1")); /* d.f.ip6.arpa: built-in zone */
	assert_status(ans, DNS_ST_OK);
	ck_assert(eq(ans->rr[0].name, "ula.test"));
	ans = q(DNS_T_PTR, rev6("::1")); /* unbound answers "localhost." itself */
	assert_status(ans, DNS_ST_OK);
	ck_assert_uint_eq(ans->n, 1);
	ck_assert(eq(ans->rr[0].name, "lo6.test"));
	assert_status(q(DNS_T_PTR, rev6("2001:db8::2")), DNS_ST_NXDOMAIN);
}
END_TEST

START_TEST(txt_strings_of_one_record_are_joined)
{
	ck_assert(eq(txt1("spf.test"), "v=spf1 ip4:192.0.2.0/24 -all"));
}
END_TEST

START_TEST(txt_escapes_give_quote_backslash_and_decimal_bytes)
{
	struct slice t = txt1("esc.test");
	ck_assert_uint_eq(t.len, 8);
	ck_assert_mem_eq(t.ptr, "a\"b\\cA\0d", 8);
}
END_TEST

START_TEST(txt_semicolon_inside_quotes_is_data_and_outside_a_comment)
{
	ck_assert(eq(txt1("semi.test"), "k=rsa; p=abc"));
	ck_assert(eq(txt1("bare.test"), "unquoted"));
}
END_TEST

START_TEST(empty_txt_string_is_an_empty_record)
{
	struct slice t = txt1("empty.test");
	ck_assert_uint_eq(t.len, 0);
	ck_assert_ptr_nonnull(t.ptr);
}
END_TEST

START_TEST(several_txt_records_at_one_name_are_all_returned)
{
	struct dns_answer *ans = q(DNS_T_TXT, "multi.test");
	assert_status(ans, DNS_ST_OK);
	ck_assert_uint_eq(ans->n, 2);
	bool first = false, second = false;
	for (size_t i = 0; i < ans->n; i++) {
		first |= eq(ans->rr[i].data, "first");
		second |= eq(ans->rr[i].data, "second");
	}
	ck_assert(first && second);
}
END_TEST

START_TEST(names_are_case_insensitive_may_hold_odd_bytes_and_crlf_lines_are_read)
{
	ck_assert(eq(txt1("upper.TEST."), "case"));
	ck_assert(eq(txt1("SEL._DOMAINKEY.example.com"), "v=DKIM1; k=ed25519; p=abc"));
	ck_assert(eq(txt1("we!rd+na=me.test"), "odd"));
}
END_TEST

/* ---- existence ---- */

START_TEST(missing_name_is_nxdomain_and_missing_type_is_nodata)
{
	struct dns_answer *ans = q(DNS_T_A, "nothere.test");
	assert_status(ans, DNS_ST_NXDOMAIN);
	ck_assert_uint_eq(ans->n, 0);
	ck_assert_str_eq(ans->why, "NXDOMAIN");
	ans = q(DNS_T_TXT, "a.test");
	assert_status(ans, DNS_ST_NODATA);
	ck_assert_uint_eq(ans->n, 0);
	ck_assert_str_eq(ans->why, "NODATA");
	assert_status(q(DNS_T_MX, "a.test"), DNS_ST_NODATA);
	ck_assert(!dns_status_is_temp(DNS_ST_NXDOMAIN));
	ck_assert(!dns_status_is_temp(DNS_ST_NODATA));
}
END_TEST

START_TEST(empty_non_terminals_are_nodata_not_nxdomain)
{
	assert_status(q(DNS_T_TXT, "x.y.z.example"), DNS_ST_OK);
	assert_status(q(DNS_T_TXT, "y.z.example"), DNS_ST_NODATA);
	assert_status(q(DNS_T_TXT, "z.example"), DNS_ST_NODATA);
	assert_status(q(DNS_T_A, "example"), DNS_ST_NODATA);
	assert_status(q(DNS_T_TXT, "_domainkey.example.com"), DNS_ST_NODATA);
	assert_status(q(DNS_T_TXT, "w.z.example"), DNS_ST_NXDOMAIN);
	assert_status(q(DNS_T_TXT, "below.x.y.z.example"), DNS_ST_NXDOMAIN);
}
END_TEST

START_TEST(special_use_names_are_served_from_the_file)
{
	struct dns_answer *ans = q(DNS_T_A, "host.invalid");
	assert_status(ans, DNS_ST_OK);
	ck_assert_mem_eq(ans->rr[0].data.ptr, "\xc0\x00\x02\x32", 4);
	assert_status(q(DNS_T_A, "sub.host.localhost"), DNS_ST_OK);
	assert_status(q(DNS_T_TXT, "hidden.onion"), DNS_ST_OK);
	assert_status(q(DNS_T_A, "home.home.arpa"), DNS_ST_OK);
	assert_status(q(DNS_T_A, "a.test"), DNS_ST_OK);
	assert_status(q(DNS_T_TXT, "x.y.z.example"), DNS_ST_OK);
	/* unbound's built-in localhost A record is switched off too. */
	assert_status(q(DNS_T_A, "localhost"), DNS_ST_NODATA);
	assert_status(q(DNS_T_A, "other.invalid"), DNS_ST_NXDOMAIN);
}
END_TEST

/* ---- CNAME ---- */

START_TEST(cname_to_txt_gives_the_target_data)
{
	struct dns_answer *ans = q(DNS_T_TXT, "alias.example");
	assert_status(ans, DNS_ST_OK);
	ck_assert_uint_eq(ans->n, 1);
	ck_assert(eq(ans->rr[0].data, "v=DMARC1; p=reject"));
	ck_assert(eq(ans->qname, "alias.example"));
	ck_assert(eq(ans->canon, "target.example"));
	ans = q(DNS_T_A, "alias.example");
	assert_status(ans, DNS_ST_OK);
	ck_assert_mem_eq(ans->rr[0].data.ptr, "\xc0\x00\x02\x63", 4);
}
END_TEST

START_TEST(cname_chain_of_two_is_followed)
{
	struct dns_answer *ans = q(DNS_T_TXT, "c1.example");
	assert_status(ans, DNS_ST_OK);
	ck_assert(eq(ans->rr[0].data, "v=DMARC1; p=reject"));
	ck_assert(eq(ans->canon, "target.example"));
}
END_TEST

START_TEST(cname_query_returns_the_alias_itself)
{
	struct dns_answer *ans = q(DNS_T_CNAME, "alias.example");
	assert_status(ans, DNS_ST_OK);
	ck_assert_uint_eq(ans->n, 1);
	ck_assert(eq(ans->rr[0].name, "target.example"));
	ck_assert(eq(ans->canon, "alias.example"));
}
END_TEST

START_TEST(cname_to_missing_name_or_type_gives_the_target_status)
{
	struct dns_answer *ans = q(DNS_T_TXT, "dangling.example");
	assert_status(ans, DNS_ST_NXDOMAIN);
	ck_assert(eq(ans->canon, "nowhere.example"));
	ans = q(DNS_T_MX, "alias.example");
	assert_status(ans, DNS_ST_NODATA);
	ck_assert(eq(ans->canon, "target.example"));
}
END_TEST

START_TEST(cname_loop_is_a_temporary_error_not_a_hang)
{
	uint64_t t0 = dns_now_ms();
	struct dns_answer *ans = q(DNS_T_TXT, "loop1.example");
	ck_assert(dns_status_is_temp(ans->status));
	ck_assert_int_eq(ans->status, DNS_ST_SERVFAIL);
	ck_assert_uint_lt(dns_now_ms() - t0, OK_BUDGET_MS);
}
END_TEST

/* ---- batches ---- */

START_TEST(batch_of_fifty_queries_answers_each_slot)
{
	struct dns_batch *b = dns_batch_new(R, A);
	struct dns_answer *ans[50];
	char name[64];
	ck_assert_ptr_nonnull(b);
	for (int i = 0; i < 50; i++) {
		snprintf(name, sizeof name, "n%d.batch.test", i);
		ans[i] = dns_batch_add(b, DNS_T_TXT, S(name));
		ck_assert_ptr_nonnull(ans[i]);
		ck_assert_int_eq(ans[i]->status, DNS_ST_TIMEOUT); /* not yet sent */
	}
	dns_batch_wait(b, dns_now_ms() + OK_BUDGET_MS);
	for (int i = 0; i < 50; i++) {
		char want[32];
		snprintf(want, sizeof want, "value %d", i);
		snprintf(name, sizeof name, "n%d.batch.test", i);
		assert_status(ans[i], DNS_ST_OK);
		ck_assert_msg(eq(ans[i]->qname, name), "slot %d", i);
		ck_assert_uint_eq(ans[i]->n, 1);
		ck_assert_msg(eq(ans[i]->rr[0].data, want), "slot %d has %.*s", i,
		              (int)ans[i]->rr[0].data.len, ans[i]->rr[0].data.ptr);
	}
}
END_TEST

START_TEST(batch_mixes_types_and_outcomes_and_can_be_reused)
{
	struct dns_batch *b = dns_batch_new(R, A);
	struct dns_answer *a1 = dns_batch_add(b, DNS_T_A, S("a.test"));
	struct dns_answer *a2 = dns_batch_add(b, DNS_T_TXT, S("nothere.test"));
	struct dns_answer *a3 = dns_batch_add(b, DNS_T_MX, S("mx.test"));
	struct dns_answer *a4 = dns_batch_add(b, DNS_T_TXT, S("alias.example"));
	dns_batch_wait(b, dns_now_ms() + OK_BUDGET_MS);
	assert_status(a1, DNS_ST_OK);
	assert_status(a2, DNS_ST_NXDOMAIN);
	assert_status(a3, DNS_ST_OK);
	assert_status(a4, DNS_ST_OK);
	/* Second round on the same batch; earlier answers stay valid. */
	struct dns_answer *a5 = dns_batch_add(b, DNS_T_AAAA, S("a.test"));
	dns_batch_wait(b, dns_now_ms() + OK_BUDGET_MS);
	assert_status(a5, DNS_ST_OK);
	assert_status(a1, DNS_ST_OK);
	ck_assert_uint_eq(a1->rr[0].data.len, 4);
}
END_TEST

START_TEST(batch_refuses_more_than_dns_max_batch_queries)
{
	struct dns_batch *b = dns_batch_new(R, A);
	for (int i = 0; i < DNS_MAX_BATCH; i++)
		ck_assert_ptr_nonnull(dns_batch_add(b, DNS_T_A, S("a.test")));
	ck_assert_ptr_null(dns_batch_add(b, DNS_T_A, S("a.test")));
	/* Invalid names need no slot. */
	ck_assert_ptr_nonnull(dns_batch_add(b, DNS_T_A, S("a..test")));
	dns_batch_wait(b, dns_now_ms() + OK_BUDGET_MS);
	ck_assert_ptr_nonnull(dns_batch_add(b, DNS_T_A, S("a.test")));
	dns_batch_wait(b, dns_now_ms() + OK_BUDGET_MS);
}
END_TEST

START_TEST(deadline_in_the_past_times_out_at_once)
{
	struct dns_batch *b = dns_batch_new(R, A);
	struct dns_answer *ans = dns_batch_add(b, DNS_T_A, S("a.test"));
	uint64_t t0 = dns_now_ms();
	dns_batch_wait(b, t0 > 0 ? t0 - 1 : 0);
	assert_status(ans, DNS_ST_TIMEOUT);
	ck_assert(dns_status_is_temp(ans->status));
	ck_assert_uint_lt(dns_now_ms() - t0, 100);
}
END_TEST

/* ---- names ---- */

static char *repeat(char c, size_t n)
{
	char *p = malloc(n + 1);
	ck_assert_ptr_nonnull(p);
	memset(p, c, n);
	p[n] = '\0';
	return p;
}

START_TEST(invalid_names_are_nxdomain_without_a_query)
{
	char *l64 = repeat('a', 64), *l63 = repeat('a', 63);
	char n64[128], n256[300], n253[300];
	snprintf(n64, sizeof n64, "%s.test", l64);
	/* 4 labels of 63 + ".test": 4*64 + 5 + 1 = 262 octets on the wire. */
	snprintf(n256, sizeof n256, "%s.%s.%s.%s.test", l63, l63, l63, l63);
	/* 3 labels of 63 + one of 56 + ".test": 255 octets exactly. */
	char *l56 = repeat('b', 56);
	snprintf(n253, sizeof n253, "%s.%s.%s.%s.test", l63, l63, l63, l56);
	ck_assert_uint_eq(strlen(n253), 253);
	const char *bad[] = { n64, n256, "", "a..test", ".a.test", "a.test..", ".." };
	struct dns_batch *b = dns_batch_new(R, A);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct dns_answer *ans = dns_batch_add(b, DNS_T_TXT, S(bad[i]));
		ck_assert_ptr_nonnull(ans);
		ck_assert_msg(ans->status == DNS_ST_NXDOMAIN, "case %zu", i);
		ck_assert_msg(strcmp(ans->why, "invalid name") == 0, "case %zu: %s", i, ans->why);
		ck_assert_uint_eq(ans->n, 0);
	}
	dns_batch_wait(b, dns_now_ms() + OK_BUDGET_MS); /* nothing to send */
	/* 255 octets is still a name: it is asked, and does not exist. */
	struct dns_answer *ok = q(DNS_T_TXT, n253);
	assert_status(ok, DNS_ST_NXDOMAIN);
	ck_assert_str_eq(ok->why, "NXDOMAIN");
	/* Odd bytes are asked as they are (escaped for unbound). */
	assert_status(q(DNS_T_TXT, "we ird\\\".test"), DNS_ST_NXDOMAIN);
	assert_status(q(DNS_T_TXT, "."), DNS_ST_NODATA);
	free(l64);
	free(l63);
	free(l56);
}
END_TEST

/* ---- timeouts ---- */

/* A UDP socket on 127.0.0.1 that nobody reads; *port gets its port. */
static int blackhole(unsigned *port)
{
	struct sockaddr_in sin;
	socklen_t sl = sizeof sin;
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof sin), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &sl), 0);
	*port = ntohs(sin.sin_port);
	return fd;
}

START_TEST(silent_forwarder_gives_timeout_within_the_budget)
{
	unsigned port;
	int fd = blackhole(&port);
	char spec[64], err[512];
	snprintf(spec, sizeof spec, "forward:127.0.0.1@%u", port);
	struct dns_resolver *r = dns_resolver_new(spec, err, sizeof err);
	ck_assert_msg(r != NULL, "%s", err);
	struct dns_batch *b = dns_batch_new(r, A);
	struct dns_answer *a1 = dns_batch_add(b, DNS_T_TXT, S("example.com"));
	struct dns_answer *a2 = dns_batch_add(b, DNS_T_A, S("example.org"));
	/* Never sent, so answered although the forwarder is silent. */
	struct dns_answer *bad = dns_batch_add(b, DNS_T_A, S("bad..name"));
	uint64_t t0 = dns_now_ms();
	dns_batch_wait(b, t0 + TIMEOUT_BUDGET_MS);
	uint64_t el = dns_now_ms() - t0;
	assert_status(a1, DNS_ST_TIMEOUT);
	assert_status(a2, DNS_ST_TIMEOUT);
	ck_assert_str_eq(a1->why, "timeout");
	assert_status(bad, DNS_ST_NXDOMAIN);
	ck_assert_str_eq(bad->why, "invalid name");
	ck_assert_msg(el >= TIMEOUT_BUDGET_MS - 50 && el < TIMEOUT_BUDGET_MS + 1000,
	              "waited %llu ms", (unsigned long long)el);
	/* A second round times out the same way. */
	t0 = dns_now_ms();
	struct dns_answer *a3 = dns_query(r, A, DNS_T_MX, S("example.net"), t0 + 500);
	el = dns_now_ms() - t0;
	assert_status(a3, DNS_ST_TIMEOUT);
	ck_assert_msg(el < 500 + 1000, "waited %llu ms", (unsigned long long)el);
	dns_resolver_free(r);
	close(fd);
}
END_TEST

START_TEST(timeout_line_makes_unanswered_queries_time_out)
{
	static const char zone[] = "ok.test. TXT \"fine\"\n"
	                           "slow.test. TIMEOUT\n"
	                           "slow.test. TXT \"answered\"\n"
	                           "in.slow.test. A 192.0.2.7\n";
	char *path = testutil_write_temp(zone, sizeof zone - 1, ".zone");
	char spec[4200], err[512];
	snprintf(spec, sizeof spec, "zone:%s", path);
	struct dns_resolver *r = dns_resolver_new(spec, err, sizeof err);
	ck_assert_msg(r != NULL, "%s", err);

	struct dns_batch *b = dns_batch_new(r, A);
	struct dns_answer *fine = dns_batch_add(b, DNS_T_TXT, S("ok.test"));
	struct dns_answer *here = dns_batch_add(b, DNS_T_TXT, S("slow.test"));
	struct dns_answer *in = dns_batch_add(b, DNS_T_A, S("in.slow.test"));
	struct dns_answer *slow = dns_batch_add(b, DNS_T_A, S("slow.test"));
	struct dns_answer *below = dns_batch_add(b, DNS_T_TXT, S("x.slow.test"));
	struct dns_answer *nx = dns_batch_add(b, DNS_T_TXT, S("nothere.test"));
	uint64_t t0 = dns_now_ms();
	dns_batch_wait(b, t0 + TIMEOUT_BUDGET_MS);
	uint64_t el = dns_now_ms() - t0;
	assert_status(fine, DNS_ST_OK);
	assert_status(here, DNS_ST_OK);
	ck_assert(eq(here->rr[0].data, "answered"));
	assert_status(in, DNS_ST_OK);
	assert_status(slow, DNS_ST_TIMEOUT);
	assert_status(below, DNS_ST_TIMEOUT);
	assert_status(nx, DNS_ST_NXDOMAIN);
	ck_assert_msg(el >= TIMEOUT_BUDGET_MS - 50 && el < TIMEOUT_BUDGET_MS + 1000,
	              "waited %llu ms", (unsigned long long)el);
	/* Repeated queries keep timing out (unbound's retry logic must not
	 * turn them into SERVFAIL). */
	for (int i = 0; i < 3; i++) {
		t0 = dns_now_ms();
		struct dns_answer *again = dns_query(r, A, DNS_T_A, S("slow.test"), t0 + 400);
		assert_status(again, DNS_ST_TIMEOUT);
		ck_assert_uint_lt(dns_now_ms() - t0, 400 + 1000);
	}
	dns_resolver_free(r);
	unlink(path);
	free(path);
}
END_TEST

START_TEST(names_with_records_below_a_timeout_name_are_served_normally)
{
	/* The OpenSPF suite's TIMEOUT: a server silent for that name only.
	 * A name below it that the file knows answers (NODATA for types it
	 * lacks); one the file does not know still times out. */
	static const char zone[] = "silent.test. TIMEOUT\n"
	                           "fine.silent.test. TXT \"v=spf1 a -all\"\n"
	                           "deep.er.silent.test. A 192.0.2.9\n";
	char *path = testutil_write_temp(zone, sizeof zone - 1, ".zone");
	char spec[4200], err[512];
	snprintf(spec, sizeof spec, "zone:%s", path);
	struct dns_resolver *r = dns_resolver_new(spec, err, sizeof err);
	ck_assert_msg(r != NULL, "%s", err);

	struct dns_batch *b = dns_batch_new(r, A);
	struct dns_answer *txt = dns_batch_add(b, DNS_T_TXT, S("fine.silent.test"));
	struct dns_answer *nod = dns_batch_add(b, DNS_T_A, S("FINE.silent.test"));
	struct dns_answer *deep = dns_batch_add(b, DNS_T_A, S("deep.er.silent.test"));
	struct dns_answer *deep6 = dns_batch_add(b, DNS_T_AAAA, S("deep.er.silent.test"));
	struct dns_answer *apex = dns_batch_add(b, DNS_T_A, S("silent.test"));
	struct dns_answer *unknown = dns_batch_add(b, DNS_T_A, S("x.silent.test"));
	struct dns_answer *under = dns_batch_add(b, DNS_T_A, S("x.fine.silent.test"));
	uint64_t t0 = dns_now_ms();
	dns_batch_wait(b, t0 + TIMEOUT_BUDGET_MS);
	assert_status(txt, DNS_ST_OK);
	ck_assert(eq(txt->rr[0].data, "v=spf1 a -all"));
	assert_status(nod, DNS_ST_NODATA);
	assert_status(deep, DNS_ST_OK);
	assert_status(deep6, DNS_ST_NODATA);
	assert_status(apex, DNS_ST_TIMEOUT);
	assert_status(unknown, DNS_ST_TIMEOUT);
	assert_status(under, DNS_ST_TIMEOUT);
	dns_resolver_free(r);
	unlink(path);
	free(path);
}
END_TEST

START_TEST(zone_names_take_rfc1035_escapes_for_any_byte)
{
	/* Blanks, '%', ':' and '/' occur in names SPF macros build. */
	static const char zone[] = "macro%pct\\032\\032sp.test. A 192.0.2.1\n"
	                           "foo:bar/baz.test. A 192.0.2.2\n"
	                           "q\\\"\\;\\(x.test. TXT \"odd\"\n"
	                           "Up\\065.test. TXT \"upper\"\n"
	                           "silent\\032name.test. TIMEOUT\n"
	                           "in.silent\\032name.test. TXT \"in\"\n";
	char *path = testutil_write_temp(zone, sizeof zone - 1, ".zone");
	char spec[4200], err[512];
	snprintf(spec, sizeof spec, "zone:%s", path);
	struct dns_resolver *r = dns_resolver_new(spec, err, sizeof err);
	ck_assert_msg(r != NULL, "%s", err);
	uint64_t dl = dns_now_ms() + OK_BUDGET_MS;
	assert_status(dns_query(r, A, DNS_T_A, S("macro%pct  sp.test"), dl), DNS_ST_OK);
	assert_status(dns_query(r, A, DNS_T_A, S("macro%pct sp.test"), dl), DNS_ST_NXDOMAIN);
	assert_status(dns_query(r, A, DNS_T_A, S("foo:bar/baz.test"), dl), DNS_ST_OK);
	assert_status(dns_query(r, A, DNS_T_TXT, S("q\";(x.test"), dl), DNS_ST_OK);
	assert_status(dns_query(r, A, DNS_T_TXT, S("upa.test"), dl), DNS_ST_OK);
	assert_status(dns_query(r, A, DNS_T_TXT, S("in.silent name.test"), dl), DNS_ST_OK);
	assert_status(dns_query(r, A, DNS_T_A, S("in.silent name.test"), dl), DNS_ST_NODATA);
	dns_resolver_free(r);
	unlink(path);
	free(path);
}
END_TEST

START_TEST(resolver_used_after_fork_refuses_instead_of_hanging)
{
	static const char zone[] = "ok.test. TXT \"fine\"\n";
	char *path = testutil_write_temp(zone, sizeof zone - 1, ".zone");
	char spec[4200], err[512];
	snprintf(spec, sizeof spec, "zone:%s", path);
	struct dns_resolver *r = dns_resolver_new(spec, err, sizeof err);
	ck_assert_msg(r != NULL, "%s", err);
	assert_status(dns_query(r, A, DNS_T_TXT, S("ok.test"), dns_now_ms() + OK_BUDGET_MS),
	              DNS_ST_OK);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct dns_answer *ans =
			dns_query(r, A, DNS_T_TXT, S("ok.test"), dns_now_ms() + OK_BUDGET_MS);
		bool good = ans && ans->status == DNS_ST_SERVFAIL &&
		            strcmp(ans->why, "resolver used after fork") == 0;
		_exit(good ? 0 : 1);
	}
	int st;
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	/* The parent is unaffected. */
	assert_status(dns_query(r, A, DNS_T_TXT, S("ok.test"), dns_now_ms() + OK_BUDGET_MS),
	              DNS_ST_OK);
	dns_resolver_free(r);
	unlink(path);
	free(path);
}
END_TEST

/* ---- resolver specifications ---- */

static void expect_spec_error(const char *spec, const char *want)
{
	char err[512];
	struct dns_resolver *r = dns_resolver_new(spec, err, sizeof err);
	ck_assert_msg(r == NULL, "spec \"%s\" was accepted", spec);
	ck_assert_msg(strstr(err, want) != NULL, "spec \"%s\": message \"%s\" lacks \"%s\"", spec,
	              err, want);
}

START_TEST(bad_resolver_specs_are_refused_with_a_message)
{
	expect_spec_error("dns", "unknown resolver \"dns\"");
	expect_spec_error("forward:", "needs an address");
	expect_spec_error("forward:999.1.1.1", "bad forwarder address \"999.1.1.1\"");
	expect_spec_error("forward:127.0.0.1@0", "bad port \"0\"");
	expect_spec_error("forward:127.0.0.1@65536", "bad port");
	expect_spec_error("forward:127.0.0.1@53x", "bad port");
	expect_spec_error("forward:127.0.0.1,", "bad forwarder address");
	expect_spec_error("zone:", "a file name must follow");
	expect_spec_error("zone:/nonexistent/mailauth.zone", "cannot open zone file "
	                                                     "/nonexistent/mailauth.zone");
	expect_spec_error("unbound:/nonexistent/unbound.conf", "cannot read the configuration");
}
END_TEST

START_TEST(good_resolver_specs_are_accepted)
{
	char err[512];
	const char *specs[] = { "system", "", NULL, "forward:127.0.0.1@5353",
		                "forward:::1@5353,192.0.2.1", "FORWARD:192.0.2.53" };
	for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++) {
		struct dns_resolver *r = dns_resolver_new(specs[i], err, sizeof err);
		ck_assert_msg(r != NULL, "spec %zu: %s", i, err);
		dns_resolver_free(r);
	}
	dns_resolver_free(NULL);
}
END_TEST

START_TEST(unbound_conf_spec_serves_its_local_data_and_follows_cnames)
{
	static const char conf[] = "server:\n"
	                           "\tlocal-zone: \"example.\" static\n"
	                           "\tlocal-data: \"u.example. A 192.0.2.7\"\n"
	                           "\tlocal-data: \"al.example. CNAME u.example.\"\n";
	char *path = testutil_write_temp(conf, sizeof conf - 1, ".conf");
	char spec[4200], err[512];
	snprintf(spec, sizeof spec, "unbound:%s", path);
	struct dns_resolver *r = dns_resolver_new(spec, err, sizeof err);
	ck_assert_msg(r != NULL, "%s", err);
	struct dns_answer *ans = dns_query(r, A, DNS_T_A, S("al.example"), dns_now_ms() + OK_BUDGET_MS);
	assert_status(ans, DNS_ST_OK);
	ck_assert_mem_eq(ans->rr[0].data.ptr, "\xc0\x00\x02\x07", 4);
	ck_assert(eq(ans->canon, "u.example"));
	assert_status(dns_query(r, A, DNS_T_A, S("x.example"), dns_now_ms() + OK_BUDGET_MS),
	              DNS_ST_NXDOMAIN);
	dns_resolver_free(r);
	unlink(path);
	free(path);

	static const char bad[] = "server:\n\tno-such-option: yes\n";
	path = testutil_write_temp(bad, sizeof bad - 1, ".conf");
	snprintf(spec, sizeof spec, "unbound:%s", path);
	expect_spec_error(spec, "libunbound rejected the configuration");
	unlink(path);
	free(path);
}
END_TEST

/* ---- zone file errors ---- */

static const struct {
	const char *text;
	const char *want; /* in the message, after "zone file PATH " */
} bad_zones[] = {
	{ "a.test. A 1.2.3.4\n\nb.test. A 1.2.3\n", "line 3: bad IPv4 address 1.2.3" },
	{ "a.test. AAAA 1.2.3.4\n", "line 1: bad IPv6 address" },
	{ "# c\na.test. TXT \"open\n", "line 2: unterminated quoted string" },
	{ "a.test. CH TXT \"x\"\n", "line 1: only class IN is supported" },
	{ "a.test. 99999999999 TXT \"x\"\n", "line 1: bad TTL" },
	{ "$ORIGIN test.\n", "line 1: directives" },
	{ "@ A 192.0.2.1\n", "line 1: '@' (the origin) is not supported" },
	{ "a.test. TXT ( \"x\" )\n", "line 1: parentheses" },
	{ "a.test. MX mail.test.\n", "line 1: MX takes a preference and a name" },
	{ "a.test. MX 70000 mail.test.\n", "line 1: bad MX preference" },
	{ "a..test. A 192.0.2.1\n", "line 1: empty label in name" },
	{ "a b.test. A 192.0.2.1\n", "line 1: bad record type" },
	{ "a\xc3\xa9.test. A 192.0.2.1\n", "line 1: character '\\xc3' is not allowed" },
	{ "a\\25.test. A 192.0.2.1\n", "line 1: \\DDD escape needs exactly three digits in name" },
	{ "a\\300.test. A 192.0.2.1\n", "line 1: escape \\300 is above 255 in name" },
	{ "a.test.\n", "line 1: record type missing" },
	{ "a.test. TXT\n", "line 1: TXT record without data" },
	{ "a.test. PTR one.test. two.test.\n", "line 1: PTR takes one name" },
	{ "a.test. TXT \"\\25\"\n", "line 1: \\DDD escape needs exactly three digits" },
	{ "a.test. TXT \"\\256\"\n", "line 1: escape \\256 is above 255" },
	{ "a.test. TIMEOUT extra\n", "line 1: nothing may follow TIMEOUT" },
	{ "a.test. A 192.0.2.1\x00\n", "line 1: NUL byte" },
	{ "ok.test. A 192.0.2.1\nx.test. SRV not a number\n", "line 2: unbound rejected the "
	                                                      "record" },
	{ "c.test. A 192.0.2.1\nx.test. A 192.0.2.2\nC.test. CNAME t.test.\n",
	  "line 3: c.test. has a CNAME and other records" },
	{ "c.test. CNAME t.test.\nc.test. CNAME u.test.\n", "line 2: c.test. has a CNAME" },
	{ "ok.test. A 192.0.2.1\nlast.test. A 192.0.2", "line 2: bad IPv4 address" },
};

START_TEST(bad_zone_file_is_refused_with_a_message_naming_the_line)
{
	int i = _i;
	size_t len = strlen(bad_zones[i].text);
	if (strstr(bad_zones[i].want, "NUL"))
		len = 20; /* the NUL byte is part of the file */
	char *path = testutil_write_temp(bad_zones[i].text, len, ".zone");
	char spec[4200], err[1024];
	snprintf(spec, sizeof spec, "zone:%s", path);
	struct dns_resolver *r = dns_resolver_new(spec, err, sizeof err);
	ck_assert_msg(r == NULL, "case %d accepted", i);
	char want[1024];
	snprintf(want, sizeof want, "zone file %s %s", path, bad_zones[i].want);
	ck_assert_msg(strstr(err, want) != NULL, "case %d: \"%s\" lacks \"%s\"", i, err, want);
	unlink(path);
	free(path);
}
END_TEST

START_TEST(long_txt_string_is_refused_and_split_strings_are_accepted)
{
	char *s255 = repeat('x', 255), *s256 = repeat('y', 256);
	size_t n = 2 * 255 + 256 + 100;
	char *text = malloc(n);
	snprintf(text, n, "k.test. TXT \"%s\" \"%s\"\n", s255, s255);
	char *path = testutil_write_temp(text, strlen(text), ".zone");
	char spec[4200], err[512];
	snprintf(spec, sizeof spec, "zone:%s", path);
	struct dns_resolver *r = dns_resolver_new(spec, err, sizeof err);
	ck_assert_msg(r != NULL, "%s", err);
	struct dns_answer *ans = dns_query(r, A, DNS_T_TXT, S("k.test"), dns_now_ms() + OK_BUDGET_MS);
	assert_status(ans, DNS_ST_OK);
	ck_assert_uint_eq(ans->rr[0].data.len, 510);
	dns_resolver_free(r);
	unlink(path);
	free(path);

	snprintf(text, n, "k.test. TXT \"%s\"\n", s256);
	path = testutil_write_temp(text, strlen(text), ".zone");
	snprintf(spec, sizeof spec, "zone:%s", path);
	expect_spec_error(spec, "line 1: character-string of 256 octets is longer than 255");
	unlink(path);
	free(path);
	free(text);
	free(s255);
	free(s256);
}
END_TEST

START_TEST(empty_zone_file_answers_nxdomain_for_everything)
{
	char *path = testutil_write_temp("", 0, ".zone");
	char spec[4200], err[512];
	snprintf(spec, sizeof spec, "zone:%s", path);
	struct dns_resolver *r = dns_resolver_new(spec, err, sizeof err);
	ck_assert_msg(r != NULL, "%s", err);
	assert_status(dns_query(r, A, DNS_T_A, S("localhost"), dns_now_ms() + OK_BUDGET_MS),
	              DNS_ST_NXDOMAIN);
	assert_status(dns_query(r, A, DNS_T_TXT, S("example.com"), dns_now_ms() + OK_BUDGET_MS),
	              DNS_ST_NXDOMAIN);
	dns_resolver_free(r);
	unlink(path);
	free(path);
}
END_TEST

/* ---- the zone parser on its own ---- */

START_TEST(zone_parser_collects_records_timeouts_and_served_names)
{
	static const char text[] = "  # indented comment\n"
	                           "A.Example. 60 IN txt \"x\" \"y\"\n"
	                           "b.a.example A 192.0.2.1 ; comment\n"
	                           "t.other. TIMEOUT\n"
	                           "t.other. timeout\n"
	                           "x.test. NS ns.test.";
	struct dns_zone z;
	char err[256];
	ck_assert_msg(dns_zone_parse(A, slice_make(text, sizeof text - 1), "t", &z, err, sizeof err),
	              "%s", err);
	ck_assert_uint_eq(z.nrr, 3);
	ck_assert_str_eq(z.rr[0].text, "a.example. 60 IN TXT \"x\" \"y\"");
	ck_assert_uint_eq(z.rr[0].line, 2);
	ck_assert_str_eq(z.rr[1].text, "b.a.example. 3600 IN A 192.0.2.1");
	ck_assert_str_eq(z.rr[2].text, "x.test. 3600 IN NS ns.test.");
	ck_assert_uint_eq(z.ntimeout, 1);
	ck_assert_str_eq(z.timeout[0], "t.other.");
	const char *want[] = { "test.", "other.", "x.test.", "example.", "t.other.", "a.example.",
		               "b.a.example." };
	ck_assert_uint_eq(z.nnames, sizeof want / sizeof want[0]);
	for (size_t i = 0; i < z.nnames; i++) {
		bool found = false;
		for (size_t k = 0; k < sizeof want / sizeof want[0]; k++)
			found |= strcmp(z.names[i], want[k]) == 0;
		ck_assert_msg(found, "unexpected name %s", z.names[i]);
	}
}
END_TEST

START_TEST(zone_parser_rewrites_txt_bytes_as_unbound_escapes)
{
	static const char text[] = "e.test. TXT \"tab\there\" \"\\\\\\\"\" \xc3\xa9\n";
	struct dns_zone z;
	char err[256];
	ck_assert_msg(dns_zone_parse(A, slice_make(text, sizeof text - 1), "t", &z, err, sizeof err),
	              "%s", err);
	ck_assert_uint_eq(z.nrr, 1);
	ck_assert_str_eq(z.rr[0].text, "e.test. 3600 IN TXT \"tab\\009here\" \"\\\\\\\"\" "
	                               "\"\\195\\169\"");
}
END_TEST

START_TEST(zone_parser_writes_names_in_one_canonical_escaped_form)
{
	static const char text[] = "A\\032b.test. TXT \"1\"\n"
	                           "a\\ B.test. TXT \"2\"\n"
	                           "x\\.y.test. TXT \"3\"\n"
	                           "p:q/r%.test. PTR t\\195\\169.test.\n";
	struct dns_zone z;
	char err[256];
	ck_assert_msg(dns_zone_parse(A, slice_make(text, sizeof text - 1), "t", &z, err, sizeof err),
	              "%s", err);
	ck_assert_uint_eq(z.nrr, 4);
	ck_assert_str_eq(z.rr[0].owner, "a\\032b.test.");
	ck_assert_str_eq(z.rr[1].owner, "a\\032b.test.");
	ck_assert_str_eq(z.rr[2].owner, "x\\046y.test."); /* one label */
	ck_assert_str_eq(z.rr[3].text, "p:q/r%.test. 3600 IN PTR t\\195\\169.test.");
	bool found = false;
	for (size_t i = 0; i < z.nnames; i++) {
		ck_assert_str_ne(z.names[i], "y.test.");
		found |= strcmp(z.names[i], "x\\046y.test.") == 0;
	}
	ck_assert(found);
}
END_TEST

/* ---- wire decoding ---- */

START_TEST(rdata_decoder_rejects_wrong_shapes)
{
	struct dns_rr rr;
	static const unsigned char a3[] = { 1, 2, 3 };
	ck_assert_int_eq(dns_wire_rdata(A, DNS_T_A, a3, 3, &rr), DNS_WIRE_MALFORMED);
	ck_assert_int_eq(dns_wire_rdata(A, DNS_T_AAAA, a3, 3, &rr), DNS_WIRE_MALFORMED);
	/* MX: preference only; name with a compression pointer; trailing byte. */
	static const unsigned char mx1[] = { 0, 10 };
	static const unsigned char mx2[] = { 0, 10, 0xc0, 0x00 };
	static const unsigned char mx3[] = { 0, 10, 1, 'a', 0, 7 };
	static const unsigned char mx4[] = { 0, 10, 1, 'A', 0 };
	ck_assert_int_eq(dns_wire_rdata(A, DNS_T_MX, mx1, sizeof mx1, &rr), DNS_WIRE_MALFORMED);
	ck_assert_int_eq(dns_wire_rdata(A, DNS_T_MX, mx2, sizeof mx2, &rr), DNS_WIRE_MALFORMED);
	ck_assert_int_eq(dns_wire_rdata(A, DNS_T_MX, mx3, sizeof mx3, &rr), DNS_WIRE_MALFORMED);
	ck_assert_int_eq(dns_wire_rdata(A, DNS_T_MX, mx4, sizeof mx4, &rr), DNS_WIRE_OK);
	ck_assert(eq(rr.name, "a"));
	ck_assert_uint_eq(rr.pref, 10);
	/* PTR: label running past the end; extended label type; a '.' byte. */
	static const unsigned char p1[] = { 5, 'a', 'b', 0 };
	static const unsigned char p2[] = { 0x41, 'a', 0 };
	static const unsigned char p3[] = { 3, 'a', '.', 'b', 0 };
	static const unsigned char p4[] = { 0 };
	ck_assert_int_eq(dns_wire_rdata(A, DNS_T_PTR, p1, sizeof p1, &rr), DNS_WIRE_MALFORMED);
	ck_assert_int_eq(dns_wire_rdata(A, DNS_T_PTR, p2, sizeof p2, &rr), DNS_WIRE_MALFORMED);
	ck_assert_int_eq(dns_wire_rdata(A, DNS_T_PTR, p3, sizeof p3, &rr), DNS_WIRE_MALFORMED);
	ck_assert_int_eq(dns_wire_rdata(A, DNS_T_PTR, p4, sizeof p4, &rr), DNS_WIRE_OK);
	ck_assert_uint_eq(rr.name.len, 0);
	ck_assert_int_eq(dns_wire_rdata(A, DNS_T_PTR, p4, 0, &rr), DNS_WIRE_MALFORMED);
	/* TXT: string length beyond the rdata. */
	static const unsigned char t1[] = { 3, 'a', 'b' };
	static const unsigned char t2[] = { 2, 'a', 'b', 0, 1, 'c' };
	ck_assert_int_eq(dns_wire_rdata(A, DNS_T_TXT, t1, sizeof t1, &rr), DNS_WIRE_MALFORMED);
	ck_assert_int_eq(dns_wire_rdata(A, DNS_T_TXT, t2, sizeof t2, &rr), DNS_WIRE_OK);
	ck_assert(eq(rr.data, "abc"));
	/* Unknown type: raw. */
	ck_assert_int_eq(dns_wire_rdata(A, (enum dns_type)99, t1, sizeof t1, &rr), DNS_WIRE_OK);
	ck_assert_uint_eq(rr.data.len, 3);
}
END_TEST

START_TEST(rdata_decoder_rejects_names_over_255_octets)
{
	/* 5 labels of 63: 5*64 + 1 = 321 octets. */
	unsigned char rd[400];
	size_t o = 0;
	for (int l = 0; l < 5; l++) {
		rd[o++] = 63;
		memset(rd + o, 'a', 63);
		o += 63;
	}
	rd[o++] = 0;
	struct dns_rr rr;
	ck_assert_int_eq(dns_wire_rdata(A, DNS_T_PTR, rd, o, &rr), DNS_WIRE_MALFORMED);
	/* 3 labels of 63 + one of 61: 255 octets, the largest name. */
	o = 0;
	for (int l = 0; l < 4; l++) {
		size_t ll = l < 3 ? 63 : 61;
		rd[o++] = (unsigned char)ll;
		memset(rd + o, 'a', ll);
		o += ll;
	}
	rd[o++] = 0;
	ck_assert_uint_eq(o, 255);
	ck_assert_int_eq(dns_wire_rdata(A, DNS_T_PTR, rd, o, &rr), DNS_WIRE_OK);
	ck_assert_uint_eq(rr.name.len, 253);
}
END_TEST

/* A response message: question "a.ex." TXT, then the given answer RRs
 * (already encoded). */
static size_t make_msg(unsigned char *m, unsigned ancount, const unsigned char *an, size_t anlen)
{
	static const unsigned char head[] = { 0, 1, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0,
		                              1, 'a', 2, 'e', 'x', 0, 0, 16, 0, 1 };
	memcpy(m, head, sizeof head);
	m[7] = (unsigned char)ancount;
	if (anlen)
		memcpy(m + sizeof head, an, anlen);
	return sizeof head + anlen;
}

START_TEST(cname_chain_walker_follows_compressed_names_and_stops_loops)
{
	unsigned char m[512];
	struct dns_wname t;
	unsigned steps;
	/* a.ex. CNAME b.ex. (owner and target compressed against the
	 * question at offset 12; "ex." at 14). */
	static const unsigned char an1[] = { 0xc0, 12, 0, 5, 0, 1, 0, 0, 0, 60, 0, 4,
		                             1, 'b', 0xc0, 14 };
	size_t n = make_msg(m, 1, an1, sizeof an1);
	ck_assert_int_eq(dns_wire_cname_chain(m, n, &t, &steps), DNS_WIRE_OK);
	ck_assert_uint_eq(steps, 1);
	struct slice s;
	ck_assert_int_eq(dns_wname_text(A, &t, &s), DNS_WIRE_OK);
	ck_assert(eq(s, "b.ex"));

	/* No CNAME: the question name. */
	n = make_msg(m, 0, NULL, 0);
	ck_assert_int_eq(dns_wire_cname_chain(m, n, &t, &steps), DNS_WIRE_OK);
	ck_assert_uint_eq(steps, 0);

	/* a.ex. CNAME a.ex.: a loop ends at DNS_MAX_CNAME_CHAIN. */
	static const unsigned char an2[] = { 0xc0, 12, 0, 5, 0, 1, 0, 0, 0, 60, 0, 2, 0xc0, 12 };
	n = make_msg(m, 1, an2, sizeof an2);
	ck_assert_int_eq(dns_wire_cname_chain(m, n, &t, &steps), DNS_WIRE_MALFORMED);

	/* A pointer to itself, and a forward pointer. */
	static const unsigned char an3[] = { 0xc0, 22, 0, 5, 0, 1, 0, 0, 0, 60, 0, 2, 0xc0, 12 };
	n = make_msg(m, 1, an3, sizeof an3);
	ck_assert_int_eq(dns_wire_cname_chain(m, n, &t, &steps), DNS_WIRE_MALFORMED);
	static const unsigned char an4[] = { 0xc0, 40, 0, 5, 0, 1, 0, 0, 0, 60, 0, 2, 0xc0, 12 };
	n = make_msg(m, 1, an4, sizeof an4);
	ck_assert_int_eq(dns_wire_cname_chain(m, n, &t, &steps), DNS_WIRE_MALFORMED);

	/* RDLENGTH beyond the message; ANCOUNT larger than what is there. */
	static const unsigned char an5[] = { 0xc0, 12, 0, 5, 0, 1, 0, 0, 0, 60, 0, 40, 0xc0, 12 };
	n = make_msg(m, 1, an5, sizeof an5);
	ck_assert_int_eq(dns_wire_cname_chain(m, n, &t, &steps), DNS_WIRE_MALFORMED);
	n = make_msg(m, 2, an1, sizeof an1);
	ck_assert_int_eq(dns_wire_cname_chain(m, n, &t, &steps), DNS_WIRE_MALFORMED);
	/* Truncated header. */
	ck_assert_int_eq(dns_wire_cname_chain(m, 7, &t, &steps), DNS_WIRE_MALFORMED);
	ck_assert_int_eq(dns_wire_cname_chain(NULL, 0, &t, &steps), DNS_WIRE_MALFORMED);
}
END_TEST

/* ---- strings ---- */

START_TEST(status_type_and_security_words)
{
	ck_assert_str_eq(dns_status_str(DNS_ST_OK), "data");
	ck_assert_str_eq(dns_status_str(DNS_ST_NXDOMAIN), "NXDOMAIN");
	ck_assert_str_eq(dns_status_str(DNS_ST_NODATA), "NODATA");
	ck_assert_str_eq(dns_status_str(DNS_ST_SERVFAIL), "SERVFAIL");
	ck_assert_str_eq(dns_status_str(DNS_ST_TIMEOUT), "timeout");
	ck_assert_str_eq(dns_status_str(DNS_ST_BOGUS), "bogus");
	ck_assert(dns_status_is_temp(DNS_ST_SERVFAIL));
	ck_assert(dns_status_is_temp(DNS_ST_TIMEOUT));
	ck_assert(dns_status_is_temp(DNS_ST_BOGUS));
	ck_assert(!dns_status_is_temp(DNS_ST_OK));
	ck_assert_str_eq(dns_security_str(DNS_SEC_SECURE), "secure");
	ck_assert_str_eq(dns_security_str(DNS_SEC_INSECURE), "insecure");
	ck_assert_str_eq(dns_security_str(DNS_SEC_BOGUS), "bogus");
	enum dns_type t;
	ck_assert(dns_type_parse(S("txt"), &t) && t == DNS_T_TXT);
	ck_assert(dns_type_parse(S("AAAA"), &t) && t == DNS_T_AAAA);
	ck_assert(!dns_type_parse(S("AAA"), &t));
	ck_assert(!dns_type_parse(S("TXTX"), &t));
	ck_assert_str_eq(dns_type_str(DNS_T_MX), "MX");
	ck_assert_str_eq(dns_type_str(DNS_T_PTR), "PTR");
}
END_TEST

static Suite *dns_suite(void)
{
	Suite *s = suite_create("dns");

	TCase *tc = tcase_create("zone");
	tcase_add_unchecked_fixture(tc, main_zone_setup, main_zone_teardown);
	tcase_add_checked_fixture(tc, arena_setup, arena_teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, a_record_is_returned_as_four_network_order_bytes);
	tcase_add_test(tc, two_a_records_and_class_before_ttl_are_accepted);
	tcase_add_test(tc, aaaa_record_is_returned_as_sixteen_bytes);
	tcase_add_test(tc, mx_records_give_preference_and_lower_case_exchange);
	tcase_add_test(tc, null_mx_has_the_empty_name);
	tcase_add_test(tc, ipv4_reverse_names_are_served_from_the_file);
	tcase_add_test(tc, ipv6_reverse_names_are_served_from_the_file);
	tcase_add_test(tc, txt_strings_of_one_record_are_joined);
	tcase_add_test(tc, txt_escapes_give_quote_backslash_and_decimal_bytes);
	tcase_add_test(tc, txt_semicolon_inside_quotes_is_data_and_outside_a_comment);
	tcase_add_test(tc, empty_txt_string_is_an_empty_record);
	tcase_add_test(tc, several_txt_records_at_one_name_are_all_returned);
	tcase_add_test(tc, names_are_case_insensitive_may_hold_odd_bytes_and_crlf_lines_are_read);
	tcase_add_test(tc, missing_name_is_nxdomain_and_missing_type_is_nodata);
	tcase_add_test(tc, empty_non_terminals_are_nodata_not_nxdomain);
	tcase_add_test(tc, special_use_names_are_served_from_the_file);
	tcase_add_test(tc, cname_to_txt_gives_the_target_data);
	tcase_add_test(tc, cname_chain_of_two_is_followed);
	tcase_add_test(tc, cname_query_returns_the_alias_itself);
	tcase_add_test(tc, cname_to_missing_name_or_type_gives_the_target_status);
	tcase_add_test(tc, cname_loop_is_a_temporary_error_not_a_hang);
	tcase_add_test(tc, batch_of_fifty_queries_answers_each_slot);
	tcase_add_test(tc, batch_mixes_types_and_outcomes_and_can_be_reused);
	tcase_add_test(tc, batch_refuses_more_than_dns_max_batch_queries);
	tcase_add_test(tc, deadline_in_the_past_times_out_at_once);
	tcase_add_test(tc, invalid_names_are_nxdomain_without_a_query);
	suite_add_tcase(s, tc);

	tc = tcase_create("resolvers");
	tcase_add_checked_fixture(tc, arena_setup, arena_teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, silent_forwarder_gives_timeout_within_the_budget);
	tcase_add_test(tc, timeout_line_makes_unanswered_queries_time_out);
	tcase_add_test(tc, names_with_records_below_a_timeout_name_are_served_normally);
	tcase_add_test(tc, zone_names_take_rfc1035_escapes_for_any_byte);
	tcase_add_test(tc, resolver_used_after_fork_refuses_instead_of_hanging);
	tcase_add_test(tc, bad_resolver_specs_are_refused_with_a_message);
	tcase_add_test(tc, good_resolver_specs_are_accepted);
	tcase_add_test(tc, unbound_conf_spec_serves_its_local_data_and_follows_cnames);
	tcase_add_loop_test(tc, bad_zone_file_is_refused_with_a_message_naming_the_line, 0,
	                    (int)(sizeof bad_zones / sizeof bad_zones[0]));
	tcase_add_test(tc, long_txt_string_is_refused_and_split_strings_are_accepted);
	tcase_add_test(tc, empty_zone_file_answers_nxdomain_for_everything);
	suite_add_tcase(s, tc);

	tc = tcase_create("parsers");
	tcase_add_checked_fixture(tc, arena_setup, arena_teardown);
	tcase_add_test(tc, zone_parser_collects_records_timeouts_and_served_names);
	tcase_add_test(tc, zone_parser_rewrites_txt_bytes_as_unbound_escapes);
	tcase_add_test(tc, zone_parser_writes_names_in_one_canonical_escaped_form);
	tcase_add_test(tc, rdata_decoder_rejects_wrong_shapes);
	tcase_add_test(tc, rdata_decoder_rejects_names_over_255_octets);
	tcase_add_test(tc, cname_chain_walker_follows_compressed_names_and_stops_loops);
	tcase_add_test(tc, status_type_and_security_words);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(dns_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
