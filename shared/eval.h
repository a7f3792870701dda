/* eval.h — one evaluation of one message: SPF, DKIM, ARC and DMARC in the
 * order their inputs allow, with the results as named fields (fields.h).
 *
 * This is the single place that combines the protocols; the CLI, the Exim
 * glue, the tests and the benchmarks all call it, so every front end gives
 * the same answers for the same input.
 */
#ifndef MAILAUTH_EVAL_H
#define MAILAUTH_EVAL_H

#include <stdbool.h>
#include <stdint.h>

#include "arena.h"
#include "dns.h"
#include "fields.h"
#include "msg.h"
#include "slice.h"

struct eval_config {
	const char *authserv_id;  /* for Authentication-Results; NULL: "localhost" */
	uint64_t dns_budget_ms;   /* 0: DNS_DEFAULT_BUDGET_MS */
};

struct eval_input {
	bool have_ip, have_helo, have_mail_from;
	struct slice ip;          /* client address as text (IPv4 or IPv6) */
	struct slice helo;
	struct slice mail_from;   /* empty with have_mail_from: the null sender */
	const struct msg *msg;    /* NULL: envelope checks only */
	uint64_t now;             /* seconds since the epoch; 0: the current time */
};

void eval_config_defaults(struct eval_config *c);

/* Evaluate and add the result fields to out (fields_init'ed by the caller,
 * same arena as a).  Returns 0, or -1 on an operational failure (out of
 * memory) after setting what it could; verdicts, temperror included, are
 * fields, never a return code. */
int eval_run(struct dns_resolver *r, struct arena *a, const struct eval_config *cfg,
             const struct eval_input *in, struct fields *out);

#endif
