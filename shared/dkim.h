/* dkim.h — DomainKeys Identified Mail: verification (RFC 6376 section 6),
 * signing (section 5), RFC 8301 (algorithm and key-size rules) and RFC 8463
 * (ed25519-sha256).  The building blocks are public so that ARC (RFC 8617),
 * whose ARC-Message-Signature and ARC-Seal are built the same way, reuses
 * them instead of copying them.
 *
 * The code is split by stage, one file each:
 *   dkim_canon.c   header canonicalization, header selection, header hash
 *                  (RFC 6376 3.4.1, 3.4.2, 3.7, 5.4.2)
 *   dkim_body.c    streaming body canonicalizer and the one-pass body hasher
 *                  (RFC 6376 3.4.3, 3.4.4, 3.4.5, 3.7)
 *   dkim_sig.c     DKIM-Signature parsing and validation (RFC 6376 3.5, 6.1.1)
 *   dkim_key.c     key records (RFC 6376 3.6.1) and the per-process key cache
 *   dkim_crypto.c  public/private keys and signatures over OpenSSL EVP
 *                  (RFC 6376 3.3, RFC 8301, RFC 8463)
 *   dkim_verify.c  verification of every signature of a message (6.1, 6.3)
 *   dkim_sign.c    producing a DKIM-Signature (RFC 6376 5)
 *   dkim_result.c  result words (Exim, RFC 8601) and Authentication-Results
 *                  properties
 *
 * Results.  Each signature gets
 *   - an RFC 8601 2.7.1 word (enum dkim_result): pass, fail (body hash or
 *     signature mismatch), policy (refused by rule although it might
 *     verify: rsa-sha1 per RFC 8301 3.1, RSA keys under DKIM_MIN_RSA_BITS
 *     per RFC 8301 3.2, keys over DKIM_MAX_RSA_BITS), neutral (the
 *     signature header could not be processed: syntax errors, missing tags,
 *     unknown version, algorithm, canonicalization or query method; also
 *     signatures left unevaluated over DKIM_MAX_SIGS), temperror (the key
 *     lookup timed out, SERVFAIL, DNSSEC bogus), permerror (everything else
 *     that is not temporary: no key record (NXDOMAIN/NODATA), revoked or
 *     malformed key, key not usable for this signature, i= outside d=, From
 *     not signed, expired, l= beyond the body);
 *   - Exim's dkim_verify_status word (enum dkim_status: pass, fail, invalid,
 *     none) and dkim_verify_reason word (enum dkim_reason: Exim's own words
 *     where they fit, ours in the same style where they do not);
 *   - a detail text for logs and Authentication-Results comments.
 *
 * Memory: everything lives in the arena of the evaluation; OpenSSL objects
 * are registered with arena_defer().  The key cache (optional) is
 * per-process and owns its own keys.  Operational failures (out of memory)
 * are returned as DKIM_ERR_* (int), never as verdicts.
 */
#ifndef MAILAUTH_DKIM_H
#define MAILAUTH_DKIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "dns.h"
#include "msg.h"
#include "slice.h"

/* ---------------------------------------------------------------- words -- */

/* RFC 8601 2.7.1 result of one signature. */
enum dkim_result {
	DKIM_PASS,
	DKIM_FAIL,
	DKIM_POLICY,
	DKIM_NEUTRAL,
	DKIM_TEMPERROR,
	DKIM_PERMERROR,
	DKIM_NONE,
};

/* Exim's $dkim_verify_status words. */
enum dkim_status {
	DKIM_ST_NONE,
	DKIM_ST_PASS,
	DKIM_ST_FAIL,
	DKIM_ST_INVALID,
};

/* $dkim_verify_reason words.  The first six are the words Exim 4.96 emits;
 * the others are ours, in the same style. */
