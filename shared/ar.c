/* ar.c — Authentication-Results (RFC 8601): the builder of our field and
 * the authserv-id reader for fields already present (section 5).  The
 * grammar, quoting and folding rules are in ar.h.
 *
 * Everything written goes through one buffer in the caller's arena; free
 * text is sanitized before it reaches the buffer, so the field is always
 * 7-bit, printable and RFC 8601-parseable whatever the input.
 */
#include "ar.h"

#include <stdio.h>
#include <string.h>

#include "domain.h"
#include "mailauth_limits.h"

/* ------------------------------------------------------------------ */
/* Character classes                                                   */

static bool ar_is_alpha(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool ar_is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/* RFC 2045 5.1: token = 1*<any (US-ASCII) CHAR except SPACE, CTLs, or
 * tspecials>. */
static bool ar_is_token_char(unsigned char c)
{
	if (c <= 0x20 || c >= 0x7f)
		return false;
	return memchr("()<>@,;:\\\"/[]?=", (int)c, 15) == NULL;
}

/* RFC 5322 3.2.3 atext. */
static bool ar_is_atext(unsigned char c)
{
	if (ar_is_alpha(c) || ar_is_digit(c))
		return true;
	return c != 0 && memchr("!#$%&'*+-/=?^_`{|}~", (int)c, 19) != NULL;
}

static bool ar_is_token(struct slice s)
{
	if (s.len == 0)
		return false;
	for (size_t i = 0; i < s.len; i++)
		if (!ar_is_token_char((unsigned char)s.ptr[i]))
			return false;
	return true;
}

/* RFC 5321 Keyword = ldh-str: letters, digits, '-', not ending in '-'
 * (and, as Let-dig, not starting with one). */
static bool ar_is_keyword(const char *s)
{
	if (!s || !*s)
		return false;
	size_t n = strlen(s); /* our own static words */
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!ar_is_alpha(c) && !ar_is_digit(c) && c != '-')
			return false;
	}
	return s[0] != '-' && s[n - 1] != '-';
}

/* RFC 5322 3.2.3 dot-atom-text. */
static bool ar_is_dot_atom(struct slice s)
{
	if (s.len == 0 || s.ptr[0] == '.' || s.ptr[s.len - 1] == '.')
		return false;
	for (size_t i = 0; i < s.len; i++) {
		unsigned char c = (unsigned char)s.ptr[i];
		if (c == '.') {
			if (s.ptr[i - 1] == '.')
				return false;
			continue;
		}
		if (!ar_is_atext(c))
			return false;
	}
	return true;
}

/* RFC 6376 3.5 domain-name = sub-domain 1*("." sub-domain), sub-domain =
 * Let-dig [Ldh-str] (RFC 5321); a single label is accepted too. */
static bool ar_is_domain_name(struct slice s)
{
	if (s.len == 0 || s.len > DOMAIN_MAX_TEXT_NAME)
		return false;
	size_t label = 0;
	for (size_t i = 0; i <= s.len; i++) {
		if (i == s.len || s.ptr[i] == '.') {
			if (label == 0 || s.ptr[i - 1] == '-')
				return false;
			label = 0;
			continue;
		}
		unsigned char c = (unsigned char)s.ptr[i];
		if (ar_is_alpha(c) || ar_is_digit(c))
			label++;
		else if (c == '-' && label > 0)
			label++;
		else
			return false;
	}
	return true;
}

/* ------------------------------------------------------------------ */
/* Formatting values into a scratch buffer                             */

static bool ar_is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Free text made safe: CR, LF, HTAB become spaces, runs of spaces one,
 * control and 8-bit bytes '?'; trimmed; cut at AR_MAX_TEXT with "...".
 * '\\' and, in a comment '(' and ')', else '"', become quoted-pairs. */
