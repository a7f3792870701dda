/* hist.c — the DMARC history file: formatting, appending and parsing of
 * records in OpenDMARC's history format (see hist.h for the layout and
 * doc-snippets/history-format.md for administrators).
 *
 * Numeric codes follow OpenDMARC: ARES_RESULT_* (opendmarc-ar.h),
 * DMARC_POLICY_* and DMARC_RECORD_* (libopendmarc/dmarc.h), DMARC_RESULT_*
 * and DMARC_ARC_POLICY_RESULT_* (opendmarc.h).  Aggregate reports built from
 * these records are RFC 9990's.
 *
 * Ownership: formatting writes into the caller's buf; parsing returns
 * slices into the caller's text or into the caller's arena.
 */
#include "hist.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* OpenDMARC's ARES_RESULT_* codes (opendmarc-ar.h). */
#define ARES_UNDEFINED (-1)
#define ARES_PASS        0
#define ARES_SOFTFAIL    2
#define ARES_NEUTRAL     3
#define ARES_TEMPERROR   4
#define ARES_PERMERROR   5
#define ARES_NONE        6
#define ARES_FAIL        7
#define ARES_POLICY      8

/* libopendmarc dmarc.h: DMARC_POLICY_* (the policy to enforce). */
#define POLICY_ABSENT     14
#define POLICY_PASS       15
#define POLICY_REJECT     16
#define POLICY_QUARANTINE 17
#define POLICY_NONE       18

/* dmarc.h DMARC_RECORD_P_* and DMARC_RECORD_A_*: the tag's letter. */
#define REC_UNSPEC 0
#define REC_NONE   'n'
#define REC_QUAR   'q'
#define REC_REJECT 'r'
#define REC_A_RELAXED 'r'
#define REC_A_STRICT  's'

/* dmarc.h DMARC_POLICY_DKIM/SPF_ALIGNMENT_PASS/FAIL. */
#define ALIGN_PASS 4
#define ALIGN_FAIL 5

/* opendmarc.h DMARC_RESULT_* (what the filter did). */
#define ACTION_REJECT     0
#define ACTION_DISCARD    1
#define ACTION_ACCEPT     2
#define ACTION_TEMPFAIL   3
#define ACTION_QUARANTINE 4

/* opendmarc.h DMARC_ARC_POLICY_RESULT_*. */
#define ARCPOL_PASS   0
#define ARCPOL_UNUSED 1
#define ARCPOL_FAIL   2

/* ------------------------------------------------------------------ */
/* Words                                                               */

const char *hist_auth_str(enum hist_auth a)
{
	switch (a) {
	case HIST_AUTH_UNSET: return "";
	case HIST_AUTH_NONE: return "none";
	case HIST_AUTH_PASS: return "pass";
	case HIST_AUTH_FAIL: return "fail";
	case HIST_AUTH_SOFTFAIL: return "softfail";
	case HIST_AUTH_NEUTRAL: return "neutral";
	case HIST_AUTH_POLICY: return "policy";
	case HIST_AUTH_TEMPERROR: return "temperror";
	case HIST_AUTH_PERMERROR: return "permerror";
	}
	return "";
}

const char *hist_policy_str(enum hist_policy p)
{
	switch (p) {
	case HIST_POLICY_UNSPECIFIED: return "";
	case HIST_POLICY_NONE: return "none";
	case HIST_POLICY_QUARANTINE: return "quarantine";
	case HIST_POLICY_REJECT: return "reject";
	}
	return "";
}

const char *hist_result_str(enum hist_result r)
{
	switch (r) {
	case HIST_RESULT_NONE: return "none";
	case HIST_RESULT_PASS: return "pass";
	case HIST_RESULT_FAIL: return "fail";
	case HIST_RESULT_TEMPERROR: return "temperror";
	case HIST_RESULT_PERMERROR: return "permerror";
	}
	return "none";
}

const char *hist_disposition_str(enum hist_disposition d)
{
	switch (d) {
	case HIST_DISP_NONE: return "none";
	case HIST_DISP_PASS: return "pass";
	case HIST_DISP_QUARANTINE: return "quarantine";
	case HIST_DISP_REJECT: return "reject";
	}
	return "none";
}

const char *hist_override_str(enum hist_override_type t)
{
	switch (t) {
	case HIST_OVERRIDE_LOCAL_POLICY: return "local_policy";
	case HIST_OVERRIDE_MAILING_LIST: return "mailing_list";
	case HIST_OVERRIDE_OTHER: return "other";
	case HIST_OVERRIDE_POLICY_TEST_MODE: return "policy_test_mode";
	case HIST_OVERRIDE_TRUSTED_FORWARDER: return "trusted_forwarder";
	case HIST_OVERRIDE_SAMPLED_OUT: return "sampled_out";
	}
	return "other";
}

const char *hist_discovery_str(enum hist_discovery d)
{
	switch (d) {
	case HIST_DISCOVERY_UNKNOWN: return "";
	case HIST_DISCOVERY_PSL: return "psl";
	case HIST_DISCOVERY_TREEWALK: return "treewalk";
	}
	return "";
}

void hist_record_init(struct hist_record *r)
{
	memset(r, 0, sizeof *r);
	r->spf = HIST_AUTH_UNSET;
	r->spf_scope = HIST_SPF_MFROM;
	r->pct = 100;
	r->arc = HIST_AUTH_NONE;
	r->result = HIST_RESULT_NONE;
	r->disposition = HIST_DISP_NONE;
	r->discovery = HIST_DISCOVERY_UNKNOWN;
}

