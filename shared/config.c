/* config.c — parser of mailauth.conf; see config.h for the syntax.
 *
 * One table (options[] below) lists every option with its setter and range;
 * parsing, duplicate detection and config_format() all walk it, so adding an
 * option is one table line plus its field in struct config and its entry in
 * module/conf/mailauth.conf.example.  The file is the administrator's, not
 * an attacker's, but it is still read as bytes with lengths: a NUL byte or
 * a file above CONFIG_MAX_FILE_BYTES gives an error, never undefined
 * behaviour, and quoted text in messages is escaped and cut.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "domain.h"
#include "mailauth_limits.h"

/* Longest piece of the file quoted in an error message. */
#define CONFIG_QUOTE_MAX 80

struct parser;
struct option;
typedef bool (*option_setter)(struct parser *p, const struct option *o, struct slice v);

struct option {
	const char *name;
	option_setter set;
	size_t off;             /* field in struct config */
	uint64_t min, max;      /* numbers: range; actions: highest allowed */
};

struct parser {
	struct config *c;
	const char *source;
	size_t line;
	char *err;
	size_t errlen;
	enum config_status st;
};

/* ---- error messages ---- */

/* Append s to b as printable text: bytes outside 0x20..0x7e become \xNN,
 * and at most CONFIG_QUOTE_MAX input bytes are shown. */
static void quote(struct buf *b, struct slice s)
{
	size_t n = s.len > CONFIG_QUOTE_MAX ? CONFIG_QUOTE_MAX : s.len;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s.ptr[i];
		if (c >= 0x20 && c <= 0x7e && c != '\\')
			buf_add_byte(b, (char)c);
		else
			buf_addf(b, "\\x%02x", c);
	}
	if (n < s.len)
		buf_add_cstr(b, "...");
}

/* Record "source:line: " + message; quoted (if not NULL) is inserted where
 * the format has "%Q" — written out explicitly to keep printf formats ours. */
static bool fail_q(struct parser *p, const char *before, struct slice quoted, const char *after)
{
	if (p->st != CONFIG_OK)
		return false;
	p->st = CONFIG_E_SYNTAX;
	struct arena *a = arena_new(0);
	if (!a) {
		p->st = CONFIG_E_NOMEM;
		if (p->errlen)
			snprintf(p->err, p->errlen, "%s: out of memory", p->source);
		return false;
	}
	struct buf b;
	buf_init(&b, a, 4096);
	if (p->line)
		buf_addf(&b, "%s:%zu: ", p->source, p->line);
	else
		buf_addf(&b, "%s: ", p->source);
	buf_add_cstr(&b, before);
	if (quoted.ptr) {
		buf_add_byte(&b, '\'');
		quote(&b, quoted);
		buf_add_byte(&b, '\'');
	}
	if (after)
		buf_add_cstr(&b, after);
	if (p->errlen)
		snprintf(p->err, p->errlen, "%s", buf_cstr(&b));
	arena_free(a);
	return false;
}

static bool fail(struct parser *p, const char *msg)
{
	return fail_q(p, msg, SLICE_NULL, NULL);
}

static bool nomem(struct parser *p)
{
	if (p->st == CONFIG_OK) {
		p->st = CONFIG_E_NOMEM;
		if (p->errlen)
			snprintf(p->err, p->errlen, "%s: out of memory", p->source);
	}
	return false;
}

/* "option 'name': " prefix for value errors. */
static bool bad_value(struct parser *p, const struct option *o, const char *what, struct slice v)
{
	char before[160];
	snprintf(before, sizeof before, "%s: %s ", o->name, what);
	return fail_q(p, before, v, NULL);
}

/* ---- field access ---- */

#define FIELD(c, o, type) ((type *)(void *)((char *)(c) + (o)->off))

static const char *dup_cstr(struct parser *p, struct slice v)
{
	char *s = arena_strndup(p->c->arena, v.ptr, v.len);
	if (!s)
		nomem(p);
	return s;
}

/* ---- value recognizers ---- */

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static bool has_control_or_nul(struct slice v)
{
	for (size_t i = 0; i < v.len; i++) {
		unsigned char c = (unsigned char)v.ptr[i];
		if (c < 0x20 || c == 0x7f)
			return true;
	}
	return false;
}

/* RFC 2045 5.1 token: CHAR except SPACE, CTLs and tspecials; the form of
 * authserv-id used in practice (RFC 8601 2.5, a host name). */
