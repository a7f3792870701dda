/* arc_chain.c — collecting the ARC sets of a message and checking their
 * structure and tags (RFC 8617 4.1.1-4.1.3, 4.2.1, 5.2 steps 1-3).
 *
 * Every ARC header field is read once: its instance (i=) places it in a
 * set; the tags of the first AMS and AS of each instance are validated
 * (RFC 6376 3.5 syntax, as RFC 8617 4.1.2 and 4.1.3 import it).  Nothing
 * here touches DNS or hashes anything, so a hostile chain is refused before
 * any expensive work.  Results point into the message; decoded values and
 * texts live in the arena.  This file owns struct arc_chain; arc_verify.c
 * and arc_seal.c only read it.
 */
#include "arc.h"

#include <string.h>
#include <time.h>

#include "b64.h"
#include "domain.h"
#include "mailauth_limits.h"
#include "tag.h"

enum arc_kind { ARC_K_NONE, ARC_K_AAR, ARC_K_AMS, ARC_K_AS };

static const char *const arc_kind_name[] = {
	"", "ARC-Authentication-Results", "ARC-Message-Signature", "ARC-Seal",
};

static enum arc_kind chain_kind(struct slice name)
{
	if (slice_eq_cstr_ci(name, "ARC-Seal"))
		return ARC_K_AS;
	if (slice_eq_cstr_ci(name, "ARC-Message-Signature"))
		return ARC_K_AMS;
	if (slice_eq_cstr_ci(name, "ARC-Authentication-Results"))
		return ARC_K_AAR;
	return ARC_K_NONE;
}

static bool chain_is_fws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool chain_all_digits(struct slice s)
{
	if (s.len == 0)
		return false;
	for (size_t i = 0; i < s.len; i++)
		if (s.ptr[i] < '0' || s.ptr[i] > '9')
			return false;
	return true;
}

/* An instance value (RFC 8617 4.2.1: 1..50, digits only).  Returns the
 * value, ARC_MAX_INSTANCES + 1 for any larger number, 0 when unusable. */
static unsigned chain_instance_value(struct slice v)
{
	if (!chain_all_digits(v))
		return 0;
	uint64_t u;
	if (!slice_parse_u64(v, UINT64_MAX, &u)) /* digits only: overflow */
		return ARC_MAX_INSTANCES + 1;
	if (u == 0)
		return 0;
	return u > ARC_MAX_INSTANCES ? ARC_MAX_INSTANCES + 1 : (unsigned)u;
}

/* Skip CFWS (RFC 5322 3.2.2): WSP, folding and comments, nested at most
 * MSG_MAX_COMMENT_DEPTH deep.  NULL on an unclosed or too deep comment. */
static const char *chain_skip_cfws(const char *p, const char *end)
{
	while (p < end) {
		if (chain_is_fws(*p)) {
			p++;
			continue;
		}
		if (*p != '(')
			break;
		unsigned depth = 0;
		while (p < end) {
			if (*p == '\\' && p + 1 < end) {
				p += 2;
				continue;
			}
			if (*p == '(') {
				if (++depth > MSG_MAX_COMMENT_DEPTH)
					return NULL;
			} else if (*p == ')') {
				if (--depth == 0) {
					p++;
					break;
				}
			}
			p++;
		}
		if (depth)
			return NULL;
	}
	return p;
}

/* RFC 8617 4.1.1: arc-info = instance [CFWS] ";" authres-payload, with
 * instance = [CFWS] %s"i" [CFWS] "=" [CFWS] i-value.  The payload is only
 * required to be there (it is opaque here: the AS signs it as it is). */
static unsigned chain_aar_instance(struct slice value)
{
	const char *p = value.ptr, *end = value.ptr + value.len;
	if (!(p = chain_skip_cfws(p, end)) || p >= end || *p != 'i')
		return 0;
	if (!(p = chain_skip_cfws(p + 1, end)) || p >= end || *p != '=')
		return 0;
	if (!(p = chain_skip_cfws(p + 1, end)))
		return 0;
	const char *d = p;
	while (p < end && *p >= '0' && *p <= '9')
		p++;
	unsigned inst = chain_instance_value(slice_between(d, p));
	if (!inst || !(p = chain_skip_cfws(p, end)) || p >= end || *p != ';')
		return 0;
	/* authres-payload starts with the authserv-id: something must follow. */
	struct slice rest = slice_trim_ws(slice_between(p + 1, end));
	return rest.len ? inst : 0;
}

