/* dkim_key.c — DKIM key records (RFC 6376 3.6.1, RFC 8463 4) and the
 * per-process cache of decoded keys.
 *
 * A key record is a tag list in a TXT record at
 * <selector>._domainkey.<domain>.  Parsing validates the list, then reads
 * the tags we use; unknown tags and unknown values in h=, s= and t= are
 * ignored as 3.6.1 asks.  Slices point into the TXT data (arena); p= is
 * decoded into the arena.
 *
 * The cache belongs to whoever creates it (the glue, once per Exim process;
 * the CLI; a benchmark): entries are malloc'd and owned by the cache, and
 * a key handed out is up-referenced and released with the caller's arena,
 * so evicting an entry never pulls a key from under a running evaluation.
 */
#include "dkim.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "b64.h"
#include "mailauth_limits.h"
#include "tag.h"

static bool key_is_fws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static struct slice key_trim(struct slice s)
{
	while (s.len && key_is_fws(s.ptr[0])) {
		s.ptr++;
		s.len--;
	}
	while (s.len && key_is_fws(s.ptr[s.len - 1]))
		s.len--;
	return s;
}

/* True when the colon-separated list holds word (case-insensitive). */
static bool key_list_has(struct slice list, const char *word)
{
	const char *p = list.ptr, *end = list.ptr + list.len;
	for (;;) {
		const char *c = p;
		while (c < end && *c != ':')
			c++;
		if (slice_eq_cstr_ci(key_trim(slice_between(p, c)), word))
			return true;
		if (c >= end)
			return false;
		p = c + 1;
	}
}

enum dkim_reason dkim_key_record_parse(struct arena *a, struct slice txt,
                                       struct dkim_key_record *out, const char **detail)
{
	const char *dummy;
	if (!detail)
		detail = &dummy;
	*detail = "";
	memset(out, 0, sizeof *out);
	out->k = DKIM_KEY_RSA;
	out->h_sha256 = out->h_sha1 = true;
	out->s_email = true;

	struct tag_list tl;
	enum tag_status ts = tag_list_parse(a, txt, &tl, NULL);
	if (ts == TAG_E_NOMEM)
		return DKIM_R_INTERNAL;
	if (ts != TAG_OK) {
		*detail = "key record is not a valid tag list";
		return DKIM_R_PUBKEY_DNS_SYNTAX;
	}
	const struct tag *v = tag_list_get(&tl, "v");
	if (v) {
		/* 3.6.1 v=: "MUST be the first tag"; any other value means
		 * the record is not ours and is discarded. */
		if (&tl.tags[0] != v || !slice_eq(v->value, SLICE_LIT("DKIM1"))) {
			*detail = "key record v= is not DKIM1 (first)";
			return DKIM_R_PUBKEY_DNS_SYNTAX;
		}
	}
	const struct tag *k = tag_list_get(&tl, "k");
	if (k) {
		if (slice_eq_cstr_ci(k->value, "rsa")) {
			out->k = DKIM_KEY_RSA;
		} else if (slice_eq_cstr_ci(k->value, "ed25519")) {
			out->k = DKIM_KEY_ED25519;
		} else {
			*detail = "key record k= names an unknown key type";
			return DKIM_R_PUBKEY_DNS_SYNTAX;
		}
	}
	const struct tag *h = tag_list_get(&tl, "h");
	if (h) {
		out->h_sha256 = key_list_has(h->value, "sha256");
		out->h_sha1 = key_list_has(h->value, "sha1");
	}
	const struct tag *s = tag_list_get(&tl, "s");
	if (s)
		out->s_email = key_list_has(s->value, "*") || key_list_has(s->value, "email");
	const struct tag *t = tag_list_get(&tl, "t");
	if (t) {
		out->t_testing = key_list_has(t->value, "y");
		out->t_strict = key_list_has(t->value, "s");
	}
	const struct tag *p = tag_list_get(&tl, "p");
	if (!p) {
		*detail = "key record has no p=";
		return DKIM_R_PUBKEY_DNS_SYNTAX;
	}
	out->p_text = p->value;
	if (!out->p_text.ptr)
		out->p_text = slice_make("", 0);
	enum b64_status bs = b64_decode(a, out->p_text, &out->p);
	if (bs == B64_E_NOMEM)
		return DKIM_R_INTERNAL;
	if (bs != B64_OK) {
		*detail = "key record p= is not base64";
		return DKIM_R_PUBKEY_DNS_SYNTAX;
	}
	/* 3.6.1 p=: "An empty value means that this public key has been
	 * revoked." */
	out->revoked = out->p.len == 0;
	return DKIM_R_OK;
}

/* ------------------------------------------------------------- cache -- */

struct key_cache_entry {
	enum dkim_keytype type;
	char *text;          /* p= as written (malloc) */
	size_t len;
	EVP_PKEY *pkey;      /* one reference held by the cache */
	unsigned bits;
};

struct key_cache_record {
	char *qname;         /* malloc */
	size_t qlen;
	char *txt;           /* malloc */
	size_t tlen;
	uint64_t stored_ms;  /* dns_now_ms() when stored */
};

