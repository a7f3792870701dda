/* dns.h — DNS lookups over libunbound, classified for mail authentication.
 *
 * RFC 1035 (names, rcodes, presentation format), RFC 2308 (NXDOMAIN and
 * NODATA), RFC 2181 10.1 (CNAME), RFC 4035 (DNSSEC status as libunbound
 * reports it), RFC 6761 (special-use names).
 *
 * One resolver per process (struct dns_resolver wraps a ub_ctx), created on
 * first use by whoever owns per-process state (the glue, the CLI).  Lookups
 * that do not depend on each other go into one batch and are resolved
 * together, asynchronously; dns_batch_wait() returns when all have answered
 * or the deadline passed (unanswered queries are cancelled and reported as
 * DNS_ST_TIMEOUT).
 *
 * Transport failure is kept apart from the DNS outcome, because SPF and DMARC
 * must tell "no record" (an answer) from "could not ask" (temperror):
 *   DNS_ST_OK        data present (rr[] holds it)
 *   DNS_ST_NXDOMAIN  the name does not exist (RCODE 3)
 *   DNS_ST_NODATA    the name exists, no RR of that type
 *   DNS_ST_SERVFAIL  SERVFAIL, REFUSED or another error rcode/resolver error,
 *                    and answers whose data cannot be decoded
 *   DNS_ST_TIMEOUT   no answer within the budget
 *   DNS_ST_BOGUS     DNSSEC validation failed (treated as a temporary error)
 * dns_status_is_temp() is true for the last three.
 *
 * CNAMEs: a recursive unbound follows them itself; unbound's own local-data
 * (zone files, local-data in an unbound.conf) answers with the alias alone,
 * and then the target is asked for in the same wait, at most
 * DNS_MAX_CNAME_CHAIN steps.  Either way the answer carries the data of the
 * end of the chain, and `canon` names it.
 *
 * Names: a name we are asked to look up is a plain string of labels
 * separated by '.', with or without the final dot, no escapes (every other
 * byte, even '\', belongs to a label).  Names in answers (MX, PTR, CNAME,
 * canon) come back the same way: lower-case ASCII, no final dot, the root as
 * the empty string.  (A name with a '.' byte inside a label cannot be
 * written so; an answer holding one is SERVFAIL, "malformed rdata".)
 *
 * Resolver specifications (one syntax for --resolver and `resolver =`):
 *   system                 /etc/resolv.conf and /etc/hosts (default; also
 *                          for NULL or "").  No trust anchor is configured,
 *                          so answers are never "secure": for DNSSEC use
 *                          unbound:/path.conf with auto-trust-anchor-file,
 *                          or a validating local cache as the forwarder.
 *   forward:ADDR[@PORT]    a forwarding resolver, e.g. forward:127.0.0.1@5353;
 *                          several as forward:ADDR[@PORT],ADDR[@PORT].
 *                          Addresses on this host are allowed (system too).
 *   unbound:/path.conf     a full unbound.conf (trust anchors, caching, ...)
 *   zone:/path/file        answer only from a file of resource records
 *
 * Zone file (tests, demo, CLI) — the format, for the README:
 *   One record per line:   name. [TTL] [IN] TYPE rdata
 *     - names are absolute; the final dot may be left out.  No $ORIGIN,
 *       $TTL, '@', or records spread over lines with parentheses.  Names
 *       may hold any printable ASCII character but '"', '\\', ';', '(' and
 *       ')'; any byte at all (blank, those five, 8-bit) is written with an
 *       RFC 1035 5.1 escape, \DDD (decimal) or \X, e.g. a\032b.example.
 *       for a label holding "a b".  Case does not matter; '*' is an
 *       ordinary label (unbound's local data has no wildcards).
 *     - TTL defaults to 3600; the class, if given, must be IN.
 *     - A 192.0.2.1 / AAAA 2001:db8::1 / MX 10 mail.example. /
 *       PTR host.example. / CNAME target.example. /
 *       TXT "one or more" "quoted strings": the strings of one record are
 *       joined without a separator when read back.  Inside a string \" is a
 *       quote, \\ a backslash, \DDD the byte with decimal value DDD; each
 *       string is at most 255 bytes (split longer text into several
 *       strings).  Several TXT lines at one name give several records.
 *     - other types (NS, SRV, ...) are passed to unbound as written.
 *   Comments: a line whose first non-blank character is '#' or ';'; and ';'
 *   outside a quoted string ends the line.  Blank lines are ignored; CRLF
 *   line ends are accepted.
 *   Semantics: a name not in the file does not exist (NXDOMAIN); a name
 *   with records, or with records below it (an empty non-terminal), exists
 *   (NODATA for other types).  Names under special-use domains (.test,
 *   .example, .invalid, .localhost, .onion, 10.in-addr.arpa, ...) are served
 *   from the file like any other: unbound's built-in answers for them are
 *   switched off.  Reverse names (x.x.x.x.in-addr.arpa., nibbles under
 *   ip6.arpa.) are written out in full with PTR records.
 *   `name. TIMEOUT` (test extension): every query at that name or below it
 *   that the file does not answer goes to a socket on 127.0.0.1 that the
 *   resolver opened and never reads, so the query times out.  At the
 *   TIMEOUT name itself only the types the file has records of are
 *   answered; a name below it that has records in the file is served like
 *   any other name (NODATA for the types it lacks), and only names below
 *   it that the file does not know time out.  (After about ten minutes of
 *   such timeouts in one process unbound gives up on that socket and
 *   answers SERVFAIL instead.)
 *   A mistake in the file makes dns_resolver_new() fail with a message
 *   naming the line.
 *
 * Processes: the first query starts libunbound's worker thread in the
 * calling process.  A resolver may be created before fork() and used in the
 * children if the parent has not queried with it; one that has answers every
 * query in a child with SERVFAIL ("resolver used after fork").
 *
 * Ownership: answers and their rdata live in the arena given to the batch.
 */
