/* dns_zone.c — reading the zone file of the resolver spec "zone:/path";
 * see dns_zone.h, and dns.h for the format.
 *
 * RFC 1035 5.1 (presentation format: character-strings, \X and \DDD
 * escapes, ';' comments), RFC 1035 2.3.4 / 3.3 (name, label and
 * character-string lengths), RFC 2181 8 (TTL range).
 *
 * The records we decode ourselves (A, AAAA, MX, PTR, CNAME, TXT) are checked
 * here and rewritten in a canonical form, so a mistake is reported with its
 * line before unbound sees it; other types are passed to unbound as written
 * and unbound's verdict is reported with the line by dns.c.  Every byte is
 * read through slices; the file is never treated as a C string.
 */
#include "dns_zone.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mailauth_limits.h"

/* The TTL unbound's local-data gives a record written without one. */
#define DNS_ZONE_DEFAULT_TTL 3600

struct zone_tok {
	struct slice raw;        /* between the quotes for a quoted token */
	const char *start, *end; /* as written, quotes included */
	bool quoted;
};

struct zone_parser {
	struct arena *a;
	const char *fname;
	unsigned line;
	char *err;
	size_t errlen;
	struct dns_zone *z;
	size_t cap_rr, cap_timeout;
	struct zone_tok *tok;
	size_t ntok, cap_tok;
	struct slice *names;
	size_t nnames, cap_names;
};

