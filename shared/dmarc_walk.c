/* dmarc_walk.c — DMARC record lookups, the DNS Tree Walk and policy
 * discovery: RFC 9989 4.10 (the walk and its eight-query limit), 4.10.1
 * (policy discovery), 4.10.2 (Organizational Domain selection), 3.2.13 and
 * Appendix A.4 (non-existent domains); RFC 7489 6.6.3 for the
 * compatibility mode.
 *
 * All lookups of one evaluation go through struct dmarc_dns, which caches
 * each name's outcome so that the walks of the Author Domain, the SPF
 * domain and the DKIM domains ask the DNS at most once per name.  The
 * names of a walk come from orgdom_treewalk(); this file decides where a
 * walk stops and what it found.
 *
 * Everything is allocated in the evaluation's arena.
 */
#include "dmarc.h"

#include <string.h>

#include "domain.h"
#include "orgdom.h"

enum dd_kind { DD_TXT, DD_EXIST };

struct dd_entry {
	enum dd_kind kind;
	struct slice name;          /* domain, without "_dmarc." */
	struct dns_answer *ans;     /* while queued */
	bool done;
	enum dmarc_lookup look;     /* DD_TXT */
	struct dmarc_record *rec;   /* DD_TXT with DMARC_LOOKUP_ONE */
	bool exists, exists_temp;   /* DD_EXIST */
};

struct dmarc_dns {
	struct dns_resolver *r;
	struct arena *a;
	uint64_t deadline;
	bool prefetch;
	struct dns_batch *batch;
	bool queued;                /* the batch holds unanswered queries */
	size_t sent;
	size_t n;
	struct dd_entry ent[DMARC_MAX_LOOKUPS];
};

struct dmarc_dns *dmarc_dns_new(struct dns_resolver *r, struct arena *a,
                                uint64_t deadline_ms, bool prefetch)
{
	struct dmarc_dns *d = arena_zalloc(a, sizeof *d);
	if (!d)
		return NULL;
	d->r = r;
	d->a = a;
	d->deadline = deadline_ms;
	d->prefetch = prefetch;
	return d;
}

struct arena *dmarc_dns_arena(struct dmarc_dns *d)
{
	return d->a;
}

size_t dmarc_dns_sent(const struct dmarc_dns *d)
{
	return d->sent;
}

static struct dd_entry *dd_find(struct dmarc_dns *d, enum dd_kind kind, struct slice name)
{
	for (size_t i = 0; i < d->n; i++)
		if (d->ent[i].kind == kind && domain_eq(d->ent[i].name, name))
			return &d->ent[i];
	return NULL;
}

/* Send what is queued and wait for it; classify every answer that came. */
static int dd_flush(struct dmarc_dns *d)
{
	if (d->queued) {
		dns_batch_wait(d->batch, d->deadline);
		d->queued = false;
	}
	for (size_t i = 0; i < d->n; i++) {
		struct dd_entry *e = &d->ent[i];
		if (e->done || !e->ans)
			continue;
		e->done = true;
		const struct dns_answer *ans = e->ans;
		e->ans = NULL;
		if (e->kind == DD_EXIST) {
			/* RFC 9989 A.4: NXDOMAIN means the name does not exist;
			 * any other answer (NODATA included) means it does. */
			e->exists = ans->status != DNS_ST_NXDOMAIN;
			e->exists_temp = dns_status_is_temp(ans->status);
			continue;
		}
		if (dns_status_is_temp(ans->status)) {
			e->look = DMARC_LOOKUP_TEMPERROR;
			continue;
		}
		e->look = DMARC_LOOKUP_NONE;
		if (ans->status != DNS_ST_OK)
			continue;
		/* 4.10 steps 2 and 6: drop what is not v=DMARC1; several
		 * DMARC records are all discarded. */
		size_t found = 0;
		for (size_t k = 0; k < ans->n; k++) {
			struct dmarc_record tmp;
			enum dmarc_rec_status st = dmarc_record_parse(d->a, ans->rr[k].data, &tmp);
			if (st == DMARC_REC_NOMEM)
				return DMARC_E_NOMEM;
			if (st != DMARC_REC_OK)
				continue;
			if (++found == 1) {
				e->rec = arena_alloc(d->a, sizeof *e->rec);
				if (!e->rec)
					return DMARC_E_NOMEM;
				*e->rec = tmp;
			}
		}
		if (found == 1) {
			e->look = DMARC_LOOKUP_ONE;
		} else if (found > 1) {
			e->look = DMARC_LOOKUP_MULTIPLE;
			e->rec = NULL;
		}
	}
	return DMARC_OK;
}

