/* arc.h — Authenticated Received Chain (RFC 8617): collecting and checking
 * the ARC sets of a message, validating the chain, and sealing it.
 *
 * The code is split by stage, one file each:
 *   arc_chain.c    collecting ARC sets and checking their structure and tags
 *                  (RFC 8617 4.1, 4.2.1, 5.2 steps 1-3)
 *   arc_verify.c   key lookup (one DNS batch), AMS and AS verification,
 *                  oldest-pass, result fields and the Authentication-Results
 *                  entry (RFC 8617 5.2 steps 4-7, 7.2, 10.1)
 *   arc_seal.c     producing the next ARC set (RFC 8617 5.1)
 * Canonicalization, body hashing, key records and the public-key operations
 * are DKIM's (dkim.h): ARC-Message-Signature and ARC-Seal are DKIM-style
 * signatures, and nothing of that is repeated here.
 *
 * Results.  The chain state is an RFC 8617 word (enum arc_state: pass,
 * fail, none) with a reason; RFC 8617 5.2.1 ("All Failures Are Permanent")
 * makes a key lookup that failed temporarily a fail as well, so a result
 * also says whether a temporary DNS failure was involved (dns_temporary),
 * for administrators who prefer to defer such mail.  Operational failures
 * (out of memory, unusable arguments) are returned as ARC_ERR_* (int),
 * never as verdicts.
 *
 * Bounded work on hostile chains: at most ARC_MAX_INSTANCES sets are
 * considered (more is a fail, RFC 8617 5.2 step 1), no signature is checked
 * before the structure is known to be sound, at most ARC_MAX_VERIFY
 * signatures are verified and ARC_MAX_HASH_BYTES header bytes hashed per
 * message, and at most ARC_MAX_BODY_HASHES distinct body hashes computed;
 * all keys are asked for in one DNS batch (at most 2 * ARC_MAX_INSTANCES
 * distinct names, within DNS_MAX_BATCH).
 *
 * Memory: everything lives in the arena of the evaluation; OpenSSL objects
 * are registered with arena_defer().  Slices in results point into the
 * message (which must outlive them) or the arena.
 */
#ifndef MAILAUTH_ARC_H
#define MAILAUTH_ARC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ar.h"
#include "arena.h"
#include "dkim.h"
#include "dns.h"
#include "fields.h"
#include "msg.h"
#include "slice.h"

/* ---------------------------------------------------------------- words -- */

/* Chain Validation Status (RFC 8617 4.4, 5.2); the arc_state field. */
enum arc_state {
	ARC_NONE,
	ARC_PASS,
	ARC_FAIL,
};

/* "none", "pass", "fail" */
const char *arc_state_str(enum arc_state s);

/* The cv= tag of an ARC-Seal (RFC 8617 4.1.3); INVALID when absent or not
 * one of the three words (tag values are case-sensitive, RFC 6376 3.2). */
enum arc_cv {
	ARC_CV_NONE,
	ARC_CV_PASS,
	ARC_CV_FAIL,
	ARC_CV_INVALID,
};

/* Operational failures (returned as int; 0 is success). */
enum {
	ARC_OK = 0,
	ARC_ERR_NOMEM = -1,
	ARC_ERR_ARG = -2,     /* a caller error: unusable argument */
	ARC_ERR_CRYPTO = -3,  /* OpenSSL failed on something that should work */
};

/* ------------------------------------------------------------ the chain -- */

/* One ARC-Message-Signature (RFC 8617 4.1.2) or ARC-Seal (4.1.3) as parsed.
 * Slices point into the header field; decoded values live in the arena. */
struct arc_sig {
	const struct msg_header *hdr;  /* NULL: the set has none */
	unsigned instance;             /* i=, 1..ARC_MAX_INSTANCES; 0 if unusable */
	/* Tags valid (every required tag present and well-formed, nothing
	 * forbidden).  When false, why says what is wrong and the signature
	 * cannot pass. */
	bool usable;
	const char *why;               /* static text; never NULL */
	enum dkim_algo algo;
	struct slice b;                /* b= decoded */
	struct slice d, s;             /* d= and s= as written */
	struct slice d_norm;           /* d= normalized (lower case, A-labels) */
	struct slice key_name;         /* "s._domainkey.d", normalized */
	bool have_t;
	uint64_t t;
	/* ARC-Message-Signature only */
	struct slice bh;               /* bh= decoded (32 bytes) */
	enum dkim_canon hcanon, bcanon;/* c=, default simple/simple (RFC 6376 3.5) */
	struct slice *h;               /* h= names in order (arena) */
	size_t nh;
	bool have_l, have_x;
	uint64_t l, x;
	/* ARC-Seal only */
	enum arc_cv cv;
};

/* How one signature fared in verification. */
enum arc_sig_status {
	ARC_SIG_UNCHECKED,  /* not needed (or a limit stopped the work) */
	ARC_SIG_PASS,
	ARC_SIG_FAIL,
};

