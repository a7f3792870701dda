/* spf.c — check_host() of RFC 7208 (sections 2.3-2.6, 4, 5, 6, 7, 8 and
 * 4.6.4 limits) for the MAIL FROM and HELO identities, and the Exim-style
 * result strings (Received-SPF, RFC 7208 9.1; Authentication-Results
 * entry, RFC 8601 2.7.2).  See spf.h for the contract and the decisions.
 *
 * Structure: one struct spf_eval per check holds everything (no globals):
 * the macro variables, the counters for the 4.6.4 limits, a small answer
 * cache and the PTR validation result.  check_host() fetches and parses a
 * record, evaluates its directives in order and follows redirect=; include
 * recurses into check_host().  Every error path sets ev->reason at the
 * point where the problem is found and returns an error verdict that the
 * callers pass up unchanged (a permerror stays a permerror).
 *
 * Recursion depth is bounded by SPF_MAX_DNS_TERMS: every include and
 * redirect counts as a term before it recurses. */
#include "spf.h"

#include <stdarg.h>
#include <string.h>
#include <time.h>

#include "domain.h"
#include "mailauth_limits.h"
#include "spf_addr.h"
#include "spf_macro.h"
#include "spf_record.h"

/* local: answers cached per check.  The limits above allow at most about
 * 10 terms x (1 + 10 address lookups) + PTR work + exp; more than this
 * simply goes uncached. */
#define SPF_CACHE_MAX 256

/* Longest untrusted text quoted in a reason. */
#define REASON_TEXT_MAX 80

struct cache_ent {
	enum dns_type type;
	struct slice name; /* lower case */
	struct dns_answer *ans;
};

struct spf_eval {
	struct dns_resolver *r;
	struct arena *a;
	uint64_t deadline;
	struct spf_addr ip;
	struct spf_macro_vars v; /* d and p are set per expansion */
	unsigned terms, voids, queries;
	struct cache_ent cache[SPF_CACHE_MAX];
	size_t ncache;
	/* Validated PTR names (RFC 7208 5.5), computed once per check. */
	bool ptr_done;
	struct slice ptr_valid[SPF_MAX_PTR_NAMES];
	size_t n_ptr_valid;
	const char *reason;
	bool nomem;
};

/* What one check_host() decided, for the caller and for exp=. */
struct frame {
	struct slice mech;             /* matching directive; empty: default */
	const struct spf_record *rec;  /* record that decided (exp= source) */
	struct slice domain;           /* its <domain> */
};

/* Outcome of one term. */
enum mres { M_NOMATCH, M_MATCH, M_TEMP, M_PERM };

/* ------------------------------------------------------------------ */
/* small helpers                                                       */

static char lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
}

/* Printable, truncated copy of untrusted text for reasons and logs. */
static const char *safe(struct spf_eval *ev, struct slice s)
{
	struct buf b;
	buf_init(&b, ev->a, REASON_TEXT_MAX * 4 + 8);
	size_t n = s.len > REASON_TEXT_MAX ? REASON_TEXT_MAX : s.len;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s.ptr[i];
		if (c >= 0x20 && c < 0x7f && c != '\\')
			buf_add_byte(&b, (char)c);
		else
			buf_addf(&b, "\\x%02x", c);
	}
	if (n < s.len)
		buf_add_cstr(&b, "...");
	return b.err ? "?" : buf_cstr(&b);
}

