/* dkim_crypto.c — DKIM public-key operations over OpenSSL 3 EVP: decoding
 * keys from key records (RFC 6376 3.6.1, RFC 8463 4), loading signing keys,
 * signing and verifying header-hash digests (RFC 6376 3.3, RFC 8301,
 * RFC 8463 3), and the sign/verify-a-header-set steps shared with ARC.
 *
 * Every EVP object made here is registered with the caller's arena (or
 * freed before returning); nothing is kept between calls.  OpenSSL's error
 * queue is cleared after expected failures (bad keys, bad signatures are
 * input, not faults), so one message's garbage never shows up in another's
 * diagnostics.
 */
#include "dkim.h"

#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "b64.h"
#include "mailauth_limits.h"

static void crypto_free_pkey(void *p)
{
	EVP_PKEY_free(p);
}

static void crypto_free_pkey_ctx(void *p)
{
	EVP_PKEY_CTX_free(p);
}

static void crypto_free_md_ctx(void *p)
{
	EVP_MD_CTX_free(p);
}

static const EVP_MD *crypto_md(enum dkim_hash h)
{
	return h == DKIM_HASH_SHA1 ? EVP_sha1() : EVP_sha256();
}

/* Try one DER form; the whole input must be consumed, so trailing bytes
 * cannot hide behind a valid prefix. */
static EVP_PKEY *crypto_try_spki(struct slice der)
{
	const unsigned char *p = (const unsigned char *)der.ptr;
	EVP_PKEY *k = d2i_PUBKEY(NULL, &p, (long)der.len);
	if (k && p != (const unsigned char *)der.ptr + der.len) {
		EVP_PKEY_free(k);
		k = NULL;
	}
	return k;
}

static EVP_PKEY *crypto_try_pkcs1(struct slice der)
{
	const unsigned char *p = (const unsigned char *)der.ptr;
	EVP_PKEY *k = d2i_PublicKey(EVP_PKEY_RSA, NULL, &p, (long)der.len);
	if (k && p != (const unsigned char *)der.ptr + der.len) {
		EVP_PKEY_free(k);
		k = NULL;
	}
	return k;
}

enum dkim_reason dkim_pubkey_decode(struct arena *a, enum dkim_keytype type, struct slice der,
                                    struct dkim_pubkey *out)
{
	memset(out, 0, sizeof *out);
	out->type = type;
	if (type == DKIM_KEY_ED25519) {
		/* RFC 8463 4: p= is the bare 32-byte public key, not wrapped
		 * in SubjectPublicKeyInfo. */
		if (der.len != 32)
			return DKIM_R_PUBKEY_DER_SYNTAX;
		EVP_PKEY *k = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL,
		                                          (const unsigned char *)der.ptr, 32);
		if (!k) {
			ERR_clear_error();
			return DKIM_R_PUBKEY_DER_SYNTAX;
		}
		if (!arena_defer(a, crypto_free_pkey, k))
			return DKIM_R_INTERNAL;
		out->pkey = k;
		out->bits = 256;
		return DKIM_R_OK;
	}
	/* Refuse oversized keys before parsing them: decoding is cheap, but a
	 * key we never parse can never be used. */
	if (der.len > DKIM_MAX_KEY_DER_BYTES) {
		out->bits = (unsigned)(der.len > UINT32_MAX / 8 ? UINT32_MAX : der.len * 8);
		return DKIM_R_PUBKEY_TOO_LONG;
	}
	EVP_PKEY *k = crypto_try_spki(der);
	if (k && EVP_PKEY_get_base_id(k) != EVP_PKEY_RSA) {
		/* k=rsa names rsaEncryption; an EC or Ed25519 SPKI is not it. */
		EVP_PKEY_free(k);
		ERR_clear_error();
		return DKIM_R_PUBKEY_DER_SYNTAX;
	}
	if (!k)
		k = crypto_try_pkcs1(der);
	ERR_clear_error();
	if (!k)
		return DKIM_R_PUBKEY_DER_SYNTAX;
	if (!arena_defer(a, crypto_free_pkey, k))
		return DKIM_R_INTERNAL;
	int bits = EVP_PKEY_get_bits(k);
	out->bits = bits > 0 ? (unsigned)bits : 0;
	if (bits <= 0)
		return DKIM_R_PUBKEY_DER_SYNTAX;
	if (bits > DKIM_MAX_RSA_BITS)
		return DKIM_R_PUBKEY_TOO_LONG;
	if (bits < DKIM_MIN_RSA_BITS)
		return DKIM_R_PUBKEY_TOO_SHORT;
	/* The modulus bounds the size, not the cost: a verification costs about
	 * (exponent bits) modular multiplications, so a short key with a huge
	 * exponent is slower than the largest key we accept. */
	BIGNUM *e = NULL;
	if (EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_E, &e) != 1 || !e) {
		ERR_clear_error();
		return DKIM_R_PUBKEY_DER_SYNTAX;
	}
	int ebits = BN_num_bits(e);
	BN_free(e);
	if (ebits > DKIM_MAX_RSA_EXPONENT_BITS)
		return DKIM_R_PUBKEY_TOO_LONG;
	out->pkey = k;
	return DKIM_R_OK;
}

