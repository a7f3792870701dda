/* dmarc.h — DMARC as RFC 9989 defines it (policy discovery and the
 * Organizational Domain by the DNS Tree Walk, psd=, np=, t=), with an
 * RFC 7489 compatibility mode (Organizational Domain from the public suffix
 * list, pct= honoured) chosen by configuration.
 *
 *   dmarc_record.c   the policy record (RFC 9989 4.7, 4.8; RFC 7489 6.3)
 *   dmarc_walk.c     record lookups, the DNS Tree Walk and policy discovery
 *                    (RFC 9989 4.10, 4.10.1, 4.10.2; RFC 7489 6.6.3)
 *   dmarc_align.c    identifier alignment (RFC 9989 3.2.10, 4.4)
 *   dmarc_policy.c   the evaluation: result, policy, disposition, local
 *                    overrides, several authors, Exim-style fields
 *
 * Inputs are plain values, not the SPF/DKIM/ARC modules' own structs: the
 * caller (eval.c, the glue) maps its results into struct dmarc_input, so
 * DMARC depends on nothing above dns/orgdom/domain/tag.
 *
 * Results follow the conventions: enum dmarc_result is a verdict in RFC
 * words (temperror included); an operational failure (no memory) is the
 * int return DMARC_E_NOMEM, never a verdict.
 *
 * Ownership: everything a function fills in lives in the arena it was given
 * (or points into the caller's input, which must outlive the result); the
 * configuration's arrays belong to the caller.
 */
#ifndef MAILAUTH_DMARC_H
#define MAILAUTH_DMARC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "dns.h"
#include "fields.h"
#include "mailauth_limits.h"
#include "slice.h"

/* Operational return codes (int).  Verdicts are never returned this way. */
#define DMARC_OK        0
#define DMARC_E_NOMEM  (-1)

enum dmarc_mode {
	DMARC_MODE_RFC9989, /* DNS Tree Walk, psd=, t=; pct= ignored (default) */
	DMARC_MODE_RFC7489, /* public suffix list, pct= sampling */
};

/* RFC 9989 9.2 result names, the words Authentication-Results carries. */
enum dmarc_result {
	DMARC_NONE,       /* no policy record applies (or DMARC not evaluated) */
	DMARC_PASS,
	DMARC_FAIL,
	DMARC_TEMPERROR,  /* a DNS error kept us from deciding */
	DMARC_PERMERROR,  /* no usable answer possible: broken record, no From, ... */
};

enum dmarc_policy {
	DMARC_POLICY_UNSPECIFIED, /* tag absent or invalid */
	DMARC_POLICY_NONE,
	DMARC_POLICY_QUARANTINE,
	DMARC_POLICY_REJECT,
};

enum dmarc_align { DMARC_ALIGN_RELAXED, DMARC_ALIGN_STRICT };

/* psd= (RFC 9989 4.7): u is the default. */
enum dmarc_psd { DMARC_PSD_U, DMARC_PSD_Y, DMARC_PSD_N };

/* fo= options (RFC 9989 4.7), a bit set. */
#define DMARC_FO_0 0x1u
#define DMARC_FO_1 0x2u
#define DMARC_FO_D 0x4u
#define DMARC_FO_S 0x8u

/* ------------------------------------------------------------------ */
/* Policy records                                                      */

enum dmarc_rec_status {
	DMARC_REC_OK,        /* a DMARC record (some tags may have been ignored) */
	DMARC_REC_NOT_DMARC, /* does not start with v=DMARC1: discard it */
	DMARC_REC_NOMEM,
};

/* A parsed record.  Tags that are absent keep their defaults; a tag whose
 * value is not valid is ignored ("discarded in favor of default values",
 * RFC 9989 4.8) and flagged, because p=, sp= and np= validity decides
 * whether the record can be used at all (4.10.1).  A tag given twice is
 * treated as invalid (RFC 6376 3.2, whose tag-list syntax DMARC uses). */