static void reason(struct spf_eval *ev, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void reason(struct spf_eval *ev, const char *fmt, ...)
{
	struct buf b;
	va_list ap;
	buf_init(&b, ev->a, 4096);
	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	ev->reason = b.err ? "error (no memory for the reason text)" : buf_cstr(&b);
	if (b.err)
		ev->nomem = true;
}

static enum mres nomem(struct spf_eval *ev)
{
	ev->nomem = true;
	ev->reason = "out of memory";
	return M_TEMP;
}

/* RFC 4.3: structural validity of a <domain> (labels 1..63, name <= 253,
 * at least two labels).  Bytes are checked by the caller where needed. */
static bool domain_shape_ok(struct slice d)
{
	if (d.len && d.ptr[d.len - 1] == '.')
		d.len--;
	if (d.len == 0 || d.len > DOMAIN_MAX_TEXT_NAME)
		return false;
	size_t labels = 0, cur = 0;
	for (size_t i = 0; i <= d.len; i++) {
		if (i == d.len || d.ptr[i] == '.') {
			if (cur == 0 || cur > DNS_MAX_LABEL)
				return false;
			labels++;
			cur = 0;
		} else {
			cur++;
		}
	}
	return labels >= 2;
}

static bool ldh_byte(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_' || c == '.';
}

/* ------------------------------------------------------------------ */
/* DNS with a per-check cache                                          */

static struct dns_answer *fake_answer(struct spf_eval *ev, enum dns_type t, struct slice name,
                                      enum dns_status st, const char *why)
{
	struct dns_answer *ans = arena_zalloc(ev->a, sizeof *ans);
	if (!ans)
		return NULL;
	ans->type = t;
	ans->qname = name;
	ans->status = st;
	ans->why = why;
	return ans;
}

static struct slice lower_copy(struct spf_eval *ev, struct slice s)
{
	char *p = arena_alloc(ev->a, s.len + 1);
	if (!p)
		return SLICE_NULL;
	for (size_t i = 0; i < s.len; i++)
		p[i] = lower(s.ptr[i]);
	p[s.len] = '\0';
	return slice_make(p, s.len);
}

static struct dns_answer *cache_find(struct spf_eval *ev, enum dns_type t, struct slice name)
{
	for (size_t i = 0; i < ev->ncache; i++)
		if (ev->cache[i].type == t && slice_eq_ci(ev->cache[i].name, name))
			return ev->cache[i].ans;
	return NULL;
}

static void cache_put(struct spf_eval *ev, enum dns_type t, struct slice name, struct dns_answer *ans)
{
	if (ev->ncache >= SPF_CACHE_MAX || dns_status_is_temp(ans->status))
		return;
	struct slice key = lower_copy(ev, name);
	if (!key.ptr)
		return;
	ev->cache[ev->ncache].type = t;
	ev->cache[ev->ncache].name = key;
	ev->cache[ev->ncache].ans = ans;
	ev->ncache++;
}

static bool budget_left(struct spf_eval *ev)
{
	return dns_now_ms() < ev->deadline;
}

/* One lookup; NULL only when out of memory. */
static struct dns_answer *lookup(struct spf_eval *ev, enum dns_type t, struct slice name)
{
	struct dns_answer *ans = cache_find(ev, t, name);
	if (ans)
		return ans;
	if (!budget_left(ev))
		return fake_answer(ev, t, name, DNS_ST_TIMEOUT, "time budget exhausted");
	ans = dns_query(ev->r, ev->a, t, name, ev->deadline);
	if (!ans)
		return NULL;
	ev->queries++;
	cache_put(ev, t, name, ans);
	return ans;
}

/* Independent lookups of one type, sent as one batch.  out[i] is NULL only
 * when out of memory. */
static void lookup_many(struct spf_eval *ev, enum dns_type t, const struct slice *names, size_t n,
                        struct dns_answer **out)
{
	struct dns_batch *b = NULL;
	bool pending = false;
	for (size_t i = 0; i < n; i++) {
		out[i] = cache_find(ev, t, names[i]);
		if (out[i])
			continue;
		if (!budget_left(ev)) {
			out[i] = fake_answer(ev, t, names[i], DNS_ST_TIMEOUT, "time budget exhausted");
			continue;
		}
		if (!b)
			b = dns_batch_new(ev->r, ev->a);
		if (b)
			out[i] = dns_batch_add(b, t, names[i]);
		if (out[i]) {
			pending = true;
			ev->queries++;
		} else {
			out[i] = lookup(ev, t, names[i]); /* batch full: one by one */
		}
	}
	if (pending) {
		dns_batch_wait(b, ev->deadline);
		for (size_t i = 0; i < n; i++)
			if (out[i] && !cache_find(ev, t, names[i]))
				cache_put(ev, t, names[i], out[i]);
	}
}

static const char *type_name(enum dns_type t)
{
	return dns_type_str(t);
}

/* The lookup of a term's own query: temporary failures are temperror,
 * empty answers count as void lookups (RFC 7208 4.6.4). */
static enum mres term_lookup(struct spf_eval *ev, enum dns_type t, struct slice name,
                             struct dns_answer **out)
{
	struct dns_answer *ans = lookup(ev, t, name);
	if (!ans)
		return nomem(ev);
	*out = ans;
	if (dns_status_is_temp(ans->status)) {
		reason(ev, "DNS %s for %s %s (RFC 7208 5)", ans->why ? ans->why : dns_status_str(ans->status),
		       type_name(t), safe(ev, name));
		return M_TEMP;
	}
	if (ans->status != DNS_ST_OK || ans->n == 0) {
		ev->voids++;
		if (ev->voids > SPF_MAX_VOID_LOOKUPS) {
			reason(ev, "more than %d void DNS lookups, the last for %s %s (RFC 7208 4.6.4, SPF_MAX_VOID_LOOKUPS)",
			       SPF_MAX_VOID_LOOKUPS, type_name(t), safe(ev, name));
			return M_PERM;
		}
	}
	return M_NOMATCH;
}

static enum mres count_term(struct spf_eval *ev, struct slice text)
{
	ev->terms++;
	if (ev->terms > SPF_MAX_DNS_TERMS) {
		reason(ev, "more than %d DNS-querying terms, at %s (RFC 7208 4.6.4, SPF_MAX_DNS_TERMS)",
		       SPF_MAX_DNS_TERMS, safe(ev, text));
		return M_PERM;
	}
	return M_NOMATCH;
}

/* ------------------------------------------------------------------ */
/* PTR validation (RFC 7208 5.5) and %{p}                              */

/* Validate the names of one PTR answer: the first SPF_MAX_PTR_NAMES whose
 * A/AAAA records include the client address.  Errors skip the name. */
static void ptr_validate(struct spf_eval *ev, const struct dns_answer *ptr)
{
	if (ev->ptr_done)
		return;
	ev->ptr_done = true;
	ev->n_ptr_valid = 0;
	if (!ptr || ptr->status != DNS_ST_OK)
		return;
	struct slice names[SPF_MAX_PTR_NAMES] = { { NULL, 0 } };
	struct dns_answer *ans[SPF_MAX_PTR_NAMES] = { NULL };
	size_t n = 0;
	for (size_t i = 0; i < ptr->n && n < SPF_MAX_PTR_NAMES; i++)
		names[n++] = ptr->rr[i].name;
	enum dns_type t = ev->ip.family == 4 ? DNS_T_A : DNS_T_AAAA;
	unsigned alen = ev->ip.family == 4 ? 4 : 16;
	lookup_many(ev, t, names, n, ans);
	for (size_t i = 0; i < n; i++) {
		if (!ans[i]) {
			ev->nomem = true;
			continue;
		}
		if (ans[i]->status != DNS_ST_OK || names[i].len == 0)
			continue;
		for (size_t k = 0; k < ans[i]->n; k++) {
			struct slice d = ans[i]->rr[k].data;
			if (d.len == alen && memcmp(d.ptr, ev->ip.b, alen) == 0) {
				ev->ptr_valid[ev->n_ptr_valid++] = names[i];
				break;
			}
		}
	}
}

static struct slice reverse_name(struct spf_eval *ev)
{
	char buf[SPF_ADDR_REVERSE_MAX];
	size_t n = spf_addr_format_reverse(&ev->ip, buf);
	return arena_slice_dup(ev->a, slice_make(buf, n));
}

/* %{p} for the current domain d (RFC 7208 7.3): d itself if validated,
 * else a validated subdomain of d, else any validated name, else
 * "unknown".  DNS problems only lead to "unknown". */
static struct slice macro_p(struct spf_eval *ev, struct slice d)
{
	if (!ev->ptr_done) {
		struct slice rev = reverse_name(ev);
		struct dns_answer *ans = rev.ptr ? lookup(ev, DNS_T_PTR, rev) : NULL;
		if (!ans)
			ev->nomem = true;
		ptr_validate(ev, ans);
	}
	for (size_t i = 0; i < ev->n_ptr_valid; i++)
		if (domain_eq(ev->ptr_valid[i], d))
			return ev->ptr_valid[i];
	for (size_t i = 0; i < ev->n_ptr_valid; i++)
		if (domain_is_within(ev->ptr_valid[i], d))
			return ev->ptr_valid[i];
	if (ev->n_ptr_valid)
		return ev->ptr_valid[0];
	return SLICE_LIT("unknown");
}

/* ------------------------------------------------------------------ */
/* macro expansion of targets                                          */

static enum mres expand(struct spf_eval *ev, struct slice spec, enum spf_macro_mode mode,
                        struct slice cur, struct slice *out)
{
	ev->v.d = cur;
	ev->v.p = SLICE_LIT("unknown");
	if (spf_macro_uses_p(spec))
		ev->v.p = macro_p(ev, cur);
	switch (spf_macro_expand(ev->a, spec, mode, &ev->v, out)) {
	case SPF_MACRO_OK:
		return M_NOMATCH;
	case SPF_MACRO_SYNTAX:
		reason(ev, "invalid macro string %s (RFC 7208 7.1)", safe(ev, spec));
		return M_PERM;
	case SPF_MACRO_TOOLONG:
		reason(ev, "expansion of %s longer than %d bytes (local limit SPF_MAX_EXPANSION)",
		       safe(ev, spec), SPF_MAX_EXPANSION);
		return M_PERM;
	case SPF_MACRO_NOMEM:
		break;
	}
	return nomem(ev);
}

/* The target-name of a mechanism: its domain-spec expanded, or the current
 * domain when it has none (RFC 7208 4.8). */
static enum mres target(struct spf_eval *ev, const struct spf_mech *m, struct slice cur, struct slice *out)
{
	if (m->domain_spec.len == 0) {
		*out = cur;
		return M_NOMATCH;
	}
	return expand(ev, m->domain_spec, SPF_MACRO_DOMAIN, cur, out);
}

/* ------------------------------------------------------------------ */
/* check_host()                                                        */

static enum spf_result check_host(struct spf_eval *ev, struct slice domain, unsigned depth,
                                  bool nested, struct frame *fr);

static bool addr_in(const struct spf_eval *ev, const struct dns_answer *ans, unsigned cidr)
{
	unsigned alen = ev->ip.family == 4 ? 4 : 16;
	if (ans->status != DNS_ST_OK)
		return false;
	for (size_t k = 0; k < ans->n; k++) {
		struct slice d = ans->rr[k].data;
		if (d.len == alen && spf_addr_match(ev->ip.b, (const uint8_t *)d.ptr, ev->ip.family, cidr))
			return true;
	}
	return false;
}

static enum mres mech_a(struct spf_eval *ev, const struct spf_mech *m, struct slice cur)
{
	struct slice name;
	struct dns_answer *ans;
	enum mres r = target(ev, m, cur, &name);
	if (r != M_NOMATCH)
		return r;
	enum dns_type t = ev->ip.family == 4 ? DNS_T_A : DNS_T_AAAA;
	r = term_lookup(ev, t, name, &ans);
	if (r != M_NOMATCH)
		return r;
	return addr_in(ev, ans, ev->ip.family == 4 ? m->cidr4 : m->cidr6) ? M_MATCH : M_NOMATCH;
}

static enum mres mech_mx(struct spf_eval *ev, const struct spf_mech *m, struct slice cur)
{
	struct slice name;
	struct dns_answer *mx;
	enum mres r = target(ev, m, cur, &name);
	if (r != M_NOMATCH)
		return r;
	r = term_lookup(ev, DNS_T_MX, name, &mx);
	if (r != M_NOMATCH || mx->status != DNS_ST_OK)
		return r;
	if (mx->n > SPF_MAX_MX_NAMES) {
		reason(ev, "%s has %zu MX records, more than %d (RFC 7208 4.6.4, SPF_MAX_MX_NAMES)",
		       safe(ev, name), mx->n, SPF_MAX_MX_NAMES);
		return M_PERM;
	}
	/* Preference order (stable), so the batch gives the result a
	 * one-by-one walk would give; a null MX (RFC 7505, ".") has no host. */
	struct dns_rr *order[SPF_MAX_MX_NAMES] = { NULL };
	struct slice hosts[SPF_MAX_MX_NAMES] = { { NULL, 0 } };
	struct dns_answer *ans[SPF_MAX_MX_NAMES] = { NULL };
	size_t n = 0;
	for (size_t i = 0; i < mx->n; i++) {
		if (mx->rr[i].name.len == 0)
			continue;
		size_t j = n++;
		while (j > 0 && order[j - 1]->pref > mx->rr[i].pref) {
			order[j] = order[j - 1];
			j--;
		}
		order[j] = &mx->rr[i];
	}
	for (size_t i = 0; i < n; i++)
		hosts[i] = order[i]->name;
	enum dns_type t = ev->ip.family == 4 ? DNS_T_A : DNS_T_AAAA;
	lookup_many(ev, t, hosts, n, ans);
	unsigned cidr = ev->ip.family == 4 ? m->cidr4 : m->cidr6;
	for (size_t i = 0; i < n; i++) {
		if (!ans[i])
			return nomem(ev);
		if (dns_status_is_temp(ans[i]->status)) {
			reason(ev, "DNS %s for %s %s, MX host of %s (RFC 7208 5)",
			       ans[i]->why ? ans[i]->why : dns_status_str(ans[i]->status), type_name(t),
			       safe(ev, hosts[i]), safe(ev, name));
			return M_TEMP;
		}
		if (addr_in(ev, ans[i], cidr))
			return M_MATCH;
	}
	return M_NOMATCH;
}

static enum mres mech_ptr(struct spf_eval *ev, const struct spf_mech *m, struct slice cur)
{
	struct slice name;
	enum mres r = target(ev, m, cur, &name);
	if (r != M_NOMATCH)
		return r;
	struct slice rev = reverse_name(ev);
	if (!rev.ptr)
		return nomem(ev);
	struct dns_answer *ptr = lookup(ev, DNS_T_PTR, rev);
	if (!ptr)
		return nomem(ev);
	/* RFC 7208 5.5: "If a DNS error occurs while doing the PTR RR lookup,
	 * then this mechanism fails to match." */
	if (dns_status_is_temp(ptr->status))
		return M_NOMATCH;
	if (ptr->status != DNS_ST_OK || ptr->n == 0) {
		ev->voids++;
		if (ev->voids > SPF_MAX_VOID_LOOKUPS) {
			reason(ev, "more than %d void DNS lookups, the last for PTR %s (RFC 7208 4.6.4, SPF_MAX_VOID_LOOKUPS)",
			       SPF_MAX_VOID_LOOKUPS, safe(ev, rev));
			return M_PERM;
		}
		return M_NOMATCH;
	}
	ptr_validate(ev, ptr);
	for (size_t i = 0; i < ev->n_ptr_valid; i++)
		if (domain_is_within(ev->ptr_valid[i], name))
			return M_MATCH;
	return M_NOMATCH;
}

static enum mres mech_exists(struct spf_eval *ev, const struct spf_mech *m, struct slice cur)
{
	struct slice name;
	struct dns_answer *ans;
	enum mres r = target(ev, m, cur, &name);
	if (r != M_NOMATCH)
		return r;
	/* RFC 7208 5.7: always an A query, whatever the client's family. */
	r = term_lookup(ev, DNS_T_A, name, &ans);
	if (r != M_NOMATCH)
		return r;
	return (ans->status == DNS_ST_OK && ans->n > 0) ? M_MATCH : M_NOMATCH;
}

static enum mres mech_include(struct spf_eval *ev, const struct spf_mech *m, struct slice cur,
                              unsigned depth)
{
	struct slice name;
	struct frame inner;
	enum mres r = target(ev, m, cur, &name);
	if (r != M_NOMATCH)
		return r;
	/* RFC 7208 5.2 table. */
	switch (check_host(ev, name, depth + 1, true, &inner)) {
	case SPF_PASS:
		return M_MATCH;
	case SPF_FAIL:
	case SPF_SOFTFAIL:
	case SPF_NEUTRAL:
		return M_NOMATCH;
	case SPF_TEMPERROR:
		return M_TEMP;
	case SPF_PERMERROR:
		return M_PERM;
	case SPF_NONE:
		break;
	}
	reason(ev, "include:%s: %s; \"none\" from an include is permerror (RFC 7208 5.2)", safe(ev, name),
	       ev->reason ? ev->reason : "no SPF record");
	return M_PERM;
}

static enum mres eval_mech(struct spf_eval *ev, const struct spf_mech *m, struct slice cur,
                           unsigned depth)
{
	if (spf_mech_queries_dns(m->kind)) {
		enum mres r = count_term(ev, m->text);
		if (r != M_NOMATCH)
			return r;
	}
	switch (m->kind) {
	case SPF_MECH_ALL:
		return M_MATCH;
	case SPF_MECH_IP4:
		return (ev->ip.family == 4 && spf_addr_match(ev->ip.b, m->net, 4, m->cidr4)) ? M_MATCH
		                                                                             : M_NOMATCH;
	case SPF_MECH_IP6:
		return (ev->ip.family == 6 && spf_addr_match(ev->ip.b, m->net, 6, m->cidr6)) ? M_MATCH
		                                                                             : M_NOMATCH;
	case SPF_MECH_A:
		return mech_a(ev, m, cur);
	case SPF_MECH_MX:
		return mech_mx(ev, m, cur);
	case SPF_MECH_PTR:
		return mech_ptr(ev, m, cur);
	case SPF_MECH_EXISTS:
		return mech_exists(ev, m, cur);
	case SPF_MECH_INCLUDE:
		return mech_include(ev, m, cur, depth);
	}
	return M_NOMATCH;
}

static enum spf_result qual_result(enum spf_qualifier q)
{
	switch (q) {
	case SPF_QUAL_PASS: return SPF_PASS;
	case SPF_QUAL_FAIL: return SPF_FAIL;
	case SPF_QUAL_SOFTFAIL: return SPF_SOFTFAIL;
	case SPF_QUAL_NEUTRAL: return SPF_NEUTRAL;
	}
	return SPF_NEUTRAL;
}

/* RFC 7208 4.4 and 4.5: the one v=spf1 record of domain.  Returns
 * SPF_PASS (meaning "found", *txt set), SPF_NONE, SPF_TEMPERROR or
 * SPF_PERMERROR. */
static enum spf_result fetch_record(struct spf_eval *ev, struct slice domain, bool nested,
                                    struct slice *txt)
{
	struct dns_answer *ans;
	if (nested) {
		/* The TXT lookup of an include/redirect target is the term's own
		 * query: it counts as a void lookup when empty. */
		enum mres r = term_lookup(ev, DNS_T_TXT, domain, &ans);
		if (r == M_TEMP)
			return SPF_TEMPERROR;
		if (r == M_PERM)
			return SPF_PERMERROR;
	} else {
		ans = lookup(ev, DNS_T_TXT, domain);
		if (!ans) {
			nomem(ev);
			return SPF_TEMPERROR;
		}
		if (dns_status_is_temp(ans->status)) {
			reason(ev, "DNS %s for TXT %s (RFC 7208 4.4)",
			       ans->why ? ans->why : dns_status_str(ans->status), safe(ev, domain));
			return SPF_TEMPERROR;
		}
	}
	if (ans->status != DNS_ST_OK) {
		reason(ev, "no SPF record at %s (DNS %s)", safe(ev, domain), dns_status_str(ans->status));
		return SPF_NONE;
	}
	size_t found = 0;
	for (size_t i = 0; i < ans->n; i++) {
		if (spf_record_is_spf1(ans->rr[i].data)) {
			*txt = ans->rr[i].data;
			found++;
		}
	}
	if (found == 0) {
		reason(ev, "no v=spf1 record at %s (RFC 7208 4.5)", safe(ev, domain));
		return SPF_NONE;
	}
	if (found > 1) {
		reason(ev, "%zu v=spf1 records at %s (RFC 7208 4.5)", found, safe(ev, domain));
		return SPF_PERMERROR;
	}
	return SPF_PASS;
}

static enum spf_result check_host(struct spf_eval *ev, struct slice domain, unsigned depth,
                                  bool nested, struct frame *fr)
{
	struct slice txt;
	memset(fr, 0, sizeof *fr);
	fr->domain = domain;
	if (depth > SPF_MAX_DNS_TERMS + 1) {
		/* Unreachable while every include/redirect counts as a term. */
		reason(ev, "SPF recursion deeper than %d", SPF_MAX_DNS_TERMS + 1);
		return SPF_PERMERROR;
	}
	/* RFC 7208 4.3: a malformed <domain> gives none without a lookup. */
	if (!domain_shape_ok(domain)) {
		reason(ev, "malformed domain %s (RFC 7208 4.3)", safe(ev, domain));
		return SPF_NONE;
	}
	enum spf_result res = fetch_record(ev, domain, nested, &txt);
	if (res != SPF_PASS)
		return res;

	struct spf_record *rec = arena_zalloc(ev->a, sizeof *rec);
	if (!rec) {
		nomem(ev);
		return SPF_TEMPERROR;
	}
	const char *why;
	struct slice bad;
	switch (spf_record_parse(ev->a, txt, rec, &why, &bad)) {
	case SPF_RECORD_OK:
		break;
	case SPF_RECORD_SYNTAX:
		if (bad.len)
			reason(ev, "syntax error in the SPF record of %s: %s: \"%s\" (RFC 7208 4.6)",
			       safe(ev, domain), why, safe(ev, bad));
		else
			reason(ev, "syntax error in the SPF record of %s: %s (RFC 7208 4.6)", safe(ev, domain),
			       why);
		return SPF_PERMERROR;
	case SPF_RECORD_NOMEM:
		nomem(ev);
		return SPF_TEMPERROR;
	}
	fr->rec = rec;

	for (size_t i = 0; i < rec->n_mech; i++) {
		const struct spf_mech *m = &rec->mech[i];
		switch (eval_mech(ev, m, domain, depth)) {
		case M_NOMATCH:
			continue;
		case M_MATCH:
			fr->mech = m->text;
			return qual_result(m->qual);
		case M_TEMP:
			return SPF_TEMPERROR;
		case M_PERM:
			return SPF_PERMERROR;
		}
	}
	if (rec->has_redirect) {
		/* RFC 7208 6.1: used only when no mechanism matched. */
		struct slice name;
		enum mres r = count_term(ev, SLICE_LIT("redirect="));
		if (r == M_NOMATCH)
			r = expand(ev, rec->redirect, SPF_MACRO_DOMAIN, domain, &name);
		if (r == M_TEMP)
			return SPF_TEMPERROR;
		if (r == M_PERM)
			return SPF_PERMERROR;
		res = check_host(ev, name, depth + 1, true, fr);
		if (res == SPF_NONE) {
			reason(ev, "redirect=%s: %s; \"none\" after redirect is permerror (RFC 7208 6.1)",
			       safe(ev, name), ev->reason ? ev->reason : "no SPF record");
			return SPF_PERMERROR;
		}
		return res;
	}
	/* RFC 7208 4.7: no match, no redirect. */
	return SPF_NEUTRAL;
}

/* ------------------------------------------------------------------ */
/* explanations (RFC 7208 6.2)                                         */

static bool explain_text_ok(struct slice t)
{
	for (size_t i = 0; i < t.len; i++) {
		unsigned char c = (unsigned char)t.ptr[i];
		if (c < 0x20 || c > 0x7e)
			return false;
	}
	return true;
}

static struct slice default_explanation(struct spf_eval *ev, const struct spf_request *req,
                                        struct slice d)
{
	struct slice out;
	if (req->default_explanation.len &&
	    expand(ev, req->default_explanation, SPF_MACRO_EXPLAIN, d, &out) == M_NOMATCH &&
	    explain_text_ok(out))
		return out;
	if (expand(ev, SLICE_LIT(SPF_DEFAULT_EXPLANATION), SPF_MACRO_EXPLAIN, d, &out) == M_NOMATCH &&
	    explain_text_ok(out))
		return out;
	return SLICE_LIT("");
}

/* The exp= text of the deciding record, fetched once after the result is
 * known; any problem falls back to the default (RFC 7208 6.2). */
static struct slice explanation(struct spf_eval *ev, const struct spf_request *req,
                                const struct frame *fr)
{
	const char *saved = ev->reason;
	struct slice out = SLICE_NULL;
	if (fr->rec && fr->rec->has_exp) {
		struct slice name, text;
		if (expand(ev, fr->rec->exp, SPF_MACRO_DOMAIN, fr->domain, &name) == M_NOMATCH &&
		    domain_shape_ok(name)) {
			struct dns_answer *ans = lookup(ev, DNS_T_TXT, name);
			if (ans && ans->status == DNS_ST_OK && ans->n == 1 &&
			    explain_text_ok(ans->rr[0].data) &&
			    expand(ev, ans->rr[0].data, SPF_MACRO_EXPLAIN, fr->domain, &text) == M_NOMATCH &&
			    explain_text_ok(text))
				out = text;
		}
	}
	if (!out.ptr)
		out = default_explanation(ev, req, fr->domain);
	ev->reason = saved;
	return out;
}

/* ------------------------------------------------------------------ */
/* entry points                                                        */

static void outcome_init(struct spf_outcome *out)
{
	memset(out, 0, sizeof *out);
	out->result = SPF_NONE;
	out->reason = "";
	out->domain = SLICE_LIT("");
	out->sender = SLICE_LIT("");
	out->client_ip = SLICE_LIT("");
	out->mechanism = SLICE_LIT("");
	out->explanation = SLICE_LIT("");
}

static struct slice strip_one_dot(struct slice d)
{
	if (d.len && d.ptr[d.len - 1] == '.')
		d.len--;
	return d;
}

/* The <domain> of an identity as used for lookups and %{d}/%{o}: ASCII
 * names are kept as given (minus one trailing dot); names with 8-bit bytes
 * are converted to A-labels.  Returns false when the identity is not a
 * usable domain (RFC 7208 4.3: result none). */
static bool identity_domain(struct spf_eval *ev, struct slice in, struct slice *out)
{
	struct slice d = strip_one_dot(in);
	bool ascii = true;
	for (size_t i = 0; i < d.len; i++)
		if ((unsigned char)d.ptr[i] >= 0x80)
			ascii = false;
	if (!ascii) {
		if (!domain_normalize(ev->a, d, &d))
			return false;
	} else {
		for (size_t i = 0; i < d.len; i++)
			if (!ldh_byte(d.ptr[i]))
				return false;
	}
	*out = d;
	return domain_shape_ok(d);
}

static int run(struct dns_resolver *r, struct arena *a, const struct spf_request *req,
               uint64_t deadline_ms, enum spf_identity id, struct spf_outcome *out)
{
	outcome_init(out);
	if (!a || !req) {
		out->result = SPF_PERMERROR;
		out->reason = "internal error: no arena or request";
		return SPF_ERR_ARG;
	}
	struct spf_eval *ev = arena_zalloc(a, sizeof *ev);
	if (!ev) {
		out->result = SPF_TEMPERROR;
		out->reason = "out of memory";
		return SPF_ERR_NOMEM;
	}
	ev->r = r;
	ev->a = a;
	ev->deadline = deadline_ms ? deadline_ms : dns_now_ms() + SPF_DEFAULT_BUDGET_MS;
	out->identity = id;

	if (!spf_addr_parse(slice_trim_ws(req->ip), &ev->ip)) {
		out->result = SPF_PERMERROR;
		out->reason = "client address is not an IP address";
		return SPF_ERR_ARG;
	}
	char cbuf[SPF_ADDR_TEXT_MAX], ibuf[SPF_ADDR_DOTTED_MAX];
	struct slice c = arena_slice_dup(a, slice_make(cbuf, spf_addr_format(&ev->ip, cbuf)));
	struct slice i = arena_slice_dup(a, slice_make(ibuf, spf_addr_format_dotted(&ev->ip, ibuf)));
	char *t = arena_printf(a, "%llu", (unsigned long long)(req->now ? req->now : (uint64_t)time(NULL)));
	if (!c.ptr || !i.ptr || !t) {
		out->result = SPF_TEMPERROR;
		out->reason = "out of memory";
		return SPF_ERR_NOMEM;
	}
	out->client_ip = c;
	ev->v.c = c;
	ev->v.i = i;
	ev->v.t = slice_from_cstr(t);
	ev->v.v = ev->ip.family == 4 ? SLICE_LIT("in-addr") : SLICE_LIT("ip6");
	ev->v.r = req->receiver.len ? req->receiver : SLICE_LIT("unknown");
	ev->v.h = req->helo;
	ev->v.p = SLICE_LIT("unknown");

	/* The identity: <sender> = local "@" domain (RFC 7208 2.3, 2.4, 4.3). */
	struct slice mf = slice_trim_ws(req->mail_from), local, dom;
	if (mf.len >= 2 && mf.ptr[0] == '<' && mf.ptr[mf.len - 1] == '>')
		mf = slice_sub(mf, 1, mf.len - 1);
	if (id == SPF_ID_HELO || mf.len == 0) {
		out->used_helo = id == SPF_ID_MAILFROM;
		local = SLICE_LIT("postmaster");
		dom = slice_trim_ws(req->helo);
	} else {
		size_t at = mf.len;
		while (at > 0 && mf.ptr[at - 1] != '@')
			at--;
		if (at == 0) {
			local = SLICE_LIT("postmaster");
			dom = mf;
		} else {
			local = slice_sub(mf, 0, at - 1);
			dom = slice_sub(mf, at, mf.len);
			if (local.len == 0)
				local = SLICE_LIT("postmaster");
		}
	}
	if (local.len + dom.len > SPF_MAX_IDENTITY_BYTES || req->helo.len > SPF_MAX_IDENTITY_BYTES) {
		out->domain = SLICE_LIT("");
		out->result = SPF_NONE;
		out->reason = "identity longer than the local limit SPF_MAX_IDENTITY_BYTES";
		return SPF_OK;
	}
	out->domain = strip_one_dot(dom);
	struct slice checked;
	if (!identity_domain(ev, dom, &checked)) {
		out->result = SPF_NONE;
		if (dom.len == 0)
			out->reason = id == SPF_ID_HELO ? "no HELO name" : "null sender and no HELO name";
		else
			out->reason = arena_printf(a, "no valid domain to check: %s (RFC 7208 4.3)", safe(ev, dom));
		if (!out->reason) {
			out->reason = "out of memory";
			return SPF_ERR_NOMEM;
		}
		return SPF_OK;
	}
	out->domain = checked;
	struct buf sb;
	buf_init(&sb, a, SPF_MAX_IDENTITY_BYTES + 16);
	buf_add_slice(&sb, local);
	buf_add_byte(&sb, '@');
	buf_add_slice(&sb, checked);
	if (sb.err) {
		out->result = SPF_TEMPERROR;
		out->reason = "out of memory";
		return SPF_ERR_NOMEM;
	}
	ev->v.s = buf_slice(&sb);
	ev->v.l = local;
	ev->v.o = checked;
	out->sender = ev->v.s;

	struct frame fr;
	enum spf_result res = check_host(ev, checked, 0, false, &fr);
	if (ev->nomem) {
		/* A verdict reached with lookups missing is no verdict. */
		res = SPF_TEMPERROR;
		ev->reason = "out of memory";
	}
	out->result = res;
	out->mechanism = fr.mech.ptr ? fr.mech : SLICE_LIT("");
	switch (res) {
	case SPF_PASS:
	case SPF_FAIL:
	case SPF_SOFTFAIL:
	case SPF_NEUTRAL:
		if (res == SPF_FAIL)
			out->explanation = explanation(ev, req, &fr);
		else if (res != SPF_PASS)
			out->explanation = default_explanation(ev, req, fr.domain);
		if (fr.mech.len)
			ev->reason = arena_printf(a, "mechanism %s matched in the record of %s",
			                          safe(ev, fr.mech), safe(ev, fr.domain));
		else
			ev->reason = arena_printf(a, "no mechanism matched in the record of %s, default "
			                             "result neutral (RFC 7208 4.7)",
			                          safe(ev, fr.domain));
		if (!ev->reason)
			ev->nomem = true;
		break;
	default:
		break;
	}
	out->reason = ev->reason ? ev->reason : "";
	out->dns_queries = ev->queries;
	out->dns_terms = ev->terms;
	out->void_lookups = ev->voids;
	return ev->nomem ? SPF_ERR_NOMEM : SPF_OK;
}

int spf_check(struct dns_resolver *r, struct arena *a, const struct spf_request *req,
              uint64_t deadline_ms, struct spf_outcome *out)
{
	return run(r, a, req, deadline_ms, SPF_ID_MAILFROM, out);
}

int spf_check_helo(struct dns_resolver *r, struct arena *a, const struct spf_request *req,
                   uint64_t deadline_ms, struct spf_outcome *out)
{
	return run(r, a, req, deadline_ms, SPF_ID_HELO, out);
}

static const char *const result_words[] = {
	[SPF_NONE] = "none",         [SPF_NEUTRAL] = "neutral",     [SPF_PASS] = "pass",
	[SPF_FAIL] = "fail",         [SPF_SOFTFAIL] = "softfail",   [SPF_TEMPERROR] = "temperror",
	[SPF_PERMERROR] = "permerror",
};

const char *spf_result_str(enum spf_result res)
{
	if ((unsigned)res < sizeof result_words / sizeof result_words[0])
		return result_words[res];
	return "permerror";
}

bool spf_result_parse(struct slice s, enum spf_result *out)
{
	for (size_t i = 0; i < sizeof result_words / sizeof result_words[0]; i++) {
		if (slice_eq_cstr_ci(s, result_words[i])) {
			*out = (enum spf_result)i;
			return true;
		}
	}
	return false;
}
