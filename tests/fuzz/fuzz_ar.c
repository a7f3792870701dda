/* fuzz_ar.c — fuzz target for Authentication-Results (shared/ar.h,
 * RFC 8601): the authserv-id parser run on the whole input as a field
 * value, and the builder fed with pieces of the input as the attacker-
 * controlled texts it writes (comments, reason=, property values), whose
 * output is then checked against the RFC 8601 grammar.
 *
 * Input layout for the builder: the input split at 0xFF bytes gives, in
 * order, authserv-id, comment, reason, SPF identity, header.d, header.i,
 * header.s, header.a, header.b, remote-ip, a method word and a result word
 * (missing pieces are empty).
 *
 * Properties checked: the parser's id is a non-empty token from the input
 * or a decoded quoted-string, and ar_claims_authserv_id agrees with it;
 * the builder's field is "Authentication-Results:" followed by a value
 * that (1) holds only printable ASCII, SP, HTAB and folds (a line end
 * always followed by WSP: no header injection), (2) matches authres-payload
 * of RFC 8601 section 2.2 (with RFC 2045 tokens and RFC 5322 quoted
 * strings, comments and dot-atoms), and (3) gives back the authserv-id
 * when ar_parse_authserv_id reads it.
 * Corpus: tests/fuzz/corpus/ar.  Ownership: tests/fuzz (fuzz harness).
 */
#include <string.h>

#include "ar.h"
#include "fuzzutil.h"
#include "mailauth_limits.h"

/* ---- a small recognizer for RFC 8601 2.2, used on unfolded text ---- */

struct rd {
	const char *p, *end;
};

static bool rd_tspecial(unsigned char c)
{
	return memchr("()<>@,;:\\\"/[]?=", c, 15) != NULL;
}

static bool rd_token_char(unsigned char c)
{
	return c > 0x20 && c < 0x7f && !rd_tspecial(c);
}

