/* bench_dkim — DKIM verifications per second on generated 4 KB, 32 KB and
 * 256 KB messages signed with rsa-sha256 (2048 bits) and ed25519-sha256,
 * relaxed/relaxed and simple/simple, on two kinds of body (plain text, and
 * multipart with flowed text, indented HTML and base64), plus a message
 * carrying both signatures, next to the floor measured in the same run
 * (floor.h): one SHA-256 pass over the body per distinct body hash, and per
 * signature the header hash and one public-key verification, with OpenSSL
 * EVP directly.  The floor verifies the message's real signature over the
 * exact header bytes the signature covers, so it is checked too.  The
 * ratio (ours / floor, per CPU second, median of alternating rounds) is the
 * figure of merit; issue 4's goal is at least 0.7 on 32 KB messages.
 *
 * Each verification is what the module does per message: parse the
 * message, parse the signature, fetch the key through the DNS layer (the
 * real resolver answering from a zone file) or the per-process key cache
 * (as the glue keeps one), hash the body in one pass, hash the headers,
 * check the signature.  Rows marked "no key cache" ask DNS and decode the
 * key for every message.
 *
 * Every verification must pass: one that does not stops the benchmark with
 * exit status 1 (the figures would be meaningless).
 *
 * Usage: bench_dkim [SECONDS] [--case N] [--quiet] [--dump DIR]
 *   SECONDS per side per case (default 1).  --case runs only case N
 *   (counted from 0 in the order printed; for profiling and for the other
 *   benchmarks' comparisons).  --quiet prints only "OURS FLOOR RATIO" per
 *   case.  --dump writes each case's message to DIR/<n>.eml, the key
 *   records to DIR/zone and the list of cases to DIR/cases (one line per
 *   case: file, signatures, keys, KB, canonicalization, body style, tab
 *   separated) instead of measuring; the messages are From: example.org
 *   and signed with d=example.org, s=rsa and s=ed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "arena.h"
#include "benchkey.h"
#include "corpus.h"
#include "dkim.h"
#include "dns.h"
#include "floor.h"
#include "msg.h"

#define ROUNDS 9
#define GOAL_RATIO 0.7   /* issue 4, on 32 KB messages */

enum { K_RSA = 1, K_ED = 2 };

struct bcase {
	int keys;                 /* K_RSA, K_ED or both */
	enum dkim_canon canon;    /* header and body */
	size_t size;
	enum corpus_style style;
	bool no_cache;
};

static const struct bcase cases[] = {
	{ K_RSA, DKIM_CANON_RELAXED, 4096, CORPUS_TEXT, false },
	{ K_RSA, DKIM_CANON_RELAXED, 32768, CORPUS_TEXT, false },
	{ K_RSA, DKIM_CANON_RELAXED, 262144, CORPUS_TEXT, false },
	{ K_RSA, DKIM_CANON_SIMPLE, 4096, CORPUS_TEXT, false },
	{ K_RSA, DKIM_CANON_SIMPLE, 32768, CORPUS_TEXT, false },
	{ K_RSA, DKIM_CANON_SIMPLE, 262144, CORPUS_TEXT, false },
	{ K_RSA, DKIM_CANON_RELAXED, 32768, CORPUS_MIXED, false },
	{ K_RSA, DKIM_CANON_SIMPLE, 32768, CORPUS_MIXED, false },
	{ K_ED, DKIM_CANON_RELAXED, 4096, CORPUS_TEXT, false },
	{ K_ED, DKIM_CANON_RELAXED, 32768, CORPUS_TEXT, false },
	{ K_ED, DKIM_CANON_RELAXED, 262144, CORPUS_TEXT, false },
	{ K_ED, DKIM_CANON_SIMPLE, 4096, CORPUS_TEXT, false },
	{ K_ED, DKIM_CANON_SIMPLE, 32768, CORPUS_TEXT, false },
	{ K_ED, DKIM_CANON_SIMPLE, 262144, CORPUS_TEXT, false },
	{ K_ED, DKIM_CANON_RELAXED, 32768, CORPUS_MIXED, false },
	{ K_ED, DKIM_CANON_SIMPLE, 32768, CORPUS_MIXED, false },
	{ K_RSA | K_ED, DKIM_CANON_RELAXED, 32768, CORPUS_MIXED, false },
	{ K_RSA, DKIM_CANON_RELAXED, 32768, CORPUS_MIXED, true },
	{ K_ED, DKIM_CANON_RELAXED, 32768, CORPUS_MIXED, true },
};

/* What one "ours" operation needs. */
struct ours_ctx {
	struct dns_resolver *r;
	struct dkim_key_cache *cache;
	struct slice text;
	size_t nsigs;
};