enum dkim_reason {
	DKIM_R_OK,                     /* ""  (pass) */
	DKIM_R_PUBKEY_UNAVAILABLE,     /* no key record, or the lookup failed */
	DKIM_R_PUBKEY_DNS_SYNTAX,      /* key record unparseable or inapplicable */
	DKIM_R_PUBKEY_DER_SYNTAX,      /* p= is not a key of the stated type */
	DKIM_R_PUBKEY_TOO_SHORT,       /* RSA under DKIM_MIN_RSA_BITS */
	DKIM_R_BODYHASH_MISMATCH,
	DKIM_R_SIGNATURE_INCORRECT,
	DKIM_R_PUBKEY_TOO_LONG,        /* RSA over DKIM_MAX_RSA_BITS (not used) */
	DKIM_R_PUBKEY_REVOKED,         /* empty p= (RFC 6376 3.6.1) */
	DKIM_R_PUBKEY_MISMATCH,        /* k=, h=, s= or t=s rule out this use */
	DKIM_R_ALGORITHM_INSECURE,     /* rsa-sha1 (RFC 8301 3.1) */
	DKIM_R_SIGNATURE_SYNTAX,       /* tag list, missing or malformed tag */
	DKIM_R_SIGNATURE_VERSION,      /* v= is not 1 */
	DKIM_R_ALGORITHM_UNSUPPORTED,  /* a=, c= or q= we do not implement */
	DKIM_R_IDENTITY_MISMATCH,      /* i= not within d= */
	DKIM_R_FROM_NOT_SIGNED,        /* h= lacks From (RFC 6376 5.4) */
	DKIM_R_SIGNATURE_EXPIRED,      /* x= before now, or before t= */
	DKIM_R_BODY_LENGTH,            /* l= larger than the canonical body */
	DKIM_R_NOT_EVALUATED,          /* over DKIM_MAX_SIGS */
	DKIM_R_INTERNAL,               /* out of memory or library failure */
};

const char *dkim_result_str(enum dkim_result r);   /* "pass", "temperror", ... */
const char *dkim_status_str(enum dkim_status s);   /* "pass", "invalid", ... */
const char *dkim_reason_str(enum dkim_reason r);   /* "bodyhash_mismatch", ... */
/* The RFC 8601 result and the Exim status that go with a reason (DKIM_R_OK
 * gives pass); DKIM_R_PUBKEY_UNAVAILABLE is temperror or permerror
 * depending on the DNS outcome, so it takes the DNS status as well. */
enum dkim_result dkim_reason_result(enum dkim_reason r, bool dns_temporary);
enum dkim_status dkim_reason_status(enum dkim_reason r);

/* Operational failures (returned as int; 0 is success). */
enum {
	DKIM_OK = 0,
	DKIM_ERR_NOMEM = -1,
	DKIM_ERR_ARG = -2,     /* a caller error: unusable argument */
	DKIM_ERR_CRYPTO = -3,  /* OpenSSL failed on something that should work */
};

/* ----------------------------------------------------------- algorithms -- */

enum dkim_canon { DKIM_CANON_SIMPLE, DKIM_CANON_RELAXED };
enum dkim_hash { DKIM_HASH_SHA256, DKIM_HASH_SHA1 };
enum dkim_keytype { DKIM_KEY_RSA, DKIM_KEY_ED25519 };
enum dkim_algo { DKIM_ALG_RSA_SHA256, DKIM_ALG_ED25519_SHA256, DKIM_ALG_RSA_SHA1 };

#define DKIM_MAX_DIGEST 32     /* SHA-256; SHA-1 is 20 */

const char *dkim_canon_str(enum dkim_canon c);   /* "simple", "relaxed" */
const char *dkim_algo_str(enum dkim_algo a);     /* "rsa-sha256", ... */
enum dkim_hash dkim_algo_hash(enum dkim_algo a);
enum dkim_keytype dkim_algo_keytype(enum dkim_algo a);
size_t dkim_hash_len(enum dkim_hash h);          /* 32 or 20 */

/* ------------------------------------------- header canonicalization -- */

/* Append the canonical form of one header field to out (RFC 6376 3.4.1
 * simple: the raw bytes, every bare LF made CRLF; 3.4.2 relaxed: name in
 * lower case, unfolded, WSP runs as one SP, no WSP around the colon or at
 * the end).  with_crlf adds the final CRLF (every field but the signature
 * header itself, RFC 6376 3.7).  Errors are sticky in out (buf). */
void dkim_canon_header(struct buf *out, enum dkim_canon c, const struct msg_header *h,
                       bool with_crlf);

/* A copy of a signature header (DKIM-Signature, ARC-Message-Signature,
 * ARC-Seal) with the value of its b= tag deleted, as RFC 6376 3.7 and
 * RFC 8617 4.1.2/4.1.3 hash it: every byte after "b=" up to the end of the
 * tag value goes (folding inside the value included); the FWS before the
 * next ";" stays.  The raw bytes are copied into the arena; out->name and
 * out->value point into the copy.  Returns false when the value is not a
 * valid tag list or has no b= tag (the caller reports a syntax error), or
 * on out of memory (check the arena, or treat both as not verifiable). */