static bool is_token(struct slice v)
{
	static const char tspecials[] = "()<>@,;:\\\"/[]?=";
	if (v.len == 0)
		return false;
	for (size_t i = 0; i < v.len; i++) {
		unsigned char c = (unsigned char)v.ptr[i];
		if (c <= 0x20 || c >= 0x7f || memchr(tspecials, c, sizeof tspecials - 1))
			return false;
	}
	return true;
}

static bool is_abs_path(struct slice v)
{
	return v.len > 0 && v.len < PATH_MAX && v.ptr[0] == '/' && !has_control_or_nul(v);
}

/* IPv4 or IPv6 text to bytes; false for anything else.  inet_pton needs a
 * NUL-terminated string, so the text is copied into a small buffer. */
static bool parse_ip(struct slice s, int *family, unsigned char addr[16])
{
	char tmp[INET6_ADDRSTRLEN + 1];
	if (s.len == 0 || s.len >= sizeof tmp)
		return false;
	memcpy(tmp, s.ptr, s.len);
	tmp[s.len] = '\0';
	memset(addr, 0, 16);
	if (inet_pton(AF_INET, tmp, addr) == 1) {
		*family = 4;
		return true;
	}
	if (inet_pton(AF_INET6, tmp, addr) == 1) {
		*family = 6;
		return true;
	}
	return false;
}

static void mask_host_bits(struct config_net *n)
{
	unsigned bytes = n->family == 4 ? 4 : 16;
	for (unsigned i = 0; i < bytes; i++) {
		unsigned first_bit = i * 8;
		if (first_bit >= n->prefix)
			n->addr[i] = 0;
		else if (n->prefix - first_bit < 8)
			n->addr[i] &= (unsigned char)(0xff << (8 - (n->prefix - first_bit)));
	}
}

static bool parse_net(struct slice s, struct config_net *n)
{
	struct slice addr, len;
	bool has_len = slice_split_byte(s, '/', &addr, &len);
	if (!parse_ip(addr, &n->family, n->addr))
		return false;
	unsigned max = n->family == 4 ? 32 : 128;
	uint64_t v = max;
	if (has_len && !slice_parse_u64(len, max, &v))
		return false;
	n->prefix = (unsigned)v;
	mask_host_bits(n);
	return true;
}

/* Split a list value at commas and blanks; calls fn for each non-empty item. */
static bool for_each_item(struct parser *p, const struct option *o, struct slice v,
                          bool (*fn)(struct parser *, const struct option *, struct slice, void *),
                          void *ctx)
{
	size_t count = 0;
	const char *q = v.ptr, *end = slice_end(v);
	while (q < end) {
		while (q < end && (*q == ',' || is_blank(*q)))
			q++;
		const char *start = q;
		while (q < end && *q != ',' && !is_blank(*q))
			q++;
		if (q == start)
			continue;
		if (++count > CONFIG_MAX_LIST_ITEMS)
			return bad_value(p, o, "has more entries than CONFIG_MAX_LIST_ITEMS allows:", v);
		if (!fn(p, o, slice_between(start, q), ctx))
			return false;
	}
	if (count == 0)
		return bad_value(p, o, "needs at least one entry, got", v);
	return true;
}

/* ---- setters ---- */

static bool set_authserv_id(struct parser *p, const struct option *o, struct slice v)
{
	if (v.len > DNS_MAX_NAME || !is_token(v))
		return bad_value(p, o, "is not a valid authserv-id (RFC 8601 2.5: a host name, no blanks or specials):", v);
	const char *s = dup_cstr(p, v);
	*FIELD(p->c, o, const char *) = s;
	return s != NULL;
}

static bool set_resolver(struct parser *p, const struct option *o, struct slice v)
{
	struct slice kind, rest;
	bool has_colon = slice_split_byte(v, ':', &kind, &rest);
	if (!has_colon) {
		if (!slice_eq_cstr_ci(v, "system"))
			return bad_value(p, o, "must be system, forward:ADDR[@PORT], unbound:/PATH or zone:/PATH, got", v);
	} else if (slice_eq_cstr_ci(kind, "forward")) {
		struct slice addr, port;
		bool has_port = slice_split_byte(rest, '@', &addr, &port);
		int family;
		unsigned char bytes[16];
		uint64_t pv;
		if (!parse_ip(addr, &family, bytes))
			return bad_value(p, o, "forward: needs an IP address, got", v);
		if (has_port && (!slice_parse_u64(port, 65535, &pv) || pv == 0))
			return bad_value(p, o, "forward: has a bad port (1-65535) in", v);
	} else if (slice_eq_cstr_ci(kind, "unbound") || slice_eq_cstr_ci(kind, "zone")) {
		if (!is_abs_path(rest))
			return bad_value(p, o, "needs an absolute path after the ':', got", v);
	} else {
		return bad_value(p, o, "must be system, forward:ADDR[@PORT], unbound:/PATH or zone:/PATH, got", v);
	}
	const char *s = dup_cstr(p, v);
	*FIELD(p->c, o, const char *) = s;
	return s != NULL;
}