enum hist_disposition hist_disposition_for(enum hist_result result, enum hist_policy requested,
                                           enum hist_policy applied)
{
	if (result == HIST_RESULT_PASS)
		return (requested == HIST_POLICY_QUARANTINE || requested == HIST_POLICY_REJECT)
		               ? HIST_DISP_PASS
		               : HIST_DISP_NONE;
	if (applied == HIST_POLICY_REJECT)
		return HIST_DISP_REJECT;
	if (applied == HIST_POLICY_QUARANTINE)
		return HIST_DISP_QUARANTINE;
	return HIST_DISP_NONE;
}

bool hist_subject_is_report(struct slice subject)
{
	/* RFC 9990 dmarc-subject: "Report" 1*FWS "Domain:" 1*FWS domain-name
	 * 1*FWS "Submitter:" ...  Leading FWS of the field value is skipped. */
	struct slice s = slice_trim_ws(subject);
	if (!slice_starts_with_ci(s, SLICE_LIT("Report")))
		return false;
	size_t i = sizeof "Report" - 1;
	size_t ws = i;
	while (i < s.len && (s.ptr[i] == ' ' || s.ptr[i] == '\t' || s.ptr[i] == '\r' ||
	                     s.ptr[i] == '\n'))
		i++;
	if (i == ws)
		return false;
	struct slice rest = slice_sub(s, i, s.len);
	if (!slice_starts_with_ci(rest, SLICE_LIT("Domain:")))
		return false;
	/* The Submitter: part must follow somewhere after the domain. */
	for (size_t j = 0; j < rest.len; j++)
		if (slice_starts_with_ci(slice_sub(rest, j, rest.len), SLICE_LIT("Submitter:")))
			return true;
	return false;
}

/* ------------------------------------------------------------------ */
/* Code mappings                                                       */

static int auth_to_ares(enum hist_auth a)
{
	switch (a) {
	case HIST_AUTH_UNSET: return ARES_UNDEFINED;
	case HIST_AUTH_NONE: return ARES_NONE;
	case HIST_AUTH_PASS: return ARES_PASS;
	case HIST_AUTH_FAIL: return ARES_FAIL;
	case HIST_AUTH_SOFTFAIL: return ARES_SOFTFAIL;
	case HIST_AUTH_NEUTRAL: return ARES_NEUTRAL;
	case HIST_AUTH_POLICY: return ARES_POLICY;
	case HIST_AUTH_TEMPERROR: return ARES_TEMPERROR;
	case HIST_AUTH_PERMERROR: return ARES_PERMERROR;
	}
	return ARES_UNDEFINED;
}

/* Codes OpenDMARC defines but no RFC 8601 result matches (unused, nxdomain,
 * signed, unknown, discard; Exim writes "unknown" for some broken
 * signatures) are read as permerror: the signature could not be used. */
static enum hist_auth ares_to_auth(int64_t c)
{
	switch (c) {
	case ARES_UNDEFINED: return HIST_AUTH_UNSET;
	case ARES_PASS: return HIST_AUTH_PASS;
	case ARES_SOFTFAIL: return HIST_AUTH_SOFTFAIL;
	case ARES_NEUTRAL: return HIST_AUTH_NEUTRAL;
	case ARES_TEMPERROR: return HIST_AUTH_TEMPERROR;
	case ARES_PERMERROR: return HIST_AUTH_PERMERROR;
	case ARES_NONE: return HIST_AUTH_NONE;
	case ARES_FAIL: return HIST_AUTH_FAIL;
	case ARES_POLICY: return HIST_AUTH_POLICY;
	}
	return HIST_AUTH_PERMERROR;
}

static int policy_to_rec(enum hist_policy p)
{
	switch (p) {
	case HIST_POLICY_UNSPECIFIED: return REC_UNSPEC;
	case HIST_POLICY_NONE: return REC_NONE;
	case HIST_POLICY_QUARANTINE: return REC_QUAR;
	case HIST_POLICY_REJECT: return REC_REJECT;
	}
	return REC_UNSPEC;
}

static enum hist_policy rec_to_policy(int64_t c)
{
	switch (c) {
	case REC_NONE: return HIST_POLICY_NONE;
	case REC_QUAR: return HIST_POLICY_QUARANTINE;
	case REC_REJECT: return HIST_POLICY_REJECT;
	}
	return HIST_POLICY_UNSPECIFIED;
}

/* libopendmarc's "policy to enforce". */
static int policy_code(const struct hist_record *r)
{
	if (r->result == HIST_RESULT_NONE || r->pdomain.len == 0)
		return POLICY_ABSENT;
	if (r->result == HIST_RESULT_PASS)
		return POLICY_PASS;
	if (r->requested == HIST_POLICY_REJECT)
		return POLICY_REJECT;
	if (r->requested == HIST_POLICY_QUARANTINE)
		return POLICY_QUARANTINE;
	return POLICY_NONE;
}

/* What an OpenDMARC filter would have done; a temperror is deferred by the
 * documented ACL rule, so it is a tempfail. */
static int action_code(const struct hist_record *r)
{
	if (r->result == HIST_RESULT_TEMPERROR)
		return ACTION_TEMPFAIL;
	if (r->disposition == HIST_DISP_REJECT)
		return ACTION_REJECT;
	if (r->disposition == HIST_DISP_QUARANTINE)
		return ACTION_QUARANTINE;
	return ACTION_ACCEPT;
}

static int arc_policy_code(const struct hist_record *r)
{
	if (r->arc_override)
		return ARCPOL_PASS;
	if (r->arc == HIST_AUTH_NONE || r->arc == HIST_AUTH_UNSET)
		return ARCPOL_UNUSED;
	return ARCPOL_FAIL;
}

/* ------------------------------------------------------------------ */
/* Formatting                                                          */

static const char hexdig[] = "0123456789ABCDEF";

/* A value of a field OpenDMARC defines: literal, but nothing that could
 * end the field or the line (SP, CR, LF, other controls, 8-bit bytes). */