bool dkim_header_strip_b(struct arena *a, const struct msg_header *in, struct msg_header *out);

/* Pick the header fields an h= list names (RFC 6376 5.4.2): for each name
 * in order, the lowest not yet picked instance, walking upwards from the
 * bottom; a name with no instance left is skipped (over-signing: it then
 * signs the field's absence).  exclude (may be NULL) is never picked: the
 * signature header being verified, which the signer did not yet have.
 * out gets up to nnames pointers (arena); *nout how many were found.
 * Time is O(nnames * number of header fields). */
int dkim_select_headers(struct arena *a, const struct msg *m, const struct slice *names,
                        size_t nnames, const struct msg_header *exclude,
                        const struct msg_header ***out, size_t *nout);

/* The header hash of RFC 6376 3.7 (and RFC 8617 5.1.1 / 5.1.2): the
 * canonical forms of fields[0..n) each with CRLF, then sig_no_b (from
 * dkim_header_strip_b) without the final CRLF, hashed with h.  md gets
 * dkim_hash_len(h) bytes. */
int dkim_header_hash(struct arena *a, enum dkim_hash h, enum dkim_canon c,
                     const struct msg_header *const *fields, size_t n,
                     const struct msg_header *sig_no_b, unsigned char md[DKIM_MAX_DIGEST]);

/* ---------------------------------------------------- body hashing -- */

/* Streaming body canonicalizer (RFC 6376 3.4.3 simple, 3.4.4 relaxed).
 * Line ends are CRLF or a bare LF (Exim's spool); both count as one line
 * end and come out as CRLF.  A CR not followed by LF is an ordinary byte.
 * The output only depends on the concatenation of the chunks fed, never on
 * where they were split.  Output goes to emit(ctx, bytes, len) in pieces of
 * any size.  The struct is public so callers can keep it on the stack;
 * treat its fields as private. */
typedef void (*dkim_emit_fn)(void *ctx, const char *p, size_t n);

struct dkim_bcanon {
	enum dkim_canon canon;
	dkim_emit_fn emit;
	void *ctx;
	uint64_t blank_lines;  /* empty lines held back (trailing ones vanish) */
	uint64_t out_len;      /* bytes emitted so far */
	bool cr_pending;       /* last byte was CR; the next tells what it was */
	bool wsp_pending;      /* relaxed: WSP run seen, not yet emitted */
	bool mid_line;         /* current line has content */
	bool finished;
};

void dkim_bcanon_init(struct dkim_bcanon *c, enum dkim_canon canon, dkim_emit_fn emit,
                      void *ctx);
void dkim_bcanon_feed(struct dkim_bcanon *c, const char *p, size_t n);
/* End of body: emits what is still owed (the final CRLF of a last line
 * without one; simple's CRLF for an empty body). */
void dkim_bcanon_finish(struct dkim_bcanon *c);

/* All the body hashes one message needs, in one pass over the body: one
 * canonicalizer per canonicalization in use, each feeding every hash that
 * needs it (per hash algorithm and l= length). */
struct dkim_body;

struct dkim_body *dkim_body_new(struct arena *a);
/* Ask for a hash; identical requests share one slot.  limit is l= (ignored
 * unless limited).  *slot receives the slot number.  Must be called before
 * the first dkim_body_feed. */
int dkim_body_want(struct dkim_body *b, enum dkim_canon c, enum dkim_hash h, bool limited,
                   uint64_t limit, size_t *slot);
/* Feed the next chunk of the body (any split). */
int dkim_body_feed(struct dkim_body *b, const char *p, size_t n);
/* End of body; every slot then has its result. */
int dkim_body_finish(struct dkim_body *b);
/* The digest of a slot (after finish); *canon_len is the length of the
 * whole canonical body (for the l= check), whatever the limit. */
void dkim_body_result(const struct dkim_body *b, size_t slot, const unsigned char **md,
                      size_t *mdlen, uint64_t *canon_len);

/* ---------------------------------------------------------------- keys -- */

