/* arc_seal.c — adding the next ARC set to a message (RFC 8617 5.1).
 *
 * The three fields are made in the order RFC 8617 5.1.1 gives: the
 * ARC-Authentication-Results (our Authentication-Results payload with the
 * instance in front, 4.1.1), the ARC-Message-Signature (a DKIM-style
 * signature over the chosen header fields and the body, relaxed/relaxed,
 * 4.1.2), and the ARC-Seal over the ARC sets (4.1.3, 5.1.1; over the new
 * set alone when the chain failed, 5.1.2).  Tags are written i= first (the
 * ABNF of 4.1.2 and 4.1.3), then in alphabetical order, one "; " between
 * them, folded only at those spaces, and b= on a line of its own, so the
 * relaxed form of each field is the single-line form other implementations
 * produce and the layout does not depend on the signature's length.  Hashing and signing are DKIM's
 * (dkim.h).  Everything produced lives in the caller's arena.
 */
#include "arc.h"

#include <string.h>
#include <time.h>

#include "b64.h"
#include "domain.h"
#include "mailauth_limits.h"

static const struct slice seal_defaults[] = {
	SLICE_LIT("from"),
	SLICE_LIT("to"),
	SLICE_LIT("cc"),
	SLICE_LIT("subject"),
	SLICE_LIT("date"),
	SLICE_LIT("message-id"),
	SLICE_LIT("reply-to"),
	SLICE_LIT("in-reply-to"),
	SLICE_LIT("references"),
	SLICE_LIT("mime-version"),
	SLICE_LIT("content-type"),
	SLICE_LIT("content-transfer-encoding"),
	SLICE_LIT("sender"),
	SLICE_LIT("list-id"),
	SLICE_LIT("list-post"),
	SLICE_LIT("list-unsubscribe"),
	SLICE_LIT("list-unsubscribe-post"),
	SLICE_LIT("dkim-signature"),
};

const struct slice *arc_seal_default_headers(size_t *n)
{
	*n = sizeof seal_defaults / sizeof seal_defaults[0];
	return seal_defaults;
}

/* RFC 5322 2.1.1: no line over 998 characters; RFC 5322 2.2.3 folding.
 * Lines are folded near AR_FOLD_WIDTH (78), the RFC's SHOULD. */
#define SEAL_MAX_LINE 998

struct seal_out {
	struct buf b;
	size_t col;
	const char *eol;
	size_t eol_len;
	bool break_next;   /* the previous tag wants the next on a new line */
};

static void seal_start(struct seal_out *o, struct arena *a, const char *name, bool lf_only)
{
	buf_init(&o->b, a, (size_t)AR_MAX_HEADER_BYTES * 4);
	o->eol = lf_only ? "\n" : "\r\n";
	o->eol_len = lf_only ? 1 : 2;
	o->break_next = false;
	buf_add_cstr(&o->b, name);
	buf_add_cstr(&o->b, ":");
	o->col = o->b.len;
}

static void seal_fold(struct seal_out *o)
{
	buf_add(&o->b, o->eol, o->eol_len);
	buf_add_byte(&o->b, ' ');
	o->col = 1;
}

/* One tag "name=value".  A value longer than a line may hold is folded
 * every 72 characters (FWS is allowed inside base64, RFC 6376 3.5, and a
 * colon list may be folded after a colon); only values that do not fit are
 * folded, so short values keep the single-line form. */