struct dmarc_record {
	struct slice text;          /* the TXT data as received */
	enum dmarc_policy p, sp, np;
	bool p_invalid, sp_invalid, np_invalid; /* present but not valid */
	enum dmarc_align adkim, aspf;           /* default relaxed */
	enum dmarc_psd psd;                     /* default u */
	bool testing;                           /* t=y */
	unsigned fo;                            /* DMARC_FO_*, default DMARC_FO_0 */
	bool rua_present, ruf_present;          /* the tag was there */
	struct slice *rua, *ruf;                /* syntactically valid URIs only */
	size_t n_rua, n_ruf;
	/* RFC 7489 tags (historic in RFC 9989 9.3): parsed always, applied
	 * only in DMARC_MODE_RFC7489. */
	bool has_pct;
	unsigned pct;                           /* 0..100, default 100 */
	struct slice rf;                        /* default "afrf" */
	uint32_t ri;                            /* default 86400 */
	size_t n_ignored;                       /* unknown tags and bad values */
	const char *note;                       /* first problem seen, or NULL */
};

/* Parse one TXT string.  DMARC_REC_NOT_DMARC when the text does not begin
 * with the v tag set to exactly "DMARC1" (RFC 9989 4.7: such a record is
 * ignored entirely).  Everything after v= is salvaged tag by tag: a syntax
 * error in one tag does not lose the others (4.8).  Unknown tags are
 * ignored.  *out's slices point into txt; arrays live in a. */
enum dmarc_rec_status dmarc_record_parse(struct arena *a, struct slice txt,
                                         struct dmarc_record *out);

/* RFC 9989 4.10.1: a record whose p= is missing or invalid, or whose sp= or
 * np= is invalid, is used "as if it contained p=none" when rua= holds at
 * least one syntactically valid URI, and not at all otherwise.  Returns
 * false for the latter; true otherwise, with *eff the record to apply
 * (a copy with p=sp=np=none in the degraded case, *degraded set). */
bool dmarc_record_effective(const struct dmarc_record *r, struct dmarc_record *eff,
                            bool *degraded);

/* ------------------------------------------------------------------ */
/* Record lookups and the DNS Tree Walk                                */

/* What one name gave (RFC 9989 4.10 steps 2 and 6). */
enum dmarc_lookup {
	DMARC_LOOKUP_NONE,      /* no DMARC record (NXDOMAIN, NODATA, no v=DMARC1) */
	DMARC_LOOKUP_ONE,       /* exactly one DMARC record */
	DMARC_LOOKUP_MULTIPLE,  /* several: all discarded */
	DMARC_LOOKUP_TEMPERROR, /* SERVFAIL, timeout, DNSSEC bogus */
};

/* Per-evaluation lookup state: one resolver, an arena, a deadline, and a
 * cache so that a name asked by several walks is queried once.  With
 * prefetch, every name a walk may need is sent in one batch before the
 * walk consults them in order (one round trip instead of up to eight);
 * the names a walk consults, and so its outcome, do not change. */
struct dmarc_dns;

struct dmarc_dns *dmarc_dns_new(struct dns_resolver *r, struct arena *a,
                                uint64_t deadline_ms, bool prefetch);
/* Queue, without waiting, every lookup that evaluating domain may need:
 * the names of its walk (RFC 7489 mode: the name and its public-suffix
 * Organizational Domain) and, with existence, its existence test.  Does
 * nothing without prefetch. */
int dmarc_dns_prefetch(struct dmarc_dns *d, enum dmarc_mode mode, struct slice domain,
                       bool existence);
/* The arena the lookups' results live in. */
struct arena *dmarc_dns_arena(struct dmarc_dns *d);
/* Number of DNS queries actually sent so far (TXT and the A queries of the
 * existence test), for tests and logs. */
size_t dmarc_dns_sent(const struct dmarc_dns *d);

/* A walk (RFC 9989 4.10) from one domain with the Organizational Domain
 * selection of 4.10.2 applied to what it found. */
struct dmarc_walk {
	struct slice start;                                  /* normalized */
	size_t n;                                            /* names consulted */
	struct slice name[DMARC_TREEWALK_MAX_LABELS];        /* in order, no "_dmarc." */
	enum dmarc_lookup look[DMARC_TREEWALK_MAX_LABELS];
	const struct dmarc_record *rec[DMARC_TREEWALK_MAX_LABELS]; /* when ONE */
	bool temperror;   /* a lookup failed: org and stop point unknown */
	bool stopped;     /* a psd=y or psd=n record ended the walk */
	struct slice org; /* the Organizational Domain (meaningless on temperror) */
	int org_rule;     /* 4.10.2 selection rule used: 1, 2, 3, or 0 (the start) */
	int psd_index;    /* index in name[] of the psd=y record the walk met, or -1 */
};

