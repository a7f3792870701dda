/* eval_authres.c — the Authentication-Results field (RFC 8601) of one
 * evaluation: spf (MAIL FROM, and HELO when checked on its own), one dkim
 * entry per signature (dkim=none without any), dmarc and arc.
 *
 * Built with ar.h, which quotes values as the grammar needs and never lets
 * message or DNS text break the field; the same value becomes the payload
 * of the ARC-Authentication-Results when we seal (eval_seal.c).
 */
#include <string.h>

#include "ar.h"
#include "eval_state.h"

static void add_spf(struct ar_builder *w, const struct spf_outcome *o, bool helo)
{
	/* The comment carries the reason only for results that are not a
	 * plain verdict (errors), as the reader needs it there. */
	bool err = o->result == SPF_TEMPERROR || o->result == SPF_PERMERROR;
	struct slice comment = err && o->reason ? slice_from_cstr(o->reason) : SLICE_NULL;
	/* smtp.mailfrom carries the domain checked (RFC 8601 2.7.2 allows the
	 * domain part alone); the null sender is reported as smtp.helo. */
	ar_add_spf(w, spf_result_str(o->result), comment, o->domain, helo || o->used_helo);
}

static void add_dkim(struct ar_builder *w, const struct dkim_verify_result *d)
{
	if (!d->nsigs) {
		struct ar_entry e = { "dkim", "none", SLICE_NULL, SLICE_NULL, NULL, 0 };
		ar_add(w, &e);
		return;
	}
	for (size_t i = 0; i < d->nsigs; i++) {
		const struct dkim_sig_result *s = &d->sigs[i];
		const char *res = s->evaluated ? dkim_result_str(s->result) : "neutral";
		struct slice reason = s->reason != DKIM_R_OK ? slice_from_cstr(dkim_reason_str(s->reason))
		                                             : SLICE_NULL;
		ar_add_dkim(w, res, reason, s->d, s->i, s->s, s->a, s->b);
	}
}

void eval_authres(struct eval_state *st, struct fields *out)
{
	struct ar_builder w;
	ar_begin(&w, st->a, st->authserv_id, st->cfg->crlf);
	if (st->spf_done)
		add_spf(&w, &st->spf, false);
	if (st->helo_done)
		add_spf(&w, &st->helo, true);
	if (st->dkim_done)
		add_dkim(&w, &st->dkim);
	if (st->dmarc_done)
		ar_add_dmarc(&w, &st->dmarc);
	if (st->arc_done)
		arc_ar_add(&w, st->a, &st->arc, st->in->have_ip ? st->in->ip : SLICE_NULL);
	struct slice field = ar_finish(&w);
	st->authres_value = ar_value(&w);
	if (field.ptr)
		fields_set(out, "authentication_results", field, true);
	else
		fields_set_cstr(out, "mailauth_error", "Authentication-Results too large or out of memory");
}
