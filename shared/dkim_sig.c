/* dkim_sig.c — parsing and validating one DKIM-Signature header field
 * (RFC 6376 3.5 tags, 6.1.1 validation; RFC 8301 3.1 for rsa-sha1).
 *
 * The tag list is validated as a whole first (tag.h), then each tag is
 * decoded by its own recognizer.  Every problem ends in out->reason with a
 * detail text; nothing here aborts, and only running out of memory is
 * returned as an error.  Slices point into the header field (the message);
 * decoded values (b=, bh=, i=, d=) live in the arena.
 */
#include "dkim.h"

#include <string.h>

#include "b64.h"
#include "domain.h"
#include "mailauth_limits.h"
#include "tag.h"

static bool sig_is_fws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Split a colon-separated list (FWS allowed around the colons, RFC 6376
 * 3.5 sig-h-tag and sig-q-tag) and call fn for each trimmed element; stops
 * and returns false when fn does.  At most max elements (0: unlimited);
 * *count gets how many there were. */
static bool sig_each_colon_item(struct slice list, size_t max, size_t *count,
                                bool (*fn)(void *ctx, struct slice item), void *ctx)
{
	size_t n = 0;
	const char *p = list.ptr, *end = list.ptr + list.len;
	for (;;) {
		const char *c = p;
		while (c < end && *c != ':')
			c++;
		struct slice item = slice_trim_ws(slice_between(p, c));
		n++;
		if (max && n > max) {
			*count = n;
			return false;
		}
		if (fn && !fn(ctx, item)) {
			*count = n;
			return false;
		}
		if (c >= end)
			break;
		p = c + 1;
	}
	*count = n;
	return true;
}

static void sig_set(struct dkim_sig *s, enum dkim_reason r, const char *detail)
{
	if (s->reason == DKIM_R_OK) {
		s->reason = r;
		s->detail = detail;
	}
}

/* Decimal number (RFC 6376 3.5: 1*76DIGIT for l=, 1*12DIGIT for t= and x=,
 * which we accept longer).  Values beyond 64 bits saturate: they are still
 * numbers, just larger than any body or time. */
static bool sig_parse_number(struct slice v, uint64_t *out)
{
	if (v.len == 0 || v.len > 76)
		return false;
	uint64_t n = 0;
	for (size_t i = 0; i < v.len; i++) {
		unsigned char c = (unsigned char)v.ptr[i];
		if (c < '0' || c > '9')
			return false;
		unsigned d = c - '0';
		if (n > (UINT64_MAX - d) / 10)
			n = UINT64_MAX;
		else
			n = n * 10 + d;
	}
	*out = n;
	return true;
}

static int sig_hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* RFC 6376 2.11 dkim-quoted-printable: "=XX" is a byte, FWS is dropped,
 * everything else stands for itself.  Returns false on a broken escape. */
static bool sig_qp_decode(struct arena *a, struct slice in, struct slice *out, bool *nomem)
{
	char *p = arena_alloc(a, in.len + 1);
	if (!p) {
		*nomem = true;
		return false;
	}
	size_t n = 0;
	for (size_t i = 0; i < in.len; i++) {
		char c = in.ptr[i];
		if (sig_is_fws(c))
			continue;
		if (c == '=') {
			if (in.len - i < 3)
				return false;
			int h = sig_hexval((unsigned char)in.ptr[i + 1]);
			int l = sig_hexval((unsigned char)in.ptr[i + 2]);
			if (h < 0 || l < 0)
				return false;
			p[n++] = (char)(h * 16 + l);
			i += 2;
			continue;
		}
		p[n++] = c;
	}
	p[n] = '\0';
	*out = slice_make(p, n);
	return true;
}

struct sig_h_ctx {
	struct dkim_sig *sig;
	bool from;
};