/* Walk from domain (any case, U-labels allowed: it is normalized; invalid
 * names give DMARC_OK with w->n == 0 and w->org empty).  Returns
 * DMARC_E_NOMEM on an operational failure. */
int dmarc_walk(struct dmarc_dns *d, struct slice domain, struct dmarc_walk *w);

/* Where the policy record of an Author Domain came from (RFC 9989 4.10.1). */
enum dmarc_found_at {
	DMARC_FOUND_NONE,   /* no record: DMARC does not apply */
	DMARC_FOUND_AUTHOR, /* at the Author Domain: p= applies */
	DMARC_FOUND_ORG,    /* at its Organizational Domain: sp=/np= */
	DMARC_FOUND_PSD,    /* at its Public Suffix Domain (psd=y): sp=/np= */
};

struct dmarc_discovery {
	enum dmarc_found_at found_at;
	bool temperror;                   /* a lookup failed: policy unknown */
	bool author_multiple;             /* several records at the author (discarded) */
	struct slice author;              /* normalized Author Domain */
	struct slice policy_domain;       /* where the record is (dmarc_used_domain) */
	struct slice org;                 /* Organizational Domain of the author */
	const struct dmarc_record *rec;   /* the record found, or NULL */
	struct dmarc_walk walk;           /* RFC 9989: the walk (names consulted) */
	const char *reason;               /* static text for logs */
};

/* Policy discovery for an Author Domain (normalized by the caller).  In
 * DMARC_MODE_RFC9989, the Author Domain, then the tree walk (4.10.1); in
 * DMARC_MODE_RFC7489, the Author Domain, then its public-suffix-list
 * Organizational Domain (RFC 7489 6.6.3).  Returns DMARC_E_NOMEM or DMARC_OK
 * (the outcome, temperror included, is in *out). */
int dmarc_discover(struct dmarc_dns *d, enum dmarc_mode mode, struct slice author,
                   struct dmarc_discovery *out);

/* Whether a name exists (RFC 9989 3.2.13: NXDOMAIN means it does not;
 * RFC 8020: nor does anything below it).  Sets *temperror when the answer
 * was a temporary failure (then *exists is true). */
int dmarc_domain_exists(struct dmarc_dns *d, struct slice domain, bool *exists,
                        bool *temperror);

/* ------------------------------------------------------------------ */
/* Identifier alignment                                                */

enum dmarc_alignment {
	DMARC_ALIGNED,
	DMARC_NOT_ALIGNED,
	DMARC_ALIGN_TEMPERROR, /* a tree walk needed for relaxed mode failed */
};

/* Is id aligned with author (both normalized by the caller)?  Strict:
 * identical names.  Relaxed: identical, or the same Organizational Domain
 * (RFC 9989 4.10.2 tree walks; RFC 7489 mode: the public suffix list).
 * author_org may be given (the author's Organizational Domain, already
 * known) or empty.  Returns DMARC_E_NOMEM or DMARC_OK. */
int dmarc_align_check(struct dmarc_dns *d, enum dmarc_mode mode, enum dmarc_align how,
                      struct slice author, struct slice author_org, struct slice id,
                      enum dmarc_alignment *out);

/* ------------------------------------------------------------------ */
/* Evaluation                                                          */

/* The outcome of an underlying method as DMARC needs it.  SPF softfail and
 * neutral map to DMARC_AUTH_FAIL. */
enum dmarc_auth {
	DMARC_AUTH_NONE,
	DMARC_AUTH_PASS,
	DMARC_AUTH_FAIL,
	DMARC_AUTH_TEMPERROR,
	DMARC_AUTH_PERMERROR,
};

struct dmarc_spf_input {
	enum dmarc_auth result;
	/* The domain SPF checked: the MAIL FROM domain, or for the null sender
	 * the HELO identity (RFC 9989 3.2.4, RFC 7208 2.4); is_helo says which. */
	struct slice domain;
	bool is_helo;
};

struct dmarc_dkim_input {
	enum dmarc_auth result;
	struct slice d;        /* the signature's d= */
	struct slice selector; /* its s=, for reports */
};

struct dmarc_arc_input {
	bool pass;                  /* chain validation gave pass */
	const struct slice *sealers; /* d= of every ARC-Seal, any order */
	size_t n_sealers;
};

