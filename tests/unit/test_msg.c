/* test_msg.c — unit tests for shared/msg.c, the RFC 5322 message model:
 * fields as raw bytes with name/value, unfolding, CRLF and LF line ends,
 * building from Exim-style header_list entries, loading files and stdin,
 * and hostile input (no separator, huge lines, NULs, bare CR, too many
 * fields, endless folding, lines without a colon, a continuation first).
 *
 * Inputs are copied into malloc'd buffers of exactly their length (no
 * terminating NUL), so the sanitizer build catches any read past the end. */
#include <check.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

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

#define IN(s) s, sizeof(s) - 1

/* A copy of len bytes with nothing after them, owned by the arena's
 * lifetime through arena_defer (freed in teardown). */
static char *exact_copy(const char *s, size_t len)
{
	char *p = malloc(len ? len : 1);
	ck_assert_ptr_nonnull(p);
	if (len)
		memcpy(p, s, len);
	ck_assert(arena_defer(A, free, p));
	return p;
}

static struct slice exact(const char *s, size_t len)
{
	return slice_make(exact_copy(s, len), len);
}

static bool within(struct slice inner, struct slice outer)
{
	return inner.ptr >= outer.ptr && inner.ptr + inner.len <= outer.ptr + outer.len;
}

/* The same text with every LF turned into CRLF. */
static struct slice to_crlf(struct slice in)
{
	size_t n = in.len;
	for (size_t i = 0; i < in.len; i++)
		n += in.ptr[i] == '\n';
	char *p = malloc(n ? n : 1);
	ck_assert_ptr_nonnull(p);
	ck_assert(arena_defer(A, free, p));
	size_t k = 0;
	for (size_t i = 0; i < in.len; i++) {
		if (in.ptr[i] == '\n')
			p[k++] = '\r';
		p[k++] = in.ptr[i];
	}
	return slice_make(p, n);
}

static struct slice unfolded(const struct msg *m, size_t i)
{
	struct slice u = msg_unfold(A, m->hdr[i].value);
	ck_assert_ptr_nonnull(u.ptr);
	return u;
}

#define ASSERT_SLICE(idx, got, lit)                                                         \
	ck_assert_msg(slice_eq((got), SLICE_LIT(lit)), "case %zu: got \"%.*s\", expected \"%s\"", \
	              (size_t)(idx), (int)(got).len, (got).ptr ? (got).ptr : "", lit)

START_TEST(msg_parse_splits_a_simple_message_into_fields_and_body)
{
	struct slice raw = exact(IN("From: Joe <joe@example.org>\r\n"
	                            "To: x@example.net\r\n"
	                            "Subject: hello\r\n"
	                            "\r\n"
	                            "Body line 1\r\n"
	                            "\r\n"
	                            "Body: not a header\r\n"));
	struct msg m;
	ck_assert_int_eq(msg_parse(&m, A, raw), MSG_OK);
	ck_assert_uint_eq(m.nhdr, 3);
	ck_assert(!m.no_separator);
	ck_assert_uint_eq(m.malformed_lines, 0);
	ASSERT_SLICE(0, m.hdr[0].name, "From");
	ASSERT_SLICE(0, m.hdr[0].value, " Joe <joe@example.org>");
	ASSERT_SLICE(0, m.hdr[0].raw, "From: Joe <joe@example.org>");
	ASSERT_SLICE(1, m.hdr[1].name, "To");
	ASSERT_SLICE(2, m.hdr[2].raw, "Subject: hello");
	ASSERT_SLICE(0, m.body, "Body line 1\r\n\r\nBody: not a header\r\n");
	ck_assert(within(m.body, raw));
	/* Slices point into the input: nothing was copied. */
	ck_assert_ptr_eq(m.hdr[0].raw.ptr, raw.ptr);
	/* Header bytes: every field line with its line end, not the blank line. */
	ck_assert_uint_eq(m.header_bytes, 29 + 19 + 16);
}
END_TEST

START_TEST(msg_parse_keeps_folding_in_raw_and_unfolds_on_request)
{
	struct slice raw = exact(IN("Subject: a\r\n  b\r\n\tc\r\n"
	                            "DKIM-Signature: v=1;\n d=x; b=abc\n  def\n"
	                            "X:\r\n \r\n y\r\n"
	                            "\r\n"));
	struct msg m;
	ck_assert_int_eq(msg_parse(&m, A, raw), MSG_OK);
	ck_assert_uint_eq(m.nhdr, 3);
	ASSERT_SLICE(0, m.hdr[0].raw, "Subject: a\r\n  b\r\n\tc");
	ASSERT_SLICE(0, m.hdr[0].value, " a\r\n  b\r\n\tc");
	ASSERT_SLICE(0, unfolded(&m, 0), " a  b\tc");
	ASSERT_SLICE(1, m.hdr[1].raw, "DKIM-Signature: v=1;\n d=x; b=abc\n  def");
	ASSERT_SLICE(1, unfolded(&m, 1), " v=1; d=x; b=abc  def");
	/* A whitespace-only continuation line (obs-FWS) still continues. */
	ASSERT_SLICE(2, m.hdr[2].value, "\r\n \r\n y");
	ASSERT_SLICE(2, unfolded(&m, 2), "  y");
}
END_TEST

