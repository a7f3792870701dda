/* fuzz_dkim_key.c — fuzz target for DKIM key records (dkim_key_record_parse
 * in shared/dkim.h, RFC 6376 3.6.1) and the decoding of the key they carry
 * (dkim_pubkey_decode: DER SubjectPublicKeyInfo or PKCS#1 for RSA, 32 raw
 * bytes for Ed25519; RFC 8301, RFC 8463) with the per-process key cache.
 * The input is one TXT record's text.
 *
 * Properties checked (from dkim.h): the parser answers OK,
 * PUBKEY_DNS_SYNTAX or INTERNAL with a detail; revoked exactly when p= is
 * empty; a decoded key has a key object and, for RSA, a size within
 * DKIM_MIN_RSA_BITS..DKIM_MAX_RSA_BITS; refusals are the documented
 * reasons; a cached key comes back with the same type and size; every
 * OpenSSL object dies with the arena or the cache (LeakSanitizer).
 * Corpus: tests/fuzz/corpus/dkim_key.  Ownership: tests/fuzz (fuzz harness).
 */
#include "dkim.h"
#include "fuzzutil.h"
#include "mailauth_limits.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena *a = arena_new(0);
	if (!a)
		return 0;
	struct slice in = fuzz_input(data, size);
	struct dkim_key_record k;
	const char *detail = NULL;
	enum dkim_reason r = dkim_key_record_parse(a, in, &k, &detail);
	FUZZ_CHECK(r == DKIM_R_OK || r == DKIM_R_PUBKEY_DNS_SYNTAX || r == DKIM_R_INTERNAL);
	if (r != DKIM_R_OK && detail)
		fuzz_touch(slice_from_cstr(detail));
	FUZZ_CHECK(dkim_key_record_parse(a, in, &k, NULL) == r || r == DKIM_R_INTERNAL);
	if (r != DKIM_R_OK) {
		arena_free(a);
		return 0;
	}
	FUZZ_CHECK(k.revoked == (k.p.len == 0));
	FUZZ_CHECK(fuzz_within(k.p_text, data, size));
	FUZZ_CHECK(k.k == DKIM_KEY_RSA || k.k == DKIM_KEY_ED25519);
	fuzz_touch(k.p);
	if (k.revoked) {
		arena_free(a);
		return 0;
	}
	struct dkim_pubkey pk;
	enum dkim_reason d = dkim_pubkey_decode(a, k.k, k.p, &pk);
	FUZZ_CHECK(d == DKIM_R_OK || d == DKIM_R_PUBKEY_DER_SYNTAX || d == DKIM_R_PUBKEY_TOO_SHORT ||
	           d == DKIM_R_PUBKEY_TOO_LONG || d == DKIM_R_INTERNAL);
	if (d == DKIM_R_OK) {
		FUZZ_CHECK(pk.pkey != NULL && pk.type == k.k);
		if (pk.type == DKIM_KEY_RSA)
			FUZZ_CHECK(pk.bits >= DKIM_MIN_RSA_BITS && pk.bits <= DKIM_MAX_RSA_BITS);
		struct dkim_key_cache *kc = dkim_key_cache_new();
		if (kc) {
			dkim_key_cache_put(kc, k.p_text, &pk);
			struct dkim_pubkey back;
			if (dkim_key_cache_get(kc, a, k.k, k.p_text, &back))
				FUZZ_CHECK(back.type == pk.type && back.bits == pk.bits && back.pkey);
			dkim_key_cache_free(kc);
		}
	} else if (d == DKIM_R_PUBKEY_TOO_SHORT) {
		FUZZ_CHECK(pk.bits < DKIM_MIN_RSA_BITS);
	}
	arena_free(a);
	return 0;
}