static void put_compat(struct buf *b, struct slice v)
{
	if (v.len > HIST_MAX_FIELD_BYTES)
		v.len = HIST_MAX_FIELD_BYTES;
	for (size_t i = 0; i < v.len; i++) {
		unsigned char c = (unsigned char)v.ptr[i];
		if (c >= 0x21 && c <= 0x7e) {
			buf_add_byte(b, (char)c);
		} else {
			char e[3] = { '%', hexdig[c >> 4], hexdig[c & 15] };
			buf_add(b, e, 3);
		}
	}
}

static bool ext_plain(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return c != 0 && memchr("-._~!$&'()*+,;/?@[]", c, 19) != NULL;
}

/* A name=value extension value: percent-encoded, reversible. */
static void put_ext_value(struct buf *b, struct slice v, size_t cap)
{
	if (v.len > cap)
		v.len = cap;
	for (size_t i = 0; i < v.len; i++) {
		unsigned char c = (unsigned char)v.ptr[i];
		if (ext_plain(c)) {
			buf_add_byte(b, (char)c);
		} else {
			char e[3] = { '%', hexdig[c >> 4], hexdig[c & 15] };
			buf_add(b, e, 3);
		}
	}
}

static void put_ext(struct buf *b, const char *name, struct slice v, size_t cap)
{
	buf_add_byte(b, ' ');
	buf_add_cstr(b, name);
	buf_add_byte(b, '=');
	put_ext_value(b, v, cap);
}

static void put_ext_word(struct buf *b, const char *name, const char *word)
{
	buf_add_byte(b, ' ');
	buf_add_cstr(b, name);
	buf_add_byte(b, '=');
	buf_add_cstr(b, word);
}

static void put_line(struct buf *b, const char *key, struct slice v)
{
	buf_add_cstr(b, key);
	buf_add_byte(b, ' ');
	put_compat(b, v);
	buf_add_byte(b, '\n');
}

/* A JSON string for arc_policy: quotes, backslashes and every byte outside
 * printable ASCII escaped (the value stays on one line). */
static void put_json_string(struct buf *b, struct slice v)
{
	if (v.len > HIST_MAX_FIELD_BYTES)
		v.len = HIST_MAX_FIELD_BYTES;
	buf_add_byte(b, '"');
	for (size_t i = 0; i < v.len; i++) {
		unsigned char c = (unsigned char)v.ptr[i];
		if (c == '"' || c == '\\') {
			buf_add_byte(b, '\\');
			buf_add_byte(b, (char)c);
		} else if (c < 0x20 || c > 0x7e) {
			char e[6] = { '\\', 'u', '0', '0', hexdig[c >> 4], hexdig[c & 15] };
			buf_add(b, e, 6);
		} else {
			buf_add_byte(b, (char)c);
		}
	}
	buf_add_byte(b, '"');
}

/* Largest record text hist_format may build before the size check; the
 * per-field caps keep a record with every count at its limit below it. */
#define FORMAT_SCRATCH_MAX (4u * 1024 * 1024)

int hist_format(const struct hist_record *r, struct buf *b)
{
	size_t start = b->len;
	if (b->err)
		return HIST_E_NOMEM;

	/* The empty first line ends a fragment a torn earlier write may have
	 * left, so "job" always starts a line. */
	buf_add_byte(b, '\n');
	put_line(b, "job", r->job);
	put_line(b, "reporter", r->reporter);
	buf_addf(b, "received %" PRId64 "\n", r->received);
	put_line(b, "ipaddr", r->ipaddr);
	put_line(b, "from", r->from_domain);
	put_line(b, "mfrom", r->mfrom_domain);

	if (r->spf != HIST_AUTH_UNSET) {
		buf_addf(b, "spf %d", auth_to_ares(r->spf));
		if (r->spf_domain.len)
			put_ext(b, "domain", r->spf_domain, HIST_MAX_FIELD_BYTES);
		put_ext_word(b, "scope", r->spf_scope == HIST_SPF_HELO ? "helo" : "mfrom");
		if (r->spf_human.len)
			put_ext(b, "human", r->spf_human, AR_MAX_TEXT);
		buf_add_byte(b, '\n');
	}

	size_t nd = r->n_dkim < HIST_MAX_DKIM ? r->n_dkim : HIST_MAX_DKIM;
	for (size_t i = 0; i < nd; i++) {
		const struct hist_dkim *d = &r->dkim[i];
		buf_add_cstr(b, "dkim ");
		put_compat(b, d->domain);
		buf_add_byte(b, ' ');
		put_compat(b, d->selector);
		buf_addf(b, " %d", auth_to_ares(d->result));
		if (d->human.len)
			put_ext(b, "human", d->human, AR_MAX_TEXT);
		buf_add_byte(b, '\n');
	}

	put_line(b, "pdomain", r->pdomain);
	buf_addf(b, "policy %d", policy_code(r));
	put_ext_word(b, "result", hist_result_str(r->result));
	if (r->requested != HIST_POLICY_UNSPECIFIED)
		put_ext_word(b, "requested", hist_policy_str(r->requested));
	put_ext_word(b, "disposition", hist_disposition_str(r->disposition));
	size_t no = r->n_overrides < HIST_MAX_OVERRIDES ? r->n_overrides : HIST_MAX_OVERRIDES;
	for (size_t i = 0; i < no; i++) {
		buf_add_cstr(b, " override=");
		buf_add_cstr(b, hist_override_str(r->overrides[i].type));
		if (r->overrides[i].comment.len) {
			buf_add_byte(b, ':');
			put_ext_value(b, r->overrides[i].comment, AR_MAX_TEXT);
		}
	}
	if (r->is_report)
		put_ext_word(b, "report", "y");
	buf_add_byte(b, '\n');

	size_t nr = r->n_rua < HIST_MAX_RUA ? r->n_rua : HIST_MAX_RUA;
	if (nr == 0)
		buf_add_cstr(b, "rua -\n");
	for (size_t i = 0; i < nr; i++)
		put_line(b, "rua", r->rua[i]);

	buf_addf(b, "pct %u\n", r->pct > 100 ? 100u : r->pct);
	buf_addf(b, "adkim %d\n", r->adkim_strict ? REC_A_STRICT : REC_A_RELAXED);
	buf_addf(b, "aspf %d\n", r->aspf_strict ? REC_A_STRICT : REC_A_RELAXED);

	buf_addf(b, "p %d", policy_to_rec(r->p));
	if (r->np != HIST_POLICY_UNSPECIFIED)
		put_ext_word(b, "np", hist_policy_str(r->np));
	put_ext_word(b, "testing", r->testing ? "y" : "n");
	if (r->discovery != HIST_DISCOVERY_UNKNOWN)
		put_ext_word(b, "discovery", hist_discovery_str(r->discovery));
	if (r->fo.len)
		put_ext(b, "fo", r->fo, HIST_MAX_FIELD_BYTES);
	if (r->ri)
		buf_addf(b, " ri=%" PRIu32, r->ri);
	buf_add_byte(b, '\n');
	buf_addf(b, "sp %d\n", policy_to_rec(r->sp));

	buf_addf(b, "align_dkim %d\n", r->align_dkim ? ALIGN_PASS : ALIGN_FAIL);
	buf_addf(b, "align_spf %d\n", r->align_spf ? ALIGN_PASS : ALIGN_FAIL);

	buf_addf(b, "arc %d\n", auth_to_ares(r->arc));
	buf_addf(b, "arc_policy %d json:[", arc_policy_code(r));
	size_t na = r->n_arc_sets < HIST_MAX_ARC ? r->n_arc_sets : HIST_MAX_ARC;
	for (size_t i = 0; i < na; i++) {
		const struct hist_arc_set *s = &r->arc_sets[i];
		buf_addf(b, "%s{\"i\":%u,\"d\":", i ? "," : "", s->instance);
		put_json_string(b, s->domain);
		buf_add_cstr(b, ",\"s\":");
		put_json_string(b, s->selector);
		if (s->ip.len) {
			buf_add_cstr(b, ",\"ip\":");
			put_json_string(b, s->ip);
		}
		buf_add_byte(b, '}');
	}
	buf_add_cstr(b, "]\n");

	/* The action line stays bare: a record is complete when it arrives,
	 * and a line cut short by a torn write can then never pass for it. */
	buf_addf(b, "action %d\n", action_code(r));

	if (b->err)
		return HIST_E_NOMEM;
	if (b->len - start > HIST_MAX_RECORD_BYTES) {
		b->len = start;
		b->ptr[start] = '\0';
		return HIST_E_TOO_BIG;
	}
	return HIST_OK;
}

