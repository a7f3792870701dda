/* failure_report.h — DMARC failure reports (ruf=; RFC 9991, in the
 * Authentication Failure format of RFC 6591 over ARF, RFC 5965).
 *
 * Two halves meet in a spool directory:
 *   - at verify time (eval_failure.c) one spool file is written per
 *     message that qualifies: the report's fields and the message's header
 *     section, already redacted (RFC 6590), never the body;
 *   - mailauth-report --failure-reports reads the files, rate-limits per
 *     policy domain, checks destinations and mails one RFC 6591 report per
 *     ruf= address.
 * This module holds what both need and what tests check on their own: the
 * fo= decision, redaction, the spool record (format and parser), the
 * report message, the loop check and the rate limiter.
 *
 * Spool record: "Name: value" lines (printable ASCII, one line each),
 * a blank line, then the header section with LF line ends:
 *     Version: 1
 *     Policy-Domain: example.com
 *     Reported-Domain: mail.example.com
 *     Ruf: mailto:ruf@example.com        (one line per URI)
 *     Source-IP: 192.0.2.1
 *     Original-Mail-From: <redacted@example.com>
 *     Arrival-Date: 1700000000           (seconds since the epoch)
 *     Authentication-Results: mx.example; dmarc=fail ...
 *     Identity-Alignment: none
 *     Delivery-Result: reject
 *     Headers-Truncated: no
 *
 * Ownership: results live in the arena given or point into the caller's
 * input; output is appended to the caller's buf.
 */
#ifndef MAILAUTH_FAILURE_REPORT_H
#define MAILAUTH_FAILURE_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "mailauth_limits.h"
#include "msg.h"
#include "slice.h"

/* ------------------------------------------------------------------ */
/* fo= (RFC 9991 / RFC 7489 6.3)                                        */

struct failure_auth {
	bool spf_aligned_pass;  /* SPF passed for an aligned identity */
	bool dkim_aligned_pass; /* some DKIM signature passed, aligned */
	bool spf_failed;        /* SPF fail or softfail, aligned or not */
	bool dkim_failed;       /* some signature failed to verify (fail, permerror) */
};

/* Does the fo= bit set (DMARC_FO_*) ask for a report?  0: no mechanism
 * produced an aligned pass; 1: some mechanism did not; d: a DKIM signature
 * failed, whatever its alignment; s: SPF failed, whatever its alignment.
 * An empty set counts as fo=0 (the default). */
bool failure_fo_wants(unsigned fo, const struct failure_auth *f);

/* ------------------------------------------------------------------ */
/* Redaction (RFC 6590)                                                */

/* The word that replaces a local part. */
#define FAILURE_REDACTED "redacted"

/* True for the fields whose addresses are redacted: From, To, Cc, Bcc,
 * Sender, Reply-To, Return-Path, Resent-From/To/Cc/Sender, Delivered-To,
 * X-Original-To, Envelope-To, Received, Disposition-Notification-To. */
bool failure_field_has_addresses(struct slice name);

/* Append value with the local part of every address (the text before each
 * '@', back to a blank, '<', ',', ':', ';', '(' or ')'; a quoted local
 * part back to its opening quote) replaced by FAILURE_REDACTED.  Text
 * without '@' is copied unchanged. */
void failure_redact_addresses(struct buf *out, struct slice value);

/* Append the header section of m: well-formed fields only, each line
 * ending in LF (CR before LF dropped), in message order, with
 * failure_redact_addresses() applied to the fields
 * failure_field_has_addresses() names when redact is true.  Stops before
 * the first field that would take out past max bytes; returns false then
 * (the section is truncated), true when everything fit. */
bool failure_headers_write(struct buf *out, const struct msg *m, bool redact, size_t max);

/* ------------------------------------------------------------------ */
/* Spool record                                                        */