/* A duration: digits with an optional unit ms, s (default), m. */
static bool set_time_ms(struct parser *p, const struct option *o, struct slice v)
{
	uint64_t mult = 1000;
	struct slice num = v;
	if (slice_ends_with_ci(v, SLICE_LIT("ms"))) {
		mult = 1;
		num.len -= 2;
	} else if (slice_ends_with_ci(v, SLICE_LIT("s"))) {
		num.len -= 1;
	} else if (slice_ends_with_ci(v, SLICE_LIT("m"))) {
		mult = 60000;
		num.len -= 1;
	}
	uint64_t n;
	if (!slice_parse_u64(num, o->max, &n) || n * mult < o->min || n * mult > o->max) {
		char what[128];
		snprintf(what, sizeof what, "must be a duration from %llums to %llus (e.g. 20s, 500ms), got",
		         (unsigned long long)o->min, (unsigned long long)(o->max / 1000));
		return bad_value(p, o, what, v);
	}
	*FIELD(p->c, o, uint64_t) = n * mult;
	return true;
}

static bool set_uint(struct parser *p, const struct option *o, struct slice v)
{
	uint64_t n;
	if (!slice_parse_u64(v, o->max, &n) || n < o->min) {
		char what[128];
		snprintf(what, sizeof what, "must be a number from %llu to %llu, got",
		         (unsigned long long)o->min, (unsigned long long)o->max);
		return bad_value(p, o, what, v);
	}
	*FIELD(p->c, o, unsigned) = (unsigned)n;
	return true;
}

static bool set_bool(struct parser *p, const struct option *o, struct slice v)
{
	bool b;
	if (slice_eq_cstr_ci(v, "yes") || slice_eq_cstr_ci(v, "true"))
		b = true;
	else if (slice_eq_cstr_ci(v, "no") || slice_eq_cstr_ci(v, "false"))
		b = false;
	else
		return bad_value(p, o, "must be yes or no, got", v);
	*FIELD(p->c, o, bool) = b;
	return true;
}

static bool set_dmarc_mode(struct parser *p, const struct option *o, struct slice v)
{
	if (slice_eq_cstr_ci(v, "rfc9989"))
		p->c->dmarc_mode = CONFIG_DMARC_RFC9989;
	else if (slice_eq_cstr_ci(v, "rfc7489"))
		p->c->dmarc_mode = CONFIG_DMARC_RFC7489;
	else
		return bad_value(p, o, "must be rfc9989 or rfc7489, got", v);
	return true;
}

static bool set_multiple_from(struct parser *p, const struct option *o, struct slice v)
{
	if (slice_eq_cstr_ci(v, "strictest"))
		p->c->dmarc_multiple_from = CONFIG_MULTIPLE_FROM_STRICTEST;
	else if (slice_eq_cstr_ci(v, "reject"))
		p->c->dmarc_multiple_from = CONFIG_MULTIPLE_FROM_REJECT;
	else
		return bad_value(p, o, "must be strictest or reject, got", v);
	return true;
}

static bool set_redact(struct parser *p, const struct option *o, struct slice v)
{
	if (slice_eq_cstr_ci(v, "localpart"))
		p->c->failure_report_redact = CONFIG_REDACT_LOCALPART;
	else if (slice_eq_cstr_ci(v, "none"))
		p->c->failure_report_redact = CONFIG_REDACT_NONE;
	else
		return bad_value(p, o, "must be localpart or none, got", v);
	return true;
}

static const char *const action_words[] = {
	[CONFIG_ACTION_ACCEPT] = "accept",
	[CONFIG_ACTION_FREEZE] = "freeze",
	[CONFIG_ACTION_DEFER] = "defer",
	[CONFIG_ACTION_REJECT] = "reject",
};