struct dkim_key_cache {
	struct key_cache_entry e[DKIM_KEY_CACHE_ENTRIES];
	size_t n;            /* entries in use */
	size_t next;         /* next slot to overwrite once full */
	struct key_cache_record r[DKIM_KEY_CACHE_ENTRIES];
	size_t nr, rnext;
};

struct dkim_key_cache *dkim_key_cache_new(void)
{
	return calloc(1, sizeof(struct dkim_key_cache));
}

static void key_cache_clear(struct key_cache_entry *e)
{
	free(e->text);
	EVP_PKEY_free(e->pkey);
	memset(e, 0, sizeof *e);
}

static void key_cache_clear_record(struct key_cache_record *r)
{
	free(r->qname);
	free(r->txt);
	memset(r, 0, sizeof *r);
}

void dkim_key_cache_free(struct dkim_key_cache *kc)
{
	if (!kc)
		return;
	for (size_t i = 0; i < kc->n; i++)
		key_cache_clear(&kc->e[i]);
	for (size_t i = 0; i < kc->nr; i++)
		key_cache_clear_record(&kc->r[i]);
	free(kc);
}

static struct key_cache_record *key_cache_find_record(struct dkim_key_cache *kc,
                                                      struct slice qname)
{
	for (size_t i = 0; i < kc->nr; i++) {
		struct key_cache_record *r = &kc->r[i];
		if (r->qlen == qname.len && slice_eq_ci(slice_make(r->qname, r->qlen), qname))
			return r;
	}
	return NULL;
}

bool dkim_key_cache_get_record(struct dkim_key_cache *kc, struct arena *a, struct slice qname,
                               uint64_t now_ms, struct slice *record)
{
	if (!kc)
		return false;
	struct key_cache_record *r = key_cache_find_record(kc, qname);
	if (!r || now_ms < r->stored_ms ||
	    now_ms - r->stored_ms >= (uint64_t)DKIM_KEY_CACHE_SECONDS * 1000)
		return false;
	*record = arena_slice_dup(a, slice_make(r->txt, r->tlen));
	return record->ptr != NULL;
}

void dkim_key_cache_put_record(struct dkim_key_cache *kc, struct slice qname,
                               struct slice record, uint64_t now_ms)
{
	if (!kc || !qname.len || qname.len > DKIM_KEY_CACHE_MAX_TEXT ||
	    record.len > DKIM_KEY_CACHE_MAX_TEXT)
		return;
	char *q = malloc(qname.len), *t = malloc(record.len ? record.len : 1);
	if (!q || !t) {
		free(q);
		free(t);
		return;
	}
	memcpy(q, qname.ptr, qname.len);
	if (record.len)
		memcpy(t, record.ptr, record.len);
	struct key_cache_record *r = key_cache_find_record(kc, qname);
	if (r) {
		key_cache_clear_record(r);
	} else if (kc->nr < DKIM_KEY_CACHE_ENTRIES) {
		r = &kc->r[kc->nr++];
	} else {
		r = &kc->r[kc->rnext];
		kc->rnext = (kc->rnext + 1) % DKIM_KEY_CACHE_ENTRIES;
		key_cache_clear_record(r);
	}
	r->qname = q;
	r->qlen = qname.len;
	r->txt = t;
	r->tlen = record.len;
	r->stored_ms = now_ms;
}

static void key_free_pkey(void *p)
{
	EVP_PKEY_free(p);
}

bool dkim_key_cache_get(struct dkim_key_cache *kc, struct arena *a, enum dkim_keytype type,
                        struct slice p_text, struct dkim_pubkey *out)
{
	if (!kc)
		return false;
	for (size_t i = 0; i < kc->n; i++) {
		struct key_cache_entry *e = &kc->e[i];
		if (e->type != type || e->len != p_text.len || memcmp(e->text, p_text.ptr, e->len))
			continue;
		if (EVP_PKEY_up_ref(e->pkey) != 1)
			return false;
		if (!arena_defer(a, key_free_pkey, e->pkey))
			return false;
		out->type = type;
		out->pkey = e->pkey;
		out->bits = e->bits;
		return true;
	}
	return false;
}

void dkim_key_cache_put(struct dkim_key_cache *kc, struct slice p_text,
                        const struct dkim_pubkey *k)
{
	if (!kc || !k->pkey || p_text.len == 0 || p_text.len > DKIM_KEY_CACHE_MAX_TEXT)
		return;
	char *text = malloc(p_text.len);
	if (!text)
		return;
	if (EVP_PKEY_up_ref(k->pkey) != 1) {
		free(text);
		return;
	}
	memcpy(text, p_text.ptr, p_text.len);
	struct key_cache_entry *e;
	if (kc->n < DKIM_KEY_CACHE_ENTRIES) {
		e = &kc->e[kc->n++];
	} else {
		e = &kc->e[kc->next];
		kc->next = (kc->next + 1) % DKIM_KEY_CACHE_ENTRIES;
		key_cache_clear(e);
	}
	e->type = k->type;
	e->text = text;
	e->len = p_text.len;
	e->pkey = k->pkey;
	e->bits = k->bits;
}
