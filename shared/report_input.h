/* report_input.h — reading history files into an aggregation, where the
 * last run stopped, and recording afterwards what has been dealt with
 * (the run of mailauth-report between report_state.h, hist.h and
 * report_agg.h).
 *
 * Reading: a file is identified by device and inode plus a hash of its
 * first bytes (report_state.h); it is read from the offset the state
 * gives, up to the size it had when it was opened (records appended
 * meanwhile wait for the next run), HIST_READ_CHUNK bytes at a time.
 * Complete records are counted into the aggregation; a record still being
 * written at the end is left for the next run; damaged fragments are
 * skipped and counted.
 *
 * Committing: once the caller knows which groups were reported (or need
 * not be), report_input_commit() moves each policy domain's watermark to
 * the end of its reported groups and each file's offset as far as no
 * record of an unreported group lies behind it.  Reported groups must form
 * a prefix, in report_agg_finish() order, of each domain's groups: a group
 * that is not reported keeps the later ones of its domain back too (the
 * caller defers them), or they would be reported twice.
 *
 * Ownership: paths and results belong to the caller; state entries live
 * in the state's arena.
 */
#ifndef MAILAUTH_REPORT_INPUT_H
#define MAILAUTH_REPORT_INPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "report_agg.h"
#include "report_state.h"

#define REPORT_INPUT_OK      0
#define REPORT_INPUT_NOMEM (-1)
#define REPORT_INPUT_IO    (-2) /* err says what */
#define REPORT_INPUT_LIMIT (-3) /* REPORT_MAX_ROWS distinct rows reached */

/* What reading found, added up over the files of a run. */
struct report_input_stats {
	uint64_t records;    /* complete records read */
	uint64_t counted;    /* of which counted into a report */
	uint64_t no_policy;  /* no DMARC policy record: nothing to report */
	uint64_t temperror;  /* deferred messages (recorded again on retry) */
	uint64_t reports;    /* messages that were DMARC reports themselves */
	uint64_t reported;   /* older than the watermark: reported already */
	uint64_t damaged;    /* fragments skipped */
	uint64_t bytes;      /* bytes read */
};

/* One history file of a run, filled by report_input_read(). */
struct report_input_file {
	const char *path;
	uint64_t dev, ino;
	uint64_t size;       /* when opened */
	uint64_t head_len;   /* bytes hashed into head_hash: min(size, REPORT_STATE_HEAD) */
	uint64_t head_hash;
	uint64_t start;      /* where reading began (0: from the start) */
	uint64_t end;        /* after the last complete record (or fragment) read */
	bool resumed;        /* start came from the state */
	bool read;           /* reading succeeded */
};

/* Read path (input file index of g) from where st says the last run
 * stopped.  Returns REPORT_INPUT_OK, _NOMEM, _LIMIT, or _IO with err
 * (errlen bytes) naming the file and the problem.  st may be NULL (read
 * everything). */
int report_input_read(struct report_agg *g, const struct report_state *st, size_t index,
                      const char *path, struct report_input_file *f,
                      struct report_input_stats *stats, char *err, size_t errlen);

/* Same, from an open descriptor (name is used in messages and kept). */
int report_input_read_fd(struct report_agg *g, const struct report_state *st, size_t index,
                         int fd, const char *name, struct report_input_file *f,
                         struct report_input_stats *stats, char *err, size_t errlen);

/* Record the outcome: done[i] tells whether group i (report_agg_group(g,
 * i), after report_agg_finish()) was reported or needs no report.  Sets
 * the watermark of each domain to the end of its reported groups'
 * date_range (report_group_range at now), each read file's entry (offset,
 * head, last seen = now), and drops entries of files not seen for
 * REPORT_STATE_KEEP_DAYS.  Returns REPORT_STATE_OK or REPORT_STATE_NOMEM. */
int report_input_commit(struct report_state *st, struct report_agg *g, const bool *done,
                        const struct report_input_file *files, size_t n_files, int64_t now);

#endif