static bool zone_fail(struct zone_parser *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static bool zone_fail(struct zone_parser *p, const char *fmt, ...)
{
	if (!p->err || !p->errlen)
		return false;
	int n = snprintf(p->err, p->errlen, "zone file %s line %u: ", p->fname, p->line);
	if (n < 0 || (size_t)n >= p->errlen)
		return false;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return false;
}

static bool zone_nomem(struct zone_parser *p)
{
	return zone_fail(p, "out of memory");
}

/* A token for a message: printable ASCII kept, other bytes as \xHH,
 * truncated.  Never NULL. */
static const char *zone_show(struct zone_parser *p, struct slice s)
{
	struct buf b;
	buf_init(&b, p->a, 4 * DNS_ZONE_SHOW_MAX + 8);
	for (size_t i = 0; i < s.len && i < DNS_ZONE_SHOW_MAX; i++) {
		unsigned char c = (unsigned char)s.ptr[i];
		if (c >= 0x20 && c < 0x7f && c != '\\')
			buf_add_byte(&b, (char)c);
		else
			buf_addf(&b, "\\x%02x", c);
	}
	if (s.len > DNS_ZONE_SHOW_MAX)
		buf_add_cstr(&b, "...");
	return buf_cstr(&b);
}

/* Grow an arena array of elements of size sz to hold at least need. */
static bool zone_grow(struct arena *a, void **arr, size_t *cap, size_t need, size_t sz)
{
	if (need <= *cap)
		return true;
	size_t ncap = *cap ? *cap * 2 : 16;
	while (ncap < need)
		ncap *= 2;
	if (ncap > SIZE_MAX / sz)
		return false;
	void *n = arena_realloc(a, *arr, *cap * sz, ncap * sz);
	if (!n)
		return false;
	*arr = n;
	*cap = ncap;
	return true;
}

static bool zone_is_ws(char c)
{
	return c == ' ' || c == '\t';
}

static bool zone_tokenize(struct zone_parser *p, struct slice line)
{
	const char *s = line.ptr, *e = line.ptr + line.len;
	p->ntok = 0;
	while (s < e) {
		while (s < e && zone_is_ws(*s))
			s++;
		if (s == e || *s == ';')
			break;
		struct zone_tok t;
		t.start = s;
		if (*s == '"') {
			const char *q = s + 1;
			while (q < e && *q != '"') {
				if (*q == '\\' && ++q == e)
					break;
				q++;
			}
			if (q >= e)
				return zone_fail(p, "unterminated quoted string");
			t.raw = slice_between(s + 1, q);
			t.quoted = true;
			s = q + 1;
		} else {
			const char *q = s;
			while (q < e && !zone_is_ws(*q) && *q != ';' && *q != '"') {
				if (*q == '(' || *q == ')')
					return zone_fail(p, "parentheses (records over several "
					                    "lines) are not supported");
				if (*q == '\\' && ++q == e)
					return zone_fail(p, "backslash at the end of the line");
				q++;
			}
			t.raw = slice_between(s, q);
			t.quoted = false;
			s = q;
		}
		t.end = s;
		if (!zone_grow(p->a, (void **)&p->tok, &p->cap_tok, p->ntok + 1, sizeof t))
			return zone_nomem(p);
		p->tok[p->ntok++] = t;
	}
	return true;
}

static bool zone_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool zone_name_byte_ok(unsigned char c)
{
	/* Printable ASCII that means nothing special to unbound's parsers
	 * (local-data and the quoted names of unbound.conf): no quote,
	 * backslash, comment or parenthesis.  The tokenizer already split at
	 * blanks.  Any other byte is written with an escape. */
	return c > 0x20 && c < 0x7f && c != '"' && c != '\\' && c != ';' && c != '(' && c != ')';
}

/* A name as written -> lower case, with the final dot (absolute: there is
 * no $ORIGIN), in one canonical presentation form: bytes zone_name_byte_ok()
 * accepts as themselves, every other byte of a label (blank, '.', '\\',
 * 8-bit, ...) as \DDD, which is how dns.c writes a name it asks for.  The
 * input may use the RFC 1035 5.1 escapes \DDD and \X for such bytes;
 * unescaped they are refused.  NULL after reporting the problem. */
static const char *zone_name(struct zone_parser *p, const struct zone_tok *t, const char *what)
{
	struct slice s = t->raw;
	if (t->quoted) {
		zone_fail(p, "%s \"%s\" must not be quoted", what, zone_show(p, s));
		return NULL;
	}
	if (s.len == 1 && s.ptr[0] == '.')
		return ".";
	if (s.len && s.ptr[0] == '@') {
		zone_fail(p, "'@' (the origin) is not supported: write the full %s", what);
		return NULL;
	}
	if (s.len == 0) {
		zone_fail(p, "empty %s", what);
		return NULL;
	}
	struct buf out;
	buf_init(&out, p->a, 4 * s.len + 2);
	size_t wire = 1, label = 0;
	for (size_t i = 0; i < s.len;) {
		unsigned char c = (unsigned char)s.ptr[i++];
		bool escaped = false;
		if (c == '\\') {
			/* RFC 1035 5.1: \X is X itself, \DDD the octet DDD. */
			if (i >= s.len) {
				zone_fail(p, "backslash at the end of %s %s", what, zone_show(p, s));
				return NULL;
			}
			if (zone_digit(s.ptr[i])) {
				if (s.len - i < 3 || !zone_digit(s.ptr[i + 1]) || !zone_digit(s.ptr[i + 2])) {
					zone_fail(p, "\\DDD escape needs exactly three digits in %s %s",
					          what, zone_show(p, s));
					return NULL;
				}
				unsigned v = (unsigned)(s.ptr[i] - '0') * 100 +
				             (unsigned)(s.ptr[i + 1] - '0') * 10 + (unsigned)(s.ptr[i + 2] - '0');
				if (v > 255) {
					zone_fail(p, "escape \\%s is above 255 in %s %s",
					          zone_show(p, slice_make(s.ptr + i, 3)), what, zone_show(p, s));
					return NULL;
				}
				c = (unsigned char)v;
				i += 3;
			} else {
				c = (unsigned char)s.ptr[i++];
			}
			escaped = true;
		}
		if (c == '.' && !escaped) {
			if (label == 0) {
				zone_fail(p, "empty label in %s %s", what, zone_show(p, s));
				return NULL;
			}
			wire += label + 1;
			label = 0;
			buf_add_byte(&out, '.');
			continue;
		}
		if (!escaped && !zone_name_byte_ok(c)) {
			zone_fail(p, "character '%s' is not allowed in %s %s (write it as \\DDD)",
			          zone_show(p, slice_make(s.ptr + i - 1, 1)), what, zone_show(p, s));
			return NULL;
		}
		if (++label > DNS_MAX_LABEL) {
			zone_fail(p, "label longer than %d octets in %s %s", DNS_MAX_LABEL, what,
			          zone_show(p, s));
			return NULL;
		}
		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c + 32);
		if (c != '.' && zone_name_byte_ok(c))
			buf_add_byte(&out, (char)c);
		else
			buf_addf(&out, "\\%03u", c);
	}
	if (label) {
		wire += label + 1;
		buf_add_byte(&out, '.');
	}
	if (out.err) {
		zone_nomem(p);
		return NULL;
	}
	if (wire > DNS_MAX_NAME) {
		zone_fail(p, "%s %s is longer than %d octets", what, zone_show(p, s), DNS_MAX_NAME);
		return NULL;
	}
	return buf_cstr(&out);
}

