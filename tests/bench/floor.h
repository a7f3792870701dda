/* floor.h — what the benchmarks compare against: the machine's own speed,
 * measured with OpenSSL in the same run, and the timing helpers they share.
 *
 * Timing.  Rates are per second of this process's CPU time (every thread,
 * libunbound's worker included), not wall time: the benchmarks run on
 * shared machines where wall time mostly measures the other processes.  A
 * comparison runs both sides in alternating rounds (bench_compare), so a
 * change of machine load hits both alike, and reports the median of the
 * per-round ratios.
 *
 * The DKIM floor (DESIGN.md "Performance model") is what verifying one
 * message costs when only the unavoidable work is done, with OpenSSL EVP
 * directly: one SHA-256 pass over the body per distinct body hash the
 * signatures need (canonicalization and l=), one header hash per signature
 * and one public-key verification per signature, the key already decoded
 * and DNS already answered.
 */
#ifndef MAILAUTH_BENCH_FLOOR_H
#define MAILAUTH_BENCH_FLOOR_H

#include <stdbool.h>
#include <stddef.h>

/* Seconds on a monotonic clock. */
double bench_now(void);
/* Seconds of CPU time used by this process (all threads). */
double bench_cpu(void);
/* SHA-256 throughput in bytes/second over a buffer of len bytes, measured
 * for about `seconds`. */
double bench_sha256_rate(const void *buf, size_t len, double seconds);

/* One operation of a benchmark: 0 when it did what it should, anything
 * else stops the measurement (a wrong result makes every figure void). */
typedef int (*bench_op)(void *ctx);

struct bench_side {
	unsigned long n;   /* operations done */
	double cpu, wall;  /* seconds spent on them */
};

/* ops per CPU second */
double bench_rate(const struct bench_side *s);

/* Per-round ratios of a comparison: the median (the figure reported)
 * and the lowest and highest round, which show how noisy the machine
 * was. */
struct bench_ratio {
	double median, lo, hi;
};

/* Run op_a and op_b in `rounds` alternating rounds of about seconds/rounds
 * of wall time each (so each side gets about `seconds` in all), after one
 * untimed call of each (warm-up, and a first correctness check).  *ratio
 * gets the per-round ratios rate(a)/rate(b).  Returns 0, or the first
 * non-zero value an op returned. */
int bench_compare(bench_op op_a, void *ctx_a, bench_op op_b, void *ctx_b, double seconds,
                  int rounds, struct bench_side *a, struct bench_side *b,
                  struct bench_ratio *ratio);

/* Run op alone for about `seconds` (one untimed call first).  Returns 0 or
 * the first non-zero value op returned. */
int bench_measure(bench_op op, void *ctx, double seconds, struct bench_side *s);

/* -------------------------------------------------------- DKIM floor -- */

struct floor_sig {
	void *pkey;                    /* EVP_PKEY *, decoded once (not owned) */
	bool ed25519;                  /* RFC 8463: Ed25519 over the SHA-256 of the data */
	const unsigned char *data;     /* the header hash input */
	size_t len;
	const unsigned char *sig;      /* a valid signature over it */
	size_t siglen;
};

#define FLOOR_MAX_BODY 4
#define FLOOR_MAX_SIGS 8

struct floor_msg {
	const char *body[FLOOR_MAX_BODY]; /* one per distinct body hash */
	size_t body_len[FLOOR_MAX_BODY];
	int body_key[FLOOR_MAX_BODY];     /* what makes it distinct (canonicalization) */
	size_t nbody;
	struct floor_sig sig[FLOOR_MAX_SIGS];
	size_t nsig;
	void *owned[FLOOR_MAX_SIGS];      /* signatures floor_add_sig made */
	size_t nowned;
};

/* One floor verification of a message (a bench_op; ctx is a struct
 * floor_msg): the body hashes, then per signature the header hash and the
 * public-key check, which must succeed. */
int floor_verify(void *ctx);

struct arena;
struct msg;

/* Add every DKIM-Signature of m: the exact header hash input (RFC 6376
 * 3.7: the fields h= selects, canonicalized, then the signature field
 * without its b= value), its real b= value, and a body pass of m's body
 * for each canonicalization not already there.  The key of a signature is
 * pkeys[i] (EVP_PKEY *) where selectors[i] equals its s=.  Memory from a.
 * false when a signature cannot be used (unparseable, l=, unknown
 * selector, too many). */
bool floor_add_dkim(struct floor_msg *f, struct arena *a, const struct msg *m,
                    const char *const *selectors, void *const *pkeys, size_t nkeys);

/* Add a signature check over data with pkey (a private key, so the floor
 * can make the signature itself; see floor_free), and a body pass over
 * body for body_key if not already there (body NULL: none).  For ARC
 * sets, whose exact inputs the floor does not rebuild: data is then the
 * message's header section, a little more than a seal or
 * ARC-Message-Signature covers. */
bool floor_add_sig(struct floor_msg *f, void *pkey, bool ed25519, const void *data, size_t len,
                   const char *body, size_t body_len, int body_key);

/* Release what floor_add_sig made. */
void floor_free(struct floor_msg *f);

#endif