/* One ARC set, instance i (sets are kept in instance order, 1 first). */
struct arc_set {
	unsigned instance;
	const struct msg_header *aar;  /* ARC-Authentication-Results, or NULL */
	struct arc_sig ams, as;        /* .hdr NULL when absent */
	/* Verification outcome (arc_verify) */
	enum arc_sig_status ams_status, as_status;
	const char *ams_why, *as_why;  /* static or arena text; never NULL */
};

enum arc_chain_status {
	ARC_CHAIN_NONE,    /* no ARC header field at all */
	ARC_CHAIN_OK,      /* sets 1..n complete, cv values as 5.2 step 3 wants */
	ARC_CHAIN_BROKEN,  /* structure or cv makes the chain fail before any
	                    * signature is looked at (5.2 steps 1-3) */
};

struct arc_chain {
	enum arc_chain_status status;
	const char *why;         /* BROKEN: the first problem (static or arena) */
	unsigned n;              /* highest instance found (0: none found) */
	/* set[k] is instance k + 1, for k < n (n at most ARC_MAX_INSTANCES);
	 * in a BROKEN chain members may be missing (NULL / .hdr NULL). */
	struct arc_set *set;
	/* The highest ARC-Seal says cv=fail: the chain was declared failed by
	 * an earlier sealer and cannot be continued (RFC 8617 5.2 step 2). */
	bool top_cv_fail;
	/* The d= of each instance's ARC-Seal, 1..n, colon-separated, in
	 * normalized form, an empty element where there is none or it is not a
	 * domain (Exim's $arc_domains). */
	struct slice domains;
	size_t arc_headers;      /* ARC header fields seen */
};

/* Collect the ARC sets of m and check them as far as can be done without
 * DNS and hashing: every ARC header field's instance (an unusable i= is a
 * structural failure), more than ARC_MAX_INSTANCES sets, the highest
 * ARC-Seal's cv=fail, exactly one AAR, AMS and AS per instance 1..n, cv=none
 * at i=1 and cv=pass above (RFC 8617 4.2.1, 5.2 steps 1-3), and the tags of
 * every AMS and AS (4.1.2, 4.1.3; problems there make that signature
 * unusable, not the structure broken).  now (seconds; 0: the current time)
 * is for AMS x=.  Time is linear in the size of the header section.
 * Returns ARC_OK or ARC_ERR_NOMEM. */
int arc_chain_collect(struct arena *a, const struct msg *m, uint64_t now, struct arc_chain *out);

/* -------------------------------------------------------------- verify -- */

struct arc_verify_opts {
	uint64_t now;                  /* seconds since the epoch; 0: time(NULL) */
	uint64_t deadline_ms;          /* dns_now_ms() value; 0: now + DNS_DEFAULT_BUDGET_MS */
	struct dkim_key_cache *cache;  /* optional per-process key cache */
	/* Optional shared batch: the key queries are added to it and the
	 * caller runs dns_batch_wait() before arc_verifier_finish().  NULL:
	 * the verifier makes and waits for its own batch. */
	struct dns_batch *batch;
	size_t max_verify;             /* 0: ARC_MAX_VERIFY */
	uint64_t max_hash_bytes;       /* 0: ARC_MAX_HASH_BYTES */
};

struct arc_result {
	enum arc_state state;
	/* Why the chain failed ("" for pass and none), e.g.
	 * "i=2: ARC-Seal signature incorrect"; static or arena text. */
	const char *reason;
	/* Highest instance (the "i" of the chain, RFC 8617 5.2's N); 0 when
	 * none.  For a broken chain the highest instance any ARC header field
	 * named, at most ARC_MAX_INSTANCES. */
	unsigned instances;
	/* Exim's $arc_oldest_pass: the lowest instance i such that the AMS of
	 * every instance from i to N verifies (RFC 8617 5.2: the oldest of the
	 * newest run of passing AMSs); N when only the latest passes, 1 when
	 * all do.  0 unless the state is pass.  RFC 8617 10.1's
	 * header.oldest-pass writes 0 for "all passed": see
	 * arc_result_oldest_pass_ar(). */
	unsigned oldest_pass;
	struct slice domains;          /* as in struct arc_chain */
	bool dns_temporary;            /* a key lookup failed temporarily */
	bool top_cv_fail;              /* as in struct arc_chain */
	bool limit_hit;                /* ARC_MAX_VERIFY / ARC_MAX_HASH_BYTES /
	                                * ARC_MAX_BODY_HASHES stopped some work */
	size_t nverified;              /* signatures verified (AMS and AS) */
	/* The sets as collected (instances 1..n); the sealer needs them. */
	const struct arc_chain *chain;
};

struct arc_verifier;

/* Start verifying m (its header fields; the body is fed separately so it
 * can stream from a spool file): collects the chain, asks for the body
 * hashes the AMSs need and queues every key query in one batch.  NULL only
 * when out of memory. */
struct arc_verifier *arc_verifier_new(struct arena *a, struct dns_resolver *r,
                                      const struct msg *m, const struct arc_verify_opts *opts);
/* Feed the body (bytes after the blank line), in chunks of any size. */
int arc_verifier_body(struct arc_verifier *v, const char *p, size_t n);
/* Finish: waits for DNS (own batch), verifies (RFC 8617 5.2 steps 4-7:
 * the latest AMS, every AS from N down to 1, then the older AMSs down to the
 * first that fails, for oldest-pass) and fills out.  Returns ARC_OK or
 * ARC_ERR_NOMEM; the verdict is in out. */
