/* eval.c — one evaluation of one message; see eval.h.
 *
 * The order follows the data dependencies: SPF needs only the envelope;
 * DKIM and ARC need the message and share one DNS batch (every key is
 * asked for at once) and one pass over the body; DMARC needs the author
 * domain and the SPF and DKIM results (and ARC for the trusted-sealer
 * override); Authentication-Results, the ARC seal and the history record
 * come last, all from the same results (eval_state.h).
 *
 * A protocol whose DNS failed yields temperror in its own fields; nothing
 * here turns a missing result into a fail (DESIGN.md, lesson 4).
 */
#include "eval.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ar.h"
#include "eval_state.h"
#include "mailauth_limits.h"
#include "orgdom.h"

void eval_config_defaults(struct eval_config *c)
{
	memset(c, 0, sizeof *c);
	c->authserv_id = "localhost";
}

/* The deadline of a stage that starts now: the evaluation's, but never less
 * than EVAL_STAGE_MIN_BUDGET_MS from now.  Stages run one after the other;
 * without this floor one name that never answers (an SPF include, an
 * unrelated signer's key) would use up the whole budget and turn every
 * later, independent lookup into a temperror (a passing, aligned DKIM
 * signature would then be deferred on every retry). */
static uint64_t stage_deadline(const struct eval_state *st)
{
	uint64_t floor = dns_now_ms() + EVAL_STAGE_MIN_BUDGET_MS;
	return st->deadline > floor ? st->deadline : floor;
}

/* ------------------------------------------------------------- SPF -- */

static void eval_spf(struct eval_state *st, struct dns_resolver *r, struct fields *out)
{
	const struct eval_input *in = st->in;
	if (!in->have_ip || !in->ip.len) {
		/* Local submission (no SMTP client): SPF has nothing to check.
		 * "none" is RFC 7208's word for "no SPF verdict"; the reason
		 * says why, and DMARC then rests on DKIM alone. */
		fields_set_cstr(out, "spf_result", "none");
		fields_set_cstr(out, "spf_header_comment", "SPF not checked: no client IP address");
		fields_set_cstr(out, "spf_reason", "no client IP address (local submission)");
		return;
	}
	struct spf_request *q = &st->spf_req;
	memset(q, 0, sizeof *q);
	q->ip = in->ip;
	q->helo = in->have_helo ? in->helo : SLICE_NULL;
	q->mail_from = in->have_mail_from ? in->mail_from : SLICE_NULL;
	q->receiver = st->receiver;
	q->now = st->now;
	/* spf_check() always fills the outcome; an error return (bad client
	 * address, no memory) comes with a permerror/temperror result. */
	spf_check(r, st->a, q, st->deadline, &st->spf);
	st->spf_done = true;

	struct spf_fields f;
	if (spf_fields_make(st->a, q, &st->spf, &f) == SPF_OK) {
		fields_set(out, "spf_result", slice_from_cstr(f.spf_result), false);
		fields_set(out, "spf_received", slice_from_cstr(f.spf_received), true);
		fields_set(out, "spf_header_comment", slice_from_cstr(f.spf_header_comment), true);
		fields_set(out, "spf_smtp_comment", slice_from_cstr(f.spf_smtp_comment), true);
		fields_set(out, "spf_used_domain", slice_from_cstr(f.spf_used_domain), true);
	} else {
		fields_set_cstr(out, "spf_result", spf_result_str(st->spf.result));
	}
	fields_set(out, "spf_mechanism", st->spf.mechanism, true);
	/* The reason names the sender's domains and quotes their records. */
	fields_set(out, "spf_reason", slice_from_cstr(st->spf.reason), true);

	/* The HELO identity on its own (RFC 7208 2.3), for Authentication-
	 * Results' smtp.helo; with the null sender the MAIL FROM check above
	 * already was the HELO check. */
	if (in->have_helo && in->helo.len && !st->spf.used_helo) {
		spf_check_helo(r, st->a, q, st->deadline, &st->helo);
		st->helo_done = true;
		fields_set_cstr(out, "spf_helo_result", spf_result_str(st->helo.result));
		fields_set(out, "spf_helo_domain", st->helo.domain, true);
	}
}

/* ------------------------------------------------------ DKIM and ARC -- */

