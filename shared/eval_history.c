/* eval_history.c — the DMARC history record of one evaluation (hist.h):
 * what aggregate reports are built from, appended with one write() to the
 * history file.
 *
 * A record is written for every message whose DMARC policy record was
 * found: only a policy record can ask for reports (rua=), and OpenDMARC's
 * importer expects a policy domain in every record.  A failed write never
 * changes a verdict: it is reported in the field history_error, which the
 * Exim glue logs.
 */
#include <stdio.h>
#include <string.h>

#include "eval_state.h"
#include "hist.h"

static enum hist_auth spf_hist(enum spf_result r)
{
	switch (r) {
	case SPF_PASS: return HIST_AUTH_PASS;
	case SPF_FAIL: return HIST_AUTH_FAIL;
	case SPF_SOFTFAIL: return HIST_AUTH_SOFTFAIL;
	case SPF_NEUTRAL: return HIST_AUTH_NEUTRAL;
	case SPF_TEMPERROR: return HIST_AUTH_TEMPERROR;
	case SPF_PERMERROR: return HIST_AUTH_PERMERROR;
	case SPF_NONE: break;
	}
	return HIST_AUTH_NONE;
}

static enum hist_auth dkim_hist(const struct dkim_sig_result *s)
{
	if (!s->evaluated)
		return HIST_AUTH_NEUTRAL;
	switch (s->result) {
	case DKIM_PASS: return HIST_AUTH_PASS;
	case DKIM_FAIL: return HIST_AUTH_FAIL;
	case DKIM_POLICY: return HIST_AUTH_POLICY;
	case DKIM_NEUTRAL: return HIST_AUTH_NEUTRAL;
	case DKIM_TEMPERROR: return HIST_AUTH_TEMPERROR;
	case DKIM_PERMERROR: return HIST_AUTH_PERMERROR;
	case DKIM_NONE: break;
	}
	return HIST_AUTH_NONE;
}

static enum hist_policy policy_hist(enum dmarc_policy p)
{
	switch (p) {
	case DMARC_POLICY_NONE: return HIST_POLICY_NONE;
	case DMARC_POLICY_QUARANTINE: return HIST_POLICY_QUARANTINE;
	case DMARC_POLICY_REJECT: return HIST_POLICY_REJECT;
	case DMARC_POLICY_UNSPECIFIED: break;
	}
	return HIST_POLICY_UNSPECIFIED;
}

static enum hist_result result_hist(enum dmarc_result r)
{
	switch (r) {
	case DMARC_PASS: return HIST_RESULT_PASS;
	case DMARC_FAIL: return HIST_RESULT_FAIL;
	case DMARC_TEMPERROR: return HIST_RESULT_TEMPERROR;
	case DMARC_PERMERROR: return HIST_RESULT_PERMERROR;
	case DMARC_NONE: break;
	}
	return HIST_RESULT_NONE;
}

static bool override_hist(enum dmarc_override o, enum hist_override_type *t)
{
	switch (o) {
	case DMARC_OVERRIDE_LOCAL_POLICY: *t = HIST_OVERRIDE_LOCAL_POLICY; return true;
	case DMARC_OVERRIDE_TRUSTED_FORWARDER: *t = HIST_OVERRIDE_TRUSTED_FORWARDER; return true;
	case DMARC_OVERRIDE_MAILING_LIST: *t = HIST_OVERRIDE_MAILING_LIST; return true;
	case DMARC_OVERRIDE_SAMPLED_OUT: *t = HIST_OVERRIDE_SAMPLED_OUT; return true;
	case DMARC_OVERRIDE_POLICY_TEST_MODE: *t = HIST_OVERRIDE_POLICY_TEST_MODE; return true;
	case DMARC_OVERRIDE_NONE: break;
	}
	return false;
}

/* fo= as published, rebuilt from the parsed flags ("0:d" and the like). */
static struct slice fo_text(struct arena *a, unsigned fo)
{
	struct buf b;
	buf_init(&b, a, 16);
	static const struct { unsigned bit; const char *word; } map[] = {
		{ DMARC_FO_0, "0" }, { DMARC_FO_1, "1" }, { DMARC_FO_D, "d" }, { DMARC_FO_S, "s" },
	};
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
		if (!(fo & map[i].bit))
			continue;
		if (b.len)
			buf_add_byte(&b, ':');
		buf_add_cstr(&b, map[i].word);
	}
	return buf_slice(&b);
}

static struct slice mfrom_domain(const struct eval_input *in)
{
	if (!in->have_mail_from)
		return SLICE_NULL;
	struct slice s = in->mail_from;
	for (size_t i = s.len; i > 0; i--)
		if (s.ptr[i - 1] == '@')
			return slice_sub(s, i, s.len);
	return SLICE_NULL;
}

