/* failure_report.c — fo= decision, redaction, spool records, the RFC 6591
 * report message and the rate limiter of DMARC failure reports (see
 * failure_report.h; RFC 9991, RFC 6591, RFC 5965, RFC 6590).
 *
 * Ownership: output appended to the caller's buf; parsed slices point
 * into the caller's text; the rate limiter's entries live in its arena.
 */
#include "failure_report.h"

#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "dmarc.h"
#include "hist.h"

/* ------------------------------------------------------------------ */
/* fo=                                                                 */

bool failure_fo_wants(unsigned fo, const struct failure_auth *f)
{
	if (!fo)
		fo = DMARC_FO_0;
	if ((fo & DMARC_FO_0) && !f->spf_aligned_pass && !f->dkim_aligned_pass)
		return true;
	if ((fo & DMARC_FO_1) && (!f->spf_aligned_pass || !f->dkim_aligned_pass))
		return true;
	if ((fo & DMARC_FO_D) && f->dkim_failed)
		return true;
	if ((fo & DMARC_FO_S) && f->spf_failed)
		return true;
	return false;
}

/* ------------------------------------------------------------------ */
/* Redaction                                                           */

bool failure_field_has_addresses(struct slice name)
{
	static const char *const names[] = {
		"From", "To", "Cc", "Bcc", "Sender", "Reply-To", "Return-Path", "Resent-From",
		"Resent-To", "Resent-Cc", "Resent-Bcc", "Resent-Sender", "Delivered-To",
		"X-Original-To", "Envelope-To", "Received", "Disposition-Notification-To",
	};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (slice_eq_cstr_ci(name, names[i]))
			return true;
	return false;
}

static bool ends_local_part(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '<' || c == ',' ||
	       c == ':' || c == ';' || c == '(' || c == ')' || c == '"' || c == '[' || c == ']' ||
	       c == '>' || c == '@';
}

void failure_redact_addresses(struct buf *out, struct slice v)
{
	size_t done = 0; /* bytes of v already copied */
	for (size_t at = 0; at < v.len; at++) {
		if (v.ptr[at] != '@')
			continue;
		size_t start = at;
		if (at > done && v.ptr[at - 1] == '"') {
			/* A quoted local part: back to its opening quote. */
			size_t q = at - 1;
			while (q > done) {
				q--;
				if (v.ptr[q] == '"' && (q == done || v.ptr[q - 1] != '\\'))
					break;
			}
			if (v.ptr[q] == '"' && q < at - 1)
				start = q;
		} else {
			while (start > done && !ends_local_part(v.ptr[start - 1]))
				start--;
		}
		if (start == at)
			continue; /* "@domain" alone: nothing to hide */
		buf_add(out, v.ptr + done, start - done);
		buf_add_cstr(out, FAILURE_REDACTED);
		done = at;
	}
	buf_add(out, v.ptr + done, v.len - done);
}

/* Append s with LF line ends: CR before LF dropped, other CR and NUL
 * bytes as blanks. */
static void add_lf(struct buf *out, struct slice s)
{
	for (size_t i = 0; i < s.len; i++) {
		char c = s.ptr[i];
		if (c == '\r' && i + 1 < s.len && s.ptr[i + 1] == '\n')
			continue;
		buf_add_byte(out, c == '\r' || c == '\0' ? ' ' : c);
	}
}

bool failure_headers_write(struct buf *out, const struct msg *m, bool redact, size_t max)
{
	struct buf field;
	for (size_t i = 0; i < m->nhdr; i++) {
		const struct msg_header *h = &m->hdr[i];
		if (!h->name.len)
			continue; /* malformed lines are not part of a header section */
		buf_init(&field, out->arena, max + 1);
		if (redact && failure_field_has_addresses(h->name) && h->value.ptr >= h->raw.ptr &&
		    h->value.ptr <= slice_end(h->raw)) {
			struct buf red;
			buf_init(&red, out->arena, max + 1);
			failure_redact_addresses(&red, h->value);
			add_lf(&field, slice_between(h->raw.ptr, h->value.ptr));
			add_lf(&field, buf_slice(&red));
			if (red.err)
				field.err = true;
		} else {
			add_lf(&field, h->raw);
		}
		buf_add_byte(&field, '\n');
		if (field.err || out->len + field.len > max)
			return false;
		buf_add_slice(out, buf_slice(&field));
	}
	return !out->err;
}