int hist_append_fd(int fd, const struct hist_record *r, struct arena *a)
{
	struct buf b;
	buf_init(&b, a, FORMAT_SCRATCH_MAX);
	int rc = hist_format(r, &b);
	if (rc != HIST_OK)
		return rc;
	/* One write() of the whole record: with O_APPEND the kernel positions
	 * and copies it as one unit, so concurrent writers cannot interleave.
	 * Never split it into several writes, not even to finish a short one. */
	ssize_t w;
	do
		w = write(fd, b.ptr, b.len);
	while (w < 0 && errno == EINTR);
	if (w < 0)
		return HIST_E_IO;
	if ((size_t)w != b.len) {
		errno = ENOSPC;
		return HIST_E_IO;
	}
	return HIST_OK;
}

int hist_append_path(const char *path, const struct hist_record *r, struct arena *a, char *err,
                     size_t errlen)
{
	if (errlen)
		err[0] = '\0';
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);
	if (fd < 0) {
		if (errlen)
			snprintf(err, errlen, "cannot open history file %s: %s", path,
			         strerror(errno));
		return HIST_E_IO;
	}
	int rc = hist_append_fd(fd, r, a);
	int saved = errno;
	if (close(fd) != 0 && rc == HIST_OK) {
		saved = errno;
		rc = HIST_E_IO;
	}
	if (rc == HIST_E_IO && errlen)
		snprintf(err, errlen, "cannot write history file %s: %s", path, strerror(saved));
	else if (rc == HIST_E_TOO_BIG && errlen)
		snprintf(err, errlen, "history record larger than %u bytes not written",
		         (unsigned)HIST_MAX_RECORD_BYTES);
	else if (rc == HIST_E_NOMEM && errlen)
		snprintf(err, errlen, "out of memory formatting a history record");
	return rc;
}

/* ------------------------------------------------------------------ */
/* Parsing                                                             */

/* Split off the next field at a single SP (empty fields are kept, as
 * opendmarc-import's split / / keeps them).  Returns false when nothing is
 * left. */
static bool next_field(struct slice *rest, struct slice *f)
{
	if (rest->ptr == NULL)
		return false;
	const char *sp = slice_find_byte(*rest, ' ');
	if (sp) {
		*f = slice_between(rest->ptr, sp);
		*rest = slice_between(sp + 1, slice_end(*rest));
	} else {
		*f = *rest;
		*rest = SLICE_NULL;
	}
	return true;
}

static bool parse_int(struct slice s, int64_t min, int64_t max, int64_t *out)
{
	bool neg = false;
	if (s.len && s.ptr[0] == '-') {
		neg = true;
		s = slice_sub(s, 1, s.len);
	}
	uint64_t v;
	if (!slice_parse_u64(s, neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX, &v))
		return false;
	int64_t x;
	if (neg)
		x = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
	else
		x = (int64_t)v;
	if (x < min || x > max)
		return false;
	*out = x;
	return true;
}