/* Remember name and all its ancestors below the root (see dns_zone.h). */
static bool zone_note_name(struct zone_parser *p, const char *name)
{
	struct slice n = slice_from_cstr(name); /* our own lower-cased copy */
	while (n.len > 1) {
		if (!zone_grow(p->a, (void **)&p->names, &p->cap_names, p->nnames + 1,
		               sizeof *p->names))
			return zone_nomem(p);
		p->names[p->nnames++] = n;
		const char *dot = slice_find_byte(n, '.');
		n = slice_sub(n, (size_t)(dot - n.ptr) + 1, n.len);
	}
	return true;
}

static int zone_name_cmp(const void *a, const void *b)
{
	const struct slice *x = a, *y = b;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return memcmp(x->ptr, y->ptr, x->len);
}

/* For our own lower-cased, NUL-terminated names. */
static int zone_cstr_cmp(const void *a, const void *b)
{
	struct slice x = slice_from_cstr(*(const char *const *)a);
	struct slice y = slice_from_cstr(*(const char *const *)b);
	return zone_name_cmp(&x, &y);
}

/* One character-string (RFC 1035 5.1): unescape, check the 255-octet limit
 * (RFC 1035 3.3), and write it quoted, re-escaped, into out. */
static bool zone_charstring(struct zone_parser *p, const struct zone_tok *t, struct buf *out,
                            size_t *octets)
{
	struct slice r = t->raw;
	size_t n = 0;
	buf_add_byte(out, '"');
	for (size_t i = 0; i < r.len;) {
		unsigned char c = (unsigned char)r.ptr[i++];
		if (c == '\\') {
			if (i >= r.len)
				return zone_fail(p, "backslash at the end of a string");
			if (zone_digit(r.ptr[i])) {
				if (r.len - i < 3 || !zone_digit(r.ptr[i + 1]) || !zone_digit(r.ptr[i + 2]))
					return zone_fail(p, "\\DDD escape needs exactly three digits");
				unsigned v = (unsigned)(r.ptr[i] - '0') * 100 +
				             (unsigned)(r.ptr[i + 1] - '0') * 10 + (unsigned)(r.ptr[i + 2] - '0');
				if (v > 255)
					return zone_fail(p, "escape \\%s is above 255",
					                 zone_show(p, slice_make(r.ptr + i, 3)));
				c = (unsigned char)v;
				i += 3;
			} else {
				c = (unsigned char)r.ptr[i++];
			}
		}
		n++;
		if (c == '"' || c == '\\') {
			buf_add_byte(out, '\\');
			buf_add_byte(out, (char)c);
		} else if (c >= 0x20 && c < 0x7f) {
			buf_add_byte(out, (char)c);
		} else {
			buf_addf(out, "\\%03u", c);
		}
	}
	if (n > DNS_MAX_CHARSTRING)
		return zone_fail(p, "character-string of %zu octets is longer than %d (split it "
		                    "into several quoted strings)", n, DNS_MAX_CHARSTRING);
	buf_add_byte(out, '"');
	*octets = n;
	return true;
}

