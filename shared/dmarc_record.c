/* dmarc_record.c — the DMARC Policy Record: RFC 9989 4.7 (tags), 4.8
 * (formal definition), 4.10.1 (records without a valid p=); the historic
 * RFC 7489 6.3 tags pct=, rf=, ri= for the compatibility mode.
 *
 * The record uses the RFC 6376 tag-list syntax, parsed by tag.c.  A record
 * that is a valid tag list is taken in one piece.  Otherwise RFC 9989 4.8
 * ("syntax errors in the remainder of the record MUST be discarded in favor
 * of default values") asks us to keep what can be kept: the text is cut at
 * each ';' (no DMARC value may contain one) and every piece is parsed as a
 * one-tag list on its own, so one bad tag loses only itself.
 *
 * Slices in struct dmarc_record point into the caller's TXT data; the URI
 * arrays live in the arena.
 */
#include "dmarc.h"

#include <string.h>

#include "tag.h"

static bool rec_is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

static bool rec_is_alpha(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool rec_is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static bool rec_is_hex(unsigned char c)
{
	return rec_is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static struct slice rec_trim_wsp(struct slice s)
{
	while (s.len && rec_is_wsp(s.ptr[0])) {
		s.ptr++;
		s.len--;
	}
	while (s.len && rec_is_wsp(s.ptr[s.len - 1]))
		s.len--;
	return s;
}

/* dmarc-request = "none" / "quarantine" / "reject" (ABNF literals are
 * case-insensitive, RFC 5234 2.3). */
static bool rec_parse_request(struct slice v, enum dmarc_policy *out)
{
	if (slice_eq_cstr_ci(v, "none"))
		*out = DMARC_POLICY_NONE;
	else if (slice_eq_cstr_ci(v, "quarantine"))
		*out = DMARC_POLICY_QUARANTINE;
	else if (slice_eq_cstr_ci(v, "reject"))
		*out = DMARC_POLICY_REJECT;
	else
		return false;
	return true;
}

/* obs-dmarc-report-size = "!" 1*DIGIT [ "k" / "m" / "g" / "t" ] */
static bool rec_valid_size(struct slice s)
{
	size_t i = 0;
	while (i < s.len && rec_is_digit((unsigned char)s.ptr[i]))
		i++;
	if (i == 0)
		return false;
	if (i == s.len)
		return true;
	if (i + 1 != s.len)
		return false;
	switch (s.ptr[i]) {
	case 'k': case 'K': case 'm': case 'M': case 'g': case 'G': case 't': case 'T':
		return true;
	}
	return false;
}

/* RFC 3986: scheme ":" then only unreserved, reserved or pct-encoded
 * characters.  Commas and '!' must be encoded inside a dmarc-uri (4.8), so
 * neither may appear here.  A light check: the RFC asks for "syntactically
 * valid" URIs and leaves unsupported schemes to be ignored later. */
static bool rec_valid_uri(struct slice u)
{
	size_t i = 0;
	if (u.len == 0 || !rec_is_alpha((unsigned char)u.ptr[0]))
		return false;
	while (i < u.len && u.ptr[i] != ':') {
		unsigned char c = (unsigned char)u.ptr[i];
		if (!rec_is_alpha(c) && !rec_is_digit(c) && c != '+' && c != '-' && c != '.')
			return false;
		i++;
	}
	if (i == u.len || i + 1 == u.len)
		return false; /* no ':' or nothing after it */
	for (i++; i < u.len; i++) {
		unsigned char c = (unsigned char)u.ptr[i];
		if (rec_is_alpha(c) || rec_is_digit(c))
			continue;
		if (c == '%') {
			if (i + 2 >= u.len || !rec_is_hex((unsigned char)u.ptr[i + 1]) ||
			    !rec_is_hex((unsigned char)u.ptr[i + 2]))
				return false;
			i += 2;
			continue;
		}
		if (memchr("-._~:/?#[]@$&'()*+;=", (int)c, 20) == NULL)
			return false;
	}
	return true;
}

/* dmarc-urilist = uri *(*WSP "," *WSP uri); the obsolete "!size" suffix is
 * dropped (4.8: reporters ignore it).  Keeps the valid URIs, at most
 * DMARC_MAX_REPORT_URIS; returns false only when out of memory. */
static bool rec_parse_urilist(struct arena *a, struct slice v, struct slice **out, size_t *n,
                              size_t *n_bad)
{
	*out = NULL;
	*n = 0;
	struct slice rest = v;
	bool more = true;
	while (more) {
		struct slice item;
		more = slice_split_byte(rest, ',', &item, &rest);
		item = rec_trim_wsp(item);
		const char *bang = NULL;
		for (size_t i = item.len; i-- > 0;) {
			if (item.ptr[i] == '!') {
				bang = item.ptr + i;
				break;
			}
		}
		if (bang) {
			struct slice size = slice_between(bang + 1, slice_end(item));
			if (!rec_valid_size(size)) {
				(*n_bad)++;
				continue;
			}
			item = slice_between(item.ptr, bang);
		}
		if (!rec_valid_uri(item)) {
			(*n_bad)++;
			continue;
		}
		if (*n == DMARC_MAX_REPORT_URIS) {
			(*n_bad)++;
			continue;
		}
		if (*out == NULL) {
			*out = arena_calloc(a, DMARC_MAX_REPORT_URIS, sizeof **out);
			if (!*out)
				return false;
		}
		(*out)[(*n)++] = item;
	}
	return true;
}

/* dmarc-fo: a colon-separated set of 0, 1, d, s; "0" and "1" exclusive,
 * none repeated. */
static bool rec_parse_fo(struct slice v, unsigned *out)
{
	unsigned set = 0;
	struct slice rest = v;
	bool more = true;
	while (more) {
		struct slice item;
		more = slice_split_byte(rest, ':', &item, &rest);
		item = rec_trim_wsp(item);
		unsigned bit;
		if (slice_eq_cstr_ci(item, "0"))
			bit = DMARC_FO_0;
		else if (slice_eq_cstr_ci(item, "1"))
			bit = DMARC_FO_1;
		else if (slice_eq_cstr_ci(item, "d"))
			bit = DMARC_FO_D;
		else if (slice_eq_cstr_ci(item, "s"))
			bit = DMARC_FO_S;
		else
			return false;
		if (set & bit)
			return false;
		set |= bit;
	}
	if ((set & DMARC_FO_0) && (set & DMARC_FO_1))
		return false;
	if (!(set & (DMARC_FO_0 | DMARC_FO_1 | DMARC_FO_D | DMARC_FO_S)))
		return false;
	*out = set;
	return true;
}

static void rec_ignore(struct dmarc_record *r, const char *why)
{
	r->n_ignored++;
	if (!r->note)
		r->note = why;
}

static void rec_defaults(struct dmarc_record *r, struct slice txt)
{
	memset(r, 0, sizeof *r);
	r->text = txt;
	r->p = r->sp = r->np = DMARC_POLICY_UNSPECIFIED;
	r->adkim = r->aspf = DMARC_ALIGN_RELAXED;
	r->psd = DMARC_PSD_U;
	r->fo = DMARC_FO_0;
	r->pct = 100;
	r->rf = SLICE_LIT("afrf");
	r->ri = 86400;
}

/* Apply one tag (not v).  dup: the name occurred more than once. */
static bool rec_apply(struct arena *a, struct dmarc_record *r, struct slice name,
                      struct slice value, bool dup)
{
	enum dmarc_policy pol;
	uint64_t num;

#define REC_IS(lit) slice_eq(name, SLICE_LIT(lit))
	if (REC_IS("p")) {
		if (dup || !rec_parse_request(value, &pol)) {
			r->p_invalid = true;
			rec_ignore(r, dup ? "p= given twice" : "invalid p=");
		} else {
			r->p = pol;
		}
	} else if (REC_IS("sp")) {
		if (dup || !rec_parse_request(value, &pol)) {
			r->sp_invalid = true;
			rec_ignore(r, dup ? "sp= given twice" : "invalid sp=");
		} else {
			r->sp = pol;
		}
	} else if (REC_IS("np")) {
		if (dup || !rec_parse_request(value, &pol)) {
			r->np_invalid = true;
			rec_ignore(r, dup ? "np= given twice" : "invalid np=");
		} else {
			r->np = pol;
		}
	} else if (REC_IS("adkim") || REC_IS("aspf")) {
		enum dmarc_align *dst = REC_IS("adkim") ? &r->adkim : &r->aspf;
		if (!dup && slice_eq_cstr_ci(value, "r"))
			*dst = DMARC_ALIGN_RELAXED;
		else if (!dup && slice_eq_cstr_ci(value, "s"))
			*dst = DMARC_ALIGN_STRICT;
		else
			rec_ignore(r, "invalid adkim= or aspf=");
	} else if (REC_IS("psd")) {
		if (!dup && slice_eq_cstr_ci(value, "y"))
			r->psd = DMARC_PSD_Y;
		else if (!dup && slice_eq_cstr_ci(value, "n"))
			r->psd = DMARC_PSD_N;
		else if (!dup && slice_eq_cstr_ci(value, "u"))
			r->psd = DMARC_PSD_U;
		else
			rec_ignore(r, "invalid psd=");
	} else if (REC_IS("t")) {
		if (!dup && slice_eq_cstr_ci(value, "y"))
			r->testing = true;
		else if (!dup && slice_eq_cstr_ci(value, "n"))
			r->testing = false;
		else
			rec_ignore(r, "invalid t=");
	} else if (REC_IS("fo")) {
		unsigned fo;
		if (!dup && rec_parse_fo(value, &fo))
			r->fo = fo;
		else
			rec_ignore(r, "invalid fo=");
	} else if (REC_IS("rua") || REC_IS("ruf")) {
		bool is_rua = REC_IS("rua");
		if (dup) {
			rec_ignore(r, "rua= or ruf= given twice");
		} else {
			size_t bad = 0;
			if (is_rua) {
				r->rua_present = true;
				if (!rec_parse_urilist(a, value, &r->rua, &r->n_rua, &bad))
					return false;
			} else {
				r->ruf_present = true;
				if (!rec_parse_urilist(a, value, &r->ruf, &r->n_ruf, &bad))
					return false;
			}
			if (bad)
				rec_ignore(r, "invalid reporting URI");
		}
	} else if (REC_IS("pct")) {
		if (!dup && slice_parse_u64(value, 100, &num)) {
			r->has_pct = true;
			r->pct = (unsigned)num;
		} else {
			rec_ignore(r, "invalid pct=");
		}
	} else if (REC_IS("rf")) {
		if (!dup && value.len)
			r->rf = value;
		else
			rec_ignore(r, "invalid rf=");
	} else if (REC_IS("ri")) {
		if (!dup && slice_parse_u64(value, UINT32_MAX, &num))
			r->ri = (uint32_t)num;
		else
			rec_ignore(r, "invalid ri=");
	} else {
		/* RFC 9989 4.7: unknown tags MUST be ignored. */
		r->n_ignored++;
	}
#undef REC_IS
	return true;
}

static bool rec_is_version(const struct tag *t)
{
	return slice_eq(t->name, SLICE_LIT("v")) && slice_eq(t->value, SLICE_LIT("DMARC1"));
}

/* The salvage path: cut at ';' and parse each piece as a tag list of one. */
static enum dmarc_rec_status rec_parse_pieces(struct arena *a, struct slice txt,
                                              struct dmarc_record *r)
{
	struct tag *tags = arena_calloc(a, TAG_MAX_TAGS, sizeof *tags);
	if (!tags)
		return DMARC_REC_NOMEM;
	size_t n = 0;
	struct slice rest = txt;
	bool more = true, first = true;
	while (more) {
		struct slice piece;
		more = slice_split_byte(rest, ';', &piece, &rest);
		struct tag_list one;
		enum tag_status st = tag_list_parse(a, piece, &one, NULL);
		if (st == TAG_E_NOMEM)
			return DMARC_REC_NOMEM;
		if (first) {
			/* 4.7: v must be the first tag, else ignore the record. */
			if (st != TAG_OK || one.n != 1 || !rec_is_version(&one.tags[0]))
				return DMARC_REC_NOT_DMARC;
			first = false;
			continue;
		}
		if (st != TAG_OK || one.n != 1) {
			/* An empty piece after a final ';' is allowed by the
			 * grammar ([dmarc-sep]); anything else is a syntax error. */
			if (slice_trim_ws(piece).len)
				rec_ignore(r, "tag syntax error");
			continue;
		}
		if (n == TAG_MAX_TAGS) {
			rec_ignore(r, "too many tags");
			continue;
		}
		tags[n++] = one.tags[0];
	}
	for (size_t i = 0; i < n; i++) {
		if (slice_eq(tags[i].name, SLICE_LIT("v")))
			continue; /* a repeated v=: the record already is DMARC1 */
		bool dup = false, earlier = false;
		for (size_t j = 0; j < n; j++) {
			if (j != i && slice_eq(tags[i].name, tags[j].name)) {
				dup = true;
				if (j < i)
					earlier = true;
			}
		}
		if (earlier)
			continue; /* judged at its first occurrence */
		if (!rec_apply(a, r, tags[i].name, tags[i].value, dup))
			return DMARC_REC_NOMEM;
	}
	return DMARC_REC_OK;
}

enum dmarc_rec_status dmarc_record_parse(struct arena *a, struct slice txt,
                                         struct dmarc_record *out)
{
	rec_defaults(out, txt);
	if (!txt.ptr)
		return DMARC_REC_NOT_DMARC;

	struct tag_list l;
	enum tag_status st = tag_list_parse(a, txt, &l, NULL);
	if (st == TAG_E_NOMEM)
		return DMARC_REC_NOMEM;
	if (st != TAG_OK)
		return rec_parse_pieces(a, txt, out);

	if (l.n == 0 || !rec_is_version(&l.tags[0]))
		return DMARC_REC_NOT_DMARC;
	for (size_t i = 1; i < l.n; i++)
		if (!rec_apply(a, out, l.tags[i].name, l.tags[i].value, false))
			return DMARC_REC_NOMEM;
	return DMARC_REC_OK;
}

bool dmarc_record_effective(const struct dmarc_record *r, struct dmarc_record *eff,
                            bool *degraded)
{
	*eff = *r;
	*degraded = false;
	bool p_ok = r->p != DMARC_POLICY_UNSPECIFIED && !r->p_invalid;
	if (p_ok && !r->sp_invalid && !r->np_invalid)
		return true;
	/* 4.10.1: act as if "p=none" was retrieved when rua= has a valid URI;
	 * otherwise apply no DMARC processing. */
	if (r->n_rua == 0)
		return false;
	eff->p = eff->sp = eff->np = DMARC_POLICY_NONE;
	eff->p_invalid = eff->sp_invalid = eff->np_invalid = false;
	*degraded = true;
	return true;
}

const char *dmarc_result_str(enum dmarc_result r)
{
	switch (r) {
	case DMARC_NONE:
		return "none";
	case DMARC_PASS:
		return "pass";
	case DMARC_FAIL:
		return "fail";
	case DMARC_TEMPERROR:
		return "temperror";
	case DMARC_PERMERROR:
		return "permerror";
	}
	return "permerror";
}

const char *dmarc_policy_str(enum dmarc_policy p)
{
	switch (p) {
	case DMARC_POLICY_UNSPECIFIED:
		return "";
	case DMARC_POLICY_NONE:
		return "none";
	case DMARC_POLICY_QUARANTINE:
		return "quarantine";
	case DMARC_POLICY_REJECT:
		return "reject";
	}
	return "";
}

const char *dmarc_override_str(enum dmarc_override o)
{
	switch (o) {
	case DMARC_OVERRIDE_NONE:
		return "";
	case DMARC_OVERRIDE_LOCAL_POLICY:
		return "local_policy";
	case DMARC_OVERRIDE_TRUSTED_FORWARDER:
		return "trusted_forwarder";
	case DMARC_OVERRIDE_MAILING_LIST:
		return "mailing_list";
	case DMARC_OVERRIDE_SAMPLED_OUT:
		return "sampled_out";
	case DMARC_OVERRIDE_POLICY_TEST_MODE:
		return "policy_test_mode";
	}
	return "";
}

const char *dmarc_found_at_str(enum dmarc_found_at f)
{
	switch (f) {
	case DMARC_FOUND_NONE:
		return "";
	case DMARC_FOUND_AUTHOR:
		return "author";
	case DMARC_FOUND_ORG:
		return "org";
	case DMARC_FOUND_PSD:
		return "psd";
	}
	return "";
}

const char *dmarc_policy_tag_str(enum dmarc_policy_tag t)
{
	switch (t) {
	case DMARC_TAG_NONE:
		return "";
	case DMARC_TAG_P:
		return "p";
	case DMARC_TAG_SP:
		return "sp";
	case DMARC_TAG_NP:
		return "np";
	}
	return "";
}

const char *dmarc_lookup_str(enum dmarc_lookup l)
{
	switch (l) {
	case DMARC_LOOKUP_NONE:
		return "none";
	case DMARC_LOOKUP_ONE:
		return "record";
	case DMARC_LOOKUP_MULTIPLE:
		return "multiple";
	case DMARC_LOOKUP_TEMPERROR:
		return "temperror";
	}
	return "none";
}
