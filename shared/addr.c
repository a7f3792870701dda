/* addr.c — RFC 5322 address-list parser and Author Domain extraction; see
 * addr.h.
 *
 * RFC 5322 3.2.2 (FWS, comments, CFWS), 3.2.3 (atoms), 3.2.4 (quoted
 * strings), 3.2.5 (phrases), 3.4 and 3.4.1 (address specification), 3.6.2
 * (From), 4.2 and 4.4 (obsolete FWS and addressing); RFC 6532 3.2 (UTF-8 in
 * atext, qtext, ctext, dtext); RFC 6854 (groups in From); RFC 9989 5.3.1.
 *
 * Structure: a lexer turns the field into tokens (atom, quoted string,
 * domain literal, one special character), skipping CFWS, so comments can
 * never contribute an '@' or a '<'.  A recursive-descent parser with one
 * rule per ABNF production consumes the tokens.  The lexer never backs up
 * more than once per token (a local-part written with comments is re-read
 * once to join its words), so the whole parse is linear.  Every error is
 * sticky and ends the parse: there is no recovery and no partial result.
 */
#include "addr.h"

#include <string.h>

#include "domain.h"
#include "mailauth_limits.h"

/* ---- lexer ---- */

enum tok_kind {
	T_END,     /* end of the field */
	T_ATOM,    /* 1*atext (RFC 5322 3.2.3, UTF-8 per RFC 6532) */
	T_QSTR,    /* quoted-string, quotes included in the span */
	T_DLIT,    /* domain-literal "[...]" */
	T_SPECIAL, /* one of < > @ , ; : . */
	T_ERR,     /* a lexical error (sticky) */
};

struct tok {
	enum tok_kind kind;
	char c; /* the character of a T_SPECIAL */
	const char *start, *end;
};

struct lex {
	const char *base, *p, *end;
};

struct parser {
	struct lex lx;
	struct tok cur;
	struct arena *a;
	struct addr_list *out;
	size_t max_store;
	size_t cap;          /* allocated mailbox slots */
	unsigned group;      /* current group number, 0 outside */
	enum addr_status st; /* first error, sticky */
	const char *reason;
	const char *err_at;
};

static bool is_wsp(unsigned char c)
{
	return c == ' ' || c == '\t';
}

/* atext (RFC 5322 3.2.3) plus UTF8-non-ascii (RFC 6532 3.2).  8-bit bytes
 * are not validated as UTF-8 here: only domains matter, and
 * domain_normalize() refuses malformed UTF-8. */
static bool is_atext(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	if (c >= 0x80)
		return true;
	switch (c) {
	case '!': case '#': case '$': case '%': case '&': case '\'': case '*':
	case '+': case '-': case '/': case '=': case '?': case '^': case '_':
	case '`': case '{': case '|': case '}': case '~':
		return true;
	default:
		return false;
	}
}

static bool is_special(unsigned char c)
{
	return c == '<' || c == '>' || c == '@' || c == ',' || c == ';' || c == ':' || c == '.';
}

static void fail(struct parser *ps, enum addr_status st, const char *reason, const char *at)
{
	if (ps->st != ADDR_OK)
		return;
	ps->st = st;
	ps->reason = reason;
	ps->err_at = at;
	ps->cur.kind = T_ERR;
}

/* A line end inside the field is only legal as part of folding (RFC 5322
 * 3.2.2, obs-FWS 4.2): CRLF or LF followed by WSP.  A line end that closes
 * the value is tolerated too.  Returns the position after the line end, or
 * NULL when it is a bare line end inside the field. */
static const char *skip_line_end(const char *p, const char *end)
{
	const char *q = p;
	if (*q == '\r') {
		if (q + 1 >= end || q[1] != '\n')
			return NULL; /* bare CR */
		q++;
	}
	q++; /* past LF */
	if (q == end || is_wsp((unsigned char)*q))
		return q;
	return NULL;
}

/* Skip FWS and comments (CFWS).  Comments nest up to MSG_MAX_COMMENT_DEPTH;
 * inside them anything goes except NUL and unfolded line ends. */