static void ar_put_text(struct buf *t, struct slice s, bool comment)
{
	size_t start = 0, end = s.len;
	while (start < end && ar_is_space((unsigned char)s.ptr[start]))
		start++;
	while (end > start && ar_is_space((unsigned char)s.ptr[end - 1]))
		end--;
	bool space = false, cut = false;
	size_t used = 0;
	for (size_t i = start; i < end; i++) {
		unsigned char c = (unsigned char)s.ptr[i];
		if (ar_is_space(c)) {
			space = true;
			continue;
		}
		if (used >= AR_MAX_TEXT) {
			cut = true;
			break;
		}
		if (space) {
			buf_add_byte(t, ' ');
			used++;
			space = false;
		}
		if (c < 0x20 || c >= 0x7f)
			c = '?';
		/* RFC 5322 3.2.1-3.2.4: quoted-pair for what ctext or qtext
		 * cannot hold. */
		if (c == '\\' || (comment ? (c == '(' || c == ')') : c == '"'))
			buf_add_byte(t, '\\');
		buf_add_byte(t, (char)c);
		used++;
	}
	if (cut)
		buf_add_cstr(t, "...");
}

static void ar_put_quoted(struct buf *t, struct slice s)
{
	buf_add_byte(t, '"');
	ar_put_text(t, s, false);
	buf_add_byte(t, '"');
}

/* value = token / quoted-string */
static void ar_put_value(struct buf *t, struct slice s)
{
	if (s.len <= AR_MAX_TEXT && ar_is_token(s))
		buf_add_slice(t, s);
	else
		ar_put_quoted(t, s);
}

/* pvalue = value / [ [ local-part ] "@" ] domain-name */
static void ar_put_pvalue(struct buf *t, struct slice s)
{
	if (s.len <= AR_MAX_TEXT && ar_is_token(s)) {
		buf_add_slice(t, s);
		return;
	}
	const char *at = NULL;
	for (size_t i = s.len; i-- > 0;) {
		if (s.ptr[i] == '@') {
			at = s.ptr + i;
			break;
		}
	}
	if (at && s.len <= AR_MAX_TEXT) {
		struct slice local = slice_between(s.ptr, at);
		struct slice dom = slice_between(at + 1, slice_end(s));
		if (ar_is_domain_name(dom)) {
			if (local.len == 0 || ar_is_dot_atom(local))
				buf_add_slice(t, local);
			else
				ar_put_quoted(t, local);
			buf_add_byte(t, '@');
			buf_add_slice(t, dom);
			return;
		}
	}
	ar_put_quoted(t, s);
}

/* Would ar_put_pvalue() write a quoted-string for s? */
static bool ar_pvalue_needs_quotes(struct slice s)
{
	if (s.len > AR_MAX_TEXT)
		return true;
	if (ar_is_token(s))
		return false;
	for (size_t i = s.len; i-- > 0;) {
		if (s.ptr[i] == '@') {
			struct slice local = slice_make(s.ptr, i);
			struct slice dom = slice_between(s.ptr + i + 1, slice_end(s));
			return !ar_is_domain_name(dom) || (local.len && !ar_is_dot_atom(local));
		}
	}
	return true;
}

/* ------------------------------------------------------------------ */
/* Output with folding                                                 */

static void ar_out(struct ar_builder *w, const char *p, size_t len)
{
	buf_add(&w->b, p, len);
	for (size_t i = 0; i < len; i++)
		w->col = p[i] == '\t' ? (w->col / 8 + 1) * 8 : w->col + 1;
}

static void ar_eol(struct ar_builder *w)
{
	if (w->crlf)
		buf_add(&w->b, "\r\n", 2);
	else
		buf_add_byte(&w->b, '\n');
	w->col = 0;
}

/* Write " " + el, folding before any of its spaces (or before the leading
 * one) when the next piece would pass AR_FOLD_WIDTH.  Folding puts a line
 * end in front of an existing space, so unfolding (RFC 5322 2.2.3) gives
 * back exactly the same text, inside quoted strings too. */
static void ar_element(struct ar_builder *w, struct slice el)
{
	size_t i = 0;
	bool first = true;
	/* An element that fits on a line of its own moves there whole rather
	 * than being split, unless that would leave the current line mostly
	 * empty. */
	if (w->col + 1 + el.len > AR_FOLD_WIDTH && 1 + el.len <= AR_FOLD_WIDTH &&
	    w->col >= AR_FOLD_WIDTH / 2) {
		ar_eol(w);
		ar_out(w, " ", 1);
		ar_out(w, el.ptr, el.len);
		return;
	}
	while (first || i < el.len) {
		size_t j = first ? i : i + 1;
		while (j < el.len && el.ptr[j] != ' ')
			j++;
		size_t piece = (j - i) + (first ? 1 : 0);
		if (w->col + piece > AR_FOLD_WIDTH && w->col > 8)
			ar_eol(w);
		if (first)
			ar_out(w, " ", 1);
		ar_out(w, el.ptr + i, j - i);
		i = j;
		first = false;
	}
}

