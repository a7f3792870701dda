/* msg.c — the message model (RFC 5322 2.1, 2.2, 2.2.3, 3.6.8); see msg.h.
 *
 * The parser walks the input once, line by line (memchr for LF), and only
 * records where fields start and end; it never copies message bytes.  A
 * line end is LF with an optional CR before it, so CRLF input (wire format,
 * spool_wireformat) and LF input (Exim's spool) give the same fields.  The
 * body is located, never scanned.  The struct msg and everything in it are
 * owned by the caller's arena; the bytes by whoever owns the input.
 */
#include "msg.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mailauth_limits.h"

/* Initial size of the header array; it doubles as needed. */
#define MSG_INITIAL_HEADERS 32
/* First buffer for msg_load_file on a pipe (size unknown); doubles. */
#define MSG_LOAD_CHUNK (64u * 1024)

static bool msg_is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

/* RFC 5322 3.6.8: ftext = %d33-57 / %d59-126 (printable except ':'). */
static bool msg_is_ftext(char ch)
{
	unsigned char c = (unsigned char)ch;
	return c >= 33 && c <= 126 && c != ':';
}

void msg_init(struct msg *m, struct arena *a)
{
	memset(m, 0, sizeof *m);
	m->arena = a;
	m->body = slice_make("", 0);
}

/* Locate name and value inside one field's raw bytes.  The colon must be on
 * the first physical line: RFC 5322 allows only WSP (obs-optional), not a
 * fold, between the name and ':'.  Scanning stops at the first byte that is
 * neither ftext nor WSP, so it never leaves the first line. */
static void msg_classify(struct msg_header *h, struct slice raw)
{
	const char *p = raw.ptr, *end = raw.ptr + raw.len;
	h->raw = raw;
	h->name = slice_make(raw.ptr, 0);
	h->value = slice_make(end, 0);
	while (p < end && msg_is_ftext(*p))
		p++;
	const char *name_end = p;
	while (p < end && msg_is_wsp(*p))
		p++;
	if (name_end == raw.ptr || p == end || *p != ':')
		return; /* malformed: the caller counts it */
	h->name = slice_between(raw.ptr, name_end);
	h->value = slice_between(p + 1, end);
}

/* Append a field whose limits were already checked (except the count). */
static enum msg_status msg_push(struct msg *m, struct slice raw)
{
	if (m->nhdr >= MSG_MAX_HEADERS)
		return MSG_E_TOO_MANY_HEADERS;
	if (m->nhdr == m->cap) {
		size_t ncap = m->cap ? m->cap * 2 : MSG_INITIAL_HEADERS;
		if (ncap > MSG_MAX_HEADERS)
			ncap = MSG_MAX_HEADERS;
		struct msg_header *nh = arena_realloc(m->arena, m->hdr, m->cap * sizeof *nh,
		                                      ncap * sizeof *nh);
		if (!nh)
			return MSG_E_NOMEM;
		m->hdr = nh;
		m->cap = ncap;
	}
	struct msg_header *h = &m->hdr[m->nhdr];
	msg_classify(h, raw);
	if (h->name.len == 0)
		m->malformed_lines++;
	m->nhdr++;
	return MSG_OK;
}

/* One physical line starting at p: *content_end is where its bytes end (the
 * CR of a CRLF or the LF excluded), *next where the following line starts.
 * Looks at most max_len + 2 bytes ahead; returns false when the line is
 * longer than max_len (its end is then not searched for). */
static bool msg_next_line(const char *p, const char *end, size_t max_len,
                          const char **content_end, const char **next)
{
	size_t avail = (size_t)(end - p);
	size_t look = avail < max_len + 2 ? avail : max_len + 2;
	const char *lf = look ? memchr(p, '\n', look) : NULL;
	const char *ce;
	if (lf) {
		ce = (lf > p && lf[-1] == '\r') ? lf - 1 : lf;
		*next = lf + 1;
	} else if (avail <= max_len) {
		/* Last line without a line end; a trailing CR is a bare CR. */
		ce = end;
		*next = end;
	} else {
		return false;
	}
	if ((size_t)(ce - p) > max_len)
		return false;
	*content_end = ce;
	return true;
}

