/* report_agg.c — grouping and counting of history records for RFC 9990
 * aggregate reports (see report_agg.h).
 *
 * Two hash tables with chaining live in the arena: groups keyed by
 * (policy domain, window start, window length) and rows keyed by (group,
 * row key).  Both grow by doubling; old bucket arrays are abandoned to the
 * arena, which is freed as a whole at the end of the run.
 *
 * Ownership: everything in the arena given to report_agg_new().
 */
#include "report_agg.h"

#include <stdlib.h>
#include <string.h>

#include "domain.h"
#include "mailauth_limits.h"

/* FNV-1a, 64 bits: fast, and the keys are not chosen to collide (a
 * collision only costs a longer chain). */
static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *c = p;
	for (size_t i = 0; i < n; i++) {
		h ^= c[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

#define FNV_INIT 0xcbf29ce484222325ull

struct row_entry {
	struct row_entry *next;
	uint64_t hash;
	size_t group;
	size_t row; /* index in the group's rows */
};

struct group_entry {
	struct group_entry *next;
	uint64_t hash;
	size_t group;
};

struct mark {
	struct slice domain;
	int64_t t;
};

struct report_agg {
	struct arena *a;
	size_t n_files;
	struct report_group **groups;
	size_t n_groups, cap_groups;
	struct group_entry **gbuckets;
	size_t n_gbuckets;
	struct row_entry **rbuckets;
	size_t n_rbuckets, n_rows;
	struct mark *marks;
	size_t n_marks, cap_marks;
	/* Per-record scratch (row keys, organizational domains), renewed when
	 * it has grown: memory follows the number of distinct rows, not the
	 * number of records. */
	struct arena *scratch;
};

/* local: scratch bytes kept before the scratch arena is renewed. */
#define SCRATCH_RENEW_BYTES (4u * 1024 * 1024)

static void free_scratch(void *p)
{
	struct report_agg *g = p;
	arena_free(g->scratch);
	g->scratch = NULL;
}

struct report_agg *report_agg_new(struct arena *a, size_t n_files)
{
	struct report_agg *g = arena_zalloc(a, sizeof *g);
	if (!g)
		return NULL;
	g->a = a;
	g->n_files = n_files;
	g->n_gbuckets = 64;
	g->gbuckets = arena_calloc(a, g->n_gbuckets, sizeof *g->gbuckets);
	g->n_rbuckets = 1024;
	g->rbuckets = arena_calloc(a, g->n_rbuckets, sizeof *g->rbuckets);
	if (!g->gbuckets || !g->rbuckets)
		return NULL;
	g->scratch = arena_new(0);
	if (!g->scratch || !arena_defer(a, free_scratch, g))
		return NULL;
	return g;
}

static struct mark *find_mark(const struct report_agg *g, struct slice d)
{
	for (size_t i = 0; i < g->n_marks; i++)
		if (domain_eq(g->marks[i].domain, d))
			return &g->marks[i];
	return NULL;
}

int report_agg_set_watermark(struct report_agg *g, struct slice pdomain, int64_t t)
{
	struct mark *m = find_mark(g, pdomain);
	if (m) {
		m->t = t;
		return REPORT_AGG_OK;
	}
	if (g->n_marks == g->cap_marks) {
		size_t nc = g->cap_marks ? g->cap_marks * 2 : 16;
		struct mark *nm = arena_realloc(g->a, g->marks, g->cap_marks * sizeof *nm,
		                                nc * sizeof *nm);
		if (!nm)
			return REPORT_AGG_NOMEM;
		g->marks = nm;
		g->cap_marks = nc;
	}
	struct slice d = arena_slice_dup(g->a, pdomain);
	if (!d.ptr)
		return REPORT_AGG_NOMEM;
	g->marks[g->n_marks].domain = d;
	g->marks[g->n_marks].t = t;
	g->n_marks++;
	return REPORT_AGG_OK;
}

int64_t report_agg_watermark(const struct report_agg *g, struct slice pdomain)
{
	const struct mark *m = find_mark(g, pdomain);
	return m ? m->t : INT64_MIN;
}

uint32_t report_window_len(const struct hist_record *r)
{
	/* RFC 7489 6.3 ri=: honoured in compatibility mode when it asks for
	 * more than one report a day (RFC 9989 9.3 made ri= historic). */
	if (r->discovery == HIST_DISCOVERY_PSL && r->ri > 0 && r->ri < REPORT_DEFAULT_INTERVAL) {
		uint32_t len = r->ri - r->ri % 3600;
		if (len < REPORT_MIN_INTERVAL)
			len = REPORT_MIN_INTERVAL;
		return len;
	}
	return REPORT_DEFAULT_INTERVAL;
}

static int64_t floor_div_start(int64_t t, uint32_t len)
{
	int64_t m = t % (int64_t)len;
	if (m < 0)
		m += len;
	return t - m;
}

/* A lower-case copy (domains compare case-insensitively; one spelling per
 * group). */
static struct slice lower_dup(struct arena *a, struct slice s)
{
	char *p = arena_alloc(a, s.len + 1);
	if (!p)
		return SLICE_NULL;
	for (size_t i = 0; i < s.len; i++) {
		char c = s.ptr[i];
		p[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
	}
	p[s.len] = '\0';
	return slice_make(p, s.len);
}

static uint64_t group_hash(struct slice pd, int64_t start, uint32_t len)
{
	uint64_t h = FNV_INIT;
	for (size_t i = 0; i < pd.len; i++) {
		unsigned char c = (unsigned char)pd.ptr[i];
		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		h = fnv(h, &c, 1);
	}
	h = fnv(h, &start, sizeof start);
	return fnv(h, &len, sizeof len);
}

static int grow_gbuckets(struct report_agg *g)
{
	size_t nb = g->n_gbuckets * 2;
	struct group_entry **b = arena_calloc(g->a, nb, sizeof *b);
	if (!b)
		return REPORT_AGG_NOMEM;
	for (size_t i = 0; i < g->n_gbuckets; i++) {
		struct group_entry *e = g->gbuckets[i];
		while (e) {
			struct group_entry *next = e->next;
			size_t k = (size_t)(e->hash & (nb - 1));
			e->next = b[k];
			b[k] = e;
			e = next;
		}
	}
	g->gbuckets = b;
	g->n_gbuckets = nb;
	return REPORT_AGG_OK;
}

static int grow_rbuckets(struct report_agg *g)
{
	size_t nb = g->n_rbuckets * 2;
	struct row_entry **b = arena_calloc(g->a, nb, sizeof *b);
	if (!b)
		return REPORT_AGG_NOMEM;
	for (size_t i = 0; i < g->n_rbuckets; i++) {
		struct row_entry *e = g->rbuckets[i];
		while (e) {
			struct row_entry *next = e->next;
			size_t k = (size_t)(e->hash & (nb - 1));
			e->next = b[k];
			b[k] = e;
			e = next;
		}
	}
	g->rbuckets = b;
	g->n_rbuckets = nb;
	return REPORT_AGG_OK;
}

static struct report_group *find_group(struct report_agg *g, struct slice pd, int64_t start,
                                       uint32_t len, size_t *index, int *rc)
{
	uint64_t h = group_hash(pd, start, len);
	for (struct group_entry *e = g->gbuckets[h & (g->n_gbuckets - 1)]; e; e = e->next) {
		struct report_group *grp = g->groups[e->group];
		if (e->hash == h && grp->window_start == start && grp->window_len == len &&
		    domain_eq(grp->pdomain, pd)) {
			*index = e->group;
			return grp;
		}
	}
	*rc = REPORT_AGG_NOMEM;
	if (g->n_groups == g->cap_groups) {
		size_t nc = g->cap_groups ? g->cap_groups * 2 : 16;
		struct report_group **ng = arena_realloc(g->a, g->groups,
		                                         g->cap_groups * sizeof *ng, nc * sizeof *ng);
		if (!ng)
			return NULL;
		g->groups = ng;
		g->cap_groups = nc;
	}
	struct report_group *grp = arena_zalloc(g->a, sizeof *grp);
	struct group_entry *e = arena_zalloc(g->a, sizeof *e);
	if (!grp || !e)
		return NULL;
	grp->pdomain = lower_dup(g->a, pd);
	grp->min_offset = arena_alloc(g->a, (g->n_files ? g->n_files : 1) * sizeof(uint64_t));
	if (!grp->pdomain.ptr || !grp->min_offset)
		return NULL;
	for (size_t i = 0; i < g->n_files; i++)
		grp->min_offset[i] = UINT64_MAX;
	grp->window_start = start;
	grp->window_len = len;
	grp->first = INT64_MAX;
	grp->last = INT64_MIN;
	grp->policy_time = INT64_MIN;
	e->hash = h;
	e->group = g->n_groups;
	size_t k = (size_t)(h & (g->n_gbuckets - 1));
	e->next = g->gbuckets[k];
	g->gbuckets[k] = e;
	g->groups[g->n_groups] = grp;
	*index = g->n_groups++;
	if (g->n_groups > g->n_gbuckets && grow_gbuckets(g) != REPORT_AGG_OK)
		return NULL;
	*rc = REPORT_AGG_OK;
	return grp;
}

/* Keep the latest record's policy (deep copy: the record's text goes away
 * after the call). */
static int take_policy(struct report_agg *g, struct report_group *grp, const struct hist_record *r)
{
	struct report_policy *p = &grp->policy;
	p->domain = grp->pdomain;
	p->p = r->p;
	p->sp = r->sp;
	p->np = r->np;
	p->adkim_strict = r->adkim_strict;
	p->aspf_strict = r->aspf_strict;
	p->testing = r->testing;
	p->discovery = r->discovery;
	p->fo = SLICE_NULL;
	if (r->fo.len) {
		p->fo = arena_slice_dup(g->a, r->fo);
		if (!p->fo.ptr)
			return REPORT_AGG_NOMEM;
	}
	grp->n_rua = 0;
	grp->rua = NULL;
	if (r->n_rua) {
		struct slice *rua = arena_calloc(g->a, r->n_rua, sizeof *rua);
		if (!rua)
			return REPORT_AGG_NOMEM;
		for (size_t i = 0; i < r->n_rua; i++) {
			rua[i] = arena_slice_dup(g->a, r->rua[i]);
			if (!rua[i].ptr)
				return REPORT_AGG_NOMEM;
		}
		grp->rua = rua;
		grp->n_rua = r->n_rua;
	}
	grp->policy_time = r->received;
	return REPORT_AGG_OK;
}

int report_agg_add(struct report_agg *g, const struct hist_record *r, size_t file_index,
                   uint64_t offset, enum report_agg_fate *fate)
{
	if (r->is_report) {
		*fate = REPORT_AGG_SKIP_REPORT;
		return REPORT_AGG_OK;
	}
	if (r->result == HIST_RESULT_NONE || r->pdomain.len == 0) {
		*fate = REPORT_AGG_SKIP_NO_POLICY;
		return REPORT_AGG_OK;
	}
	if (r->result == HIST_RESULT_TEMPERROR) {
		*fate = REPORT_AGG_SKIP_TEMPERROR;
		return REPORT_AGG_OK;
	}
	if (r->received < report_agg_watermark(g, r->pdomain)) {
		*fate = REPORT_AGG_SKIP_REPORTED;
		return REPORT_AGG_OK;
	}
	*fate = REPORT_AGG_COUNTED;

	uint32_t len = report_window_len(r);
	int64_t start = floor_div_start(r->received, len);
	size_t gi = 0;
	int rc = REPORT_AGG_OK;
	struct report_group *grp = find_group(g, r->pdomain, start, len, &gi, &rc);
	if (!grp)
		return rc;
	if (r->received >= grp->policy_time && take_policy(g, grp, r) != REPORT_AGG_OK)
		return REPORT_AGG_NOMEM;
	if (r->received < grp->first)
		grp->first = r->received;
	if (r->received > grp->last)
		grp->last = r->received;
	grp->messages++;
	if (file_index < g->n_files && offset < grp->min_offset[file_index])
		grp->min_offset[file_index] = offset;

	if (arena_used(g->scratch) > SCRATCH_RENEW_BYTES) {
		arena_free(g->scratch);
		g->scratch = arena_new(0);
		if (!g->scratch)
			return REPORT_AGG_NOMEM;
	}
	struct buf key;
	buf_init(&key, g->scratch, HIST_MAX_RECORD_BYTES * 4);
	report_xml_row_key(g->scratch, r, &key);
	if (key.err)
		return REPORT_AGG_NOMEM;
	struct slice k = buf_slice(&key);
	uint64_t h = fnv(fnv(FNV_INIT, &gi, sizeof gi), k.ptr, k.len);
	for (struct row_entry *e = g->rbuckets[h & (g->n_rbuckets - 1)]; e; e = e->next) {
		if (e->hash == h && e->group == gi && slice_eq(grp->rows[e->row].key, k)) {
			grp->rows[e->row].count++;
			return REPORT_AGG_OK;
		}
	}
	if (g->n_rows >= REPORT_MAX_ROWS)
		return REPORT_AGG_LIMIT;
	if (grp->n_rows == grp->cap_rows) {
		size_t nc = grp->cap_rows ? grp->cap_rows * 2 : 8;
		struct report_row *nr = arena_realloc(g->a, grp->rows,
		                                      grp->cap_rows * sizeof *nr, nc * sizeof *nr);
		if (!nr)
			return REPORT_AGG_NOMEM;
		grp->rows = nr;
		grp->cap_rows = nc;
	}
	struct row_entry *e = arena_zalloc(g->a, sizeof *e);
	if (!e)
		return REPORT_AGG_NOMEM;
	grp->rows[grp->n_rows].key = arena_slice_dup(g->a, k);
	if (!grp->rows[grp->n_rows].key.ptr)
		return REPORT_AGG_NOMEM;
	grp->rows[grp->n_rows].count = 1;
	e->hash = h;
	e->group = gi;
	e->row = grp->n_rows++;
	size_t b = (size_t)(h & (g->n_rbuckets - 1));
	e->next = g->rbuckets[b];
	g->rbuckets[b] = e;
	g->n_rows++;
	if (g->n_rows > g->n_rbuckets && grow_rbuckets(g) != REPORT_AGG_OK)
		return REPORT_AGG_NOMEM;
	return REPORT_AGG_OK;
}

static int cmp_slice(struct slice a, struct slice b)
{
	size_t n = a.len < b.len ? a.len : b.len;
	int c = n ? memcmp(a.ptr, b.ptr, n) : 0;
	if (c)
		return c;
	return a.len < b.len ? -1 : a.len > b.len;
}

static int cmp_row(const void *x, const void *y)
{
	return cmp_slice(((const struct report_row *)x)->key, ((const struct report_row *)y)->key);
}

static int cmp_group(const void *x, const void *y)
{
	const struct report_group *a = *(const struct report_group *const *)x;
	const struct report_group *b = *(const struct report_group *const *)y;
	int c = cmp_slice(a->pdomain, b->pdomain);
	if (c)
		return c;
	if (a->window_start != b->window_start)
		return a->window_start < b->window_start ? -1 : 1;
	return a->window_len < b->window_len ? -1 : a->window_len > b->window_len;
}

void report_agg_finish(struct report_agg *g)
{
	/* The hash tables index groups by position: they are not used after
	 * this point. */
	if (g->n_groups > 1)
		qsort(g->groups, g->n_groups, sizeof *g->groups, cmp_group);
	for (size_t i = 0; i < g->n_groups; i++)
		if (g->groups[i]->n_rows > 1)
			qsort(g->groups[i]->rows, g->groups[i]->n_rows, sizeof(struct report_row),
			      cmp_row);
	g->gbuckets = NULL;
	g->rbuckets = NULL;
}

size_t report_agg_count(const struct report_agg *g)
{
	return g->n_groups;
}

struct report_group *report_agg_group(struct report_agg *g, size_t i)
{
	return i < g->n_groups ? g->groups[i] : NULL;
}

bool report_group_finished(const struct report_group *grp, int64_t now)
{
	return grp->window_start + (int64_t)grp->window_len <= now;
}

void report_group_range(const struct report_agg *g, const struct report_group *grp, int64_t now,
                        int64_t *begin, int64_t *end_excl)
{
	int64_t wend = grp->window_start + (int64_t)grp->window_len;
	int64_t b = grp->window_start;
	int64_t mark = report_agg_watermark(g, grp->pdomain);
	if (mark > b)
		b = mark;
	int64_t e = wend;
	if (wend > now) {
		/* A flushed, unfinished window ends now (or at its last record,
		 * should a clock have run ahead). */
		e = (grp->last > now ? grp->last : now) + 1;
		if (e > wend)
			e = wend;
	}
	if (e <= b)
		e = b + 1;
	*begin = b;
	*end_excl = e;
}