START_TEST(msg_unfold_removes_only_line_ends_followed_by_wsp)
{
	static const struct {
		const char *in;
		size_t len;
		const char *want;
		size_t wlen;
	} t[] = {
		/* 0 */ { IN("a\r\n b"), IN("a b") },
		/* 1 */ { IN("a\n\tb"), IN("a\tb") },
		/* 2: not followed by WSP: kept */
		/* */ { IN("a\r\nb"), IN("a\r\nb") },
		/* 3 */ { IN("a\nb"), IN("a\nb") },
		/* 4: a CR before the CRLF stays */
		/* */ { IN("a\r\r\n b"), IN("a\r b") },
		/* 5: bare CR followed by WSP is no line end */
		/* */ { IN("a\r b"), IN("a\r b") },
		/* 6: trailing line ends have no WSP after them */
		/* */ { IN("a\r\n"), IN("a\r\n") },
		/* 7 */ { IN("a\n"), IN("a\n") },
		/* 8 */ { IN(""), IN("") },
		/* 9: leading WSP is kept (trimming is the caller's business) */
		/* */ { IN(" x "), IN(" x ") },
		/* 10: NUL bytes survive */
		/* */ { IN("a\0\r\n\tb\0"), IN("a\0\tb\0") },
		/* 11: several folds in a row */
		/* */ { IN("\r\n \r\n \n\t"), IN("  \t") },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		struct slice u = msg_unfold(A, exact(t[i].in, t[i].len));
		ck_assert_msg(u.ptr != NULL, "case %zu: NULL", i);
		ck_assert_msg(slice_eq(u, slice_make(t[i].want, t[i].wlen)),
		              "case %zu: got %zu bytes \"%.*s\"", i, u.len, (int)u.len, u.ptr);
		ck_assert_msg(u.ptr[u.len] == '\0', "case %zu: not NUL-terminated", i);
	}
}
END_TEST

START_TEST(msg_parse_without_separator_makes_everything_header)
{
	static const struct {
		const char *in;
		size_t len;
		size_t nhdr;
	} t[] = {
		/* 0 */ { IN("From: a\nTo: b\n"), 2 },
		/* 1 */ { IN("From: a\r\nTo: b"), 2 },
		/* 2 */ { IN("From: a"), 1 },
		/* 3: text that looks like a body, but no blank line */
		/* */ { IN("From: a\nHello there\nBye\n"), 3 },
		/* 4: a whitespace line is a continuation, not a separator */
		/* */ { IN("From: a\n \nbody\n"), 2 },
		/* 5 */ { IN(""), 0 },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		struct slice raw = exact(t[i].in, t[i].len);
		struct msg m;
		ck_assert_msg(msg_parse(&m, A, raw) == MSG_OK, "case %zu: not ok", i);
		ck_assert_msg(m.no_separator, "case %zu: separator reported", i);
		ck_assert_msg(m.nhdr == t[i].nhdr, "case %zu: %zu fields, expected %zu", i, m.nhdr,
		              t[i].nhdr);
		ck_assert_msg(m.body.len == 0 && m.body.ptr != NULL, "case %zu: body not empty", i);
	}
}
END_TEST

START_TEST(msg_parse_finds_the_separator_with_either_line_end)
{
	static const struct {
		const char *in;
		size_t len;
		size_t nhdr;
		const char *body;
		size_t blen;
	} t[] = {
		/* 0 */ { IN("A: 1\n\nbody"), 1, IN("body") },
		/* 1 */ { IN("A: 1\r\n\r\nbody"), 1, IN("body") },
		/* 2: mixed line ends */
		/* */ { IN("A: 1\r\n\nbody"), 1, IN("body") },
		/* 3 */ { IN("A: 1\n\r\nbody\r\n"), 1, IN("body\r\n") },
		/* 4: only the separator */
		/* */ { IN("\n"), 0, IN("") },
		/* 5 */ { IN("\r\nbody"), 0, IN("body") },
		/* 6: empty body */
		/* */ { IN("A: 1\n\n"), 1, IN("") },
		/* 7: the first blank line wins; later ones are body */
		/* */ { IN("A: 1\n\n\nB: 2\n"), 1, IN("\nB: 2\n") },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		struct slice raw = exact(t[i].in, t[i].len);
		struct msg m;
		ck_assert_msg(msg_parse(&m, A, raw) == MSG_OK, "case %zu: not ok", i);
		ck_assert_msg(!m.no_separator, "case %zu: separator missed", i);
		ck_assert_msg(m.nhdr == t[i].nhdr, "case %zu: %zu fields", i, m.nhdr);
		ck_assert_msg(slice_eq(m.body, slice_make(t[i].body, t[i].blen)),
		              "case %zu: body \"%.*s\"", i, (int)m.body.len, m.body.ptr);
		ck_assert_msg(within(m.body, raw), "case %zu: body outside the input", i);
	}
}
END_TEST

START_TEST(msg_parse_gives_identical_results_for_crlf_and_lf)
{
	static const char *const t[] = {
		/* 0 */ "From: a@example.org\nTo: b\n\nbody\n",
		/* 1 */ "Subject: one\n two\n\tthree\nX-A: \n\nline\n\nline2",
		/* 2 */ "Received: by x\n  with y;\n  date\nreceived: z\nNoColon\n\n",
		/* 3 */ " early continuation\nFrom: a\n",
		/* 4 */ "DKIM-Signature: v=1; a=rsa-sha256;\n\tb=abc\n\t def\nFrom: x\n\n\n\n",
		/* 5 */ "A:\nB :x\nC\t: y\n\nbody without final line end",
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		struct slice lf = exact(t[i], strlen(t[i]));
		struct slice crlf = to_crlf(lf);
		struct msg a, b;
		ck_assert_msg(msg_parse(&a, A, lf) == MSG_OK, "case %zu: LF not ok", i);
		ck_assert_msg(msg_parse(&b, A, crlf) == MSG_OK, "case %zu: CRLF not ok", i);
		ck_assert_msg(a.nhdr == b.nhdr, "case %zu: %zu vs %zu fields", i, a.nhdr, b.nhdr);
		ck_assert_msg(a.no_separator == b.no_separator, "case %zu: separator differs", i);
		ck_assert_msg(a.malformed_lines == b.malformed_lines, "case %zu: malformed differs", i);
		for (size_t k = 0; k < a.nhdr; k++) {
			ck_assert_msg(slice_eq(a.hdr[k].name, b.hdr[k].name), "case %zu field %zu: name",
			              i, k);
			ck_assert_msg(slice_eq(unfolded(&a, k), unfolded(&b, k)),
			              "case %zu field %zu: unfolded value differs", i, k);
			/* The raw bytes differ only by the CRs. */
			ck_assert_msg(slice_eq(to_crlf(a.hdr[k].raw), b.hdr[k].raw),
			              "case %zu field %zu: raw differs beyond line ends", i, k);
		}
		ck_assert_msg(slice_eq(to_crlf(a.body), b.body), "case %zu: body differs", i);
	}
}
END_TEST