static bool rd_alnum(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool rd_atext(unsigned char c)
{
	return rd_alnum(c) || (c != 0 && memchr("!#$%&'*+-/=?^_`{|}~", c, 19) != NULL);
}

/* CFWS; false on an unterminated comment. */
static bool rd_cfws(struct rd *r)
{
	while (r->p < r->end) {
		char c = *r->p;
		if (c == ' ' || c == '\t') {
			r->p++;
			continue;
		}
		if (c != '(')
			return true;
		int depth = 0;
		while (r->p < r->end) {
			c = *r->p;
			if (c == '\\') {
				if (r->end - r->p < 2)
					return false;
				r->p += 2;
				continue;
			}
			r->p++;
			if (c == '(')
				depth++;
			else if (c == ')' && --depth == 0)
				break;
		}
		if (depth != 0)
			return false;
	}
	return true;
}

static bool rd_quoted(struct rd *r)
{
	if (r->p >= r->end || *r->p != '"')
		return false;
	r->p++;
	while (r->p < r->end) {
		char c = *r->p;
		if (c == '\\') {
			if (r->end - r->p < 2)
				return false;
			r->p += 2;
			continue;
		}
		r->p++;
		if (c == '"')
			return true;
	}
	return false;
}

static bool rd_token(struct rd *r)
{
	const char *s = r->p;
	while (r->p < r->end && rd_token_char((unsigned char)*r->p))
		r->p++;
	return r->p > s;
}

/* Keyword = ldh-str */
static bool rd_keyword(struct rd *r)
{
	const char *s = r->p;
	while (r->p < r->end && (rd_alnum((unsigned char)*r->p) || *r->p == '-'))
		r->p++;
	return r->p > s && s[0] != '-' && r->p[-1] != '-';
}

static bool rd_value(struct rd *r)
{
	return (r->p < r->end && *r->p == '"') ? rd_quoted(r) : rd_token(r);
}

static bool rd_expect(struct rd *r, char c)
{
	if (r->p < r->end && *r->p == c) {
		r->p++;
		return true;
	}
	return false;
}

/* pvalue = [CFWS] ( value / [ [ local-part ] "@" ] domain-name ) [CFWS];
 * local-part as dot-atom or quoted-string. */
static bool rd_pvalue(struct rd *r)
{
	if (!rd_cfws(r))
		return false;
	const char *save = r->p;
	/* [ [local-part] "@" ] domain-name */
	struct rd t = *r;
	bool local = true;
	if (t.p < t.end && *t.p == '"') {
		local = rd_quoted(&t);
	} else {
		const char *s = t.p;
		while (t.p < t.end && (rd_atext((unsigned char)*t.p) || *t.p == '.'))
			t.p++;
		/* dot-atom: no leading, trailing or double dots (may be empty). */
		for (const char *q = s; q < t.p; q++)
			if (*q == '.' && (q == s || q + 1 == t.p || q[1] == '.'))
				local = false;
	}
	if (local && t.p < t.end && *t.p == '@') {
		t.p++;
		const char *ds = t.p;
		while (t.p < t.end && (rd_alnum((unsigned char)*t.p) || *t.p == '-' || *t.p == '.'))
			t.p++;
		if (t.p > ds) {
			*r = t;
			return rd_cfws(r);
		}
	}
	r->p = save;
	if (!rd_value(r))
		return false;
	return rd_cfws(r);
}

/* authres-payload after "Authentication-Results:", unfolded. */
static bool rd_payload(struct rd *r, size_t *nres)
{
	*nres = 0;
	if (!rd_cfws(r) || !rd_value(r))
		return false;
	if (!rd_cfws(r))
		return false;
	if (r->p < r->end && *r->p >= '0' && *r->p <= '9') {
		while (r->p < r->end && *r->p >= '0' && *r->p <= '9')
			r->p++;
		if (!rd_cfws(r))
			return false;
	}
	if (!rd_expect(r, ';') || !rd_cfws(r))
		return false;
	if (r->end - r->p >= 4 && memcmp(r->p, "none", 4) == 0) {
		struct rd t = { r->p + 4, r->end };
		if (rd_cfws(&t) && t.p == t.end) {
			*r = t;
			return true;
		}
	}
	for (;;) {
		/* methodspec = [CFWS] method [CFWS] "=" [CFWS] result */
		if (!rd_keyword(r) || !rd_cfws(r) || !rd_expect(r, '=') || !rd_cfws(r) ||
		    !rd_keyword(r))
			return false;
		(*nres)++;
		if (!rd_cfws(r))
			return false;
		/* [ CFWS reasonspec ] */
		if (r->end - r->p >= 6 && memcmp(r->p, "reason", 6) == 0) {
			struct rd t = { r->p + 6, r->end };
			if (rd_cfws(&t) && rd_expect(&t, '=')) {
				if (!rd_cfws(&t) || !rd_value(&t) || !rd_cfws(&t))
					return false;
				*r = t;
			}
		}
		/* *propspec = ptype [CFWS] "." [CFWS] property [CFWS] "=" pvalue */
		while (r->p < r->end && *r->p != ';') {
			if (!rd_keyword(r) || !rd_cfws(r) || !rd_expect(r, '.') || !rd_cfws(r) ||
			    !rd_keyword(r) || !rd_cfws(r) || !rd_expect(r, '=') || !rd_pvalue(r))
				return false;
		}
		if (r->p == r->end)
			return true;
		r->p++; /* ';' */
		if (!rd_cfws(r))
			return false;
	}
}

/* ---- the target ---- */

#define FUZZ_AR_PIECES 12

static void fuzz_ar_parser(struct arena *a, struct slice in)
{
	struct slice id;
	unsigned version;
	enum ar_parse_status st = ar_parse_authserv_id(a, in, &id, &version);
	FUZZ_CHECK(st <= AR_PARSE_NOMEM);
	fuzz_touch(slice_from_cstr(ar_parse_status_str(st)));
	if (st == AR_PARSE_OK || st == AR_PARSE_MALFORMED) {
		FUZZ_CHECK(id.ptr != NULL && id.len > 0);
		fuzz_touch(id);
		FUZZ_CHECK(version <= 999999);
		if (st == AR_PARSE_OK)
			FUZZ_CHECK(ar_claims_authserv_id(a, in, id));
	} else {
		FUZZ_CHECK(!ar_claims_authserv_id(a, in, SLICE_LIT("mx.example.org")));
	}
}

static void fuzz_ar_builder(struct arena *a, struct slice in, bool crlf)
{
	struct slice pc[FUZZ_AR_PIECES];
	size_t np = 0;
	const char *s = in.ptr, *end = in.ptr + in.len;
	for (const char *p = in.ptr; p <= end && np < FUZZ_AR_PIECES; p++) {
		if (p == end || (unsigned char)*p == 0xff) {
			pc[np++] = slice_between(s, p);
			s = p + 1;
		}
	}
	while (np < FUZZ_AR_PIECES)
		pc[np++] = slice_make("", 0);

	struct ar_builder w;
	ar_begin(&w, a, pc[0], crlf);
	ar_add_spf(&w, "pass", pc[1], pc[3], pc[3].len & 1);
	ar_add_dkim(&w, "fail", pc[2], pc[4], pc[5], pc[6], pc[7], pc[8]);
	ar_add_arc(&w, "tmperror", pc[1], true, (unsigned)pc[9].len, pc[9]);
	char *method = arena_strndup(a, pc[10].ptr, pc[10].len);
	char *result = arena_strndup(a, pc[11].ptr, pc[11].len);
	if (method && result) {
		struct ar_prop prop = { "policy", method, pc[2] };
		struct ar_entry e = { method, result, pc[1], pc[2], &prop, 1 };
		ar_add(&w, &e);
	}
	struct slice field = ar_finish(&w);
	if (!field.ptr)
		return; /* out of memory or over AR_MAX_HEADER_BYTES */
	FUZZ_CHECK(field.len >= 23 && memcmp(field.ptr, "Authentication-Results:", 23) == 0);
	struct slice value = ar_value(&w);
	FUZZ_CHECK(value.ptr == field.ptr + 23 && value.len == field.len - 23);

	/* (1) bytes and folding; build the unfolded value on the way. */
	struct buf u;
	buf_init(&u, a, value.len + 1);
	for (size_t i = 0; i < value.len; i++) {
		unsigned char c = (unsigned char)value.ptr[i];
		if (c == '\r') {
			FUZZ_CHECK(crlf && i + 1 < value.len && value.ptr[i + 1] == '\n');
			continue;
		}
		if (c == '\n') {
			FUZZ_CHECK(crlf ? (i > 0 && value.ptr[i - 1] == '\r') : true);
			FUZZ_CHECK(i + 1 < value.len &&
			           (value.ptr[i + 1] == ' ' || value.ptr[i + 1] == '\t'));
			continue;
		}
		FUZZ_CHECK(c == ' ' || c == '\t' || (c >= 0x21 && c <= 0x7e));
		buf_add_byte(&u, (char)c);
	}
	if (u.err)
		return;
	/* (2) the grammar. */
	struct slice flat = buf_slice(&u);
	struct rd r = { flat.ptr, flat.ptr + flat.len };
	size_t nres;
	if (!rd_payload(&r, &nres) || r.p != r.end) {
		fprintf(stderr, "not RFC 8601 at offset %zu: [%.*s]\n", (size_t)(r.p - flat.ptr),
		        (int)flat.len, flat.ptr);
		FUZZ_CHECK(!"builder output is not an authres-payload");
	}
	FUZZ_CHECK(nres == (w.n_entries > 0 ? w.n_entries : 0) ||
	           (w.n_entries == 1 && nres == 0));
	/* (3) our own parser reads the authserv-id back. */
	struct slice id;
	unsigned version;
	enum ar_parse_status st = ar_parse_authserv_id(a, value, &id, &version);
	if (st == AR_PARSE_NOMEM)
		return;
	bool token = pc[0].len > 0 && pc[0].len <= AR_MAX_TEXT;
	for (size_t i = 0; i < pc[0].len && token; i++)
		token = rd_token_char((unsigned char)pc[0].ptr[i]);
	if (token) {
		FUZZ_CHECK(st == AR_PARSE_OK && slice_eq(id, pc[0]));
		FUZZ_CHECK(ar_claims_authserv_id(a, value, pc[0]));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena *a = arena_new(0);
	if (!a)
		return 0;
	struct slice in = fuzz_input(data, size);
	fuzz_ar_parser(a, in);
	fuzz_ar_builder(a, in, true);
	fuzz_ar_builder(a, in, false);
	arena_free(a);
	return 0;
}