void eval_history(struct eval_state *st, struct fields *out)
{
	const char *path = st->cfg->history_file ? st->cfg->history_file : st->opts->history_file;
	if (!path || !path[0] || !st->dmarc_done || !st->dmarc.have_rec)
		return;
	const struct dmarc_eval *d = &st->dmarc;
	struct hist_record r;
	hist_record_init(&r);
	r.job = st->in->job;
	r.reporter = st->receiver;
	r.received = (int64_t)st->now;
	r.ipaddr = st->in->have_ip ? st->in->ip : SLICE_NULL;
	r.from_domain = d->author_domain;
	r.mfrom_domain = mfrom_domain(st->in);
	if (st->spf_done) {
		r.spf = spf_hist(st->spf.result);
		r.spf_domain = st->spf.domain;
		r.spf_scope = st->spf.used_helo ? HIST_SPF_HELO : HIST_SPF_MFROM;
	}
	struct hist_dkim *dk = NULL;
	size_t nd = st->dkim.nsigs < HIST_MAX_DKIM ? st->dkim.nsigs : HIST_MAX_DKIM;
	if (nd && !(dk = arena_calloc(st->a, nd, sizeof *dk)))
		goto nomem;
	for (size_t i = 0; i < nd; i++) {
		dk[i].domain = st->dkim.sigs[i].d;
		dk[i].selector = st->dkim.sigs[i].s;
		dk[i].result = dkim_hist(&st->dkim.sigs[i]);
	}
	r.dkim = dk;
	r.n_dkim = nd;

	r.pdomain = d->disc.policy_domain;
	r.result = result_hist(d->result);
	r.rua = d->rec.rua;
	r.n_rua = d->rec.n_rua < HIST_MAX_RUA ? d->rec.n_rua : HIST_MAX_RUA;
	r.pct = d->rec.pct;
	r.adkim_strict = d->rec.adkim == DMARC_ALIGN_STRICT;
	r.aspf_strict = d->rec.aspf == DMARC_ALIGN_STRICT;
	r.p = policy_hist(d->rec.p);
	r.sp = policy_hist(d->rec.sp);
	r.np = policy_hist(d->rec.np);
	r.requested = policy_hist(d->policy);
	r.testing = d->testing;
	r.discovery = d->mode == DMARC_MODE_RFC7489 ? HIST_DISCOVERY_PSL : HIST_DISCOVERY_TREEWALK;
	r.fo = fo_text(st->a, d->rec.fo);
	r.ri = d->mode == DMARC_MODE_RFC7489 ? d->rec.ri : 0;
	r.align_dkim = d->dkim_aligned;
	r.align_spf = d->spf_aligned;

	r.arc = st->arc.state == ARC_PASS ? HIST_AUTH_PASS
	      : st->arc.state == ARC_FAIL ? HIST_AUTH_FAIL : HIST_AUTH_NONE;
	const struct arc_chain *ch = st->arc.chain;
	if (ch && ch->status == ARC_CHAIN_OK && ch->n) {
		size_t na = ch->n < HIST_MAX_ARC ? ch->n : HIST_MAX_ARC;
		struct hist_arc_set *as = arena_calloc(st->a, na, sizeof *as);
		if (!as)
			goto nomem;
		for (size_t i = 0; i < na; i++) {
			as[i].instance = ch->set[i].instance;
			as[i].domain = ch->set[i].as.d;
			as[i].selector = ch->set[i].as.s;
		}
		r.arc_sets = as;
		r.n_arc_sets = na;
	}
	r.arc_override = d->override == DMARC_OVERRIDE_LOCAL_POLICY;
	r.disposition = hist_disposition_for(r.result, r.requested, policy_hist(d->disposition));
	struct hist_override *ov = arena_calloc(st->a, 1, sizeof *ov);
	if (!ov)
		goto nomem;
	if (override_hist(d->override, &ov->type)) {
		ov->comment = slice_from_cstr(d->override_comment ? d->override_comment : "");
		r.overrides = ov;
		r.n_overrides = 1;
	}
	struct slice subject = msg_first_value(st->a, st->in->msg, SLICE_LIT("Subject"));
	r.is_report = subject.ptr && hist_subject_is_report(subject);

	char err[512] = "";
	int rc = hist_append_path(path, &r, st->a, err, sizeof err);
	if (rc == HIST_OK)
		return;
	if (rc == HIST_E_TOO_BIG)
		snprintf(err, sizeof err, "history record larger than HIST_MAX_RECORD_BYTES, not written");
	else if (rc == HIST_E_NOMEM)
		snprintf(err, sizeof err, "out of memory");
	fields_set(out, "history_error", slice_from_cstr(err), true);
	return;
nomem:
	fields_set_cstr(out, "history_error", "out of memory");
}
