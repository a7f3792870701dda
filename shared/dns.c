/* dns.c — DNS lookups over libunbound; see dns.h for the contract and the
 * zone file format.
 *
 * RFC 1035 (names, rcodes), RFC 2308 (NXDOMAIN vs NODATA), RFC 2181 10.1
 * (CNAME), RFC 4035 (secure/bogus as libunbound reports them), RFC 6761 and
 * RFC 6303 (special-use and locally served zones unbound answers itself).
 *
 * One ub_ctx per struct dns_resolver, in libunbound's threaded async mode:
 * queries of a batch go out together with ub_resolve_async(), and
 * dns_batch_wait() polls ub_fd() and calls ub_process() until every query is
 * answered or the deadline passes; what is left is cancelled.  Callbacks only
 * fill in answers; follow-up queries (CNAME chains) are sent from the wait
 * loop, never from inside ub_process().
 *
 * Ownership: the resolver owns its ub_ctx and, in zone mode, the never-read
 * socket that TIMEOUT names are forwarded to.  Answers are copied into the
 * batch's arena before ub_resolve_free(); nothing of libunbound's survives a
 * callback.
 */
#include "dns.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unbound.h>
#include <unistd.h>

#include "dns_wire.h"
#include "dns_zone.h"
#include "mailauth_limits.h"

/* Zone mode, TIMEOUT names: how long unbound waits for the never-answering
 * socket before its first retry, and the largest back-off it may reach.
 * With unbound's defaults (376 ms, doubling) the black hole is declared dead
 * after some 15 s of accumulated timeouts and every later query at a TIMEOUT
 * name gets an immediate SERVFAIL; with these a process sees timeouts for
 * about ten minutes, far longer than any test.  local: test support only. */
#define DNS_BLACKHOLE_FIRST_WAIT_MS "600000"
#define DNS_BLACKHOLE_MAX_RTT_MS "3600000"

#define DNS_CLASS_IN 1 /* RFC 1035 3.2.4 */

struct dns_resolver {
	struct ub_ctx *ctx;
	/* Process whose first query started libunbound's worker thread; 0
	 * until then.  After fork() the thread exists only in that process. */
	pid_t bg_pid;
	int blackhole; /* zone mode with TIMEOUT names: the socket; else -1 */
};

enum dns_slot_state {
	DNS_SLOT_QUEUED, /* added, not sent */
	DNS_SLOT_SENT,   /* waiting for libunbound */
	DNS_SLOT_CHASE,  /* answered with a CNAME only: ask for the target */
	DNS_SLOT_DONE,
};

struct dns_slot {
	struct dns_batch *b;
	struct dns_answer *ans;
	const char *qstr; /* the name being asked, as libunbound takes it */
	int id;
	unsigned hops;    /* CNAMEs followed so far */
	bool insecure;    /* an earlier step of the chain was not secure */
	enum dns_slot_state state;
};

struct dns_batch {
	struct dns_resolver *r;
	struct arena *a;
	struct dns_slot *slot; /* DNS_MAX_BATCH of them, on first use */
	size_t n;
};

/* ---- small helpers ---- */

