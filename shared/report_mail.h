/* report_mail.h — naming and mailing aggregate reports (RFC 9990
 * "Definition of Report-ID", "Email"; RFC 2045/2046 MIME; RFC 5322).
 *
 * Report-ID and the file name's unique-id are the same string (RFC 9990
 * "Unique Identifiers": they MUST be identical when used), 32 hexadecimal
 * digits (unique-id = 1*(ALPHA / DIGIT)).  It is derived from the receiver,
 * the reporting host, the policy domain and the date range, so a report
 * that has to be sent again keeps its file name and Report-ID, as RFC 9990
 * requires, and two hosts reporting the same period get different ones.
 *
 * The file name is receiver "!" policy-domain "!" begin "!" end "!"
 * unique-id ".xml.gz".  The message is multipart/mixed with a short text
 * part and the report as application/gzip, base64, 76-character lines;
 * Subject "Report Domain: <policy domain> Submitter: <receiver> Report-ID:
 * <id>" (folded when long); Auto-Submitted: auto-generated (RFC 3834), so
 * well-behaved systems do not answer it.  Lines end in LF, as a local
 * "sendmail -t" expects.
 *
 * Ownership: output appended to the caller's buf.
 */
#ifndef MAILAUTH_REPORT_MAIL_H
#define MAILAUTH_REPORT_MAIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "report_xml.h"
#include "slice.h"

/* Append the 32-digit report id.  host is the generating machine's name. */
bool report_id_make(struct buf *out, const char *receiver, const char *host, struct slice pdomain,
                    int64_t begin, int64_t end);

/* Append the file name.  Bytes other than letters, digits, '.', '-' and
 * '_' in the domains are written as '_' (the name goes into a directory). */
void report_filename(struct buf *out, const char *receiver, struct slice pdomain, int64_t begin,
                     int64_t end, struct slice id);

struct report_mail {
	const struct report_meta *meta;
	struct slice pdomain;
	struct slice report_id;
	struct slice filename;
	struct slice to;        /* one address, checked by report_uri_parse() */
	int64_t begin, end;     /* inclusive date range, for the text part */
	uint64_t messages;      /* messages counted, for the text part */
	int64_t date;           /* Date: field */
	struct slice attachment;
};

/* Append the whole message (header and body). */
void report_mail_build(const struct report_mail *m, struct buf *out);

/* True when addr is the reporting address itself (ASCII case-insensitive):
 * a report is never sent to ourselves. */
bool report_is_self(const struct report_meta *meta, struct slice addr);

#endif