static void sig_bad(struct arc_sig *s, const char *why)
{
	if (s->usable) {
		s->usable = false;
		s->why = why;
	}
}

/* 1*12DIGIT (RFC 6376 3.5 sig-t-tag, sig-x-tag). */
static bool chain_time_value(struct slice v, uint64_t *out)
{
	return v.len <= 12 && chain_all_digits(v) && slice_parse_u64(v, UINT64_MAX, out);
}

static bool chain_algo(struct arc_sig *s, struct slice v)
{
	if (slice_eq(v, SLICE_LIT("rsa-sha256")))
		s->algo = DKIM_ALG_RSA_SHA256;
	else if (slice_eq(v, SLICE_LIT("ed25519-sha256")))
		s->algo = DKIM_ALG_ED25519_SHA256;
	else if (slice_eq(v, SLICE_LIT("rsa-sha1"))) {
		sig_bad(s, "a=rsa-sha1 is not allowed (RFC 8301 3.1)");
		return false;
	} else {
		sig_bad(s, "a= names no known algorithm");
		return false;
	}
	return true;
}

/* h= (RFC 6376 3.5 sig-h-tag, as RFC 8617 4.1.2 imports it). */
static int chain_h_list(struct arena *a, struct arc_sig *s, struct slice v)
{
	size_t cap = 0;
	for (size_t i = 0; i < v.len; i++)
		if (v.ptr[i] == ':')
			cap++;
	cap++;
	if (cap > DKIM_MAX_SIGNED_HEADERS) {
		sig_bad(s, "h= lists more names than DKIM_MAX_SIGNED_HEADERS");
		return ARC_OK;
	}
	s->h = arena_calloc(a, cap, sizeof *s->h);
	if (!s->h)
		return ARC_ERR_NOMEM;
	bool from = false;
	const char *p = v.ptr, *end = v.ptr + v.len;
	for (;;) {
		const char *c = p;
		while (c < end && *c != ':')
			c++;
		struct slice item = slice_trim_ws(slice_between(p, c));
		/* An empty element ("from::to") names no field, so it signs
		 * nothing; it is skipped rather than refused (the ARC test suite's
		 * ams_fields_h_mis_hdr expects such a signature to verify). */
		if (item.len) {
			if (!msg_is_field_name(item)) {
				sig_bad(s, "h= holds something not a field name");
				return ARC_OK;
			}
			/* RFC 8617 4.1.2: "ARC-related header fields ... MUST NOT be
			 * included in the list of header fields covered by the
			 * signature of the AMS header field."  An AMS covering an
			 * ARC-Seal or an ARC-Message-Signature is refused.  Covering
			 * ARC-Authentication-Results is tolerated: sealers of the
			 * draft era did it routinely (every chain in the ARC test
			 * suite does), and the AAR of the set already exists when the
			 * AMS is made, so the signature stays verifiable. */
			if (slice_eq_cstr_ci(item, "ARC-Seal") ||
			    slice_eq_cstr_ci(item, "ARC-Message-Signature")) {
				sig_bad(s, "h= covers an ARC-Seal or ARC-Message-Signature "
				           "(RFC 8617 4.1.2)");
				return ARC_OK;
			}
			if (slice_eq_cstr_ci(item, "From"))
				from = true;
			s->h[s->nh++] = item;
		}
		if (c >= end)
			break;
		p = c + 1;
	}
	/* RFC 6376 3.5: h= holds at least one name; 5.4 / 6.1.1: From must be
	 * signed.  RFC 8617 4.1.2 gives the AMS DKIM-Signature's semantics. */
	if (s->nh == 0)
		sig_bad(s, "h= is empty (RFC 6376 3.5)");
	else if (!from)
		sig_bad(s, "h= does not include From (RFC 6376 5.4)");
	return ARC_OK;
}

static bool chain_canon_word(struct slice w, enum dkim_canon *c)
{
	if (slice_eq(w, SLICE_LIT("simple")))
		*c = DKIM_CANON_SIMPLE;
	else if (slice_eq(w, SLICE_LIT("relaxed")))
		*c = DKIM_CANON_RELAXED;
	else
		return false;
	return true;
}

/* q= (RFC 6376 3.5): a colon-separated list that must offer dns/txt. */
static bool chain_q_ok(struct slice v)
{
	const char *p = v.ptr, *end = v.ptr + v.len;
	for (;;) {
		const char *c = p;
		while (c < end && *c != ':')
			c++;
		if (slice_eq(slice_trim_ws(slice_between(p, c)), SLICE_LIT("dns/txt")))
			return true;
		if (c >= end)
			return false;
		p = c + 1;
	}
}