static void dkim_fields(const struct eval_state *st, struct fields *out)
{
	const struct dkim_verify_result *d = &st->dkim;
	fields_set_cstr(out, "dkim_verify_status", dkim_status_str(d->status));
	fields_set_cstr(out, "dkim_verify_reason", dkim_reason_str(d->reason));
	fields_set(out, "dkim_signers", d->signers, true);
	fields_set_u64(out, "dkim_signatures", d->nsigs);
	/* One "d=... s=... result (reason)" per signature, top first. */
	struct buf b;
	buf_init(&b, st->a, 64 * 1024);
	for (size_t i = 0; i < d->nsigs; i++) {
		const struct dkim_sig_result *s = &d->sigs[i];
		if (i)
			buf_add_cstr(&b, "; ");
		buf_add_cstr(&b, "d=");
		buf_add_slice(&b, s->d);
		buf_add_cstr(&b, " s=");
		buf_add_slice(&b, s->s);
		buf_add_byte(&b, ' ');
		buf_add_cstr(&b, s->evaluated ? dkim_result_str(s->result) : "neutral");
		if (s->reason != DKIM_R_OK) {
			buf_add_cstr(&b, " (");
			buf_add_cstr(&b, dkim_reason_str(s->reason));
			buf_add_byte(&b, ')');
		}
	}
	fields_set(out, "dkim_results", buf_slice(&b), true);
}

/* DKIM and ARC over one DNS batch and one read of the body. */
static int eval_signatures(struct eval_state *st, struct dns_resolver *r, struct fields *out)
{
	const struct msg *m = st->in->msg;
	struct dns_batch *batch = dns_batch_new(r, st->a);
	if (!batch)
		return -1;
	uint64_t deadline = stage_deadline(st);
	struct dkim_verify_opts dopt = { 0 };
	dopt.now = st->now;
	dopt.deadline_ms = deadline;
	dopt.max_sigs = st->opts->dkim_max_signatures;
	dopt.cache = st->cfg->key_cache;
	dopt.batch = batch;
	struct arc_verify_opts aopt = { 0 };
	aopt.now = st->now;
	aopt.deadline_ms = deadline;
	aopt.cache = st->cfg->key_cache;
	aopt.batch = batch;
	aopt.max_verify = st->opts->arc_max_verify;

	struct dkim_verifier *dv = dkim_verifier_new(st->a, r, m, &dopt);
	struct arc_verifier *av = arc_verifier_new(st->a, r, m, &aopt);
	if (!dv || !av)
		return -1;
	/* Both hash the body as it streams; chunks keep the working set in
	 * cache for large messages. */
	const size_t chunk = 64 * 1024;
	for (size_t off = 0; off < m->body.len; off += chunk) {
		size_t n = m->body.len - off < chunk ? m->body.len - off : chunk;
		if (dkim_verifier_body(dv, m->body.ptr + off, n) != DKIM_OK ||
		    arc_verifier_body(av, m->body.ptr + off, n) != ARC_OK)
			return -1;
	}
	dns_batch_wait(batch, deadline);
	if (dkim_verifier_finish(dv, &st->dkim) != DKIM_OK)
		return -1;
	st->dkim_done = true;
	dkim_fields(st, out);
	if (arc_verifier_finish(av, &st->arc) != ARC_OK)
		return -1;
	st->arc_done = true;
	arc_result_fields(&st->arc, out);
	return 0;
}

/* ------------------------------------------------------------ DMARC -- */

static enum dmarc_auth spf_auth(enum spf_result r)
{
	switch (r) {
	case SPF_PASS: return DMARC_AUTH_PASS;
	case SPF_FAIL:
	case SPF_SOFTFAIL:
	case SPF_NEUTRAL: return DMARC_AUTH_FAIL;
	case SPF_TEMPERROR: return DMARC_AUTH_TEMPERROR;
	case SPF_PERMERROR: return DMARC_AUTH_PERMERROR;
	case SPF_NONE: break;
	}
	return DMARC_AUTH_NONE;
}

static enum dmarc_auth dkim_auth(const struct dkim_sig_result *s)
{
	if (!s->evaluated)
		return DMARC_AUTH_NONE;
	switch (s->result) {
	case DKIM_PASS: return DMARC_AUTH_PASS;
	case DKIM_TEMPERROR: return DMARC_AUTH_TEMPERROR;
	case DKIM_PERMERROR: return DMARC_AUTH_PERMERROR;
	case DKIM_FAIL:
	case DKIM_POLICY:
	case DKIM_NEUTRAL: return DMARC_AUTH_FAIL;
	case DKIM_NONE: break;
	}
	return DMARC_AUTH_NONE;
}

/* Split a colon-separated list (arc_domains) into slices; empty elements
 * are left out. */
