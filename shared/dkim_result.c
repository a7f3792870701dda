/* dkim_result.c — the words DKIM results are reported in: RFC 8601 2.7.1
 * result values, Exim's $dkim_verify_status / $dkim_verify_reason, the
 * algorithm and canonicalization names of RFC 6376 3.3 and 3.4, and the
 * Authentication-Results properties of a signature (RFC 8601 2.7.1,
 * RFC 6008 for header.b).  Only static strings and the caller's buffers.
 */
#include "dkim.h"

#include "mailauth_limits.h"

const char *dkim_result_str(enum dkim_result r)
{
	switch (r) {
	case DKIM_PASS:
		return "pass";
	case DKIM_FAIL:
		return "fail";
	case DKIM_POLICY:
		return "policy";
	case DKIM_NEUTRAL:
		return "neutral";
	case DKIM_TEMPERROR:
		return "temperror";
	case DKIM_PERMERROR:
		return "permerror";
	case DKIM_NONE:
		break;
	}
	return "none";
}

const char *dkim_status_str(enum dkim_status s)
{
	switch (s) {
	case DKIM_ST_PASS:
		return "pass";
	case DKIM_ST_FAIL:
		return "fail";
	case DKIM_ST_INVALID:
		return "invalid";
	case DKIM_ST_NONE:
		break;
	}
	return "none";
}

const char *dkim_reason_str(enum dkim_reason r)
{
	switch (r) {
	case DKIM_R_OK:
		return "";
	case DKIM_R_PUBKEY_UNAVAILABLE:
		return "pubkey_unavailable";
	case DKIM_R_PUBKEY_DNS_SYNTAX:
		return "pubkey_dns_syntax";
	case DKIM_R_PUBKEY_DER_SYNTAX:
		return "pubkey_der_syntax";
	case DKIM_R_PUBKEY_TOO_SHORT:
		return "pubkey_too_short";
	case DKIM_R_BODYHASH_MISMATCH:
		return "bodyhash_mismatch";
	case DKIM_R_SIGNATURE_INCORRECT:
		return "signature_incorrect";
	case DKIM_R_PUBKEY_TOO_LONG:
		return "pubkey_too_long";
	case DKIM_R_PUBKEY_REVOKED:
		return "pubkey_revoked";
	case DKIM_R_PUBKEY_MISMATCH:
		return "pubkey_not_applicable";
	case DKIM_R_ALGORITHM_INSECURE:
		return "algorithm_insecure";
	case DKIM_R_SIGNATURE_SYNTAX:
		return "signature_syntax";
	case DKIM_R_SIGNATURE_VERSION:
		return "signature_version";
	case DKIM_R_ALGORITHM_UNSUPPORTED:
		return "algorithm_unsupported";
	case DKIM_R_IDENTITY_MISMATCH:
		return "identity_mismatch";
	case DKIM_R_FROM_NOT_SIGNED:
		return "from_not_signed";
	case DKIM_R_SIGNATURE_EXPIRED:
		return "signature_expired";
	case DKIM_R_BODY_LENGTH:
		return "body_length_exceeded";
	case DKIM_R_NOT_EVALUATED:
		return "not_evaluated";
	case DKIM_R_INTERNAL:
		break;
	}
	return "internal_error";
}

enum dkim_result dkim_reason_result(enum dkim_reason r, bool dns_temporary)
{
	switch (r) {
	case DKIM_R_OK:
		return DKIM_PASS;
	case DKIM_R_BODYHASH_MISMATCH:
	case DKIM_R_SIGNATURE_INCORRECT:
		return DKIM_FAIL;
	case DKIM_R_PUBKEY_TOO_SHORT:
	case DKIM_R_PUBKEY_TOO_LONG:
	case DKIM_R_ALGORITHM_INSECURE:
		/* RFC 8601 2.7.1 "policy": signed, but some aspect of the
		 * signature was not acceptable (RFC 8301, or our size cap). */
		return DKIM_POLICY;
	case DKIM_R_SIGNATURE_SYNTAX:
	case DKIM_R_SIGNATURE_VERSION:
	case DKIM_R_ALGORITHM_UNSUPPORTED:
	case DKIM_R_NOT_EVALUATED:
		/* RFC 8601 2.7.1 "neutral": signature with syntax errors or
		 * that could not otherwise be processed. */
		return DKIM_NEUTRAL;
	case DKIM_R_PUBKEY_UNAVAILABLE:
		return dns_temporary ? DKIM_TEMPERROR : DKIM_PERMERROR;
	case DKIM_R_INTERNAL:
		/* We could not finish; trying again may work. */
		return DKIM_TEMPERROR;
	default:
		return DKIM_PERMERROR;
	}
}

enum dkim_status dkim_reason_status(enum dkim_reason r)
{
	switch (r) {
	case DKIM_R_OK:
		return DKIM_ST_PASS;
	case DKIM_R_BODYHASH_MISMATCH:
	case DKIM_R_SIGNATURE_INCORRECT:
	case DKIM_R_PUBKEY_TOO_SHORT: /* as Exim reports a short key */
	case DKIM_R_ALGORITHM_INSECURE:
		return DKIM_ST_FAIL;
	case DKIM_R_NOT_EVALUATED:
		return DKIM_ST_NONE;
	default:
		return DKIM_ST_INVALID;
	}
}