/* What the From field gave (the message layer decides this). */
enum dmarc_from_case {
	DMARC_FROM_ONE,                /* exactly one address with a domain */
	DMARC_FROM_NONE,               /* no From field */
	DMARC_FROM_NO_DOMAIN,          /* From present, no domain in it */
	DMARC_FROM_SEVERAL_FIELDS,     /* more than one From field */
	DMARC_FROM_SEVERAL_ADDRESSES,  /* one field, several addresses */
};

struct dmarc_input {
	enum dmarc_from_case from_case;
	const struct slice *author_domains; /* as found (U-labels allowed) */
	size_t n_author_domains;
	struct dmarc_spf_input spf;
	const struct dmarc_dkim_input *dkim;
	size_t n_dkim;
	struct dmarc_arc_input arc;
	/* Some From mailbox gave no usable domain, or there were more than
	 * the message layer collects: with several addresses the evaluation
	 * would be incomplete (RFC 9989 11.5), so the message is refused. */
	bool from_incomplete;
	struct slice client_ip;   /* the SMTP client's address as text */
	struct slice client_ptr;  /* its verified reverse DNS name, or empty */
	struct slice list_id;     /* the List-Id field's value, or empty */
};

struct addr_from;
/* Fill in->from_case, author_domains, n_author_domains and from_incomplete
 * from the message layer's classification of the From fields (addr.h).
 * The domains stay the addr_from's (same lifetime). */
void dmarc_input_set_from(struct dmarc_input *in, const struct addr_from *f);

/* Several authors (RFC 9989 11.5). */
enum dmarc_multi_from {
	DMARC_MULTI_REJECT,    /* treat the message as failing: dmarc_status reject */
	DMARC_MULTI_STRICTEST, /* evaluate each domain, keep the strictest verdict */
};

/* Reproducible pct= sampling (RFC 7489 6.6.4): a small generator whose seed
 * tests set; production seeds it from the system once per process. */
struct dmarc_rng {
	uint64_t state;
	bool seeded;
};
void dmarc_rng_seed(struct dmarc_rng *g, uint64_t seed);
/* Uniform in 0..99. */
unsigned dmarc_rng_percent(struct dmarc_rng *g);

/* An address block for dmarc_forwarder_ips: family 4 or 6, the address in
 * network order (4 or 16 bytes used), the prefix length. */
struct dmarc_net {
	int family;
	unsigned char addr[16];
	unsigned prefix;
};
/* "192.0.2.1", "198.51.100.0/24", "2001:db8::/32" (configuration text).
 * False when it is not an address or the prefix is out of range. */
bool dmarc_net_parse(struct slice text, struct dmarc_net *out);

/* Per-process configuration, built from the module's configuration file.
 * The arrays are the caller's and must outlive every evaluation.  Domain
 * lists hold A-label or U-label names (compared after normalization). */
struct dmarc_config {
	bool enabled;                       /* false: dmarc_status "off" */
	enum dmarc_mode mode;               /* option dmarc_mode */
	enum dmarc_multi_from multi_from;   /* option dmarc_multiple_from */
	bool prefetch;                      /* option dmarc_dns_prefetch */
	/* Local overrides of the Domain Owner Assessment Policy, each reported
	 * with the RFC 9990 / RFC 7489 PolicyOverride reason. */
	const struct slice *trusted_arc_sealers; /* dmarc_trusted_arc_sealers -> local_policy */
	size_t n_trusted_arc_sealers;
	const struct slice *forwarder_domains;   /* dmarc_forwarder_domains -> trusted_forwarder */
	size_t n_forwarder_domains;
	const struct dmarc_net *forwarder_nets;  /* trusted_forwarders -> trusted_forwarder */
	size_t n_forwarder_nets;
	const struct slice *mailing_lists;       /* dmarc_mailing_lists -> mailing_list */
	size_t n_mailing_lists;
	struct dmarc_rng *rng;              /* NULL: a process-wide generator */
};

/* enabled, RFC 9989, several From domains -> strictest (config.h's
 * default too), prefetch, no overrides. */
void dmarc_config_init(struct dmarc_config *c);

/* Why the requested policy was not applied (RFC 9990 PolicyOverrideType;
 * sampled_out is RFC 7489's). */
