/* bench_dkim — DKIM verifications per second on generated 4 KB, 32 KB and
 * 256 KB messages signed with rsa-sha256 (2048 bits) and ed25519-sha256,
 * next to the floor measured in the same run: one SHA-256 pass over the
 * same message bytes plus one signature verification with OpenSSL EVP
 * directly.  The ratio (ours / floor) is the figure of merit; the goal is
 * at least 0.7 on 32 KB.
 *
 * Each verification is what the module does per message: parse the
 * message, parse the signature, fetch the key through the DNS layer (the
 * real resolver answering from a zone file, so from memory), decode it (or
 * take it from the per-process key cache, as the glue keeps one), hash the
 * body in one pass, hash the headers, check the signature.
 * Usage: bench_dkim [SECONDS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "arena.h"
#include "b64.h"
#include "corpus.h"
#include "dkim.h"
#include "dns.h"
#include "floor.h"
#include "msg.h"

struct bench_key {
	const char *name, *selector;
	EVP_PKEY *pkey;
	char *pem;
	char *record;
};

static bool make_key(struct bench_key *k, bool ed)
{
	k->pkey = ed ? EVP_PKEY_Q_keygen(NULL, NULL, "ED25519")
	             : EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	if (!k->pkey)
		return false;
	BIO *b = BIO_new(BIO_s_mem());
	if (!b || PEM_write_bio_PrivateKey(b, k->pkey, NULL, NULL, 0, NULL, NULL) != 1)
		return false;
	char *data;
	long n = BIO_get_mem_data(b, &data);
	k->pem = malloc((size_t)n + 1);
	memcpy(k->pem, data, (size_t)n);
	k->pem[n] = '\0';
	BIO_free(b);
	unsigned char raw[32], *der = NULL;
	const unsigned char *pub = raw;
	size_t publen = sizeof raw;
	if (ed) {
		if (EVP_PKEY_get_raw_public_key(k->pkey, raw, &publen) != 1)
			return false;
	} else {
		int l = i2d_PUBKEY(k->pkey, &der);
		if (l <= 0)
			return false;
		pub = der;
		publen = (size_t)l;
	}
	struct arena *a = arena_new(0);
	struct slice e = b64_encode(a, pub, publen);
	size_t cap = e.len + 64;
	k->record = malloc(cap);
	snprintf(k->record, cap, "v=DKIM1; k=%s; p=%.*s", ed ? "ed25519" : "rsa", (int)e.len,
	         e.ptr);
	arena_free(a);
	OPENSSL_free(der);
	return true;
}

/* The zone file line for a record: TXT strings of at most 255 bytes. */
static void zone_line(FILE *f, const char *name, const char *value)
{
	fprintf(f, "%s. TXT", name);
	size_t len = strlen(value);
	for (size_t off = 0; off < len; off += 250)
		fprintf(f, " \"%.*s\"", (int)(len - off < 250 ? len - off : 250), value + off);
	fprintf(f, "\n");
}

/* Operations per second of one EVP verification (the public-key part of
 * the floor), over a real signature of a 32-byte digest. */
static double verify_rate(EVP_PKEY *k, bool ed, double secs)
{
	unsigned char md[32];
	memset(md, 0x5a, sizeof md);
	unsigned char sig[512];
	size_t siglen = sizeof sig;
	if (ed) {
		EVP_MD_CTX *m = EVP_MD_CTX_new();
		EVP_DigestSignInit(m, NULL, NULL, NULL, k);
		EVP_DigestSign(m, sig, &siglen, md, sizeof md);
		EVP_MD_CTX_free(m);
	} else {
		EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(k, NULL);
		EVP_PKEY_sign_init(c);
		EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PADDING);
		EVP_PKEY_CTX_set_signature_md(c, EVP_sha256());
		EVP_PKEY_sign(c, sig, &siglen, md, sizeof md);
		EVP_PKEY_CTX_free(c);
	}
	unsigned long n = 0;
	double t0 = bench_now(), t;
	do {
		for (int i = 0; i < 16; i++) {
			int ok;
			if (ed) {
				EVP_MD_CTX *m = EVP_MD_CTX_new();
				EVP_DigestVerifyInit(m, NULL, NULL, NULL, k);
				ok = EVP_DigestVerify(m, sig, siglen, md, sizeof md);
				EVP_MD_CTX_free(m);
			} else {
				EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(k, NULL);
				EVP_PKEY_verify_init(c);
				EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PADDING);
				EVP_PKEY_CTX_set_signature_md(c, EVP_sha256());
				ok = EVP_PKEY_verify(c, sig, siglen, md, sizeof md);
				EVP_PKEY_CTX_free(c);
			}
			if (ok != 1) {
				fprintf(stderr, "bench_dkim: floor verification failed\n");
				exit(1);
			}
			n++;
		}
		t = bench_now();
	} while (t - t0 < secs);
	return (double)n / (t - t0);
}