static size_t split_colons(struct arena *a, struct slice s, struct slice **out)
{
	size_t n = 0, cap = 1;
	for (size_t i = 0; i < s.len; i++)
		cap += s.ptr[i] == ':';
	*out = arena_calloc(a, cap, sizeof **out);
	if (!*out)
		return 0;
	const char *p = s.ptr, *end = slice_end(s);
	while (p && p < end) {
		const char *c = memchr(p, ':', (size_t)(end - p));
		const char *e = c ? c : end;
		if (e > p)
			(*out)[n++] = slice_make(p, (size_t)(e - p));
		p = c ? c + 1 : NULL;
	}
	return n;
}

static int eval_dmarc(struct eval_state *st, struct dns_resolver *r, struct fields *out)
{
	const struct config *o = st->opts;
	struct dmarc_config dc;
	dmarc_config_init(&dc);
	dc.mode = o->dmarc_mode == CONFIG_DMARC_RFC7489 ? DMARC_MODE_RFC7489 : DMARC_MODE_RFC9989;
	dc.multi_from = o->dmarc_multiple_from == CONFIG_MULTIPLE_FROM_REJECT ? DMARC_MULTI_REJECT
	                                                                       : DMARC_MULTI_STRICTEST;
	dc.trusted_arc_sealers = o->trusted_arc_sealers.item;
	dc.n_trusted_arc_sealers = o->trusted_arc_sealers.n;
	dc.mailing_lists = o->mailing_lists.item;
	dc.n_mailing_lists = o->mailing_lists.n;
	struct dmarc_net *nets = NULL;
	if (o->trusted_forwarders.n) {
		nets = arena_calloc(st->a, o->trusted_forwarders.n, sizeof *nets);
		if (!nets)
			return -1;
		for (size_t i = 0; i < o->trusted_forwarders.n; i++) {
			const struct config_net *cn = &o->trusted_forwarders.net[i];
			nets[i].family = cn->family;
			memcpy(nets[i].addr, cn->addr, sizeof nets[i].addr);
			nets[i].prefix = cn->prefix;
		}
		dc.forwarder_nets = nets;
		dc.n_forwarder_nets = o->trusted_forwarders.n;
	}

	struct dmarc_input di;
	memset(&di, 0, sizeof di);
	dmarc_input_set_from(&di, &st->from);
	if (st->spf_done) {
		di.spf.result = spf_auth(st->spf.result);
		di.spf.domain = st->spf.domain;
		di.spf.is_helo = st->spf.used_helo;
	} else {
		di.spf.result = DMARC_AUTH_NONE;
	}
	struct dmarc_dkim_input *dk = NULL;
	if (st->dkim.nsigs) {
		dk = arena_calloc(st->a, st->dkim.nsigs, sizeof *dk);
		if (!dk)
			return -1;
		for (size_t i = 0; i < st->dkim.nsigs; i++) {
			dk[i].result = dkim_auth(&st->dkim.sigs[i]);
			dk[i].d = st->dkim.sigs[i].d;
			dk[i].selector = st->dkim.sigs[i].s;
		}
	}
	di.dkim = dk;
	di.n_dkim = st->dkim.nsigs;
	struct slice *sealers = NULL;
	di.arc.pass = st->arc.state == ARC_PASS;
	di.arc.n_sealers = split_colons(st->a, st->arc.domains, &sealers);
	di.arc.sealers = sealers;
	di.client_ip = st->in->have_ip ? st->in->ip : SLICE_NULL;
	di.list_id = msg_first_value(st->a, st->in->msg, SLICE_LIT("List-Id"));

	if (dmarc_evaluate(r, st->a, &dc, &di, stage_deadline(st), &st->dmarc) != DMARC_OK)
		return -1;
	st->dmarc_done = true;
	dmarc_fields(&st->dmarc, out);
	return 0;
}

/* ------------------------------------------------------------ facts -- */