enum dmarc_override {
	DMARC_OVERRIDE_NONE,
	DMARC_OVERRIDE_LOCAL_POLICY,      /* trusted ARC sealers */
	DMARC_OVERRIDE_TRUSTED_FORWARDER, /* known forwarder (domain or IP) */
	DMARC_OVERRIDE_MAILING_LIST,      /* known mailing list */
	DMARC_OVERRIDE_SAMPLED_OUT,       /* RFC 7489 pct= */
	DMARC_OVERRIDE_POLICY_TEST_MODE,  /* t=y */
};

/* Which rule of RFC 9989 4.10.1 gives the requested policy: p for a record
 * at the Author Domain; sp for an (existing) subdomain of the policy domain;
 * np when the record has np= and the Author Domain does not exist.  The
 * policy itself falls back as 4.7 says (np to sp to p, sp to p). */
enum dmarc_policy_tag { DMARC_TAG_NONE, DMARC_TAG_P, DMARC_TAG_SP, DMARC_TAG_NP };

/* The outcome of one evaluation.  Strings are static or in the arena. */
struct dmarc_eval {
	bool evaluated;                    /* false: DMARC off */
	enum dmarc_mode mode;
	enum dmarc_from_case from_case;
	enum dmarc_result result;
	const char *reason;                /* short text: logs, AR reason= */
	struct slice author_domain;        /* normalized; the decisive one */
	size_t n_authors_evaluated;
	struct dmarc_discovery disc;       /* discovery for author_domain */
	struct dmarc_record rec;           /* the record applied (effective) */
	bool have_rec;
	bool rec_degraded;                 /* p=none by the 4.10.1 rua rule */
	enum dmarc_policy_tag policy_tag;
	enum dmarc_policy policy;          /* requested (p/sp/np) */
	enum dmarc_policy disposition;     /* applied, after t=, pct=, overrides */
	bool author_exists;                /* existence test result (np=) */
	bool spf_aligned, dkim_aligned;
	struct slice spf_domain;           /* the SPF identity considered */
	struct slice dkim_aligned_domain;  /* d= of the first aligned passing signature */
	bool testing;                      /* t=y applied */
	bool sampled_out;                  /* RFC 7489 pct= spared the message */
	enum dmarc_override override;
	const char *override_comment;
	const char *status;                /* Exim dmarc_status word */
	const char *status_text;           /* Exim dmarc_status_text */
};

/* Evaluate DMARC for one message.  r may be NULL only when no lookup is
 * needed (DMARC off, no From).  deadline_ms is a dns_now_ms() value.
 * Returns DMARC_OK (every verdict, temperror included, is in *out) or
 * DMARC_E_NOMEM (then *out holds a temperror verdict with reason "internal
 * error"). */
int dmarc_evaluate(struct dns_resolver *r, struct arena *a, const struct dmarc_config *cfg,
                   const struct dmarc_input *in, uint64_t deadline_ms, struct dmarc_eval *out);

/* Add the Exim-compatible fields (dmarc_status, dmarc_status_text,
 * dmarc_used_domain, dmarc_domain_policy) and the detail fields
 * (dmarc_result, dmarc_reason, dmarc_author_domain, dmarc_org_domain,
 * dmarc_policy_found_at, dmarc_policy_tag, dmarc_policy, dmarc_disposition,
 * dmarc_spf_aligned, dmarc_dkim_aligned, dmarc_dkim_aligned_domain,
 * dmarc_spf_domain, dmarc_aspf, dmarc_adkim, dmarc_testing, dmarc_override,
 * dmarc_override_comment, dmarc_discovery, dmarc_tree_walk, dmarc_rua,
 * dmarc_pct) to fs. */
void dmarc_fields(const struct dmarc_eval *e, struct fields *fs);

/* Exact words. */
const char *dmarc_result_str(enum dmarc_result r);      /* "pass", "temperror", ... */
const char *dmarc_policy_str(enum dmarc_policy p);      /* "none", ...; "" unspecified */
const char *dmarc_override_str(enum dmarc_override o);  /* "local_policy", ...; "" */
const char *dmarc_found_at_str(enum dmarc_found_at f);  /* "author", "org", "psd", "" */
const char *dmarc_policy_tag_str(enum dmarc_policy_tag t); /* "p", "sp", "np", "" */
const char *dmarc_lookup_str(enum dmarc_lookup l);

#endif
