/* test_addr_regress.c — regression tests for bugs fixed in shared/addr.c.
 *
 * A long obs-domain came back empty.  A domain written with CFWS around
 * its dots (RFC 5322 4.4 obs-domain, "example . com") is joined into a
 * copy; that copy used to live in a buffer capped at DOMAIN_MAX_INPUT_BYTES
 * + 1 bytes, and when the joined text was longer the cap was hit and the
 * mailbox was returned with an empty domain, although addr.h promises the
 * domain "without CFWS, atoms joined by single dots" for every mailbox of
 * a list that parsed.  (The fuzz target fuzz_addr found it: its check
 * "domain.len > 0" failed on tests/fuzz/corpus/addr/
 * regress-long-obs-domain-became-empty.)  Now the text is kept whatever
 * its length, and it is still unusable for DMARC: domain_norm is
 * SLICE_NULL and the From field counts as having no usable domain.
 *
 * What fails on the old code: every assertion on m->domain below for a
 * joined length above 1025 bytes (the old buffer held at most 1025), i.e.
 * the 1026, 1500 and 2699 byte cases and the corpus file's mailbox.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "arena.h"
#include "mailauth_limits.h"
#include "msg.h"
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

/* A domain of exactly len bytes once joined ("aaaa.aaaa...."), and the
 * same domain as written with CFWS around every dot: sep[k % 4] is put on
 * both sides of the k-th dot. */
static void long_domain(size_t len, struct slice *joined, struct slice *written)
{
	static const char *const sep[] = { " ", "(c)", "\r\n ", " (x (nested)) " };
	struct buf j, w;
	buf_init(&j, A, len + 1);
	buf_init(&w, A, len * 16 + 64);
	size_t k = 0;
	while (j.len < len) {
		/* labels of up to 9 bytes, never ending in a dot */
		size_t left = len - j.len;
		size_t lab = left <= 10 ? left : (left - 10 >= 2 ? 9 : left - 2);
		for (size_t i = 0; i < lab; i++) {
			char c = (char)('a' + (k + i) % 26);
			buf_add_byte(&j, c);
			buf_add_byte(&w, c);
		}
		if (j.len < len) {
			buf_add_byte(&j, '.');
			buf_add_cstr(&w, sep[k % 4]);
			buf_add_byte(&w, '.');
			buf_add_cstr(&w, sep[(k + 1) % 4]);
		}
		k++;
	}
	ck_assert(!j.err && !w.err);
	ck_assert_uint_eq(j.len, len);
	*joined = buf_slice(&j);
	*written = buf_slice(&w);
}

START_TEST(a_long_domain_with_cfws_around_its_dots_keeps_its_text)
{
	static const size_t lens[] = { 40, DOMAIN_MAX_INPUT_BYTES, DOMAIN_MAX_INPUT_BYTES + 1,
		                       DOMAIN_MAX_INPUT_BYTES + 2, 1500, 2699 };
	for (size_t c = 0; c < sizeof lens / sizeof lens[0]; c++) {
		struct slice joined, written;
		long_domain(lens[c], &joined, &written);
		for (int angle = 0; angle < 2; angle++) {
			struct buf v;
			buf_init(&v, A, written.len + 64);
			buf_add_cstr(&v, angle ? " Alice <alice@" : " alice@");
			buf_add_slice(&v, written);
			buf_add_cstr(&v, angle ? ">" : "");
			ck_assert(!v.err);
			struct addr_list l;
			enum addr_status st = addr_parse_list(A, buf_slice(&v), MSG_MAX_FROM_ADDRESSES, &l);
			ck_assert_msg(st == ADDR_OK, "len %zu: %s (%s)", lens[c], addr_status_str(st),
			              l.reason);
			ck_assert_uint_eq(l.n, 1);
			const struct addr_mailbox *m = &l.mbox[0];
			ck_assert_msg(m->domain.len == lens[c], "len %zu angle %d: domain of %zu bytes",
			              lens[c], angle, m->domain.len);
			ck_assert_msg(slice_eq(m->domain, joined), "len %zu: domain text differs",
			              lens[c]);
			ck_assert(slice_eq(m->local, SLICE_LIT("alice")));
			/* never a usable name: the longest has 253 octets */
			if (lens[c] > DOMAIN_MAX_TEXT_NAME)
				ck_assert_ptr_null(m->domain_norm.ptr);
			else
				ck_assert(slice_eq(m->domain_norm, joined));
		}
	}
}
END_TEST

START_TEST(such_a_from_field_still_has_no_usable_author_domain)
{
	struct slice joined, written;
	long_domain(1500, &joined, &written);
	struct buf t;
	buf_init(&t, A, written.len + 256);
	buf_add_cstr(&t, "From: Alice <alice@");
	buf_add_slice(&t, written);
	buf_add_cstr(&t, ">\r\nTo: bob@example.net\r\nSubject: hi\r\n\r\nbody\r\n");
	ck_assert(!t.err);
	struct msg m;
	ck_assert_int_eq(msg_parse(&m, A, buf_slice(&t)), MSG_OK);
	struct addr_from f;
	ck_assert_int_eq(addr_from_domains(A, &m, &f), ADDR_OK);
	ck_assert_msg(f.kind == ADDR_FROM_NO_DOMAIN, "kind %s", addr_from_kind_str(f.kind));
	ck_assert_uint_eq(f.ndomains, 0);
	ck_assert(f.unusable);
	ck_assert(!f.syntax_error);
	struct slice d;
	ck_assert(!addr_from_single_domain(&f, &d));
	ck_assert_ptr_null(d.ptr);
}
END_TEST

START_TEST(the_fuzz_input_that_found_it_gives_a_nonempty_domain)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/tests/fuzz/corpus/addr/regress-long-obs-domain-became-empty",
	         testutil_srcdir());
	size_t len = 0;
	char *data = testutil_read_file(path, &len);
	ck_assert_msg(data != NULL, "cannot read %s (set MAILAUTH_SRCDIR)", path);
	struct addr_list l;
	enum addr_status st = addr_parse_list(A, slice_make(data, len), MSG_MAX_FROM_ADDRESSES, &l);
	/* It parses (that is what made the empty domain reachable). */
	ck_assert_msg(st == ADDR_OK, "%s (%s)", addr_status_str(st), l.reason);
	ck_assert_uint_ge(l.n, 1);
	for (size_t i = 0; i < l.n; i++) {
		ck_assert_msg(l.mbox[i].domain.len > 0, "mailbox %zu: empty domain", i);
		if (!l.mbox[i].domain_literal && l.mbox[i].domain.len > DOMAIN_MAX_TEXT_NAME)
			ck_assert_ptr_null(l.mbox[i].domain_norm.ptr);
	}
	free(data);
}
END_TEST

static Suite *addr_regress_suite(void)
{
	Suite *s = suite_create("addr_regress");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, a_long_domain_with_cfws_around_its_dots_keeps_its_text);
	tcase_add_test(tc, such_a_from_field_still_has_no_usable_author_domain);
	tcase_add_test(tc, the_fuzz_input_that_found_it_gives_a_nonempty_domain);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(addr_regress_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
