/* report_state.h — what mailauth-report remembers between runs, so the
 * same history is never reported twice, however the files are rotated.
 *
 * Per history file, keyed by device and inode (not by name: logrotate
 * renames the file and creates a new one, and both may be passed to a
 * later run): the byte offset up to which everything has been dealt with,
 * a hash of the file's first bytes (up to REPORT_STATE_HEAD bytes), and when
 * it was last seen.  A file is read again from the start when it is new,
 * shorter than the offset (truncated, copytruncate), or its first bytes
 * changed (the inode was reused for another file).  Per policy domain: the
 * watermark, the end of the last window reported; records older than it
 * are not reported again (the offset of a file cannot move past a record
 * of a window that is still open, so later records of other domains may
 * be read twice).
 *
 * The state file is text, one entry a line:
 *     mailauth-report-state 1
 *     file <dev> <ino> <offset> <head-len> <head-hash> <last-seen> <path>
 *     domain <policy-domain> <watermark>
 * (the path percent-encoded, for people reading the file).  Writers
 * replace it atomically (temporary file and rename).
 *
 * Ownership: entries live in the arena given.
 */
#ifndef MAILAUTH_REPORT_STATE_H
#define MAILAUTH_REPORT_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "slice.h"

/* Bytes at the start of a history file whose hash identifies it. */
#define REPORT_STATE_HEAD 256

#define REPORT_STATE_OK      0
#define REPORT_STATE_NOMEM (-1)
#define REPORT_STATE_SYNTAX (-2)

struct report_state_file {
	uint64_t dev, ino;
	uint64_t offset;
	uint64_t head_len;
	uint64_t head_hash;
	int64_t last_seen;
	struct slice path;
};

struct report_state_domain {
	struct slice domain;
	int64_t watermark;
};

struct report_state {
	struct arena *a;
	struct report_state_file *files;
	size_t n_files, cap_files;
	struct report_state_domain *domains;
	size_t n_domains, cap_domains;
};

void report_state_init(struct report_state *st, struct arena *a);

/* Parse a state file's text (an empty text is an empty state).  On
 * REPORT_STATE_SYNTAX, err names the line. */
int report_state_parse(struct report_state *st, struct slice text, char *err, size_t errlen);

/* Append the state's text. */
void report_state_format(const struct report_state *st, struct buf *out);

/* The entry for a file, or NULL. */
struct report_state_file *report_state_file_find(struct report_state *st, uint64_t dev,
                                                 uint64_t ino);
/* Set (add or replace) a file's entry. */
int report_state_file_set(struct report_state *st, const struct report_state_file *f);

/* Drop file entries last seen before cutoff. */
void report_state_prune(struct report_state *st, int64_t cutoff);

int64_t report_state_watermark(const struct report_state *st, struct slice domain);
int report_state_set_watermark(struct report_state *st, struct slice domain, int64_t t);

/* The hash of a file's first bytes. */
uint64_t report_state_hash(const void *p, size_t n);

/* Where to resume reading a file of size bytes whose first
 * min(size, e->head_len) bytes hash to head_hash_now (computed over
 * e->head_len bytes when the file is at least that long): e->offset when
 * the file is the one the entry describes, else 0.  e may be NULL. */
uint64_t report_state_resume(const struct report_state_file *e, uint64_t size,
                             uint64_t head_hash_now);

#endif
