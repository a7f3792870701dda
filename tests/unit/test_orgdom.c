/* test_orgdom.c — unit tests for shared/orgdom.c: the RFC 7489 3.2
 * registrable domain against the Public Suffix List project's own test
 * vectors (conformance/psl/tests.txt), and the RFC 9989 4.10 Tree Walk query
 * sequence against conformance/dmarcbis-treewalk/cases.yml plus edge cases
 * of the eight-query shortcut. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "arena.h"
#include "domain.h"
#include "mailauth_limits.h"
#include "orgdom.h"
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
	return slice_from_cstr(s);
}

/* Next line of a text buffer; false at the end.  The line excludes "\n"
 * and a trailing "\r". */
static bool next_line(const char **p, const char *end, struct slice *line)
{
	if (*p >= end)
		return false;
	const char *nl = memchr(*p, '\n', (size_t)(end - *p));
	const char *e = nl ? nl : end;
	*line = slice_between(*p, e);
	if (line->len && line->ptr[line->len - 1] == '\r')
		line->len--;
	*p = nl ? nl + 1 : end;
	return true;
}

static char *load_conformance(const char *rel, size_t *len)
{
	const char *path = testutil_conformance_path(rel);
	ck_assert_msg(path != NULL,
	              "conformance data %s is absent: set MAILAUTH_CONFORMANCE to the "
	              "directory holding the shared conformance suites", rel);
	char *data = testutil_read_file(path, len);
	ck_assert_msg(data != NULL, "cannot read %s", path);
	return data;
}

/* ---- RFC 7489 3.2 with the public suffix list ---- */

START_TEST(orgdom_uses_debians_public_suffix_list_file)
{
	ck_assert_str_eq(orgdom_psl_source(), "file:" ORGDOM_PSL_FILE);
}
END_TEST

/* The fallback must be tested in a fresh process: the list is loaded once
 * per process. */
START_TEST(orgdom_falls_back_to_the_builtin_list_when_the_file_is_missing)
{
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct arena *a = arena_new(0);
		int rc = 0;
		if (orgdom_init("/nonexistent/public_suffix_list.dat"))
			rc |= 1;
		if (strcmp(orgdom_psl_source(), "builtin") != 0)
			rc |= 2;
		struct slice out;
		if (orgdom_registrable(a, S("www.example.co.uk"), &out) != ORGDOM_REGISTRABLE ||
		    !slice_eq(out, S("example.co.uk")))
			rc |= 4;
		arena_free(a);
		_exit(rc);
	}
	int status = 0;
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status), "child did not exit normally");
	ck_assert_msg(WEXITSTATUS(status) == 0, "fallback child failed with mask %d",
	              WEXITSTATUS(status));
}
END_TEST

START_TEST(orgdom_registrable_passes_the_psl_project_test_vectors)
{
	size_t len;
	char *data = load_conformance("psl/tests.txt", &len);
	const char *p = data, *end = data + len;
	struct slice line;
	size_t lineno = 0, cases = 0;
	while (next_line(&p, end, &line)) {
		lineno++;
		line = slice_trim_ws(line);
		if (line.len == 0 || slice_starts_with_ci(line, SLICE_LIT("//")))
			continue;
		struct slice in, want;
		ck_assert_msg(slice_split_byte(line, ' ', &in, &want), "tests.txt:%zu: no space",
		              lineno);
		want = slice_trim_ws(want);
		bool in_null = slice_eq(in, SLICE_LIT("null"));
		bool want_null = slice_eq(want, SLICE_LIT("null"));
		struct slice out;
		enum orgdom_kind k = orgdom_registrable(A, in_null ? SLICE_NULL : in, &out);
		cases++;
		if (want_null) {
			ck_assert_msg(k != ORGDOM_REGISTRABLE,
			              "tests.txt:%zu: %.*s: expected no registrable domain, got %.*s",
			              lineno, (int)in.len, in.ptr, (int)out.len, out.ptr);
			/* A leading dot is not a domain name; a bare suffix is. */
			if (!in_null && in.ptr[0] != '.')
				ck_assert_msg(k == ORGDOM_IS_SUFFIX, "tests.txt:%zu: %.*s: kind %s",
				              lineno, (int)in.len, in.ptr, orgdom_kind_str(k));
			continue;
		}
		/* Expected values may be U-labels; we answer in A-labels. */
		struct slice want_a;
		ck_assert_msg(domain_normalize(A, want, &want_a), "tests.txt:%zu: bad expectation",
		              lineno);
		ck_assert_msg(k == ORGDOM_REGISTRABLE && slice_eq(out, want_a),
		              "tests.txt:%zu: %.*s: expected %.*s, got %s %.*s", lineno,
		              (int)in.len, in.ptr, (int)want_a.len, want_a.ptr, orgdom_kind_str(k),
		              (int)out.len, out.ptr ? out.ptr : "");
	}
	free(data);
	/* The file holds 78 cases (conformance/README.md). */
	ck_assert_uint_eq(cases, 78);
}
END_TEST

