/* report_dest.c — rua URIs, size limits and external destination checks
 * for aggregate reports (see report_dest.h; RFC 9990 "Transport" and
 * "Verifying External Destinations", RFC 9989 4.7, RFC 7489 6.2, RFC 6068).
 *
 * Ownership: results in the caller's arena.
 */
#include "report_dest.h"

#include <string.h>

#include "domain.h"
#include "mailauth_limits.h"
#include "orgdom.h"
#include "tag.h"

static int hexv(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* RFC 5322 atext plus '.': what a dot-atom local part may hold.  Quoted
 * local parts are refused: an address that needs quotes is not worth the
 * risk in a To: field built from DNS data. */
static bool local_char(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return c != 0 && memchr("!#$%&'*+/=?^_`{|}~.-", c, 20) != NULL;
}

/* "!" 1*DIGIT [k|m|g|t] at the end of text: strip it and set *max. */
static bool take_size(struct slice *text, uint64_t *max)
{
	const char *bang = NULL;
	for (size_t i = text->len; i-- > 0;)
		if (text->ptr[i] == '!') {
			bang = text->ptr + i;
			break;
		}
	if (!bang)
		return true;
	struct slice s = slice_between(bang + 1, slice_end(*text));
	unsigned shift = 0;
	if (s.len) {
		switch (s.ptr[s.len - 1]) {
		case 'k': case 'K': shift = 10; break;
		case 'm': case 'M': shift = 20; break;
		case 'g': case 'G': shift = 30; break;
		case 't': case 'T': shift = 40; break;
		default: break;
		}
		if (shift)
			s.len--;
	}
	uint64_t v;
	if (!slice_parse_u64(s, UINT64_MAX, &v))
		return false;
	/* A limit beyond 2^64 bytes is no limit at all. */
	if (shift && v > (UINT64_MAX >> shift))
		v = UINT64_MAX;
	else
		v <<= shift;
	*max = v;
	*text = slice_between(text->ptr, bang);
	return true;
}

enum report_uri_status report_uri_parse(struct arena *a, struct slice text,
                                        struct report_uri *out, const char **why)
{
	memset(out, 0, sizeof *out);
	out->text = text;
	struct slice t = slice_trim_ws(text);
	if (!take_size(&t, &out->max_bytes)) {
		*why = "malformed size limit";
		return REPORT_URI_BAD;
	}
	if (!slice_starts_with_ci(t, SLICE_LIT("mailto:"))) {
		*why = "only mailto: URIs are supported";
		return REPORT_URI_UNSUPPORTED;
	}
	struct slice rest = slice_sub(t, sizeof "mailto:" - 1, t.len);
	struct slice addr, query;
	slice_split_byte(rest, '?', &addr, &query); /* hfields are ignored */

	/* Percent-decode (RFC 6068 2); the decoded address must still be one
	 * plain addr-spec. */
	char *dec = arena_alloc(a, addr.len + 1);
	if (!dec)
		return REPORT_URI_NOMEM;
	size_t n = 0;
	for (size_t i = 0; i < addr.len; i++) {
		unsigned char c = (unsigned char)addr.ptr[i];
		int h, l;
		if (c == '%') {
			if (i + 2 >= addr.len || (h = hexv((unsigned char)addr.ptr[i + 1])) < 0 ||
			    (l = hexv((unsigned char)addr.ptr[i + 2])) < 0) {
				*why = "malformed percent-encoding";
				return REPORT_URI_BAD;
			}
			c = (unsigned char)(h * 16 + l);
			i += 2;
		}
		dec[n++] = (char)c;
	}
	struct slice d = slice_make(dec, n);
	const char *at = NULL;
	for (size_t i = n; i-- > 0;)
		if (d.ptr[i] == '@') {
			at = d.ptr + i;
			break;
		}
	if (!at) {
		*why = "no address in the URI";
		return REPORT_URI_BAD;
	}
	struct slice local = slice_between(d.ptr, at);
	struct slice dom = slice_between(at + 1, slice_end(d));
	if (local.len == 0 || local.len > 64 || local.ptr[0] == '.' ||
	    local.ptr[local.len - 1] == '.') {
		*why = "unusable local part";
		return REPORT_URI_BAD;
	}
	for (size_t i = 0; i < local.len; i++) {
		if (!local_char((unsigned char)local.ptr[i]) ||
		    (local.ptr[i] == '.' && i + 1 < local.len && local.ptr[i + 1] == '.')) {
			*why = "unusable local part (several addresses, quotes or controls)";
			return REPORT_URI_BAD;
		}
	}
	struct slice host;
	if (!domain_normalize(a, dom, &host)) {
		*why = "the address has no valid domain";
		return REPORT_URI_BAD;
	}
	struct buf b;
	buf_init(&b, a, 1024);
	buf_add_slice(&b, local);
	buf_add_byte(&b, '@');
	buf_add_slice(&b, host);
	if (b.err)
		return REPORT_URI_NOMEM;
	out->address = buf_slice(&b);
	out->host = host;
	return REPORT_URI_OK;
}

uint64_t report_encoded_size(size_t len)
{
	return ((uint64_t)len + 2) / 3 * 4;
}

/* The Organizational Domain used to decide whether a destination is
 * external; false when the name is not a domain. */
static bool org_of(struct arena *a, struct slice d, struct slice *out)
{
	switch (orgdom_registrable(a, d, out)) {
	case ORGDOM_REGISTRABLE:
	case ORGDOM_IS_SUFFIX:
		return true;
	case ORGDOM_NO_LIST:
		/* No public suffix list: only identical names count as one
		 * organization. */
		return domain_normalize(a, d, out);
	default:
		return false;
	}
}

static enum report_dest_status refuse(struct arena *a, struct report_dest *out, const char *fmt,
                                      struct slice x, struct slice y)
{
	out->status = REPORT_DEST_REFUSED;
	out->why = arena_printf(a, fmt, (int)x.len, x.ptr ? x.ptr : "", (int)y.len,
	                        y.ptr ? y.ptr : "");
	if (!out->why) {
		out->status = REPORT_DEST_NOMEM;
		out->why = "out of memory";
	}
	return out->status;
}

/* RFC 9990 step 6: a record passes when it is a tag list whose first tag
 * is v=DMARC1. */
static bool is_dmarc1(struct arena *a, struct slice txt, struct tag_list *tl)
{
	struct slice where;
	if (tag_list_parse(a, txt, tl, &where) != TAG_OK || tl->n == 0)
		return false;
	return slice_eq(tl->tags[0].name, SLICE_LIT("v")) &&
	       slice_eq(tl->tags[0].value, SLICE_LIT("DMARC1"));
}

enum report_dest_status report_dest_check(struct dns_resolver *r, struct arena *a,
                                          struct slice pdomain, const struct report_uri *u,
                                          uint64_t deadline_ms, struct report_dest *out)
{
	memset(out, 0, sizeof *out);
	out->uris = u;
	out->n_uris = 1;

	struct slice pd, porg, horg;
	if (!domain_normalize(a, pdomain, &pd) || !org_of(a, pd, &porg))
		return refuse(a, out, "the policy domain %.*s%.*s is not a valid domain", pdomain,
		              SLICE_NULL);
	if (!org_of(a, u->host, &horg))
		return refuse(a, out, "the destination host %.*s%.*s is not a valid domain", u->host,
		              SLICE_NULL);
	if (domain_eq(porg, horg)) {
		out->status = REPORT_DEST_OK;
		return out->status;
	}
	out->external = true;

	/* Steps 1-4: <policy domain>._report._dmarc.<destination host>. */
	struct buf nb;
	buf_init(&nb, a, 1024);
	buf_add_slice(&nb, pd);
	buf_add_cstr(&nb, "._report._dmarc.");
	buf_add_slice(&nb, u->host);
	if (nb.err)
		return out->status = REPORT_DEST_NOMEM;
	struct slice name = buf_slice(&nb);
	if (name.len > DOMAIN_MAX_TEXT_NAME)
		return refuse(a, out, "%.*s is too long a name to verify the external destination%.*s",
		              name, SLICE_NULL);
	if (!r) {
		out->status = REPORT_DEST_TEMPFAIL;
		out->why = "no resolver to verify the external destination";
		return out->status;
	}

	/* Step 5. */
	struct dns_answer *ans = dns_query(r, a, DNS_T_TXT, name, deadline_ms);
	if (!ans)
		return out->status = REPORT_DEST_NOMEM;
	if (dns_status_is_temp(ans->status)) {
		out->status = REPORT_DEST_TEMPFAIL;
		out->why = arena_printf(a, "verifying the external destination: TXT %.*s: %s",
		                        (int)name.len, name.ptr, dns_status_str(ans->status));
		if (!out->why)
			out->why = "DNS temporary failure";
		return out->status;
	}
	if (ans->status != DNS_ST_OK)
		return refuse(a, out,
		              "%.*s does not authorize reports for other domains: no TXT record at "
		              "%.*s",
		              u->host, name);

	/* Steps 6-8, and 9: a rua= in the first authorizing record. */
	const struct tag_list *auth = NULL;
	struct tag_list tl;
	for (size_t i = 0; i < ans->n && !auth; i++) {
		if (is_dmarc1(a, ans->rr[i].data, &tl)) {
			struct tag_list *keep = arena_alloc(a, sizeof *keep);
			if (!keep)
				return out->status = REPORT_DEST_NOMEM;
			*keep = tl;
			auth = keep;
		}
	}
	if (!auth)
		return refuse(a, out,
		              "%.*s does not authorize reports for other domains: no v=DMARC1 record "
		              "at %.*s",
		              u->host, name);

	for (size_t i = 0; i < auth->n; i++) {
		if (!slice_eq(auth->tags[i].name, SLICE_LIT("rua")))
			continue;
		struct report_uri *ov = arena_calloc(a, DMARC_MAX_REPORT_URIS, sizeof *ov);
		if (!ov)
			return out->status = REPORT_DEST_NOMEM;
		size_t n = 0;
		struct slice rest = auth->tags[i].value, item;
		bool more = true;
		while (more && n < DMARC_MAX_REPORT_URIS) {
			more = slice_split_byte(rest, ',', &item, &rest);
			const char *why;
			enum report_uri_status st = report_uri_parse(a, slice_trim_ws(item), &ov[n], &why);
			if (st == REPORT_URI_NOMEM)
				return out->status = REPORT_DEST_NOMEM;
			if (st != REPORT_URI_OK)
				continue;
			/* The override must keep the destination host; one that
			 * points elsewhere cancels both (loops, indirect abuse). */
			if (!domain_eq(ov[n].host, u->host))
				return refuse(a, out,
				              "the authorization at %.*s redirects reports to another host "
				              "(%.*s): nothing is sent",
				              name, ov[n].host);
			n++;
		}
		if (n) {
			out->uris = ov;
			out->n_uris = n;
		}
		break;
	}
	out->status = REPORT_DEST_OK;
	return out->status;
}