static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decode an extension value (a '%' not followed by two hex digits
 * is taken literally).  The result points into v when nothing was encoded,
 * else into a; SLICE_NULL on out of memory. */
static struct slice ext_decode(struct arena *a, struct slice v)
{
	if (!slice_find_byte(v, '%'))
		return v;
	char *o = arena_alloc(a, v.len + 1);
	if (!o)
		return SLICE_NULL;
	size_t n = 0;
	for (size_t i = 0; i < v.len; i++) {
		int h, l;
		if (v.ptr[i] == '%' && i + 2 < v.len &&
		    (h = hexval((unsigned char)v.ptr[i + 1])) >= 0 &&
		    (l = hexval((unsigned char)v.ptr[i + 2])) >= 0) {
			o[n++] = (char)(h * 16 + l);
			i += 2;
		} else {
			o[n++] = v.ptr[i];
		}
	}
	o[n] = '\0';
	return slice_make(o, n);
}

/* Arrays that grow inside the parse arena (old blocks are abandoned: the
 * arena is per chunk of records, so this stays small). */
static void *grow(struct arena *a, void *p, size_t *cap, size_t n, size_t sz, size_t max,
                  bool *nomem)
{
	if (n < *cap)
		return p;
	if (n >= max)
		return NULL; /* over the limit: the caller drops the item */
	size_t nc = *cap ? *cap * 2 : 4;
	if (nc > max)
		nc = max;
	void *np = arena_realloc(a, p, *cap * sz, nc * sz);
	if (np)
		*cap = nc;
	else
		*nomem = true;
	return np;
}

struct parse_ctx {
	struct arena *a;
	struct hist_record *r;
	bool nomem;
	bool have_received, have_action, have_policy_code, have_result, have_requested, have_disposition;
	int64_t policy_code, action_code;
	struct hist_dkim *dkim;
	size_t dkim_cap;
	struct slice *rua;
	size_t rua_cap;
	struct hist_override *ov;
	size_t ov_cap;
	struct hist_arc_set *arc;
	size_t arc_cap;
	struct hist_dkim *cur_dkim; /* the signature whose line is being read */
};

/* ext_decode() that notes an allocation failure. */
static struct slice dec(struct parse_ctx *c, struct slice v)
{
	struct slice d = ext_decode(c->a, v);
	if (d.ptr == NULL && v.ptr != NULL)
		c->nomem = true;
	return d;
}

static bool word_result(struct slice w, enum hist_result *out)
{
	for (int i = HIST_RESULT_NONE; i <= HIST_RESULT_PERMERROR; i++)
		if (slice_eq_cstr_ci(w, hist_result_str((enum hist_result)i))) {
			*out = (enum hist_result)i;
			return true;
		}
	return false;
}

static bool word_policy(struct slice w, enum hist_policy *out)
{
	for (int i = HIST_POLICY_NONE; i <= HIST_POLICY_REJECT; i++)
		if (slice_eq_cstr_ci(w, hist_policy_str((enum hist_policy)i))) {
			*out = (enum hist_policy)i;
			return true;
		}
	return false;
}

static bool word_disposition(struct slice w, enum hist_disposition *out)
{
	for (int i = HIST_DISP_NONE; i <= HIST_DISP_REJECT; i++)
		if (slice_eq_cstr_ci(w, hist_disposition_str((enum hist_disposition)i))) {
			*out = (enum hist_disposition)i;
			return true;
		}
	return false;
}

static bool word_override(struct slice w, enum hist_override_type *out)
{
	for (int i = HIST_OVERRIDE_LOCAL_POLICY; i <= HIST_OVERRIDE_SAMPLED_OUT; i++)
		if (slice_eq_cstr_ci(w, hist_override_str((enum hist_override_type)i))) {
			*out = (enum hist_override_type)i;
			return true;
		}
	return false;
}

/* Walk the name=value tokens left on a line; fn gets each pair (value
 * still encoded).  Tokens without '=' are ignored. */
static void ext_tokens(struct parse_ctx *c, struct slice rest,
                       void (*fn)(struct parse_ctx *, struct slice, struct slice))
{
	struct slice tok;
	while (next_field(&rest, &tok)) {
		struct slice name, value;
		if (!slice_split_byte(tok, '=', &name, &value) || name.len == 0)
			continue;
		fn(c, name, value);
	}
}

static void ext_evaluated(struct parse_ctx *c, struct slice name, struct slice value);

static void ext_spf(struct parse_ctx *c, struct slice name, struct slice value)
{
	if (slice_eq_cstr_ci(name, "domain")) {
		c->r->spf_domain = dec(c, value);
	} else if (slice_eq_cstr_ci(name, "scope")) {
		c->r->spf_scope = slice_eq_cstr_ci(value, "helo") ? HIST_SPF_HELO : HIST_SPF_MFROM;
	} else if (slice_eq_cstr_ci(name, "human")) {
		c->r->spf_human = dec(c, value);
	}
}

static void ext_dkim(struct parse_ctx *c, struct slice name, struct slice value)
{
	if (c->cur_dkim && slice_eq_cstr_ci(name, "human"))
		c->cur_dkim->human = dec(c, value);
}

static void ext_policy(struct parse_ctx *c, struct slice name, struct slice value)
{
	if (slice_eq_cstr_ci(name, "disposition") || slice_eq_cstr_ci(name, "override") ||
	    slice_eq_cstr_ci(name, "report")) {
		ext_evaluated(c, name, value);
	} else if (slice_eq_cstr_ci(name, "result")) {
		if (word_result(value, &c->r->result))
			c->have_result = true;
	} else if (slice_eq_cstr_ci(name, "requested")) {
		if (word_policy(value, &c->r->requested))
			c->have_requested = true;
	}
}