/* Queue a lookup unless it is known or queued.  qname is the name to send
 * (SLICE_NULL: a name that cannot exist, answered "none" without asking).
 * Returns the entry, or NULL when out of memory; *full is set when the
 * per-evaluation limit DMARC_MAX_LOOKUPS is reached. */
static struct dd_entry *dd_queue(struct dmarc_dns *d, enum dd_kind kind, struct slice name,
                                 struct slice qname, bool *full)
{
	*full = false;
	struct dd_entry *e = dd_find(d, kind, name);
	if (e)
		return e;
	if (d->n == DMARC_MAX_LOOKUPS) {
		*full = true;
		return NULL;
	}
	e = &d->ent[d->n];
	memset(e, 0, sizeof *e);
	e->kind = kind;
	e->name = name;
	if (!qname.ptr) {
		e->done = true;
		e->look = DMARC_LOOKUP_NONE;
		e->exists = false;
		d->n++;
		return e;
	}
	if (!d->r) {
		/* No resolver: every lookup is a temporary failure. */
		e->done = true;
		e->look = DMARC_LOOKUP_TEMPERROR;
		e->exists = true;
		e->exists_temp = true;
		d->n++;
		return e;
	}
	if (!d->batch) {
		d->batch = dns_batch_new(d->r, d->a);
		if (!d->batch)
			return NULL;
	}
	enum dns_type type = kind == DD_TXT ? DNS_T_TXT : DNS_T_A;
	struct dns_answer *ans = dns_batch_add(d->batch, type, qname);
	if (!ans) {
		/* The batch is full (DNS_MAX_BATCH): answer what is queued
		 * first, then try once more on the emptied batch. */
		if (dd_flush(d) != DMARC_OK)
			return NULL;
		ans = dns_batch_add(d->batch, type, qname);
		if (!ans)
			return NULL;
	}
	e->ans = ans;
	d->queued = true;
	d->sent++;
	d->n++;
	return e;
}

static struct dd_entry *dd_queue_txt(struct dmarc_dns *d, struct slice target,
                                     struct slice qname, bool *full)
{
	return dd_queue(d, DD_TXT, target, qname, full);
}

/* The lookup of one _dmarc name, answered now. */
static int dd_lookup(struct dmarc_dns *d, struct slice target, struct slice qname,
                     const struct dd_entry **out)
{
	bool full;
	struct dd_entry *e = dd_queue_txt(d, target, qname, &full);
	if (!e && !full)
		return DMARC_E_NOMEM;
	if (!e) {
		/* Local limit DMARC_MAX_LOOKUPS: the walk cannot finish. */
		static const struct dd_entry limit_entry = { .kind = DD_TXT, .done = true,
			                               .look = DMARC_LOOKUP_TEMPERROR };
		*out = &limit_entry;
		return DMARC_OK;
	}
	if (!e->done && dd_flush(d) != DMARC_OK)
		return DMARC_E_NOMEM;
	*out = e;
	return DMARC_OK;
}

/* Queue every name of the walk from domain (prefetch). */
static int dd_prefetch_walk(struct dmarc_dns *d, struct slice domain)
{
	struct orgdom_walk ow;
	enum orgdom_status st = orgdom_treewalk(d->a, domain, &ow);
	if (st == ORGDOM_E_NOMEM)
		return DMARC_E_NOMEM;
	for (size_t i = 0; i < ow.n; i++) {
		bool full;
		if (!dd_queue_txt(d, ow.target[i], ow.query[i], &full) && !full)
			return DMARC_E_NOMEM;
	}
	return DMARC_OK;
}

/* The A query of the existence test: the name itself, normalized;
 * SLICE_NULL for a name that cannot exist. */