int dkim_privkey_load_pem(struct arena *a, struct slice pem, struct dkim_privkey *out,
                          const char **detail)
{
	const char *dummy;
	if (!detail)
		detail = &dummy;
	*detail = "";
	memset(out, 0, sizeof *out);
	if (pem.len > INT32_MAX) {
		*detail = "key file too large";
		return DKIM_ERR_ARG;
	}
	EVP_PKEY *k = NULL;
	BIO *bio = BIO_new_mem_buf(pem.ptr, (int)pem.len);
	if (!bio)
		return DKIM_ERR_NOMEM;
	k = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (!k) {
		/* dkimpy keeps Ed25519 keys as the base64 of the 32-byte
		 * seed (RFC 8032 5.1.5); accept that too. */
		struct slice seed;
		if (b64_decode(a, pem, &seed) == B64_OK && seed.len == 32)
			k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL,
			                                 (const unsigned char *)seed.ptr, 32);
	}
	ERR_clear_error();
	if (!k) {
		*detail = "not a PEM private key (nor a base64 Ed25519 seed)";
		return DKIM_ERR_ARG;
	}
	if (!arena_defer(a, crypto_free_pkey, k))
		return DKIM_ERR_NOMEM;
	int id = EVP_PKEY_get_base_id(k);
	if (id == EVP_PKEY_RSA) {
		out->type = DKIM_KEY_RSA;
	} else if (id == EVP_PKEY_ED25519) {
		out->type = DKIM_KEY_ED25519;
	} else {
		*detail = "key is neither RSA nor Ed25519";
		return DKIM_ERR_ARG;
	}
	int bits = EVP_PKEY_get_bits(k);
	out->bits = bits > 0 ? (unsigned)bits : 0;
	out->pkey = k;
	return DKIM_OK;
}

int dkim_verify_digest(const struct dkim_pubkey *k, enum dkim_hash h, const unsigned char *md,
                       size_t mdlen, struct slice sig)
{
	int rc;
	if (!k->pkey)
		return DKIM_ERR_ARG;
	if (k->type == DKIM_KEY_ED25519) {
		/* RFC 8463 3: PureEdDSA over the SHA-256 digest bytes. */
		EVP_MD_CTX *m = EVP_MD_CTX_new();
		if (!m)
			return DKIM_ERR_NOMEM;
		rc = EVP_DigestVerifyInit(m, NULL, NULL, NULL, k->pkey);
		if (rc == 1)
			rc = EVP_DigestVerify(m, (const unsigned char *)sig.ptr, sig.len, md, mdlen);
		EVP_MD_CTX_free(m);
	} else {
		EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(k->pkey, NULL);
		if (!c)
			return DKIM_ERR_NOMEM;
		rc = EVP_PKEY_verify_init(c);
		if (rc == 1)
			rc = EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PADDING);
		if (rc == 1)
			rc = EVP_PKEY_CTX_set_signature_md(c, crypto_md(h));
		if (rc == 1)
			rc = EVP_PKEY_verify(c, (const unsigned char *)sig.ptr, sig.len, md, mdlen);
		EVP_PKEY_CTX_free(c);
	}
	ERR_clear_error();
	/* A signature of the wrong length or out of range is an invalid
	 * signature, not a fault: anything but 1 is "does not verify". */
	return rc == 1 ? 1 : 0;
}