void ar_begin(struct ar_builder *w, struct arena *a, struct slice authserv_id, bool crlf)
{
	memset(w, 0, sizeof *w);
	buf_init(&w->b, a, AR_MAX_HEADER_BYTES);
	w->crlf = crlf;
	ar_out(w, "Authentication-Results:", 23);
	w->value_start = w->b.len;
	struct buf t;
	buf_init(&t, a, AR_MAX_HEADER_BYTES);
	ar_put_value(&t, authserv_id);
	if (t.err)
		w->b.err = true;
	ar_element(w, buf_slice(&t));
}

static bool ar_result_is(const char *r, const char *word)
{
	return strcmp(r, word) == 0;
}

void ar_add(struct ar_builder *w, const struct ar_entry *e)
{
	if (!ar_is_keyword(e->method) || !ar_is_keyword(e->result)) {
		w->n_skipped++;
		return;
	}
	for (size_t i = 0; i < e->n_props; i++) {
		if (!ar_is_keyword(e->props[i].ptype) || !ar_is_keyword(e->props[i].property)) {
			w->n_skipped++;
			return;
		}
	}
	struct arena *a = w->b.arena;
	/* Exim writes the non-standard "tmperror"; RFC 8601 2.7 says temperror. */
	const char *result = ar_result_is(e->result, "tmperror") ? "temperror" : e->result;

	ar_out(w, ";", 1);
	ar_eol(w);
	ar_out(w, "\t", 1);
	struct buf t;
	buf_init(&t, a, AR_MAX_HEADER_BYTES);
	buf_add_cstr(&t, e->method);
	buf_add_byte(&t, '=');
	buf_add_cstr(&t, result);
	ar_out(w, t.ptr ? t.ptr : "", t.len);
	if (t.err)
		w->b.err = true;

	if (slice_trim_ws(e->comment).len) {
		buf_init(&t, a, AR_MAX_HEADER_BYTES);
		buf_add_byte(&t, '(');
		ar_put_text(&t, e->comment, true);
		buf_add_byte(&t, ')');
		if (t.err)
			w->b.err = true;
		ar_element(w, buf_slice(&t));
	}
	if (e->reason.len) {
		buf_init(&t, a, AR_MAX_HEADER_BYTES);
		buf_add_cstr(&t, "reason=");
		ar_put_value(&t, e->reason);
		if (t.err)
			w->b.err = true;
		ar_element(w, buf_slice(&t));
	}
	/* Properties whose value must be quoted go last: the grammar does not
	 * care about the order, and some parsers (python-authres 1.2) accept a
	 * quoted pvalue only at the end of a resinfo. */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < e->n_props; i++) {
			const struct ar_prop *p = &e->props[i];
			if (ar_pvalue_needs_quotes(p->value) != (pass == 1))
				continue;
			buf_init(&t, a, AR_MAX_HEADER_BYTES);
			buf_add_cstr(&t, p->ptype);
			buf_add_byte(&t, '.');
			buf_add_cstr(&t, p->property);
			buf_add_byte(&t, '=');
			ar_put_pvalue(&t, p->value);
			if (t.err)
				w->b.err = true;
			ar_element(w, buf_slice(&t));
		}
	}
	w->n_entries++;
}

void ar_add_spf(struct ar_builder *w, const char *result, struct slice comment,
                struct slice identity, bool is_helo)
{
	struct ar_prop prop = { "smtp", is_helo ? "helo" : "mailfrom", identity };
	struct ar_entry e = { "spf", result, comment, SLICE_NULL, &prop, identity.len ? 1 : 0 };
	ar_add(w, &e);
}