/* ------------------------------------------------------------------ */
/* Spool record                                                        */

static void add_value(struct buf *out, const char *name, struct slice v)
{
	buf_add_cstr(out, name);
	buf_add_cstr(out, ": ");
	v = slice_trim_ws(v);
	size_t n = 0;
	for (size_t i = 0; i < v.len && n < FAILURE_MAX_FIELD_BYTES; i++) {
		unsigned char c = (unsigned char)v.ptr[i];
		if (c == '\r' || c == '\n')
			continue; /* unfolded (RFC 5322 2.2.3) */
		buf_add_byte(out, c >= 0x20 && c < 0x7f ? (char)c : c == '\t' ? ' ' : '?');
		n++;
	}
	buf_add_byte(out, '\n');
}

void failure_record_format(const struct failure_record *r, struct buf *out)
{
	buf_add_cstr(out, "Version: 1\n");
	add_value(out, "Policy-Domain", r->policy_domain);
	add_value(out, "Reported-Domain", r->reported_domain);
	for (size_t i = 0; i < r->n_ruf && i < DMARC_MAX_REPORT_URIS; i++)
		add_value(out, "Ruf", r->ruf[i]);
	add_value(out, "Source-IP", r->source_ip);
	add_value(out, "Original-Mail-From", r->mail_from);
	buf_addf(out, "Arrival-Date: %" PRId64 "\n", r->arrival);
	add_value(out, "Authentication-Results", r->authres);
	add_value(out, "Identity-Alignment", r->alignment);
	add_value(out, "Delivery-Result", r->delivery_result);
	buf_addf(out, "Headers-Truncated: %s\n\n", r->truncated ? "yes" : "no");
	buf_add_slice(out, r->headers);
}

enum failure_parse_status failure_record_parse(struct slice text, struct failure_record *out,
                                               const char **why)
{
	memset(out, 0, sizeof *out);
	const char *p = text.ptr, *end = slice_end(text);
	bool version = false, blank = false;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl) {
			*why = "the metadata does not end in a blank line";
			return FAILURE_PARSE_BAD;
		}
		struct slice line = slice_between(p, nl);
		p = nl + 1;
		if (line.len == 0) {
			blank = true;
			break;
		}
		struct slice name, value;
		if (!slice_split_byte(line, ':', &name, &value)) {
			*why = "a metadata line without ':'";
			return FAILURE_PARSE_BAD;
		}
		value = slice_trim_ws(value);
		if (slice_eq_cstr_ci(name, "Version")) {
			if (!slice_eq_cstr_ci(value, "1")) {
				*why = "unknown Version";
				return FAILURE_PARSE_BAD;
			}
			version = true;
		} else if (slice_eq_cstr_ci(name, "Policy-Domain")) {
			out->policy_domain = value;
		} else if (slice_eq_cstr_ci(name, "Reported-Domain")) {
			out->reported_domain = value;
		} else if (slice_eq_cstr_ci(name, "Ruf")) {
			if (out->n_ruf < DMARC_MAX_REPORT_URIS && value.len)
				out->ruf[out->n_ruf++] = value;
		} else if (slice_eq_cstr_ci(name, "Source-IP")) {
			out->source_ip = value;
		} else if (slice_eq_cstr_ci(name, "Original-Mail-From")) {
			out->mail_from = value;
		} else if (slice_eq_cstr_ci(name, "Arrival-Date")) {
			uint64_t t;
			if (!slice_parse_u64(value, (uint64_t)INT64_MAX / 2, &t)) {
				*why = "Arrival-Date is not a number";
				return FAILURE_PARSE_BAD;
			}
			out->arrival = (int64_t)t;
		} else if (slice_eq_cstr_ci(name, "Authentication-Results")) {
			out->authres = value;
		} else if (slice_eq_cstr_ci(name, "Identity-Alignment")) {
			out->alignment = value;
		} else if (slice_eq_cstr_ci(name, "Delivery-Result")) {
			out->delivery_result = value;
		} else if (slice_eq_cstr_ci(name, "Headers-Truncated")) {
			out->truncated = slice_eq_cstr_ci(value, "yes");
		}
	}
	if (!blank) {
		*why = "the metadata does not end in a blank line";
		return FAILURE_PARSE_BAD;
	}
	if (!version || !out->policy_domain.len || !out->reported_domain.len || !out->n_ruf) {
		*why = "Version, Policy-Domain, Reported-Domain or Ruf missing";
		return FAILURE_PARSE_BAD;
	}
	out->headers = slice_between(p, end);
	return FAILURE_PARSE_OK;
}

