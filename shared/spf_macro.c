/* spf_macro.c — SPF macro syntax check and expansion (RFC 7208 section 7,
 * ABNF in section 12).  See spf_macro.h for the grammar and the decisions.
 *
 * One recognizer walks a macro-string token by token; both the syntax check
 * and the expansion use it, so they cannot disagree.  Output is bounded by
 * SPF_MAX_EXPANSION; the part list of a transformed value is sized by the
 * value, which the evaluator bounds (identities and names are short).
 * Ownership: results live in the caller's arena. */
#include "spf_macro.h"

#include <string.h>

#include "mailauth_limits.h"

/* Digits in a transformer above this count as "all parts" anyway: a value
 * never has more parts than bytes, and values stay below this. */
#define MACRO_DIGIT_CAP 100000u

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_alnum(char c)
{
	return is_alpha(c) || (c >= '0' && c <= '9');
}

static bool is_delim(char c)
{
	return c == '.' || c == '-' || c == '+' || c == ',' || c == '/' || c == '_' || c == '=';
}

static char lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
}

bool spf_macro_is_toplabel(struct slice t)
{
	/* ( *alphanum ALPHA *alphanum ) / ( 1*alphanum "-" *( alphanum / "-" ) alphanum ) */
	bool alpha = false, hyphen = false;
	if (t.len == 0)
		return false;
	for (size_t i = 0; i < t.len; i++) {
		char c = t.ptr[i];
		if (is_alpha(c))
			alpha = true;
		else if (c == '-')
			hyphen = true;
		else if (!is_alnum(c))
			return false;
	}
	if (!hyphen)
		return alpha;
	return is_alnum(t.ptr[0]) && is_alnum(t.ptr[t.len - 1]);
}

/* One token of a macro-string. */
enum tok_kind { TOK_LITERAL, TOK_PERCENT, TOK_SPACE, TOK_URLSPACE, TOK_MACRO };

struct tok {
	enum tok_kind kind;
	char byte;          /* TOK_LITERAL */
	char letter;        /* TOK_MACRO: as written (case = URL escaping) */
	unsigned digits;    /* 0: not given */
	bool reverse;
	struct slice delims; /* empty: default "." */
	size_t len;         /* bytes consumed */
};

static bool letter_ok(char c, enum spf_macro_mode mode)
{
	switch (lower(c)) {
	case 's': case 'l': case 'o': case 'd': case 'i': case 'p': case 'v': case 'h':
		return true;
	case 'c': case 'r': case 't':
		/* RFC 7208 7.1: "allowed only in "exp" text". */
		return mode == SPF_MACRO_EXPLAIN;
	default:
		return false;
	}
}

/* Read one token at p (p < end).  Returns false with *why on a syntax
 * error. */
static bool next_tok(const char *p, const char *end, enum spf_macro_mode mode, struct tok *t,
                     const char **why)
{
	memset(t, 0, sizeof *t);
	unsigned char c = (unsigned char)*p;
	if (c != '%') {
		if (c == ' ' && mode == SPF_MACRO_EXPLAIN) {
			t->kind = TOK_LITERAL;
			t->byte = ' ';
			t->len = 1;
			return true;
		}
		if (c < 0x21 || c > 0x7e) {
			*why = c >= 0x80 ? "non-ASCII byte" : (c == ' ' ? "space" : "control byte");
			return false;
		}
		t->kind = TOK_LITERAL;
		t->byte = (char)c;
		t->len = 1;
		return true;
	}
	if (p + 1 >= end) {
		*why = "'%' at the end";
		return false;
	}
	switch (p[1]) {
	case '%':
		t->kind = TOK_PERCENT;
		t->len = 2;
		return true;
	case '_':
		t->kind = TOK_SPACE;
		t->len = 2;
		return true;
	case '-':
		t->kind = TOK_URLSPACE;
		t->len = 2;
		return true;
	case '{':
		break;
	default:
		*why = "'%' not followed by '{', '%', '_' or '-'";
		return false;
	}
	const char *q = p + 2;
	if (q >= end || !letter_ok(*q, mode)) {
		*why = (q < end && letter_ok(*q, SPF_MACRO_EXPLAIN)) ? "macro letter c, r or t outside exp text"
		                                                     : "unknown macro letter";
		return false;
	}
	t->kind = TOK_MACRO;
	t->letter = *q++;
	bool have_digits = false;
	unsigned d = 0;
	while (q < end && *q >= '0' && *q <= '9') {
		have_digits = true;
		if (d < MACRO_DIGIT_CAP)
			d = d * 10 + (unsigned)(*q - '0');
		q++;
	}
	if (have_digits && d == 0) {
		*why = "macro transformer digit 0";
		return false;
	}
	t->digits = d;
	if (q < end && (*q == 'r' || *q == 'R')) {
		t->reverse = true;
		q++;
	}
	const char *ds = q;
	while (q < end && is_delim(*q))
		q++;
	t->delims = slice_between(ds, q);
	if (q >= end || *q != '}') {
		*why = "malformed macro (missing '}' or bad transformer)";
		return false;
	}
	q++;
	t->len = (size_t)(q - p);
	return true;
}

