/* report_xml.h — the XML of DMARC aggregate reports as RFC 9990 defines it
 * (Appendix A schema, namespace urn:ietf:params:xml:ns:dmarc-2.0).
 *
 * A report is built in two steps: every history record becomes a "row key"
 * (report_xml_row_key), the canonical text of its <record> element without
 * the count, so records that would give identical <record> elements share
 * one key and are counted together (RFC 9990 "Aggregate Reports": one
 * record per distinct tuple of source IP, evaluation, identifiers and
 * authentication results).  report_xml_write() then wraps the counted rows
 * into a <feedback> document.
 *
 * Text from the history (domains, comments, human results) is escaped for
 * XML; bytes that XML 1.0 cannot carry (C0 controls other than TAB, LF, CR)
 * and invalid UTF-8 are replaced, so the output is always well-formed.
 *
 * Ownership: everything is appended to the caller's struct buf.
 */
#ifndef MAILAUTH_REPORT_XML_H
#define MAILAUTH_REPORT_XML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "hist.h"
#include "slice.h"

/* The reporting organisation (report_metadata).  Strings are the caller's,
 * NUL-terminated; extra_contact_info may be NULL. */
struct report_meta {
	const char *org_name;
	const char *email;
	const char *extra_contact_info;
	const char *receiver;  /* the Mail Receiver's domain: Submitter, file names */
	const char *generator; /* e.g. "exim-mailauth 0.1.0"; NULL: left out */
};

/* The published policy a report states (the last one observed, RFC 9990
 * "Changes in Policy During Reporting Period"). */
struct report_policy {
	struct slice domain;
	enum hist_policy p, sp, np;  /* UNSPECIFIED: the tag's default applies */
	bool adkim_strict, aspf_strict;
	bool testing;
	enum hist_discovery discovery;
	struct slice fo;
};

/* One counted row: key as made by report_xml_row_key(). */
struct report_row {
	struct slice key;
	uint64_t count;
};

/* Append the row key of r: "<source_ip>" part, a NUL byte, then the rest
 * of the <record> element after <count> (policy_evaluated, identifiers,
 * auth_results).  DKIM results are ordered as RFC 9990 prefers (aligned
 * passes first, strictly aligned before relaxed) and cut at HIST_MAX_DKIM;
 * relaxed alignment is judged with the public suffix list (orgdom.h).
 * Scratch memory comes from a. */
void report_xml_row_key(struct arena *a, const struct hist_record *r, struct buf *out);

/* Append a whole <feedback> document.  begin and end are the inclusive
 * date_range (seconds since the epoch). */
void report_xml_write(struct buf *out, const struct report_meta *meta, struct slice report_id,
                      int64_t begin, int64_t end, const struct report_policy *pol,
                      const struct report_row *rows, size_t n_rows);

/* Append s escaped for XML character data or attribute values. */
void report_xml_escape(struct buf *out, struct slice s);

#endif
