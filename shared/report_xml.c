/* report_xml.c — RFC 9990 aggregate report XML (see report_xml.h).
 *
 * Element order follows the schema (Appendix A, dmarc-xml-0.2.xsd): the
 * xs:sequence parts (feedback, policy_evaluated, auth_results, record) in
 * their required order, the xs:all parts in the schema's order as well.
 *
 * Ownership: output goes to the caller's buf; scratch to the caller's arena.
 */
#include "report_xml.h"

#include <inttypes.h>
#include <string.h>

#include "domain.h"
#include "mailauth_limits.h"
#include "orgdom.h"

/* Length of the valid UTF-8 sequence at p (1..4), 0 when invalid. */
static size_t utf8_len(const unsigned char *p, size_t left)
{
	unsigned char c = p[0];
	size_t n;
	unsigned cp, min;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2; cp = c & 0x1fu; min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3; cp = c & 0x0fu; min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4; cp = c & 0x07u; min = 0x10000;
	} else {
		return 0;
	}
	if (left < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3fu);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	/* U+FFFE and U+FFFF are not XML characters either. */
	if (cp == 0xfffe || cp == 0xffff)
		return 0;
	return n;
}

void report_xml_escape(struct buf *out, struct slice s)
{
	const unsigned char *p = (const unsigned char *)s.ptr;
	size_t i = 0;
	while (i < s.len) {
		unsigned char c = p[i];
		switch (c) {
		case '&': buf_add_cstr(out, "&amp;"); i++; continue;
		case '<': buf_add_cstr(out, "&lt;"); i++; continue;
		case '>': buf_add_cstr(out, "&gt;"); i++; continue;
		case '"': buf_add_cstr(out, "&quot;"); i++; continue;
		case '\'': buf_add_cstr(out, "&apos;"); i++; continue;
		default: break;
		}
		if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
			/* Not even a character reference may carry these (XML 1.0 2.2). */
			buf_add_byte(out, '?');
			i++;
			continue;
		}
		size_t n = utf8_len(p + i, s.len - i);
		if (n == 0) {
			buf_add_cstr(out, "\xef\xbf\xbd"); /* U+FFFD */
			i++;
			continue;
		}
		buf_add(out, p + i, n);
		i += n;
	}
}

static void elem(struct buf *out, const char *indent, const char *name, struct slice v)
{
	buf_add_cstr(out, indent);
	buf_addf(out, "<%s>", name);
	report_xml_escape(out, v);
	buf_addf(out, "</%s>\n", name);
}

static void elem_cstr(struct buf *out, const char *indent, const char *name, const char *v)
{
	elem(out, indent, name, slice_from_cstr(v));
}

/* DKIMResultType has no softfail; a result the history could not name is
 * none. */
static const char *dkim_word(enum hist_auth a)
{
	switch (a) {
	case HIST_AUTH_UNSET: return "none";
	case HIST_AUTH_SOFTFAIL: return "fail";
	default: return hist_auth_str(a);
	}
}

/* RFC 9990 "DKIM Signatures in Aggregate Reports": 1 pass strictly
 * aligned, 2 pass relaxed aligned, 3 other passes, 4 the rest. */
static int dkim_rank(struct arena *a, const struct hist_dkim *d, struct slice from,
                     struct slice from_org)
{
	if (d->result != HIST_AUTH_PASS)
		return 4;
	if (domain_eq(d->domain, from))
		return 1;
	if (from_org.len) {
		struct slice org;
		enum orgdom_kind k = orgdom_registrable(a, d->domain, &org);
		if ((k == ORGDOM_REGISTRABLE || k == ORGDOM_IS_SUFFIX) && domain_eq(org, from_org))
			return 2;
	}
	return 3;
}

