/* failure.h — mailauth-report --failure-reports: send the DMARC failure
 * reports (RFC 9991, RFC 6591) that exim-mailauth spooled at verify time
 * (shared/failure_report.h).
 *
 * One run reads every spool file (names "fr-*"; dot names are skipped) in
 * the spool directory, oldest name first, and for each:
 *   - drops it when it is not a spool record, describes a message that
 *     was itself a report, is older than FAILURE_MAX_AGE, or its policy
 *     domain already had failure_report_rate reports this clock hour
 *     (state in DIR/.rate);
 *   - checks every ruf= URI like an rua= one (mailto only, our own address
 *     refused, external hosts must authorize the policy domain through
 *     <policy-domain>._report._dmarc.<host> TXT, "!size" limits);
 *   - submits one RFC 6591 message per destination through report_sendmail
 *     (with --out-dir also writes it there as NAME.eml);
 *   - deletes the file, or keeps it for the next run when no destination
 *     could be reached now (DNS trouble, submission failure).
 * --dry-run sends nothing, deletes nothing and keeps the rate state.
 * DIR/.lock keeps two runs apart.
 *
 * Ownership: everything is freed before failure_reports_run() returns.
 */
#ifndef MAILAUTH_REPORT_FAILURE_H
#define MAILAUTH_REPORT_FAILURE_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "dns.h"

struct failure_run_opts {
	const struct config *cfg; /* report_email (From:), report_sendmail, failure_report_rate */
	const char *dir;          /* the spool directory */
	const char *out_dir;      /* NULL or a directory for copies of the messages */
	const char *receiver;     /* our domain (Message-ID, text) */
	const char *host;         /* this machine, for message ids */
	const char *user_agent;   /* "exim-mailauth/VERSION" */
	struct dns_resolver *dns;
	int64_t now;
	bool dry_run, verbose, quiet;
};

/* Returns the tool's exit status: 0 done, 1 something deferred or locked,
 * 3 an operational failure. */
int failure_reports_run(const struct failure_run_opts *o);

#endif