static bool zone_addr(struct zone_parser *p, const struct zone_tok *t, int af, const char *type)
{
	if (t->quoted || t->raw.len > INET6_ADDRSTRLEN)
		return zone_fail(p, "bad %s address %s", type, zone_show(p, t->raw));
	unsigned char bin[16];
	char *c = arena_strndup(p->a, t->raw.ptr, t->raw.len);
	if (!c)
		return zone_nomem(p);
	if (inet_pton(af, c, bin) != 1)
		return zone_fail(p, "bad %s address %s", type, zone_show(p, t->raw));
	return true;
}

static bool zone_type_word_ok(struct slice s)
{
	if (s.len == 0 || s.len > 16)
		return false;
	for (size_t i = 0; i < s.len; i++) {
		char c = s.ptr[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || zone_digit(c)))
			return false;
	}
	return true;
}

static bool zone_add_rr(struct zone_parser *p, const char *owner, const char *text, bool cname)
{
	if (!zone_grow(p->a, (void **)&p->z->rr, &p->cap_rr, p->z->nrr + 1, sizeof *p->z->rr))
		return zone_nomem(p);
	struct dns_zone_rr *rr = &p->z->rr[p->z->nrr++];
	rr->line = p->line;
	rr->text = text;
	rr->owner = owner;
	rr->cname = cname;
	return true;
}

/* Records by owner, then by line. */
static int zone_rr_cmp(const void *a, const void *b)
{
	const struct dns_zone_rr *x = *(const struct dns_zone_rr *const *)a;
	const struct dns_zone_rr *y = *(const struct dns_zone_rr *const *)b;
	struct slice sx = slice_from_cstr(x->owner), sy = slice_from_cstr(y->owner);
	int c = zone_name_cmp(&sx, &sy);
	if (c)
		return c;
	return x->line < y->line ? -1 : x->line > y->line;
}

/* RFC 2181 10.1: a name with a CNAME has no other data (RFC 1034 3.6.2: and
 * only one CNAME).  unbound would accept both and answer inconsistently. */
static bool zone_check_cnames(struct zone_parser *p)
{
	struct dns_zone *z = p->z;
	if (z->nrr < 2)
		return true;
	const struct dns_zone_rr **idx = arena_calloc(p->a, z->nrr, sizeof *idx);
	if (!idx)
		return zone_nomem(p);
	for (size_t i = 0; i < z->nrr; i++)
		idx[i] = &z->rr[i];
	qsort(idx, z->nrr, sizeof *idx, zone_rr_cmp);
	for (size_t i = 0; i < z->nrr;) {
		size_t j = i;
		bool cname = false;
		while (j < z->nrr && slice_eq(slice_from_cstr(idx[j]->owner),
		                              slice_from_cstr(idx[i]->owner)))
			cname |= idx[j++]->cname;
		if (cname && j - i > 1) {
			p->line = idx[i + 1]->line;
			return zone_fail(p, "%s has a CNAME and other records (RFC 2181 10.1)",
			                 idx[i]->owner);
		}
		i = j;
	}
	return true;
}