static void seal_tag(struct seal_out *o, const char *name, struct slice value, bool own_line)
{
	size_t nlen = strlen(name); /* our own literal */
	bool first = o->col == o->b.len && o->b.ptr && o->b.ptr[o->b.len - 1] == ':';
	if (!first)
		buf_add_byte(&o->b, ';');
	size_t want = nlen + 1 + value.len + 1;
	if (!first && (own_line || o->break_next || o->col + 1 + want > AR_FOLD_WIDTH)) {
		seal_fold(o);
	} else {
		buf_add_byte(&o->b, ' ');
		o->col++;
	}
	o->break_next = own_line;
	buf_add(&o->b, name, nlen);
	buf_add_byte(&o->b, '=');
	o->col += nlen + 1;
	if (o->col + value.len + 1 <= SEAL_MAX_LINE) {
		buf_add_slice(&o->b, value);
		o->col += value.len;
		return;
	}
	bool colon_list = slice_find_byte(value, ':') != NULL;
	size_t i = 0;
	while (i < value.len) {
		size_t take = value.len - i;
		if (take > 72)
			take = 72;
		if (colon_list) {
			/* end the piece just after a colon */
			size_t k = take;
			while (k > 0 && value.ptr[i + k - 1] != ':')
				k--;
			if (k > 0 && i + take < value.len)
				take = k;
		}
		if (i > 0)
			seal_fold(o);
		buf_add(&o->b, value.ptr + i, take);
		o->col += take;
		i += take;
	}
}

/* The header struct for a field we built ("Name:value"). */
static void seal_header(struct slice raw, size_t name_len, struct msg_header *h)
{
	h->raw = raw;
	h->name = slice_make(raw.ptr, name_len);
	h->value = slice_make(raw.ptr + name_len + 1, raw.len - name_len - 1);
}

/* RFC 5322 3.6.8 ftext. */
static bool seal_is_field_name(struct slice s)
{
	if (s.len == 0)
		return false;
	for (size_t i = 0; i < s.len; i++) {
		unsigned char c = (unsigned char)s.ptr[i];
		if (c < 33 || c > 126 || c == ':')
			return false;
	}
	return true;
}

static bool seal_is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

/* Skip CFWS; NULL on a broken comment. */
static const char *seal_skip_cfws(const char *p, const char *end)
{
	while (p < end) {
		if (seal_is_wsp(*p) || *p == '\r' || *p == '\n') {
			p++;
			continue;
		}
		if (*p != '(')
			return p;
		unsigned depth = 0;
		do {
			if (*p == '\\' && p + 1 < end)
				p++;
			else if (*p == '(' && ++depth > MSG_MAX_COMMENT_DEPTH)
				return NULL;
			else if (*p == ')')
				depth--;
			p++;
		} while (p < end && depth);
		if (depth)
			return NULL;
	}
	return p;
}

/* Does the Authentication-Results payload (RFC 8601 2.2) hold a resinfo
 * whose method is "arc"?  *no_result is set when it is the "none"
 * no-result form.  Semicolons inside comments and quoted strings are not
 * separators. */
static bool seal_payload_has_arc(struct slice payload, bool *no_result)
{
	const char *p = payload.ptr, *end = payload.ptr + payload.len;
	bool first = true;
	*no_result = false;
	while (p < end) {
		const char *start = p;
		/* find the end of this element */
		const char *q = p;
		bool quoted = false;
		unsigned depth = 0;
		for (; q < end; q++) {
			if (*q == '\\' && q + 1 < end) {
				q++;
				continue;
			}
			if (quoted) {
				if (*q == '"')
					quoted = false;
			} else if (*q == '"' && depth == 0) {
				quoted = true;
			} else if (*q == '(') {
				depth++;
			} else if (*q == ')' && depth) {
				depth--;
			} else if (*q == ';' && depth == 0) {
				break;
			}
		}
		if (!first) {
			const char *m = seal_skip_cfws(start, q);
			if (m) {
				const char *e = m;
				while (e < q && (((*e | 0x20) >= 'a' && (*e | 0x20) <= 'z') ||
				                 (*e >= '0' && *e <= '9') || *e == '-' || *e == '_'))
					e++;
				struct slice method = slice_between(m, e);
				if (slice_eq_cstr_ci(method, "arc"))
					return true;
				const char *r = seal_skip_cfws(e, q);
				if (slice_eq_cstr_ci(method, "none") && r == q)
					*no_result = true;
			}
		}
		first = false;
		p = q < end ? q + 1 : q;
	}
	return false;
}