START_TEST(orgdom_registrable_normalizes_case_trailing_dot_and_underscore_labels)
{
	static const struct {
		const char *in, *want;
	} t[] = {
		{ "WWW.Example.COM.", "example.com" },
		{ "_dmarc.mail.example.co.uk", "example.co.uk" },
		{ "sel._domainkey.example.org", "example.org" },
		{ "www.B\xc3\x9c" "CHER.de", "xn--bcher-kva.de" },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		struct slice out;
		ck_assert_int_eq(orgdom_registrable(A, S(t[i].in), &out), ORGDOM_REGISTRABLE);
		ck_assert_msg(slice_eq(out, S(t[i].want)), "case %zu: got %.*s", i, (int)out.len,
		              out.ptr);
	}
}
END_TEST

START_TEST(orgdom_registrable_reports_suffixes_and_invalid_names)
{
	struct slice out;
	ck_assert_int_eq(orgdom_registrable(A, S("co.uk"), &out), ORGDOM_IS_SUFFIX);
	ck_assert(slice_eq(out, S("co.uk")));
	ck_assert_int_eq(orgdom_registrable(A, S("COM."), &out), ORGDOM_IS_SUFFIX);
	ck_assert(slice_eq(out, S("com")));
	ck_assert_int_eq(orgdom_registrable(A, S("a..example.com"), &out), ORGDOM_INVALID);
	ck_assert_ptr_null(out.ptr);
	ck_assert_int_eq(orgdom_registrable(A, slice_make("example.com\0x", 13), &out),
	                 ORGDOM_INVALID);
	ck_assert_int_eq(orgdom_registrable(A, SLICE_NULL, &out), ORGDOM_INVALID);
}
END_TEST

START_TEST(orgdom_registrable_reports_an_exhausted_arena_as_nomem)
{
	struct arena *small = arena_new(64);
	ck_assert_ptr_nonnull(small);
	ck_assert_ptr_nonnull(arena_alloc(small, 60));
	struct slice out;
	ck_assert_int_eq(orgdom_registrable(small, S("www.example-with-a-long-name.com"), &out),
	                 ORGDOM_NOMEM);
	arena_free(small);
}
END_TEST

/* ---- RFC 9989 4.10 Tree Walk ---- */

static void expect_walk(const char *ctx, struct slice domain, const struct slice *want, size_t n)
{
	struct orgdom_walk w;
	ck_assert_msg(orgdom_treewalk(A, domain, &w) == ORGDOM_OK, "%s: walk failed", ctx);
	ck_assert_msg(w.n == n, "%s: %zu queries, expected %zu", ctx, w.n, n);
	for (size_t i = 0; i < n; i++) {
		ck_assert_msg(slice_eq(w.query[i], want[i]), "%s: query %zu is %.*s, expected %.*s",
		              ctx, i, (int)w.query[i].len, w.query[i].ptr ? w.query[i].ptr : "",
		              (int)want[i].len, want[i].ptr);
		ck_assert_msg(slice_eq(slice_sub(want[i], 7, want[i].len), w.target[i]),
		              "%s: target %zu", ctx, i);
	}
}

/* ---- a reader for the small YAML subset of cases.yml ---- */

#define MAXV 16

struct yitem {
	struct slice key;
	struct slice val[MAXV]; /* list items, or the one scalar value */
	size_t n;
};