static bool zone_line(struct zone_parser *p, struct slice line)
{
	if (slice_find_byte(line, '\0'))
		return zone_fail(p, "NUL byte in the line");
	/* Comments: '#' or ';' first on the line, whatever follows (';'
	 * anywhere else outside a quoted string is handled by the tokenizer). */
	struct slice t = slice_trim_ws(line);
	if (t.len == 0 || t.ptr[0] == '#' || t.ptr[0] == ';')
		return true;
	if (!zone_tokenize(p, line))
		return false;
	if (p->ntok == 0)
		return true;
	if (!p->tok[0].quoted && p->tok[0].raw.len && p->tok[0].raw.ptr[0] == '$')
		return zone_fail(p, "directives such as $ORIGIN and $TTL are not supported");

	const char *owner = zone_name(p, &p->tok[0], "name");
	if (!owner)
		return false;
	size_t i = 1;
	uint64_t ttl = DNS_ZONE_DEFAULT_TTL;
	bool have_ttl = false, have_class = false;
	while (i < p->ntok && !p->tok[i].quoted) {
		struct slice w = p->tok[i].raw;
		if (!have_ttl && w.len && zone_digit(w.ptr[0])) {
			if (!slice_parse_u64(w, DNS_MAX_TTL, &ttl))
				return zone_fail(p, "bad TTL %s", zone_show(p, w));
			have_ttl = true;
		} else if (!have_class && slice_eq_cstr_ci(w, "IN")) {
			have_class = true;
		} else if (slice_eq_cstr_ci(w, "CH") || slice_eq_cstr_ci(w, "HS") ||
		           slice_eq_cstr_ci(w, "CS") || slice_eq_cstr_ci(w, "ANY")) {
			return zone_fail(p, "only class IN is supported");
		} else {
			break;
		}
		i++;
	}
	if (i >= p->ntok)
		return zone_fail(p, "record type missing after %s", zone_show(p, p->tok[0].raw));
	const struct zone_tok *tt = &p->tok[i];
	struct slice type = tt->raw;
	const struct zone_tok *rd = &p->tok[i + 1];
	size_t nrd = p->ntok - i - 1;

	if (!tt->quoted && slice_eq_cstr_ci(type, "TIMEOUT")) {
		if (nrd)
			return zone_fail(p, "nothing may follow TIMEOUT");
		if (!zone_grow(p->a, (void **)&p->z->timeout, &p->cap_timeout, p->z->ntimeout + 1,
		               sizeof *p->z->timeout))
			return zone_nomem(p);
		p->z->timeout[p->z->ntimeout++] = owner;
		return zone_note_name(p, owner);
	}
	if (tt->quoted || !zone_type_word_ok(type))
		return zone_fail(p, "bad record type %s", zone_show(p, type));
	if (nrd == 0)
		return zone_fail(p, "%s record without data", zone_show(p, type));

	struct buf b;
	buf_init(&b, p->a, line.len * 4 + DNS_MAX_NAME + 64);
	buf_addf(&b, "%s %u IN ", owner, (unsigned)ttl);
	for (size_t k = 0; k < type.len; k++) {
		char c = type.ptr[k];
		buf_add_byte(&b, (c >= 'a' && c <= 'z') ? (char)(c - 32) : c);
	}
	buf_add_byte(&b, ' ');

	if (slice_eq_cstr_ci(type, "A") || slice_eq_cstr_ci(type, "AAAA")) {
		bool v4 = type.len == 1;
		if (nrd != 1)
			return zone_fail(p, "%s takes one address", v4 ? "A" : "AAAA");
		if (!zone_addr(p, &rd[0], v4 ? AF_INET : AF_INET6, v4 ? "IPv4" : "IPv6"))
			return false;
		buf_add_slice(&b, rd[0].raw);
	} else if (slice_eq_cstr_ci(type, "MX")) {
		uint64_t pref;
		if (nrd != 2)
			return zone_fail(p, "MX takes a preference and a name");
		if (rd[0].quoted || !slice_parse_u64(rd[0].raw, 65535, &pref))
			return zone_fail(p, "bad MX preference %s", zone_show(p, rd[0].raw));
		const char *ex = zone_name(p, &rd[1], "MX exchange");
		if (!ex)
			return false;
		buf_addf(&b, "%u %s", (unsigned)pref, ex);
	} else if (slice_eq_cstr_ci(type, "PTR") || slice_eq_cstr_ci(type, "CNAME")) {
		if (nrd != 1)
			return zone_fail(p, "%s takes one name", type.len == 3 ? "PTR" : "CNAME");
		const char *target = zone_name(p, &rd[0], "target");
		if (!target)
			return false;
		buf_add_cstr(&b, target);
	} else if (slice_eq_cstr_ci(type, "TXT")) {
		size_t total = 0;
		for (size_t k = 0; k < nrd; k++) {
			if (k)
				buf_add_byte(&b, ' ');
			size_t n = 0;
			if (!zone_charstring(p, &rd[k], &b, &n))
				return false;
			total += n + 1;
		}
		if (total > DNS_MAX_RDATA)
			return zone_fail(p, "TXT data longer than %d octets", DNS_MAX_RDATA);
	} else {
		/* Passed to unbound as written; it reports what it rejects. */
		buf_add_slice(&b, slice_between(rd[0].start, rd[nrd - 1].end));
	}
	if (b.err)
		return zone_nomem(p);
	const char *text = buf_cstr(&b);
	return zone_add_rr(p, owner, text, slice_eq_cstr_ci(type, "CNAME")) &&
	       zone_note_name(p, owner);
}