/* A message with one header line of line_len bytes (line end excluded). */
static struct slice long_line_message(size_t line_len, bool crlf)
{
	size_t n = line_len + (crlf ? 4 : 2) + 4;
	char *p = malloc(n);
	ck_assert_ptr_nonnull(p);
	ck_assert(arena_defer(A, free, p));
	memcpy(p, "X: ", 3);
	memset(p + 3, 'a', line_len - 3);
	memcpy(p + line_len, crlf ? "\r\n\r\nbody" : "\n\nbody", crlf ? 8 : 6);
	return slice_make(p, crlf ? line_len + 8 : line_len + 6);
}

START_TEST(msg_parse_accepts_a_header_line_of_exactly_the_line_limit)
{
	for (int crlf = 0; crlf <= 1; crlf++) {
		struct msg m;
		struct slice raw = long_line_message(MSG_MAX_LINE_BYTES, crlf);
		ck_assert_int_eq(msg_parse(&m, A, raw), MSG_OK);
		ck_assert_uint_eq(m.nhdr, 1);
		ck_assert_uint_eq(m.hdr[0].raw.len, MSG_MAX_LINE_BYTES);
		ck_assert_uint_eq(m.hdr[0].value.len, MSG_MAX_LINE_BYTES - 2);
		ASSERT_SLICE(crlf, m.body, "body");
	}
}
END_TEST

START_TEST(msg_parse_rejects_a_header_line_above_the_line_limit)
{
	for (int crlf = 0; crlf <= 1; crlf++) {
		struct msg m;
		struct slice raw = long_line_message(MSG_MAX_LINE_BYTES + 1, crlf);
		ck_assert_int_eq(msg_parse(&m, A, raw), MSG_E_LINE_TOO_LONG);
	}
	/* The same as the last line without any line end, and as a
	 * continuation line. */
	size_t n = MSG_MAX_LINE_BYTES + 1;
	char *p = malloc(n + 8);
	ck_assert_ptr_nonnull(p);
	ck_assert(arena_defer(A, free, p));
	memset(p, 'a', n + 8);
	memcpy(p, "X: ", 3);
	struct msg m;
	ck_assert_int_eq(msg_parse(&m, A, slice_make(p, n)), MSG_E_LINE_TOO_LONG);
	ck_assert_int_eq(msg_parse(&m, A, slice_make(p, n - 1)), MSG_OK);
	memcpy(p, "X: 1\n ", 6);
	ck_assert_int_eq(msg_parse(&m, A, slice_make(p, n + 5)), MSG_E_LINE_TOO_LONG);
	ck_assert_int_eq(msg_parse(&m, A, slice_make(p, n + 4)), MSG_OK);
	ck_assert_uint_eq(m.nhdr, 1);
}
END_TEST

START_TEST(msg_parse_does_not_limit_body_lines)
{
	size_t n = 3 * MSG_MAX_LINE_BYTES;
	char *p = malloc(n);
	ck_assert_ptr_nonnull(p);
	ck_assert(arena_defer(A, free, p));
	memset(p, 'b', n);
	memcpy(p, "A: 1\n\n", 6);
	struct msg m;
	ck_assert_int_eq(msg_parse(&m, A, slice_make(p, n)), MSG_OK);
	ck_assert_uint_eq(m.body.len, n - 6);
}
END_TEST

START_TEST(msg_parse_keeps_nul_bytes_in_values_and_body)
{
	struct slice raw = exact(IN("Subject: a\0b\n"
	                            "Fr\0m: x\n"
	                            "\0X: y\n"
	                            "To: c\n"
	                            "\n"
	                            "bo\0dy\0"));
	struct msg m;
	ck_assert_int_eq(msg_parse(&m, A, raw), MSG_OK);
	ck_assert_uint_eq(m.nhdr, 4);
	ck_assert(slice_eq(m.hdr[0].value, slice_make(" a\0b", 4)));
	/* A NUL is not ftext: the field name is invalid, the line malformed. */
	ck_assert_uint_eq(m.hdr[1].name.len, 0);
	ck_assert(slice_eq(m.hdr[1].raw, slice_make("Fr\0m: x", 7)));
	ck_assert_uint_eq(m.hdr[2].name.len, 0);
	ck_assert_uint_eq(m.malformed_lines, 2);
	ASSERT_SLICE(3, m.hdr[3].name, "To");
	ck_assert(slice_eq(m.body, slice_make("bo\0dy\0", 6)));
	struct slice u = msg_unfold(A, m.hdr[0].value);
	ck_assert(slice_eq(u, slice_make(" a\0b", 4)));
	size_t pos = 0;
	ck_assert_int_eq(msg_find_next(&m, SLICE_LIT("to"), &pos), 3);
}
END_TEST