/* Copy an Authentication-Results payload, trimmed, with every line break
 * written as eol.  False when it is not a header field value: a line break
 * not followed by WSP (it would end the field), a control byte, or
 * nothing at all. */
static bool seal_copy_payload(struct buf *b, struct slice in, const char *eol, size_t eol_len)
{
	in = slice_trim_ws(in);
	if (in.len == 0)
		return false;
	for (size_t i = 0; i < in.len; i++) {
		unsigned char c = (unsigned char)in.ptr[i];
		if (c == '\r' || c == '\n') {
			size_t j = i + 1;
			if (c == '\r' && j < in.len && in.ptr[j] == '\n')
				j++;
			if (j >= in.len || !seal_is_wsp(in.ptr[j]))
				return false;
			buf_add(b, eol, eol_len);
			i = j - 1;
			continue;
		}
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return false;
		buf_add_byte(b, (char)c);
	}
	return true;
}

/* Build a signature field with tags in order; b= empty when sig is empty. */
struct seal_tagv {
	const char *name;
	struct slice value;
};

static struct slice seal_build(struct arena *a, const char *hname, const struct seal_tagv *t,
                               size_t n, struct slice b64, bool lf_only)
{
	struct seal_out o;
	seal_start(&o, a, hname, lf_only);
	for (size_t i = 0; i < n; i++) {
		bool is_b = strcmp(t[i].name, "b") == 0;
		seal_tag(&o, t[i].name, is_b ? b64 : t[i].value, is_b);
	}
	return o.b.err ? SLICE_NULL : buf_slice(&o.b);
}

/* Move i= (first) to its alphabetical place (the rest already is). */
static void seal_alpha(struct seal_tagv *t, size_t n)
{
	size_t k = 0;
	while (k + 1 < n && strcmp(t[k + 1].name, "i") < 0) {
		struct seal_tagv x = t[k];
		t[k] = t[k + 1];
		t[k + 1] = x;
		k++;
	}
}

static bool seal_domain_ok(struct arena *a, struct slice d)
{
	struct slice norm;
	return d.len && domain_normalize(a, d, &norm);
}

static bool seal_selector_ok(struct arena *a, struct slice s, struct slice d)
{
	if (s.len == 0 || s.len > DOMAIN_MAX_TEXT_NAME)
		return false;
	for (size_t i = 0; i < s.len; i++) {
		unsigned char c = (unsigned char)s.ptr[i];
		if (c <= ' ' || c == ';' || c == ':' || c >= 0x7f)
			return false;
	}
	struct buf b;
	buf_init(&b, a, 2 * DOMAIN_MAX_INPUT_BYTES);
	buf_add_slice(&b, s);
	buf_add_cstr(&b, "._domainkey.");
	buf_add_slice(&b, d);
	struct slice norm;
	return !b.err && domain_normalize(a, buf_slice(&b), &norm);
}

/* Sign the field built from t[] over fields[0..nf), return the final
 * field.  The unsigned form (b= empty) is hashed; the signed form must
 * strip back to it exactly, which is checked. */
static int seal_sign_field(struct arena *a, const struct dkim_privkey *k, const char *hname,
                           const struct seal_tagv *t, size_t n, bool lf_only,
                           const struct msg_header *const *fields, size_t nf,
                           struct msg_header *out)
{
	size_t hlen = strlen(hname);
	struct slice unsigned_raw = seal_build(a, hname, t, n, slice_make("", 0), lf_only);
	if (!unsigned_raw.ptr)
		return ARC_ERR_NOMEM;
	struct msg_header nob;
	seal_header(unsigned_raw, hlen, &nob);
	struct slice b64;
	int rc = dkim_sign_header_set(a, k, DKIM_CANON_RELAXED, fields, nf, &nob, &b64);
	if (rc == DKIM_ERR_NOMEM)
		return ARC_ERR_NOMEM;
	if (rc)
		return ARC_ERR_CRYPTO;
	struct slice raw = seal_build(a, hname, t, n, b64, lf_only);
	if (!raw.ptr)
		return ARC_ERR_NOMEM;
	seal_header(raw, hlen, out);
	struct msg_header check;
	if (!dkim_header_strip_b(a, out, &check))
		return ARC_ERR_NOMEM;
	if (!slice_eq(check.raw, unsigned_raw))
		return ARC_ERR_CRYPTO; /* layout bug: never sign what we do not emit */
	return ARC_OK;
}