struct dkim_pubkey {
	enum dkim_keytype type;
	void *pkey;          /* EVP_PKEY *, released with the arena */
	unsigned bits;
};

/* Decode a key from the bytes of a decoded p= (RFC 6376 3.6.1):
 *   RSA: a DER SubjectPublicKeyInfo, or a bare PKCS#1 RSAPublicKey (both
 *        are published; RFC 6376 3.6.1 names the former, the RFC 6376 A.2
 *        re-signed vector in the conformance suite uses the latter);
 *   Ed25519: exactly the 32 raw bytes (RFC 8463 4).
 * Size rules come first, so an oversized key is never used: more than
 * DKIM_MAX_KEY_DER_BYTES of DER, or a modulus over DKIM_MAX_RSA_BITS, gives
 * DKIM_R_PUBKEY_TOO_LONG; under DKIM_MIN_RSA_BITS, DKIM_R_PUBKEY_TOO_SHORT
 * (out->bits is set in both cases).  Undecodable bytes give
 * DKIM_R_PUBKEY_DER_SYNTAX.  Returns DKIM_R_OK with out->pkey set. */
enum dkim_reason dkim_pubkey_decode(struct arena *a, enum dkim_keytype type, struct slice der,
                                    struct dkim_pubkey *out);

/* A parsed key record (RFC 6376 3.6.1). */
struct dkim_key_record {
	enum dkim_keytype k;   /* default rsa */
	bool h_sha256;         /* h= absent, or lists sha256 */
	bool h_sha1;           /* h= absent, or lists sha1 */
	bool s_email;          /* s= absent, "*" or "email" among its values */
	bool t_testing;        /* t=y */
	bool t_strict;         /* t=s: i= must be in d= exactly, no subdomain */
	bool revoked;          /* p= empty */
	struct slice p;        /* decoded p= (empty when revoked) */
	struct slice p_text;   /* p= as written (for the key cache) */
};

/* Parse a TXT key record.  Returns DKIM_R_OK, DKIM_R_PUBKEY_DNS_SYNTAX
 * (not a tag list, v= not first or not DKIM1, no p=, p= not base64, k=
 * unknown) or DKIM_R_INTERNAL (memory); *detail (may be NULL) names the
 * problem.  Unknown tags and unknown h=/s=/t= values are ignored
 * (RFC 6376 3.6.1). */
enum dkim_reason dkim_key_record_parse(struct arena *a, struct slice txt,
                                       struct dkim_key_record *out, const char **detail);

/* Per-process cache, two tables of at most DKIM_KEY_CACHE_ENTRIES each,
 * the oldest entry evicted first:
 *   - decoded keys, keyed by key type and the p= text, so a key seen before
 *     skips base64 and DER decoding;
 *   - usable key records by query name, reused for DKIM_KEY_CACHE_SECONDS
 *     (monotonic clock) instead of asking DNS again.  Only records whose key
 *     decoded are stored; NXDOMAIN, DNS errors and bad records are always
 *     asked again.
 * Not thread-safe (one per process or thread). */
struct dkim_key_cache;
struct dkim_key_cache *dkim_key_cache_new(void);
void dkim_key_cache_free(struct dkim_key_cache *kc);
/* A cached key for (type, p_text), up-referenced and registered with a;
 * false when absent (kc may be NULL). */
bool dkim_key_cache_get(struct dkim_key_cache *kc, struct arena *a, enum dkim_keytype type,
                        struct slice p_text, struct dkim_pubkey *out);
/* Remember a usable decoded key (the cache takes its own reference).
 * Failures (memory, p_text over DKIM_KEY_CACHE_MAX_TEXT) only mean the key
 * is not cached. */
void dkim_key_cache_put(struct dkim_key_cache *kc, struct slice p_text,
                        const struct dkim_pubkey *k);
/* The key record cached for qname (lower case, no final dot) if younger
 * than DKIM_KEY_CACHE_SECONDS at now_ms (dns_now_ms()); copied into a. */
bool dkim_key_cache_get_record(struct dkim_key_cache *kc, struct arena *a, struct slice qname,
                               uint64_t now_ms, struct slice *record);
/* Remember a usable key record for qname from now_ms on (replaces an older
 * entry for the same name). */
void dkim_key_cache_put_record(struct dkim_key_cache *kc, struct slice qname,
                               struct slice record, uint64_t now_ms);