static bool set_action(struct parser *p, const struct option *o, struct slice v)
{
	for (unsigned i = 0; i <= o->max; i++) {
		if (slice_eq_cstr_ci(v, action_words[i])) {
			*FIELD(p->c, o, enum config_action) = (enum config_action)i;
			return true;
		}
	}
	return bad_value(p, o, o->max == CONFIG_ACTION_REJECT ? "must be accept, freeze, defer or reject, got"
	                                                      : "must be accept, freeze or defer, got",
	                 v);
}

/* One domain for a string option (arc_domain, arc_selector). */
static bool set_domain(struct parser *p, const struct option *o, struct slice v)
{
	struct slice d;
	if (!domain_normalize(p->c->arena, v, &d))
		return bad_value(p, o, "is not a valid domain name:", v);
	*FIELD(p->c, o, const char *) = d.ptr;
	return true;
}

static bool set_path(struct parser *p, const struct option *o, struct slice v)
{
	if (!is_abs_path(v))
		return bad_value(p, o, "must be an absolute path, got", v);
	const char *s = dup_cstr(p, v);
	*FIELD(p->c, o, const char *) = s;
	return s != NULL;
}

/* Free text for report metadata (org_name, extra_contact_info): any
 * printable byte, 8-bit (UTF-8) included; reports escape it for XML. */
static bool set_text(struct parser *p, const struct option *o, struct slice v)
{
	if (v.len > REPORT_MAX_META_BYTES || has_control_or_nul(v))
		return bad_value(p, o, "must be text of at most REPORT_MAX_META_BYTES bytes without control characters, got", v);
	const char *s = dup_cstr(p, v);
	*FIELD(p->c, o, const char *) = s;
	return s != NULL;
}

/* RFC 5322 atext (3.2.3). */
static bool is_atext(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return c != 0 && memchr("!#$%&'*+/=?^_`{|}~-", c, 19) != NULL;
}

/* An address local@domain whose local part is a dot-atom (RFC 5322 3.4.1;
 * quoted local parts are refused: the address goes into From: fields and
 * is compared with report destinations).  Stored with the domain
 * normalized. */
static bool set_address(struct parser *p, const struct option *o, struct slice v)
{
	const char *at = NULL;
	for (size_t i = v.len; i-- > 0;)
		if (v.ptr[i] == '@') {
			at = v.ptr + i;
			break;
		}
	static const char what[] = "must be an address local@domain (a dot-atom local part), got";
	if (!at || v.len > REPORT_MAX_ADDRESS)
		return bad_value(p, o, what, v);
	struct slice local = slice_between(v.ptr, at);
	struct slice dom = slice_between(at + 1, slice_end(v)), nd;
	if (local.len == 0 || local.len > REPORT_MAX_LOCAL_PART || local.ptr[0] == '.' ||
	    local.ptr[local.len - 1] == '.')
		return bad_value(p, o, what, v);
	for (size_t i = 0; i < local.len; i++) {
		unsigned char c = (unsigned char)local.ptr[i];
		if (c == '.' ? local.ptr[i + 1] == '.' : !is_atext(c))
			return bad_value(p, o, what, v);
	}
	if (!domain_normalize(p->c->arena, dom, &nd))
		return bad_value(p, o, what, v);
	char *s = arena_alloc(p->c->arena, local.len + 1 + nd.len + 1);
	if (!s)
		return nomem(p);
	memcpy(s, local.ptr, local.len);
	s[local.len] = '@';
	memcpy(s + local.len + 1, nd.ptr, nd.len);
	s[local.len + 1 + nd.len] = '\0';
	*FIELD(p->c, o, const char *) = s;
	return true;
}

/* A command line: an absolute program path and its arguments, split at
 * blanks (no shell, no quoting). */
static bool set_command(struct parser *p, const struct option *o, struct slice v)
{
	size_t words = 0;
	for (size_t i = 0; i < v.len; i++)
		if (!is_blank(v.ptr[i]) && (i == 0 || is_blank(v.ptr[i - 1])))
			words++;
	struct slice prog = v;
	const char *b = NULL;
	for (size_t i = 0; i < v.len && !b; i++)
		if (is_blank(v.ptr[i]))
			b = v.ptr + i;
	if (b)
		prog = slice_between(v.ptr, b);
	if (!is_abs_path(prog) || has_control_or_nul(v) || words > REPORT_MAX_COMMAND_WORDS)
		return bad_value(p, o, "must be an absolute program path followed by its arguments, got", v);
	const char *s = dup_cstr(p, v);
	*FIELD(p->c, o, const char *) = s;
	return s != NULL;
}