static bool skip_cfws(struct parser *ps)
{
	struct lex *lx = &ps->lx;
	while (lx->p < lx->end) {
		unsigned char c = (unsigned char)*lx->p;
		if (is_wsp(c)) {
			lx->p++;
			continue;
		}
		if (c == '\r' || c == '\n') {
			const char *q = skip_line_end(lx->p, lx->end);
			if (!q) {
				fail(ps, ADDR_E_SYNTAX, "line end without folding", lx->p);
				return false;
			}
			lx->p = q;
			continue;
		}
		if (c != '(')
			return true;
		/* comment = "(" *([FWS] ccontent) [FWS] ")" */
		const char *open = lx->p;
		size_t depth = 0;
		for (;;) {
			if (lx->p >= lx->end) {
				fail(ps, ADDR_E_SYNTAX, "unterminated comment", open);
				return false;
			}
			c = (unsigned char)*lx->p;
			if (c == '(') {
				if (++depth > MSG_MAX_COMMENT_DEPTH) {
					fail(ps, ADDR_E_LIMIT, "comments nested deeper than MSG_MAX_COMMENT_DEPTH",
					     lx->p);
					return false;
				}
				lx->p++;
			} else if (c == ')') {
				lx->p++;
				if (--depth == 0)
					break;
			} else if (c == '\\') {
				/* quoted-pair; obs-qp allows controls but never NUL or a
				 * line end, which would break folding */
				if (lx->p + 1 >= lx->end || lx->p[1] == '\0' || lx->p[1] == '\r' ||
				    lx->p[1] == '\n') {
					fail(ps, ADDR_E_SYNTAX, "bad quoted-pair in comment", lx->p);
					return false;
				}
				lx->p += 2;
			} else if (c == '\r' || c == '\n') {
				const char *q = skip_line_end(lx->p, lx->end);
				if (!q || q == lx->end) {
					fail(ps, ADDR_E_SYNTAX, q ? "unterminated comment" : "line end without folding",
					     q ? open : lx->p);
					return false;
				}
				lx->p = q;
			} else if (c == '\0') {
				fail(ps, ADDR_E_SYNTAX, "NUL byte", lx->p);
				return false;
			} else {
				/* ctext, obs-ctext controls, UTF-8 */
				lx->p++;
			}
		}
	}
	return true;
}

/* Body of a quoted-string or domain-literal after its opening byte, up to
 * and including the closing byte. */
static bool scan_quoted(struct parser *ps, char close, const char *what_unterminated)
{
	struct lex *lx = &ps->lx;
	const char *open = lx->p - 1;
	while (lx->p < lx->end) {
		unsigned char c = (unsigned char)*lx->p;
		if (c == (unsigned char)close) {
			lx->p++;
			return true;
		}
		if (c == '\\') {
			if (lx->p + 1 >= lx->end || lx->p[1] == '\0' || lx->p[1] == '\r' || lx->p[1] == '\n') {
				fail(ps, ADDR_E_SYNTAX, "bad quoted-pair", lx->p);
				return false;
			}
			lx->p += 2;
		} else if (c == '\r' || c == '\n') {
			const char *q = skip_line_end(lx->p, lx->end);
			if (!q || q == lx->end) {
				fail(ps, ADDR_E_SYNTAX, q ? what_unterminated : "line end without folding",
				     q ? open : lx->p);
				return false;
			}
			lx->p = q;
		} else if (c == '\0') {
			fail(ps, ADDR_E_SYNTAX, "NUL byte", lx->p);
			return false;
		} else if (close == ']' && c == '[') {
			/* dtext excludes '[' (RFC 5322 3.4.1) */
			fail(ps, ADDR_E_SYNTAX, "'[' inside domain literal", lx->p);
			return false;
		} else {
			lx->p++;
		}
	}
	fail(ps, ADDR_E_SYNTAX, what_unterminated, open);
	return false;
}

