/* spf_record.c — SPF record parser (RFC 7208 4.5, 4.6, 5, 6, 12).
 * See spf_record.h for the grammar and the decisions taken.  One recognizer
 * per ABNF rule; the record is validated completely before it is returned.
 * Time is linear in the record length. */
#include "spf_record.h"

#include <string.h>

#include "mailauth_limits.h"
#include "spf_addr.h"
#include "spf_macro.h"

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

bool spf_record_is_spf1(struct slice txt)
{
	static const struct slice v = SLICE_LIT("v=spf1");
	if (!slice_starts_with_ci(txt, v))
		return false;
	return txt.len == v.len || txt.ptr[v.len] == ' ';
}

const char *spf_mech_kind_str(enum spf_mech_kind k)
{
	switch (k) {
	case SPF_MECH_ALL: return "all";
	case SPF_MECH_INCLUDE: return "include";
	case SPF_MECH_A: return "a";
	case SPF_MECH_MX: return "mx";
	case SPF_MECH_PTR: return "ptr";
	case SPF_MECH_IP4: return "ip4";
	case SPF_MECH_IP6: return "ip6";
	case SPF_MECH_EXISTS: return "exists";
	}
	return "?";
}

bool spf_mech_queries_dns(enum spf_mech_kind k)
{
	return k == SPF_MECH_INCLUDE || k == SPF_MECH_A || k == SPF_MECH_MX || k == SPF_MECH_PTR ||
	       k == SPF_MECH_EXISTS;
}

/* A CIDR length: "0" / %x31-39 0*n DIGIT with value <= max. */
static bool parse_cidr(struct slice d, unsigned max, unsigned *out)
{
	uint64_t v;
	if (d.len == 0 || (d.len > 1 && d.ptr[0] == '0'))
		return false;
	if (!slice_parse_u64(d, max, &v))
		return false;
	*out = (unsigned)v;
	return true;
}

/* Length of a trailing "/" 1*DIGIT of s (the slash included), 0 if none. */
static size_t trailing_slash_digits(struct slice s)
{
	size_t i = s.len;
	while (i > 0 && is_digit(s.ptr[i - 1]))
		i--;
	if (i == s.len || i == 0 || s.ptr[i - 1] != '/')
		return 0;
	return s.len - i + 1;
}

struct parse_err {
	const char *why;
};

static bool fail(struct parse_err *e, const char *why)
{
	e->why = why;
	return false;
}

/* a / mx: [ ":" domain-spec ] [ dual-cidr-length ], rest = after the name. */
static bool parse_domain_dual_cidr(struct slice rest, struct spf_mech *m, struct parse_err *e)
{
	size_t n;
	m->cidr4 = 32;
	m->cidr6 = 128;
	/* A valid domain-end never ends in "/" DIGITs, so a trailing CIDR is
	 * unambiguous (RFC 7208 5.3, 5.4: "a:foo/24", "a:foo//64"). */
	n = trailing_slash_digits(rest);
	if (n && rest.len > n && rest.ptr[rest.len - n - 1] == '/') {
		/* "//" DIGITs: the IPv6 length */
		if (!parse_cidr(slice_sub(rest, rest.len - n + 1, rest.len), 128, &m->cidr6))
			return fail(e, "invalid IPv6 CIDR length");
		rest.len -= n + 1;
		n = trailing_slash_digits(rest);
	}
	if (n) {
		if (!parse_cidr(slice_sub(rest, rest.len - n + 1, rest.len), 32, &m->cidr4))
			return fail(e, "invalid IPv4 CIDR length");
		rest.len -= n;
	}
	if (rest.len == 0)
		return true;
	if (rest.ptr[0] != ':')
		return fail(e, "unexpected text after mechanism name");
	m->domain_spec = slice_sub(rest, 1, rest.len);
	const char *why;
	if (!spf_macro_valid(m->domain_spec, SPF_MACRO_DOMAIN, &why))
		return fail(e, why);
	return true;
}