void ar_add_dkim(struct ar_builder *w, const char *result, struct slice reason,
                 struct slice d, struct slice i, struct slice s, struct slice alg,
                 struct slice b)
{
	struct ar_prop props[5];
	size_t n = 0;
	if (d.len)
		props[n++] = (struct ar_prop){ "header", "d", d };
	if (i.len)
		props[n++] = (struct ar_prop){ "header", "i", i };
	if (s.len)
		props[n++] = (struct ar_prop){ "header", "s", s };
	if (alg.len)
		props[n++] = (struct ar_prop){ "header", "a", alg };
	/* RFC 6008 2: the first eight characters of b= (FWS removed). */
	char *pre = NULL;
	size_t np = 0;
	if (b.len) {
		pre = arena_alloc(w->b.arena, 8);
		if (!pre) {
			w->b.err = true;
			return;
		}
		for (size_t k = 0; k < b.len && np < 8; k++) {
			char c = b.ptr[k];
			if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
				continue;
			pre[np++] = c;
		}
		if (np)
			props[n++] = (struct ar_prop){ "header", "b", slice_make(pre, np) };
	}
	struct ar_entry e = { "dkim", result, SLICE_NULL, reason, props, n };
	ar_add(w, &e);
}

void ar_add_dmarc(struct ar_builder *w, const struct dmarc_eval *e)
{
	if (!e->evaluated)
		return;
	struct arena *a = w->b.arena;
	struct buf c;
	buf_init(&c, a, AR_MAX_HEADER_BYTES);
	if (e->have_rec) {
		buf_addf(&c, "p=%s", dmarc_policy_str(e->rec.p));
		if (e->rec.sp != DMARC_POLICY_UNSPECIFIED)
			buf_addf(&c, " sp=%s", dmarc_policy_str(e->rec.sp));
		if (e->rec.np != DMARC_POLICY_UNSPECIFIED)
			buf_addf(&c, " np=%s", dmarc_policy_str(e->rec.np));
		if (e->result == DMARC_FAIL)
			buf_addf(&c, " dis=%s", dmarc_policy_str(e->disposition));
		if (e->rec.testing)
			buf_add_cstr(&c, " t=y");
		if (e->mode == DMARC_MODE_RFC7489 && e->rec.pct != 100)
			buf_addf(&c, " pct=%u", e->rec.pct);
		if (e->disc.found_at != DMARC_FOUND_AUTHOR)
			buf_addf(&c, " from=%s", dmarc_found_at_str(e->disc.found_at));
		if (e->override != DMARC_OVERRIDE_NONE)
			buf_addf(&c, " override=%s", dmarc_override_str(e->override));
	}
	struct ar_prop props[2];
	size_t n = 0;
	if (e->author_domain.len)
		props[n++] = (struct ar_prop){ "header", "from", e->author_domain };
	if (e->have_rec && (e->result == DMARC_PASS || e->result == DMARC_FAIL))
		props[n++] = (struct ar_prop){ "policy", "dmarc",
		                               slice_from_cstr(dmarc_policy_str(e->disposition)) };
	struct slice reason = SLICE_NULL;
	if (e->result != DMARC_PASS && e->reason)
		reason = slice_from_cstr(e->reason);
	if (c.err)
		w->b.err = true;
	struct ar_entry ent = { "dmarc", dmarc_result_str(e->result), buf_slice(&c), reason,
		                props, n };
	ar_add(w, &ent);
}

void ar_add_arc(struct ar_builder *w, const char *result, struct slice comment,
                bool have_oldest_pass, unsigned oldest_pass, struct slice remote_ip)
{
	struct ar_prop props[2];
	size_t n = 0;
	char num[16];
	if (have_oldest_pass) {
		int k = snprintf(num, sizeof num, "%u", oldest_pass);
		props[n++] = (struct ar_prop){ "header", "oldest-pass", slice_make(num, (size_t)k) };
	}
	if (remote_ip.len)
		props[n++] = (struct ar_prop){ "smtp", "remote-ip", remote_ip };
	struct ar_entry e = { "arc", result, comment, SLICE_NULL, props, n };
	ar_add(w, &e);
}

static bool ar_close(struct ar_builder *w)
{
	if (w->n_entries == 0) {
		/* no-result = [CFWS] ";" [CFWS] "none" */
		ar_out(w, "; none", 6);
		w->n_entries = 1; /* closed: a second call adds nothing */
	}
	return !w->b.err;
}

struct slice ar_finish(struct ar_builder *w)
{
	if (!ar_close(w))
		return SLICE_NULL;
	return buf_slice(&w->b);
}

