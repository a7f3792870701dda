/* eval_state.h — what one evaluation keeps between its stages (private to
 * eval*.c): each protocol's outcome, so the Authentication-Results field,
 * the ARC seal and the history record are all built from the same results.
 *
 * Ownership: everything points into the evaluation's arena or the input
 * message; the state lives on eval_run()'s stack.
 */
#ifndef MAILAUTH_EVAL_STATE_H
#define MAILAUTH_EVAL_STATE_H

#include <stdbool.h>

#include "addr.h"
#include "arc.h"
#include "dkim.h"
#include "dmarc.h"
#include "eval.h"
#include "spf.h"

struct eval_state {
	struct arena *a;
	const struct eval_config *cfg;
	const struct config *opts;     /* never NULL */
	const struct eval_input *in;
	struct slice authserv_id, receiver;
	uint64_t now, deadline;

	bool spf_done;                 /* SPF evaluated (there was a client IP) */
	struct spf_request spf_req;
	struct spf_outcome spf;
	bool helo_done;                /* a separate HELO check (non-null sender) */
	struct spf_outcome helo;

	bool dkim_done;
	struct dkim_verify_result dkim;
	bool arc_done;
	struct arc_result arc;
	bool from_done;
	struct addr_from from;
	bool dmarc_done;
	struct dmarc_eval dmarc;
	struct slice authres_value;    /* the AR field's value, for the AAR */
};

/* eval_authres.c: the Authentication-Results field of this evaluation
 * (field authentication_results); sets st->authres_value. */
void eval_authres(struct eval_state *st, struct fields *out);

/* eval_seal.c: the next ARC set (field arc_seal, or arc_seal_error). */
void eval_seal(struct eval_state *st, struct fields *out);

/* eval_history.c: append the DMARC history record (history_error on
 * failure). */
void eval_history(struct eval_state *st, struct fields *out);

/* eval_failure.c: with the option failure_reports, write the DMARC failure
 * report spool file of a message that qualifies (failure_report.h);
 * failure_report_error on failure.  Never changes a verdict. */
void eval_failure(struct eval_state *st, struct fields *out);

#endif