/* Private key for signing, from PEM (PKCS#8, PKCS#1 RSA, or an Ed25519
 * "PRIVATE KEY"); *detail (may be NULL) says why it failed. */
struct dkim_privkey {
	enum dkim_keytype type;
	void *pkey;          /* EVP_PKEY *, released with the arena */
	unsigned bits;
};
int dkim_privkey_load_pem(struct arena *a, struct slice pem, struct dkim_privkey *out,
                          const char **detail);

/* ------------------------------------------------------ sign / verify -- */

/* Verify a signature over a digest made with dkim_header_hash (RSA:
 * PKCS#1 v1.5 with the DigestInfo of h; Ed25519: PureEdDSA over the 32
 * digest bytes, RFC 8463 3).  Returns 1 valid, 0 invalid, DKIM_ERR_* on
 * failure to run. */
int dkim_verify_digest(const struct dkim_pubkey *k, enum dkim_hash h, const unsigned char *md,
                       size_t mdlen, struct slice sig);
/* Sign a digest; *sig gets the signature bytes (arena). */
int dkim_sign_digest(struct arena *a, const struct dkim_privkey *k, enum dkim_hash h,
                     const unsigned char *md, size_t mdlen, struct slice *sig);

/* ----------------------------------------------------- the signature -- */

struct dkim_sig {
	const struct msg_header *hdr;  /* the DKIM-Signature field */
	/* Tags as written (slices into the header; empty when absent). */
	struct slice v, a_text, b_text, bh_text, c_text, d, h_text, i, l_text, q, s, t_text,
		x_text;
	/* Decoded values, valid once parsing got that far. */
	enum dkim_algo algo;
	enum dkim_canon hcanon, bcanon;
	struct slice *h;       /* h= names, in order (arena) */
	size_t nh;
	struct slice b, bh;    /* decoded */
	bool have_l, have_t, have_x;
	uint64_t l, t, x;
	struct slice i_domain; /* domain of i= (decoded), or d= when absent */
	struct slice d_norm;   /* d= in lower case (A-labels) */
	/* Outcome of parsing and validation: DKIM_R_OK, or why not. */
	enum dkim_reason reason;
	const char *detail;    /* static or arena text; never NULL */
};

/* Parse and validate a DKIM-Signature field (RFC 6376 3.5, 6.1.1): tag
 * list, required tags (v a b bh d h s), v=1, known a=, c=, q=, l=, t=, x=
 * values, i= within d=, h= including From, x= not before t= and not before
 * now (now 0: no expiry check).  Unknown tags are ignored.  Every problem is
 * a reason in out (never an abort); returns DKIM_ERR_NOMEM only when memory
 * ran out. */
int dkim_sig_parse(struct arena *a, const struct msg_header *hdr, uint64_t now,
                   struct dkim_sig *out);

/* ---------------------------------------------------------- verifying -- */

struct dkim_verify_opts {
	uint64_t now;                  /* seconds since the epoch; 0: time(NULL) */
	uint64_t deadline_ms;          /* dns_now_ms() value; 0: now + DNS_DEFAULT_BUDGET_MS */
	size_t max_sigs;               /* 0: DKIM_MAX_SIGS */
	struct dkim_key_cache *cache;  /* optional */
	/* Optional shared batch: key queries are added to it and the caller
	 * runs dns_batch_wait() before dkim_verifier_finish().  NULL: the
	 * verifier makes and waits for its own batch. */
	struct dns_batch *batch;
};

/* What Authentication-Results (RFC 8601 2.7.1, RFC 6008) shows of a
 * signature.  Slices point into the message or the arena. */
struct dkim_ar_props {
	struct slice d, i, s, a;
	struct slice b;        /* first 8 characters of b= (RFC 6008 2) */
};

struct dkim_sig_result {
	struct slice d, s, i, a;       /* as written (i: "@d" when absent) */
	struct slice b;                /* b= as written, FWS included */
	enum dkim_result result;
	enum dkim_status status;
	enum dkim_reason reason;
	const char *detail;            /* for logs and comments; never NULL */
	bool evaluated;                /* false: over max_sigs, not looked at */
	bool testing;                  /* key has t=y */
	unsigned key_bits;             /* 0 when no key was decoded */
	size_t hdr_index;              /* position of the field in the message */
};