bool dns_zone_parse(struct arena *a, struct slice text, const char *fname, struct dns_zone *z,
                    char *err, size_t errlen)
{
	struct zone_parser p;
	memset(&p, 0, sizeof p);
	memset(z, 0, sizeof *z);
	p.a = a;
	p.fname = fname ? fname : "(memory)";
	p.err = err;
	p.errlen = errlen;
	p.z = z;
	if (err && errlen)
		err[0] = '\0';

	struct slice rest = text, line;
	while (rest.len) {
		p.line++;
		/* Without a '\n', line is the rest and rest becomes empty. */
		(void)slice_split_byte(rest, '\n', &line, &rest);
		if (line.len && line.ptr[line.len - 1] == '\r')
			line.len--;
		if (!zone_line(&p, line))
			return false;
	}

	if (!zone_check_cnames(&p))
		return false;

	/* Each TIMEOUT name once: unbound refuses a second local-zone of the
	 * same name. */
	if (z->ntimeout > 1) {
		qsort(z->timeout, z->ntimeout, sizeof *z->timeout, zone_cstr_cmp);
		size_t k = 1;
		for (size_t j = 1; j < z->ntimeout; j++)
			if (zone_cstr_cmp(&z->timeout[j - 1], &z->timeout[j]) != 0)
				z->timeout[k++] = z->timeout[j];
		z->ntimeout = k;
	}

	/* Deduplicate the served names. */
	if (p.nnames)
		qsort(p.names, p.nnames, sizeof *p.names, zone_name_cmp);
	z->names = arena_calloc(a, p.nnames ? p.nnames : 1, sizeof *z->names);
	if (!z->names)
		return zone_nomem(&p);
	for (size_t k = 0; k < p.nnames; k++)
		if (k == 0 || zone_name_cmp(&p.names[k - 1], &p.names[k]) != 0)
			z->names[z->nnames++] = p.names[k].ptr; /* suffix of a C string */
	return true;
}

bool dns_zone_load(struct arena *a, const char *path, struct dns_zone *z, char *err,
                   size_t errlen)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "cannot open zone file %s: %s", path, strerror(errno));
		return false;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "zone file %s is not a regular file", path);
		close(fd);
		return false;
	}
	if ((uint64_t)st.st_size > DNS_ZONE_MAX_BYTES) {
		snprintf(err, errlen, "zone file %s is larger than %u bytes (DNS_ZONE_MAX_BYTES)", path,
		         (unsigned)DNS_ZONE_MAX_BYTES);
		close(fd);
		return false;
	}
	size_t want = (size_t)st.st_size, have = 0;
	char *data = arena_alloc(a, want + 1);
	if (!data) {
		snprintf(err, errlen, "zone file %s: out of memory", path);
		close(fd);
		return false;
	}
	while (have < want) {
		ssize_t r = read(fd, data + have, want - have);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			snprintf(err, errlen, "cannot read zone file %s: %s", path, strerror(errno));
			close(fd);
			return false;
		}
		if (r == 0)
			break; /* shrank meanwhile: parse what is there */
		have += (size_t)r;
	}
	close(fd);
	return dns_zone_parse(a, slice_make(data, have), path, z, err, errlen);
}