static int ours_verify(void *ctx)
{
	struct ours_ctx *c = ctx;
	struct arena *a = arena_new(0);
	if (!a)
		return 3;
	struct msg m;
	struct dkim_verify_opts vo = { 0 };
	vo.now = 1700000000;
	vo.cache = c->cache;
	struct dkim_verify_result res;
	int rc = 0;
	if (msg_parse(&m, a, c->text) != MSG_OK ||
	    dkim_verify(a, c->r, &m, &vo, &res) != DKIM_OK || res.nsigs != c->nsigs) {
		rc = 1;
	} else {
		for (size_t i = 0; i < res.nsigs; i++) {
			if (res.sigs[i].result != DKIM_PASS) {
				fprintf(stderr, "bench_dkim: signature %zu: %s (%s)\n", i + 1,
				        dkim_result_str(res.sigs[i].result), res.sigs[i].detail);
				rc = 1;
			}
		}
	}
	arena_free(a);
	return rc;
}

static const char *style_name(enum corpus_style s)
{
	return s == CORPUS_MIXED ? "mixed" : "text";
}

int main(int argc, char **argv)
{
	double secs = 1.0;
	const char *dump = NULL;
	long only = -1;
	bool quiet = false;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--dump") && i + 1 < argc) {
			dump = argv[++i];
		} else if (!strcmp(argv[i], "--quiet")) {
			quiet = true;
		} else if (!strcmp(argv[i], "--case") && i + 1 < argc) {
			only = strtol(argv[++i], NULL, 10);
		} else {
			char *end;
			secs = strtod(argv[i], &end);
			if (end == argv[i] || *end || !(secs > 0) || secs > 3600) {
				fprintf(stderr, "usage: bench_dkim [SECONDS] [--case N] [--quiet] [--dump DIR]\n");
				return 2;
			}
		}
	}
	struct bench_key keys[2] = { { .selector = "rsa", .domain = "example.org", .ed = false },
		                     { .selector = "ed", .domain = "example.org", .ed = true } };
	for (int i = 0; i < 2; i++) {
		if (!bench_key_make(&keys[i])) {
			fprintf(stderr, "bench_dkim: key generation failed\n");
			return 1;
		}
	}
	char zpath[] = "/tmp/bench-dkim-XXXXXX";
	int fd = mkstemp(zpath);
	FILE *zf = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!zf) {
		fprintf(stderr, "bench_dkim: cannot write a zone file\n");
		return 1;
	}
	bench_zone_txt(zf, "rsa._domainkey.example.org", keys[0].record);
	bench_zone_txt(zf, "ed._domainkey.example.org", keys[1].record);
	fclose(zf);
	char spec[256], err[256];
	snprintf(spec, sizeof spec, "zone:%s", zpath);
	struct dns_resolver *r = dns_resolver_new(spec, err, sizeof err);
	FILE *cases_f = NULL;
	if (dump) {
		char p[4096];
		snprintf(p, sizeof p, "%s/zone", dump);
		FILE *out = fopen(p, "w");
		snprintf(p, sizeof p, "%s/cases", dump);
		cases_f = fopen(p, "w");
		if (!out || !cases_f) {
			fprintf(stderr, "bench_dkim: cannot write into %s\n", dump);
			return 1;
		}
		bench_zone_txt(out, "rsa._domainkey.example.org", keys[0].record);
		bench_zone_txt(out, "ed._domainkey.example.org", keys[1].record);
		fclose(out);
	}
	unlink(zpath);
	if (!r) {
		fprintf(stderr, "bench_dkim: resolver: %s\n", err);
		return 1;
	}
	struct dkim_key_cache *cache = dkim_key_cache_new();

	if (!dump && !quiet) {
		printf("Rates per CPU second; floor = OpenSSL EVP alone (body SHA-256 once per\n"
		       "distinct body hash, header hash + verify per signature); ratio = median\n"
		       "of %d alternating rounds (lowest-highest round beside it: the machine's\n"
		       "noise).  Key from the per-process cache unless noted.\n\n",
		       ROUNDS);
		printf("%-46s %10s %10s %6s %10s %7s\n", "case", "ours msg/s", "floor", "ratio",
		       "(rounds)", "us/msg");
	}
	double min32 = 1e9;
	int rc = 0;
	for (size_t k = 0; k < sizeof cases / sizeof cases[0] && rc == 0; k++) {
		const struct bcase *c = &cases[k];
		if ((only >= 0 && (size_t)only != k) || (dump && c->no_cache))
			continue;
		struct arena *ca = arena_new(0);
		struct slice body = corpus_message_style(ca, c->size, (uint32_t)k + 7, c->style);
		struct msg m;
		if (msg_parse(&m, ca, body) != MSG_OK) {
			fprintf(stderr, "bench_dkim: corpus message does not parse\n");
			return 1;
		}
		struct buf b;
		buf_init(&b, ca, c->size * 2 + 65536);
		size_t nsigs = 0;
		for (int ki = 0; ki < 2; ki++) {
			if (!(c->keys & (1 << ki)))
				continue;
			struct dkim_privkey pk;
			struct dkim_sign_opts o = { 0 };
			o.domain = slice_from_cstr("example.org");
			o.selector = slice_from_cstr(keys[ki].selector);
			o.hcanon = o.bcanon = c->canon;
			struct slice sig;
			if (dkim_privkey_load_pem(ca, slice_from_cstr(keys[ki].pem), &pk, NULL) ||
			    dkim_sign(ca, &pk, &m, &o, &sig, NULL)) {
				fprintf(stderr, "bench_dkim: cannot sign the corpus message\n");
				return 1;
			}
			buf_add_slice(&b, sig);
			buf_add_cstr(&b, "\r\n");
			nsigs++;
		}
		buf_add_slice(&b, body);
		struct slice text = buf_slice(&b);
		char name[96];
		snprintf(name, sizeof name, "%-15s %3zu KB %s%s",
		         c->keys == (K_RSA | K_ED) ? "rsa2048+ed25519"
		         : c->keys == K_RSA        ? "rsa2048"
		                                   : "ed25519",
		         c->size / 1024,
		         c->canon == DKIM_CANON_RELAXED ? "relaxed" : "simple ",
		         c->style == CORPUS_MIXED ? " mixed" : "");
		if (c->no_cache)
			snprintf(name + strlen(name), sizeof name - strlen(name), " no key cache");
		struct floor_msg fm = { 0 };
		const char *const sels[2] = { keys[0].selector, keys[1].selector };
		void *const pkeys[2] = { keys[0].pkey, keys[1].pkey };
		struct msg sm;
		if (msg_parse(&sm, ca, text) != MSG_OK || !floor_add_dkim(&fm, ca, &sm, sels, pkeys, 2) ||
		    fm.nsig != nsigs || floor_verify(&fm) != 0) {
			fprintf(stderr, "bench_dkim: %s: the floor does not verify the signature\n",
			        name);
			return 1;
		}
		struct ours_ctx oc = { r, c->no_cache ? NULL : cache, text, nsigs };
		if (dump) {
			/* The same corpus for another verifier: check it passes
			 * here first. */
			char p[4096];
			snprintf(p, sizeof p, "%s/%zu.eml", dump, k);
			FILE *out = fopen(p, "w");
			if (ours_verify(&oc) != 0 || !out ||
			    fwrite(text.ptr, 1, text.len, out) != text.len || fclose(out) != 0) {
				fprintf(stderr, "bench_dkim: %s: cannot dump\n", name);
				return 1;
			}
			fprintf(cases_f, "%zu.eml\t%zu\t%s\t%zu\t%s\t%s\n", k, nsigs,
			        c->keys == (K_RSA | K_ED) ? "rsa2048+ed25519"
			        : c->keys == K_RSA        ? "rsa2048"
			                                  : "ed25519",
			        c->size / 1024, c->canon == DKIM_CANON_RELAXED ? "relaxed" : "simple",
			        style_name(c->style));
			arena_free(ca);
			continue;
		}
		struct bench_side ours, fl;
		struct bench_ratio ratio;
		int e = bench_compare(ours_verify, &oc, floor_verify, &fm, secs, ROUNDS, &ours, &fl,
		                      &ratio);
		if (e) {
			fprintf(stderr, "bench_dkim: %s: %s\n", name,
			        e == 1 ? "verification did not pass" : "measurement failed");
			rc = 1;
		} else if (quiet) {
			printf("%.0f %.0f %.3f\n", bench_rate(&ours), bench_rate(&fl), ratio.median);
		} else {
			printf("%-46s %10.0f %10.0f %6.2f %5.2f-%4.2f %7.1f\n", name, bench_rate(&ours),
			       bench_rate(&fl), ratio.median, ratio.lo, ratio.hi,
			       1e6 / bench_rate(&ours));
			fflush(stdout);
			if (c->size == 32768 && !c->no_cache && ratio.median < min32)
				min32 = ratio.median;
		}
		arena_free(ca);
	}
	if (cases_f)
		fclose(cases_f);
	if (!dump && !quiet && rc == 0 && min32 < 1e9)
		printf("\n32 KB messages (key cached): lowest ratio %.3f; goal (issue 4) %.2f: %s\n",
		       min32, GOAL_RATIO, min32 >= GOAL_RATIO ? "met" : "NOT met");
	dkim_key_cache_free(cache);
	dns_resolver_free(r);
	for (int i = 0; i < 2; i++) {
		EVP_PKEY_free(keys[i].pkey);
		free(keys[i].pem);
		free(keys[i].record);
	}
	return rc;
}