START_TEST(msg_parse_treats_a_bare_cr_as_an_ordinary_byte)
{
	static const struct {
		const char *in;
		size_t len;
		size_t nhdr, malformed;
		bool sep;
		const char *v0; /* value of field 0 */
		size_t v0len;
	} t[] = {
		/* 0: CR inside a value */
		/* */ { IN("Subject: a\rb\n\n"), 1, 0, true, IN(" a\rb") },
		/* 1: a CR then CRLF: the first CR belongs to the value */
		/* */ { IN("Subject: a\r\r\n\r\n"), 1, 0, true, IN(" a\r") },
		/* 2: CR CR LF is not an empty line ("body" is then a field too) */
		/* */ { IN("A: 1\n\r\r\nbody"), 3, 2, false, IN(" 1") },
		/* 3: a CR at the very end has no LF: it is a byte of the value */
		/* */ { IN("X: a\r"), 1, 0, false, IN(" a\r") },
		/* 4: CR alone is not a line end, so "A: 1\rB: 2" is one field */
		/* */ { IN("A: 1\rB: 2\n\n"), 1, 0, true, IN(" 1\rB: 2") },
		/* 5: CRLF after an LF-ended line is still the separator */
		/* */ { IN("A: 1\n\r\nx"), 1, 0, true, IN(" 1") },
		/* 6 */ { IN("\rX: y\n\n"), 1, 1, true, IN("") },
		/* 7: CR before the colon: not ftext, malformed */
		/* */ { IN("X\r: y\n\n"), 1, 1, true, IN("") },
		/* 8: "\r \n" is a line with content, then the blank line is missing */
		/* */ { IN("A: 1\n\r \nB: 2\n"), 3, 1, false, IN(" 1") },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		struct slice raw = exact(t[i].in, t[i].len);
		struct msg m;
		ck_assert_msg(msg_parse(&m, A, raw) == MSG_OK, "case %zu: not ok", i);
		ck_assert_msg(m.nhdr == t[i].nhdr, "case %zu: %zu fields", i, m.nhdr);
		ck_assert_msg(m.malformed_lines == t[i].malformed, "case %zu: %zu malformed", i,
		              m.malformed_lines);
		ck_assert_msg(m.no_separator == !t[i].sep, "case %zu: separator", i);
		ck_assert_msg(slice_eq(m.hdr[0].value, slice_make(t[i].v0, t[i].v0len)),
		              "case %zu: value \"%.*s\"", i, (int)m.hdr[0].value.len,
		              m.hdr[0].value.ptr);
	}
}
END_TEST

/* n fields "X-N: v\n" followed by a blank line and a body. */
static struct slice many_fields(size_t n)
{
	size_t cap = n * 16 + 8;
	char *p = malloc(cap);
	ck_assert_ptr_nonnull(p);
	ck_assert(arena_defer(A, free, p));
	size_t len = 0;
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(p + len, cap - len, "X-%zu: v\n", i);
	len += (size_t)snprintf(p + len, cap - len, "\nbody");
	return slice_make(p, len);
}

START_TEST(msg_parse_rejects_ten_thousand_headers)
{
	struct msg m;
	ck_assert_int_eq(msg_parse(&m, A, many_fields(10000)), MSG_E_TOO_MANY_HEADERS);
	/* At the limit it still parses. */
	ck_assert_int_eq(msg_parse(&m, A, many_fields(MSG_MAX_HEADERS)), MSG_OK);
	ck_assert_uint_eq(m.nhdr, MSG_MAX_HEADERS);
	ASSERT_SLICE(0, m.body, "body");
	ck_assert_int_eq(msg_parse(&m, A, many_fields(MSG_MAX_HEADERS + 1)),
	                 MSG_E_TOO_MANY_HEADERS);
	/* Malformed lines count as fields too: 10,000 lines without a colon. */
	size_t n = 10000 * 2;
	char *p = malloc(n);
	ck_assert_ptr_nonnull(p);
	ck_assert(arena_defer(A, free, p));
	for (size_t i = 0; i < n; i += 2)
		memcpy(p + i, "a\n", 2);
	ck_assert_int_eq(msg_parse(&m, A, slice_make(p, n)), MSG_E_TOO_MANY_HEADERS);
}
END_TEST

START_TEST(msg_parse_handles_a_folded_forever_header)
{
	/* 500,000 continuation lines: one field, in linear time. */
	size_t lines = 500000;
	size_t n = 4 + lines * 3 + 5;
	char *p = malloc(n);
	ck_assert_ptr_nonnull(p);
	ck_assert(arena_defer(A, free, p));
	memcpy(p, "X: a", 4);
	for (size_t i = 0; i < lines; i++)
		memcpy(p + 4 + 3 * i, "\n b", 3);
	memcpy(p + 4 + 3 * lines, "\n\nzz", 4);
	n = 4 + 3 * lines + 4;
	struct msg m;
	ck_assert_int_eq(msg_parse(&m, A, slice_make(p, n)), MSG_OK);
	ck_assert_uint_eq(m.nhdr, 1);
	ck_assert_uint_eq(m.hdr[0].raw.len, 4 + 3 * lines);
	struct slice u = unfolded(&m, 0);
	ck_assert_uint_eq(u.len, 2 + 2 * lines);
	ASSERT_SLICE(0, m.body, "zz");

	/* Folding on past the header byte limit: 1024-byte lines, exactly at
	 * MSG_MAX_HEADER_BYTES is fine, one byte more is not. */
	size_t nlines = MSG_MAX_HEADER_BYTES / 1024;
	ck_assert_uint_eq(nlines * 1024, MSG_MAX_HEADER_BYTES);
	n = MSG_MAX_HEADER_BYTES + 8;
	char *q = malloc(n);
	ck_assert_ptr_nonnull(q);
	ck_assert(arena_defer(A, free, q));
	for (size_t i = 0; i < nlines; i++) {
		memset(q + i * 1024, 'a', 1024);
		q[i * 1024] = ' ';
		q[i * 1024 + 1023] = '\n';
	}
	memcpy(q, "X:", 2);
	memcpy(q + MSG_MAX_HEADER_BYTES, "\nbody", 5);
	ck_assert_int_eq(msg_parse(&m, A, slice_make(q, MSG_MAX_HEADER_BYTES + 5)), MSG_OK);
	ck_assert_uint_eq(m.nhdr, 1);
	ck_assert_uint_eq(m.header_bytes, MSG_MAX_HEADER_BYTES);
	ASSERT_SLICE(0, m.body, "body");
	/* One byte more in the header section. */
	memcpy(q + MSG_MAX_HEADER_BYTES, " \n\nbo", 5);
	ck_assert_int_eq(msg_parse(&m, A, slice_make(q, MSG_MAX_HEADER_BYTES + 5)),
	                 MSG_E_HEADER_TOO_BIG);
	/* And with no separator at all. */
	ck_assert_int_eq(msg_parse(&m, A, slice_make(q, MSG_MAX_HEADER_BYTES + 2)),
	                 MSG_E_HEADER_TOO_BIG);
}
END_TEST