static void ext_p(struct parse_ctx *c, struct slice name, struct slice value)
{
	if (slice_eq_cstr_ci(name, "np")) {
		word_policy(value, &c->r->np);
	} else if (slice_eq_cstr_ci(name, "testing")) {
		c->r->testing = slice_eq_cstr_ci(value, "y");
	} else if (slice_eq_cstr_ci(name, "discovery")) {
		if (slice_eq_cstr_ci(value, "psl"))
			c->r->discovery = HIST_DISCOVERY_PSL;
		else if (slice_eq_cstr_ci(value, "treewalk"))
			c->r->discovery = HIST_DISCOVERY_TREEWALK;
	} else if (slice_eq_cstr_ci(name, "fo")) {
		c->r->fo = dec(c, value);
	} else if (slice_eq_cstr_ci(name, "ri")) {
		int64_t v;
		if (parse_int(value, 0, UINT32_MAX, &v))
			c->r->ri = (uint32_t)v;
	}
}

static void ext_evaluated(struct parse_ctx *c, struct slice name, struct slice value)
{
	if (slice_eq_cstr_ci(name, "disposition")) {
		if (word_disposition(value, &c->r->disposition))
			c->have_disposition = true;
	} else if (slice_eq_cstr_ci(name, "override")) {
		struct slice type, comment;
		slice_split_byte(value, ':', &type, &comment);
		enum hist_override_type t;
		if (!word_override(type, &t))
			return;
		struct hist_override *o = grow(c->a, c->ov, &c->ov_cap, c->r->n_overrides,
		                               sizeof *o, HIST_MAX_OVERRIDES, &c->nomem);
		if (!o)
			return; /* beyond the limit (or no memory): dropped */
		c->ov = o;
		o[c->r->n_overrides].type = t;
		o[c->r->n_overrides].comment = dec(c, comment);
		c->r->n_overrides++;
		c->r->overrides = c->ov;
	} else if (slice_eq_cstr_ci(name, "report")) {
		c->r->is_report = slice_eq_cstr_ci(value, "y");
	}
}

/* ---- arc_policy json: [{"i":1,"d":"x","s":"y","ip":"z"}, ...] ---- */

struct json {
	const char *p, *end;
	bool err;
};

static void json_ws(struct json *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t'))
		j->p++;
}

static bool json_lit(struct json *j, char c)
{
	json_ws(j);
	if (j->p < j->end && *j->p == c) {
		j->p++;
		return true;
	}
	return false;
}

/* A string; \uXXXX above 0xff becomes '?'. */
static struct slice json_string(struct json *j, struct arena *a)
{
	json_ws(j);
	if (j->p >= j->end || *j->p != '"') {
		j->err = true;
		return SLICE_NULL;
	}
	j->p++;
	const char *s = j->p;
	size_t maxlen = 0;
	while (j->p < j->end && *j->p != '"') {
		if (*j->p == '\\')
			j->p++;
		if (j->p < j->end)
			j->p++;
		maxlen++;
	}
	if (j->p >= j->end) {
		j->err = true;
		return SLICE_NULL;
	}
	const char *e = j->p++;
	char *o = arena_alloc(a, maxlen + 1);
	if (!o) {
		j->err = true;
		return SLICE_NULL;
	}
	size_t n = 0;
	for (const char *q = s; q < e; q++) {
		if (*q != '\\') {
			o[n++] = *q;
			continue;
		}
		q++;
		if (q >= e)
			break;
		switch (*q) {
		case 'u': {
			unsigned v = 0;
			int k;
			for (k = 0; k < 4 && q + 1 < e; k++) {
				int h = hexval((unsigned char)q[1]);
				if (h < 0)
					break;
				v = v * 16 + (unsigned)h;
				q++;
			}
			o[n++] = (k == 4 && v <= 0xff) ? (char)v : '?';
			break;
		}
		case 'n': o[n++] = '\n'; break;
		case 't': o[n++] = '\t'; break;
		case 'r': o[n++] = '\r'; break;
		default: o[n++] = *q; break;
		}
	}
	o[n] = '\0';
	return slice_make(o, n);
}

static void parse_arc_json(struct parse_ctx *c, struct slice text)
{
	struct json j = { text.ptr, slice_end(text), false };
	if (!json_lit(&j, '['))
		return;
	if (json_lit(&j, ']'))
		return;
	do {
		if (!json_lit(&j, '{'))
			return;
		struct hist_arc_set set;
		memset(&set, 0, sizeof set);
		if (!json_lit(&j, '}')) {
			do {
				struct slice key = json_string(&j, c->a);
				if (j.err || !json_lit(&j, ':'))
					return;
				json_ws(&j);
				if (j.p < j.end && *j.p == '"') {
					struct slice v = json_string(&j, c->a);
					if (j.err)
						return;
					if (slice_eq_cstr_ci(key, "d"))
						set.domain = v;
					else if (slice_eq_cstr_ci(key, "s"))
						set.selector = v;
					else if (slice_eq_cstr_ci(key, "ip"))
						set.ip = v;
				} else {
					const char *q = j.p;
					while (j.p < j.end && *j.p >= '0' && *j.p <= '9')
						j.p++;
					int64_t v;
					if (!parse_int(slice_between(q, j.p), 0, UINT32_MAX, &v))
						return;
					if (slice_eq_cstr_ci(key, "i"))
						set.instance = (unsigned)v;
				}
			} while (json_lit(&j, ','));
			if (!json_lit(&j, '}'))
				return;
		}
		struct hist_arc_set *s = grow(c->a, c->arc, &c->arc_cap, c->r->n_arc_sets,
		                              sizeof *s, HIST_MAX_ARC, &c->nomem);
		if (!s)
			return;
		c->arc = s;
		s[c->r->n_arc_sets++] = set;
		c->r->arc_sets = c->arc;
	} while (json_lit(&j, ','));
}

/* Apply one line to the record.  Returns false when the key is "action"
 * (the record is complete). */