/* Read the next token into ps->cur. */
static void advance(struct parser *ps)
{
	if (ps->st != ADDR_OK) {
		ps->cur.kind = T_ERR;
		return;
	}
	if (!skip_cfws(ps))
		return;
	struct lex *lx = &ps->lx;
	struct tok *t = &ps->cur;
	t->start = lx->p;
	t->c = 0;
	if (lx->p >= lx->end) {
		t->kind = T_END;
		t->end = lx->p;
		return;
	}
	unsigned char c = (unsigned char)*lx->p;
	if (is_atext(c)) {
		while (lx->p < lx->end && is_atext((unsigned char)*lx->p))
			lx->p++;
		t->kind = T_ATOM;
	} else if (c == '"') {
		lx->p++;
		if (!scan_quoted(ps, '"', "unterminated quoted string"))
			return;
		t->kind = T_QSTR;
	} else if (c == '[') {
		lx->p++;
		if (!scan_quoted(ps, ']', "unterminated domain literal"))
			return;
		t->kind = T_DLIT;
	} else if (is_special(c)) {
		lx->p++;
		t->kind = T_SPECIAL;
		t->c = (char)c;
	} else {
		const char *why = "unexpected character";
		if (c == ')')
			why = "')' without '('";
		else if (c == ']')
			why = "']' without '['";
		else if (c == '\\')
			why = "backslash outside a quoted string";
		else if (c == '\0')
			why = "NUL byte";
		else if (c < 0x20 || c == 0x7f)
			why = "control character";
		fail(ps, ADDR_E_SYNTAX, why, lx->p);
		return;
	}
	t->end = lx->p;
}

static bool at_special(const struct parser *ps, char c)
{
	return ps->cur.kind == T_SPECIAL && ps->cur.c == c;
}

static bool is_word(const struct tok *t)
{
	return t->kind == T_ATOM || t->kind == T_QSTR;
}

/* ---- parser ---- */

/* What a run of words and dots looked like: the same run is a phrase
 * (display-name, group name) or a local-part depending on what follows. */
struct run {
	const char *start, *end;   /* span of the run in the value */
	size_t ntok;
	bool leading_dot;          /* starts with '.' */
	bool local_ok;             /* word *("." word): a valid (obs-)local-part */
	bool contiguous;           /* no CFWS anywhere inside */
	struct lex save;           /* lexer state just after the first token */
	struct tok first;
};

static void scan_run(struct parser *ps, struct run *r)
{
	memset(r, 0, sizeof *r);
	r->start = r->end = ps->cur.start;
	r->local_ok = true;
	r->contiguous = true;
	bool prev_word = false, prev_dot = false;
	while (is_word(&ps->cur) || at_special(ps, '.')) {
		bool word = is_word(&ps->cur);
		if (r->ntok == 0) {
			r->first = ps->cur;
			r->save = ps->lx;
			r->leading_dot = !word;
		} else if (ps->cur.start != r->end) {
			r->contiguous = false;
		}
		if (word ? prev_word : (prev_dot || r->ntok == 0))
			r->local_ok = false; /* two words without a dot, or an empty label */
		prev_word = word;
		prev_dot = !word;
		r->end = ps->cur.end;
		r->ntok++;
		advance(ps);
	}
	if (prev_dot)
		r->local_ok = false; /* trailing dot */
}

/* The local-part text of a run: the run itself when written without CFWS,
 * else its tokens joined (words as written, dots as dots). */
static struct slice run_local(struct parser *ps, const struct run *r)
{
	if (r->contiguous)
		return slice_between(r->start, r->end);
	struct buf b;
	buf_init(&b, ps->a, (size_t)(r->end - r->start));
	struct parser sub = *ps; /* re-read the run with a private lexer */
	sub.lx = r->save;
	sub.cur = r->first;
	for (size_t i = 0; i < r->ntok; i++) {
		buf_add(&b, sub.cur.start, (size_t)(sub.cur.end - sub.cur.start));
		advance(&sub);
	}
	if (b.err) {
		fail(ps, ADDR_E_NOMEM, "out of memory", r->start);
		return SLICE_NULL;
	}
	return buf_slice(&b);
}

/* domain = dot-atom / domain-literal / obs-domain (atom *("." atom), CFWS
 * allowed around the dots).  With keep, *out receives the domain text: the
 * span itself when written without CFWS, else the atoms joined by dots. */
