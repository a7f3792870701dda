/* dkim_canon.c — DKIM header canonicalization (RFC 6376 3.4.1 simple,
 * 3.4.2 relaxed), header selection (5.4.2), removal of the b= value from a
 * signature header (3.7) and the header hash (3.7).  ARC (RFC 8617 5.1)
 * hashes its header sets with the same functions.
 *
 * Header fields come from the message model (msg.h): raw bytes with
 * folding, LF or CRLF line ends.  A bare LF is a line end like CRLF (Exim's
 * spool has LF only), so simple canonicalization writes it as CRLF and the
 * hash is the same for both storage forms.  Nothing here is kept between
 * calls; buffers live in the caller's arena.
 */
#include "dkim.h"

#include <string.h>

#include <openssl/evp.h>

#include "mailauth_limits.h"
#include "tag.h"

static inline unsigned char canon_lower(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

static inline bool canon_is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

/* RFC 6376 3.4.1: the field exactly as it is, but line ends are CRLF. */
static void canon_header_simple(struct buf *out, struct slice raw)
{
	const char *p = raw.ptr, *end = raw.ptr + raw.len;
	while (p < end) {
		const char *lf = memchr(p, '\n', (size_t)(end - p));
		if (!lf) {
			buf_add(out, p, (size_t)(end - p));
			break;
		}
		if (lf > p && lf[-1] == '\r') {
			buf_add(out, p, (size_t)(lf + 1 - p));
		} else {
			buf_add(out, p, (size_t)(lf - p));
			buf_add(out, "\r\n", 2);
		}
		p = lf + 1;
	}
}

/* RFC 6376 3.4.2: lower-case name, then ':' and the value unfolded, WSP runs
 * as one SP, WSP at both ends removed. */
static void canon_header_relaxed(struct buf *out, const struct msg_header *h)
{
	for (size_t i = 0; i < h->name.len; i++)
		buf_add_byte(out, (char)canon_lower((unsigned char)h->name.ptr[i]));
	buf_add_byte(out, ':');
	const char *p = h->value.ptr, *end = h->value.ptr + h->value.len;
	bool started = false, space = false;
	while (p < end) {
		/* Copy the longest run without WSP or line ends in one go. */
		const char *q = p;
		while (q < end && !canon_is_wsp(*q) && *q != '\n' &&
		       !(*q == '\r' && q + 1 < end && q[1] == '\n'))
			q++;
		if (q > p) {
			if (space)
				buf_add_byte(out, ' ');
			buf_add(out, p, (size_t)(q - p));
			started = true;
			space = false;
			p = q;
			continue;
		}
		/* A line end inside a field is folding: it goes away (unfold);
		 * the WSP after it joins the run. */
		if (*p == '\r')
			p += 2;
		else if (*p == '\n')
			p++;
		else {
			space = started;
			p++;
		}
	}
}

void dkim_canon_header(struct buf *out, enum dkim_canon c, const struct msg_header *h,
                       bool with_crlf)
{
	if (c == DKIM_CANON_SIMPLE)
		canon_header_simple(out, h->raw);
	else
		canon_header_relaxed(out, h);
	if (with_crlf)
		buf_add(out, "\r\n", 2);
}

bool dkim_header_strip_b(struct arena *a, const struct msg_header *in, struct msg_header *out)
{
	struct tag_list tl;
	if (tag_list_parse(a, in->value, &tl, NULL) != TAG_OK)
		return false;
	const struct tag *b = tag_list_get(&tl, "b");
	if (!b)
		return false;
	/* Between the tag name and the value there is [FWS] "=" [FWS]; keep
	 * up to the '=' and drop everything from there to the value's end. */
	const char *eq = b->name.ptr + b->name.len;
	const char *vend = b->value.ptr + b->value.len;
	const char *rend = in->raw.ptr + in->raw.len;
	while (eq < vend && *eq != '=')
		eq++;
	if (eq >= rend || *eq != '=' || eq < in->raw.ptr)
		return false;
	/* An empty value has nothing to delete: the tag parser places it after
	 * the FWS that follows '=', and that FWS is the FWS before the next
	 * ";", which stays (otherwise a second removal would change the
	 * header again). */
	if (b->value.len == 0)
		vend = eq + 1;
	size_t keep1 = (size_t)(eq + 1 - in->raw.ptr);
	size_t cut = (size_t)(vend - (eq + 1));
	size_t newlen = in->raw.len - cut;
	char *p = arena_alloc(a, newlen + 1);
	if (!p)
		return false;
	memcpy(p, in->raw.ptr, keep1);
	memcpy(p + keep1, vend, (size_t)(rend - vend));
	p[newlen] = '\0';
	out->raw = slice_make(p, newlen);
	out->name = slice_make(p + (in->name.ptr - in->raw.ptr), in->name.len);
	size_t voff = (size_t)(in->value.ptr - in->raw.ptr);
	out->value = slice_make(p + voff, in->value.len - cut);
	return true;
}

int dkim_select_headers(struct arena *a, const struct msg *m, const struct slice *names,
                        size_t nnames, const struct msg_header *exclude,
                        const struct msg_header ***out, size_t *nout)
{
	*out = NULL;
	*nout = 0;
	const struct msg_header **sel = arena_calloc(a, nnames ? nnames : 1, sizeof *sel);
	/* One cursor per distinct name: where the upward walk for it stopped.
	 * Distinct names are found by comparing with the earlier ones, so this
	 * is quadratic in nnames, which DKIM_MAX_SIGNED_HEADERS bounds. */
	size_t *first = arena_calloc(a, nnames ? nnames : 1, sizeof *first);
	size_t *cursor = arena_calloc(a, nnames ? nnames : 1, sizeof *cursor);
	if (!sel || !first || !cursor)
		return DKIM_ERR_NOMEM;
	size_t n = 0;
	for (size_t i = 0; i < nnames; i++) {
		size_t owner = i;
		for (size_t j = 0; j < i; j++) {
			if (first[j] == j && slice_eq_ci(names[j], names[i])) {
				owner = j;
				break;
			}
		}
		first[i] = owner;
		if (owner == i)
			cursor[i] = m->nhdr;
		for (;;) {
			long k = msg_find_prev(m, names[i], &cursor[owner]);
			if (k < 0)
				break;
			if (&m->hdr[k] == exclude)
				continue;
			sel[n++] = &m->hdr[k];
			break;
		}
	}
	*out = sel;
	*nout = n;
	return DKIM_OK;
}

static const EVP_MD *canon_md(enum dkim_hash h)
{
	return h == DKIM_HASH_SHA1 ? EVP_sha1() : EVP_sha256();
}

static void canon_free_mdctx(void *p)
{
	EVP_MD_CTX_free(p);
}

int dkim_header_hash(struct arena *a, enum dkim_hash h, enum dkim_canon c,
                     const struct msg_header *const *fields, size_t n,
                     const struct msg_header *sig_no_b, unsigned char md[DKIM_MAX_DIGEST])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	if (!ctx || !arena_defer(a, canon_free_mdctx, ctx))
		return DKIM_ERR_NOMEM;
	if (EVP_DigestInit_ex(ctx, canon_md(h), NULL) != 1)
		return DKIM_ERR_CRYPTO;
	/* One buffer, reused for each field, so memory stays at the size of
	 * the largest field (simple canonicalization at most doubles it). */
	struct buf b;
	buf_init(&b, a, 2 * (size_t)MSG_MAX_HEADER_BYTES + 4);
	for (size_t i = 0; i <= n; i++) {
		b.len = 0;
		if (i < n)
			dkim_canon_header(&b, c, fields[i], true);
		else
			dkim_canon_header(&b, c, sig_no_b, false);
		if (b.err)
			return DKIM_ERR_NOMEM;
		if (b.len && EVP_DigestUpdate(ctx, b.ptr, b.len) != 1)
			return DKIM_ERR_CRYPTO;
	}
	unsigned int len = 0;
	if (EVP_DigestFinal_ex(ctx, md, &len) != 1 || len != dkim_hash_len(h))
		return DKIM_ERR_CRYPTO;
	return DKIM_OK;
}