int arc_seal_message(struct arena *a, const struct msg *m, const struct arc_seal_params *p,
             const struct arc_result *chain, struct slice aar_body, uint64_t now,
             struct arc_sealed *out, const char **detail)
{
	const char *dummy;
	if (!detail)
		detail = &dummy;
	*detail = "";
	memset(out, 0, sizeof *out);
	out->why = "";
	if (!p || !chain || !m) {
		*detail = "missing argument";
		return ARC_ERR_ARG;
	}
	if (!now)
		now = (uint64_t)time(NULL);

	/* RFC 8617 5.2 step 2 / 5.1.2: a chain some sealer declared failed is
	 * over; nothing is added to it. */
	if (chain->top_cv_fail) {
		out->why = "the latest ARC-Seal says cv=fail: the chain cannot be continued";
		return ARC_OK;
	}
	unsigned inst = chain->instances + 1;
	if (inst > ARC_MAX_INSTANCES) {
		out->why = "the chain already has ARC_MAX_INSTANCES (50) sets (RFC 8617 4.2.1)";
		return ARC_OK;
	}
	enum arc_cv cv = chain->state == ARC_PASS ? ARC_CV_PASS
	                 : chain->state == ARC_FAIL ? ARC_CV_FAIL : ARC_CV_NONE;
	if (cv == ARC_CV_NONE && inst != 1) {
		*detail = "chain state none but the message has ARC sets";
		return ARC_ERR_ARG;
	}
	if (cv == ARC_CV_PASS &&
	    (!chain->chain || chain->chain->status != ARC_CHAIN_OK || chain->chain->n != inst - 1)) {
		*detail = "chain state pass without the verified sets";
		return ARC_ERR_ARG;
	}

	if (!seal_domain_ok(a, p->domain)) {
		*detail = "d= is not a domain name";
		return ARC_ERR_ARG;
	}
	if (!seal_selector_ok(a, p->selector, p->domain)) {
		*detail = "s= is not a selector";
		return ARC_ERR_ARG;
	}
	struct dkim_privkey loaded;
	const struct dkim_privkey *key = p->key;
	if (!key) {
		const char *kd = NULL;
		int rc = dkim_privkey_load_pem(a, p->key_pem, &loaded, &kd);
		if (rc == DKIM_ERR_NOMEM)
			return ARC_ERR_NOMEM;
		if (rc) {
			*detail = kd ? kd : "private key unusable";
			return ARC_ERR_ARG;
		}
		key = &loaded;
	}
	if (key->type == DKIM_KEY_RSA && key->bits < DKIM_MIN_RSA_BITS) {
		*detail = "RSA key shorter than DKIM_MIN_RSA_BITS (RFC 8301 3.2)";
		return ARC_ERR_ARG;
	}
	enum dkim_algo algo = key->type == DKIM_KEY_ED25519 ? DKIM_ALG_ED25519_SHA256
	                                                    : DKIM_ALG_RSA_SHA256;

