/* floor.c — see floor.h. */
#include "floor.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "arena.h"
#include "dkim.h"
#include "msg.h"

double bench_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double bench_cpu(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double bench_sha256_rate(const void *buf, size_t len, double seconds)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen;
	double t0 = bench_cpu(), t;
	size_t bytes = 0;
	do {
		for (int i = 0; i < 16; i++) {
			EVP_Digest(buf, len, md, &mdlen, EVP_sha256(), NULL);
			bytes += len;
		}
		t = bench_cpu();
	} while (t - t0 < seconds);
	return (double)bytes / (t - t0);
}

double bench_rate(const struct bench_side *s)
{
	return s->cpu > 0 ? (double)s->n / s->cpu : 0;
}

/* Run op for about `seconds` of wall time, adding to s. */
static int bench_slice(bench_op op, void *ctx, double seconds, struct bench_side *s)
{
	double w0 = bench_now(), c0 = bench_cpu(), w;
	unsigned long n = 0;
	int rc = 0;
	do {
		for (int i = 0; i < 4 && rc == 0; i++, n++)
			rc = op(ctx);
		w = bench_now();
	} while (rc == 0 && w - w0 < seconds);
	s->n += n;
	s->cpu += bench_cpu() - c0;
	s->wall += w - w0;
	return rc;
}

int bench_measure(bench_op op, void *ctx, double seconds, struct bench_side *s)
{
	memset(s, 0, sizeof *s);
	int rc = op(ctx);
	return rc ? rc : bench_slice(op, ctx, seconds, s);
}

static int cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;
	return a < b ? -1 : a > b;
}

#define BENCH_MAX_ROUNDS 32

int bench_compare(bench_op op_a, void *ctx_a, bench_op op_b, void *ctx_b, double seconds,
                  int rounds, struct bench_side *a, struct bench_side *b,
                  struct bench_ratio *ratio)
{
	memset(a, 0, sizeof *a);
	memset(b, 0, sizeof *b);
	memset(ratio, 0, sizeof *ratio);
	if (rounds < 1)
		rounds = 1;
	if (rounds > BENCH_MAX_ROUNDS)
		rounds = BENCH_MAX_ROUNDS;
	int rc = op_a(ctx_a);
	if (!rc)
		rc = op_b(ctx_b);
	if (rc)
		return rc;
	double r[BENCH_MAX_ROUNDS];
	for (int k = 0; k < rounds; k++) {
		struct bench_side ra = { 0 }, rb = { 0 };
		/* Alternate which side goes first, so neither always runs
		 * with the other's cache state. */
		if (k & 1) {
			rc = bench_slice(op_b, ctx_b, seconds / rounds, &rb);
			if (!rc)
				rc = bench_slice(op_a, ctx_a, seconds / rounds, &ra);
		} else {
			rc = bench_slice(op_a, ctx_a, seconds / rounds, &ra);
			if (!rc)
				rc = bench_slice(op_b, ctx_b, seconds / rounds, &rb);
		}
		if (rc)
			return rc;
		double rate_b = bench_rate(&rb);
		r[k] = rate_b > 0 ? bench_rate(&ra) / rate_b : 0;
		a->n += ra.n;
		a->cpu += ra.cpu;
		a->wall += ra.wall;
		b->n += rb.n;
		b->cpu += rb.cpu;
		b->wall += rb.wall;
	}
	qsort(r, (size_t)rounds, sizeof r[0], cmp_double);
	ratio->median = rounds & 1 ? r[rounds / 2] : (r[rounds / 2 - 1] + r[rounds / 2]) / 2;
	ratio->lo = r[0];
	ratio->hi = r[rounds - 1];
	return 0;
}

/* ------------------------------------------------------------- floor -- */

int floor_verify(void *ctx)
{
	const struct floor_msg *f = ctx;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen;
	for (size_t i = 0; i < f->nbody; i++)
		if (EVP_Digest(f->body[i], f->body_len[i], md, &mdlen, EVP_sha256(), NULL) != 1)
			return 1;
	for (size_t i = 0; i < f->nsig; i++) {
		const struct floor_sig *s = &f->sig[i];
		EVP_MD_CTX *m = EVP_MD_CTX_new();
		int ok = 0;
		if (m && s->ed25519) {
			/* RFC 8463 3: PureEdDSA over the SHA-256 of the data. */
			ok = EVP_Digest(s->data, s->len, md, &mdlen, EVP_sha256(), NULL) == 1 &&
			     EVP_DigestVerifyInit(m, NULL, NULL, NULL, s->pkey) == 1 &&
			     EVP_DigestVerify(m, s->sig, s->siglen, md, mdlen) == 1;
		} else if (m) {
			/* RSASSA-PKCS1-v1_5 with SHA-256 (the EVP default padding). */
			ok = EVP_DigestVerifyInit(m, NULL, EVP_sha256(), NULL, s->pkey) == 1 &&
			     EVP_DigestVerify(m, s->sig, s->siglen, s->data, s->len) == 1;
		}
		EVP_MD_CTX_free(m);
		if (!ok)
			return 2;
	}
	return 0;
}

