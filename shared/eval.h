/* eval.h — one evaluation of one message: SPF, DKIM, ARC and DMARC in the
 * order their inputs allow, with the results as named fields (fields.h),
 * the Authentication-Results field, and optionally the next ARC set and a
 * DMARC history record.
 *
 * This is the single place that combines the protocols; the CLI, the Exim
 * glue, the tests and the benchmarks all call it, so every front end gives
 * the same answers for the same input.
 *
 * Fields set (the administrator-facing contract, README "Fields"):
 *   envelope   spf_result spf_received spf_header_comment spf_smtp_comment
 *              spf_used_domain spf_mechanism spf_reason spf_helo_result
 *              spf_helo_domain
 *   message    header_count body_bytes from_status from_reason from_domains
 *              dkim_verify_status dkim_verify_reason dkim_signers
 *              dkim_signatures dkim_results
 *              arc_state arc_state_reason arc_domains arc_oldest_pass
 *              dmarc_status dmarc_status_text dmarc_used_domain
 *              dmarc_domain_policy and the dmarc_* details (dmarc.h)
 *              authentication_results
 *              arc_seal (when eval_config.seal), history_error (when the
 *              history record could not be written), failure_report_error
 *              (when a DMARC failure report could not be queued)
 */
#ifndef MAILAUTH_EVAL_H
#define MAILAUTH_EVAL_H

#include <stdbool.h>
#include <stdint.h>

#include "arena.h"
#include "config.h"
#include "dns.h"
#include "fields.h"
#include "msg.h"
#include "slice.h"

struct dkim_key_cache;

struct eval_config {
	const char *authserv_id;  /* for Authentication-Results; NULL: "localhost" */
	/* Our host name: SPF's %{r}, Received-SPF, the history "reporter".
	 * NULL: authserv_id. */
	const char *receiver;
	uint64_t dns_budget_ms;   /* 0: the options' dns_timeout_ms */
	const struct config *opts;/* the module's options; NULL: config_defaults() */
	struct dkim_key_cache *key_cache; /* optional, per process (DKIM and ARC keys) */
	/* Build the next ARC set (field arc_seal) with the options' arc_selector,
	 * arc_domain and arc_key.  Without them arc_seal is empty and
	 * arc_seal_error says why. */
	bool seal;
	/* Sealing a message that may have changed since it was received (Exim:
	 * in the smtp transport): the Authentication-Results value written when
	 * it was received ("authserv-id; method=result ..."), carried in the
	 * ARC-Authentication-Results instead of this evaluation's own (RFC 8617
	 * 4.1.1: the AAR records the results of the message as received).
	 * Empty: this evaluation's. */
	struct slice seal_authres;
	/* Append a DMARC history record for a message whose DMARC policy
	 * record was found, to history_file (NULL: the options' history_file;
	 * none: nothing written). */
	bool write_history;
	const char *history_file;
	bool crlf;                /* line ends of generated header fields; false: LF (Exim) */
	/* The message is evaluated again at delivery (Exim: in a transport, to
	 * seal it): whatever is recorded once per message (history, failure
	 * reports) was recorded at reception and is not written again. */
	bool at_delivery;
};

struct eval_input {
	bool have_ip, have_helo, have_mail_from;
	struct slice ip;          /* client address as text (IPv4 or IPv6) */
	struct slice helo;
	struct slice mail_from;   /* empty with have_mail_from: the null sender */
	const struct msg *msg;    /* NULL: envelope checks only */
	/* The header section could not be read whole (over MSG_MAX_HEADERS or
	 * MSG_MAX_HEADER_BYTES): msg holds only its beginning.  A From field
	 * may hide in the rest, so no DKIM, ARC or DMARC verdict is given;
	 * see eval_run(). */
	bool msg_truncated;
	struct slice job;         /* message id, for the history record */
	uint64_t now;             /* seconds since the epoch; 0: the current time */
};

void eval_config_defaults(struct eval_config *c);

/* Evaluate and add the result fields to out (fields_init'ed by the caller,
 * same arena as a).  A message with msg_truncated gets dmarc_status reject
 * (dmarc_result permerror), dkim_verify_status invalid and arc_state fail,
 * with the reason in message_error: its author cannot be known, and a
 * sender must not be able to push a From field past our limits.  Returns 0, or -1 on an operational failure (out of
 * memory) after setting what it could; verdicts, temperror included, are
 * fields, never a return code. */
int eval_run(struct dns_resolver *r, struct arena *a, const struct eval_config *cfg,
             const struct eval_input *in, struct fields *out);

#endif