static bool sig_h_item(void *ctx, struct slice item)
{
	struct sig_h_ctx *h = ctx;
	if (!msg_is_field_name(item))
		return false;
	h->sig->h[h->sig->nh++] = item;
	if (slice_eq_cstr_ci(item, "from"))
		h->from = true;
	return true;
}

static bool sig_q_item(void *ctx, struct slice item)
{
	/* RFC 6376 3.5 q=: "dns/txt" is the only method; others (and
	 * options after it) are future extensions we do not implement. */
	if (slice_eq_cstr_ci(item, "dns/txt"))
		*(bool *)ctx = true;
	return true;
}

static void sig_parse_tags(struct dkim_sig *s, const struct tag_list *tl)
{
	for (size_t i = 0; i < tl->n; i++) {
		const struct tag *t = &tl->tags[i];
		struct slice n = t->name;
		struct slice *dst = NULL;
		if (n.len == 1) {
			switch (n.ptr[0]) {
			case 'v': dst = &s->v; break;
			case 'a': dst = &s->a_text; break;
			case 'b': dst = &s->b_text; break;
			case 'c': dst = &s->c_text; break;
			case 'd': dst = &s->d; break;
			case 'h': dst = &s->h_text; break;
			case 'i': dst = &s->i; break;
			case 'l': dst = &s->l_text; break;
			case 'q': dst = &s->q; break;
			case 's': dst = &s->s; break;
			case 't': dst = &s->t_text; break;
			case 'x': dst = &s->x_text; break;
			default: break; /* z= and unknown tags are ignored */
			}
		} else if (n.len == 2 && n.ptr[0] == 'b' && n.ptr[1] == 'h') {
			dst = &s->bh_text;
		}
		if (dst) {
			*dst = t->value;
			/* An empty value still marks the tag as present. */
			if (!dst->ptr)
				*dst = slice_make(t->name.ptr + t->name.len, 0);
		}
	}
}

int dkim_sig_parse(struct arena *a, const struct msg_header *hdr, uint64_t now,
                   struct dkim_sig *out)
{
	memset(out, 0, sizeof *out);
	out->hdr = hdr;
	out->reason = DKIM_R_OK;
	out->detail = "";
	struct tag_list tl;
	struct slice where;
	enum tag_status ts = tag_list_parse(a, hdr->value, &tl, &where);
	if (ts == TAG_E_NOMEM)
		return DKIM_ERR_NOMEM;
	if (ts != TAG_OK) {
		sig_set(out, DKIM_R_SIGNATURE_SYNTAX,
		        ts == TAG_E_DUPLICATE ? "tag appears twice"
		        : ts == TAG_E_LIMIT   ? "too many tags"
		                              : "not a valid tag list");
		return DKIM_OK;
	}
	sig_parse_tags(out, &tl);

	/* v= first: a missing or other version is a pre-RFC draft or a
	 * future protocol, not a malformed DKIM-Signature (6.1.1). */
	if (!out->v.ptr) {
		sig_set(out, DKIM_R_SIGNATURE_VERSION, "no v= tag (pre-RFC 4871 signature)");
		return DKIM_OK;
	}
	if (!slice_eq(out->v, SLICE_LIT("1"))) {
		sig_set(out, DKIM_R_SIGNATURE_VERSION, "v= is not 1");
		return DKIM_OK;
	}
	static const struct {
		const char *name;
		size_t off;
	} required[] = {
		{ "a=", offsetof(struct dkim_sig, a_text) },
		{ "b=", offsetof(struct dkim_sig, b_text) },
		{ "bh=", offsetof(struct dkim_sig, bh_text) },
		{ "d=", offsetof(struct dkim_sig, d) },
		{ "h=", offsetof(struct dkim_sig, h_text) },
		{ "s=", offsetof(struct dkim_sig, s) },
	};
	for (size_t k = 0; k < sizeof required / sizeof required[0]; k++) {
		const struct slice *f = (const struct slice *)((const char *)out + required[k].off);
		if (!f->ptr) {
			out->detail = arena_printf(a, "required tag %s missing", required[k].name);
			if (!out->detail)
				return DKIM_ERR_NOMEM;
			out->reason = DKIM_R_SIGNATURE_SYNTAX;
			return DKIM_OK;
		}
	}