int dkim_sign_digest(struct arena *a, const struct dkim_privkey *k, enum dkim_hash h,
                     const unsigned char *md, size_t mdlen, struct slice *sig)
{
	*sig = SLICE_NULL;
	if (!k->pkey)
		return DKIM_ERR_ARG;
	size_t len = 0;
	unsigned char *p;
	if (k->type == DKIM_KEY_ED25519) {
		EVP_MD_CTX *m = EVP_MD_CTX_new();
		if (!m || !arena_defer(a, crypto_free_md_ctx, m))
			return DKIM_ERR_NOMEM;
		if (EVP_DigestSignInit(m, NULL, NULL, NULL, k->pkey) != 1 ||
		    EVP_DigestSign(m, NULL, &len, md, mdlen) != 1)
			goto fail;
		if (!(p = arena_alloc(a, len)))
			return DKIM_ERR_NOMEM;
		if (EVP_DigestSign(m, p, &len, md, mdlen) != 1)
			goto fail;
	} else {
		EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(k->pkey, NULL);
		if (!c || !arena_defer(a, crypto_free_pkey_ctx, c))
			return DKIM_ERR_NOMEM;
		if (EVP_PKEY_sign_init(c) != 1 ||
		    EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PADDING) != 1 ||
		    EVP_PKEY_CTX_set_signature_md(c, crypto_md(h)) != 1 ||
		    EVP_PKEY_sign(c, NULL, &len, md, mdlen) != 1)
			goto fail;
		if (!(p = arena_alloc(a, len)))
			return DKIM_ERR_NOMEM;
		if (EVP_PKEY_sign(c, p, &len, md, mdlen) != 1)
			goto fail;
	}
	*sig = slice_make((const char *)p, len);
	return DKIM_OK;
fail:
	ERR_clear_error();
	return DKIM_ERR_CRYPTO;
}

int dkim_sign_header_set(struct arena *a, const struct dkim_privkey *k, enum dkim_canon c,
                         const struct msg_header *const *fields, size_t n,
                         const struct msg_header *sig_no_b, struct slice *b64)
{
	unsigned char md[DKIM_MAX_DIGEST];
	*b64 = SLICE_NULL;
	int rc = dkim_header_hash(a, DKIM_HASH_SHA256, c, fields, n, sig_no_b, md);
	if (rc)
		return rc;
	struct slice sig;
	rc = dkim_sign_digest(a, k, DKIM_HASH_SHA256, md, dkim_hash_len(DKIM_HASH_SHA256), &sig);
	if (rc)
		return rc;
	*b64 = b64_encode(a, sig.ptr, sig.len);
	return b64->ptr ? DKIM_OK : DKIM_ERR_NOMEM;
}

int dkim_verify_header_set(struct arena *a, const struct dkim_pubkey *k, enum dkim_hash h,
                           enum dkim_canon c, const struct msg_header *const *fields,
                           size_t n, const struct msg_header *sig_no_b, struct slice sig)
{
	unsigned char md[DKIM_MAX_DIGEST];
	int rc = dkim_header_hash(a, h, c, fields, n, sig_no_b, md);
	if (rc)
		return rc;
	return dkim_verify_digest(k, h, md, dkim_hash_len(h), sig);
}