START_TEST(msg_parse_keeps_a_line_without_colon_as_a_malformed_field)
{
	static const struct {
		const char *in;
		size_t len;
	} t[] = {
		/* 0 */ { IN("NoColonHere") },
		/* 1: empty name */
		/* */ { IN(": value") },
		/* 2: space inside the name */
		/* */ { IN("Sp ace: x") },
		/* 3: 8-bit byte in the name */
		/* */ { IN("N\xc3\xa4me: x") },
		/* 4: the colon is only on the continuation line */
		/* */ { IN("Subject\n : x") },
		/* 5: an mbox "From " line */
		/* */ { IN("From joe@example.org Mon Jan  1 00:00:00 2024") },
		/* 6: DEL in the name */
		/* */ { IN("X\x7f: y") },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		char buf[128];
		int len = snprintf(buf, sizeof buf, "From: a\n%.*s\nTo: b\n\nbody", (int)t[i].len,
		                   t[i].in);
		struct slice raw = exact(buf, (size_t)len);
		struct msg m;
		ck_assert_msg(msg_parse(&m, A, raw) == MSG_OK, "case %zu: not ok", i);
		ck_assert_msg(m.nhdr == 3, "case %zu: %zu fields", i, m.nhdr);
		ck_assert_msg(m.malformed_lines == 1, "case %zu: %zu malformed", i, m.malformed_lines);
		ck_assert_msg(m.hdr[1].name.len == 0 && m.hdr[1].value.len == 0,
		              "case %zu: malformed field has a name or value", i);
		ck_assert_msg(slice_eq(m.hdr[1].raw, slice_make(t[i].in, t[i].len)),
		              "case %zu: raw \"%.*s\"", i, (int)m.hdr[1].raw.len, m.hdr[1].raw.ptr);
		size_t pos = 0;
		ck_assert_msg(msg_find_next(&m, SLICE_LIT("To"), &pos) == 2, "case %zu: To lost", i);
		ck_assert_msg(msg_count(&m, SLICE_LIT("")) == 0,
		              "case %zu: an empty name must not match malformed fields", i);
		ASSERT_SLICE(i, m.body, "body");
	}
	/* WSP before the colon is allowed (RFC 5322 obs-optional). */
	struct msg m;
	ck_assert_int_eq(msg_parse(&m, A, exact(IN("Subject \t: hi\n\n"))), MSG_OK);
	ASSERT_SLICE(0, m.hdr[0].name, "Subject");
	ASSERT_SLICE(0, m.hdr[0].value, " hi");
	ck_assert_uint_eq(m.malformed_lines, 0);
}
END_TEST

START_TEST(msg_parse_keeps_a_continuation_line_at_the_very_start_as_malformed)
{
	struct slice raw = exact(IN(" folded: x\n\tmore\nFrom: a\n\nbody"));
	struct msg m;
	ck_assert_int_eq(msg_parse(&m, A, raw), MSG_OK);
	ck_assert_uint_eq(m.nhdr, 2);
	ck_assert_uint_eq(m.malformed_lines, 1);
	ASSERT_SLICE(0, m.hdr[0].raw, " folded: x\n\tmore");
	ck_assert_uint_eq(m.hdr[0].name.len, 0);
	ASSERT_SLICE(1, m.hdr[1].name, "From");
	ASSERT_SLICE(0, m.body, "body");

	/* Only a continuation line, with CRLF. */
	ck_assert_int_eq(msg_parse(&m, A, exact(IN("\t\r\n"))), MSG_OK);
	ck_assert_uint_eq(m.nhdr, 1);
	ck_assert_uint_eq(m.malformed_lines, 1);
	ck_assert(m.no_separator);
}
END_TEST

START_TEST(msg_find_walks_fields_case_insensitively_both_ways)
{
	struct slice raw = exact(IN("Received: 1\nFrom: a\nRECEIVED: 2\nreceived: 3\n"
	                            "Received-SPF: pass\n\n"));
	struct msg m;
	ck_assert_int_eq(msg_parse(&m, A, raw), MSG_OK);
	ck_assert_uint_eq(msg_count(&m, SLICE_LIT("received")), 3);
	ck_assert_uint_eq(msg_count(&m, SLICE_LIT("Received-SPF")), 1);
	ck_assert_uint_eq(msg_count(&m, SLICE_LIT("Receive")), 0);
	ck_assert_uint_eq(msg_count(&m, SLICE_LIT("Subject")), 0);

	static const long fwd[] = { 0, 2, 3, -1 };
	size_t pos = 0;
	for (size_t i = 0; i < 4; i++) {
		long got = msg_find_next(&m, SLICE_LIT("Received"), &pos);
		ck_assert_msg(got == fwd[i], "case %zu: got %ld", i, got);
	}
	/* Bottom-up, as RFC 6376 5.4.2 selects repeated fields. */
	static const long back[] = { 3, 2, 0, -1 };
	pos = m.nhdr;
	for (size_t i = 0; i < 4; i++) {
		long got = msg_find_prev(&m, SLICE_LIT("received"), &pos);
		ck_assert_msg(got == back[i], "case %zu: got %ld", i, got);
	}
	/* A position beyond the end is clamped. */
	pos = 1000;
	ck_assert_int_eq(msg_find_prev(&m, SLICE_LIT("from"), &pos), 1);
	pos = 1000;
	ck_assert_int_eq(msg_find_next(&m, SLICE_LIT("from"), &pos), -1);
}
END_TEST

