/* benchkey.c — see benchkey.h. */
#include "benchkey.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "arena.h"
#include "b64.h"

bool bench_key_make(struct bench_key *k)
{
	k->pkey = k->ed ? EVP_PKEY_Q_keygen(NULL, NULL, "ED25519")
	                : EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	if (!k->pkey)
		return false;
	BIO *b = BIO_new(BIO_s_mem());
	if (!b || PEM_write_bio_PrivateKey(b, k->pkey, NULL, NULL, 0, NULL, NULL) != 1)
		return false;
	char *data;
	long n = BIO_get_mem_data(b, &data);
	k->pem = malloc((size_t)n + 1);
	if (!k->pem)
		return false;
	memcpy(k->pem, data, (size_t)n);
	k->pem[n] = '\0';
	BIO_free(b);
	unsigned char raw[32], *der = NULL;
	const unsigned char *pub = raw;
	size_t publen = sizeof raw;
	if (k->ed) {
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
	if (!k->record)
		return false;
	snprintf(k->record, cap, "v=DKIM1; k=%s; p=%.*s", k->ed ? "ed25519" : "rsa", (int)e.len,
	         e.ptr);
	arena_free(a);
	OPENSSL_free(der);
	return true;
}

void bench_zone_txt(FILE *f, const char *name, const char *value)
{
	fprintf(f, "%s. TXT", name);
	size_t len = strlen(value);
	for (size_t off = 0; off < len; off += 250)
		fprintf(f, " \"%.*s\"", (int)(len - off < 250 ? len - off : 250), value + off);
	fprintf(f, "\n");
}