/* A signature over data with pkey, made the way floor_verify checks it;
 * *sig is malloc'ed. */
static bool floor_sign(void *pkey, bool ed25519, const void *data, size_t len,
                       unsigned char **sig, size_t *siglen)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	const void *in = data;
	size_t inlen = len;
	*sig = NULL;
	if (ed25519) {
		if (EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) != 1)
			return false;
		in = md;
		inlen = mdlen;
	}
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	size_t n = 0;
	bool ok = m &&
	          EVP_DigestSignInit(m, NULL, ed25519 ? NULL : EVP_sha256(), NULL, pkey) == 1 &&
	          EVP_DigestSign(m, NULL, &n, in, inlen) == 1 && (*sig = malloc(n)) != NULL &&
	          EVP_DigestSign(m, *sig, &n, in, inlen) == 1;
	EVP_MD_CTX_free(m);
	if (!ok) {
		free(*sig);
		*sig = NULL;
		return false;
	}
	*siglen = n;
	return true;
}

static bool floor_add_body(struct floor_msg *f, const char *body, size_t len, int key)
{
	for (size_t i = 0; i < f->nbody; i++)
		if (f->body_key[i] == key)
			return true;
	if (f->nbody >= FLOOR_MAX_BODY)
		return false;
	f->body[f->nbody] = body;
	f->body_len[f->nbody] = len;
	f->body_key[f->nbody++] = key;
	return true;
}

bool floor_add_dkim(struct floor_msg *f, struct arena *a, const struct msg *m,
                    const char *const *selectors, void *const *pkeys, size_t nkeys)
{
	size_t pos = 0;
	long idx;
	while ((idx = msg_find_next(m, SLICE_LIT("DKIM-Signature"), &pos)) >= 0) {
		struct dkim_sig s;
		if (f->nsig >= FLOOR_MAX_SIGS || dkim_sig_parse(a, &m->hdr[idx], 0, &s) != DKIM_OK ||
		    s.reason != DKIM_R_OK || s.have_l)
			return false;
		const struct msg_header **fields;
		size_t nf;
		struct msg_header nob;
		if (dkim_select_headers(a, m, s.h, s.nh, s.hdr, &fields, &nf) != DKIM_OK ||
		    !dkim_header_strip_b(a, s.hdr, &nob))
			return false;
		struct buf hb;
		buf_init(&hb, a, 1 << 20);
		for (size_t i = 0; i < nf; i++)
			dkim_canon_header(&hb, s.hcanon, fields[i], true);
		dkim_canon_header(&hb, s.hcanon, &nob, false);
		if (hb.err)
			return false;
		void *pkey = NULL;
		for (size_t i = 0; i < nkeys; i++)
			if (slice_eq(s.s, slice_from_cstr(selectors[i])))
				pkey = pkeys[i];
		if (!pkey)
			return false;
		struct floor_sig *fs = &f->sig[f->nsig++];
		fs->pkey = pkey;
		fs->ed25519 = s.algo == DKIM_ALG_ED25519_SHA256;
		fs->data = (const unsigned char *)hb.ptr;
		fs->len = hb.len;
		fs->sig = (const unsigned char *)s.b.ptr;
		fs->siglen = s.b.len;
		if (!floor_add_body(f, m->body.ptr, m->body.len, (int)s.bcanon))
			return false;
	}
	return true;
}

bool floor_add_sig(struct floor_msg *f, void *pkey, bool ed25519, const void *data, size_t len,
                   const char *body, size_t body_len, int body_key)
{
	if (f->nsig >= FLOOR_MAX_SIGS || f->nowned >= FLOOR_MAX_SIGS)
		return false;
	unsigned char *sig;
	size_t siglen;
	if (!floor_sign(pkey, ed25519, data, len, &sig, &siglen))
		return false;
	f->owned[f->nowned++] = sig;
	struct floor_sig *fs = &f->sig[f->nsig++];
	fs->pkey = pkey;
	fs->ed25519 = ed25519;
	fs->data = data;
	fs->len = len;
	fs->sig = sig;
	fs->siglen = siglen;
	return !body || floor_add_body(f, body, body_len, body_key);
}

void floor_free(struct floor_msg *f)
{
	for (size_t i = 0; i < f->nowned; i++)
		free(f->owned[i]);
	f->nowned = 0;
}