START_TEST(msg_add_header_builds_the_same_message_as_msg_parse)
{
	/* Exim's header_list entries: LF-terminated, folding kept. */
	static const char *const entries[] = {
		"Received: from x\n\tby y; Mon, 1 Jan 2024 00:00:00 +0000\n",
		"From: Joe <joe@example.org>\n",
		"Subject: hi\n there\n",
		"DKIM-Signature: v=1; d=example.org;\n\tb=abc\n",
	};
	struct msg built;
	msg_init(&built, A);
	size_t total = 0;
	for (size_t i = 0; i < 4; i++) {
		ck_assert_int_eq(msg_add_header(&built, exact(entries[i], strlen(entries[i]))),
		                 MSG_OK);
		total += strlen(entries[i]);
	}
	msg_set_body(&built, SLICE_LIT("body\n"));

	struct slice whole = exact(IN("Received: from x\n\tby y; Mon, 1 Jan 2024 00:00:00 +0000\n"
	                              "From: Joe <joe@example.org>\n"
	                              "Subject: hi\n there\n"
	                              "DKIM-Signature: v=1; d=example.org;\n\tb=abc\n"
	                              "\n"
	                              "body\n"));
	struct msg parsed;
	ck_assert_int_eq(msg_parse(&parsed, A, whole), MSG_OK);
	ck_assert_uint_eq(built.nhdr, parsed.nhdr);
	ck_assert_uint_eq(built.header_bytes, total);
	ck_assert_uint_eq(built.header_bytes, parsed.header_bytes);
	for (size_t k = 0; k < built.nhdr; k++) {
		ck_assert_msg(slice_eq(built.hdr[k].raw, parsed.hdr[k].raw), "case %zu: raw", k);
		ck_assert_msg(slice_eq(built.hdr[k].name, parsed.hdr[k].name), "case %zu: name", k);
		ck_assert_msg(slice_eq(built.hdr[k].value, parsed.hdr[k].value), "case %zu: value", k);
	}
	ck_assert(slice_eq(built.body, parsed.body));

	/* CRLF, no line end, and a malformed entry. */
	struct msg m;
	msg_init(&m, A);
	ck_assert_int_eq(msg_add_header(&m, exact(IN("X: y\r\n"))), MSG_OK);
	ck_assert_int_eq(msg_add_header(&m, exact(IN("Z: w"))), MSG_OK);
	ck_assert_int_eq(msg_add_header(&m, exact(IN("garbage\n"))), MSG_OK);
	ck_assert_int_eq(msg_add_header(&m, exact(IN(""))), MSG_OK);
	ASSERT_SLICE(0, m.hdr[0].raw, "X: y");
	ASSERT_SLICE(1, m.hdr[1].value, " w");
	ASSERT_SLICE(2, m.hdr[2].raw, "garbage");
	ck_assert_uint_eq(m.hdr[3].raw.len, 0);
	ck_assert_uint_eq(m.malformed_lines, 2);
	/* Only one line end is stripped. */
	ck_assert_int_eq(msg_add_header(&m, exact(IN("Q: 1\n\n"))), MSG_OK);
	ASSERT_SLICE(4, m.hdr[4].raw, "Q: 1\n");
	ck_assert_uint_eq(m.body.len, 0);
}
END_TEST

START_TEST(msg_add_header_enforces_the_same_limits)
{
	struct msg m;
	msg_init(&m, A);
	struct slice f = exact(IN("X: v\n"));
	for (size_t i = 0; i < MSG_MAX_HEADERS; i++)
		ck_assert_int_eq(msg_add_header(&m, f), MSG_OK);
	ck_assert_int_eq(msg_add_header(&m, f), MSG_E_TOO_MANY_HEADERS);
	ck_assert_uint_eq(m.nhdr, MSG_MAX_HEADERS);

	/* Line length: a folded entry whose second line is too long. */
	size_t n = MSG_MAX_LINE_BYTES + 8;
	char *p = malloc(n);
	ck_assert_ptr_nonnull(p);
	ck_assert(arena_defer(A, free, p));
	memset(p, 'a', n);
	memcpy(p, "X: 1\n ", 6);
	msg_init(&m, A);
	ck_assert_int_eq(msg_add_header(&m, slice_make(p, 5 + MSG_MAX_LINE_BYTES)), MSG_OK);
	ck_assert_int_eq(msg_add_header(&m, slice_make(p, 5 + MSG_MAX_LINE_BYTES + 1)),
	                 MSG_E_LINE_TOO_LONG);
	ck_assert_uint_eq(m.nhdr, 1);

	/* Header bytes: fill up to the limit with 1 MB fields, then one more
	 * byte is refused. */
	msg_init(&m, A);
	memset(p, 'a', n);
	memcpy(p, "X: ", 3);
	size_t chunk = MSG_MAX_HEADER_BYTES / 4;
	ck_assert_uint_le(chunk - 1, MSG_MAX_LINE_BYTES);
	p[chunk - 1] = '\n';
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(msg_add_header(&m, slice_make(p, chunk)), MSG_OK);
	ck_assert_uint_eq(m.header_bytes, MSG_MAX_HEADER_BYTES);
	ck_assert_int_eq(msg_add_header(&m, slice_make("Y", 1)), MSG_E_HEADER_TOO_BIG);
	ck_assert_uint_eq(m.nhdr, 4);
}
END_TEST