static bool apply_line(struct parse_ctx *c, struct slice key, struct slice rest)
{
	struct hist_record *r = c->r;
	struct slice f1 = SLICE_NULL;
	int64_t v;

	if (slice_eq_cstr_ci(key, "action")) {
		next_field(&rest, &f1);
		if (parse_int(f1, INT32_MIN, INT32_MAX, &v)) {
			c->action_code = v;
			c->have_action = true;
		}
		return false;
	}
	if (slice_eq_cstr_ci(key, "job") || slice_eq_cstr_ci(key, "reporter") ||
	    slice_eq_cstr_ci(key, "ipaddr") || slice_eq_cstr_ci(key, "from") ||
	    slice_eq_cstr_ci(key, "mfrom") || slice_eq_cstr_ci(key, "pdomain")) {
		next_field(&rest, &f1);
		if (f1.ptr == NULL)
			f1 = slice_make("", 0);
		if (slice_eq_cstr_ci(key, "job"))
			r->job = f1;
		else if (slice_eq_cstr_ci(key, "reporter"))
			r->reporter = f1;
		else if (slice_eq_cstr_ci(key, "ipaddr"))
			r->ipaddr = f1;
		else if (slice_eq_cstr_ci(key, "from"))
			r->from_domain = f1;
		else if (slice_eq_cstr_ci(key, "mfrom"))
			r->mfrom_domain = f1;
		else
			r->pdomain = f1;
	} else if (slice_eq_cstr_ci(key, "received")) {
		next_field(&rest, &f1);
		if (parse_int(f1, 0, INT64_MAX, &v)) {
			r->received = v;
			c->have_received = true;
		}
	} else if (slice_eq_cstr_ci(key, "spf")) {
		next_field(&rest, &f1);
		if (parse_int(f1, INT32_MIN, INT32_MAX, &v))
			r->spf = ares_to_auth(v);
		ext_tokens(c, rest, ext_spf);
	} else if (slice_eq_cstr_ci(key, "dkim")) {
		struct slice d = SLICE_NULL, s = SLICE_NULL, res = SLICE_NULL;
		next_field(&rest, &d);
		next_field(&rest, &s);
		/* Older writers (Exim before libopendmarc 1.4) have no selector:
		 * "dkim <domain> <result>". */
		if (!next_field(&rest, &res)) {
			res = s;
			s = slice_make("", 0);
		}
		if (d.ptr == NULL || !parse_int(res, INT32_MIN, INT32_MAX, &v))
			return true;
		struct hist_dkim *arr = grow(c->a, c->dkim, &c->dkim_cap, r->n_dkim, sizeof *arr,
		                             HIST_MAX_DKIM, &c->nomem);
		if (!arr)
			return true;
		c->dkim = arr;
		struct hist_dkim *k = &arr[r->n_dkim++];
		memset(k, 0, sizeof *k);
		k->domain = d;
		k->selector = s;
		k->result = ares_to_auth(v);
		if (k->result == HIST_AUTH_UNSET || k->result == HIST_AUTH_SOFTFAIL)
			k->result = HIST_AUTH_PERMERROR;
		r->dkim = c->dkim;
		c->cur_dkim = k;
		ext_tokens(c, rest, ext_dkim);
		c->cur_dkim = NULL;
	} else if (slice_eq_cstr_ci(key, "policy")) {
		next_field(&rest, &f1);
		if (parse_int(f1, INT32_MIN, INT32_MAX, &v)) {
			c->policy_code = v;
			c->have_policy_code = true;
		}
		ext_tokens(c, rest, ext_policy);
	} else if (slice_eq_cstr_ci(key, "rua")) {
		next_field(&rest, &f1);
		if (f1.len == 0 || slice_eq_cstr_ci(f1, "-"))
			return true;
		struct slice *arr = grow(c->a, c->rua, &c->rua_cap, r->n_rua, sizeof *arr,
		                         HIST_MAX_RUA, &c->nomem);
		if (!arr)
			return true;
		c->rua = arr;
		arr[r->n_rua++] = f1;
		r->rua = c->rua;
	} else if (slice_eq_cstr_ci(key, "pct")) {
		next_field(&rest, &f1);
		if (parse_int(f1, 0, 100, &v))
			r->pct = (unsigned)v;
	} else if (slice_eq_cstr_ci(key, "adkim") || slice_eq_cstr_ci(key, "aspf")) {
		next_field(&rest, &f1);
		bool strict = parse_int(f1, INT32_MIN, INT32_MAX, &v) && v == REC_A_STRICT;
		if (slice_eq_cstr_ci(key, "adkim"))
			r->adkim_strict = strict;
		else
			r->aspf_strict = strict;
	} else if (slice_eq_cstr_ci(key, "p")) {
		next_field(&rest, &f1);
		if (parse_int(f1, INT32_MIN, INT32_MAX, &v))
			r->p = rec_to_policy(v);
		ext_tokens(c, rest, ext_p);
	} else if (slice_eq_cstr_ci(key, "sp")) {
		next_field(&rest, &f1);
		if (parse_int(f1, INT32_MIN, INT32_MAX, &v))
			r->sp = rec_to_policy(v);
	} else if (slice_eq_cstr_ci(key, "align_dkim") || slice_eq_cstr_ci(key, "align_spf")) {
		next_field(&rest, &f1);
		bool yes = parse_int(f1, INT32_MIN, INT32_MAX, &v) && v == ALIGN_PASS;
		if (slice_eq_cstr_ci(key, "align_dkim"))
			r->align_dkim = yes;
		else
			r->align_spf = yes;
	} else if (slice_eq_cstr_ci(key, "arc")) {
		next_field(&rest, &f1);
		if (parse_int(f1, INT32_MIN, INT32_MAX, &v))
			r->arc = ares_to_auth(v);
	} else if (slice_eq_cstr_ci(key, "arc_policy")) {
		next_field(&rest, &f1);
		if (parse_int(f1, INT32_MIN, INT32_MAX, &v))
			r->arc_override = v == ARCPOL_PASS;
		if (rest.ptr && slice_starts_with_ci(rest, SLICE_LIT("json:")))
			parse_arc_json(c, slice_sub(rest, sizeof "json:" - 1, rest.len));
	}
	/* Unknown keys are ignored, like opendmarc-import's warnings aside. */
	return true;
}