enum msg_status msg_parse(struct msg *m, struct arena *a, struct slice raw)
{
	msg_init(m, a);
	if (!raw.ptr) {
		m->no_separator = true;
		return MSG_OK;
	}
	const char *p = raw.ptr, *end = raw.ptr + raw.len;
	const char *field = NULL, *field_end = NULL;
	enum msg_status st;

	m->no_separator = true;
	while (p < end) {
		const char *ce, *next;
		if (!msg_next_line(p, end, MSG_MAX_LINE_BYTES, &ce, &next))
			return MSG_E_LINE_TOO_LONG;
		if (ce == p && next > p) {
			/* An empty line (LF or CRLF): the end of the header section
			 * (RFC 5322 2.1).  Not counted in header_bytes. */
			m->no_separator = false;
			m->body = slice_between(next, end);
			break;
		}
		size_t line_bytes = (size_t)(next - p);
		if (line_bytes > MSG_MAX_HEADER_BYTES - m->header_bytes ||
		    m->header_bytes > MSG_MAX_HEADER_BYTES)
			return MSG_E_HEADER_TOO_BIG;
		m->header_bytes += line_bytes;
		if (field && msg_is_wsp(*p)) {
			/* RFC 5322 2.2.3: a line starting with WSP continues the field. */
			field_end = ce;
		} else {
			if (field && (st = msg_push(m, slice_between(field, field_end))) != MSG_OK)
				return st;
			/* A WSP line here starts the message: there is nothing to
			 * continue, msg_classify marks it malformed. */
			field = p;
			field_end = ce;
		}
		p = next;
	}
	if (field && (st = msg_push(m, slice_between(field, field_end))) != MSG_OK)
		return st;
	if (m->no_separator)
		m->body = slice_make(end, 0);
	return MSG_OK;
}

enum msg_status msg_add_header(struct msg *m, struct slice raw_field)
{
	struct slice raw = raw_field;
	if (!raw.ptr)
		raw = slice_make("", 0);
	size_t total = raw.len;
	if (raw.len && raw.ptr[raw.len - 1] == '\n') {
		raw.len--;
		if (raw.len && raw.ptr[raw.len - 1] == '\r')
			raw.len--;
	}
	if (m->nhdr >= MSG_MAX_HEADERS)
		return MSG_E_TOO_MANY_HEADERS;
	if (total > MSG_MAX_HEADER_BYTES - m->header_bytes ||
	    m->header_bytes > MSG_MAX_HEADER_BYTES)
		return MSG_E_HEADER_TOO_BIG;
	/* Every physical line of the field against MSG_MAX_LINE_BYTES. */
	const char *p = raw.ptr, *end = raw.ptr + raw.len;
	while (p < end) {
		const char *ce, *next;
		if (!msg_next_line(p, end, MSG_MAX_LINE_BYTES, &ce, &next))
			return MSG_E_LINE_TOO_LONG;
		p = next;
	}
	enum msg_status st = msg_push(m, raw);
	if (st == MSG_OK)
		m->header_bytes += total;
	return st;
}

void msg_set_body(struct msg *m, struct slice body)
{
	m->body = body.ptr ? body : slice_make("", 0);
}

long msg_find_next(const struct msg *m, struct slice name, size_t *pos)
{
	if (name.len == 0) {
		*pos = m->nhdr;
		return -1;
	}
	for (size_t i = *pos; i < m->nhdr; i++) {
		if (slice_eq_ci(m->hdr[i].name, name)) {
			*pos = i + 1;
			return (long)i;
		}
	}
	*pos = m->nhdr;
	return -1;
}

long msg_find_prev(const struct msg *m, struct slice name, size_t *pos)
{
	size_t i = *pos < m->nhdr ? *pos : m->nhdr;
	if (name.len != 0) {
		while (i > 0) {
			i--;
			if (slice_eq_ci(m->hdr[i].name, name)) {
				*pos = i;
				return (long)i;
			}
		}
	}
	*pos = 0;
	return -1;
}

size_t msg_count(const struct msg *m, struct slice name)
{
	size_t n = 0, pos = 0;
	while (msg_find_next(m, name, &pos) >= 0)
		n++;
	return n;
}