static struct slice dd_exist_qname(struct arena *a, struct slice domain)
{
	struct slice n;
	if (!domain_normalize(a, domain, &n))
		return SLICE_NULL;
	return n;
}

/* "_dmarc." + name; SLICE_NULL when that exceeds DOMAIN_MAX_TEXT_NAME (no
 * such name can exist, RFC 1035 2.3.4) or memory ran out (*nomem). */
static struct slice dd_dmarc_qname(struct arena *a, struct slice name, bool *nomem)
{
	*nomem = false;
	if (name.len + 7 > DOMAIN_MAX_TEXT_NAME)
		return SLICE_NULL;
	char *q = arena_alloc(a, name.len + 8);
	if (!q) {
		*nomem = true;
		return SLICE_NULL;
	}
	memcpy(q, "_dmarc.", 7);
	memcpy(q + 7, name.ptr, name.len);
	q[name.len + 7] = '\0';
	return slice_make(q, name.len + 7);
}

int dmarc_domain_exists(struct dmarc_dns *d, struct slice domain, bool *exists,
                        bool *temperror)
{
	*exists = true;
	*temperror = false;
	bool full;
	struct slice q = dd_exist_qname(d->a, domain);
	struct dd_entry *e = dd_queue(d, DD_EXIST, domain, q, &full);
	if (!e && !full)
		return DMARC_E_NOMEM;
	if (!e) {
		*temperror = true;
		return DMARC_OK;
	}
	if (!e->done && dd_flush(d) != DMARC_OK)
		return DMARC_E_NOMEM;
	*exists = e->exists;
	*temperror = e->exists_temp;
	return DMARC_OK;
}

/* RFC 9989 4.10.2: choose the Organizational Domain from what the walk
 * found, longest name first. */
static void walk_select(struct dmarc_walk *w)
{
	w->org = w->start;
	w->org_rule = 0;
	int fewest = -1;
	for (size_t i = 0; i < w->n; i++) {
		if (w->look[i] != DMARC_LOOKUP_ONE)
			continue;
		const struct dmarc_record *rec = w->rec[i];
		if (rec->psd == DMARC_PSD_N) {
			/* Rule 1: psd=n marks the Organizational Domain. */
			w->org = w->name[i];
			w->org_rule = 1;
			return;
		}
		if (rec->psd == DMARC_PSD_Y && i > 0) {
			/* Rule 2: one label below the PSD, counted on the start
			 * (the walk may have skipped names on the way up). */
			size_t labels = domain_label_count(w->name[i]) + 1;
			w->org = domain_last_labels(w->start, labels);
			w->org_rule = 2;
			return;
		}
		fewest = (int)i;
	}
	if (fewest >= 0) {
		/* Rule 3: the record with the fewest labels. */
		w->org = w->name[fewest];
		w->org_rule = 3;
	}
}

int dmarc_walk(struct dmarc_dns *d, struct slice domain, struct dmarc_walk *w)
{
	memset(w, 0, sizeof *w);
	w->psd_index = -1;
	struct orgdom_walk ow;
	enum orgdom_status st = orgdom_treewalk(d->a, domain, &ow);
	if (st == ORGDOM_E_NOMEM)
		return DMARC_E_NOMEM;
	if (st != ORGDOM_OK || ow.n == 0)
		return DMARC_OK;
	w->start = ow.domain;
	if (d->prefetch) {
		for (size_t i = 0; i < ow.n; i++) {
			bool full;
			if (!dd_queue_txt(d, ow.target[i], ow.query[i], &full) && !full)
				return DMARC_E_NOMEM;
		}
	}
	for (size_t i = 0; i < ow.n; i++) {
		const struct dd_entry *e;
		if (dd_lookup(d, ow.target[i], ow.query[i], &e) != DMARC_OK)
			return DMARC_E_NOMEM;
		w->name[i] = ow.target[i];
		w->look[i] = e->look;
		w->rec[i] = e->look == DMARC_LOOKUP_ONE ? e->rec : NULL;
		w->n = i + 1;
		if (e->look == DMARC_LOOKUP_TEMPERROR) {
			/* Whatever this name holds could have stopped the walk:
			 * the outcome is unknown. */
			w->temperror = true;
			w->org = SLICE_NULL;
			return DMARC_OK;
		}
		if (e->look == DMARC_LOOKUP_ONE && e->rec->psd != DMARC_PSD_U) {
			/* Steps 2 and 6: a single record with psd=y or psd=n
			 * ends the walk. */
			if (e->rec->psd == DMARC_PSD_Y)
				w->psd_index = (int)i;
			w->stopped = true;
			break;
		}
	}
	walk_select(w);
	return DMARC_OK;
}

