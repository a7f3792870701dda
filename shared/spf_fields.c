/* spf_fields.c — the strings an Exim administrator gets from one SPF check:
 * spf_result, spf_header_comment, spf_smtp_comment, spf_received (the
 * Received-SPF header field of RFC 7208 section 9.1) and the spf entry of
 * Authentication-Results (RFC 8601 section 2.7.2).  See spf.h.
 *
 * Everything that came from the SMTP session or from DNS is escaped for the
 * place it goes to: quoted-string or dot-atom values (RFC 5322 3.2.3/3.2.4),
 * comments with "(", ")" and "\" escaped, RFC 2045 tokens in
 * Authentication-Results; bytes outside printable ASCII become "?", so no
 * header can be split or injected.  The Received-SPF field is folded at
 * spaces to stay near 78 columns (LF + TAB, Exim's header convention). */
#include "spf.h"

#include <string.h>

/* Marks a space where the header may be folded; replaced at the end.  It
 * cannot come from input: every control byte is replaced by '?'. */
#define FOLD '\x01'
#define FOLD_AT 78
/* Longest reason quoted in a header or comment. */
#define FIELD_REASON_MAX 200

static bool is_atext(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return c && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

static bool is_dot_atom(struct slice s)
{
	if (s.len == 0 || s.ptr[0] == '.' || s.ptr[s.len - 1] == '.')
		return false;
	for (size_t i = 0; i < s.len; i++) {
		unsigned char c = (unsigned char)s.ptr[i];
		if (c == '.') {
			if (s.ptr[i - 1] == '.')
				return false;
		} else if (!is_atext(c)) {
			return false;
		}
	}
	return true;
}

/* RFC 2045 token: no SP, CTLs or tspecials. */
static bool is_token(struct slice s)
{
	if (s.len == 0)
		return false;
	for (size_t i = 0; i < s.len; i++) {
		unsigned char c = (unsigned char)s.ptr[i];
		if (c <= 0x20 || c >= 0x7f || strchr("()<>@,;:\\\"/[]?=", c))
			return false;
	}
	return true;
}

static void add_printable(struct buf *b, unsigned char c)
{
	buf_add_byte(b, (c >= 0x20 && c < 0x7f) ? (char)c : '?');
}

static void add_quoted(struct buf *b, struct slice s)
{
	buf_add_byte(b, '"');
	for (size_t i = 0; i < s.len; i++) {
		unsigned char c = (unsigned char)s.ptr[i];
		if (c == '"' || c == '\\')
			buf_add_byte(b, '\\');
		add_printable(b, c);
	}
	buf_add_byte(b, '"');
}

static void add_value(struct buf *b, struct slice s)
{
	if (is_dot_atom(s))
		buf_add_slice(b, s);
	else
		add_quoted(b, s);
}

static void add_token_or_quoted(struct buf *b, struct slice s)
{
	if (is_token(s))
		buf_add_slice(b, s);
	else
		add_quoted(b, s);
}

/* Comment text (without the parentheses); spaces become fold points when
 * fold is set. */
static void add_comment_text(struct buf *b, struct slice s, bool fold)
{
	for (size_t i = 0; i < s.len; i++) {
		unsigned char c = (unsigned char)s.ptr[i];
		if (c == '(' || c == ')' || c == '\\')
			buf_add_byte(b, '\\');
		if (c == ' ' && fold)
			buf_add_byte(b, FOLD);
		else
			add_printable(b, c);
	}
}

static struct slice cut(struct slice s, size_t max)
{
	return s.len > max ? slice_make(s.ptr, max) : s;
}

static struct slice subject_domain(const struct spf_outcome *o)
{
	return o->domain.len ? o->domain : SLICE_LIT("(no domain)");
}

/* The header comment without the "receiver: " prefix. */
static void add_comment_body(struct buf *b, const struct spf_outcome *o)
{
	struct slice d = subject_domain(o), ip = o->client_ip, r = slice_from_cstr(o->reason);
	switch (o->result) {
	case SPF_PASS:
		buf_add_cstr(b, "domain of ");
		buf_add_slice(b, d);
		buf_add_cstr(b, " designates ");
		buf_add_slice(b, ip);
		buf_add_cstr(b, " as permitted sender");
		break;
	case SPF_FAIL:
		buf_add_cstr(b, "domain of ");
		buf_add_slice(b, d);
		buf_add_cstr(b, " does not designate ");
		buf_add_slice(b, ip);
		buf_add_cstr(b, " as permitted sender");
		break;
	case SPF_SOFTFAIL:
		buf_add_cstr(b, "transitioning domain of ");
		buf_add_slice(b, d);
		buf_add_cstr(b, " does not designate ");
		buf_add_slice(b, ip);
		buf_add_cstr(b, " as permitted sender");
		break;
	case SPF_NEUTRAL:
		buf_add_slice(b, ip);
		buf_add_cstr(b, " is neither permitted nor denied by domain of ");
		buf_add_slice(b, d);
		break;
	case SPF_NONE:
		buf_add_cstr(b, "domain of ");
		buf_add_slice(b, d);
		buf_add_cstr(b, " does not publish an SPF record");
		break;
	case SPF_PERMERROR:
		buf_add_cstr(b, "permanent error in the SPF record of domain of ");
		buf_add_slice(b, d);
		buf_add_cstr(b, ": ");
		buf_add_slice(b, cut(r, FIELD_REASON_MAX));
		break;
	case SPF_TEMPERROR:
		buf_add_cstr(b, "temporary error while checking the SPF record of domain of ");
		buf_add_slice(b, d);
		buf_add_cstr(b, ": ");
		buf_add_slice(b, cut(r, FIELD_REASON_MAX));
		break;
	}
}

static struct slice receiver_of(const struct spf_request *req)
{
	return req->receiver.len ? req->receiver : SLICE_LIT("unknown");
}

static const char *make_header_comment(struct arena *a, const struct spf_request *req,
                                       const struct spf_outcome *o)
{
	struct buf raw, b;
	buf_init(&raw, a, 8192);
	buf_add_slice(&raw, receiver_of(req));
	buf_add_cstr(&raw, ": ");
	add_comment_body(&raw, o);
	if (raw.err)
		return NULL;
	/* Printable ASCII only: it is shown in headers and logs. */
	buf_init(&b, a, 8192);
	struct slice s = buf_slice(&raw);
	for (size_t i = 0; i < s.len; i++)
		add_printable(&b, (unsigned char)s.ptr[i]);
	return b.err ? NULL : buf_cstr(&b);
}

static const char *make_smtp_comment(struct arena *a, const struct spf_outcome *o)
{
	struct buf b;
	buf_init(&b, a, 8192);
	if (o->result != SPF_FAIL && o->result != SPF_SOFTFAIL && o->result != SPF_NEUTRAL)
		return "";
	struct slice e = o->explanation;
	for (size_t i = 0; i < e.len; i++)
		add_printable(&b, (unsigned char)e.ptr[i]);
	if (e.len)
		buf_add_byte(&b, ' ');
	buf_add_cstr(&b, "(SPF ");
	buf_add_cstr(&b, spf_result_str(o->result));
	if (o->mechanism.len) {
		buf_add_cstr(&b, ", mechanism ");
		struct slice m = cut(o->mechanism, FIELD_REASON_MAX);
		for (size_t i = 0; i < m.len; i++)
			add_printable(&b, (unsigned char)m.ptr[i]);
	} else {
		buf_add_cstr(&b, ", default result");
	}
	buf_add_byte(&b, ')');
	return b.err ? NULL : buf_cstr(&b);
}

/* Replace fold markers by SP or LF TAB so lines stay near FOLD_AT. */
static const char *fold(struct arena *a, struct slice s)
{
	struct buf b;
	buf_init(&b, a, s.len * 2 + 16);
	size_t col = 0, i = 0;
	while (i < s.len) {
		if (s.ptr[i] != FOLD) {
			buf_add_byte(&b, s.ptr[i]);
			col++;
			i++;
			continue;
		}
		/* Length of the next word (up to the next fold point). */
		size_t j = i + 1;
		while (j < s.len && s.ptr[j] != FOLD)
			j++;
		if (col > 1 && col + 1 + (j - i - 1) > FOLD_AT) {
			buf_add_cstr(&b, "\n\t");
			col = 1;
		} else {
			buf_add_byte(&b, ' ');
			col++;
		}
		i++;
	}
	return b.err ? NULL : buf_cstr(&b);
}

static const char *make_received(struct arena *a, const struct spf_request *req,
                                 const struct spf_outcome *o, const char *comment)
{
	struct buf b;
	buf_init(&b, a, 16384);
	buf_add_cstr(&b, "Received-SPF: ");
	buf_add_cstr(&b, spf_result_str(o->result));
	buf_add_byte(&b, FOLD);
	buf_add_byte(&b, '(');
	add_comment_text(&b, slice_from_cstr(comment), true);
	buf_add_byte(&b, ')');

	buf_add_byte(&b, FOLD);
	buf_add_cstr(&b, "receiver=");
	add_value(&b, receiver_of(req));
	buf_add_byte(&b, ';');
	buf_add_byte(&b, FOLD);
	buf_add_cstr(&b, "client-ip=");
	add_value(&b, o->client_ip);
	buf_add_byte(&b, ';');
	bool helo_id = o->identity == SPF_ID_HELO || o->used_helo;
	if (!helo_id) {
		buf_add_byte(&b, FOLD);
		buf_add_cstr(&b, "envelope-from=");
		add_value(&b, slice_trim_ws(req->mail_from));
		buf_add_byte(&b, ';');
	}
	if (req->helo.len) {
		buf_add_byte(&b, FOLD);
		buf_add_cstr(&b, "helo=");
		add_value(&b, cut(req->helo, 255));
		buf_add_byte(&b, ';');
	}
	buf_add_byte(&b, FOLD);
	buf_add_cstr(&b, "identity=");
	buf_add_cstr(&b, helo_id ? "helo" : "mailfrom");
	buf_add_byte(&b, ';');
	if (o->mechanism.len) {
		buf_add_byte(&b, FOLD);
		buf_add_cstr(&b, "mechanism=");
		add_value(&b, cut(o->mechanism, FIELD_REASON_MAX));
		buf_add_byte(&b, ';');
	}
	if ((o->result == SPF_PERMERROR || o->result == SPF_TEMPERROR) && o->reason && o->reason[0]) {
		buf_add_byte(&b, FOLD);
		buf_add_cstr(&b, "problem=");
		add_quoted(&b, cut(slice_from_cstr(o->reason), FIELD_REASON_MAX));
		buf_add_byte(&b, ';');
	}
	if (b.err)
		return NULL;
	return fold(a, buf_slice(&b));
}

static const char *make_authres(struct arena *a, const struct spf_request *req,
                                const struct spf_outcome *o)
{
	struct buf b;
	buf_init(&b, a, 4096);
	buf_add_cstr(&b, "spf=");
	buf_add_cstr(&b, spf_result_str(o->result));
	if ((o->result == SPF_PERMERROR || o->result == SPF_TEMPERROR) && o->reason && o->reason[0]) {
		buf_add_cstr(&b, " (");
		add_comment_text(&b, cut(slice_from_cstr(o->reason), FIELD_REASON_MAX), false);
		buf_add_byte(&b, ')');
	}
	if (o->identity == SPF_ID_HELO || o->used_helo) {
		struct slice h = o->domain.len ? o->domain : slice_trim_ws(req->helo);
		if (h.len) {
			buf_add_cstr(&b, " smtp.helo=");
			add_token_or_quoted(&b, cut(h, 255));
		}
	} else if (o->domain.len) {
		buf_add_cstr(&b, " smtp.mailfrom=");
		add_token_or_quoted(&b, cut(o->domain, 255));
	}
	return b.err ? NULL : buf_cstr(&b);
}

int spf_fields_make(struct arena *a, const struct spf_request *req, const struct spf_outcome *o,
                    struct spf_fields *f)
{
	memset(f, 0, sizeof *f);
	if (!a || !req || !o)
		return SPF_ERR_ARG;
	f->spf_result = spf_result_str(o->result);
	f->spf_header_comment = make_header_comment(a, req, o);
	f->spf_smtp_comment = make_smtp_comment(a, o);
	f->spf_received = f->spf_header_comment ? make_received(a, req, o, f->spf_header_comment) : NULL;
	f->spf_used_domain = arena_strndup(a, o->domain.ptr, o->domain.len);
	f->authres = make_authres(a, req, o);
	if (!f->spf_header_comment || !f->spf_smtp_comment || !f->spf_received || !f->spf_used_domain ||
	    !f->authres) {
		if (!f->spf_header_comment)
			f->spf_header_comment = "";
		if (!f->spf_smtp_comment)
			f->spf_smtp_comment = "";
		if (!f->spf_received)
			f->spf_received = "";
		if (!f->spf_used_domain)
			f->spf_used_domain = "";
		if (!f->authres)
			f->authres = "";
		return SPF_ERR_NOMEM;
	}
	return SPF_OK;
}