/* Lists grow in the arena; the final array replaces the field's. */
struct grow {
	void *items;
	size_t n, cap, size;
};

static void *grow_slot(struct parser *p, struct grow *g)
{
	if (g->n == g->cap) {
		size_t ncap = g->cap ? g->cap * 2 : 8;
		void *ni = arena_realloc(p->c->arena, g->items, g->n * g->size, ncap * g->size);
		if (!ni) {
			nomem(p);
			return NULL;
		}
		g->items = ni;
		g->cap = ncap;
	}
	return (char *)g->items + g->size * g->n++;
}

static bool add_domain_item(struct parser *p, const struct option *o, struct slice item, void *ctx)
{
	struct slice d;
	if (!domain_normalize(p->c->arena, item, &d))
		return bad_value(p, o, "has an entry that is not a domain name:", item);
	struct slice *slot = grow_slot(p, ctx);
	if (!slot)
		return false;
	*slot = d;
	return true;
}

static bool set_domains(struct parser *p, const struct option *o, struct slice v)
{
	struct grow g = { NULL, 0, 0, sizeof(struct slice) };
	if (!for_each_item(p, o, v, add_domain_item, &g))
		return false;
	struct config_list *l = FIELD(p->c, o, struct config_list);
	l->item = g.items;
	l->n = g.n;
	return true;
}

static bool add_net_item(struct parser *p, const struct option *o, struct slice item, void *ctx)
{
	struct config_net n;
	if (!parse_net(item, &n))
		return bad_value(p, o, "has an entry that is not an IP address or ADDRESS/PREFIX:", item);
	struct config_net *slot = grow_slot(p, ctx);
	if (!slot)
		return false;
	*slot = n;
	return true;
}

static bool set_nets(struct parser *p, const struct option *o, struct slice v)
{
	struct grow g = { NULL, 0, 0, sizeof(struct config_net) };
	if (!for_each_item(p, o, v, add_net_item, &g))
		return false;
	struct config_nets *l = FIELD(p->c, o, struct config_nets);
	l->net = g.items;
	l->n = g.n;
	return true;
}

/* ---- the option table ---- */

#define OFF(field) offsetof(struct config, field)

static const struct option options[] = {
	{ "authserv_id", set_authserv_id, OFF(authserv_id), 0, 0 },
	{ "resolver", set_resolver, OFF(resolver), 0, 0 },
	{ "dns_timeout", set_time_ms, OFF(dns_timeout_ms), 1, CONFIG_MAX_DNS_TIMEOUT_MS },
	{ "dkim_max_signatures", set_uint, OFF(dkim_max_signatures), 1, DKIM_MAX_SIGS },
	{ "dkim_min_rsa_bits", set_uint, OFF(dkim_min_rsa_bits), DKIM_MIN_RSA_BITS, DKIM_MAX_RSA_BITS },
	{ "arc_max_verify", set_uint, OFF(arc_max_verify), 1, ARC_MAX_VERIFY },
	{ "dmarc_mode", set_dmarc_mode, OFF(dmarc_mode), 0, 0 },
	{ "dmarc_multiple_from", set_multiple_from, OFF(dmarc_multiple_from), 0, 0 },
	{ "trusted_arc_sealers", set_domains, OFF(trusted_arc_sealers), 0, 0 },
	{ "trusted_forwarders", set_nets, OFF(trusted_forwarders), 0, 0 },
	{ "mailing_lists", set_domains, OFF(mailing_lists), 0, 0 },
	{ "arc_selector", set_domain, OFF(arc_selector), 0, 0 },
	{ "arc_domain", set_domain, OFF(arc_domain), 0, 0 },
	{ "arc_key", set_path, OFF(arc_key), 0, 0 },
	{ "history_file", set_path, OFF(history_file), 0, 0 },
	{ "log_results", set_bool, OFF(log_results), 0, 0 },
	{ "local_scan_authres", set_bool, OFF(local_scan_authres), 0, 0 },
	{ "local_scan_dmarc_reject", set_action, OFF(local_scan_dmarc_reject), 0, CONFIG_ACTION_REJECT },
	{ "local_scan_dmarc_quarantine", set_action, OFF(local_scan_dmarc_quarantine), 0,
	  CONFIG_ACTION_REJECT },
	{ "local_scan_temperror", set_action, OFF(local_scan_temperror), 0, CONFIG_ACTION_DEFER },
	{ "report_org_name", set_text, OFF(report_org_name), 0, 0 },
	{ "report_email", set_address, OFF(report_email), 0, 0 },
	{ "report_extra_contact_info", set_text, OFF(report_extra_contact_info), 0, 0 },
	{ "report_submitter", set_domain, OFF(report_submitter), 0, 0 },
	{ "report_state_file", set_path, OFF(report_state_file), 0, 0 },
	{ "report_sendmail", set_command, OFF(report_sendmail), 0, 0 },
	{ "report_enable", set_bool, OFF(report_enable), 0, 0 },
	{ "failure_reports", set_bool, OFF(failure_reports), 0, 0 },
	{ "failure_report_dir", set_path, OFF(failure_report_dir), 0, 0 },
	{ "failure_report_redact", set_redact, OFF(failure_report_redact), 0, 0 },
	{ "failure_report_rate", set_uint, OFF(failure_report_rate), 1, FAILURE_MAX_RATE },
};