struct dkim_verify_result {
	struct dkim_sig_result *sigs;  /* every DKIM-Signature, top first */
	size_t nsigs;
	size_t nevaluated;
	/* Summary in Exim's words: pass when any signature passed, else fail
	 * when any failed, else invalid when any was invalid, else none; the
	 * reason of the first signature with that status. */
	enum dkim_status status;
	enum dkim_reason reason;
	/* Colon-separated d= of passing signatures, each once (Exim's
	 * $dkim_signers lists domains); empty when none. */
	struct slice signers;
};

struct dkim_verifier;

/* Start verifying a message whose header fields are in m (the body is fed
 * separately, so it can stream from a spool file): parses every
 * DKIM-Signature (the first max_sigs are evaluated, the rest reported as
 * not evaluated), asks for the body hashes they need and queues the key
 * queries, all in one batch.  NULL only when out of memory. */
struct dkim_verifier *dkim_verifier_new(struct arena *a, struct dns_resolver *r,
                                        const struct msg *m,
                                        const struct dkim_verify_opts *opts);
/* Feed the body (bytes after the blank line), in chunks of any size. */
int dkim_verifier_body(struct dkim_verifier *v, const char *p, size_t n);
/* Finish: waits for DNS (own batch), checks every signature, fills out
 * (arena).  Returns DKIM_OK or DKIM_ERR_NOMEM; verdicts are in out. */
int dkim_verifier_finish(struct dkim_verifier *v, struct dkim_verify_result *out);

/* All three steps for a message in memory (body = m->body). */
int dkim_verify(struct arena *a, struct dns_resolver *r, const struct msg *m,
                const struct dkim_verify_opts *opts, struct dkim_verify_result *out);

/* The Authentication-Results properties of one signature. */
void dkim_ar_props(const struct dkim_sig_result *s, struct dkim_ar_props *out);
/* One resinfo of Authentication-Results: "dkim=pass (comment)
 * header.d=... header.i=... header.s=... header.a=... header.b=...",
 * values quoted where RFC 8601 needs it, the comment cut at AR_MAX_TEXT. */
void dkim_ar_format(struct buf *out, const struct dkim_sig_result *s);

/* ------------------------------------------------------------ signing -- */

struct dkim_sign_opts {
	struct slice domain;           /* d= */
	struct slice selector;         /* s= */
	struct slice identity;         /* i= (empty: omitted) */
	enum dkim_canon hcanon, bcanon;
	/* h= names in order; repeat a name (or name one that is absent) to
	 * over-sign.  NULL/0: From, To, Cc, Subject, Date, Message-ID,
	 * Reply-To, In-Reply-To, References, MIME-Version, Content-Type,
	 * Content-Transfer-Encoding, each as often as it occurs plus once
	 * more (over-signing, so none can be added). */
	const struct slice *headers;
	size_t nheaders;
	bool body_length;              /* add l= (the whole canonical body) */
	bool have_t, have_x;
	uint64_t t, x;
	bool lf_only;                  /* fold with LF instead of CRLF */
};

/* Sign m (header fields and m->body) and produce the complete field
 * "DKIM-Signature: v=1; a=...; ...; b=..." (folded, no final line end) in
 * *out (arena), ready to be put on top of the message.  The algorithm
 * follows the key (rsa-sha256 or ed25519-sha256).  *detail (may be NULL)
 * explains DKIM_ERR_ARG. */
int dkim_sign(struct arena *a, const struct dkim_privkey *k, const struct msg *m,
              const struct dkim_sign_opts *opts, struct slice *out, const char **detail);

/* The shared last step of DKIM-Signature, ARC-Message-Signature and
 * ARC-Seal: hash fields[0..n) and sig_no_b (the header with "b=" still
 * empty) in canonicalization c, sign, and return the base64 signature in
 * *b64 (arena). */
int dkim_sign_header_set(struct arena *a, const struct dkim_privkey *k, enum dkim_canon c,
                         const struct msg_header *const *fields, size_t n,
                         const struct msg_header *sig_no_b, struct slice *b64);
/* The matching check: 1 valid, 0 invalid, DKIM_ERR_* (sig_no_b from
 * dkim_header_strip_b). */
int dkim_verify_header_set(struct arena *a, const struct dkim_pubkey *k, enum dkim_hash h,
                           enum dkim_canon c, const struct msg_header *const *fields,
                           size_t n, const struct msg_header *sig_no_b, struct slice sig);

#endif