int arc_verifier_finish(struct arc_verifier *v, struct arc_result *out);

/* All three steps for a message in memory (body = m->body).  now: seconds
 * since the epoch (0: the current time); deadline_ms: dns_now_ms() value
 * (0: DNS_DEFAULT_BUDGET_MS from now). */
int arc_verify(struct dns_resolver *r, struct arena *a, const struct msg *m, uint64_t now,
               uint64_t deadline_ms, struct arc_result *out);

/* The four result fields, named and valued as Exim's variables:
 * arc_state, arc_state_reason, arc_domains, arc_oldest_pass (decimal). */
void arc_result_fields(const struct arc_result *r, struct fields *out);

/* header.oldest-pass as RFC 8617 10.1 defines it: "the instance id of the
 * oldest validating AMS or 0 if they all pass". */
unsigned arc_result_oldest_pass_ar(const struct arc_result *r);

/* Append the Authentication-Results resinfo "arc=pass (comment)
 * header.oldest-pass=N smtp.remote-ip=IP" (RFC 8617 10.1; oldest-pass only
 * for pass; remote_ip may be empty).  The comment names the chain length
 * for pass and the reason for fail. */
void arc_ar_add(struct ar_builder *w, struct arena *a, const struct arc_result *r,
                struct slice remote_ip);

/* ---------------------------------------------------------------- seal -- */

struct arc_seal_params {
	struct slice domain;           /* d= */
	struct slice selector;         /* s= */
	/* The private key: key (already loaded) or, when key is NULL, key_pem
	 * (RSA or Ed25519, PEM).  The algorithm follows the key. */
	const struct dkim_privkey *key;
	struct slice key_pem;
	/* AMS h= names in order (written as given).  NULL/0: the default set,
	 * arc_seal_default_headers(), each name as often as the field occurs
	 * (From at least once).  Names of ARC header fields and
	 * Authentication-Results are refused (RFC 8617 4.1.2), and From must
	 * be among them. */
	const struct slice *headers;
	size_t nheaders;
	bool lf_only;                  /* fold with LF (Exim's header_add) instead of CRLF */
	/* Write the AMS and AS tags all in alphabetical order (i= among
	 * them), as draft-era sealers did, instead of i= first as the ABNF of
	 * RFC 8617 4.1.2 / 4.1.3 has it.  Only for reproducing signatures
	 * made that way (the ValiMail suite); verifiers accept both. */
	bool alpha_tag_order;
};

/* The names signed by default: From, To, Cc, Subject, Date, Message-ID,
 * Reply-To, In-Reply-To, References, MIME-Version, Content-Type,
 * Content-Transfer-Encoding, Sender, List-Id, List-Post, List-Unsubscribe,
 * List-Unsubscribe-Post, DKIM-Signature (RFC 8617 4.1.2: "SHOULD include any
 * DKIM-Signature header fields").  *n gets the count. */
const struct slice *arc_seal_default_headers(size_t *n);

struct arc_sealed {
	bool sealed;                   /* false: nothing to add, see why */
	const char *why;               /* static text, "" when sealed */
	unsigned instance;
	enum arc_cv cv;
	/* The three fields, each complete ("ARC-Seal: i=..."), folded, without
	 * a final line end, in the order they must stand at the top of the
	 * header, top first: [0] ARC-Seal, [1] ARC-Message-Signature,
	 * [2] ARC-Authentication-Results.  Prepending one field at a time means
	 * [2] first, then [1], then [0]. */
	struct slice field[3];
	/* The same three, each with its line end, to insert as one block
	 * above the first header field. */
	struct slice block;
};

/* Seal m: build the next ARC set (instance chain->instances + 1) with
 *   AAR  "i=N; " + aar_body (our own Authentication-Results payload from
 *        this evaluation, "authserv-id; method=result ..."; when it holds
 *        no arc= result, "arc=<state>" is appended, RFC 8617 4.1.1 / 5.2);
 *   AMS  over params->headers (or the default set) and the body, relaxed/
 *        relaxed, with t=now;
 *   AS   cv= from chain->state (none, pass, fail) over every set and the new
 *        one, or over the new set alone when cv=fail (RFC 8617 5.1.2).
 * now: seconds since the epoch (0: the current time).
 * Nothing is sealed (out->sealed false, ARC_OK) when the highest ARC-Seal
 * already says cv=fail (the chain is over, RFC 8617 5.2 step 2) or the next
 * instance would exceed ARC_MAX_INSTANCES (4.2.1).  chain is the result of
 * arc_verify() on the same m.  Returns ARC_OK, ARC_ERR_ARG (bad params or
 * key; *detail — may be NULL — says why), ARC_ERR_NOMEM, ARC_ERR_CRYPTO. */
int arc_seal_message(struct arena *a, const struct msg *m, const struct arc_seal_params *params,
             const struct arc_result *chain, struct slice aar_body, uint64_t now,
             struct arc_sealed *out, const char **detail);

#endif