/* include / exists: ":" domain-spec (required); ptr: optional. */
static bool parse_domain(struct slice rest, bool required, struct spf_mech *m, struct parse_err *e)
{
	if (rest.len == 0) {
		if (required)
			return fail(e, "mechanism needs a domain-spec");
		return true;
	}
	if (rest.ptr[0] != ':')
		return fail(e, "unexpected text after mechanism name");
	m->domain_spec = slice_sub(rest, 1, rest.len);
	const char *why;
	if (!spf_macro_valid(m->domain_spec, SPF_MACRO_DOMAIN, &why))
		return fail(e, why);
	return true;
}

static bool parse_ip(struct slice rest, bool v6, struct spf_mech *m, struct parse_err *e)
{
	if (rest.len == 0 || rest.ptr[0] != ':')
		return fail(e, v6 ? "ip6 needs an address" : "ip4 needs an address");
	rest = slice_sub(rest, 1, rest.len);
	struct slice net = rest, cidr = SLICE_NULL;
	bool has_cidr = slice_split_byte(rest, '/', &net, &cidr);
	m->cidr4 = 32;
	m->cidr6 = 128;
	if (v6) {
		if (!spf_addr_parse_ip6(net, m->net))
			return fail(e, "invalid IPv6 address");
		if (has_cidr && !parse_cidr(cidr, 128, &m->cidr6))
			return fail(e, "invalid IPv6 CIDR length");
	} else {
		if (!spf_addr_parse_ip4(net, m->net))
			return fail(e, "invalid IPv4 address");
		if (has_cidr && !parse_cidr(cidr, 32, &m->cidr4))
			return fail(e, "invalid IPv4 CIDR length");
	}
	return true;
}

static bool parse_directive(struct slice term, struct spf_mech *m, struct parse_err *e)
{
	static const struct {
		const char *name;
		enum spf_mech_kind kind;
	} names[] = {
		{ "all", SPF_MECH_ALL },       { "include", SPF_MECH_INCLUDE }, { "a", SPF_MECH_A },
		{ "mx", SPF_MECH_MX },         { "ptr", SPF_MECH_PTR },         { "ip4", SPF_MECH_IP4 },
		{ "ip6", SPF_MECH_IP6 },       { "exists", SPF_MECH_EXISTS },
	};
	memset(m, 0, sizeof *m);
	m->text = term;
	m->qual = SPF_QUAL_PASS;
	struct slice s = term;
	switch (s.ptr[0]) {
	case '+': m->qual = SPF_QUAL_PASS; break;
	case '-': m->qual = SPF_QUAL_FAIL; break;
	case '~': m->qual = SPF_QUAL_SOFTFAIL; break;
	case '?': m->qual = SPF_QUAL_NEUTRAL; break;
	default: goto noqual;
	}
	s = slice_sub(s, 1, s.len);
noqual:;
	size_t i = 0;
	while (i < s.len && s.ptr[i] != ':' && s.ptr[i] != '/')
		i++;
	struct slice name = slice_sub(s, 0, i), rest = slice_sub(s, i, s.len);
	size_t k;
	for (k = 0; k < sizeof names / sizeof names[0]; k++)
		if (slice_eq_cstr_ci(name, names[k].name))
			break;
	if (k == sizeof names / sizeof names[0])
		return fail(e, "unknown mechanism");
	m->kind = names[k].kind;
	switch (m->kind) {
	case SPF_MECH_ALL:
		if (rest.len)
			return fail(e, "\"all\" takes no argument");
		return true;
	case SPF_MECH_INCLUDE:
	case SPF_MECH_EXISTS:
		return parse_domain(rest, true, m, e);
	case SPF_MECH_PTR:
		return parse_domain(rest, false, m, e);
	case SPF_MECH_A:
	case SPF_MECH_MX:
		return parse_domain_dual_cidr(rest, m, e);
	case SPF_MECH_IP4:
		return parse_ip(rest, false, m, e);
	case SPF_MECH_IP6:
		return parse_ip(rest, true, m, e);
	}
	return fail(e, "unknown mechanism");
}

