/* report_mail.c — report ids, file names and the report message (see
 * report_mail.h; RFC 9990 "Email", RFC 2045 6.8 base64, RFC 5322 3.3
 * dates).
 *
 * Ownership: output appended to the caller's buf.
 */
#include "report_mail.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

static const char hexdig[] = "0123456789abcdef";

bool report_id_make(struct buf *out, const char *receiver, const char *host, struct slice pdomain,
                    int64_t begin, int64_t end)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	if (!c)
		return false;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	char nums[64];
	int nl = snprintf(nums, sizeof nums, "%" PRId64 "!%" PRId64, begin, end);
	/* Fields separated by NUL bytes so no two inputs run together. */
	bool ok = EVP_DigestInit_ex(c, EVP_sha256(), NULL) == 1 &&
	          EVP_DigestUpdate(c, receiver, strlen(receiver) + 1) == 1 &&
	          EVP_DigestUpdate(c, host, strlen(host) + 1) == 1 &&
	          EVP_DigestUpdate(c, pdomain.ptr, pdomain.len) == 1 &&
	          EVP_DigestUpdate(c, "", 1) == 1 && nl > 0 &&
	          EVP_DigestUpdate(c, nums, (size_t)nl) == 1 &&
	          EVP_DigestFinal_ex(c, md, &mdlen) == 1 && mdlen >= 16;
	EVP_MD_CTX_free(c);
	if (!ok)
		return false;
	for (unsigned i = 0; i < 16; i++) {
		buf_add_byte(out, hexdig[md[i] >> 4]);
		buf_add_byte(out, hexdig[md[i] & 15]);
	}
	return !out->err;
}

static void name_part(struct buf *out, struct slice s)
{
	for (size_t i = 0; i < s.len; i++) {
		char c = s.ptr[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		          c == '-' || c == '_' || (c == '.' && i > 0);
		buf_add_byte(out, ok ? c : '_');
	}
}

void report_filename(struct buf *out, const char *receiver, struct slice pdomain, int64_t begin,
                     int64_t end, struct slice id)
{
	name_part(out, slice_from_cstr(receiver));
	buf_add_byte(out, '!');
	name_part(out, pdomain);
	buf_addf(out, "!%" PRId64 "!%" PRId64, begin, end);
	if (id.len) {
		buf_add_byte(out, '!');
		name_part(out, id);
	}
	buf_add_cstr(out, ".xml.gz");
}

bool report_is_self(const struct report_meta *meta, struct slice addr)
{
	return meta->email && slice_eq_ci(addr, slice_from_cstr(meta->email));
}

/* A display name that needs neither quoting rules nor RFC 2047. */
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

static void base64_lines(struct buf *out, struct slice data)
{
	static const char b64[] =
	        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *p = (const unsigned char *)data.ptr;
	size_t col = 0;
	for (size_t i = 0; i < data.len; i += 3) {
		unsigned v = (unsigned)p[i] << 16;
		size_t left = data.len - i;
		if (left > 1)
			v |= (unsigned)p[i + 1] << 8;
		if (left > 2)
			v |= p[i + 2];
		char q[4] = { b64[(v >> 18) & 63], b64[(v >> 12) & 63],
			      left > 1 ? b64[(v >> 6) & 63] : '=', left > 2 ? b64[v & 63] : '=' };
		buf_add(out, q, 4);
		col += 4;
		if (col == 76) {
			buf_add_byte(out, '\n');
			col = 0;
		}
	}
	if (col)
		buf_add_byte(out, '\n');
}

static void date_field(struct buf *out, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char d[64];
	if (gmtime_r(&tt, &tm) && strftime(d, sizeof d, "%a, %d %b %Y %H:%M:%S +0000", &tm))
		buf_addf(out, "Date: %s\n", d);
}

void report_mail_build(const struct report_mail *m, struct buf *out)
{
	const struct report_meta *meta = m->meta;
	/* The boundary cannot occur in base64 or in our text part. */
	struct buf bnd;
	buf_init(&bnd, out->arena, 128);
	buf_add_cstr(&bnd, "=_mailauth_report_");
	buf_add_slice(&bnd, m->report_id);
	const char *boundary = buf_cstr(&bnd);

	if (plain_phrase(meta->org_name))
		buf_addf(out, "From: \"%s\" <%s>\n", meta->org_name, meta->email);
	else
		buf_addf(out, "From: <%s>\n", meta->email);
	buf_add_cstr(out, "To: <");
	buf_add_slice(out, m->to);
	buf_add_cstr(out, ">\n");

	/* RFC 9990 dmarc-subject; folded before Submitter: and Report-ID:
	 * when the line would pass 78 characters (RFC 5322 2.1.1). */
	size_t len = sizeof "Subject: Report Domain: " - 1 + m->pdomain.len +
	             sizeof " Submitter: " - 1 + strlen(meta->receiver) +
	             sizeof " Report-ID: " - 1 + m->report_id.len;
	const char *sep = len > 78 ? "\n " : " ";
	buf_add_cstr(out, "Subject: Report Domain: ");
	buf_add_slice(out, m->pdomain);
	buf_addf(out, "%sSubmitter: %s%sReport-ID: ", sep, meta->receiver, sep);
	buf_add_slice(out, m->report_id);
	buf_add_byte(out, '\n');

	date_field(out, m->date);
	buf_add_cstr(out, "Message-ID: <");
	buf_add_slice(out, m->report_id);
	buf_addf(out, "@%s>\n", meta->receiver);
	buf_add_cstr(out, "Auto-Submitted: auto-generated\n");
	buf_add_cstr(out, "MIME-Version: 1.0\n");
	buf_addf(out, "Content-Type: multipart/mixed;\n boundary=\"%s\"\n", boundary);
	buf_add_byte(out, '\n');
	buf_add_cstr(out, "This is a DMARC aggregate report in MIME format.\n\n");

	buf_addf(out, "--%s\n", boundary);
	buf_add_cstr(out, "Content-Type: text/plain; charset=us-ascii\n"
	                  "Content-Transfer-Encoding: 7bit\n\n");
	buf_add_cstr(out, "This is an aggregate report (RFC 9990) from\n");
	buf_add_cstr(out, meta->receiver);
	buf_add_cstr(out, "\nabout mail using the domain\n");
	buf_add_slice(out, m->pdomain);
	buf_addf(out, ":\n%" PRIu64 " message%s received from %" PRId64 " to %" PRId64
	              "\n(seconds since 1970, UTC).\n",
	         m->messages, m->messages == 1 ? "" : "s", m->begin, m->end);
	buf_add_cstr(out, "Report-ID: ");
	buf_add_slice(out, m->report_id);
	buf_add_cstr(out, "\n\n");

	buf_addf(out, "--%s\n", boundary);
	/* Folded before the parameters: file names are long (RFC 5322 2.2.3;
	 * a quoted-string itself cannot be folded). */
	buf_add_cstr(out, "Content-Type: application/gzip;\n name=\"");
	buf_add_slice(out, m->filename);
	buf_add_cstr(out, "\"\nContent-Transfer-Encoding: base64\n"
	                  "Content-Disposition: attachment;\n filename=\"");
	buf_add_slice(out, m->filename);
	buf_add_cstr(out, "\"\n\n");
	base64_lines(out, m->attachment);
	buf_addf(out, "\n--%s--\n", boundary);
}