	/* a= (3.5, 3.3; ABNF strings compare case-insensitively). */
	bool sha1 = false;
	if (slice_eq_cstr_ci(out->a_text, "rsa-sha256")) {
		out->algo = DKIM_ALG_RSA_SHA256;
	} else if (slice_eq_cstr_ci(out->a_text, "ed25519-sha256")) {
		out->algo = DKIM_ALG_ED25519_SHA256;
	} else if (slice_eq_cstr_ci(out->a_text, "rsa-sha1")) {
		out->algo = DKIM_ALG_RSA_SHA1;
		sha1 = true;
	} else {
		sig_set(out, DKIM_R_ALGORITHM_UNSUPPORTED, "unknown a= algorithm");
		return DKIM_OK;
	}

	/* b= and bh= */
	enum b64_status bs = b64_decode(a, out->b_text, &out->b);
	if (bs == B64_E_NOMEM)
		return DKIM_ERR_NOMEM;
	if (bs != B64_OK || out->b.len == 0) {
		sig_set(out, DKIM_R_SIGNATURE_SYNTAX, "b= is not base64");
		return DKIM_OK;
	}
	bs = b64_decode(a, out->bh_text, &out->bh);
	if (bs == B64_E_NOMEM)
		return DKIM_ERR_NOMEM;
	if (bs != B64_OK || out->bh.len == 0) {
		sig_set(out, DKIM_R_SIGNATURE_SYNTAX, "bh= is not base64");
		return DKIM_OK;
	}

	/* c= (3.5): "header[/body]", the body defaulting to simple. */
	out->hcanon = out->bcanon = DKIM_CANON_SIMPLE;
	if (out->c_text.ptr) {
		struct slice hc, bc;
		bool two = slice_split_byte(out->c_text, '/', &hc, &bc);
		enum dkim_canon *dst[2] = { &out->hcanon, &out->bcanon };
		struct slice parts[2] = { hc, bc };
		for (int k = 0; k < (two ? 2 : 1); k++) {
			if (slice_eq_cstr_ci(parts[k], "simple")) {
				*dst[k] = DKIM_CANON_SIMPLE;
			} else if (slice_eq_cstr_ci(parts[k], "relaxed")) {
				*dst[k] = DKIM_CANON_RELAXED;
			} else {
				sig_set(out, DKIM_R_ALGORITHM_UNSUPPORTED,
				        "unknown c= canonicalization");
				return DKIM_OK;
			}
		}
	}

	/* q= (3.5) */
	if (out->q.ptr) {
		bool dns = false;
		size_t cnt;
		sig_each_colon_item(out->q, 0, &cnt, sig_q_item, &dns);
		if (!dns) {
			sig_set(out, DKIM_R_ALGORITHM_UNSUPPORTED, "q= does not offer dns/txt");
			return DKIM_OK;
		}
	}

	/* d= and s=: names we will look up, so they must be valid domain
	 * names (A-labels after IDNA mapping; '_' allowed). */
	if (!domain_normalize(a, out->d, &out->d_norm)) {
		sig_set(out, DKIM_R_SIGNATURE_SYNTAX, "d= is not a domain name");
		return DKIM_OK;
	}
	struct slice s_norm;
	if (!domain_normalize(a, out->s, &s_norm)) {
		sig_set(out, DKIM_R_SIGNATURE_SYNTAX, "s= is not a valid selector");
		return DKIM_OK;
	}