struct slice ar_value(struct ar_builder *w)
{
	if (!ar_close(w))
		return SLICE_NULL;
	struct slice all = buf_slice(&w->b);
	return slice_sub(all, w->value_start, all.len);
}

/* ------------------------------------------------------------------ */
/* Reading an existing field                                           */

/* Skip CFWS.  Comments nest to any depth: the depth is a counter, not
 * recursion, so hostile nesting costs nothing.  NULL for an unterminated
 * comment. */
static const char *ar_skip_cfws(const char *p, const char *end)
{
	while (p < end) {
		char c = *p;
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			p++;
			continue;
		}
		if (c != '(')
			break;
		size_t depth = 0;
		while (p < end) {
			if (*p == '\\') {
				p += (end - p >= 2) ? 2 : 1;
				continue;
			}
			if (*p == '(') {
				depth++;
			} else if (*p == ')') {
				depth--;
				if (depth == 0) {
					p++;
					break;
				}
			}
			p++;
		}
		if (depth != 0)
			return NULL;
	}
	return p;
}

enum ar_parse_status ar_parse_authserv_id(struct arena *a, struct slice value,
                                          struct slice *id, unsigned *version)
{
	*id = SLICE_NULL;
	*version = 0;
	if (!value.ptr)
		return AR_PARSE_NO_ID;
	const char *p = value.ptr, *end = slice_end(value);
	p = ar_skip_cfws(p, end);
	if (!p || p == end)
		return AR_PARSE_NO_ID;

	if (*p == '"') {
		/* quoted-string: decode the quoted-pairs into a copy. */
		struct buf t;
		buf_init(&t, a, value.len + 1);
		p++;
		bool closed = false;
		while (p < end) {
			char c = *p;
			if (c == '\\' && end - p >= 2) {
				buf_add_byte(&t, p[1]);
				p += 2;
				continue;
			}
			if (c == '"') {
				closed = true;
				p++;
				break;
			}
			/* FWS inside: the line end is invisible (RFC 5322 3.2.4). */
			if (c != '\r' && c != '\n')
				buf_add_byte(&t, c);
			p++;
		}
		if (t.err)
			return AR_PARSE_NOMEM;
		if (!closed || t.len == 0)
			return AR_PARSE_NO_ID;
		*id = arena_slice_dup(a, buf_slice(&t));
		if (!id->ptr)
			return AR_PARSE_NOMEM;
	} else {
		/* token; 8-bit bytes are taken as part of it (RFC 6532 names). */
		const char *s = p;
		while (p < end && (ar_is_token_char((unsigned char)*p) || (unsigned char)*p >= 0x80))
			p++;
		if (p == s)
			return AR_PARSE_NO_ID;
		*id = slice_between(s, p);
	}

	/* [ CFWS authres-version ] then ";" */
	const char *q = ar_skip_cfws(p, end);
	if (!q)
		return AR_PARSE_MALFORMED;
	if (q < end && ar_is_digit((unsigned char)*q)) {
		if (q == p)
			return AR_PARSE_MALFORMED; /* CFWS is required before it */
		uint64_t v = 0;
		const char *d = q;
		while (q < end && ar_is_digit((unsigned char)*q))
			q++;
		if (!slice_parse_u64(slice_between(d, q), 999999, &v))
			return AR_PARSE_MALFORMED;
		*version = (unsigned)v;
		q = ar_skip_cfws(q, end);
		if (!q)
			return AR_PARSE_MALFORMED;
	}
	if (q == end || *q != ';')
		return AR_PARSE_MALFORMED;
	return AR_PARSE_OK;
}

bool ar_claims_authserv_id(struct arena *a, struct slice value, struct slice authserv_id)
{
	struct slice id;
	unsigned version;
	enum ar_parse_status st = ar_parse_authserv_id(a, value, &id, &version);
	if (st != AR_PARSE_OK && st != AR_PARSE_MALFORMED)
		return false;
	return authserv_id.len && domain_eq(id, authserv_id);
}

const char *ar_parse_status_str(enum ar_parse_status s)
{
	switch (s) {
	case AR_PARSE_OK:
		return "ok";
	case AR_PARSE_MALFORMED:
		return "malformed after authserv-id";
	case AR_PARSE_NO_ID:
		return "no authserv-id";
	case AR_PARSE_NOMEM:
		return "out of memory";
	}
	return "unknown";
}
