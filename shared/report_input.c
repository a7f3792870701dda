/* report_input.c — history files into an aggregation, and the state
 * update after a run (see report_input.h).
 *
 * Ownership: the read buffer and the parse arenas are this file's and
 * freed before returning; records are copied by report_agg_add().
 */
#include "report_input.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "domain.h"
#include "hist.h"
#include "mailauth_limits.h"

/* pread() until n bytes or end of file; -1 on error. */
static ssize_t read_at(int fd, char *p, size_t n, uint64_t off)
{
	size_t got = 0;
	while (got < n) {
		ssize_t r = pread(fd, p + got, n - got, (off_t)(off + got));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

static int io_error(char *err, size_t errlen, const char *what, const char *name)
{
	if (errlen)
		snprintf(err, errlen, "%s %s: %s", what, name, strerror(errno));
	return REPORT_INPUT_IO;
}

static void count_fate(struct report_input_stats *s, enum report_agg_fate fate)
{
	switch (fate) {
	case REPORT_AGG_COUNTED: s->counted++; break;
	case REPORT_AGG_SKIP_NO_POLICY: s->no_policy++; break;
	case REPORT_AGG_SKIP_TEMPERROR: s->temperror++; break;
	case REPORT_AGG_SKIP_REPORT: s->reports++; break;
	case REPORT_AGG_SKIP_REPORTED: s->reported++; break;
	}
}

/* Parse the records in text; *used is how much of it was dealt with
 * (everything but an incomplete record at its end). */
static int parse_chunk(struct report_agg *g, size_t index, uint64_t base, struct slice text,
                       size_t *used, struct report_input_stats *stats)
{
	struct arena *a = arena_new(0);
	if (!a)
		return REPORT_INPUT_NOMEM;
	size_t pos = 0;
	int rc = REPORT_INPUT_OK;
	for (;;) {
		struct hist_record r;
		size_t start = 0;
		enum hist_parse_status st = hist_parse_next(a, text, &pos, &r, &start);
		if (st == HIST_PARSE_RECORD) {
			stats->records++;
			enum report_agg_fate fate;
			int arc = report_agg_add(g, &r, index, base + start, &fate);
			if (arc == REPORT_AGG_NOMEM) {
				rc = REPORT_INPUT_NOMEM;
				break;
			}
			if (arc == REPORT_AGG_LIMIT) {
				rc = REPORT_INPUT_LIMIT;
				break;
			}
			count_fate(stats, fate);
		} else if (st == HIST_PARSE_DAMAGED) {
			stats->damaged++;
		} else if (st == HIST_PARSE_NOMEM) {
			rc = REPORT_INPUT_NOMEM;
			break;
		} else {
			break; /* END or INCOMPLETE: pos is where to go on */
		}
	}
	*used = pos;
	arena_free(a);
	return rc;
}

int report_input_read_fd(struct report_agg *g, const struct report_state *st, size_t index,
                         int fd, const char *name, struct report_input_file *f,
                         struct report_input_stats *stats, char *err, size_t errlen)
{
	memset(f, 0, sizeof *f);
	f->path = name;
	if (errlen)
		err[0] = '\0';
	struct stat sb;
	if (fstat(fd, &sb) != 0)
		return io_error(err, errlen, "cannot stat", name);
	if (!S_ISREG(sb.st_mode)) {
		if (errlen)
			snprintf(err, errlen, "%s is not a regular file", name);
		return REPORT_INPUT_IO;
	}
	f->dev = (uint64_t)sb.st_dev;
	f->ino = (uint64_t)sb.st_ino;
	f->size = (uint64_t)sb.st_size;

	/* The head identifies the file: hashed over what the state entry
	 * hashed (when the file still has that much) and over what the next
	 * state will keep. */
	char head[REPORT_STATE_HEAD];
	f->head_len = f->size < REPORT_STATE_HEAD ? f->size : REPORT_STATE_HEAD;
	ssize_t hn = read_at(fd, head, (size_t)f->head_len, 0);
	if (hn < 0)
		return io_error(err, errlen, "cannot read", name);
	f->head_len = (uint64_t)hn;
	f->head_hash = report_state_hash(head, (size_t)hn);
	const struct report_state_file *e =
	        st ? report_state_file_find((struct report_state *)st, f->dev, f->ino) : NULL;
	if (e) {
		uint64_t then = e->head_len <= (uint64_t)hn ? report_state_hash(head, (size_t)e->head_len)
		                                            : f->head_hash;
		f->start = report_state_resume(e, f->size, then);
		f->resumed = f->start > 0;
	}
	f->end = f->start;

	size_t cap = HIST_READ_CHUNK;
	char *buf = malloc(cap);
	if (!buf)
		return REPORT_INPUT_NOMEM;
	uint64_t pos = f->start; /* file offset of buf[0] */
	size_t keep = 0;          /* bytes of an unfinished record already in buf */
	int rc = REPORT_INPUT_OK;
	while (pos + keep < f->size) {
		uint64_t left = f->size - pos - keep;
		size_t want = cap - keep;
		if (want > left)
			want = (size_t)left;
		ssize_t n = read_at(fd, buf + keep, want, pos + keep);
		if (n < 0) {
			rc = io_error(err, errlen, "cannot read", name);
			break;
		}
		stats->bytes += (uint64_t)n;
		size_t len = keep + (size_t)n;
		bool eof = n == 0 || pos + len >= f->size;
		size_t used = 0;
		rc = parse_chunk(g, index, pos, slice_make(buf, len), &used, stats);
		if (rc != REPORT_INPUT_OK)
			break;
		if (used == 0 && len == cap) {
			/* A full buffer without one complete line or record: no
			 * record is that long (HIST_MAX_RECORD_BYTES), so it is
			 * damage.  Skip to its last line end, or all of it. */
			const char *nl = NULL;
			for (size_t i = len; i-- > 0;)
				if (buf[i] == '\n') {
					nl = buf + i;
					break;
				}
			used = nl ? (size_t)(nl - buf) + 1 : len;
			stats->damaged++;
		}
		f->end = pos + used;
		if (eof)
			break;
		keep = len - used;
		memmove(buf, buf + used, keep);
		pos += used;
	}
	free(buf);
	f->read = rc == REPORT_INPUT_OK;
	return rc;
}

int report_input_read(struct report_agg *g, const struct report_state *st, size_t index,
                      const char *path, struct report_input_file *f,
                      struct report_input_stats *stats, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		memset(f, 0, sizeof *f);
		f->path = path;
		return io_error(err, errlen, "cannot open history file", path);
	}
	int rc = report_input_read_fd(g, st, index, fd, path, f, stats, err, errlen);
	close(fd);
	return rc;
}

int report_input_commit(struct report_state *st, struct report_agg *g, const bool *done,
                        const struct report_input_file *files, size_t n_files, int64_t now)
{
	size_t n = report_agg_count(g);
	/* Groups are sorted by domain, then window: walk each domain's run of
	 * groups and stop at its first unreported one. */
	bool *eff = calloc(n ? n : 1, sizeof *eff);
	if (!eff)
		return REPORT_STATE_NOMEM;
	int rc = REPORT_STATE_OK;
	size_t i = 0;
	while (i < n) {
		struct report_group *first = report_agg_group(g, i);
		int64_t mark = report_state_watermark(st, first->pdomain);
		bool blocked = false, moved = false;
		size_t j = i;
		for (; j < n; j++) {
			struct report_group *grp = report_agg_group(g, j);
			if (!domain_eq(grp->pdomain, first->pdomain))
				break;
			if (blocked || !done[j])
				blocked = true;
			else {
				eff[j] = true;
				int64_t b, e;
				report_group_range(g, grp, now, &b, &e);
				if (e > mark) {
					mark = e;
					moved = true;
				}
			}
		}
		if (moved && report_state_set_watermark(st, first->pdomain, mark) != REPORT_STATE_OK) {
			rc = REPORT_STATE_NOMEM;
			break;
		}
		i = j;
	}
	for (size_t k = 0; k < n_files && rc == REPORT_STATE_OK; k++) {
		const struct report_input_file *f = &files[k];
		if (!f->read)
			continue;
		uint64_t off = f->end;
		for (size_t j = 0; j < n; j++) {
			struct report_group *grp = report_agg_group(g, j);
			if (!eff[j] && grp->min_offset[k] < off)
				off = grp->min_offset[k];
		}
		struct report_state_file e = {
			.dev = f->dev, .ino = f->ino, .offset = off, .head_len = f->head_len,
			.head_hash = f->head_hash, .last_seen = now, .path = slice_from_cstr(f->path),
		};
		if (report_state_file_set(st, &e) != REPORT_STATE_OK)
			rc = REPORT_STATE_NOMEM;
	}
	free(eff);
	if (rc == REPORT_STATE_OK)
		report_state_prune(st, now - (int64_t)REPORT_STATE_KEEP_DAYS * 86400);
	return rc;
}