static int eval_from(struct eval_state *st, struct fields *out)
{
	const struct msg *m = st->in->msg;
	fields_set_u64(out, "header_count", m->nhdr);
	fields_set_u64(out, "body_bytes", m->body.len);
	if (addr_from_domains(st->a, m, &st->from) != ADDR_OK)
		return -1;
	st->from_done = true;
	fields_set_cstr(out, "from_status", addr_from_kind_str(st->from.kind));
	fields_set_cstr(out, "from_reason", st->from.reason ? st->from.reason : "");
	/* The author domains and, for each, its organizational domain by the
	 * public suffix list (what RFC 7489 mode uses; shown for diagnosis). */
	struct buf b, o;
	buf_init(&b, st->a, 64 * 1024);
	buf_init(&o, st->a, 64 * 1024);
	for (size_t i = 0; i < st->from.ndomains; i++) {
		if (i) {
			buf_add_byte(&b, ' ');
			buf_add_byte(&o, ' ');
		}
		buf_add_slice(&b, st->from.domains[i]);
		struct slice org;
		enum orgdom_kind k = orgdom_registrable(st->a, st->from.domains[i], &org);
		buf_add_slice(&o, k == ORGDOM_REGISTRABLE || k == ORGDOM_IS_SUFFIX
		                      ? org : slice_from_cstr(orgdom_kind_str(k)));
	}
	fields_set(out, "from_domains", buf_slice(&b), true);
	fields_set(out, "from_org_domains", buf_slice(&o), true);
	return b.err || o.err ? -1 : 0;
}

/* A header section over the limits: only its beginning was parsed, and a
 * From field (a second one, or the only one) may be in the rest.  No
 * verdict is made from part of a message: DMARC says reject with the
 * reason, and the Authentication-Results field says permerror. */
static void eval_truncated(struct eval_state *st, struct fields *out)
{
	static const char why[] = "header section over MSG_MAX_HEADERS or MSG_MAX_HEADER_BYTES: "
	                          "not evaluated";
	fields_set_u64(out, "header_count", st->in->msg->nhdr);
	fields_set_u64(out, "body_bytes", st->in->msg->body.len);
	fields_set_cstr(out, "message_error", why);
	fields_set_cstr(out, "dkim_verify_status", "invalid");
	fields_set_cstr(out, "dkim_verify_reason", "signature_syntax");
	fields_set_cstr(out, "arc_state", "fail");
	fields_set_cstr(out, "arc_state_reason", why);
	fields_set_cstr(out, "dmarc_status", "reject");
	fields_set_cstr(out, "dmarc_status_text", "Reject: the header section is too large to evaluate");
	fields_set_cstr(out, "dmarc_result", "permerror");
	fields_set_cstr(out, "dmarc_reason", why);
	struct ar_builder w;
	ar_begin(&w, st->a, st->authserv_id, st->cfg->crlf);
	if (st->spf_done)
		ar_add_spf(&w, spf_result_str(st->spf.result), SLICE_NULL, st->spf.domain,
		           st->spf.used_helo);
	struct ar_entry e = { "dmarc", "permerror", SLICE_LIT("header section too large"),
	                      SLICE_NULL, NULL, 0 };
	ar_add(&w, &e);
	struct slice field = ar_finish(&w);
	if (field.ptr)
		fields_set(out, "authentication_results", field, true);
}

/* -------------------------------------------------------------- run -- */

int eval_run(struct dns_resolver *r, struct arena *a, const struct eval_config *cfg,
             const struct eval_input *in, struct fields *out)
{
	struct config *own_opts = NULL;
	struct eval_state st;
	memset(&st, 0, sizeof st);
	st.a = a;
	st.cfg = cfg;
	st.in = in;
	st.opts = cfg->opts;
	if (!st.opts) {
		own_opts = config_defaults();
		if (!own_opts)
			return -1;
		st.opts = own_opts;
	}
	st.authserv_id = slice_from_cstr(cfg->authserv_id ? cfg->authserv_id : "localhost");
	st.receiver = cfg->receiver ? slice_from_cstr(cfg->receiver) : st.authserv_id;
	st.now = in->now ? in->now : (uint64_t)time(NULL);
	uint64_t budget = cfg->dns_budget_ms ? cfg->dns_budget_ms : st.opts->dns_timeout_ms;
	st.deadline = dns_now_ms() + (budget ? budget : DNS_DEFAULT_BUDGET_MS);

	int rc = 0;
	eval_spf(&st, r, out);
	if (in->msg && in->msg_truncated) {
		eval_truncated(&st, out);
	} else if (in->msg) {
		if (eval_from(&st, out) != 0 || eval_signatures(&st, r, out) != 0 ||
		    eval_dmarc(&st, r, out) != 0)
			rc = -1;
		eval_authres(&st, out);
		if (cfg->seal)
			eval_seal(&st, out);
		if (cfg->write_history && !cfg->at_delivery && rc == 0)
			eval_history(&st, out);
		if (!cfg->at_delivery && rc == 0)
			eval_failure(&st, out);
	}
	config_free(own_opts);
	return out->err ? -1 : rc;
}