struct ydoc {
	struct slice id, walk_from;
	struct yitem records[MAXV];       /* "_dmarc.x": TXT strings */
	size_t nrecords;
	struct slice queries[MAXV];        /* expect_queries */
	size_t nqueries;
	struct yitem queries_for[MAXV];    /* expect_queries_for */
	size_t nqueries_for;
};

static size_t indent_of(struct slice l)
{
	size_t i = 0;
	while (i < l.len && l.ptr[i] == ' ')
		i++;
	return i;
}

/* Items of an inline list "[a, "b; c", d]": commas inside double quotes do
 * not split.  Quotes are removed. */
static size_t parse_inline_list(struct slice v, struct slice *items, size_t max)
{
	v = slice_trim_ws(v);
	ck_assert_msg(v.len >= 2 && v.ptr[0] == '[' && v.ptr[v.len - 1] == ']',
	              "cases.yml: expected an inline list, got %.*s", (int)v.len, v.ptr);
	size_t n = 0, from = 1;
	bool quoted = false;
	for (size_t i = 1; i < v.len; i++) {
		char c = v.ptr[i];
		if (c == '"')
			quoted = !quoted;
		if ((c == ',' && !quoted) || i == v.len - 1) {
			struct slice it = slice_trim_ws(slice_sub(v, from, i));
			if (it.len >= 2 && it.ptr[0] == '"' && it.ptr[it.len - 1] == '"')
				it = slice_sub(it, 1, it.len - 1);
			if (it.len) {
				ck_assert(n < max);
				items[n++] = it;
			}
			from = i + 1;
		}
	}
	return n;
}

static struct slice item_text(struct slice body)
{
	return slice_trim_ws(slice_sub(body, 2, body.len));
}

/* Reads one "---" document starting at *p. */
static bool read_doc(const char **p, const char *end, struct ydoc *d)
{
	memset(d, 0, sizeof *d);
	enum { TOP, RECORDS, QUERIES, QUERIES_FOR } sect = TOP;
	struct slice line;
	bool any = false;
	while (*p < end) {
		const char *save = *p;
		next_line(p, end, &line);
		size_t ind = indent_of(line);
		struct slice body = slice_sub(line, ind, line.len);
		if (body.len == 0 || body.ptr[0] == '#')
			continue;
		if (ind == 0 && slice_eq(body, SLICE_LIT("---"))) {
			if (any) {
				*p = save;
				return true;
			}
			continue;
		}
		any = true;
		bool item = body.len >= 2 && body.ptr[0] == '-' && body.ptr[1] == ' ';
		if (ind == 0) {
			struct slice key, val;
			sect = TOP;
			if (!slice_split_byte(body, ':', &key, &val))
				continue;
			val = slice_trim_ws(val);
			if (slice_eq(key, SLICE_LIT("id")))
				d->id = val;
			else if (slice_eq(key, SLICE_LIT("walk_from")))
				d->walk_from = val;
			else if (slice_eq(key, SLICE_LIT("records")))
				sect = RECORDS;
			else if (slice_eq(key, SLICE_LIT("expect_queries")))
				sect = QUERIES;
			else if (slice_eq(key, SLICE_LIT("expect_queries_for")))
				sect = QUERIES_FOR;
			continue;
		}
		if (sect == QUERIES && item) {
			ck_assert(d->nqueries < MAXV);
			d->queries[d->nqueries++] = item_text(body);
		} else if ((sect == RECORDS || sect == QUERIES_FOR) && ind == 2 && !item) {
			struct yitem *tab = sect == RECORDS ? d->records : d->queries_for;
			size_t *n = sect == RECORDS ? &d->nrecords : &d->nqueries_for;
			struct slice key, val;
			ck_assert(slice_split_byte(body, ':', &key, &val));
			ck_assert(*n < MAXV);
			struct yitem *it = &tab[(*n)++];
			it->key = key;
			val = slice_trim_ws(val);
			if (val.len)
				it->n = parse_inline_list(val, it->val, MAXV);
		} else if (sect == QUERIES_FOR && ind >= 4 && item) {
			ck_assert(d->nqueries_for > 0);
			struct yitem *it = &d->queries_for[d->nqueries_for - 1];
			ck_assert(it->n < MAXV);
			it->val[it->n++] = item_text(body);
		}
	}
	return any;
}