bool failure_msg_is_report(struct arena *a, const struct msg *m)
{
	size_t pos = 0;
	long i;
	while ((i = msg_find_next(m, SLICE_LIT("Subject"), &pos)) >= 0)
		if (hist_subject_is_report(slice_trim_ws(msg_unfold(a, m->hdr[i].value))))
			return true;
	pos = 0;
	while ((i = msg_find_next(m, SLICE_LIT("Content-Type"), &pos)) >= 0) {
		struct slice ct = slice_trim_ws(msg_unfold(a, m->hdr[i].value));
		struct slice mr = SLICE_LIT("multipart/report");
		if (slice_starts_with_ci(ct, mr)) {
			struct slice rest = slice_sub(ct, mr.len, ct.len);
			if (!rest.len || rest.ptr[0] == ';' || rest.ptr[0] == ' ' || rest.ptr[0] == '\t' ||
			    rest.ptr[0] == '(')
				return true;
		}
	}
	return false;
}

bool failure_headers_are_report(struct arena *a, struct slice headers)
{
	struct msg m;
	if (msg_parse(&m, a, headers) != MSG_OK)
		return true; /* cannot tell: do not report */
	return failure_msg_is_report(a, &m);
}

/* ------------------------------------------------------------------ */
/* The report message                                                  */

static void rfc5322_date(struct buf *out, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char d[64];
	if (gmtime_r(&tt, &tm) && strftime(d, sizeof d, "%a, %d %b %Y %H:%M:%S +0000", &tm))
		buf_add_cstr(out, d);
	else
		buf_addf(out, "%" PRId64, t);
}

static bool plain_phrase(const char *s)
{
	if (!s || !*s)
		return false;
	for (const char *p = s; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c < 0x20 || c > 0x7e || c == '"' || c == '\\')
			return false;
	}
	return true;
}

static bool has_8bit(struct slice s)
{
	for (size_t i = 0; i < s.len; i++)
		if ((unsigned char)s.ptr[i] >= 0x80)
			return true;
	return false;
}

static bool contains(struct slice hay, struct slice needle)
{
	if (needle.len == 0 || hay.len < needle.len)
		return false;
	for (size_t i = 0; i + needle.len <= hay.len; i++)
		if (hay.ptr[i] == needle.ptr[0] && memcmp(hay.ptr + i, needle.ptr, needle.len) == 0)
			return true;
	return false;
}