/* Fill what a record without our extensions leaves open, from the codes
 * OpenDMARC (and Exim) write. */
static void derive(struct parse_ctx *c)
{
	struct hist_record *r = c->r;
	if (!c->have_result && c->have_policy_code) {
		switch (c->policy_code) {
		case POLICY_PASS: r->result = HIST_RESULT_PASS; break;
		case POLICY_REJECT:
		case POLICY_QUARANTINE:
		case POLICY_NONE: r->result = HIST_RESULT_FAIL; break;
		default: r->result = HIST_RESULT_NONE; break;
		}
	}
	if (!c->have_requested) {
		switch (c->have_policy_code ? c->policy_code : 0) {
		case POLICY_REJECT: r->requested = HIST_POLICY_REJECT; break;
		case POLICY_QUARANTINE: r->requested = HIST_POLICY_QUARANTINE; break;
		case POLICY_NONE: r->requested = HIST_POLICY_NONE; break;
		default: r->requested = r->p; break;
		}
	}
	if (!c->have_disposition) {
		switch (c->action_code) {
		case ACTION_REJECT:
		case ACTION_DISCARD: r->disposition = HIST_DISP_REJECT; break;
		case ACTION_QUARANTINE: r->disposition = HIST_DISP_QUARANTINE; break;
		default:
			r->disposition = hist_disposition_for(r->result, r->requested,
			                                      HIST_POLICY_NONE);
			break;
		}
	}
	if (c->action_code == ACTION_TEMPFAIL && !c->have_result)
		r->result = HIST_RESULT_TEMPERROR;
	if (r->spf != HIST_AUTH_UNSET && r->spf_domain.len == 0 && r->spf_scope == HIST_SPF_MFROM)
		r->spf_domain = r->mfrom_domain;
}

/* The line [p, e) without a trailing CR. */
static struct slice line_at(struct slice text, size_t p, size_t e)
{
	struct slice l = slice_make(text.ptr + p, e - p);
	if (l.len && l.ptr[l.len - 1] == '\r')
		l.len--;
	return l;
}

static struct slice line_key(struct slice line, struct slice *rest)
{
	struct slice key;
	*rest = line;
	if (!next_field(rest, &key))
		key = SLICE_NULL;
	return key;
}

/* Offset of the first line at or after p that starts a record ("job"), or
 * the end of the last complete line when there is none. */
static size_t skip_to_job(struct slice text, size_t p)
{
	size_t last = p;
	while (p < text.len) {
		const char *nl = memchr(text.ptr + p, '\n', text.len - p);
		if (!nl)
			return last;
		size_t e = (size_t)(nl - text.ptr);
		struct slice rest;
		struct slice key = line_key(line_at(text, p, e), &rest);
		if (slice_eq_cstr_ci(key, "job"))
			return p;
		p = e + 1;
		last = p;
	}
	return last;
}

enum hist_parse_status hist_parse_next(struct arena *a, struct slice text, size_t *pos,
                                       struct hist_record *out, size_t *start)
{
	size_t p = *pos;
	size_t e;
	struct slice rest, key;

	/* Blank lines between records. */
	for (;;) {
		if (p >= text.len) {
			*pos = text.len;
			return HIST_PARSE_END;
		}
		const char *nl = memchr(text.ptr + p, '\n', text.len - p);
		if (!nl) {
			*pos = p;
			return HIST_PARSE_INCOMPLETE;
		}
		e = (size_t)(nl - text.ptr);
		if (line_at(text, p, e).len != 0)
			break;
		p = e + 1;
	}

	size_t rec = p;
	key = line_key(line_at(text, p, e), &rest);
	if (!slice_eq_cstr_ci(key, "job")) {
		size_t q = skip_to_job(text, e + 1);
		*pos = q > rec ? q : e + 1;
		return HIST_PARSE_DAMAGED;
	}

	struct parse_ctx c;
	memset(&c, 0, sizeof c);
	c.a = a;
	c.r = out;
	c.action_code = ACTION_ACCEPT;
	hist_record_init(out);

	for (;;) {
		if (p - rec > HIST_MAX_RECORD_BYTES) {
			size_t q = skip_to_job(text, p);
			*pos = q > rec ? q : p;
			return HIST_PARSE_DAMAGED;
		}
		const char *nl = memchr(text.ptr + p, '\n', text.len - p);
		if (!nl) {
			*pos = rec;
			return HIST_PARSE_INCOMPLETE;
		}
		e = (size_t)(nl - text.ptr);
		struct slice line = line_at(text, p, e);
		if (line.len == 0) {
			p = e + 1;
			continue;
		}
		key = line_key(line, &rest);
		if (p != rec && slice_eq_cstr_ci(key, "job")) {
			/* A new record before this one ended: this one is torn. */
			*pos = p;
			return HIST_PARSE_DAMAGED;
		}
		bool more = apply_line(&c, key, rest);
		p = e + 1;
		if (!more)
			break;
	}
	if (c.nomem)
		return HIST_PARSE_NOMEM;
	*pos = p;
	/* An action line without its code was cut by a torn write. */
	if (!c.have_received || !c.have_action || out->job.len == 0)
		return HIST_PARSE_DAMAGED;
	derive(&c);
	if (start)
		*start = rec;
	return HIST_PARSE_RECORD;
}