static bool parse_domain(struct parser *ps, bool keep, struct slice *out, bool *literal)
{
	*literal = false;
	*out = SLICE_NULL;
	if (ps->cur.kind == T_DLIT) {
		*out = slice_between(ps->cur.start, ps->cur.end);
		*literal = true;
		advance(ps);
		return ps->st == ADDR_OK;
	}
	if (ps->cur.kind != T_ATOM) {
		fail(ps, ADDR_E_SYNTAX, "missing domain after '@'", ps->cur.start);
		return false;
	}
	struct lex save = ps->lx; /* just after the first atom */
	struct tok first = ps->cur;
	const char *end = ps->cur.end;
	size_t ntok = 1;
	bool contiguous = true;
	for (;;) {
		advance(ps);
		if (!at_special(ps, '.'))
			break;
		if (ps->cur.start != end)
			contiguous = false;
		end = ps->cur.end;
		advance(ps);
		if (ps->cur.kind != T_ATOM) {
			fail(ps, ADDR_E_SYNTAX, "empty label in domain", ps->cur.start);
			return false;
		}
		if (ps->cur.start != end)
			contiguous = false;
		end = ps->cur.end;
		ntok += 2;
	}
	if (ps->st != ADDR_OK)
		return false;
	if (!keep)
		return true;
	if (contiguous) {
		*out = slice_between(first.start, end);
		return true;
	}
	/* Re-read the atoms and dots with a private lexer and join them.  The
	 * joined text is never longer than the span it comes from, so a buffer
	 * of that size always holds it: a long domain with CFWS around its
	 * dots keeps its text (domain_normalize() refuses it, so it stays
	 * unusable for DMARC) instead of becoming an empty domain. */
	struct buf b;
	buf_init(&b, ps->a, (size_t)(end - first.start) + 1);
	struct parser sub = *ps;
	sub.lx = save;
	sub.cur = first;
	for (size_t i = 0; i < ntok && !b.err; i++) {
		buf_add(&b, sub.cur.start, (size_t)(sub.cur.end - sub.cur.start));
		advance(&sub);
	}
	if (b.err) {
		fail(ps, ADDR_E_NOMEM, "out of memory", first.start);
		return false;
	}
	*out = buf_slice(&b);
	return true;
}

static bool add_mailbox(struct parser *ps, struct slice display, struct slice local,
                        struct slice domain, bool literal, bool angle, bool route)
{
	struct addr_list *o = ps->out;
	o->total++;
	if (o->n >= ps->max_store) {
		o->truncated = true;
		return true;
	}
	if (o->n == ps->cap) {
		size_t ncap = ps->cap ? ps->cap * 2 : 4;
		if (ncap > ps->max_store)
			ncap = ps->max_store;
		struct addr_mailbox *nb = arena_realloc(ps->a, o->mbox, ps->cap * sizeof *nb,
		                                        ncap * sizeof *nb);
		if (!nb) {
			fail(ps, ADDR_E_NOMEM, "out of memory", ps->cur.start);
			return false;
		}
		o->mbox = nb;
		ps->cap = ncap;
	}
	struct addr_mailbox *m = &o->mbox[o->n++];
	memset(m, 0, sizeof *m);
	m->display = display;
	m->local = local;
	m->domain = domain;
	m->group = ps->group;
	m->angle = angle;
	m->domain_literal = literal;
	m->obs_route = route;
	m->domain_norm = SLICE_NULL;
	if (!literal && domain.ptr && !domain_normalize(ps->a, domain, &m->domain_norm)) {
		m->domain_norm = SLICE_NULL;
		if (arena_alloc(ps->a, 1) == NULL) {
			fail(ps, ADDR_E_NOMEM, "out of memory", domain.ptr);
			return false;
		}
	}
	return true;
}

/* obs-route = obs-domain-list ":" ;
 * obs-domain-list = *(CFWS / ",") "@" domain *("," [CFWS] ["@" domain]) */