void failure_mail_build(const struct failure_mail *m, struct buf *out)
{
	const struct failure_record *r = m->rec;
	struct arena *a = out->arena;
	size_t cap = FAILURE_MAX_SPOOL_BYTES * 2;

	struct buf text, fb;
	buf_init(&text, a, cap);
	buf_init(&fb, a, cap);
	buf_add_cstr(&text, "This is a DMARC failure report (RFC 9991) in the format of RFC 6591.\n\n"
	                    "A message claiming to be from the domain\n");
	add_lf(&text, r->reported_domain);
	buf_add_cstr(&text, "\nwas received from the IP address ");
	add_lf(&text, r->source_ip);
	buf_add_cstr(&text, "\non ");
	rfc5322_date(&text, r->arrival);
	buf_add_cstr(&text, "\nand failed DMARC authentication.  Its header section follows");
	buf_add_cstr(&text, r->truncated ? " (cut: it was too long).\n" : ".\n");
	buf_add_cstr(&text, "\nReporting system: ");
	buf_add_cstr(&text, m->receiver);
	buf_add_byte(&text, '\n');

	/* RFC 6591 3.1, RFC 5965 3.1: the machine-readable part. */
	buf_add_cstr(&fb, "Feedback-Type: auth-failure\n");
	buf_addf(&fb, "User-Agent: %s\n", m->user_agent);
	buf_add_cstr(&fb, "Version: 1\n");
	add_value(&fb, "Original-Mail-From", r->mail_from);
	buf_add_cstr(&fb, "Arrival-Date: ");
	rfc5322_date(&fb, r->arrival);
	buf_add_byte(&fb, '\n');
	if (r->source_ip.len)
		add_value(&fb, "Source-IP", r->source_ip);
	add_value(&fb, "Reported-Domain", r->reported_domain);
	add_value(&fb, "Authentication-Results", r->authres);
	add_value(&fb, "Identity-Alignment", r->alignment.len ? r->alignment : SLICE_LIT("none"));
	buf_add_cstr(&fb, "Auth-Failure: dmarc\n");
	add_value(&fb, "Delivery-Result",
	          r->delivery_result.len ? r->delivery_result : SLICE_LIT("other"));

	/* A boundary found in none of the parts (a header section may hold
	 * anything, a field named "--x" included). */
	struct buf bnd;
	buf_init(&bnd, a, 256);
	buf_add_cstr(&bnd, "=_mailauth_arf_");
	buf_add_slice(&bnd, m->id);
	for (unsigned k = 0; k < 64 && !bnd.err; k++) {
		struct slice b = buf_slice(&bnd);
		if (!contains(buf_slice(&text), b) && !contains(buf_slice(&fb), b) &&
		    !contains(r->headers, b))
			break;
		buf_addf(&bnd, "_%u", k);
	}
	const char *boundary = buf_cstr(&bnd);

	if (plain_phrase(m->org_name))
		buf_addf(out, "From: \"%s\" <%s>\n", m->org_name, m->from);
	else
		buf_addf(out, "From: <%s>\n", m->from);
	buf_add_cstr(out, "To: <");
	buf_add_slice(out, m->to);
	buf_add_cstr(out, ">\n");
	buf_add_cstr(out, "Subject: DMARC failure report for ");
	add_lf(out, r->reported_domain);
	buf_add_cstr(out, " from ");
	add_lf(out, r->source_ip.len ? r->source_ip : SLICE_LIT("an unknown host"));
	buf_add_cstr(out, "\nDate: ");
	rfc5322_date(out, m->date);
	buf_add_cstr(out, "\nMessage-ID: <");
	buf_add_slice(out, m->id);
	buf_addf(out, ".arf@%s>\n", m->receiver);
	buf_add_cstr(out, "Auto-Submitted: auto-generated\n");
	buf_add_cstr(out, "MIME-Version: 1.0\n");
	buf_addf(out, "Content-Type: multipart/report; report-type=feedback-report;\n"
	              " boundary=\"%s\"\n\n",
	         boundary);
	buf_add_cstr(out, "This is a DMARC failure report in MIME format.\n\n");

	buf_addf(out, "--%s\n", boundary);
	buf_add_cstr(out, "Content-Type: text/plain; charset=us-ascii\n"
	                  "Content-Transfer-Encoding: 7bit\n\n");
	buf_add_slice(out, buf_slice(&text));
	buf_addf(out, "\n--%s\n", boundary);
	buf_add_cstr(out, "Content-Type: message/feedback-report\n\n");
	buf_add_slice(out, buf_slice(&fb));
	buf_addf(out, "\n--%s\n", boundary);
	buf_addf(out, "Content-Type: text/rfc822-headers%s\n", has_8bit(r->headers) ? "" : "; charset=us-ascii");
	buf_addf(out, "Content-Transfer-Encoding: %s\n\n", has_8bit(r->headers) ? "8bit" : "7bit");
	add_lf(out, r->headers);
	buf_addf(out, "\n--%s--\n", boundary);
	if (text.err || fb.err || bnd.err)
		out->err = true;
}