/* The key record's name, "selector._domainkey.domain", normalized (RFC
 * 6376 3.6.2.1).  The selector is a dot-separated sequence of labels
 * (RFC 6376 3.1); domain_normalize() checks the whole name. */
static bool chain_key_name(struct arena *a, struct arc_sig *s)
{
	if (s->s.len == 0 || s->s.len > DOMAIN_MAX_TEXT_NAME)
		return false;
	for (size_t i = 0; i < s->s.len; i++) {
		unsigned char c = (unsigned char)s->s.ptr[i];
		if (c <= ' ' || c == ';' || c == ':' || c == 0x7f)
			return false;
	}
	if (s->s.ptr[s->s.len - 1] == '.')
		return false;
	struct buf b;
	buf_init(&b, a, 2 * DOMAIN_MAX_INPUT_BYTES);
	buf_add_slice(&b, s->s);
	buf_add_cstr(&b, "._domainkey.");
	buf_add_slice(&b, s->d_norm);
	if (b.err)
		return false;
	return domain_normalize(a, buf_slice(&b), &s->key_name);
}

/* Parse and validate an AMS or AS.  Every problem goes to s->why (first one
 * wins) and clears s->usable; only running out of memory is an error. */
static int chain_sig_parse(struct arena *a, const struct msg_header *h, enum arc_kind kind,
                           uint64_t now, struct arc_sig *s)
{
	memset(s, 0, sizeof *s);
	s->hdr = h;
	s->usable = true;
	s->why = "";
	s->cv = ARC_CV_INVALID;
	s->hcanon = s->bcanon = DKIM_CANON_SIMPLE;
	struct tag_list tl;
	enum tag_status ts = tag_list_parse(a, h->value, &tl, NULL);
	if (ts == TAG_E_NOMEM)
		return ARC_ERR_NOMEM;
	if (ts != TAG_OK) {
		sig_bad(s, ts == TAG_E_DUPLICATE ? "a tag appears twice (RFC 6376 3.2)"
		                                 : "not a valid tag list (RFC 6376 3.2)");
		return ARC_OK;
	}
	const struct tag *t;
	/* i= first: it places the field in its set. */
	if (!(t = tag_list_get(&tl, "i")) || !(s->instance = chain_instance_value(t->value))) {
		s->instance = 0;
		sig_bad(s, "i= is missing or not an instance number");
	}
	if (kind == ARC_K_AS) {
		/* RFC 8617 4.1.3: cv is none, fail or pass. */
		if ((t = tag_list_get(&tl, "cv"))) {
			if (slice_eq(t->value, SLICE_LIT("none")))
				s->cv = ARC_CV_NONE;
			else if (slice_eq(t->value, SLICE_LIT("pass")))
				s->cv = ARC_CV_PASS;
			else if (slice_eq(t->value, SLICE_LIT("fail")))
				s->cv = ARC_CV_FAIL;
		}
		if (s->cv == ARC_CV_INVALID)
			sig_bad(s, "cv= is missing or not none, pass or fail");
		/* RFC 8617 4.1.3: "the DKIM "h" tag is NOT allowed and, if found,
		 * MUST result in a cv status of "fail"". */
		if (tag_list_get(&tl, "h"))
			sig_bad(s, "h= is not allowed in an ARC-Seal (RFC 8617 4.1.3)");
	}
	if (!(t = tag_list_get(&tl, "a")))
		sig_bad(s, "a= is missing");
	else
		chain_algo(s, t->value);
	if (!(t = tag_list_get(&tl, "b"))) {
		sig_bad(s, "b= is missing");
	} else {
		enum b64_status bs = b64_decode(a, t->value, &s->b);
		if (bs == B64_E_NOMEM)
			return ARC_ERR_NOMEM;
		if (bs != B64_OK)
			sig_bad(s, "b= is not base64");
		else if (s->b.len == 0)
			sig_bad(s, "b= is empty");
	}
	if (!(t = tag_list_get(&tl, "d"))) {
		sig_bad(s, "d= is missing");
	} else {
		s->d = t->value;
		if (!domain_normalize(a, s->d, &s->d_norm))
			sig_bad(s, "d= is not a domain name");
	}
	if (!(t = tag_list_get(&tl, "s"))) {
		sig_bad(s, "s= is missing");
	} else {
		s->s = t->value;
		if (s->d_norm.len && !chain_key_name(a, s))
			sig_bad(s, "s= is not a selector");
	}
	if ((t = tag_list_get(&tl, "t"))) {
		s->have_t = true;
		if (!chain_time_value(t->value, &s->t))
			sig_bad(s, "t= is not a timestamp");
	}
	if (kind == ARC_K_AS)
		return ARC_OK;

	/* ARC-Message-Signature: the rest of DKIM-Signature's tags (RFC 8617
	 * 4.1.2; v= is not defined for the AMS and is ignored if seen). */
	if (!(t = tag_list_get(&tl, "bh"))) {
		sig_bad(s, "bh= is missing");
	} else {
		enum b64_status bs = b64_decode(a, t->value, &s->bh);
		if (bs == B64_E_NOMEM)
			return ARC_ERR_NOMEM;
		if (bs != B64_OK)
			sig_bad(s, "bh= is not base64");
		else if (s->bh.len != dkim_hash_len(DKIM_HASH_SHA256))
			sig_bad(s, "bh= is not a SHA-256 digest");
	}
	if (!(t = tag_list_get(&tl, "h"))) {
		sig_bad(s, "h= is missing");
	} else {
		int rc = chain_h_list(a, s, t->value);
		if (rc)
			return rc;
	}
	if ((t = tag_list_get(&tl, "c"))) {
		struct slice hc, bc;
		bool two = slice_split_byte(t->value, '/', &hc, &bc);
		/* RFC 6376 3.5: one word is the header canonicalization, the
		 * body's is then simple. */
		if (!chain_canon_word(hc, &s->hcanon) || (two && !chain_canon_word(bc, &s->bcanon)))
			sig_bad(s, "c= is not a known canonicalization");
	}
	if ((t = tag_list_get(&tl, "l"))) {
		s->have_l = true;
		if (t->value.len > 76 || !chain_all_digits(t->value) ||
		    !slice_parse_u64(t->value, UINT64_MAX, &s->l))
			sig_bad(s, "l= is not a length");
	}
	if ((t = tag_list_get(&tl, "q")) && !chain_q_ok(t->value))
		sig_bad(s, "q= does not offer dns/txt");
	if ((t = tag_list_get(&tl, "x"))) {
		s->have_x = true;
		if (!chain_time_value(t->value, &s->x))
			sig_bad(s, "x= is not a timestamp");
		else if (s->have_t && s->x < s->t)
			sig_bad(s, "x= is before t= (RFC 6376 3.5)");
		else if (s->x < now)
			sig_bad(s, "the signature has expired (x=)");
	}
	return ARC_OK;
}