bool spf_macro_valid(struct slice s, enum spf_macro_mode mode, const char **why)
{
	const char *dummy;
	if (!why)
		why = &dummy;
	const char *p = s.ptr, *end = s.ptr + s.len;
	bool last_macro = false;
	struct tok t;
	if (s.len == 0 && mode == SPF_MACRO_DOMAIN) {
		*why = "empty domain-spec";
		return false;
	}
	while (p < end) {
		if (!next_tok(p, end, mode, &t, why))
			return false;
		last_macro = t.kind != TOK_LITERAL;
		p += t.len;
	}
	if (mode != SPF_MACRO_DOMAIN)
		return true;
	/* domain-end = ( "." toplabel [ "." ] ) / macro-expand */
	if (last_macro)
		return true;
	struct slice u = s;
	if (u.len && u.ptr[u.len - 1] == '.')
		u.len--;
	size_t i = u.len;
	while (i > 0 && u.ptr[i - 1] != '.')
		i--;
	if (i == 0 || !spf_macro_is_toplabel(slice_sub(u, i, u.len))) {
		*why = "domain-spec does not end in a valid top label or a macro";
		return false;
	}
	return true;
}

bool spf_macro_uses_p(struct slice s)
{
	for (size_t i = 0; i + 2 < s.len; i++)
		if (s.ptr[i] == '%' && s.ptr[i + 1] == '{' && lower(s.ptr[i + 2]) == 'p')
			return true;
	return false;
}

/* Bounded output with a distinguishable "too long". */
struct out {
	struct buf b;
	bool toolong;
};

static void out_byte(struct out *o, char c)
{
	if (o->b.len >= SPF_MAX_EXPANSION) {
		o->toolong = true;
		return;
	}
	buf_add_byte(&o->b, c);
}