static void dns_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void dns_err(char *err, size_t errlen, const char *fmt, ...)
{
	if (!err || !errlen)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

uint64_t dns_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

bool dns_status_is_temp(enum dns_status s)
{
	return s == DNS_ST_SERVFAIL || s == DNS_ST_TIMEOUT || s == DNS_ST_BOGUS;
}

const char *dns_status_str(enum dns_status s)
{
	switch (s) {
	case DNS_ST_OK: return "data";
	case DNS_ST_NXDOMAIN: return "NXDOMAIN";
	case DNS_ST_NODATA: return "NODATA";
	case DNS_ST_SERVFAIL: return "SERVFAIL";
	case DNS_ST_TIMEOUT: return "timeout";
	case DNS_ST_BOGUS: return "bogus";
	}
	return "unknown";
}

const char *dns_security_str(enum dns_security s)
{
	switch (s) {
	case DNS_SEC_INSECURE: return "insecure";
	case DNS_SEC_SECURE: return "secure";
	case DNS_SEC_BOGUS: return "bogus";
	}
	return "unknown";
}

static const struct {
	enum dns_type t;
	const char *s;
} dns_types[] = {
	{ DNS_T_A, "A" },     { DNS_T_CNAME, "CNAME" }, { DNS_T_PTR, "PTR" },
	{ DNS_T_MX, "MX" },   { DNS_T_TXT, "TXT" },     { DNS_T_AAAA, "AAAA" },
};

const char *dns_type_str(enum dns_type t)
{
	for (size_t i = 0; i < sizeof dns_types / sizeof dns_types[0]; i++)
		if (dns_types[i].t == t)
			return dns_types[i].s;
	return "unknown";
}

bool dns_type_parse(struct slice s, enum dns_type *out)
{
	for (size_t i = 0; i < sizeof dns_types / sizeof dns_types[0]; i++)
		if (slice_eq_cstr_ci(s, dns_types[i].s)) {
			*out = dns_types[i].t;
			return true;
		}
	return false;
}

/* ---- names ---- */

/* RFC 1035 2.3.4: labels of 1..63 octets, 255 octets on the wire; one final
 * dot allowed; "." alone is the root. */
static bool dns_name_ok(struct slice n)
{
	if (n.len == 0)
		return false;
	if (n.len == 1 && n.ptr[0] == '.')
		return true;
	if (n.ptr[n.len - 1] == '.')
		n.len--;
	size_t wire = 1, label = 0;
	for (size_t i = 0; i < n.len; i++) {
		if (n.ptr[i] == '.') {
			if (label == 0)
				return false;
			wire += label + 1;
			label = 0;
		} else if (++label > DNS_MAX_LABEL) {
			return false;
		}
	}
	if (label == 0)
		return false;
	wire += label + 1;
	return wire <= DNS_MAX_NAME;
}

static bool dns_plain_byte(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_';
}

static void dns_put_label_byte(struct buf *b, unsigned char c)
{
	if (dns_plain_byte(c))
		buf_add_byte(b, (char)c);
	else
		buf_addf(b, "\\%03u", c); /* RFC 1035 5.1 */
}

/* A checked name as libunbound's presentation-format parser takes it: every
 * byte but letters, digits, '-', '_' escaped, so a name holding odd bytes is
 * asked exactly.  NULL on out of memory. */
static const char *dns_name_for_ub(struct arena *a, struct slice n)
{
	struct buf b;
	if (n.len == 1 && n.ptr[0] == '.')
		return ".";
	if (n.ptr[n.len - 1] == '.')
		n.len--;
	buf_init(&b, a, n.len * 4 + 2);
	for (size_t i = 0; i < n.len; i++) {
		if (n.ptr[i] == '.')
			buf_add_byte(&b, '.');
		else
			dns_put_label_byte(&b, (unsigned char)n.ptr[i]);
	}
	buf_add_byte(&b, '.');
	return b.err ? NULL : buf_cstr(&b);
}

static const char *dns_wname_for_ub(struct arena *a, const struct dns_wname *w)
{
	struct buf b;
	buf_init(&b, a, w->len * 4 + 2);
	size_t i = 0;
	while (i < w->len && w->b[i]) {
		size_t l = w->b[i++];
		for (size_t k = 0; k < l && i + k < w->len; k++)
			dns_put_label_byte(&b, w->b[i + k]);
		buf_add_byte(&b, '.');
		i += l;
	}
	if (b.len == 0)
		buf_add_byte(&b, '.');
	return b.err ? NULL : buf_cstr(&b);
}

/* Display form of a name we were given: lower case, no final dot. */
static struct slice dns_name_display(struct arena *a, struct slice n)
{
	if (n.len && n.ptr[n.len - 1] == '.')
		n.len--;
	char *t = arena_alloc(a, n.len + 1);
	if (!t)
		return SLICE_NULL;
	for (size_t i = 0; i < n.len; i++) {
		char c = n.ptr[i];
		t[i] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
	}
	t[n.len] = '\0';
	return slice_make(t, n.len);
}

/* ---- answers ---- */

static void dns_answer_set(struct dns_answer *ans, enum dns_status st, const char *why)
{
	ans->status = st;
	ans->why = why;
	if (st != DNS_ST_OK) {
		ans->n = 0;
		ans->rr = NULL;
	}
}

static const char *dns_rcode_why(int rcode)
{
	switch (rcode) {
	case 1: return "FORMERR";
	case 2: return "SERVFAIL";
	case 4: return "NOTIMP";
	case 5: return "REFUSED";
	default: return "error rcode";
	}
}

/* libunbound's why_bogus, bounded and printable. */
static const char *dns_bogus_why(struct arena *a, const char *why)
{
	struct buf b;
	buf_init(&b, a, DNS_MAX_WHY + 64);
	buf_add_cstr(&b, "DNSSEC validation failed");
	if (why) {
		const char *end = memchr(why, '\0', DNS_MAX_WHY);
		size_t l = end ? (size_t)(end - why) : DNS_MAX_WHY;
		buf_add_cstr(&b, ": ");
		for (size_t i = 0; i < l; i++) {
			unsigned char c = (unsigned char)why[i];
			buf_add_byte(&b, (c >= 0x20 && c < 0x7f) ? (char)c : '?');
		}
	}
	return b.err ? "DNSSEC validation failed" : buf_cstr(&b);
}

static void dns_slot_fill(struct dns_slot *s, int err, struct ub_result *res)
{
	struct dns_answer *ans = s->ans;
	struct arena *a = s->b->a;
	s->state = DNS_SLOT_DONE;
	if (err || !res) {
		const char *why = arena_printf(a, "resolver error: %s", ub_strerror(err));
		dns_answer_set(ans, DNS_ST_SERVFAIL, why ? why : "resolver error");
		return;
	}
	if (res->bogus)
		ans->security = DNS_SEC_BOGUS;
	else if (res->secure && !s->insecure)
		ans->security = DNS_SEC_SECURE;
	else
		ans->security = DNS_SEC_INSECURE;
	if (!res->secure)
		s->insecure = true;
	if (res->bogus) {
		dns_answer_set(ans, DNS_ST_BOGUS, dns_bogus_why(a, res->why_bogus));
		return;
	}
	/* RFC 1035 4.1.1: 0 no error, 3 name error; the rest is a failure. */
	if (res->rcode != 0 && res->rcode != 3) {
		dns_answer_set(ans, DNS_ST_SERVFAIL, dns_rcode_why(res->rcode));
		return;
	}

	/* Where the data (or its absence) belongs: follow the CNAMEs in the
	 * response.  A recursive unbound has already chased them; its own
	 * local-data answers with the alias alone, so then we ask again for
	 * the target (RFC 2181 10.1: the alias has no other data). */
	if (ans->type != DNS_T_CNAME && res->canonname && res->answer_packet &&
	    res->answer_len > 0) {
		struct dns_wname target;
		unsigned steps;
		struct slice canon;
		if (dns_wire_cname_chain(res->answer_packet, (size_t)res->answer_len, &target,
		                         &steps) != DNS_WIRE_OK) {
			dns_answer_set(ans, DNS_ST_SERVFAIL,
			               "CNAME chain unreadable or longer than DNS_MAX_CNAME_CHAIN");
			return;
		}
		if (steps) {
			enum dns_wire_status st = dns_wname_text(a, &target, &canon);
			if (st == DNS_WIRE_NOMEM) {
				dns_answer_set(ans, DNS_ST_SERVFAIL, "out of memory");
				return;
			}
			if (st == DNS_WIRE_OK)
				ans->canon = canon;
			if (res->rcode == 0 && !res->havedata) {
				s->hops += steps;
				if (s->hops > DNS_MAX_CNAME_CHAIN) {
					dns_answer_set(ans, DNS_ST_SERVFAIL, "CNAME chain too long");
					return;
				}
				s->qstr = dns_wname_for_ub(a, &target);
				if (!s->qstr) {
					dns_answer_set(ans, DNS_ST_SERVFAIL, "out of memory");
					return;
				}
				s->state = DNS_SLOT_CHASE;
				return;
			}
		}
	}
	if (res->rcode == 3) { /* RFC 2308 2.1 (after CNAMEs: RFC 6604) */
		dns_answer_set(ans, DNS_ST_NXDOMAIN, "NXDOMAIN");
		return;
	}
	if (!res->havedata || !res->data || !res->data[0]) {
		dns_answer_set(ans, DNS_ST_NODATA, "NODATA");
		return;
	}

	size_t n = 0;
	while (res->data[n] && n < DNS_MAX_RRS)
		n++;
	struct dns_rr *rr = arena_calloc(a, n, sizeof *rr);
	if (!rr) {
		dns_answer_set(ans, DNS_ST_SERVFAIL, "out of memory");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		size_t len = res->len[i] > 0 ? (size_t)res->len[i] : 0;
		switch (dns_wire_rdata(a, ans->type, res->data[i], len, &rr[i])) {
		case DNS_WIRE_OK:
			break;
		case DNS_WIRE_NOMEM:
			dns_answer_set(ans, DNS_ST_SERVFAIL, "out of memory");
			return;
		case DNS_WIRE_MALFORMED:
			/* Dropping the one bad RR could change a verdict (SPF
			 * counts records): the whole answer is unusable. */
			dns_answer_set(ans, DNS_ST_SERVFAIL, "malformed rdata");
			return;
		}
	}
	ans->rr = rr;
	ans->n = n;
	ans->ttl = res->ttl > 0 ? (uint32_t)res->ttl : 0;
	dns_answer_set(ans, DNS_ST_OK, res->data[n] ? "data (RRset truncated to DNS_MAX_RRS)"
	                                            : "data");
}

static void dns_callback(void *mydata, int err, struct ub_result *res)
{
	dns_slot_fill(mydata, err, res);
	if (res)
		ub_resolve_free(res);
}

/* ---- batches ---- */

struct dns_batch *dns_batch_new(struct dns_resolver *r, struct arena *a)
{
	if (!r || !a)
		return NULL;
	struct dns_batch *b = arena_zalloc(a, sizeof *b);
	if (b) {
		b->r = r;
		b->a = a;
	}
	return b;
}

struct dns_answer *dns_batch_add(struct dns_batch *b, enum dns_type type, struct slice name)
{
	if (!b || (unsigned)type == 0 || (unsigned)type > 65535)
		return NULL;
	struct dns_answer *ans = arena_zalloc(b->a, sizeof *ans);
	if (!ans)
		return NULL;
	ans->type = type;
	ans->security = DNS_SEC_INSECURE;
	ans->qname = name.len ? arena_slice_dup(b->a, name) : slice_make("", 0);
	if (name.len && !ans->qname.ptr)
		return NULL;
	if (!dns_name_ok(name)) {
		/* Not a DNS name: nothing can exist there, and nothing is sent. */
		dns_answer_set(ans, DNS_ST_NXDOMAIN, "invalid name");
		ans->canon = ans->qname;
		return ans;
	}
	if (b->n >= DNS_MAX_BATCH)
		return NULL;
	if (!b->slot) {
		b->slot = arena_calloc(b->a, DNS_MAX_BATCH, sizeof *b->slot);
		if (!b->slot)
			return NULL;
	}
	struct dns_slot *s = &b->slot[b->n];
	memset(s, 0, sizeof *s);
	s->b = b;
	s->ans = ans;
	s->qstr = dns_name_for_ub(b->a, name);
	ans->canon = dns_name_display(b->a, name);
	if (!s->qstr || !ans->canon.ptr)
		return NULL;
	s->state = DNS_SLOT_QUEUED;
	/* Until answered, an answer reads as a timeout. */
	dns_answer_set(ans, DNS_ST_TIMEOUT, "not sent");
	b->n++;
	return ans;
}

static void dns_slot_send(struct dns_slot *s)
{
	struct dns_resolver *r = s->b->r;
	if (!r->bg_pid)
		r->bg_pid = getpid();
	s->state = DNS_SLOT_SENT;
	int rc = ub_resolve_async(r->ctx, s->qstr, (int)s->ans->type, DNS_CLASS_IN, s, dns_callback,
	                          &s->id);
	if (rc != 0) {
		const char *why = arena_printf(s->b->a, "resolver error: %s", ub_strerror(rc));
		s->state = DNS_SLOT_DONE;
		dns_answer_set(s->ans, DNS_ST_SERVFAIL, why ? why : "resolver error");
	}
}

/* Every slot still waiting gets st/why; sent queries are cancelled so their
 * callbacks (which point into the arena) can never run later. */
static void dns_batch_finish(struct dns_batch *b, enum dns_status st, const char *why)
{
	for (size_t i = 0; i < b->n; i++) {
		struct dns_slot *s = &b->slot[i];
		if (s->state == DNS_SLOT_DONE)
			continue;
		if (s->state == DNS_SLOT_SENT)
			(void)ub_cancel(b->r->ctx, s->id);
		s->state = DNS_SLOT_DONE;
		dns_answer_set(s->ans, st, why);
	}
}

void dns_batch_wait(struct dns_batch *b, uint64_t deadline_ms)
{
	if (!b || b->n == 0)
		return;
	struct dns_resolver *r = b->r;
	if (r->bg_pid && r->bg_pid != getpid()) {
		/* libunbound's worker thread lives in the process that started
		 * it; the pipe to it is shared with that process.  Refuse rather
		 * than hang or steal its answers. */
		dns_batch_finish(b, DNS_ST_SERVFAIL, "resolver used after fork");
		b->n = 0;
		return;
	}
	if (dns_now_ms() >= deadline_ms) {
		dns_batch_finish(b, DNS_ST_TIMEOUT, "timeout");
		b->n = 0;
		return;
	}
	for (size_t i = 0; i < b->n; i++)
		if (b->slot[i].state == DNS_SLOT_QUEUED)
			dns_slot_send(&b->slot[i]);

	int fd = ub_fd(r->ctx);
	for (;;) {
		size_t pending = 0;
		uint64_t now = dns_now_ms();
		for (size_t i = 0; i < b->n; i++) {
			struct dns_slot *s = &b->slot[i];
			if (s->state == DNS_SLOT_CHASE && now < deadline_ms)
				dns_slot_send(s);
			if (s->state == DNS_SLOT_SENT || s->state == DNS_SLOT_CHASE)
				pending++;
		}
		if (pending == 0 || now >= deadline_ms)
			break;
		uint64_t left = deadline_ms - now;
		struct pollfd pfd = { .fd = fd, .events = POLLIN, .revents = 0 };
		int rc = fd >= 0 ? poll(&pfd, 1, left > INT_MAX ? INT_MAX : (int)left) : -1;
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0) {
			dns_batch_finish(b, DNS_ST_SERVFAIL, "resolver error: poll failed");
			break;
		}
		if (rc > 0) {
			int e = ub_process(r->ctx);
			if (e != 0) {
				const char *why = arena_printf(b->a, "resolver error: %s",
				                               ub_strerror(e));
				dns_batch_finish(b, DNS_ST_SERVFAIL, why ? why : "resolver error");
				break;
			}
		}
	}
	dns_batch_finish(b, DNS_ST_TIMEOUT, "timeout");
	b->n = 0;
}