/* psd=y or psd=n in a DMARC record text (tags separated by ';'). */
static bool has_psd_yn(struct slice rec)
{
	struct slice head, tail;
	while (rec.len) {
		bool more = slice_split_byte(rec, ';', &head, &tail);
		struct slice k, v;
		if (slice_split_byte(slice_trim_ws(head), '=', &k, &v) &&
		    slice_eq(slice_trim_ws(k), SLICE_LIT("psd"))) {
			v = slice_trim_ws(v);
			if (slice_eq(v, SLICE_LIT("y")) || slice_eq(v, SLICE_LIT("n")))
				return true;
		}
		rec = more ? tail : SLICE_NULL;
	}
	return false;
}

/* The queries a caller issues: the walk in order, stopping after a name
 * whose single DMARC record carries psd=y or psd=n (RFC 9989 4.10 steps 2
 * and 6). */
static size_t simulate(const struct ydoc *d, struct slice from, struct slice *out)
{
	struct orgdom_walk w;
	ck_assert_int_eq(orgdom_treewalk(A, from, &w), ORGDOM_OK);
	size_t n = 0;
	for (size_t i = 0; i < w.n; i++) {
		out[n++] = w.query[i];
		for (size_t r = 0; r < d->nrecords; r++)
			if (domain_eq(d->records[r].key, w.query[i]) && d->records[r].n == 1 &&
			    has_psd_yn(d->records[r].val[0]))
				return n;
	}
	return n;
}

static void check_sequence(const struct ydoc *d, struct slice from, const struct slice *want,
                           size_t nwant)
{
	struct slice got[DMARC_TREEWALK_MAX_LABELS];
	size_t n = simulate(d, from, got);
	ck_assert_msg(n == nwant, "cases.yml %.*s from %.*s: %zu queries, expected %zu",
	              (int)d->id.len, d->id.ptr, (int)from.len, from.ptr, n, nwant);
	for (size_t i = 0; i < n; i++)
		ck_assert_msg(slice_eq(got[i], want[i]),
		              "cases.yml %.*s from %.*s: query %zu is %.*s, expected %.*s",
		              (int)d->id.len, d->id.ptr, (int)from.len, from.ptr, i, (int)got[i].len,
		              got[i].ptr ? got[i].ptr : "", (int)want[i].len, want[i].ptr);
}

START_TEST(orgdom_treewalk_matches_the_dmarcbis_cases)
{
	size_t len;
	char *data = load_conformance("dmarcbis-treewalk/cases.yml", &len);
	const char *p = data, *end = data + len;
	struct ydoc d;
	size_t docs = 0, walks = 0;
	while (read_doc(&p, end, &d)) {
		docs++;
		if (d.nqueries) {
			ck_assert_msg(d.walk_from.len, "cases.yml %.*s: expect_queries without walk_from",
			              (int)d.id.len, d.id.ptr);
			check_sequence(&d, d.walk_from, d.queries, d.nqueries);
			walks++;
		}
		for (size_t i = 0; i < d.nqueries_for; i++) {
			check_sequence(&d, d.queries_for[i].key, d.queries_for[i].val,
			               d.queries_for[i].n);
			walks++;
		}
	}
	free(data);
	/* 8 cases (conformance/README.md); 3 give expect_queries, 2 give two
	 * walks each in expect_queries_for. */
	ck_assert_uint_eq(docs, 8);
	ck_assert_uint_eq(walks, 7);
}
END_TEST

START_TEST(orgdom_treewalk_queries_every_ancestor_for_short_names)
{
	static const struct slice one[] = { SLICE_LIT("_dmarc.com") };
	expect_walk("com", S("COM."), one, 1);

	static const struct slice eight[] = {
		SLICE_LIT("_dmarc.a.b.c.d.e.f.example.com"), SLICE_LIT("_dmarc.b.c.d.e.f.example.com"),
		SLICE_LIT("_dmarc.c.d.e.f.example.com"),     SLICE_LIT("_dmarc.d.e.f.example.com"),
		SLICE_LIT("_dmarc.e.f.example.com"),         SLICE_LIT("_dmarc.f.example.com"),
		SLICE_LIT("_dmarc.example.com"),             SLICE_LIT("_dmarc.com"),
	};
	/* Exactly eight labels: x >= 8 cuts to seven, which is the parent. */
	expect_walk("8 labels", S("a.b.c.d.e.f.example.com"), eight, 8);
}
END_TEST

