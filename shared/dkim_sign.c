/* dkim_sign.c — producing a DKIM-Signature (RFC 6376 section 5) with
 * rsa-sha256 or ed25519-sha256 (RFC 8463).
 *
 * The steps are the public building blocks of dkim.h: the body hash
 * (dkim_body), header selection (dkim_select_headers), and the shared last
 * step dkim_sign_header_set() that ARC sealing uses as well.  The field is
 * built folded at about 78 columns (RFC 5322 2.1.1) with FWS only where
 * RFC 6376 3.5 allows it: between tags, around the colons of h=, and inside
 * the base64 of b=.  Everything lives in the caller's arena.
 */
#include "dkim.h"

#include <string.h>

#include "b64.h"
#include "domain.h"
#include "mailauth_limits.h"

#define SIGN_WIDTH 78

/* The default h= list (RFC 6376 5.4.1's "SHOULD be included" fields plus
 * the MIME ones), each over-signed once. */
static const char *const sign_default_headers[] = {
	"From", "To", "Cc", "Subject", "Date", "Message-ID", "Reply-To", "In-Reply-To",
	"References", "MIME-Version", "Content-Type", "Content-Transfer-Encoding",
};

struct sign_writer {
	struct buf *b;
	size_t col;          /* column of the current line */
	const char *eol;     /* "\r\n" or "\n" */
};

/* Add a piece that must not be split; fold before it when the line would
 * get too long.  sep is written before it when no fold happens. */
static void sign_piece(struct sign_writer *w, const char *sep, struct slice piece)
{
	size_t seplen = sep ? strlen(sep) : 0;
	if (w->col + seplen + piece.len > SIGN_WIDTH && w->col > 1) {
		buf_add_cstr(w->b, w->eol);
		buf_add_byte(w->b, '\t');
		w->col = 8;
	} else if (seplen) {
		buf_add(w->b, sep, seplen);
		w->col += seplen;
	}
	buf_add_slice(w->b, piece);
	w->col += piece.len;
}

static void sign_tag(struct sign_writer *w, struct arena *a, const char *name, struct slice v,
                     bool first)
{
	char *t = arena_printf(a, "%s=%.*s;", name, (int)v.len, v.ptr);
	if (!t) {
		w->b->err = true;
		return;
	}
	sign_piece(w, first ? NULL : " ", slice_from_cstr(t));
}

/* Field names are tokens of our caller's choosing; validate them all the
 * same (RFC 5322 ftext), since they end up in a header field. */
static bool sign_is_field_name(struct slice s)
{
	if (!s.len)
		return false;
	for (size_t i = 0; i < s.len; i++) {
		unsigned char c = (unsigned char)s.ptr[i];
		if (c < 33 || c > 126 || c == ':')
			return false;
	}
	return true;
}