/* ------------------------------------------------------------------ */
/* Rate limit                                                          */

void failure_rate_init(struct failure_rate *r, struct arena *a)
{
	memset(r, 0, sizeof *r);
	r->a = a;
}

static struct failure_rate_entry *rate_find(struct failure_rate *r, struct slice domain)
{
	for (size_t i = 0; i < r->n; i++)
		if (slice_eq_ci(r->e[i].domain, domain))
			return &r->e[i];
	return NULL;
}

static struct failure_rate_entry *rate_add(struct failure_rate *r, struct slice domain)
{
	if (r->n >= FAILURE_MAX_RATE_DOMAINS)
		return NULL;
	if (r->n == r->cap) {
		size_t ncap = r->cap ? r->cap * 2 : 16;
		void *ne = arena_realloc(r->a, r->e, r->cap * sizeof *r->e, ncap * sizeof *r->e);
		if (!ne)
			return NULL;
		r->e = ne;
		r->cap = ncap;
	}
	struct slice d = arena_slice_dup(r->a, domain);
	if (!d.ptr)
		return NULL;
	struct failure_rate_entry *e = &r->e[r->n++];
	e->domain = d;
	e->hour = 0;
	e->count = 0;
	return e;
}

bool failure_rate_parse(struct failure_rate *r, struct slice text)
{
	const char *p = text.ptr, *end = slice_end(text);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;
		struct slice line = slice_between(p, eol), dom, rest, hour, count;
		p = nl ? nl + 1 : end;
		if (!line.len)
			continue;
		uint64_t h, c;
		if (!slice_split_byte(line, ' ', &dom, &rest) || !slice_split_byte(rest, ' ', &hour, &count) ||
		    !dom.len || dom.len > 253 || !slice_is_printable_ascii(dom) ||
		    !slice_parse_u64(hour, (uint64_t)INT64_MAX / 3600, &h) ||
		    !slice_parse_u64(count, FAILURE_MAX_RATE, &c))
			goto bad;
		struct failure_rate_entry *e = rate_find(r, dom);
		if (!e && !(e = rate_add(r, dom)))
			goto bad;
		e->hour = (int64_t)h;
		e->count = (unsigned)c;
	}
	return true;
bad:
	r->n = 0;
	return false;
}

bool failure_rate_take(struct failure_rate *r, struct slice domain, int64_t now, unsigned limit)
{
	int64_t hour = now / 3600;
	struct failure_rate_entry *e = rate_find(r, domain);
	if (!e && !(e = rate_add(r, domain)))
		return false;
	if (e->hour != hour) {
		e->hour = hour;
		e->count = 0;
	}
	if (e->count >= limit)
		return false;
	e->count++;
	return true;
}

void failure_rate_give_back(struct failure_rate *r, struct slice domain, int64_t now)
{
	struct failure_rate_entry *e = rate_find(r, domain);
	if (e && e->hour == now / 3600 && e->count)
		e->count--;
}

void failure_rate_format(const struct failure_rate *r, int64_t now, struct buf *out)
{
	int64_t hour = now / 3600;
	for (size_t i = 0; i < r->n; i++) {
		if (r->e[i].hour < hour)
			continue;
		buf_add_slice(out, r->e[i].domain);
		buf_addf(out, " %" PRId64 " %u\n", r->e[i].hour, r->e[i].count);
	}
}
