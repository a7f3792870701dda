/* dmarc_align.c — Identifier Alignment: RFC 9989 3.2.10 (strict: identical
 * names; relaxed: the same Organizational Domain), 4.4, 4.10.2 (the
 * Organizational Domain of each side by its own DNS Tree Walk); RFC 7489
 * 3.1 with the public suffix list in the compatibility mode.
 *
 * Names are compared ignoring ASCII case (RFC 4343); both sides arrive
 * normalized (A-labels) from dmarc_policy.c.  Lookups go through the
 * evaluation's struct dmarc_dns, so repeated walks cost nothing.
 */
#include "dmarc.h"

#include "domain.h"
#include "orgdom.h"

/* Do a and b share at least their last label?  An Organizational Domain
 * is always a suffix of the name it belongs to (4.10.2 picks the start or a
 * name on its way up), so names without a common last label can never be
 * in relaxed alignment, and need no lookup. */
static bool align_share_tld(struct slice a, struct slice b)
{
	return domain_eq(domain_last_labels(a, 1), domain_last_labels(b, 1));
}

static int align_org_9989(struct dmarc_dns *d, struct slice domain, struct slice *org,
                          bool *temperror)
{
	struct dmarc_walk w;
	*temperror = false;
	if (dmarc_walk(d, domain, &w) != DMARC_OK)
		return DMARC_E_NOMEM;
	if (w.temperror) {
		*temperror = true;
		*org = SLICE_NULL;
	} else {
		*org = w.org;
	}
	return DMARC_OK;
}

static int align_org_7489(struct arena *a, struct slice domain, struct slice *org)
{
	enum orgdom_kind k = orgdom_registrable(a, domain, org);
	if (k == ORGDOM_NOMEM)
		return DMARC_E_NOMEM;
	if (k != ORGDOM_REGISTRABLE && k != ORGDOM_IS_SUFFIX)
		*org = SLICE_NULL;
	return DMARC_OK;
}

int dmarc_align_check(struct dmarc_dns *d, enum dmarc_mode mode, enum dmarc_align how,
                      struct slice author, struct slice author_org, struct slice id,
                      enum dmarc_alignment *out)
{
	*out = DMARC_NOT_ALIGNED;
	if (!id.len || !author.len)
		return DMARC_OK;
	if (domain_eq(id, author)) {
		*out = DMARC_ALIGNED;
		return DMARC_OK;
	}
	if (how == DMARC_ALIGN_STRICT || !align_share_tld(id, author))
		return DMARC_OK;

	struct slice org_a = author_org, org_i;
	if (mode == DMARC_MODE_RFC7489) {
		struct arena *a = dmarc_dns_arena(d);
		if (!org_a.len && align_org_7489(a, author, &org_a) != DMARC_OK)
			return DMARC_E_NOMEM;
		if (align_org_7489(a, id, &org_i) != DMARC_OK)
			return DMARC_E_NOMEM;
		/* Without a public suffix list only identical names align. */
		if (org_a.len && org_i.len && domain_eq(org_a, org_i))
			*out = DMARC_ALIGNED;
		return DMARC_OK;
	}

	bool temp = false;
	if (!org_a.len) {
		if (align_org_9989(d, author, &org_a, &temp) != DMARC_OK)
			return DMARC_E_NOMEM;
		if (temp) {
			*out = DMARC_ALIGN_TEMPERROR;
			return DMARC_OK;
		}
	}
	if (align_org_9989(d, id, &org_i, &temp) != DMARC_OK)
		return DMARC_E_NOMEM;
	if (temp)
		*out = DMARC_ALIGN_TEMPERROR;
	else if (org_a.len && domain_eq(org_a, org_i))
		*out = DMARC_ALIGNED;
	return DMARC_OK;
}