int dkim_sign(struct arena *a, const struct dkim_privkey *k, const struct msg *m,
              const struct dkim_sign_opts *opts, struct slice *out, const char **detail)
{
	const char *dummy;
	if (!detail)
		detail = &dummy;
	*detail = "";
	*out = SLICE_NULL;
	if (!k || !k->pkey || !opts || !m) {
		*detail = "missing key, message or options";
		return DKIM_ERR_ARG;
	}
	struct slice dom, sel;
	if (!domain_normalize(a, opts->domain, &dom)) {
		*detail = "d= is not a domain name";
		return DKIM_ERR_ARG;
	}
	if (!domain_normalize(a, opts->selector, &sel)) {
		*detail = "s= is not a valid selector";
		return DKIM_ERR_ARG;
	}
	if (opts->identity.len) {
		const char *at = NULL;
		for (size_t i = opts->identity.len; i > 0 && !at; i--)
			if (opts->identity.ptr[i - 1] == '@')
				at = opts->identity.ptr + i - 1;
		struct slice idom;
		if (!at || !domain_normalize(a, slice_between(at + 1, slice_end(opts->identity)),
		                             &idom) ||
		    !domain_is_within(idom, dom)) {
			*detail = "i= must be [local]@ d= or a subdomain of it";
			return DKIM_ERR_ARG;
		}
		for (size_t i = 0; i < opts->identity.len; i++) {
			unsigned char c = (unsigned char)opts->identity.ptr[i];
			if (c <= ' ' || c >= 0x7f || c == ';' || c == '=') {
				*detail = "i= must be printable ASCII without ';' or '='";
				return DKIM_ERR_ARG;
			}
		}
	}
	if (opts->have_x && opts->have_t && opts->x <= opts->t) {
		*detail = "x= must be after t=";
		return DKIM_ERR_ARG;
	}
	enum dkim_algo algo =
		k->type == DKIM_KEY_ED25519 ? DKIM_ALG_ED25519_SHA256 : DKIM_ALG_RSA_SHA256;

	/* h= names. */
	const struct slice *names = opts->headers;
	size_t nnames = opts->nheaders;
	if (!names || !nnames) {
		size_t ndef = sizeof sign_default_headers / sizeof sign_default_headers[0];
		size_t cap = 0;
		for (size_t i = 0; i < ndef; i++)
			cap += msg_count(m, slice_from_cstr(sign_default_headers[i])) + 1;
		struct slice *nm = arena_calloc(a, cap, sizeof *nm);
		if (!nm)
			return DKIM_ERR_NOMEM;
		nnames = 0;
		for (size_t i = 0; i < ndef; i++) {
			struct slice h = slice_from_cstr(sign_default_headers[i]);
			size_t c = msg_count(m, h) + 1;
			for (size_t j = 0; j < c; j++)
				nm[nnames++] = h;
		}
		names = nm;
	}
	if (nnames > DKIM_MAX_SIGNED_HEADERS) {
		*detail = "more h= names than DKIM_MAX_SIGNED_HEADERS";
		return DKIM_ERR_ARG;
	}
	bool from = false;
	for (size_t i = 0; i < nnames; i++) {
		if (!sign_is_field_name(names[i])) {
			*detail = "h= holds something not a field name";
			return DKIM_ERR_ARG;
		}
		if (slice_eq_cstr_ci(names[i], "from"))
			from = true;
	}
	if (!from) {
		*detail = "h= must include From (RFC 6376 5.4)";
		return DKIM_ERR_ARG;
	}

	/* Body hash (3.7 step 1). */
	struct dkim_body *body = dkim_body_new(a);
	size_t slot;
	if (!body)
		return DKIM_ERR_NOMEM;
	int rc = dkim_body_want(body, opts->bcanon, DKIM_HASH_SHA256, false, 0, &slot);
	if (!rc)
		rc = dkim_body_feed(body, m->body.ptr ? m->body.ptr : "", m->body.len);
	if (!rc)
		rc = dkim_body_finish(body);
	if (rc)
		return rc;
	const unsigned char *md;
	size_t mdlen;
	uint64_t canon_len;
	dkim_body_result(body, slot, &md, &mdlen, &canon_len);
	struct slice bh = b64_encode(a, md, mdlen);
	if (!bh.ptr)
		return DKIM_ERR_NOMEM;

	/* The field with an empty b= (3.7 step 2 hashes it that way). */
	struct buf b;
	buf_init(&b, a, MSG_MAX_LINE_BYTES);
	struct sign_writer w = { &b, 0, opts->lf_only ? "\n" : "\r\n" };
	buf_add_cstr(&b, "DKIM-Signature: ");
	w.col = 16;
	sign_tag(&w, a, "v", SLICE_LIT("1"), true);
	sign_tag(&w, a, "a", slice_from_cstr(dkim_algo_str(algo)), false);
	char *c = arena_printf(a, "%s/%s", dkim_canon_str(opts->hcanon),
	                       dkim_canon_str(opts->bcanon));
	if (!c)
		return DKIM_ERR_NOMEM;
	sign_tag(&w, a, "c", slice_from_cstr(c), false);
	sign_tag(&w, a, "d", dom, false);
	sign_tag(&w, a, "s", sel, false);
	if (opts->identity.len)
		sign_tag(&w, a, "i", opts->identity, false);
	if (opts->body_length) {
		char *l = arena_printf(a, "%llu", (unsigned long long)canon_len);
		if (!l)
			return DKIM_ERR_NOMEM;
		sign_tag(&w, a, "l", slice_from_cstr(l), false);
	}
	if (opts->have_t || opts->have_x) {
		if (opts->have_t) {
			char *t = arena_printf(a, "%llu", (unsigned long long)opts->t);
			if (!t)
				return DKIM_ERR_NOMEM;
			sign_tag(&w, a, "t", slice_from_cstr(t), false);
		}
		if (opts->have_x) {
			char *x = arena_printf(a, "%llu", (unsigned long long)opts->x);
			if (!x)
				return DKIM_ERR_NOMEM;
			sign_tag(&w, a, "x", slice_from_cstr(x), false);
		}
	}
	/* h=: each name a piece, so folds fall next to the colons. */
	for (size_t i = 0; i < nnames; i++) {
		char *piece = arena_printf(a, "%s%.*s%s", i == 0 ? "h=" : "", (int)names[i].len,
		                           names[i].ptr, i + 1 == nnames ? ";" : ":");
		if (!piece)
			return DKIM_ERR_NOMEM;
		sign_piece(&w, i == 0 ? " " : NULL, slice_from_cstr(piece));
	}
	sign_tag(&w, a, "bh", bh, false);
	sign_piece(&w, " ", SLICE_LIT("b="));
	if (b.err)
		return DKIM_ERR_NOMEM;

	struct msg_header nob;
	nob.raw = arena_slice_dup(a, buf_slice(&b));
	if (!nob.raw.ptr)
		return DKIM_ERR_NOMEM;
	nob.name = slice_make(nob.raw.ptr, 14);
	nob.value = slice_make(nob.raw.ptr + 15, nob.raw.len - 15);

	const struct msg_header **fields;
	size_t nf;
	rc = dkim_select_headers(a, m, names, nnames, NULL, &fields, &nf);
	if (rc)
		return rc;
	struct slice sig64;
	rc = dkim_sign_header_set(a, k, opts->hcanon, fields, nf, &nob, &sig64);
	if (rc)
		return rc;

	/* b= value folded in pieces that fill the lines. */
	size_t off = 0;
	while (off < sig64.len) {
		size_t room = w.col < SIGN_WIDTH ? SIGN_WIDTH - w.col : 0;
		if (room < 8) {
			buf_add_cstr(&b, w.eol);
			buf_add_byte(&b, '\t');
			w.col = 8;
			room = SIGN_WIDTH - w.col;
		}
		size_t take = sig64.len - off < room ? sig64.len - off : room;
		buf_add(&b, sig64.ptr + off, take);
		w.col += take;
		off += take;
	}
	if (b.err)
		return DKIM_ERR_NOMEM;
	*out = buf_slice(&b);
	return DKIM_OK;
}