/* Per-instance bookkeeping while scanning. */
struct chain_slot {
	unsigned n_aar, n_ams, n_as;
};

static const char *chain_printf_why(struct arena *a, const char *fallback, const char *fmt,
                                    unsigned i, const char *what)
{
	const char *s = arena_printf(a, fmt, i, what);
	return s ? s : fallback;
}

int arc_chain_collect(struct arena *a, const struct msg *m, uint64_t now, struct arc_chain *out)
{
	memset(out, 0, sizeof *out);
	out->status = ARC_CHAIN_NONE;
	out->why = "";
	out->domains = slice_make("", 0);
	if (!now)
		now = (uint64_t)time(NULL);

	struct chain_slot slot[ARC_MAX_INSTANCES + 1];
	memset(slot, 0, sizeof slot);
	struct arc_set *set = arena_calloc(a, ARC_MAX_INSTANCES, sizeof *set);
	if (!set)
		return ARC_ERR_NOMEM;
	for (unsigned i = 0; i < ARC_MAX_INSTANCES; i++) {
		set[i].instance = i + 1;
		set[i].ams_why = set[i].as_why = "";
	}

	bool over = false;
	const char *bad = NULL;     /* first field without a usable instance */
	unsigned n = 0;
	for (size_t k = 0; k < m->nhdr; k++) {
		const struct msg_header *h = &m->hdr[k];
		enum arc_kind kind = chain_kind(h->name);
		if (kind == ARC_K_NONE)
			continue;
		out->arc_headers++;
		unsigned inst;
		struct arc_sig tmp = { 0 };
		if (kind == ARC_K_AAR) {
			inst = chain_aar_instance(h->value);
		} else {
			int rc = chain_sig_parse(a, h, kind, now, &tmp);
			if (rc)
				return rc;
			inst = tmp.instance;
		}
		if (inst == 0) {
			if (!bad)
				bad = kind == ARC_K_AAR ? "ARC-Authentication-Results without a usable "
				                          "i= prefix (RFC 8617 4.1.1)"
				      : kind == ARC_K_AMS ? "ARC-Message-Signature without a usable i= "
				                            "tag (RFC 8617 4.2.1)"
				                          : "ARC-Seal without a usable i= tag "
				                            "(RFC 8617 4.2.1)";
			continue;
		}
		if (inst > ARC_MAX_INSTANCES) {
			over = true;
			continue;
		}
		if (inst > n)
			n = inst;
		struct arc_set *s = &set[inst - 1];
		struct chain_slot *c = &slot[inst];
		if (kind == ARC_K_AAR) {
			if (c->n_aar++ == 0)
				s->aar = h;
		} else if (kind == ARC_K_AMS) {
			if (c->n_ams++ == 0)
				s->ams = tmp;
		} else {
			if (c->n_as++ == 0)
				s->as = tmp;
		}
	}
	if (out->arc_headers == 0)
		return ARC_OK;

	out->n = n;
	out->set = set;
	out->status = ARC_CHAIN_BROKEN;

	/* Exim's $arc_domains: the ARC-Seal d= of each instance, in order. */
	struct buf db;
	buf_init(&db, a, (size_t)ARC_MAX_INSTANCES * (DOMAIN_MAX_TEXT_NAME + 1) + 1);
	for (unsigned i = 1; i <= n; i++) {
		if (i > 1)
			buf_add_byte(&db, ':');
		if (set[i - 1].as.hdr)
			buf_add_slice(&db, set[i - 1].as.d_norm);
	}
	if (db.err)
		return ARC_ERR_NOMEM;
	out->domains = buf_slice(&db);

	/* RFC 8617 5.2 step 1: more than 50 sets is a fail. */
	if (over) {
		out->why = "more than ARC_MAX_INSTANCES (50) ARC sets (RFC 8617 5.2)";
		return ARC_OK;
	}
	/* Step 2: the highest instance's seal says the chain already failed. */
	if (n && set[n - 1].as.hdr && set[n - 1].as.cv == ARC_CV_FAIL) {
		out->top_cv_fail = true;
		out->why = chain_printf_why(a, "the latest ARC-Seal says cv=fail",
		                            "i=%u: the latest ARC-Seal says cv=fail%s", n, "");
		return ARC_OK;
	}
	/* Step 3: structure. */
	if (bad) {
		out->why = bad;
		return ARC_OK;
	}
	for (unsigned i = 1; i <= n; i++) {
		const struct chain_slot *c = &slot[i];
		enum arc_kind k = c->n_aar != 1 ? ARC_K_AAR : c->n_ams != 1 ? ARC_K_AMS
		                  : c->n_as != 1 ? ARC_K_AS : ARC_K_NONE;
		if (k == ARC_K_NONE)
			continue;
		unsigned cnt = k == ARC_K_AAR ? c->n_aar : k == ARC_K_AMS ? c->n_ams : c->n_as;
		if (c->n_aar == 0 && c->n_ams == 0 && c->n_as == 0)
			out->why = chain_printf_why(a, "a gap in the ARC instances",
			                            "i=%u: no ARC set with this instance%s", i, "");
		else if (cnt == 0)
			out->why = chain_printf_why(a, "an ARC set is incomplete",
			                            "i=%u: %s missing", i, arc_kind_name[k]);
		else
			out->why = chain_printf_why(a, "an ARC set has duplicate fields",
			                            "i=%u: more than one %s", i, arc_kind_name[k]);
		return ARC_OK;
	}
	for (unsigned i = 1; i <= n; i++) {
		enum arc_cv cv = set[i - 1].as.cv;
		const char *want = i == 1 ? "none" : "pass";
		if (cv == ARC_CV_INVALID)
			out->why = chain_printf_why(a, "an ARC-Seal has no valid cv=",
			                            "i=%u: ARC-Seal cv= missing or invalid%s", i, "");
		else if (cv == ARC_CV_FAIL)
			out->why = chain_printf_why(a, "an ARC-Seal says cv=fail",
			                            "i=%u: ARC-Seal says cv=fail%s", i, "");
		else if ((i == 1) != (cv == ARC_CV_NONE))
			out->why = chain_printf_why(a, "an ARC-Seal has the wrong cv=",
			                            "i=%u: ARC-Seal cv= must be %s", i, want);
		else
			continue;
		return ARC_OK;
	}
	out->status = ARC_CHAIN_OK;
	out->why = "";
	return ARC_OK;
}