#define N_OPTIONS (sizeof options / sizeof options[0])

static const struct option *find_option(struct slice name, size_t *index)
{
	for (size_t i = 0; i < N_OPTIONS; i++) {
		if (slice_eq(name, slice_from_cstr(options[i].name))) {
			*index = i;
			return &options[i];
		}
	}
	return NULL;
}

/* ---- construction ---- */

struct config *config_defaults(void)
{
	struct arena *a = arena_new(0);
	if (!a)
		return NULL;
	struct config *c = arena_zalloc(a, sizeof *c);
	if (!c) {
		arena_free(a);
		return NULL;
	}
	c->arena = a;
	c->source = "(defaults)";
	c->resolver = "system";
	c->dns_timeout_ms = DNS_DEFAULT_BUDGET_MS;
	c->dkim_max_signatures = DKIM_MAX_SIGS;
	c->dkim_min_rsa_bits = DKIM_MIN_RSA_BITS;
	c->arc_max_verify = ARC_MAX_VERIFY;
	c->dmarc_mode = CONFIG_DMARC_RFC9989;
	c->dmarc_multiple_from = CONFIG_MULTIPLE_FROM_STRICTEST;
	c->local_scan_authres = true;
	c->local_scan_dmarc_reject = CONFIG_ACTION_ACCEPT;
	c->local_scan_dmarc_quarantine = CONFIG_ACTION_ACCEPT;
	c->local_scan_temperror = CONFIG_ACTION_ACCEPT;
	c->failure_report_redact = CONFIG_REDACT_LOCALPART;
	c->failure_report_rate = FAILURE_DEFAULT_RATE;
	return c;
}

void config_free(struct config *c)
{
	if (c)
		arena_free(c->arena);
}