struct failure_record {
	struct slice policy_domain;   /* where the DMARC record was found */
	struct slice reported_domain; /* the author domain (RFC 6591 Reported-Domain) */
	struct slice ruf[DMARC_MAX_REPORT_URIS];
	size_t n_ruf;
	struct slice source_ip;
	struct slice mail_from;       /* with its angle brackets: "<a@b>", "<>" */
	int64_t arrival;              /* seconds since the epoch */
	struct slice authres;         /* the Authentication-Results value */
	struct slice alignment;       /* "dkim, spf", "dkim", "spf" or "none" */
	struct slice delivery_result; /* RFC 6591 3.2: delivered, spam, policy, reject, other */
	bool truncated;               /* the header section was cut */
	struct slice headers;         /* the (redacted) header section, LF line ends */
};

/* Append the spool form of r.  Field values are made printable ASCII
 * (other bytes become '?') and cut at FAILURE_MAX_FIELD_BYTES. */
void failure_record_format(const struct failure_record *r, struct buf *out);

enum failure_parse_status {
	FAILURE_PARSE_OK,
	FAILURE_PARSE_BAD,   /* not a spool record this module wrote; *why says why */
};

/* Parse a spool record; slices point into text.  Unknown names are
 * ignored; Version 1, Policy-Domain, Reported-Domain and at least one Ruf
 * are required. */
enum failure_parse_status failure_record_parse(struct slice text, struct failure_record *out,
                                               const char **why);

/* Is the message whose header section this is itself a report (an RFC
 * 9990 aggregate report by its Subject, or any multipart/report: ARF,
 * DSN, MDN)?  Reports are never reported about (no loops). */
bool failure_headers_are_report(struct arena *a, struct slice headers);
bool failure_msg_is_report(struct arena *a, const struct msg *m);

/* ------------------------------------------------------------------ */
/* The report message                                                  */

struct failure_mail {
	const struct failure_record *rec;
	const char *from;        /* our report address (report_email) */
	const char *org_name;    /* display name, may be NULL */
	const char *receiver;    /* our domain, for Message-ID and the text */
	const char *user_agent;  /* "exim-mailauth/1.2" */
	struct slice to;         /* one address, checked by report_uri_parse() */
	struct slice id;         /* unique token for Message-ID and the boundary */
	int64_t date;            /* Date: */
};

/* Append the report: multipart/report; report-type=feedback-report with a
 * text/plain part, a message/feedback-report part (Feedback-Type:
 * auth-failure, Version: 1, User-Agent, Original-Mail-From, Arrival-Date,
 * Source-IP, Reported-Domain, Authentication-Results, Identity-Alignment,
 * Auth-Failure: dmarc, Delivery-Result) and a text/rfc822-headers part.
 * The boundary is chosen so that it occurs nowhere in the content.  LF
 * line ends (for "sendmail -t"). */
void failure_mail_build(const struct failure_mail *m, struct buf *out);

/* ------------------------------------------------------------------ */
/* Rate limit: at most N reports per policy domain and clock hour.       */

struct failure_rate_entry {
	struct slice domain;
	int64_t hour;       /* epoch seconds / 3600 */
	unsigned count;
};

struct failure_rate {
	struct arena *a;
	struct failure_rate_entry *e;
	size_t n, cap;
};

void failure_rate_init(struct failure_rate *r, struct arena *a);

/* State text: one "domain hour count" line per domain.  Returns false on
 * a syntax error or out of memory (then the state is empty: a damaged
 * state file loses at most one hour of limiting). */
bool failure_rate_parse(struct failure_rate *r, struct slice text);

/* May one more report about domain go out at now with limit per hour?
 * When yes, it is counted.  False also when FAILURE_MAX_RATE_DOMAINS are
 * tracked this hour already or memory ran out (fail closed). */
bool failure_rate_take(struct failure_rate *r, struct slice domain, int64_t now, unsigned limit);

/* Undo one failure_rate_take() of the same hour (the report could not be
 * sent and waits for the next run). */
void failure_rate_give_back(struct failure_rate *r, struct slice domain, int64_t now);

/* Append the state, leaving out hours before now's. */
void failure_rate_format(const struct failure_rate *r, int64_t now, struct buf *out);

#endif