	/* h= (3.5): colon-separated field names, From among them (5.4). */
	size_t nitems = 0;
	sig_each_colon_item(out->h_text, 0, &nitems, NULL, NULL);
	if (nitems > DKIM_MAX_SIGNED_HEADERS) {
		sig_set(out, DKIM_R_SIGNATURE_SYNTAX,
		        "h= lists more names than DKIM_MAX_SIGNED_HEADERS");
		return DKIM_OK;
	}
	out->h = arena_calloc(a, nitems, sizeof *out->h);
	if (!out->h)
		return DKIM_ERR_NOMEM;
	struct sig_h_ctx hc = { out, false };
	if (!sig_each_colon_item(out->h_text, DKIM_MAX_SIGNED_HEADERS, &nitems, sig_h_item, &hc)) {
		sig_set(out, DKIM_R_SIGNATURE_SYNTAX, "h= holds something not a field name");
		return DKIM_OK;
	}
	if (!hc.from) {
		sig_set(out, DKIM_R_FROM_NOT_SIGNED, "h= does not include From");
		return DKIM_OK;
	}

	/* l=, t=, x= */
	if (out->l_text.ptr) {
		if (!sig_parse_number(out->l_text, &out->l)) {
			sig_set(out, DKIM_R_SIGNATURE_SYNTAX, "l= is not a number");
			return DKIM_OK;
		}
		out->have_l = true;
	}
	if (out->t_text.ptr) {
		if (!sig_parse_number(out->t_text, &out->t)) {
			sig_set(out, DKIM_R_SIGNATURE_SYNTAX, "t= is not a number");
			return DKIM_OK;
		}
		out->have_t = true;
	}
	if (out->x_text.ptr) {
		if (!sig_parse_number(out->x_text, &out->x)) {
			sig_set(out, DKIM_R_SIGNATURE_SYNTAX, "x= is not a number");
			return DKIM_OK;
		}
		out->have_x = true;
	}

	/* i= (3.5): [local-part] "@" domain, in dkim-quoted-printable; the
	 * domain must be d= or a subdomain of it (6.1.1). */
	if (out->i.ptr) {
		struct slice dec;
		bool nomem = false;
		if (!sig_qp_decode(a, out->i, &dec, &nomem)) {
			if (nomem)
				return DKIM_ERR_NOMEM;
			sig_set(out, DKIM_R_SIGNATURE_SYNTAX, "i= has a broken =XX escape");
			return DKIM_OK;
		}
		const char *at = NULL;
		for (size_t k = dec.len; k > 0; k--) {
			if (dec.ptr[k - 1] == '@') {
				at = dec.ptr + k - 1;
				break;
			}
		}
		if (!at) {
			sig_set(out, DKIM_R_SIGNATURE_SYNTAX, "i= has no @");
			return DKIM_OK;
		}
		struct slice idom = slice_between(at + 1, dec.ptr + dec.len);
		if (!domain_normalize(a, idom, &out->i_domain)) {
			sig_set(out, DKIM_R_SIGNATURE_SYNTAX, "i= domain is not a domain name");
			return DKIM_OK;
		}
		if (!domain_is_within(out->i_domain, out->d_norm)) {
			sig_set(out, DKIM_R_IDENTITY_MISMATCH, "i= domain is not within d=");
			return DKIM_OK;
		}
	} else {
		out->i_domain = out->d_norm;
	}

	/* x= (3.5): later than t=, and not past (6.1.1). */
	if (out->have_x && out->have_t && out->x <= out->t) {
		sig_set(out, DKIM_R_SIGNATURE_EXPIRED, "x= is not after t=");
		return DKIM_OK;
	}
	if (out->have_x && now && now > out->x) {
		sig_set(out, DKIM_R_SIGNATURE_EXPIRED, "signature expired (x=)");
		return DKIM_OK;
	}

	/* RFC 8301 3.1: verifiers MUST NOT consider rsa-sha1 signatures valid.
	 * Checked last so that a broken signature reports what is broken. */
	if (sha1) {
		sig_set(out, DKIM_R_ALGORITHM_INSECURE,
		        "rsa-sha1 is not accepted (RFC 8301 3.1)");
		return DKIM_OK;
	}
	return DKIM_OK;
}