static bool parse_obs_route(struct parser *ps)
{
	struct slice ignored;
	bool lit;
	while (at_special(ps, ','))
		advance(ps);
	if (!at_special(ps, '@')) {
		fail(ps, ADDR_E_SYNTAX, "bad source route", ps->cur.start);
		return false;
	}
	advance(ps);
	if (!parse_domain(ps, false, &ignored, &lit))
		return false;
	while (at_special(ps, ',')) {
		advance(ps);
		if (at_special(ps, '@')) {
			advance(ps);
			if (!parse_domain(ps, false, &ignored, &lit))
				return false;
		}
	}
	if (!at_special(ps, ':')) {
		fail(ps, ADDR_E_SYNTAX, "source route without ':'", ps->cur.start);
		return false;
	}
	advance(ps);
	return ps->st == ADDR_OK;
}

/* angle-addr = [CFWS] "<" addr-spec ">" [CFWS] / obs-angle-addr;
 * ps->cur is the '<'. */
static bool parse_angle(struct parser *ps, struct slice display)
{
	const char *open = ps->cur.start;
	advance(ps);
	bool route = false;
	if (at_special(ps, '@') || at_special(ps, ',')) {
		if (!parse_obs_route(ps))
			return false;
		route = true;
	}
	struct run r;
	scan_run(ps, &r);
	if (ps->st != ADDR_OK)
		return false;
	if (r.ntok == 0) {
		fail(ps, ADDR_E_SYNTAX, at_special(ps, '>') ? "empty angle address" : "missing local-part",
		     ps->cur.start);
		return false;
	}
	if (!at_special(ps, '@')) {
		fail(ps, ADDR_E_SYNTAX, "missing '@' in angle address", ps->cur.start);
		return false;
	}
	if (!r.local_ok) {
		fail(ps, ADDR_E_SYNTAX, "invalid local-part", r.start);
		return false;
	}
	struct slice local = run_local(ps, &r);
	if (ps->st != ADDR_OK)
		return false;
	advance(ps);
	struct slice domain;
	bool literal;
	if (!parse_domain(ps, true, &domain, &literal))
		return false;
	if (!at_special(ps, '>')) {
		fail(ps, ADDR_E_SYNTAX, ps->cur.kind == T_END ? "missing '>'" : "unexpected text before '>'",
		     ps->cur.kind == T_END ? open : ps->cur.start);
		return false;
	}
	advance(ps);
	return add_mailbox(ps, display, local, domain, literal, true, route);
}

static bool parse_group(struct parser *ps, struct slice display);

/* address = mailbox / group; mailbox = name-addr / addr-spec.
 * One scan of words and dots, then the next token decides. */
static bool parse_address(struct parser *ps, bool in_group)
{
	struct run r;
	scan_run(ps, &r);
	if (ps->st != ADDR_OK)
		return false;
	struct slice phrase = slice_between(r.start, r.end);

	if (at_special(ps, '<')) {
		/* display-name = phrase = 1*word / obs-phrase: starts with a word */
		if (r.ntok && r.leading_dot) {
			fail(ps, ADDR_E_SYNTAX, "display name starts with '.'", r.start);
			return false;
		}
		return parse_angle(ps, phrase);
	}
	if (at_special(ps, ':')) {
		if (in_group) {
			fail(ps, ADDR_E_SYNTAX, "group inside a group", ps->cur.start);
			return false;
		}
		if (r.ntok == 0 || r.leading_dot) {
			fail(ps, ADDR_E_SYNTAX, "group without a display name", ps->cur.start);
			return false;
		}
		return parse_group(ps, phrase);
	}
	if (at_special(ps, '@')) {
		if (r.ntok == 0) {
			fail(ps, ADDR_E_SYNTAX, "missing local-part", ps->cur.start);
			return false;
		}
		if (!r.local_ok) {
			fail(ps, ADDR_E_SYNTAX, "invalid local-part", r.start);
			return false;
		}
		struct slice local = run_local(ps, &r);
		if (ps->st != ADDR_OK)
			return false;
		advance(ps);
		struct slice domain;
		bool literal;
		if (!parse_domain(ps, true, &domain, &literal))
			return false;
		return add_mailbox(ps, SLICE_NULL, local, domain, literal, false, false);
	}
	if (ps->st != ADDR_OK)
		return false;
	if (r.ntok)
		fail(ps, ADDR_E_SYNTAX, "address without '@'", ps->cur.start);
	else if (ps->cur.kind == T_SPECIAL && ps->cur.c == '>')
		fail(ps, ADDR_E_SYNTAX, "'>' without '<'", ps->cur.start);
	else
		fail(ps, ADDR_E_SYNTAX, "expected an address", ps->cur.start);
	return false;
}

