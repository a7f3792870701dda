/* report_agg.h — aggregation of DMARC history records into aggregate
 * reports (RFC 9990 "Aggregate Reports").
 *
 * Records are grouped by policy domain and reporting window.  A window is
 * a day (REPORT_DEFAULT_INTERVAL), aligned to midnight UTC; a record made
 * in RFC 7489 compatibility mode (discovery "psl") whose policy asks for a
 * smaller ri= gets windows of that length instead, in whole hours and never
 * below REPORT_MIN_INTERVAL (RFC 9989 dropped ri=, so treewalk records are
 * always daily).  Inside a group, records that would give identical
 * <record> elements are counted as one row (report_xml_row_key).  The
 * policy a group reports is the one of its latest record (RFC 9990
 * "Changes in Policy During Reporting Period": the final configuration).
 *
 * Records that are never reported: no policy record (DMARC result none or
 * no policy domain), a temperror (the message was deferred and will be
 * recorded again when it is retried), a message that is itself a DMARC
 * report (no reports about reports), and records older than the domain's
 * watermark (the end of the last window already reported).
 *
 * Each group remembers, per input file, the offset of its first record, so
 * the caller can tell how far each file has been dealt with once it knows
 * which groups were reported.
 *
 * Ownership: everything lives in the arena given to report_agg_new();
 * records passed to report_agg_add() are copied.
 */
#ifndef MAILAUTH_REPORT_AGG_H
#define MAILAUTH_REPORT_AGG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "hist.h"
#include "report_xml.h"
#include "slice.h"

#define REPORT_AGG_OK     0
#define REPORT_AGG_NOMEM (-1)
#define REPORT_AGG_LIMIT (-2) /* more than REPORT_MAX_ROWS distinct rows */

/* What report_agg_add() did with a record. */
enum report_agg_fate {
	REPORT_AGG_COUNTED,
	REPORT_AGG_SKIP_NO_POLICY,   /* no policy record: nothing to report */
	REPORT_AGG_SKIP_TEMPERROR,   /* deferred; its retry is recorded again */
	REPORT_AGG_SKIP_REPORT,      /* a DMARC report itself */
	REPORT_AGG_SKIP_REPORTED,    /* older than the domain's watermark */
};

struct report_group {
	struct slice pdomain;      /* lower case */
	int64_t window_start;      /* seconds since the epoch */
	uint32_t window_len;       /* seconds */
	int64_t first, last;       /* received times of its records */
	uint64_t messages;
	struct report_policy policy; /* from the latest record */
	int64_t policy_time;
	const struct slice *rua;     /* rua= of the latest record */
	size_t n_rua;
	struct report_row *rows;     /* sorted by key after report_agg_finish() */
	size_t n_rows, cap_rows;
	uint64_t *min_offset;        /* per input file; UINT64_MAX: none there */
};

struct report_agg;

/* A new aggregation over n_files input files. */
struct report_agg *report_agg_new(struct arena *a, size_t n_files);

/* The end of the last reported window of a domain: records received
 * before it are skipped as already reported. */
int report_agg_set_watermark(struct report_agg *g, struct slice pdomain, int64_t t);
int64_t report_agg_watermark(const struct report_agg *g, struct slice pdomain);

/* Count one record read at offset in input file file_index.  Returns
 * REPORT_AGG_OK (and *fate), REPORT_AGG_NOMEM or REPORT_AGG_LIMIT. */
int report_agg_add(struct report_agg *g, const struct hist_record *r, size_t file_index,
                   uint64_t offset, enum report_agg_fate *fate);

/* Sort groups (by policy domain, then window) and their rows (by key).
 * Call once, after the last add. */
void report_agg_finish(struct report_agg *g);

size_t report_agg_count(const struct report_agg *g);
struct report_group *report_agg_group(struct report_agg *g, size_t i);

/* Whether a group's window has ended at time now. */
bool report_group_finished(const struct report_group *grp, int64_t now);

/* The date_range a report of the group covers: [*begin, *end_excl).  It
 * starts at the window start or at the domain's watermark, whichever is
 * later, and ends with the window, or (flush, an unfinished window) just
 * after now or the group's last record. */
void report_group_range(const struct report_agg *g, const struct report_group *grp, int64_t now,
                        int64_t *begin, int64_t *end_excl);

/* The reporting window length for a record (see above). */
uint32_t report_window_len(const struct hist_record *r);

#endif