static bool is_name_byte(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

static bool parse_line(struct parser *p, struct slice line, size_t *seen)
{
	line = slice_trim_ws(line);
	if (line.len == 0 || line.ptr[0] == '#')
		return true;
	struct slice name, value;
	if (!slice_split_byte(line, '=', &name, &value))
		return fail_q(p, "expected 'name = value', got ", line, NULL);
	name = slice_trim_ws(name);
	value = slice_trim_ws(value);
	for (size_t i = 0; i < name.len; i++)
		if (!is_name_byte(name.ptr[i]))
			return fail_q(p, "unknown option ", name, NULL);
	size_t idx;
	const struct option *o = find_option(name, &idx);
	if (!o)
		return fail_q(p, "unknown option ", name, NULL);
	if (seen[idx]) {
		char after[64];
		snprintf(after, sizeof after, " is set twice (first on line %zu)", seen[idx]);
		return fail_q(p, "option ", name, after);
	}
	seen[idx] = p->line;
	if (value.len == 0) {
		char before[96];
		snprintf(before, sizeof before, "%s: needs a value", o->name);
		return fail(p, before);
	}
	return o->set(p, o, value);
}

/* Options that only make sense together. */
static bool check_combinations(struct parser *p, const size_t *seen)
{
	size_t i_sel = 0, i_dom = 0, i_key = 0;
	find_option(SLICE_LIT("arc_selector"), &i_sel);
	find_option(SLICE_LIT("arc_domain"), &i_dom);
	find_option(SLICE_LIT("arc_key"), &i_key);
	size_t set = (seen[i_sel] != 0) + (seen[i_dom] != 0) + (seen[i_key] != 0);
	if (set != 0 && set != 3) {
		size_t first = 0;
		const size_t cand[3] = { seen[i_sel], seen[i_dom], seen[i_key] };
		for (size_t i = 0; i < 3; i++)
			if (cand[i] && (!first || cand[i] < first))
				first = cand[i];
		p->line = first;
		char msg[160];
		snprintf(msg, sizeof msg,
		         "arc_selector, arc_domain and arc_key must be set together (missing:%s%s%s)",
		         seen[i_sel] ? "" : " arc_selector", seen[i_dom] ? "" : " arc_domain",
		         seen[i_key] ? "" : " arc_key");
		return fail(p, msg);
	}
	size_t i_fr = 0;
	find_option(SLICE_LIT("failure_reports"), &i_fr);
	if (p->c->failure_reports && !p->c->failure_report_dir) {
		p->line = seen[i_fr];
		return fail(p, "failure_reports = yes needs failure_report_dir");
	}
	return true;
}

enum config_status config_parse(struct config **out, const char *source, struct slice text,
                                char *err, size_t errlen)
{
	*out = NULL;
	if (errlen)
		err[0] = '\0';
	struct parser p = { NULL, source ? source : "(config)", 0, err, errlen, CONFIG_OK };
	p.c = config_defaults();
	if (!p.c) {
		nomem(&p);
		return p.st;
	}
	p.c->source = dup_cstr(&p, slice_from_cstr(p.source));
	size_t seen[N_OPTIONS] = { 0 };

	const char *q = text.ptr, *end = slice_end(text);
	while (p.st == CONFIG_OK && q < end) {
		p.line++;
		const char *nl = memchr(q, '\n', (size_t)(end - q));
		const char *eol = nl ? nl : end;
		struct slice line = slice_between(q, eol);
		if (memchr(line.ptr, '\0', line.len))
			fail(&p, "NUL byte in line");
		else
			parse_line(&p, line, seen);
		q = nl ? nl + 1 : end;
	}
	if (p.st == CONFIG_OK)
		check_combinations(&p, seen);
	if (p.st != CONFIG_OK) {
		config_free(p.c);
		return p.st;
	}
	*out = p.c;
	return CONFIG_OK;
}

enum config_status config_load(struct config **out, const char *path, bool missing_ok,
                               char *err, size_t errlen)
{
	*out = NULL;
	if (errlen)
		err[0] = '\0';
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT && missing_ok) {
			*out = config_defaults();
			if (!*out) {
				snprintf(err, errlen, "%s: out of memory", path);
				return CONFIG_E_NOMEM;
			}
			return CONFIG_OK;
		}
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return CONFIG_E_IO;
	}
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		close(fd);
		return CONFIG_E_IO;
	}
	if ((uint64_t)st.st_size > CONFIG_MAX_FILE_BYTES) {
		snprintf(err, errlen, "%s: larger than CONFIG_MAX_FILE_BYTES (%u bytes)", path,
		         (unsigned)CONFIG_MAX_FILE_BYTES);
		close(fd);
		return CONFIG_E_IO;
	}
	/* One byte more than allowed tells a file that grew meanwhile. */
	size_t cap = (size_t)st.st_size + 1;
	char *data = malloc(cap);
	if (!data) {
		snprintf(err, errlen, "%s: out of memory", path);
		close(fd);
		return CONFIG_E_NOMEM;
	}
	size_t len = 0;
	for (;;) {
		ssize_t r = read(fd, data + len, cap - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			free(data);
			close(fd);
			return CONFIG_E_IO;
		}
		if (r == 0)
			break;
		len += (size_t)r;
		if (len == cap) {
			snprintf(err, errlen, "%s: changed while being read", path);
			free(data);
			close(fd);
			return CONFIG_E_IO;
		}
	}
	close(fd);
	enum config_status s = config_parse(out, path, slice_make(data, len), err, errlen);
	free(data);
	return s;
}

/* ---- output ---- */

static void format_time(struct buf *b, uint64_t ms)
{
	if (ms % 1000 == 0)
		buf_addf(b, "%llus", (unsigned long long)(ms / 1000));
	else
		buf_addf(b, "%llums", (unsigned long long)ms);
}

