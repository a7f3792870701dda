/* benchkey.h — signing keys and zone-file lines for the benchmarks (the
 * DKIM and the full-evaluation benchmarks both sign their corpus with keys
 * made at start and publish them in a zone file).  Ownership: tests/bench.
 */
#ifndef MAILAUTH_BENCHKEY_H
#define MAILAUTH_BENCHKEY_H

#include <stdbool.h>
#include <stdio.h>

#include <openssl/evp.h>

struct bench_key {
	const char *selector, *domain;
	bool ed;         /* Ed25519; otherwise RSA-2048 */
	EVP_PKEY *pkey;  /* filled by bench_key_make() */
	char *pem;       /* the private key, PEM (malloc) */
	char *record;    /* "v=DKIM1; k=...; p=..." (malloc) */
};

/* Make k's key (k->ed says which kind), its PEM and its key record.
 * False when OpenSSL or memory fails. */
bool bench_key_make(struct bench_key *k);

/* One zone-file line "NAME. TXT ..." with value cut into strings of at
 * most 250 bytes (a TXT string holds 255). */
void bench_zone_txt(FILE *f, const char *name, const char *value);

#endif