START_TEST(msg_load_file_reads_files_and_standard_input)
{
	static const char text[] = "From: a\r\nSubject: s\r\n\r\nbody\r\n";
	char *path = testutil_write_temp(text, sizeof text - 1, ".eml");
	ck_assert_ptr_nonnull(path);
	char err[256] = "x";
	struct msg m;
	ck_assert_int_eq(msg_load_file(&m, A, path, err, sizeof err), MSG_OK);
	ck_assert_str_eq(err, "");
	ck_assert_uint_eq(m.nhdr, 2);
	ASSERT_SLICE(0, m.hdr[1].raw, "Subject: s");
	ASSERT_SLICE(0, m.body, "body\r\n");

	/* "-" is standard input (a file here; the fork of each check test
	 * keeps the redirection local). */
	int fd = open(path, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	int saved = dup(STDIN_FILENO);
	ck_assert_int_ge(saved, 0);
	ck_assert_int_ge(dup2(fd, STDIN_FILENO), 0);
	close(fd);
	ck_assert_int_eq(msg_load_file(&m, A, "-", err, sizeof err), MSG_OK);
	ck_assert_uint_eq(m.nhdr, 2);
	ASSERT_SLICE(0, m.body, "body\r\n");
	dup2(saved, STDIN_FILENO);
	close(saved);

	unlink(path);
	free(path);

	/* A pipe (size unknown) larger than the first read buffer. */
	int pfd[2];
	ck_assert_int_eq(pipe(pfd), 0);
	size_t big = 300000;
	char *payload = malloc(big);
	ck_assert_ptr_nonnull(payload);
	memset(payload, 'x', big);
	memcpy(payload, "A: 1\n\n", 6);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(pfd[0]);
		size_t off = 0;
		while (off < big) {
			ssize_t w = write(pfd[1], payload + off, big - off);
			if (w <= 0)
				_exit(1);
			off += (size_t)w;
		}
		_exit(0);
	}
	close(pfd[1]);
	free(payload);
	saved = dup(STDIN_FILENO);
	ck_assert_int_ge(dup2(pfd[0], STDIN_FILENO), 0);
	close(pfd[0]);
	ck_assert_int_eq(msg_load_file(&m, A, "-", err, sizeof err), MSG_OK);
	ck_assert_uint_eq(m.nhdr, 1);
	ck_assert_uint_eq(m.body.len, big - 6);
	dup2(saved, STDIN_FILENO);
	close(saved);
	int wst;
	ck_assert_int_eq(waitpid(pid, &wst, 0), pid);
	ck_assert(WIFEXITED(wst) && WEXITSTATUS(wst) == 0);
}
END_TEST

START_TEST(msg_load_file_reports_io_errors_with_the_path)
{
	char err[256];
	struct msg m;
	ck_assert_int_eq(msg_load_file(&m, A, "/nonexistent/mailauth/x.eml", err, sizeof err),
	                 MSG_E_IO);
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent/mailauth/x.eml"));
	ck_assert_uint_eq(m.nhdr, 0);
	/* A directory cannot be read. */
	ck_assert_int_eq(msg_load_file(&m, A, "/", err, sizeof err), MSG_E_IO);
	ck_assert_ptr_nonnull(strstr(err, "/"));
	/* A tiny err buffer is still NUL-terminated; NULL is allowed. */
	char tiny[4];
	ck_assert_int_eq(msg_load_file(&m, A, "/nonexistent", tiny, sizeof tiny), MSG_E_IO);
	ck_assert_uint_lt(strlen(tiny), sizeof tiny);
	ck_assert_int_eq(msg_load_file(&m, A, "/nonexistent", NULL, 0), MSG_E_IO);

	/* An empty file is an empty message. */
	char *path = testutil_write_temp("", 0, ".eml");
	ck_assert_ptr_nonnull(path);
	ck_assert_int_eq(msg_load_file(&m, A, path, err, sizeof err), MSG_OK);
	ck_assert_uint_eq(m.nhdr, 0);
	ck_assert(m.no_separator);
	unlink(path);
	free(path);

	/* A file larger than the arena's cap: an operational failure. */
	size_t big = 200000;
	char *data = malloc(big);
	ck_assert_ptr_nonnull(data);
	memset(data, 'a', big);
	path = testutil_write_temp(data, big, ".eml");
	free(data);
	ck_assert_ptr_nonnull(path);
	struct arena *small = arena_new(64 * 1024);
	ck_assert_ptr_nonnull(small);
	ck_assert_int_eq(msg_load_file(&m, small, path, err, sizeof err), MSG_E_NOMEM);
	ck_assert_ptr_nonnull(strstr(err, path));
	arena_free(small);
	unlink(path);
	free(path);
}
END_TEST

/* Random messages from a small alphabet: the result is always defined and
 * the fields tile the header section in order, inside the input. */
static uint32_t rng_state;
static uint32_t rng(void)
{
	rng_state = rng_state * 1103515245u + 12345u;
	return rng_state >> 8;
}