struct dns_answer *dns_query(struct dns_resolver *r, struct arena *a, enum dns_type type,
                             struct slice name, uint64_t deadline_ms)
{
	struct dns_batch *b = dns_batch_new(r, a);
	if (!b)
		return NULL;
	struct dns_answer *ans = dns_batch_add(b, type, name);
	if (ans)
		dns_batch_wait(b, deadline_ms);
	return ans;
}

/* ---- resolvers ---- */

static bool dns_setopt(struct dns_resolver *r, const char *opt, const char *val, char *err,
                       size_t errlen)
{
	int rc = ub_ctx_set_option(r->ctx, opt, val);
	if (rc != 0) {
		dns_err(err, errlen, "libunbound refused option %s %s: %s", opt, val,
		        ub_strerror(rc));
		return false;
	}
	return true;
}

/* forward:ADDR[@PORT][,ADDR[@PORT]...] */
static bool dns_setup_forward(struct dns_resolver *r, const char *spec, struct slice list,
                              char *err, size_t errlen)
{
	struct arena *a = arena_new(0);
	bool ok = false;
	if (!a) {
		dns_err(err, errlen, "resolver \"%s\": out of memory", spec);
		return false;
	}
	if (list.len == 0) {
		dns_err(err, errlen, "resolver \"%s\": forward: needs an address, e.g. "
		                     "forward:127.0.0.1@5353", spec);
		goto out;
	}
	for (bool more = true; more;) {
		struct slice item, addr, port;
		more = slice_split_byte(list, ',', &item, &list);
		/* The port follows the last '@' (IPv6 addresses hold ':'). */
		addr = item;
		port = SLICE_NULL;
		for (size_t i = item.len; i > 0; i--)
			if (item.ptr[i - 1] == '@') {
				addr = slice_make(item.ptr, i - 1);
				port = slice_make(item.ptr + i, item.len - i);
				break;
			}
		unsigned char bin[16];
		char *ac = arena_strndup(a, addr.ptr, addr.len);
		uint64_t pn = 53;
		if (!ac || (inet_pton(AF_INET, ac, bin) != 1 && inet_pton(AF_INET6, ac, bin) != 1)) {
			dns_err(err, errlen, "resolver \"%s\": bad forwarder address \"%.*s\"", spec,
			        (int)addr.len, addr.ptr);
			goto out;
		}
		if (port.ptr && (!slice_parse_u64(port, 65535, &pn) || pn == 0)) {
			dns_err(err, errlen, "resolver \"%s\": bad port \"%.*s\"", spec, (int)port.len,
			        port.ptr);
			goto out;
		}
		char *fwd = arena_printf(a, "%s@%u", ac, (unsigned)pn);
		int rc = fwd ? ub_ctx_set_fwd(r->ctx, fwd) : UB_NOMEM;
		if (rc != 0) {
			dns_err(err, errlen, "resolver \"%s\": libunbound refused forwarder %s: %s",
			        spec, fwd ? fwd : ac, ub_strerror(rc));
			goto out;
		}
	}
	/* A forwarder on this host (a local cache) is the common case; unbound
	 * refuses to query 127.0.0.0/8 and ::1 unless told otherwise. */
	ok = dns_setopt(r, "do-not-query-localhost:", "no", err, errlen);
out:
	arena_free(a);
	return ok;
}