/* Verifications per second of one message (every one must pass); -1 when
 * one does not. */
static double verify_rate_msgs(struct dns_resolver *r, struct dkim_key_cache *cache,
                               struct slice text, double secs)
{
	unsigned long n = 0;
	double t0 = bench_now(), t;
	do {
		for (int i = 0; i < 8; i++) {
			struct arena *a = arena_new(0);
			struct msg vm;
			struct dkim_verify_opts vo = { 0 };
			vo.now = 1700000000;
			vo.cache = cache;
			struct dkim_verify_result res;
			if (msg_parse(&vm, a, text) != MSG_OK ||
			    dkim_verify(a, r, &vm, &vo, &res) != DKIM_OK || res.nsigs != 1 ||
			    res.sigs[0].result != DKIM_PASS) {
				fprintf(stderr, "bench_dkim: verification did not pass\n");
				arena_free(a);
				return -1;
			}
			arena_free(a);
			n++;
		}
		t = bench_now();
	} while (t - t0 < secs);
	return (double)n / (t - t0);
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 1.0;
	if (secs <= 0)
		secs = 1.0;
	struct bench_key keys[2] = { { "rsa-sha256 2048", "rsa", NULL, NULL, NULL },
		                     { "ed25519-sha256", "ed", NULL, NULL, NULL } };
	for (int i = 0; i < 2; i++) {
		if (!make_key(&keys[i], i == 1)) {
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
	zone_line(zf, "rsa._domainkey.example.com", keys[0].record);
	zone_line(zf, "ed._domainkey.example.com", keys[1].record);
	fclose(zf);
	char spec[256], err[256];
	snprintf(spec, sizeof spec, "zone:%s", zpath);
	struct dns_resolver *r = dns_resolver_new(spec, err, sizeof err);
	unlink(zpath);
	if (!r) {
		fprintf(stderr, "bench_dkim: resolver: %s\n", err);
		return 1;
	}
	struct dkim_key_cache *cache = dkim_key_cache_new();

	static const size_t sizes[] = { 4096, 32768, 262144 };
	printf("%-28s %12s %12s %8s\n", "case (c=relaxed/relaxed)", "verify msg/s", "floor msg/s",
	       "ratio");
	for (int k = 0; k < 2; k++) {
		double vrate = verify_rate(keys[k].pkey, k == 1, secs / 2);
		for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
			struct arena *ca = arena_new(0);
			struct slice body = corpus_message(ca, sizes[s], (uint32_t)s + 7);
			struct msg m;
			struct dkim_privkey pk;
			struct dkim_sign_opts o = { 0 };
			o.domain = slice_from_cstr("example.com");
			o.selector = slice_from_cstr(keys[k].selector);
			o.hcanon = o.bcanon = DKIM_CANON_RELAXED;
			struct slice sig;
			if (msg_parse(&m, ca, body) != MSG_OK ||
			    dkim_privkey_load_pem(ca, slice_from_cstr(keys[k].pem), &pk, NULL) ||
			    dkim_sign(ca, &pk, &m, &o, &sig, NULL)) {
				fprintf(stderr, "bench_dkim: cannot sign the corpus message\n");
				return 1;
			}
			struct buf b;
			buf_init(&b, ca, sizes[s] * 2 + 65536);
			buf_add_slice(&b, sig);
			buf_add_cstr(&b, "\r\n");
			buf_add_slice(&b, body);
			struct slice text = buf_slice(&b);

			double ours = verify_rate_msgs(r, cache, text, secs);
			if (ours < 0)
				return 1;
			double sha = bench_sha256_rate(text.ptr, text.len, secs / 2);
			double floor = 1.0 / ((double)text.len / sha + 1.0 / vrate);
			char name[64];
			snprintf(name, sizeof name, "%s %zu KB", keys[k].name, sizes[s] / 1024);
			printf("%-28s %12.0f %12.0f %8.2f\n", name, ours, floor, ours / floor);
			if (sizes[s] == 32768) {
				/* The same without the key cache: a DNS round trip to
				 * the resolver per message, which the floor (DNS
				 * answered from cache) leaves out. */
				double cold = verify_rate_msgs(r, NULL, text, secs / 2);
				if (cold < 0)
					return 1;
				snprintf(name, sizeof name, "  (no key cache, DNS each)");
				printf("%-28s %12.0f %12.0f %8.2f\n", name, cold, floor, cold / floor);
			}
			arena_free(ca);
		}
	}
	dkim_key_cache_free(cache);
	dns_resolver_free(r);
	for (int i = 0; i < 2; i++) {
		EVP_PKEY_free(keys[i].pkey);
		free(keys[i].pem);
		free(keys[i].record);
	}
	return 0;
}