START_TEST(msg_parse_survives_random_garbage)
{
	static const char alpha[] = "aZ: \t\r\n\n\n:\0\xff-";
	rng_state = 4242;
	for (size_t i = 0; i < 20000; i++) {
		char tmp[96];
		size_t len = rng() % sizeof tmp;
		for (size_t j = 0; j < len; j++)
			tmp[j] = (i % 3 == 0) ? (char)(rng() & 0xff) : alpha[rng() % (sizeof alpha - 1)];
		struct slice raw = exact(tmp, len);
		struct msg m;
		ck_assert_msg(msg_parse(&m, A, raw) == MSG_OK, "input %zu: not ok", i);
		const char *prev_end = raw.ptr;
		size_t malformed = 0;
		for (size_t k = 0; k < m.nhdr; k++) {
			const struct msg_header *h = &m.hdr[k];
			ck_assert_msg(within(h->raw, raw), "input %zu field %zu: raw outside", i, k);
			ck_assert_msg(h->raw.ptr >= prev_end, "input %zu field %zu: overlap", i, k);
			prev_end = h->raw.ptr + h->raw.len;
			if (h->name.len == 0) {
				malformed++;
				ck_assert_msg(h->value.len == 0, "input %zu field %zu: value", i, k);
				continue;
			}
			ck_assert_msg(h->name.ptr == h->raw.ptr, "input %zu field %zu: name start", i, k);
			for (size_t j = 0; j < h->name.len; j++) {
				unsigned char c = (unsigned char)h->name.ptr[j];
				ck_assert_msg(c >= 33 && c <= 126 && c != ':', "input %zu: bad name byte",
				              i);
			}
			ck_assert_msg(within(h->value, h->raw) &&
			                      h->value.ptr + h->value.len == h->raw.ptr + h->raw.len,
			              "input %zu field %zu: value not the tail of raw", i, k);
			ck_assert_msg(h->value.ptr[-1] == ':', "input %zu field %zu: no colon", i, k);
		}
		ck_assert_msg(malformed == m.malformed_lines, "input %zu: malformed count", i);
		ck_assert_msg(within(m.body, raw) && m.body.ptr >= prev_end, "input %zu: body", i);
		ck_assert_msg(m.header_bytes <= len, "input %zu: header bytes", i);
		if (!m.no_separator)
			ck_assert_msg(m.body.ptr + m.body.len == raw.ptr + raw.len,
			              "input %zu: body does not reach the end", i);
		/* Every field unfolds. */
		for (size_t k = 0; k < m.nhdr; k++)
			ck_assert_msg(msg_unfold(A, m.hdr[k].value).ptr != NULL, "input %zu: unfold", i);
	}
}
END_TEST

START_TEST(msg_parse_reports_nomem_when_the_arena_is_full)
{
	struct arena *small = arena_new(64);
	ck_assert_ptr_nonnull(small);
	struct msg m;
	ck_assert_int_eq(msg_parse(&m, small, exact(IN("A: 1\n\n"))), MSG_E_NOMEM);
	ck_assert_ptr_null(msg_unfold(small, SLICE_LIT("a rather long value that does not fit "
	                                                "into sixty-four bytes of arena at all"))
	                           .ptr);
	arena_free(small);
}
END_TEST

START_TEST(msg_status_str_names_every_status)
{
	const enum msg_status all[] = { MSG_OK,         MSG_E_TOO_MANY_HEADERS,
		                        MSG_E_HEADER_TOO_BIG, MSG_E_LINE_TOO_LONG,
		                        MSG_E_NOMEM,    MSG_E_IO };
	for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
		const char *s = msg_status_str(all[i]);
		ck_assert_msg(s && s[0], "case %zu: empty", i);
		for (size_t j = 0; j < i; j++)
			ck_assert_msg(strcmp(s, msg_status_str(all[j])) != 0, "case %zu: same as %zu", i,
			              j);
	}
}
END_TEST

static Suite *msg_suite(void)
{
	Suite *s = suite_create("msg");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, msg_parse_splits_a_simple_message_into_fields_and_body);
	tcase_add_test(tc, msg_parse_keeps_folding_in_raw_and_unfolds_on_request);
	tcase_add_test(tc, msg_unfold_removes_only_line_ends_followed_by_wsp);
	tcase_add_test(tc, msg_parse_without_separator_makes_everything_header);
	tcase_add_test(tc, msg_parse_finds_the_separator_with_either_line_end);
	tcase_add_test(tc, msg_parse_gives_identical_results_for_crlf_and_lf);
	tcase_add_test(tc, msg_parse_accepts_a_header_line_of_exactly_the_line_limit);
	tcase_add_test(tc, msg_parse_rejects_a_header_line_above_the_line_limit);
	tcase_add_test(tc, msg_parse_does_not_limit_body_lines);
	tcase_add_test(tc, msg_parse_keeps_nul_bytes_in_values_and_body);
	tcase_add_test(tc, msg_parse_treats_a_bare_cr_as_an_ordinary_byte);
	tcase_add_test(tc, msg_parse_rejects_ten_thousand_headers);
	tcase_add_test(tc, msg_parse_handles_a_folded_forever_header);
	tcase_add_test(tc, msg_parse_keeps_a_line_without_colon_as_a_malformed_field);
	tcase_add_test(tc, msg_parse_keeps_a_continuation_line_at_the_very_start_as_malformed);
	tcase_add_test(tc, msg_find_walks_fields_case_insensitively_both_ways);
	tcase_add_test(tc, msg_add_header_builds_the_same_message_as_msg_parse);
	tcase_add_test(tc, msg_add_header_enforces_the_same_limits);
	tcase_add_test(tc, msg_load_file_reads_files_and_standard_input);
	tcase_add_test(tc, msg_load_file_reports_io_errors_with_the_path);
	tcase_add_test(tc, msg_parse_survives_random_garbage);
	tcase_add_test(tc, msg_parse_reports_nomem_when_the_arena_is_full);
	tcase_add_test(tc, msg_status_str_names_every_status);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(msg_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
