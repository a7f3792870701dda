/* report_state.c — mailauth-report's memory between runs (see
 * report_state.h).
 *
 * Ownership: entries in the arena the state was initialised with.
 */
#include "report_state.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "domain.h"

void report_state_init(struct report_state *st, struct arena *a)
{
	memset(st, 0, sizeof *st);
	st->a = a;
}

uint64_t report_state_hash(const void *p, size_t n)
{
	const unsigned char *c = p;
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < n; i++) {
		h ^= c[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

uint64_t report_state_resume(const struct report_state_file *e, uint64_t size,
                             uint64_t head_hash_now)
{
	if (!e)
		return 0;
	if (size < e->offset || size < e->head_len)
		return 0; /* truncated (copytruncate) or another file */
	if (head_hash_now != e->head_hash)
		return 0; /* same inode, different file */
	return e->offset;
}

struct report_state_file *report_state_file_find(struct report_state *st, uint64_t dev,
                                                 uint64_t ino)
{
	for (size_t i = 0; i < st->n_files; i++)
		if (st->files[i].dev == dev && st->files[i].ino == ino)
			return &st->files[i];
	return NULL;
}

int report_state_file_set(struct report_state *st, const struct report_state_file *f)
{
	struct report_state_file *e = report_state_file_find(st, f->dev, f->ino);
	if (!e) {
		if (st->n_files == st->cap_files) {
			size_t nc = st->cap_files ? st->cap_files * 2 : 8;
			struct report_state_file *nf =
			        arena_realloc(st->a, st->files, st->cap_files * sizeof *nf,
			                      nc * sizeof *nf);
			if (!nf)
				return REPORT_STATE_NOMEM;
			st->files = nf;
			st->cap_files = nc;
		}
		e = &st->files[st->n_files++];
	}
	*e = *f;
	e->path = arena_slice_dup(st->a, f->path);
	return e->path.ptr ? REPORT_STATE_OK : REPORT_STATE_NOMEM;
}

void report_state_prune(struct report_state *st, int64_t cutoff)
{
	size_t o = 0;
	for (size_t i = 0; i < st->n_files; i++)
		if (st->files[i].last_seen >= cutoff)
			st->files[o++] = st->files[i];
	st->n_files = o;
}

int64_t report_state_watermark(const struct report_state *st, struct slice domain)
{
	for (size_t i = 0; i < st->n_domains; i++)
		if (domain_eq(st->domains[i].domain, domain))
			return st->domains[i].watermark;
	return INT64_MIN;
}

int report_state_set_watermark(struct report_state *st, struct slice domain, int64_t t)
{
	for (size_t i = 0; i < st->n_domains; i++)
		if (domain_eq(st->domains[i].domain, domain)) {
			st->domains[i].watermark = t;
			return REPORT_STATE_OK;
		}
	if (st->n_domains == st->cap_domains) {
		size_t nc = st->cap_domains ? st->cap_domains * 2 : 16;
		struct report_state_domain *nd = arena_realloc(
		        st->a, st->domains, st->cap_domains * sizeof *nd, nc * sizeof *nd);
		if (!nd)
			return REPORT_STATE_NOMEM;
		st->domains = nd;
		st->cap_domains = nc;
	}
	struct slice d = arena_slice_dup(st->a, domain);
	if (!d.ptr)
		return REPORT_STATE_NOMEM;
	st->domains[st->n_domains].domain = d;
	st->domains[st->n_domains].watermark = t;
	st->n_domains++;
	return REPORT_STATE_OK;
}

static const char hexd[] = "0123456789ABCDEF";

/* The path, readable but on one field: bytes outside 0x21..0x7e and '%'
 * as %XX. */
static void put_path(struct buf *out, struct slice p)
{
	for (size_t i = 0; i < p.len; i++) {
		unsigned char c = (unsigned char)p.ptr[i];
		if (c >= 0x21 && c <= 0x7e && c != '%') {
			buf_add_byte(out, (char)c);
		} else {
			char e[3] = { '%', hexd[c >> 4], hexd[c & 15] };
			buf_add(out, e, 3);
		}
	}
}

void report_state_format(const struct report_state *st, struct buf *out)
{
	buf_add_cstr(out, "mailauth-report-state 1\n");
	for (size_t i = 0; i < st->n_files; i++) {
		const struct report_state_file *f = &st->files[i];
		buf_addf(out,
		         "file %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %016" PRIx64
		         " %" PRId64 " ",
		         f->dev, f->ino, f->offset, f->head_len, f->head_hash, f->last_seen);
		put_path(out, f->path);
		buf_add_byte(out, '\n');
	}
	for (size_t i = 0; i < st->n_domains; i++) {
		buf_add_cstr(out, "domain ");
		put_path(out, st->domains[i].domain);
		buf_addf(out, " %" PRId64 "\n", st->domains[i].watermark);
	}
}

static bool field(struct slice *rest, struct slice *f)
{
	*rest = slice_trim_ws(*rest);
	if (rest->len == 0)
		return false;
	const char *sp = slice_find_byte(*rest, ' ');
	if (sp) {
		*f = slice_between(rest->ptr, sp);
		*rest = slice_between(sp + 1, slice_end(*rest));
	} else {
		*f = *rest;
		*rest = slice_make(slice_end(*rest), 0);
	}
	return true;
}

static bool num_u(struct slice *rest, uint64_t *v)
{
	struct slice f;
	return field(rest, &f) && slice_parse_u64(f, UINT64_MAX, v);
}

static bool num_i(struct slice *rest, int64_t *v)
{
	struct slice f;
	if (!field(rest, &f))
		return false;
	bool neg = f.len && f.ptr[0] == '-';
	uint64_t u;
	if (!slice_parse_u64(slice_sub(f, neg ? 1 : 0, f.len), (uint64_t)INT64_MAX, &u))
		return false;
	*v = neg ? -(int64_t)u : (int64_t)u;
	return true;
}

static bool hex64(struct slice *rest, uint64_t *v)
{
	struct slice f;
	if (!field(rest, &f) || f.len == 0 || f.len > 16)
		return false;
	uint64_t x = 0;
	for (size_t i = 0; i < f.len; i++) {
		char c = f.ptr[i];
		int d = (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10
		        : (c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;
		if (d < 0)
			return false;
		x = x * 16 + (uint64_t)d;
	}
	*v = x;
	return true;
}

/* Percent-decode a field into the arena. */
static struct slice undo_path(struct arena *a, struct slice s)
{
	char *o = arena_alloc(a, s.len + 1);
	if (!o)
		return SLICE_NULL;
	size_t n = 0;
	for (size_t i = 0; i < s.len; i++) {
		int h = -1, l = -1;
		if (s.ptr[i] == '%' && i + 2 < s.len) {
			char c1 = s.ptr[i + 1], c2 = s.ptr[i + 2];
			const char *p1 = memchr(hexd, c1, 16), *p2 = memchr(hexd, c2, 16);
			if (p1 && p2) {
				h = (int)(p1 - hexd);
				l = (int)(p2 - hexd);
			}
		}
		if (h >= 0) {
			o[n++] = (char)(h * 16 + l);
			i += 2;
		} else {
			o[n++] = s.ptr[i];
		}
	}
	o[n] = '\0';
	return slice_make(o, n);
}

int report_state_parse(struct report_state *st, struct slice text, char *err, size_t errlen)
{
	size_t p = 0;
	unsigned lineno = 0;
	bool header = false;
	while (p < text.len) {
		const char *nl = memchr(text.ptr + p, '\n', text.len - p);
		size_t e = nl ? (size_t)(nl - text.ptr) : text.len;
		struct slice line = slice_trim_ws(slice_make(text.ptr + p, e - p));
		p = e + 1;
		lineno++;
		if (line.len == 0 || line.ptr[0] == '#')
			continue;
		struct slice rest = line, kind;
		field(&rest, &kind);
		bool ok = false;
		if (!header) {
			struct slice ver;
			ok = slice_eq(kind, SLICE_LIT("mailauth-report-state")) && field(&rest, &ver) &&
			     slice_eq(ver, SLICE_LIT("1"));
			header = ok;
		} else if (slice_eq(kind, SLICE_LIT("file"))) {
			struct report_state_file f;
			memset(&f, 0, sizeof f);
			struct slice path;
			ok = num_u(&rest, &f.dev) && num_u(&rest, &f.ino) && num_u(&rest, &f.offset) &&
			     num_u(&rest, &f.head_len) && hex64(&rest, &f.head_hash) &&
			     num_i(&rest, &f.last_seen) && field(&rest, &path);
			if (ok) {
				f.path = undo_path(st->a, path);
				if (!f.path.ptr || report_state_file_set(st, &f) != REPORT_STATE_OK)
					return REPORT_STATE_NOMEM;
			}
		} else if (slice_eq(kind, SLICE_LIT("domain"))) {
			struct slice d;
			int64_t t;
			ok = field(&rest, &d) && num_i(&rest, &t);
			if (ok) {
				d = undo_path(st->a, d);
				if (!d.ptr || report_state_set_watermark(st, d, t) != REPORT_STATE_OK)
					return REPORT_STATE_NOMEM;
			}
		}
		if (!ok) {
			if (errlen)
				snprintf(err, errlen, "line %u: %s", lineno,
				         header ? "malformed entry" : "not a mailauth-report state file");
			return REPORT_STATE_SYNTAX;
		}
	}
	return REPORT_STATE_OK;
}