#ifndef MAILAUTH_DNS_H
#define MAILAUTH_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "slice.h"

enum dns_type {
	DNS_T_A = 1,
	DNS_T_CNAME = 5,
	DNS_T_PTR = 12,
	DNS_T_MX = 15,
	DNS_T_TXT = 16,
	DNS_T_AAAA = 28,
};

enum dns_status {
	DNS_ST_OK,
	DNS_ST_NXDOMAIN,
	DNS_ST_NODATA,
	DNS_ST_SERVFAIL,
	DNS_ST_TIMEOUT,
	DNS_ST_BOGUS,
};

enum dns_security {
	DNS_SEC_INSECURE, /* no validation, or an insecure delegation */
	DNS_SEC_SECURE,   /* validated with DNSSEC */
	DNS_SEC_BOGUS,    /* validation failed */
};

/* One resource record's data, decoded:
 *   A      `data`: 4 bytes, network order    AAAA  `data`: 16 bytes
 *   TXT    `data`: the character-strings joined without separator (RFC 7208
 *          3.3, RFC 6376 3.6.2.2); may contain any byte, NUL included
 *   MX     `name` = exchange in lower case without the final dot ("" for
 *          the null MX "." of RFC 7505), `pref`
 *   PTR    `name` = target, lower case, no final dot
 *   CNAME  `name` = target
 *   other  `data`: the raw rdata */
struct dns_rr {
	struct slice data;
	struct slice name;
	uint16_t pref;
};

struct dns_answer {
	enum dns_type type;
	struct slice qname;        /* as asked */
	enum dns_status status;
	enum dns_security security;
	size_t n;                  /* RRs in rr[] (status OK: n >= 1, at most
	                              DNS_MAX_RRS) */
	struct dns_rr *rr;
	const char *why;           /* short text for logs: "SERVFAIL", ... */
	struct slice canon;        /* owner of the data after CNAMEs (display
	                              form, see above); qname when no alias */
	uint32_t ttl;              /* TTL of the data (status OK) */
};

struct dns_resolver;
struct dns_batch;

/* Create a resolver from a specification (see above).  On failure returns
 * NULL and writes a message naming the problem into err (errlen bytes).
 * The libunbound context is built here, so configuration errors show up
 * now rather than as SERVFAIL later. */
struct dns_resolver *dns_resolver_new(const char *spec, char *err, size_t errlen);
/* Frees the context (cancelling whatever it still runs); NULL is a no-op. */
void dns_resolver_free(struct dns_resolver *r);

/* Start a batch whose answers live in arena a.  NULL on out of memory. */
struct dns_batch *dns_batch_new(struct dns_resolver *r, struct arena *a);
/* Queue one query.  Returns the answer slot, filled in by dns_batch_wait();
 * NULL when the batch is full (DNS_MAX_BATCH) or memory ran out.  Names are
 * given with or without the final dot; a name that cannot be a DNS name
 * (empty, an empty label, a label over 63 or a name over 255 octets, RFC
 * 1035 2.3.4) gets status NXDOMAIN with why "invalid name" at once, without
 * being sent and without taking a place in the batch. */
struct dns_answer *dns_batch_add(struct dns_batch *b, enum dns_type type, struct slice name);
/* Send everything queued and wait until all answered or deadline_ms (a
 * dns_now_ms() value) passed.  Always fills every slot.  The batch may be
 * reused for more queries afterwards. */
void dns_batch_wait(struct dns_batch *b, uint64_t deadline_ms);

/* One query, synchronously (a batch of one).  Never NULL unless out of
 * memory. */
struct dns_answer *dns_query(struct dns_resolver *r, struct arena *a, enum dns_type type,
                             struct slice name, uint64_t deadline_ms);

/* Monotonic milliseconds, the clock deadlines are measured against. */
uint64_t dns_now_ms(void);

bool dns_status_is_temp(enum dns_status s);
/* "data", "NXDOMAIN", "NODATA", "SERVFAIL", "timeout", "bogus" */
const char *dns_status_str(enum dns_status s);
const char *dns_security_str(enum dns_security s);
/* "A", "TXT", ... ; and the reverse (false when unknown). */
const char *dns_type_str(enum dns_type t);
bool dns_type_parse(struct slice s, enum dns_type *out);

#endif