static int disc_rfc9989(struct dmarc_dns *d, struct slice author, struct dmarc_discovery *out)
{
	if (d->prefetch && dd_prefetch_walk(d, author) != DMARC_OK)
		return DMARC_E_NOMEM;
	/* 4.10.1: first the Author Domain itself; then the walk.  The walk
	 * starts with the same name, answered from the cache, so the walk
	 * holds every name consulted, in order. */
	if (dmarc_walk(d, author, &out->walk) != DMARC_OK)
		return DMARC_E_NOMEM;
	const struct dmarc_walk *w = &out->walk;
	if (w->n == 0) {
		out->reason = "invalid Author Domain";
		return DMARC_OK;
	}
	if (w->look[0] == DMARC_LOOKUP_ONE) {
		out->found_at = DMARC_FOUND_AUTHOR;
		out->rec = w->rec[0];
		out->policy_domain = w->name[0];
		out->org = w->temperror ? SLICE_NULL : w->org;
		out->reason = "record at the Author Domain";
		return DMARC_OK;
	}
	if (w->look[0] == DMARC_LOOKUP_MULTIPLE)
		out->author_multiple = true;
	if (w->temperror) {
		out->temperror = true;
		out->reason = "DNS error during the DMARC tree walk";
		return DMARC_OK;
	}
	out->org = w->org;
	for (size_t i = 1; i < w->n; i++) {
		if (w->look[i] == DMARC_LOOKUP_ONE && domain_eq(w->name[i], w->org)) {
			out->found_at = DMARC_FOUND_ORG;
			out->rec = w->rec[i];
			out->policy_domain = w->name[i];
			out->reason = "record at the Organizational Domain";
			return DMARC_OK;
		}
	}
	if (w->psd_index > 0) {
		/* The Organizational Domain has no record: the Public Suffix
		 * Domain's record applies to the subdomain (4.10.1). */
		out->found_at = DMARC_FOUND_PSD;
		out->rec = w->rec[w->psd_index];
		out->policy_domain = w->name[w->psd_index];
		out->reason = "record at the Public Suffix Domain";
		return DMARC_OK;
	}
	out->reason = out->author_multiple ? "several DMARC records at the Author Domain"
	                                   : "no DMARC record";
	return DMARC_OK;
}

/* RFC 7489 6.6.3: the Author Domain, then its Organizational Domain from
 * the public suffix list.  The names asked are reported in the walk. */
static int disc_rfc7489_step(struct dmarc_dns *d, struct slice name, struct dmarc_walk *w,
                             const struct dd_entry **e)
{
	bool nomem;
	struct slice q = dd_dmarc_qname(d->a, name, &nomem);
	if (nomem || dd_lookup(d, name, q, e) != DMARC_OK)
		return DMARC_E_NOMEM;
	w->name[w->n] = name;
	w->look[w->n] = (*e)->look;
	w->rec[w->n] = (*e)->look == DMARC_LOOKUP_ONE ? (*e)->rec : NULL;
	w->n++;
	if ((*e)->look == DMARC_LOOKUP_TEMPERROR)
		w->temperror = true;
	return DMARC_OK;
}

/* RFC 7489 3.2: the public suffix list's registrable domain; the name
 * itself when it is a public suffix; empty without a usable list. */
static int disc_psl_org(struct arena *a, struct slice domain, struct slice *org)
{
	enum orgdom_kind k = orgdom_registrable(a, domain, org);
	if (k == ORGDOM_NOMEM)
		return DMARC_E_NOMEM;
	if (k != ORGDOM_REGISTRABLE && k != ORGDOM_IS_SUFFIX)
		*org = SLICE_NULL;
	return DMARC_OK;
}