static void format_net(struct buf *b, const struct config_net *n)
{
	char tmp[INET6_ADDRSTRLEN];
	if (!inet_ntop(n->family == 4 ? AF_INET : AF_INET6, n->addr, tmp, sizeof tmp))
		return;
	buf_add_cstr(b, tmp);
	if (n->prefix != (n->family == 4 ? 32u : 128u))
		buf_addf(b, "/%u", n->prefix);
}

void config_format(const struct config *c, struct buf *b)
{
	for (size_t i = 0; i < N_OPTIONS; i++) {
		const struct option *o = &options[i];
		const void *field = (const char *)c + o->off;
		if (o->set == set_authserv_id || o->set == set_resolver || o->set == set_domain ||
		    o->set == set_path || o->set == set_text || o->set == set_address ||
		    o->set == set_command) {
			const char *s = *(const char *const *)field;
			if (!s)
				continue;
			buf_addf(b, "%s = %s\n", o->name, s);
		} else if (o->set == set_time_ms) {
			buf_addf(b, "%s = ", o->name);
			format_time(b, *(const uint64_t *)field);
			buf_add_byte(b, '\n');
		} else if (o->set == set_uint) {
			buf_addf(b, "%s = %u\n", o->name, *(const unsigned *)field);
		} else if (o->set == set_bool) {
			buf_addf(b, "%s = %s\n", o->name, *(const bool *)field ? "yes" : "no");
		} else if (o->set == set_dmarc_mode) {
			buf_addf(b, "%s = %s\n", o->name,
			         c->dmarc_mode == CONFIG_DMARC_RFC7489 ? "rfc7489" : "rfc9989");
		} else if (o->set == set_multiple_from) {
			buf_addf(b, "%s = %s\n", o->name,
			         c->dmarc_multiple_from == CONFIG_MULTIPLE_FROM_REJECT ? "reject"
			                                                               : "strictest");
		} else if (o->set == set_redact) {
			buf_addf(b, "%s = %s\n", o->name,
			         c->failure_report_redact == CONFIG_REDACT_NONE ? "none" : "localpart");
		} else if (o->set == set_action) {
			enum config_action act = *(const enum config_action *)field;
			buf_addf(b, "%s = %s\n", o->name, action_words[act]);
		} else if (o->set == set_domains) {
			const struct config_list *l = field;
			if (!l->n)
				continue;
			buf_addf(b, "%s = ", o->name);
			for (size_t j = 0; j < l->n; j++) {
				if (j)
					buf_add(b, ", ", 2);
				buf_add_slice(b, l->item[j]);
			}
			buf_add_byte(b, '\n');
		} else if (o->set == set_nets) {
			const struct config_nets *l = field;
			if (!l->n)
				continue;
			buf_addf(b, "%s = ", o->name);
			for (size_t j = 0; j < l->n; j++) {
				if (j)
					buf_add(b, ", ", 2);
				format_net(b, &l->net[j]);
			}
			buf_add_byte(b, '\n');
		}
	}
}

/* ---- lookups ---- */

static bool net_contains(const struct config_net *n, int family, const unsigned char *addr)
{
	if (n->family != family)
		return false;
	unsigned full = n->prefix / 8, rest = n->prefix % 8;
	if (full && memcmp(n->addr, addr, full) != 0)
		return false;
	if (rest) {
		unsigned char mask = (unsigned char)(0xff << (8 - rest));
		if ((n->addr[full] & mask) != (addr[full] & mask))
			return false;
	}
	return true;
}

bool config_nets_contain(const struct config_nets *nets, struct slice ip)
{
	int family;
	unsigned char addr[16];
	if (!parse_ip(ip, &family, addr))
		return false;
	/* ::ffff:a.b.c.d (RFC 4291 2.5.5.2) is the IPv4 host a.b.c.d. */
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	unsigned char v4[4];
	bool is_mapped = family == 6 && memcmp(addr, mapped, sizeof mapped) == 0;
	if (is_mapped)
		memcpy(v4, addr + 12, 4);
	for (size_t i = 0; i < nets->n; i++) {
		if (net_contains(&nets->net[i], family, addr))
			return true;
		if (is_mapped && net_contains(&nets->net[i], 4, v4))
			return true;
	}
	return false;
}

bool config_list_contains(const struct config_list *l, struct slice name)
{
	for (size_t i = 0; i < l->n; i++)
		if (domain_eq(l->item[i], name))
			return true;
	return false;
}