static bool unreserved(char c)
{
	return is_alnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

static void out_value_byte(struct out *o, char c, bool escape)
{
	static const char HX[] = "0123456789ABCDEF";
	if (!escape || unreserved(c)) {
		out_byte(o, c);
		return;
	}
	unsigned char u = (unsigned char)c;
	out_byte(o, '%');
	out_byte(o, HX[u >> 4]);
	out_byte(o, HX[u & 0xf]);
}

static struct slice var_of(const struct spf_macro_vars *v, char letter)
{
	switch (lower(letter)) {
	case 's': return v->s;
	case 'l': return v->l;
	case 'o': return v->o;
	case 'd': return v->d;
	case 'i': return v->i;
	case 'p': return v->p;
	case 'v': return v->v;
	case 'h': return v->h;
	case 'c': return v->c;
	case 'r': return v->r;
	case 't': return v->t;
	default: return SLICE_NULL;
	}
}

static bool in_set(char c, struct slice set)
{
	if (set.len == 0)
		return c == '.';
	return slice_find_byte(set, c) != NULL;
}

/* Expand one %{...} into o.  Returns false only when out of memory. */
static bool expand_macro(struct arena *a, const struct tok *t, const struct spf_macro_vars *v,
                         struct out *o)
{
	struct slice val = var_of(v, t->letter);
	bool escape = t->letter >= 'A' && t->letter <= 'Z';

	if (!t->digits && !t->reverse && t->delims.len == 0) {
		/* Splitting at "." and joining with "." changes nothing. */
		for (size_t i = 0; i < val.len && !o->toolong; i++)
			out_value_byte(o, val.ptr[i], escape);
		return true;
	}
	size_t nparts = 1;
	for (size_t i = 0; i < val.len; i++)
		if (in_set(val.ptr[i], t->delims))
			nparts++;
	struct slice *parts = arena_calloc(a, nparts, sizeof *parts);
	if (!parts)
		return false;
	size_t k = 0, start = 0;
	for (size_t i = 0; i <= val.len; i++) {
		if (i == val.len || in_set(val.ptr[i], t->delims)) {
			parts[k++] = slice_sub(val, start, i);
			start = i + 1;
		}
	}
	if (t->reverse) {
		for (size_t i = 0; i < nparts / 2; i++) {
			struct slice tmp = parts[i];
			parts[i] = parts[nparts - 1 - i];
			parts[nparts - 1 - i] = tmp;
		}
	}
	size_t first = 0;
	if (t->digits && t->digits < nparts)
		first = nparts - t->digits;
	for (size_t i = first; i < nparts && !o->toolong; i++) {
		if (i > first)
			out_value_byte(o, '.', escape);
		for (size_t j = 0; j < parts[i].len && !o->toolong; j++)
			out_value_byte(o, parts[i].ptr[j], escape);
	}
	return true;
}

enum spf_macro_status spf_macro_expand(struct arena *a, struct slice s, enum spf_macro_mode mode,
                                       const struct spf_macro_vars *v, struct slice *out)
{
	if (!spf_macro_valid(s, mode, NULL))
		return SPF_MACRO_SYNTAX;
	struct out o;
	memset(&o, 0, sizeof o);
	/* The buf's own cap is above ours, so its err means memory only. */
	buf_init(&o.b, a, SPF_MAX_EXPANSION + 16);
	const char *p = s.ptr, *end = s.ptr + s.len;
	const char *why;
	struct tok t;
	while (p < end && !o.toolong) {
		if (!next_tok(p, end, mode, &t, &why))
			return SPF_MACRO_SYNTAX;
		switch (t.kind) {
		case TOK_LITERAL:
			out_byte(&o, t.byte);
			break;
		case TOK_PERCENT:
			out_byte(&o, '%');
			break;
		case TOK_SPACE:
			out_byte(&o, ' ');
			break;
		case TOK_URLSPACE:
			out_byte(&o, '%');
			out_byte(&o, '2');
			out_byte(&o, '0');
			break;
		case TOK_MACRO:
			if (!expand_macro(a, &t, v, &o))
				return SPF_MACRO_NOMEM;
			break;
		}
		p += t.len;
	}
	if (o.toolong)
		return SPF_MACRO_TOOLONG;
	if (o.b.err)
		return SPF_MACRO_NOMEM;
	struct slice r = buf_slice(&o.b);
	if (mode == SPF_MACRO_DOMAIN) {
		if (r.len && r.ptr[r.len - 1] == '.')
			r.len--;
		if (r.len > 253) {
			/* RFC 7208 7.3: drop labels from the left until it fits. */
			for (size_t i = r.len - 254; i < r.len; i++) {
				if (r.ptr[i] == '.') {
					r = slice_sub(r, i + 1, r.len);
					break;
				}
			}
		}
		/* Keep the result NUL-terminated for logging convenience. */
		r = arena_slice_dup(a, r);
		if (!r.ptr)
			return SPF_MACRO_NOMEM;
	}
	if (!r.ptr) {
		/* Empty output: give a valid empty string. */
		r = arena_slice_dup(a, SLICE_LIT(""));
		if (!r.ptr)
			return SPF_MACRO_NOMEM;
	}
	*out = r;
	return SPF_MACRO_OK;
}
