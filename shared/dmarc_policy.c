/* dmarc_policy.c — the DMARC evaluation of one message: RFC 9989 5.3
 * (Mail Receiver actions), 4.10.1 (p, sp or np), 4.7 (t=), 5.4 and RFC 9990
 * (local overrides, reported with their PolicyOverride reason), 11.5
 * (several Author Domains); RFC 7489 6.6.4 (pct= sampling) in the
 * compatibility mode.  Also the Exim-compatible result words
 * (dmarc_status, dmarc_status_text as Exim's own DMARC support sets them)
 * and the fields handed to the administrator.
 *
 * The verdict (result) and what is done about it (disposition) are kept
 * apart: an override changes the disposition and says why, never the
 * result.  All memory comes from the evaluation's arena.
 */
#include "dmarc.h"

#include <arpa/inet.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "domain.h"

/* ------------------------------------------------------------------ */
/* Sampling (RFC 7489 6.6.4)                                           */

void dmarc_rng_seed(struct dmarc_rng *g, uint64_t seed)
{
	g->state = seed;
	g->seeded = true;
}

/* splitmix64: tiny, fast, and fully determined by the seed. */
static uint64_t pol_rng_next(struct dmarc_rng *g)
{
	uint64_t z = (g->state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

unsigned dmarc_rng_percent(struct dmarc_rng *g)
{
	if (!g->seeded) {
		uint64_t seed = 0;
		if (getentropy(&seed, sizeof seed) != 0)
			seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
		dmarc_rng_seed(g, seed);
	}
	return (unsigned)((pol_rng_next(g) >> 11) % 100);
}

/* One generator per process when the configuration gives none (Exim
 * handles one message at a time per process). */
static struct dmarc_rng pol_process_rng;

void dmarc_config_init(struct dmarc_config *c)
{
	memset(c, 0, sizeof *c);
	c->enabled = true;
	c->mode = DMARC_MODE_RFC9989;
	c->multi_from = DMARC_MULTI_STRICTEST;
	c->prefetch = true;
}

void dmarc_input_set_from(struct dmarc_input *in, const struct addr_from *f)
{
	in->author_domains = f->domains;
	in->n_author_domains = f->ndomains;
	in->from_incomplete = f->unusable || f->truncated || f->syntax_error;
	switch (f->kind) {
	case ADDR_FROM_ONE:
		in->from_case = DMARC_FROM_ONE;
		break;
	case ADDR_FROM_NONE:
		in->from_case = DMARC_FROM_NONE;
		break;
	case ADDR_FROM_NO_DOMAIN:
		in->from_case = DMARC_FROM_NO_DOMAIN;
		break;
	case ADDR_FROM_MULTI_FIELD:
		in->from_case = DMARC_FROM_SEVERAL_FIELDS;
		break;
	case ADDR_FROM_MULTI_ADDRESS:
		in->from_case = DMARC_FROM_SEVERAL_ADDRESSES;
		break;
	}
}

/* ------------------------------------------------------------------ */
/* Evaluation state                                                    */

struct pol_ctx {
	struct arena *a;
	const struct dmarc_config *cfg;
	const struct dmarc_input *in;
	struct dmarc_dns *dns;
	struct slice spf_domain;    /* normalized; empty when absent or invalid */
	struct slice *dkim_d;       /* normalized d= per signature; empty if invalid */
	size_t n_dkim;              /* signatures considered (<= DKIM_MAX_SIGS) */
};

static void pol_set_status(struct dmarc_eval *e, const char *status, const char *text)
{
	e->status = status;
	e->status_text = text;
}

static enum dmarc_policy pol_downgrade(enum dmarc_policy p)
{
	switch (p) {
	case DMARC_POLICY_REJECT:
		return DMARC_POLICY_QUARANTINE;
	case DMARC_POLICY_QUARANTINE:
		return DMARC_POLICY_NONE;
	default:
		return p;
	}
}

static bool pol_is_pass_or_temp(enum dmarc_auth r)
{
	return r == DMARC_AUTH_PASS || r == DMARC_AUTH_TEMPERROR;
}

/* ------------------------------------------------------------------ */
/* Local overrides                                                     */

/* A configured domain list entry matching name: equal (exact) or, with
 * within, name is at or below it. */
static bool pol_list_match(struct arena *a, const struct slice *list, size_t n,
                           struct slice name, bool within, struct slice *which)
{
	if (!name.len)
		return false;
	for (size_t i = 0; i < n; i++) {
		struct slice entry;
		if (!domain_normalize(a, list[i], &entry))
			continue;
		if (within ? domain_is_within(name, entry) : domain_eq(name, entry)) {
			if (which)
				*which = entry;
			return true;
		}
	}
	return false;
}

/* Trusted ARC sealers: the chain passed and every sealer is listed. */
static bool pol_override_arc(struct pol_ctx *c, const char **comment)
{
	const struct dmarc_arc_input *arc = &c->in->arc;
	if (!arc->pass || arc->n_sealers == 0 || c->cfg->n_trusted_arc_sealers == 0)
		return false;
	struct buf b;
	buf_init(&b, c->a, 4096);
	buf_add_cstr(&b, "arc=pass, trusted sealers:");
	for (size_t i = 0; i < arc->n_sealers; i++) {
		struct slice s;
		if (!domain_normalize(c->a, arc->sealers[i], &s))
			return false;
		if (!pol_list_match(c->a, c->cfg->trusted_arc_sealers,
		                    c->cfg->n_trusted_arc_sealers, s, false, NULL))
			return false;
		buf_add_byte(&b, ' ');
		buf_add_slice(&b, s);
	}
	*comment = b.err ? "arc=pass, trusted sealers" : buf_cstr(&b);
	return true;
}

/* An address as text into 16 bytes (IPv4 in the first 4); family 4 or 6. */
static bool pol_parse_ip(struct slice s, unsigned char out[16], int *family)
{
	/* INET6_ADDRSTRLEN is 46; anything longer is no address. */
	char z[64];
	s = slice_trim_ws(s);
	if (s.len == 0 || s.len >= sizeof z || memchr(s.ptr, '\0', s.len))
		return false;
	memcpy(z, s.ptr, s.len);
	z[s.len] = '\0';
	memset(out, 0, 16);
	if (inet_pton(AF_INET, z, out) == 1) {
		*family = 4;
		return true;
	}
	if (inet_pton(AF_INET6, z, out) == 1) {
		*family = 6;
		return true;
	}
	return false;
}

bool dmarc_net_parse(struct slice text, struct dmarc_net *out)
{
	struct slice addr, len;
	bool has_len = slice_split_byte(text, '/', &addr, &len);
	memset(out, 0, sizeof *out);
	if (!pol_parse_ip(addr, out->addr, &out->family))
		return false;
	uint64_t bits = out->family == 4 ? 32 : 128;
	if (has_len && !slice_parse_u64(slice_trim_ws(len), bits, &bits))
		return false;
	out->prefix = (unsigned)bits;
	return true;
}

static bool pol_net_match(const struct dmarc_net *net, const unsigned char ip[16], int family)
{
	if (net->family != family)
		return false;
	unsigned max = family == 4 ? 32 : 128;
	unsigned bits = net->prefix > max ? max : net->prefix;
	size_t full = bits / 8, rest = bits % 8;
	if (memcmp(net->addr, ip, full) != 0)
		return false;
	if (rest) {
		unsigned char mask = (unsigned char)(0xff << (8 - rest));
		if ((net->addr[full] & mask) != (ip[full] & mask))
			return false;
	}
	return true;
}

/* Known forwarders: the client's address in a listed network, or its
 * verified reverse name, the SPF-authenticated domain or a passing DKIM
 * domain at or below a listed domain. */
static bool pol_override_forwarder(struct pol_ctx *c, const char **comment)
{
	const struct dmarc_config *cfg = c->cfg;
	const struct dmarc_input *in = c->in;
	unsigned char ip[16];
	int fam;
	if (cfg->n_forwarder_nets && pol_parse_ip(in->client_ip, ip, &fam)) {
		for (size_t i = 0; i < cfg->n_forwarder_nets; i++) {
			if (pol_net_match(&cfg->forwarder_nets[i], ip, fam)) {
				*comment = arena_printf(c->a, "forwarder address %.*s",
				                        (int)slice_trim_ws(in->client_ip).len,
				                        slice_trim_ws(in->client_ip).ptr);
				if (!*comment)
					*comment = "forwarder address";
				return true;
			}
		}
	}
	if (!cfg->n_forwarder_domains)
		return false;
	struct slice which, ptr = SLICE_NULL;
	if (in->client_ptr.len)
		(void)domain_normalize(c->a, in->client_ptr, &ptr);
	struct slice cand[2 + DKIM_MAX_SIGS];
	const char *via[2 + DKIM_MAX_SIGS];
	size_t n = 0;
	cand[n] = ptr;
	via[n++] = "reverse DNS";
	cand[n] = in->spf.result == DMARC_AUTH_PASS ? c->spf_domain : SLICE_NULL;
	via[n++] = "SPF";
	for (size_t i = 0; i < c->n_dkim; i++) {
		cand[n] = in->dkim[i].result == DMARC_AUTH_PASS ? c->dkim_d[i] : SLICE_NULL;
		via[n++] = "DKIM";
	}
	for (size_t i = 0; i < n; i++) {
		if (pol_list_match(c->a, cfg->forwarder_domains, cfg->n_forwarder_domains, cand[i],
		                   true, &which)) {
			*comment = arena_printf(c->a, "forwarder %.*s (%s)", (int)which.len, which.ptr,
			                        via[i]);
			if (!*comment)
				*comment = "forwarder";
			return true;
		}
	}
	return false;
}

/* The list identifier of a List-Id value (RFC 2919 2: the text between
 * the last '<' and '>', else the whole value). */
static struct slice pol_list_id(struct slice v)
{
	const char *lt = NULL, *gt = NULL;
	for (size_t i = 0; i < v.len; i++) {
		if (v.ptr[i] == '<')
			lt = v.ptr + i;
		else if (v.ptr[i] == '>' && lt)
			gt = v.ptr + i;
	}
	if (lt && gt && gt > lt)
		return slice_trim_ws(slice_between(lt + 1, gt));
	return slice_trim_ws(v);
}

/* Known mailing lists: List-Id at or below a listed domain, and that
 * domain authenticated by SPF or DKIM (a List-Id alone is forgeable). */
static bool pol_override_list(struct pol_ctx *c, const char **comment)
{
	const struct dmarc_config *cfg = c->cfg;
	const struct dmarc_input *in = c->in;
	if (!cfg->n_mailing_lists || !in->list_id.len)
		return false;
	struct slice id = pol_list_id(in->list_id);
	struct slice which;
	if (!id.len || !pol_list_match(c->a, cfg->mailing_lists, cfg->n_mailing_lists, id, true,
	                               &which))
		return false;
	bool auth = in->spf.result == DMARC_AUTH_PASS && c->spf_domain.len &&
	            domain_is_within(c->spf_domain, which);
	for (size_t i = 0; !auth && i < c->n_dkim; i++)
		auth = in->dkim[i].result == DMARC_AUTH_PASS && c->dkim_d[i].len &&
		       domain_is_within(c->dkim_d[i], which);
	if (!auth)
		return false;
	*comment = arena_printf(c->a, "mailing list %.*s", (int)which.len, which.ptr);
	if (!*comment)
		*comment = "mailing list";
	return true;
}

/* ------------------------------------------------------------------ */
/* One Author Domain                                                   */

static void pol_disposition(struct pol_ctx *c, struct dmarc_eval *e)
{
	enum dmarc_policy dis = e->policy;
	if (e->rec.testing && dis > DMARC_POLICY_NONE) {
		/* RFC 9989 4.7 t=y: one level below the policy. */
		dis = pol_downgrade(dis);
		e->testing = true;
		e->override = DMARC_OVERRIDE_POLICY_TEST_MODE;
		e->override_comment = "t=y";
	} else if (c->cfg->mode == DMARC_MODE_RFC7489 && e->rec.pct < 100 &&
	           dis > DMARC_POLICY_NONE) {
		/* RFC 7489 6.6.4: messages not sampled get the next policy
		 * down. */
		struct dmarc_rng *g = c->cfg->rng ? c->cfg->rng : &pol_process_rng;
		if (dmarc_rng_percent(g) >= e->rec.pct) {
			dis = pol_downgrade(dis);
			e->sampled_out = true;
			e->override = DMARC_OVERRIDE_SAMPLED_OUT;
			e->override_comment = arena_printf(c->a, "pct=%u", e->rec.pct);
			if (!e->override_comment)
				e->override_comment = "pct";
		}
	}
	if (dis > DMARC_POLICY_NONE) {
		const char *why = NULL;
		if (pol_override_arc(c, &why))
			e->override = DMARC_OVERRIDE_LOCAL_POLICY;
		else if (pol_override_forwarder(c, &why))
			e->override = DMARC_OVERRIDE_TRUSTED_FORWARDER;
		else if (pol_override_list(c, &why))
			e->override = DMARC_OVERRIDE_MAILING_LIST;
		if (why) {
			dis = DMARC_POLICY_NONE;
			e->override_comment = why;
		}
	}
	e->disposition = dis;
}

/* Check one authenticated identifier; *pass set on an aligned pass,
 * *temp when a temporary failure may hide one. */
static int pol_align_one(struct pol_ctx *c, struct dmarc_eval *e, enum dmarc_align how,
                         enum dmarc_auth result, struct slice id, bool *pass, bool *temp)
{
	*pass = false;
	if (!pol_is_pass_or_temp(result) || !id.len)
		return DMARC_OK;
	enum dmarc_alignment al;
	if (dmarc_align_check(c->dns, c->cfg->mode, how, e->author_domain, e->disc.org, id,
	                      &al) != DMARC_OK)
		return DMARC_E_NOMEM;
	if (result == DMARC_AUTH_PASS && al == DMARC_ALIGNED)
		*pass = true;
	else if (al != DMARC_NOT_ALIGNED)
		*temp = true; /* RFC 9989 5.3.6: cannot pass or fail */
	return DMARC_OK;
}

static int pol_eval_author(struct pol_ctx *c, struct slice raw, struct dmarc_eval *e)
{
	if (!domain_normalize(c->a, raw, &e->author_domain)) {
		e->author_domain = SLICE_NULL;
		e->result = DMARC_PERMERROR;
		e->reason = "invalid From domain";
		pol_set_status(e, "nofrom", "No From: domain found");
		return DMARC_OK;
	}
	if (dmarc_discover(c->dns, c->cfg->mode, e->author_domain, &e->disc) != DMARC_OK)
		return DMARC_E_NOMEM;
	const struct dmarc_discovery *disc = &e->disc;
	if (disc->temperror) {
		e->result = DMARC_TEMPERROR;
		e->reason = disc->reason;
		pol_set_status(e, "temperror", "Temporary DNS error");
		return DMARC_OK;
	}
	if (disc->found_at == DMARC_FOUND_NONE) {
		e->result = DMARC_NONE;
		e->reason = disc->reason;
		pol_set_status(e, "norecord", "No DMARC record");
		return DMARC_OK;
	}
	if (!dmarc_record_effective(disc->rec, &e->rec, &e->rec_degraded)) {
		/* 4.10.1: no valid p= (or a bad sp=/np=) and no valid rua=:
		 * no DMARC processing; RFC 9989 9.2 names that permerror. */
		e->result = DMARC_PERMERROR;
		e->reason = "DMARC record without a valid p= and without a valid rua=";
		pol_set_status(e, "norecord", "Unusable DMARC record");
		return DMARC_OK;
	}
	e->have_rec = true;

	/* Alignment: SPF (MAIL FROM, or HELO for the null sender), then every
	 * DKIM signature (4.4.1: any aligned one passes). */
	bool temp = false, pass;
	e->spf_domain = c->spf_domain;
	if (pol_align_one(c, e, e->rec.aspf, c->in->spf.result, c->spf_domain, &pass, &temp) !=
	    DMARC_OK)
		return DMARC_E_NOMEM;
	e->spf_aligned = pass;
	for (size_t i = 0; i < c->n_dkim; i++) {
		if (pol_align_one(c, e, e->rec.adkim, c->in->dkim[i].result, c->dkim_d[i], &pass,
		                  &temp) != DMARC_OK)
			return DMARC_E_NOMEM;
		if (pass && !e->dkim_aligned) {
			e->dkim_aligned = true;
			e->dkim_aligned_domain = c->dkim_d[i];
		}
	}
	if (e->spf_aligned || e->dkim_aligned) {
		e->result = DMARC_PASS;
		e->reason = e->spf_aligned && e->dkim_aligned ? "SPF and DKIM aligned"
		            : e->spf_aligned                  ? "SPF aligned"
		                                              : "DKIM aligned";
	} else if (temp) {
		e->result = DMARC_TEMPERROR;
		e->reason = "temporary error on an identifier that may align";
	} else {
		e->result = DMARC_FAIL;
		e->reason = "no aligned SPF or DKIM identifier";
	}

	/* The requested policy: p at the Author Domain; for a subdomain of
	 * the policy domain sp, or np when the record has np= and the Author
	 * Domain does not exist (3.2.13). */
	e->author_exists = true;
	if (disc->found_at == DMARC_FOUND_AUTHOR) {
		e->policy_tag = DMARC_TAG_P;
	} else {
		if (e->result == DMARC_FAIL && e->rec.np != DMARC_POLICY_UNSPECIFIED) {
			bool exists, etemp;
			if (dmarc_domain_exists(c->dns, e->author_domain, &exists, &etemp) != DMARC_OK)
				return DMARC_E_NOMEM;
			enum dmarc_policy other =
				e->rec.sp != DMARC_POLICY_UNSPECIFIED ? e->rec.sp : e->rec.p;
			if (etemp && e->rec.np != other) {
				e->result = DMARC_TEMPERROR;
				e->reason = "DNS error testing whether the Author Domain exists";
			}
			e->author_exists = exists;
		}
		e->policy_tag = !e->author_exists && e->rec.np != DMARC_POLICY_UNSPECIFIED
		                        ? DMARC_TAG_NP
		                        : DMARC_TAG_SP;
	}
	/* The tag names the rule that applies; its value falls back as
	 * 4.7 says: np to sp to p, sp to p. */
	e->policy = e->rec.p;
	if (e->policy_tag != DMARC_TAG_P && e->rec.sp != DMARC_POLICY_UNSPECIFIED)
		e->policy = e->rec.sp;
	if (e->policy_tag == DMARC_TAG_NP)
		e->policy = e->rec.np;

	switch (e->result) {
	case DMARC_PASS:
		e->disposition = DMARC_POLICY_NONE;
		pol_set_status(e, "accept", "Accept");
		break;
	case DMARC_FAIL:
		pol_disposition(c, e);
		if (e->disposition == DMARC_POLICY_REJECT)
			pol_set_status(e, "reject", "Reject");
		else if (e->disposition == DMARC_POLICY_QUARANTINE)
			pol_set_status(e, "quarantine", "Quarantine");
		else
			pol_set_status(e, "none", "None, Accept");
		break;
	default:
		e->disposition = DMARC_POLICY_NONE;
		pol_set_status(e, "temperror", "Temporary DNS error");
		break;
	}
	return DMARC_OK;
}

/* How strict a verdict is, for several Author Domains (RFC 9989 11.5:
 * "apply the most strict policy selected among the checks that fail"). */
static int pol_rank(const struct dmarc_eval *e)
{
	switch (e->result) {
	case DMARC_FAIL:
		return e->disposition == DMARC_POLICY_REJECT       ? 7
		       : e->disposition == DMARC_POLICY_QUARANTINE ? 6
		                                                   : 4;
	case DMARC_TEMPERROR:
		return 5;
	case DMARC_PERMERROR:
		return 3;
	case DMARC_PASS:
		return 2;
	case DMARC_NONE:
		return 1;
	}
	return 0;
}

static void pol_reject_multi(struct dmarc_eval *e, const char *reason)
{
	e->result = DMARC_PERMERROR;
	e->reason = reason;
	e->disposition = DMARC_POLICY_REJECT;
	pol_set_status(e, "reject", "Reject: several From: authors");
}

static void pol_internal_error(struct dmarc_eval *e)
{
	e->result = DMARC_TEMPERROR;
	e->reason = "internal error";
	e->disposition = DMARC_POLICY_NONE;
	pol_set_status(e, "temperror", "Internal Policy Error");
}

/* Identifiers normalized once for all Author Domains, and their walks
 * queued together with the authors' (one round trip with prefetch). */
static int pol_prepare(struct pol_ctx *c, const struct slice *authors, size_t n_authors)
{
	const struct dmarc_input *in = c->in;
	if (in->spf.domain.len && !domain_normalize(c->a, in->spf.domain, &c->spf_domain))
		c->spf_domain = SLICE_NULL;
	c->n_dkim = in->n_dkim < DKIM_MAX_SIGS ? in->n_dkim : DKIM_MAX_SIGS;
	if (c->n_dkim) {
		c->dkim_d = arena_calloc(c->a, c->n_dkim, sizeof *c->dkim_d);
		if (!c->dkim_d)
			return DMARC_E_NOMEM;
	}
	for (size_t i = 0; i < c->n_dkim; i++)
		if (!domain_normalize(c->a, in->dkim[i].d, &c->dkim_d[i]))
			c->dkim_d[i] = SLICE_NULL;

	if (!c->cfg->prefetch)
		return DMARC_OK;
	for (size_t i = 0; i < n_authors; i++)
		if (dmarc_dns_prefetch(c->dns, c->cfg->mode, authors[i], false) != DMARC_OK)
			return DMARC_E_NOMEM;
	/* An identifier needs its own walk only for relaxed alignment with a
	 * different name sharing the top-level label; queue those. */
	for (size_t k = 0; k <= c->n_dkim; k++) {
		struct slice id = k == 0 ? c->spf_domain : c->dkim_d[k - 1];
		enum dmarc_auth r = k == 0 ? in->spf.result : in->dkim[k - 1].result;
		if (!id.len || !pol_is_pass_or_temp(r))
			continue;
		bool useful = false;
		for (size_t i = 0; i < n_authors && !useful; i++)
			useful = !domain_eq(id, authors[i]) &&
			         domain_eq(domain_last_labels(id, 1), domain_last_labels(authors[i], 1));
		if (useful && dmarc_dns_prefetch(c->dns, c->cfg->mode, id, false) != DMARC_OK)
			return DMARC_E_NOMEM;
	}
	return DMARC_OK;
}

int dmarc_evaluate(struct dns_resolver *r, struct arena *a, const struct dmarc_config *cfg,
                   const struct dmarc_input *in, uint64_t deadline_ms, struct dmarc_eval *out)
{
	memset(out, 0, sizeof *out);
	out->disc.walk.psd_index = -1;
	out->mode = cfg->mode;
	out->from_case = in->from_case;
	out->policy = out->disposition = DMARC_POLICY_UNSPECIFIED;
	if (!cfg->enabled) {
		out->result = DMARC_NONE;
		out->reason = "DMARC verification disabled";
		pol_set_status(out, "off", "DMARC verification disabled");
		return DMARC_OK;
	}
	out->evaluated = true;

	switch (in->from_case) {
	case DMARC_FROM_NONE:
		out->result = DMARC_PERMERROR;
		out->reason = "no From header field";
		pol_set_status(out, "nofrom", "No From: domain found");
		return DMARC_OK;
	case DMARC_FROM_NO_DOMAIN:
		out->result = DMARC_PERMERROR;
		out->reason = "From header field without a domain";
		pol_set_status(out, "nofrom", "No From: domain found");
		return DMARC_OK;
	case DMARC_FROM_ONE:
	case DMARC_FROM_SEVERAL_FIELDS:
	case DMARC_FROM_SEVERAL_ADDRESSES:
		break;
	}
	if (in->n_author_domains == 0) {
		out->result = DMARC_PERMERROR;
		out->reason = "no Author Domain";
		pol_set_status(out, "nofrom", "No From: domain found");
		return DMARC_OK;
	}

	/* The distinct Author Domains, normalized; an invalid one is kept as
	 * given so that it is evaluated (and fails) in its turn. */
	size_t cap = DMARC_MAX_AUTHOR_DOMAINS;
	struct slice *authors = arena_calloc(a, cap, sizeof *authors);
	if (!authors) {
		pol_internal_error(out);
		return DMARC_E_NOMEM;
	}
	size_t n_authors = 0;
	bool too_many = false;
	size_t n_in = in->from_case == DMARC_FROM_ONE ? 1 : in->n_author_domains;
	for (size_t i = 0; i < n_in; i++) {
		struct slice norm;
		if (!domain_normalize(a, in->author_domains[i], &norm))
			norm = in->author_domains[i];
		bool seen = false;
		for (size_t j = 0; j < n_authors && !seen; j++)
			seen = domain_eq(authors[j], norm);
		if (seen)
			continue;
		if (n_authors == cap) {
			too_many = true;
			break;
		}
		authors[n_authors++] = norm;
	}

	if (in->from_case != DMARC_FROM_ONE) {
		/* Several addresses with one domain are one Author Domain
		 * (RFC 9989 5.3.1); several From fields break RFC 5322. */
		bool several = n_authors > 1 || in->from_case == DMARC_FROM_SEVERAL_FIELDS;
		if (several && cfg->multi_from == DMARC_MULTI_REJECT) {
			pol_reject_multi(out, in->from_case == DMARC_FROM_SEVERAL_FIELDS
			                          ? "several From header fields"
			                          : "several From domains");
			return DMARC_OK;
		}
		if (in->from_incomplete) {
			/* A mailbox DMARC cannot evaluate (a domain-literal, an
			 * invalid name, a field that did not parse): refused
			 * rather than judged on the other addresses. */
			pol_reject_multi(out, "From addresses without a usable domain");
			return DMARC_OK;
		}
		if (too_many) {
			/* 11.5: an incomplete evaluation; refuse it. */
			pol_reject_multi(out, "too many Author Domains (DMARC_MAX_AUTHOR_DOMAINS)");
			return DMARC_OK;
		}
	}

	struct pol_ctx c = { .a = a, .cfg = cfg, .in = in };
	c.dns = dmarc_dns_new(r, a, deadline_ms, cfg->prefetch);
	if (!c.dns || pol_prepare(&c, authors, n_authors) != DMARC_OK) {
		pol_internal_error(out);
		return DMARC_E_NOMEM;
	}

	struct dmarc_eval best, cur;
	int best_rank = -1;
	for (size_t i = 0; i < n_authors; i++) {
		memset(&cur, 0, sizeof cur);
		cur.disc.walk.psd_index = -1;
		cur.evaluated = true;
		cur.mode = cfg->mode;
		cur.from_case = in->from_case;
		if (pol_eval_author(&c, authors[i], &cur) != DMARC_OK) {
			pol_internal_error(out);
			return DMARC_E_NOMEM;
		}
		int rank = pol_rank(&cur);
		if (rank > best_rank) {
			best = cur;
			best_rank = rank;
		}
	}
	*out = best;
	out->n_authors_evaluated = n_authors;
	return DMARC_OK;
}

/* ------------------------------------------------------------------ */
/* Fields                                                              */

static void pol_field(struct fields *fs, const char *name, struct slice v, bool tainted)
{
	fields_set(fs, name, v.ptr ? v : SLICE_LIT(""), tainted);
}

void dmarc_fields(const struct dmarc_eval *e, struct fields *fs)
{
	fields_set_cstr(fs, "dmarc_status", e->status ? e->status : "none");
	fields_set_cstr(fs, "dmarc_status_text", e->status_text ? e->status_text : "");
	if (!e->evaluated)
		return;
	const struct dmarc_discovery *disc = &e->disc;
	pol_field(fs, "dmarc_used_domain", disc->policy_domain, true);
	const struct dmarc_record *rec = e->have_rec ? &e->rec : disc->rec;
	fields_set_cstr(fs, "dmarc_domain_policy", rec ? dmarc_policy_str(rec->p) : "");
	fields_set_cstr(fs, "dmarc_result", dmarc_result_str(e->result));
	fields_set_cstr(fs, "dmarc_reason", e->reason ? e->reason : "");
	pol_field(fs, "dmarc_author_domain", e->author_domain, true);
	pol_field(fs, "dmarc_org_domain", disc->org, true);
	fields_set_cstr(fs, "dmarc_policy_found_at", dmarc_found_at_str(disc->found_at));
	fields_set_cstr(fs, "dmarc_policy_tag", dmarc_policy_tag_str(e->policy_tag));
	fields_set_cstr(fs, "dmarc_policy", dmarc_policy_str(e->policy));
	fields_set_cstr(fs, "dmarc_disposition", dmarc_policy_str(e->disposition));
	fields_set_cstr(fs, "dmarc_spf_aligned", e->spf_aligned ? "yes" : "no");
	fields_set_cstr(fs, "dmarc_dkim_aligned", e->dkim_aligned ? "yes" : "no");
	pol_field(fs, "dmarc_dkim_aligned_domain", e->dkim_aligned_domain, true);
	pol_field(fs, "dmarc_spf_domain", e->spf_domain, true);
	fields_set_cstr(fs, "dmarc_aspf",
	                !e->have_rec ? "" : e->rec.aspf == DMARC_ALIGN_STRICT ? "s" : "r");
	fields_set_cstr(fs, "dmarc_adkim",
	                !e->have_rec ? "" : e->rec.adkim == DMARC_ALIGN_STRICT ? "s" : "r");
	fields_set_cstr(fs, "dmarc_testing", e->have_rec && e->rec.testing ? "yes" : "no");
	fields_set_cstr(fs, "dmarc_override", dmarc_override_str(e->override));
	fields_set_cstr(fs, "dmarc_override_comment", e->override_comment ? e->override_comment : "");
	fields_set_cstr(fs, "dmarc_discovery", e->mode == DMARC_MODE_RFC7489 ? "psl" : "treewalk");

	struct buf b;
	buf_init(&b, fs->arena, 4096);
	for (size_t i = 0; i < disc->walk.n; i++) {
		if (i)
			buf_add_byte(&b, ' ');
		buf_add_slice(&b, disc->walk.name[i]);
	}
	if (b.err)
		fs->err = true;
	pol_field(fs, "dmarc_tree_walk", buf_slice(&b), true);

	buf_init(&b, fs->arena, 16384);
	for (size_t i = 0; rec && i < rec->n_rua; i++) {
		if (i)
			buf_add_byte(&b, ',');
		buf_add_slice(&b, rec->rua[i]);
	}
	if (b.err)
		fs->err = true;
	pol_field(fs, "dmarc_rua", buf_slice(&b), true);
	if (e->mode == DMARC_MODE_RFC7489 && rec)
		fields_set_u64(fs, "dmarc_pct", rec->pct);
}