START_TEST(orgdom_treewalk_never_exceeds_eight_queries)
{
	static const struct slice nine[] = {
		SLICE_LIT("_dmarc.z.a.b.c.d.e.f.example.com"), SLICE_LIT("_dmarc.b.c.d.e.f.example.com"),
		SLICE_LIT("_dmarc.c.d.e.f.example.com"),       SLICE_LIT("_dmarc.d.e.f.example.com"),
		SLICE_LIT("_dmarc.e.f.example.com"),           SLICE_LIT("_dmarc.f.example.com"),
		SLICE_LIT("_dmarc.example.com"),               SLICE_LIT("_dmarc.com"),
	};
	expect_walk("9 labels", S("z.a.b.c.d.e.f.example.com"), nine, 8);

	/* 127 one-letter labels: the longest-labelled name there is. */
	char buf[300];
	size_t n = 0;
	for (int i = 0; i < 127; i++) {
		buf[n++] = 'a';
		buf[n++] = '.';
	}
	n--; /* 253 octets */
	struct orgdom_walk w;
	ck_assert_int_eq(orgdom_treewalk(A, slice_make(buf, n), &w), ORGDOM_OK);
	ck_assert_uint_eq(w.n, DMARC_TREEWALK_MAX_LABELS);
	/* "_dmarc." + 253 octets cannot be queried: no record can exist. */
	ck_assert_ptr_null(w.query[0].ptr);
	ck_assert(slice_eq(w.target[0], slice_make(buf, n)));
	ck_assert(slice_eq(w.query[1], S("_dmarc.a.a.a.a.a.a.a")));
	ck_assert(slice_eq(w.query[7], S("_dmarc.a")));
}
END_TEST

START_TEST(orgdom_treewalk_normalizes_and_rejects_invalid_names)
{
	static const struct slice idn[] = {
		SLICE_LIT("_dmarc.mail.xn--bcher-kva.de"),
		SLICE_LIT("_dmarc.xn--bcher-kva.de"),
		SLICE_LIT("_dmarc.de"),
	};
	expect_walk("idn", S("Mail.B\xc3\x9c" "cher.DE."), idn, 3);

	struct orgdom_walk w;
	ck_assert_int_eq(orgdom_treewalk(A, S(""), &w), ORGDOM_E_INVALID);
	ck_assert_uint_eq(w.n, 0);
	ck_assert_int_eq(orgdom_treewalk(A, S("a..b"), &w), ORGDOM_E_INVALID);
	ck_assert_int_eq(orgdom_treewalk(A, S("[192.0.2.1]"), &w), ORGDOM_E_INVALID);
	ck_assert_int_eq(orgdom_treewalk(A, slice_make("a\0.com", 6), &w), ORGDOM_E_INVALID);
}
END_TEST

static Suite *orgdom_suite(void)
{
	Suite *s = suite_create("orgdom");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	/* First: with CK_FORK=no every test shares one process, and the
	 * fallback test's child must start before anything loaded the list. */
	tcase_add_test(tc, orgdom_falls_back_to_the_builtin_list_when_the_file_is_missing);
	tcase_add_test(tc, orgdom_uses_debians_public_suffix_list_file);
	tcase_add_test(tc, orgdom_registrable_passes_the_psl_project_test_vectors);
	tcase_add_test(tc, orgdom_registrable_normalizes_case_trailing_dot_and_underscore_labels);
	tcase_add_test(tc, orgdom_registrable_reports_suffixes_and_invalid_names);
	tcase_add_test(tc, orgdom_registrable_reports_an_exhausted_arena_as_nomem);
	tcase_add_test(tc, orgdom_treewalk_matches_the_dmarcbis_cases);
	tcase_add_test(tc, orgdom_treewalk_queries_every_ancestor_for_short_names);
	tcase_add_test(tc, orgdom_treewalk_never_exceeds_eight_queries);
	tcase_add_test(tc, orgdom_treewalk_normalizes_and_rejects_invalid_names);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(orgdom_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