/* name "=" ... : returns the length of name, 0 when term is no modifier. */
static size_t modifier_name_len(struct slice term)
{
	if (term.len == 0 || !is_alpha(term.ptr[0]))
		return 0;
	size_t i = 1;
	while (i < term.len) {
		char c = term.ptr[i];
		if (is_alpha(c) || is_digit(c) || c == '-' || c == '_' || c == '.')
			i++;
		else
			break;
	}
	return (i < term.len && term.ptr[i] == '=') ? i : 0;
}

enum spf_record_status spf_record_parse(struct arena *a, struct slice txt, struct spf_record *out,
                                        const char **why, struct slice *bad)
{
	struct parse_err e = { NULL };
	struct slice badterm = SLICE_NULL;
	const char *dummy_why;
	struct slice dummy_bad;
	if (!why)
		why = &dummy_why;
	if (!bad)
		bad = &dummy_bad;
	*why = NULL;
	*bad = SLICE_NULL;
	memset(out, 0, sizeof *out);

	if (txt.len > SPF_MAX_RECORD_BYTES) {
		*why = "record longer than the local limit SPF_MAX_RECORD_BYTES";
		return SPF_RECORD_SYNTAX;
	}
	if (!spf_record_is_spf1(txt)) {
		*why = "not a v=spf1 record";
		return SPF_RECORD_SYNTAX;
	}
	struct slice body = slice_sub(txt, 6, txt.len);

	/* Count the terms to size the array. */
	size_t nterms = 0;
	for (size_t i = 0; i < body.len; i++)
		if (body.ptr[i] != ' ' && (i == 0 || body.ptr[i - 1] == ' '))
			nterms++;
	if (nterms) {
		out->mech = arena_calloc(a, nterms, sizeof *out->mech);
		if (!out->mech)
			return SPF_RECORD_NOMEM;
	}

	size_t i = 0;
	while (i < body.len) {
		if (body.ptr[i] == ' ') {
			i++;
			continue;
		}
		size_t j = i;
		while (j < body.len && body.ptr[j] != ' ')
			j++;
		struct slice term = slice_sub(body, i, j);
		i = j;
		badterm = term;

		for (size_t k = 0; k < term.len; k++) {
			unsigned char c = (unsigned char)term.ptr[k];
			if (c < 0x21 || c > 0x7e) {
				e.why = c >= 0x80 ? "non-ASCII byte in record" : "control byte in record";
				goto syntax;
			}
		}

		size_t nl = modifier_name_len(term);
		if (nl) {
			struct slice name = slice_sub(term, 0, nl), val = slice_sub(term, nl + 1, term.len);
			const char *w;
			if (slice_eq_cstr_ci(name, "redirect") || slice_eq_cstr_ci(name, "exp")) {
				bool is_redirect = slice_eq_cstr_ci(name, "redirect");
				if (is_redirect ? out->has_redirect : out->has_exp) {
					e.why = is_redirect ? "redirect= appears twice" : "exp= appears twice";
					goto syntax;
				}
				if (!spf_macro_valid(val, SPF_MACRO_DOMAIN, &w)) {
					e.why = w;
					goto syntax;
				}
				if (is_redirect) {
					out->has_redirect = true;
					out->redirect = val;
				} else {
					out->has_exp = true;
					out->exp = val;
				}
			} else if (!spf_macro_valid(val, SPF_MACRO_MODIFIER, &w)) {
				e.why = w;
				goto syntax;
			}
			continue;
		}
		struct spf_mech *m = &out->mech[out->n_mech];
		if (!parse_directive(term, m, &e))
			goto syntax;
		out->n_mech++;
		if (spf_mech_queries_dns(m->kind))
			out->n_dns_terms++;
	}
	if (out->has_redirect)
		out->n_dns_terms++;
	return SPF_RECORD_OK;

syntax:
	*why = e.why ? e.why : "syntax error";
	*bad = badterm;
	return SPF_RECORD_SYNTAX;
}
