/* eval.c — one evaluation of one message; see eval.h.
 *
 * The order follows the data dependencies: SPF needs only the envelope;
 * DKIM and ARC need the message; DMARC needs the author domain and the SPF
 * and DKIM results; Authentication-Results comes last.  DNS lookups that do
 * not depend on each other are batched inside each protocol.
 */
#include "eval.h"

#include <string.h>

#include "addr.h"
#include "mailauth_limits.h"
#include "orgdom.h"

void eval_config_defaults(struct eval_config *c)
{
	memset(c, 0, sizeof *c);
	c->authserv_id = "localhost";
	c->dns_budget_ms = DNS_DEFAULT_BUDGET_MS;
}

/* Message facts every front end shows: how the message parsed. */
static void eval_message_facts(const struct eval_input *in, struct fields *out)
{
	fields_set_u64(out, "header_count", in->msg->nhdr);
	fields_set_u64(out, "body_bytes", in->msg->body.len);
}

/* The author domains (From) and, for each, its organizational domain and the
 * DMARC record DNS returns at _dmarc.<domain>. */
static int eval_author(struct dns_resolver *r, struct arena *a, const struct eval_input *in,
                       uint64_t deadline, struct fields *out)
{
	struct addr_from from;
	if (addr_from_domains(a, in->msg, &from) != ADDR_OK)
		return -1;
	fields_set_cstr(out, "from_status", addr_from_kind_str(from.kind));
	fields_set_cstr(out, "from_reason", from.reason ? from.reason : "");

	struct buf doms, orgs, recs, stat;
	buf_init(&doms, a, 65536);
	buf_init(&orgs, a, 65536);
	buf_init(&recs, a, 1024 * 1024);
	buf_init(&stat, a, 65536);
	struct dns_batch *b = from.ndomains ? dns_batch_new(r, a) : NULL;
	struct dns_answer **ans = arena_calloc(a, from.ndomains ? from.ndomains : 1, sizeof *ans);
	if ((from.ndomains && !b) || !ans)
		return -1;
	for (size_t i = 0; i < from.ndomains; i++) {
		struct buf q;
		buf_init(&q, a, DNS_MAX_NAME + 16);
		buf_add_cstr(&q, "_dmarc.");
		buf_add_slice(&q, from.domains[i]);
		ans[i] = q.err ? NULL : dns_batch_add(b, DNS_T_TXT, buf_slice(&q));
	}
	if (b)
		dns_batch_wait(b, deadline);
	for (size_t i = 0; i < from.ndomains; i++) {
		struct slice org;
		enum orgdom_kind k = orgdom_registrable(a, from.domains[i], &org);
		if (i) {
			buf_add_byte(&doms, ' ');
			buf_add_byte(&orgs, ' ');
			buf_add_byte(&stat, ' ');
			buf_add(&recs, " | ", 3);
		}
		buf_add_slice(&doms, from.domains[i]);
		buf_add_slice(&orgs, k == ORGDOM_REGISTRABLE || k == ORGDOM_IS_SUFFIX
		                         ? org : slice_from_cstr(orgdom_kind_str(k)));
		if (!ans[i]) {
			buf_add_cstr(&stat, "error");
			continue;
		}
		buf_add_cstr(&stat, dns_status_str(ans[i]->status));
		for (size_t j = 0; j < ans[i]->n; j++) {
			if (j)
				buf_add(&recs, " | ", 3);
			buf_add_slice(&recs, ans[i]->rr[j].data);
		}
	}
	fields_set(out, "from_domains", buf_slice(&doms), true);
	fields_set(out, "from_org_domains", buf_slice(&orgs), true);
	fields_set(out, "dmarc_record_lookup", buf_slice(&stat), false);
	fields_set(out, "dmarc_record", buf_slice(&recs), true);
	return doms.err || orgs.err || recs.err || stat.err ? -1 : 0;
}

int eval_run(struct dns_resolver *r, struct arena *a, const struct eval_config *cfg,
             const struct eval_input *in, struct fields *out)
{
	uint64_t budget = cfg->dns_budget_ms ? cfg->dns_budget_ms : DNS_DEFAULT_BUDGET_MS;
	uint64_t deadline = dns_now_ms() + budget;
	int rc = 0;
	if (in->msg) {
		eval_message_facts(in, out);
		if (eval_author(r, a, in, deadline, out) != 0)
			rc = -1;
	}
	return out->err ? -1 : rc;
}