	/* h= for the AMS. */
	const struct slice *names = p->headers;
	size_t nnames = p->nheaders;
	if (!names || !nnames) {
		size_t nd;
		const struct slice *d = arc_seal_default_headers(&nd);
		struct slice *list = arena_calloc(a, DKIM_MAX_SIGNED_HEADERS, sizeof *list);
		if (!list)
			return ARC_ERR_NOMEM;
		nnames = 0;
		for (size_t i = 0; i < nd; i++) {
			size_t c = msg_count(m, d[i]);
			if (c == 0 && slice_eq_cstr_ci(d[i], "from"))
				c = 1;
			for (size_t j = 0; j < c && nnames < DKIM_MAX_SIGNED_HEADERS; j++)
				list[nnames++] = d[i];
		}
		names = list;
	}
	if (nnames > DKIM_MAX_SIGNED_HEADERS) {
		*detail = "more header names than DKIM_MAX_SIGNED_HEADERS";
		return ARC_ERR_ARG;
	}
	bool from = false;
	struct buf hb;
	buf_init(&hb, a, (size_t)DKIM_MAX_SIGNED_HEADERS * 1000);
	for (size_t i = 0; i < nnames; i++) {
		if (!seal_is_field_name(names[i])) {
			*detail = "a header name is not a field name";
			return ARC_ERR_ARG;
		}
		/* RFC 8617 4.1.2: no Authentication-Results, no ARC fields. */
		if (slice_eq_cstr_ci(names[i], "Authentication-Results") ||
		    slice_starts_with_ci(names[i], SLICE_LIT("ARC-"))) {
			*detail = "Authentication-Results and ARC fields must not be signed "
			          "(RFC 8617 4.1.2)";
			return ARC_ERR_ARG;
		}
		if (slice_eq_cstr_ci(names[i], "From"))
			from = true;
		if (i)
			buf_add_byte(&hb, ':');
		buf_add_slice(&hb, names[i]);
	}
	if (!from) {
		*detail = "From must be signed (RFC 6376 5.4)";
		return ARC_ERR_ARG;
	}
	if (hb.err)
		return ARC_ERR_NOMEM;

	const char *eol = p->lf_only ? "\n" : "\r\n";
	size_t eol_len = p->lf_only ? 1 : 2;

	/* ARC-Authentication-Results (RFC 8617 4.1.1). */
	bool no_result = false;
	bool has_arc = seal_payload_has_arc(aar_body, &no_result);
	struct buf ab;
	buf_init(&ab, a, (size_t)AR_MAX_HEADER_BYTES * 2);
	buf_addf(&ab, "ARC-Authentication-Results: i=%u; ", inst);
	if (no_result) {
		/* "authserv-id; none": the arc result becomes the only resinfo. */
		struct slice id, rest;
		slice_split_byte(slice_trim_ws(aar_body), ';', &id, &rest);
		if (!seal_copy_payload(&ab, id, eol, eol_len)) {
			*detail = "the Authentication-Results payload is not a field value";
			return ARC_ERR_ARG;
		}
		buf_addf(&ab, "; arc=%s", arc_state_str(chain->state));
	} else {
		if (!seal_copy_payload(&ab, aar_body, eol, eol_len)) {
			*detail = "the Authentication-Results payload is not a field value";
			return ARC_ERR_ARG;
		}
		/* RFC 8617 5.2: the validation result belongs in our results; the
		 * AAR carries them all (4.1.1). */
		if (!has_arc) {
			if (ab.len && ab.ptr[ab.len - 1] != ';')
				buf_add_byte(&ab, ';');
			buf_add(&ab, eol, eol_len);
			buf_addf(&ab, " arc=%s", arc_state_str(chain->state));
		}
	}
	if (ab.err)
		return ARC_ERR_NOMEM;
	struct msg_header aar;
	seal_header(buf_slice(&ab), strlen("ARC-Authentication-Results"), &aar);

	/* Body hash, relaxed (RFC 8617 4.1.2 via RFC 6376 3.7). */
	struct dkim_body *body = dkim_body_new(a);
	size_t slot;
	if (!body || dkim_body_want(body, DKIM_CANON_RELAXED, DKIM_HASH_SHA256, false, 0, &slot) ||
	    dkim_body_feed(body, m->body.ptr, m->body.len) || dkim_body_finish(body))
		return ARC_ERR_NOMEM;
	const unsigned char *md;
	size_t mdlen;
	uint64_t clen;
	dkim_body_result(body, slot, &md, &mdlen, &clen);
	struct slice bh = b64_encode(a, md, mdlen);
	char *inst_s = arena_printf(a, "%u", inst);
	char *t_s = arena_printf(a, "%llu", (unsigned long long)now);
	if (!bh.ptr || !inst_s || !t_s)
		return ARC_ERR_NOMEM;
	struct slice algo_s = slice_from_cstr(dkim_algo_str(algo));