const char *dkim_canon_str(enum dkim_canon c)
{
	return c == DKIM_CANON_RELAXED ? "relaxed" : "simple";
}

const char *dkim_algo_str(enum dkim_algo a)
{
	switch (a) {
	case DKIM_ALG_ED25519_SHA256:
		return "ed25519-sha256";
	case DKIM_ALG_RSA_SHA1:
		return "rsa-sha1";
	case DKIM_ALG_RSA_SHA256:
		break;
	}
	return "rsa-sha256";
}

enum dkim_hash dkim_algo_hash(enum dkim_algo a)
{
	return a == DKIM_ALG_RSA_SHA1 ? DKIM_HASH_SHA1 : DKIM_HASH_SHA256;
}

enum dkim_keytype dkim_algo_keytype(enum dkim_algo a)
{
	return a == DKIM_ALG_ED25519_SHA256 ? DKIM_KEY_ED25519 : DKIM_KEY_RSA;
}

size_t dkim_hash_len(enum dkim_hash h)
{
	return h == DKIM_HASH_SHA1 ? 20 : 32;
}

/* ------------------------------------------- Authentication-Results -- */

static bool res_is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

void dkim_ar_props(const struct dkim_sig_result *s, struct dkim_ar_props *out)
{
	out->d = s->d;
	out->i = s->i;
	out->s = s->s;
	out->a = s->a;
	/* RFC 6008 2: the first 8 characters of the b= value (FWS is not
	 * part of the value's characters).  They point into the message when
	 * the first 8 are contiguous, which they almost always are; otherwise
	 * only the contiguous prefix is given. */
	const char *p = s->b.ptr, *end = s->b.ptr + s->b.len;
	while (p < end && res_is_ws(*p))
		p++;
	const char *q = p;
	while (q < end && q - p < 8 && !res_is_ws(*q))
		q++;
	out->b = slice_between(p, q);
}

/* RFC 8601 2.2 pvalue: a value that is not a plain token (RFC 2045) or a
 * "[local-part] @ domain" is written as a quoted-string. */
static bool res_is_token_char(unsigned char c)
{
	if (c <= ' ' || c >= 0x7f)
		return false;
	switch (c) {
	case '(': case ')': case '<': case '>': case '@': case ',': case ';':
	case ':': case '\\': case '"': case '/': case '[': case ']': case '?':
	case '=':
		return false;
	default:
		return true;
	}
}

static bool res_is_token(struct slice v)
{
	if (v.len == 0)
		return false;
	for (size_t i = 0; i < v.len; i++)
		if (!res_is_token_char((unsigned char)v.ptr[i]))
			return false;
	return true;
}

/* "@domain" or "local@domain" where both parts are dot-atoms of token
 * characters: RFC 8601 allows it bare. */
static bool res_is_addr(struct slice v)
{
	const char *at = slice_find_byte(v, '@');
	if (!at)
		return false;
	struct slice local = slice_between(v.ptr, at);
	struct slice dom = slice_between(at + 1, v.ptr + v.len);
	if (local.len && !res_is_token(local))
		return false;
	return res_is_token(dom);
}

static void res_add_pvalue(struct buf *out, struct slice v)
{
	if (res_is_token(v) || res_is_addr(v)) {
		buf_add_slice(out, v);
		return;
	}
	buf_add_byte(out, '"');
	for (size_t i = 0; i < v.len; i++) {
		unsigned char c = (unsigned char)v.ptr[i];
		if (c == '"' || c == '\\')
			buf_add_byte(out, '\\');
		buf_add_byte(out, (c < ' ' || c == 0x7f) ? ' ' : (char)c);
	}
	buf_add_byte(out, '"');
}

static void res_add_prop(struct buf *out, const char *name, struct slice v)
{
	if (!v.len)
		return;
	buf_add_byte(out, ' ');
	buf_add_cstr(out, name);
	buf_add_byte(out, '=');
	res_add_pvalue(out, v);
}

void dkim_ar_format(struct buf *out, const struct dkim_sig_result *s)
{
	struct dkim_ar_props p;
	dkim_ar_props(s, &p);
	buf_add_cstr(out, "dkim=");
	buf_add_cstr(out, dkim_result_str(s->result));
	if (s->result != DKIM_PASS && s->detail && s->detail[0]) {
		/* A comment: parentheses and backslashes escaped, control bytes
		 * made spaces, cut at AR_MAX_TEXT. */
		buf_add_cstr(out, " (");
		size_t n = 0;
		for (const char *c = s->detail; *c && n < AR_MAX_TEXT; c++, n++) {
			unsigned char ch = (unsigned char)*c;
			if (ch == '(' || ch == ')' || ch == '\\')
				buf_add_byte(out, '\\');
			buf_add_byte(out, (ch < ' ' || ch == 0x7f) ? ' ' : (char)ch);
		}
		if (n >= AR_MAX_TEXT)
			buf_add_cstr(out, "...");
		buf_add_byte(out, ')');
	}
	res_add_prop(out, "header.d", p.d);
	res_add_prop(out, "header.i", p.i);
	res_add_prop(out, "header.s", p.s);
	res_add_prop(out, "header.a", p.a);
	res_add_prop(out, "header.b", p.b);
}