/* group = display-name ":" [group-list] ";" [CFWS]; group-list =
 * mailbox-list / CFWS / obs-group-list.  ps->cur is the ':'. */
static bool parse_group(struct parser *ps, struct slice display)
{
	(void)display;
	const char *colon = ps->cur.start;
	ps->out->ngroups++;
	ps->group = (unsigned)ps->out->ngroups;
	advance(ps);
	for (;;) {
		if (ps->st != ADDR_OK)
			return false;
		if (at_special(ps, ';')) {
			advance(ps);
			break;
		}
		if (at_special(ps, ',')) { /* obs-mbox-list / obs-group-list empty elements */
			advance(ps);
			continue;
		}
		if (ps->cur.kind == T_END) {
			fail(ps, ADDR_E_SYNTAX, "group without ';'", colon);
			return false;
		}
		if (!parse_address(ps, true))
			return false;
		if (!at_special(ps, ',') && !at_special(ps, ';')) {
			fail(ps, ADDR_E_SYNTAX,
			     ps->cur.kind == T_END ? "group without ';'" : "expected ',' or ';' in group",
			     ps->cur.kind == T_END ? colon : ps->cur.start);
			return false;
		}
	}
	ps->group = 0;
	return ps->st == ADDR_OK;
}

enum addr_status addr_parse_list(struct arena *a, struct slice value, size_t max_store,
                                 struct addr_list *out)
{
	memset(out, 0, sizeof *out);
	struct parser ps;
	memset(&ps, 0, sizeof ps);
	ps.a = a;
	ps.out = out;
	ps.max_store = max_store;
	ps.lx.base = value.ptr ? value.ptr : "";
	ps.lx.p = ps.lx.base;
	ps.lx.end = ps.lx.base + value.len;
	ps.st = ADDR_OK;

	/* address-list = (address *("," address)) / obs-addr-list, where
	 * obs-addr-list = *([CFWS] ",") address *("," [address / CFWS]) */
	size_t addresses = 0;
	advance(&ps);
	while (ps.st == ADDR_OK) {
		if (ps.cur.kind == T_END)
			break;
		if (at_special(&ps, ',')) {
			advance(&ps);
			continue;
		}
		if (!parse_address(&ps, false))
			break;
		addresses++;
		if (ps.cur.kind == T_END)
			break;
		if (!at_special(&ps, ',')) {
			fail(&ps, ADDR_E_SYNTAX, "expected ',' between addresses", ps.cur.start);
			break;
		}
		advance(&ps);
	}
	if (ps.st == ADDR_OK && addresses == 0)
		fail(&ps, ADDR_E_SYNTAX, "no address", ps.lx.p);

	if (ps.st != ADDR_OK) {
		memset(out, 0, sizeof *out);
		out->reason = ps.reason;
		out->err_offset = ps.err_at && ps.err_at >= ps.lx.base
		                          ? (size_t)(ps.err_at - ps.lx.base)
		                          : 0;
		return ps.st;
	}
	out->reason = "ok";
	return ADDR_OK;
}

/* ---- Author Domains ---- */

static bool add_domain(struct arena *a, struct addr_from *f, size_t *cap, struct slice d)
{
	for (size_t i = 0; i < f->ndomains; i++)
		if (domain_eq(f->domains[i], d))
			return true;
	if (f->ndomains == *cap) {
		size_t ncap = *cap ? *cap * 2 : 4;
		struct slice *nd = arena_realloc(a, f->domains, *cap * sizeof *nd, ncap * sizeof *nd);
		if (!nd)
			return false;
		f->domains = nd;
		*cap = ncap;
	}
	f->domains[f->ndomains++] = d;
	return true;
}

