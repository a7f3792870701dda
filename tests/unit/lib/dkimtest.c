/* dkimtest.c — see dkimtest.h. */
#include "dkimtest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "testutil.h"

static void zone_add(struct dkimtest_zone *z, const char *p, size_t n)
{
	if (z->len + n + 1 > z->cap) {
		z->cap = (z->len + n + 1) * 2 + 256;
		z->text = realloc(z->text, z->cap);
		if (!z->text) {
			fprintf(stderr, "dkimtest: out of memory\n");
			abort();
		}
	}
	memcpy(z->text + z->len, p, n);
	z->len += n;
	z->text[z->len] = '\0';
}

static void zone_adds(struct dkimtest_zone *z, const char *s)
{
	zone_add(z, s, strlen(s));
}

static void zone_name(struct dkimtest_zone *z, const char *name)
{
	size_t n = strlen(name);
	zone_add(z, name, n);
	if (!n || name[n - 1] != '.')
		zone_adds(z, ".");
}

void dkimtest_zone_txt(struct dkimtest_zone *z, const char *name, const char *value, size_t len)
{
	zone_name(z, name);
	zone_adds(z, " TXT");
	size_t off = 0;
	do {
		size_t take = len - off > 255 ? 255 : len - off;
		zone_adds(z, " \"");
		for (size_t i = 0; i < take; i++) {
			unsigned char c = (unsigned char)value[off + i];
			char esc[8];
			if (c == '"' || c == '\\') {
				esc[0] = '\\';
				esc[1] = (char)c;
				zone_add(z, esc, 2);
			} else if (c < 0x20 || c >= 0x7f) {
				snprintf(esc, sizeof esc, "\\%03u", c);
				zone_adds(z, esc);
			} else {
				zone_add(z, (const char *)&c, 1);
			}
		}
		zone_adds(z, "\"");
		off += take;
	} while (off < len);
	zone_adds(z, "\n");
}

void dkimtest_zone_timeout(struct dkimtest_zone *z, const char *name)
{
	zone_name(z, name);
	zone_adds(z, " TIMEOUT\n");
}

struct dns_resolver *dkimtest_resolver(const struct dkimtest_zone *z)
{
	const char *text = z->text ? z->text : "";
	char *path = testutil_write_temp(text, strlen(text), ".zone");
	if (!path) {
		fprintf(stderr, "dkimtest: cannot write a zone file\n");
		return NULL;
	}
	char spec[4200], err[512];
	snprintf(spec, sizeof spec, "zone:%s", path);
	struct dns_resolver *r = dns_resolver_new(spec, err, sizeof err);
	if (!r)
		fprintf(stderr, "dkimtest: resolver: %s\n", err);
	unlink(path);
	free(path);
	return r;
}

void dkimtest_zone_free(struct dkimtest_zone *z)
{
	free(z->text);
	memset(z, 0, sizeof *z);
}

char *dkimtest_crlf(const char *p, size_t len, size_t *outlen)
{
	char *o = malloc(len * 2 + 1);
	if (!o)
		return NULL;
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		if (p[i] == '\n' && (i == 0 || p[i - 1] != '\r'))
			o[n++] = '\r';
		o[n++] = p[i];
	}
	o[n] = '\0';
	*outlen = n;
	return o;
}

bool dkimtest_genkey(const char *type, int bits, char **pem, char **record)
{
	*pem = *record = NULL;
	bool ed = strcmp(type, "ed25519") == 0;
	EVP_PKEY *k = ed ? EVP_PKEY_Q_keygen(NULL, NULL, "ED25519")
	                 : EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits);
	if (!k)
		return false;
	bool ok = false;
	BIO *b = BIO_new(BIO_s_mem());
	unsigned char *der = NULL;
	if (!b || PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL) != 1)
		goto out;
	char *data;
	long dl = BIO_get_mem_data(b, &data);
	*pem = malloc((size_t)dl + 1);
	memcpy(*pem, data, (size_t)dl);
	(*pem)[dl] = '\0';
	unsigned char raw[32];
	size_t rawlen = sizeof raw;
	const unsigned char *pub;
	size_t publen;
	if (ed) {
		if (EVP_PKEY_get_raw_public_key(k, raw, &rawlen) != 1)
			goto out;
		pub = raw;
		publen = rawlen;
	} else {
		int n = i2d_PUBKEY(k, &der);
		if (n <= 0)
			goto out;
		pub = der;
		publen = (size_t)n;
	}
	/* Encoded here rather than with b64_encode(), so a bug there cannot
	 * hide itself by producing matching records. */
	static const char al[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t cap = (publen + 2) / 3 * 4 + 64;
	char *rec = malloc(cap);
	int off = snprintf(rec, cap, "v=DKIM1; k=%s; p=", ed ? "ed25519" : "rsa");
	size_t o = (size_t)off;
	for (size_t i = 0; i < publen; i += 3) {
		unsigned v = (unsigned)pub[i] << 16;
		if (i + 1 < publen)
			v |= (unsigned)pub[i + 1] << 8;
		if (i + 2 < publen)
			v |= pub[i + 2];
		rec[o++] = al[v >> 18];
		rec[o++] = al[(v >> 12) & 63];
		rec[o++] = i + 1 < publen ? al[(v >> 6) & 63] : '=';
		rec[o++] = i + 2 < publen ? al[v & 63] : '=';
	}
	rec[o] = '\0';
	*record = rec;
	ok = true;
out:
	OPENSSL_free(der);
	BIO_free(b);
	EVP_PKEY_free(k);
	if (!ok) {
		free(*pem);
		*pem = NULL;
	}
	return ok;
}