/* RFC 7489 6.6.3: the Author Domain, then its Organizational Domain from
 * the public suffix list.  The names asked are reported in the walk. */
static int disc_rfc7489(struct dmarc_dns *d, struct slice author, struct dmarc_discovery *out)
{
	struct dmarc_walk *w = &out->walk;
	struct slice org;
	if (disc_psl_org(d->a, author, &org) != DMARC_OK)
		return DMARC_E_NOMEM;
	w->start = author;
	out->org = w->org = org.len ? org : author;

	const struct dd_entry *e;
	if (disc_rfc7489_step(d, author, w, &e) != DMARC_OK)
		return DMARC_E_NOMEM;
	switch (e->look) {
	case DMARC_LOOKUP_TEMPERROR:
		out->temperror = true;
		out->reason = "DNS error looking up the DMARC record";
		return DMARC_OK;
	case DMARC_LOOKUP_ONE:
		out->found_at = DMARC_FOUND_AUTHOR;
		out->rec = e->rec;
		out->policy_domain = author;
		out->reason = "record at the Author Domain";
		return DMARC_OK;
	case DMARC_LOOKUP_MULTIPLE:
		/* Step 5: several records end discovery; no DMARC. */
		out->author_multiple = true;
		out->reason = "several DMARC records at the Author Domain";
		return DMARC_OK;
	case DMARC_LOOKUP_NONE:
		break;
	}
	if (!org.len || domain_eq(org, author)) {
		out->reason = "no DMARC record";
		return DMARC_OK;
	}
	if (disc_rfc7489_step(d, org, w, &e) != DMARC_OK)
		return DMARC_E_NOMEM;
	switch (e->look) {
	case DMARC_LOOKUP_TEMPERROR:
		out->temperror = true;
		out->reason = "DNS error looking up the DMARC record";
		return DMARC_OK;
	case DMARC_LOOKUP_ONE:
		out->found_at = DMARC_FOUND_ORG;
		out->rec = e->rec;
		out->policy_domain = org;
		out->reason = "record at the Organizational Domain";
		return DMARC_OK;
	case DMARC_LOOKUP_MULTIPLE:
		out->reason = "several DMARC records at the Organizational Domain";
		return DMARC_OK;
	case DMARC_LOOKUP_NONE:
		break;
	}
	out->reason = "no DMARC record";
	return DMARC_OK;
}

int dmarc_discover(struct dmarc_dns *d, enum dmarc_mode mode, struct slice author,
                   struct dmarc_discovery *out)
{
	memset(out, 0, sizeof *out);
	out->walk.psd_index = -1;
	out->author = author;
	if (mode == DMARC_MODE_RFC7489)
		return disc_rfc7489(d, author, out);
	return disc_rfc9989(d, author, out);
}

int dmarc_dns_prefetch(struct dmarc_dns *d, enum dmarc_mode mode, struct slice domain,
                       bool existence)
{
	if (!d->prefetch || !domain.len)
		return DMARC_OK;
	bool full, nomem;
	if (mode == DMARC_MODE_RFC9989) {
		if (dd_prefetch_walk(d, domain) != DMARC_OK)
			return DMARC_E_NOMEM;
	} else {
		struct slice org;
		if (disc_psl_org(d->a, domain, &org) != DMARC_OK)
			return DMARC_E_NOMEM;
		struct slice names[2] = { domain, org };
		for (size_t i = 0; i < 2; i++) {
			if (!names[i].len || (i == 1 && domain_eq(org, domain)))
				continue;
			struct slice q = dd_dmarc_qname(d->a, names[i], &nomem);
			if (nomem || (!dd_queue_txt(d, names[i], q, &full) && !full))
				return DMARC_E_NOMEM;
		}
	}
	if (existence) {
		struct slice q = dd_exist_qname(d->a, domain);
		if (!dd_queue(d, DD_EXIST, domain, q, &full) && !full)
			return DMARC_E_NOMEM;
	}
	return DMARC_OK;
}