static bool dns_setup_system(struct dns_resolver *r, char *err, size_t errlen)
{
	int rc = ub_ctx_resolvconf(r->ctx, NULL);
	if (rc != 0) {
		dns_err(err, errlen, "resolver \"system\": cannot use /etc/resolv.conf: %s%s%s",
		        ub_strerror(rc), rc == UB_READFILE ? ": " : "",
		        rc == UB_READFILE ? strerror(errno) : "");
		return false;
	}
	/* /etc/hosts is optional: a missing file only means no host entries. */
	(void)ub_ctx_hosts(r->ctx, NULL);
	return dns_setopt(r, "do-not-query-localhost:", "no", err, errlen);
}

static bool dns_setup_unbound(struct dns_resolver *r, const char *path, char *err, size_t errlen)
{
	struct stat st;
	if (!*path || stat(path, &st) != 0) {
		dns_err(err, errlen, "resolver \"unbound:%s\": cannot read the configuration: %s",
		        path, *path ? strerror(errno) : "no file named");
		return false;
	}
	int rc = ub_ctx_config(r->ctx, path);
	if (rc != 0) {
		dns_err(err, errlen, "resolver \"unbound:%s\": libunbound rejected the configuration: "
		                     "%s", path, ub_strerror(rc));
		return false;
	}
	return true;
}