enum addr_status addr_from_domains(struct arena *a, const struct msg *m, struct addr_from *out)
{
	memset(out, 0, sizeof *out);
	size_t cap = 0, stored = 0, pos = 0;
	long idx;
	/* What the first (and, in the usual case, only) field gave. */
	enum addr_status first_st = ADDR_OK;
	const char *first_reason = NULL;
	size_t first_offset = 0;
	bool first_literal = false;

	while ((idx = msg_find_next(m, SLICE_LIT("From"), &pos)) >= 0) {
		out->nfields++;
		struct addr_list l;
		size_t budget = MSG_MAX_FROM_ADDRESSES - stored;
		enum addr_status st = addr_parse_list(a, m->hdr[idx].value, budget, &l);
		if (st == ADDR_E_NOMEM)
			return ADDR_E_NOMEM;
		if (out->nfields == 1) {
			first_st = st;
			first_reason = l.reason;
			first_offset = l.err_offset;
		}
		if (st != ADDR_OK) {
			out->syntax_error = true;
			continue;
		}
		out->naddresses += l.total;
		if (l.truncated)
			out->truncated = true;
		stored += l.n;
		for (size_t i = 0; i < l.n; i++) {
			if (!l.mbox[i].domain_norm.ptr) {
				out->unusable = true;
				if (l.mbox[i].domain_literal)
					first_literal = true;
				continue;
			}
			if (!add_domain(a, out, &cap, l.mbox[i].domain_norm))
				return ADDR_E_NOMEM;
		}
	}

	if (out->nfields == 0) {
		out->kind = ADDR_FROM_NONE;
		out->reason = "no From header field";
	} else if (out->nfields > 1) {
		out->kind = ADDR_FROM_MULTI_FIELD;
		out->reason = "several From header fields";
	} else if (first_st != ADDR_OK) {
		out->kind = ADDR_FROM_NO_DOMAIN;
		const char *r = arena_printf(a, "From header field is not a valid address list (%s at offset %zu)",
		                             first_reason ? first_reason : "syntax error", first_offset);
		if (!r)
			return ADDR_E_NOMEM;
		out->reason = r;
	} else if (out->naddresses == 0) {
		out->kind = ADDR_FROM_NO_DOMAIN;
		out->reason = "From header field holds only an empty group";
	} else if (out->naddresses > 1) {
		out->kind = ADDR_FROM_MULTI_ADDRESS;
		out->reason = "From header field holds several addresses";
	} else if (out->ndomains == 1) {
		out->kind = ADDR_FROM_ONE;
		out->reason = "one author domain";
	} else {
		out->kind = ADDR_FROM_NO_DOMAIN;
		out->reason = first_literal ? "From address has a domain literal, not a domain name"
		                            : "From address domain is not a valid domain name";
	}
	return ADDR_OK;
}

bool addr_from_single_domain(const struct addr_from *f, struct slice *domain)
{
	*domain = SLICE_NULL;
	bool ok = false;
	if (f->kind == ADDR_FROM_ONE)
		ok = f->ndomains == 1;
	else if (f->kind == ADDR_FROM_MULTI_ADDRESS)
		ok = f->ndomains == 1 && !f->unusable && !f->truncated && !f->syntax_error;
	if (ok)
		*domain = f->domains[0];
	return ok;
}

const char *addr_from_kind_str(enum addr_from_kind k)
{
	switch (k) {
	case ADDR_FROM_ONE: return "one";
	case ADDR_FROM_NONE: return "none";
	case ADDR_FROM_NO_DOMAIN: return "nodomain";
	case ADDR_FROM_MULTI_FIELD: return "multiple-fields";
	case ADDR_FROM_MULTI_ADDRESS: return "multiple-addresses";
	}
	return "unknown";
}

const char *addr_status_str(enum addr_status s)
{
	switch (s) {
	case ADDR_OK: return "ok";
	case ADDR_E_SYNTAX: return "syntax error";
	case ADDR_E_LIMIT: return "limit exceeded";
	case ADDR_E_NOMEM: return "out of memory";
	}
	return "unknown";
}