struct slice msg_unfold(struct arena *a, struct slice value)
{
	if (value.len == SIZE_MAX)
		return SLICE_NULL;
	char *out = arena_alloc(a, value.len + 1);
	if (!out)
		return SLICE_NULL;
	const char *p = value.ptr, *end = value.ptr + value.len;
	size_t n = 0;
	while (p < end) {
		/* RFC 5322 2.2.3: remove a line end that is followed by WSP. */
		if (*p == '\r' && end - p >= 3 && p[1] == '\n' && msg_is_wsp(p[2])) {
			p += 2;
			continue;
		}
		if (*p == '\n' && end - p >= 2 && msg_is_wsp(p[1])) {
			p++;
			continue;
		}
		out[n++] = *p++;
	}
	out[n] = '\0';
	return slice_make(out, n);
}

static void msg_set_err(char *err, size_t errlen, const char *path, const char *what)
{
	if (err && errlen)
		snprintf(err, errlen, "%s: %s", path, what);
}

enum msg_status msg_load_file(struct msg *m, struct arena *a, const char *path,
                              char *err, size_t errlen)
{
	msg_init(m, a);
	if (err && errlen)
		err[0] = '\0';
	if (!path) {
		msg_set_err(err, errlen, "(null)", "no path given");
		return MSG_E_IO;
	}
	bool use_stdin = path[0] == '-' && path[1] == '\0';
	int fd = use_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		msg_set_err(err, errlen, path, strerror(errno));
		return MSG_E_IO;
	}
	struct stat st;
	size_t cap = MSG_LOAD_CHUNK;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size >= 0 &&
	    (unsigned long long)st.st_size < (unsigned long long)SIZE_MAX - 1)
		cap = (size_t)st.st_size + 1; /* one spare byte: EOF without growing */

	enum msg_status res = MSG_OK;
	size_t len = 0;
	char *buf = arena_alloc(a, cap);
	if (!buf) {
		msg_set_err(err, errlen, path, "does not fit in memory");
		res = MSG_E_NOMEM;
		goto out;
	}
	for (;;) {
		if (len == cap) {
			if (cap > SIZE_MAX / 2) {
				msg_set_err(err, errlen, path, "too large");
				res = MSG_E_NOMEM;
				goto out;
			}
			char *nb = arena_realloc(a, buf, len, cap * 2);
			if (!nb) {
				msg_set_err(err, errlen, path, "does not fit in memory");
				res = MSG_E_NOMEM;
				goto out;
			}
			buf = nb;
			cap *= 2;
		}
		ssize_t r = read(fd, buf + len, cap - len);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			msg_set_err(err, errlen, path, strerror(errno));
			res = MSG_E_IO;
			goto out;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
out:
	if (!use_stdin)
		close(fd);
	if (res != MSG_OK)
		return res;
	return msg_parse(m, a, slice_make(buf, len));
}

const char *msg_status_str(enum msg_status s)
{
	switch (s) {
	case MSG_OK:
		return "ok";
	case MSG_E_TOO_MANY_HEADERS:
		return "too many header fields (MSG_MAX_HEADERS)";
	case MSG_E_HEADER_TOO_BIG:
		return "header section too large (MSG_MAX_HEADER_BYTES)";
	case MSG_E_LINE_TOO_LONG:
		return "header line too long (MSG_MAX_LINE_BYTES)";
	case MSG_E_NOMEM:
		return "out of memory";
	case MSG_E_IO:
		return "input/output error";
	}
	return "unknown message status";
}

bool msg_is_field_name(struct slice s)
{
	if (s.len == 0)
		return false;
	for (size_t i = 0; i < s.len; i++)
		if (!msg_is_ftext(s.ptr[i]))
			return false;
	return true;
}

struct slice msg_first_value(struct arena *a, const struct msg *m, struct slice name)
{
	size_t pos = 0;
	long i = msg_find_next(m, name, &pos);
	if (i < 0)
		return SLICE_NULL;
	struct slice v = msg_unfold(a, m->hdr[i].value);
	return v.ptr ? slice_trim_ws(v) : SLICE_NULL;
}