	/* ARC-Message-Signature (RFC 8617 4.1.2). */
	const struct msg_header **sel;
	size_t nsel;
	int rc = dkim_select_headers(a, m, names, nnames, NULL, &sel, &nsel);
	if (rc)
		return ARC_ERR_NOMEM;
	/* RFC 8617 4.1.2 ABNF: arc-ams-info = instance [CFWS] ";" tag-list,
	 * so i= comes first; alpha_tag_order puts it among the others. */
	struct seal_tagv ams_tags[] = {
		{ "i", slice_from_cstr(inst_s) },
		{ "a", algo_s },
		{ "b", SLICE_NULL },
		{ "bh", bh },
		{ "c", SLICE_LIT("relaxed/relaxed") },
		{ "d", p->domain },
		{ "h", buf_slice(&hb) },
		{ "s", p->selector },
		{ "t", slice_from_cstr(t_s) },
	};
	if (p->alpha_tag_order)
		seal_alpha(ams_tags, sizeof ams_tags / sizeof ams_tags[0]);
	struct msg_header ams;
	rc = seal_sign_field(a, key, "ARC-Message-Signature", ams_tags,
	                     sizeof ams_tags / sizeof ams_tags[0], p->lf_only, sel, nsel, &ams);
	if (rc)
		return rc;

	/* ARC-Seal (RFC 8617 4.1.3, 5.1.1, 5.1.2). */
	size_t nprev = cv == ARC_CV_FAIL ? 0 : (size_t)(inst - 1);
	size_t nf = 3 * nprev + 2;
	const struct msg_header **f = arena_calloc(a, nf, sizeof *f);
	if (!f)
		return ARC_ERR_NOMEM;
	size_t k = 0;
	for (size_t j = 0; j < nprev; j++) {
		const struct arc_set *s = &chain->chain->set[j];
		f[k++] = s->aar;
		f[k++] = s->ams.hdr;
		f[k++] = s->as.hdr;
	}
	f[k++] = &aar;
	f[k++] = &ams;
	static const char *const cv_word[] = { "none", "pass", "fail", "none" };
	/* RFC 8617 4.1.3 ABNF: arc-as-info = instance [CFWS] ";" tag-list. */
	struct seal_tagv as_tags[] = {
		{ "i", slice_from_cstr(inst_s) },
		{ "a", algo_s },
		{ "b", SLICE_NULL },
		{ "cv", slice_from_cstr(cv_word[cv]) },
		{ "d", p->domain },
		{ "s", p->selector },
		{ "t", slice_from_cstr(t_s) },
	};
	if (p->alpha_tag_order)
		seal_alpha(as_tags, sizeof as_tags / sizeof as_tags[0]);
	struct msg_header as;
	rc = seal_sign_field(a, key, "ARC-Seal", as_tags, sizeof as_tags / sizeof as_tags[0],
	                     p->lf_only, f, nf, &as);
	if (rc)
		return rc;

	struct buf blk;
	buf_init(&blk, a, as.raw.len + ams.raw.len + aar.raw.len + 3 * eol_len + 1);
	buf_add_slice(&blk, as.raw);
	buf_add(&blk, eol, eol_len);
	buf_add_slice(&blk, ams.raw);
	buf_add(&blk, eol, eol_len);
	buf_add_slice(&blk, aar.raw);
	buf_add(&blk, eol, eol_len);
	if (blk.err)
		return ARC_ERR_NOMEM;
	out->sealed = true;
	out->instance = inst;
	out->cv = cv;
	out->field[0] = as.raw;
	out->field[1] = ams.raw;
	out->field[2] = aar.raw;
	out->block = buf_slice(&blk);
	return ARC_OK;
}