void report_xml_row_key(struct arena *a, const struct hist_record *r, struct buf *out)
{
	static const char i3[] = "      ", i4[] = "        ", i5[] = "          ";

	buf_add_cstr(out, "      <source_ip>");
	report_xml_escape(out, r->ipaddr);
	buf_add_cstr(out, "</source_ip>\n");
	buf_add_byte(out, '\0');

	buf_add_cstr(out, "      <policy_evaluated>\n");
	elem_cstr(out, i4, "disposition", hist_disposition_str(r->disposition));
	elem_cstr(out, i4, "dkim", r->align_dkim ? "pass" : "fail");
	elem_cstr(out, i4, "spf", r->align_spf ? "pass" : "fail");
	size_t no = r->n_overrides < HIST_MAX_OVERRIDES ? r->n_overrides : HIST_MAX_OVERRIDES;
	for (size_t i = 0; i < no; i++) {
		const struct hist_override *o = &r->overrides[i];
		buf_add_cstr(out, "        <reason>\n");
		if (o->type == HIST_OVERRIDE_SAMPLED_OUT) {
			/* RFC 9990 dropped RFC 7489's sampled_out. */
			elem_cstr(out, i5, "type", "other");
			buf_add_cstr(out, "          <comment>sampled_out");
			if (o->comment.len) {
				buf_add_cstr(out, ": ");
				report_xml_escape(out, o->comment);
			}
			buf_add_cstr(out, "</comment>\n");
		} else {
			elem_cstr(out, i5, "type", hist_override_str(o->type));
			if (o->comment.len)
				elem(out, i5, "comment", o->comment);
		}
		buf_add_cstr(out, "        </reason>\n");
	}
	buf_add_cstr(out, "      </policy_evaluated>\n");
	buf_add_cstr(out, "    </row>\n");

	buf_add_cstr(out, "    <identifiers>\n");
	elem(out, i3, "header_from", r->from_domain);
	/* Present but empty for the null reverse-path (RFC 9990 2.1). */
	elem(out, i3, "envelope_from", r->mfrom_domain);
	buf_add_cstr(out, "    </identifiers>\n");

	buf_add_cstr(out, "    <auth_results>\n");
	struct slice from_org = SLICE_NULL;
	struct slice org;
	enum orgdom_kind k = orgdom_registrable(a, r->from_domain, &org);
	if (k == ORGDOM_REGISTRABLE || k == ORGDOM_IS_SUFFIX)
		from_org = org;
	size_t nd = r->n_dkim < HIST_MAX_DKIM ? r->n_dkim : HIST_MAX_DKIM;
	for (int rank = 1; rank <= 4; rank++) {
		for (size_t i = 0; i < nd; i++) {
			const struct hist_dkim *d = &r->dkim[i];
			if (dkim_rank(a, d, r->from_domain, from_org) != rank)
				continue;
			buf_add_cstr(out, "      <dkim>\n");
			elem(out, i4, "domain", d->domain);
			elem(out, i4, "selector", d->selector);
			elem_cstr(out, i4, "result", dkim_word(d->result));
			if (d->human.len)
				elem(out, i4, "human_result", d->human);
			buf_add_cstr(out, "      </dkim>\n");
		}
	}
	if (r->spf != HIST_AUTH_UNSET) {
		buf_add_cstr(out, "      <spf>\n");
		elem(out, i4, "domain", r->spf_domain);
		/* SPFDomainScope knows only "mfrom": a HELO check has no scope. */
		if (r->spf_scope == HIST_SPF_MFROM)
			elem_cstr(out, i4, "scope", "mfrom");
		elem_cstr(out, i4, "result", hist_auth_str(r->spf));
		if (r->spf_human.len)
			elem(out, i4, "human_result", r->spf_human);
		buf_add_cstr(out, "      </spf>\n");
	}
	buf_add_cstr(out, "    </auth_results>\n");
}

/* DispositionType needs a value: an absent sp= means p=, an absent np=
 * means sp= (RFC 9989 4.7), an absent or invalid p= is "none" (4.10.1). */
static const char *pol_word(enum hist_policy p)
{
	return p == HIST_POLICY_UNSPECIFIED ? "none" : hist_policy_str(p);
}

void report_xml_write(struct buf *out, const struct report_meta *meta, struct slice report_id,
                      int64_t begin, int64_t end, const struct report_policy *pol,
                      const struct report_row *rows, size_t n_rows)
{
	static const char i2[] = "    ", i3[] = "      ";
	buf_add_cstr(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	buf_add_cstr(out, "<feedback xmlns=\"urn:ietf:params:xml:ns:dmarc-2.0\">\n");
	buf_add_cstr(out, "  <version>1.0</version>\n");

	buf_add_cstr(out, "  <report_metadata>\n");
	elem_cstr(out, i2, "org_name", meta->org_name);
	elem_cstr(out, i2, "email", meta->email);
	if (meta->extra_contact_info && meta->extra_contact_info[0])
		elem_cstr(out, i2, "extra_contact_info", meta->extra_contact_info);
	elem(out, i2, "report_id", report_id);
	buf_add_cstr(out, "    <date_range>\n");
	buf_addf(out, "      <begin>%" PRId64 "</begin>\n", begin);
	buf_addf(out, "      <end>%" PRId64 "</end>\n", end);
	buf_add_cstr(out, "    </date_range>\n");
	if (meta->generator)
		elem_cstr(out, i2, "generator", meta->generator);
	buf_add_cstr(out, "  </report_metadata>\n");

	enum hist_policy p = pol->p;
	enum hist_policy sp = pol->sp == HIST_POLICY_UNSPECIFIED ? p : pol->sp;
	enum hist_policy np = pol->np == HIST_POLICY_UNSPECIFIED ? sp : pol->np;
	buf_add_cstr(out, "  <policy_published>\n");
	elem(out, i2, "domain", pol->domain);
	elem_cstr(out, i2, "p", pol_word(p));
	elem_cstr(out, i2, "sp", pol_word(sp));
	elem_cstr(out, i2, "np", pol_word(np));
	elem_cstr(out, i2, "adkim", pol->adkim_strict ? "s" : "r");
	elem_cstr(out, i2, "aspf", pol->aspf_strict ? "s" : "r");
	if (pol->discovery != HIST_DISCOVERY_UNKNOWN)
		elem_cstr(out, i2, "discovery_method", hist_discovery_str(pol->discovery));
	if (pol->fo.len)
		elem(out, i2, "fo", pol->fo);
	elem_cstr(out, i2, "testing", pol->testing ? "y" : "n");
	buf_add_cstr(out, "  </policy_published>\n");

	for (size_t i = 0; i < n_rows; i++) {
		struct slice k = rows[i].key;
		const char *nul = memchr(k.ptr, '\0', k.len);
		size_t head = nul ? (size_t)(nul - k.ptr) : k.len;
		buf_add_cstr(out, "  <record>\n    <row>\n");
		buf_add(out, k.ptr, head);
		buf_addf(out, "%s<count>%" PRIu64 "</count>\n", i3, rows[i].count);
		if (nul)
			buf_add(out, nul + 1, k.len - head - 1);
		buf_add_cstr(out, "  </record>\n");
	}
	buf_add_cstr(out, "</feedback>\n");
}