/* Zones unbound serves by itself unless told "nodefault" (unbound.conf(5),
 * local-zone defaults: RFC 6761, RFC 6303, RFC 7686, RFC 8375 and the AS112
 * reverse zones), including some newer versions add.  Generated ranges:
 * 16-31.172.in-addr.arpa. (RFC 1918) and 64-127.100.in-addr.arpa.
 * (RFC 6598). */
static const char *const dns_default_zones[] = {
	"localhost.", "127.in-addr.arpa.",
	"1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa.",
	"0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa.",
	"onion.", "test.", "invalid.", "home.arpa.", "resolver.arpa.", "service.arpa.",
	"10.in-addr.arpa.", "168.192.in-addr.arpa.", "0.in-addr.arpa.", "254.169.in-addr.arpa.",
	"2.0.192.in-addr.arpa.", "100.51.198.in-addr.arpa.", "113.0.203.in-addr.arpa.",
	"255.255.255.255.in-addr.arpa.", "d.f.ip6.arpa.", "8.e.f.ip6.arpa.", "9.e.f.ip6.arpa.",
	"a.e.f.ip6.arpa.", "b.e.f.ip6.arpa.", "8.b.d.0.1.0.0.2.ip6.arpa.",
};

/* ub_ctx_set_option("local-zone:", "NAME nodefault") stores the whole value
 * instead of the name (libunbound 1.17 config_file.c), so it never matches;
 * the configuration-file parser gets it right.  Hence a private unbound.conf,
 * loaded and removed at once. */
static bool dns_zone_nodefault(struct dns_resolver *r, struct arena *a, const struct dns_zone *z,
                               const char *fname, char *err, size_t errlen)
{
	struct buf b;
	buf_init(&b, a, SIZE_MAX / 2);
	buf_add_cstr(&b, "server:\n");
	for (size_t i = 0; i < sizeof dns_default_zones / sizeof dns_default_zones[0]; i++)
		buf_addf(&b, "\tlocal-zone: \"%s\" nodefault\n", dns_default_zones[i]);
	for (unsigned i = 16; i <= 31; i++)
		buf_addf(&b, "\tlocal-zone: \"%u.172.in-addr.arpa.\" nodefault\n", i);
	for (unsigned i = 64; i <= 127; i++)
		buf_addf(&b, "\tlocal-zone: \"%u.100.in-addr.arpa.\" nodefault\n", i);
	/* Every served name and its ancestors: also covers default zones of
	 * unbound versions newer than the list above.  dns_zone.c writes
	 * every '"', blank or other odd byte of a name as \DDD, which
	 * unbound's configuration parser passes on to its name parser, so
	 * quoting them is safe. */
	for (size_t i = 0; i < z->nnames; i++)
		buf_addf(&b, "\tlocal-zone: \"%s\" nodefault\n", z->names[i]);
	if (b.err) {
		dns_err(err, errlen, "zone file %s: out of memory", fname);
		return false;
	}

	const char *tmp = getenv("TMPDIR");
	char *path = arena_printf(a, "%s/mailauth-unbound-XXXXXX",
	                          (tmp && tmp[0] == '/') ? tmp : "/tmp");
	int fd = path ? mkstemp(path) : -1;
	if (fd < 0) {
		dns_err(err, errlen, "zone file %s: cannot create a temporary unbound.conf: %s", fname,
		        path ? strerror(errno) : "out of memory");
		return false;
	}
	struct slice body = buf_slice(&b);
	size_t off = 0;
	bool ok = true;
	while (ok && off < body.len) {
		ssize_t w = write(fd, body.ptr + off, body.len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			ok = false;
		else
			off += (size_t)w;
	}
	if (close(fd) != 0)
		ok = false;
	int rc = ok ? ub_ctx_config(r->ctx, path) : UB_READFILE;
	unlink(path);
	if (!ok || rc != 0) {
		dns_err(err, errlen, "zone file %s: cannot load the generated unbound.conf: %s", fname,
		        ok ? ub_strerror(rc) : strerror(errno));
		return false;
	}
	return true;
}

static bool dns_zone_blackhole(struct dns_resolver *r, const char *fname, char *err,
                               size_t errlen)
{
	struct sockaddr_in sin;
	socklen_t sl = sizeof sin;
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = 0;
	r->blackhole = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (r->blackhole < 0 || bind(r->blackhole, (struct sockaddr *)&sin, sizeof sin) != 0 ||
	    getsockname(r->blackhole, (struct sockaddr *)&sin, &sl) != 0) {
		dns_err(err, errlen, "zone file %s: cannot open the local socket for TIMEOUT names: %s",
		        fname, strerror(errno));
		return false;
	}
	char fwd[32];
	snprintf(fwd, sizeof fwd, "127.0.0.1@%u", (unsigned)ntohs(sin.sin_port));
	if (!dns_setopt(r, "do-not-query-localhost:", "no", err, errlen) ||
	    !dns_setopt(r, "unknown-server-time-limit:", DNS_BLACKHOLE_FIRST_WAIT_MS, err, errlen) ||
	    !dns_setopt(r, "infra-cache-max-rtt:", DNS_BLACKHOLE_MAX_RTT_MS, err, errlen))
		return false;
	int rc = ub_ctx_set_fwd(r->ctx, fwd);
	if (rc != 0) {
		dns_err(err, errlen, "zone file %s: libunbound refused forwarder %s: %s", fname, fwd,
		        ub_strerror(rc));
		return false;
	}
	return true;
}

/* True when name lies strictly below anc (both our canonical lower-case
 * form with the final dot, dns_zone.c; "." is the root).  A literal '.'
 * there is always a label separator (a '.' byte is written \046). */
static bool dns_zone_strictly_below(const char *name, const char *anc)
{
	size_t nl = strlen(name), al = strlen(anc);
	if (al == 1 && anc[0] == '.')
		return nl > 1;
	return nl > al && name[nl - al - 1] == '.' && memcmp(name + nl - al, anc, al) == 0;
}

static int dns_cstr_cmp(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* A name the file has records for, below a TIMEOUT name but not one
 * itself, is served like any other: its records, and NODATA for the types
 * it lacks (a "transparent" local zone; only names under it that the file
 * does not know go on to the never-read socket).  TIMEOUT stands for a
 * server that does not answer for that name, not for every name below. */
static bool dns_zone_owned_below_timeout(struct dns_resolver *r, struct arena *a,
                                         const struct dns_zone *z, char *err, size_t errlen)
{
	if (z->nrr == 0)
		return true;
	const char **own = arena_calloc(a, z->nrr, sizeof *own);
	if (!own) {
		dns_err(err, errlen, "zone file: out of memory");
		return false;
	}
	for (size_t i = 0; i < z->nrr; i++)
		own[i] = z->rr[i].owner;
	qsort(own, z->nrr, sizeof *own, dns_cstr_cmp);
	for (size_t i = 0; i < z->nrr; i++) {
		if (i && strcmp(own[i - 1], own[i]) == 0)
			continue;
		bool below = false, is_timeout = false;
		for (size_t k = 0; k < z->ntimeout; k++) {
			if (strcmp(own[i], z->timeout[k]) == 0)
				is_timeout = true;
			else if (dns_zone_strictly_below(own[i], z->timeout[k]))
				below = true;
		}
		if (!below || is_timeout)
			continue;
		char *v = arena_printf(a, "%s transparent", own[i]);
		if (!v || !dns_setopt(r, "local-zone:", v, err, errlen))
			return false;
	}
	return true;
}

static bool dns_setup_zone(struct dns_resolver *r, const char *path, char *err, size_t errlen)
{
	struct dns_zone z;
	bool ok = false;
	struct arena *a = arena_new(0);
	if (!a) {
		dns_err(err, errlen, "zone file %s: out of memory", path);
		return false;
	}
	if (!dns_zone_load(a, path, &z, err, errlen))
		goto out;
	if (!dns_zone_nodefault(r, a, &z, path, err, errlen))
		goto out;

	/* Everything not in the file does not exist ... */
	bool root_timeout = false;
	for (size_t i = 0; i < z.ntimeout; i++)
		if (z.timeout[i][0] == '.')
			root_timeout = true;
	if (!dns_setopt(r, "local-zone:", root_timeout ? ". typetransparent" : ". static", err,
	                errlen))
		goto out;
	/* ... except below TIMEOUT names: what the file does not answer there
	 * is resolved "normally", i.e. forwarded to a socket nobody reads. */
	if (z.ntimeout) {
		if (!dns_zone_blackhole(r, path, err, errlen))
			goto out;
		for (size_t i = 0; i < z.ntimeout; i++) {
			if (z.timeout[i][0] == '.')
				continue;
			char *v = arena_printf(a, "%s typetransparent", z.timeout[i]);
			if (!v || !dns_setopt(r, "local-zone:", v, err, errlen))
				goto out;
		}
		if (!dns_zone_owned_below_timeout(r, a, &z, err, errlen))
			goto out;
	}
	/* One record at a time, so a record unbound rejects is reported with
	 * its line (ub_ctx_data_add finalizes the context on first use). */
	for (size_t i = 0; i < z.nrr; i++) {
		int rc = ub_ctx_data_add(r->ctx, z.rr[i].text);
		if (rc != 0) {
			dns_err(err, errlen, "zone file %s line %u: unbound rejected the record (bad "
			                     "data for its type, or a CNAME beside other data): %s",
			        path, z.rr[i].line, ub_strerror(rc));
			goto out;
		}
	}
	ok = true;
out:
	arena_free(a);
	return ok;
}

/* Make libunbound build its context now, so a broken configuration fails
 * here with a message instead of turning every query into SERVFAIL.
 * Removing a zone nobody has is the one public call that finalizes without
 * side effects. */
static bool dns_finalize(struct dns_resolver *r, const char *spec, char *err, size_t errlen)
{
	int rc = ub_ctx_zone_remove(r->ctx, "mailauth-finalize.invalid.");
	if (rc != 0) {
		dns_err(err, errlen, "resolver \"%s\": libunbound failed to start: %s", spec,
		        ub_strerror(rc));
		return false;
	}
	return true;
}

struct dns_resolver *dns_resolver_new(const char *spec, char *err, size_t errlen)
{
	if (err && errlen)
		err[0] = '\0';
	if (!spec || !*spec)
		spec = "system";
	struct slice s = slice_from_cstr(spec); /* configuration, not input data */
	struct dns_resolver *r = calloc(1, sizeof *r);
	if (!r) {
		dns_err(err, errlen, "resolver \"%s\": out of memory", spec);
		return NULL;
	}
	r->blackhole = -1;
	r->ctx = ub_ctx_create();
	if (!r->ctx) {
		dns_err(err, errlen, "resolver \"%s\": cannot create a libunbound context", spec);
		free(r);
		return NULL;
	}
	bool ok;
	int rc = ub_ctx_async(r->ctx, 1); /* a worker thread, not a forked process */
	if (rc != 0) {
		dns_err(err, errlen, "resolver \"%s\": libunbound cannot run threaded: %s", spec,
		        ub_strerror(rc));
		ok = false;
	} else if (slice_eq_cstr_ci(s, "system")) {
		ok = dns_setup_system(r, err, errlen);
	} else if (slice_starts_with_ci(s, SLICE_LIT("forward:"))) {
		ok = dns_setup_forward(r, spec, slice_sub(s, 8, s.len), err, errlen);
	} else if (slice_starts_with_ci(s, SLICE_LIT("unbound:"))) {
		ok = dns_setup_unbound(r, spec + 8, err, errlen);
	} else if (slice_starts_with_ci(s, SLICE_LIT("zone:"))) {
		ok = spec[5] ? dns_setup_zone(r, spec + 5, err, errlen) : false;
		if (!spec[5])
			dns_err(err, errlen, "resolver \"zone:\": a file name must follow zone:");
	} else {
		dns_err(err, errlen, "unknown resolver \"%s\": expected system, forward:ADDR[@PORT], "
		                     "unbound:/path.conf or zone:/path/file", spec);
		ok = false;
	}
	if (ok)
		ok = dns_finalize(r, spec, err, errlen);
	if (!ok) {
		dns_resolver_free(r);
		return NULL;
	}
	return r;
}

void dns_resolver_free(struct dns_resolver *r)
{
	if (!r)
		return;
	/* In a child of the process running the worker thread, ub_ctx_delete()
	 * would write "quit" into the pipe that process still reads: leave the
	 * context to the exiting child. */
	if (!r->bg_pid || r->bg_pid == getpid())
		ub_ctx_delete(r->ctx);
	if (r->blackhole >= 0)
		close(r->blackhole);
	free(r);
}
