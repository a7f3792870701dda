/* arc_verify.c — validating an Authenticated Received Chain (RFC 8617 5.2
 * steps 4-7) and reporting it (Exim's arc_* fields, RFC 8617 10.1's
 * Authentication-Results method "arc").
 *
 * Order of work, cheapest refusal first: the chain's structure and tags
 * (arc_chain.c) decide before anything is asked of DNS; then every key of
 * every AMS and AS goes into one DNS batch while the body is hashed; then
 * the latest AMS (step 4), every AS from N down to 1 (step 6) and, for a
 * passing chain only, the older AMSs from N-1 down to the first that fails
 * (step 5, oldest-pass).  Steps 5 and 6 are swapped because step 5 never
 * changes the verdict: a chain that fails at a seal skips the optional
 * work.  Public-key operations are counted against ARC_MAX_VERIFY and
 * hashed header bytes against ARC_MAX_HASH_BYTES.
 *
 * Hashing and key operations are DKIM's (dkim.h); each header hash runs in
 * a scratch arena freed right after, so memory does not grow with the
 * number of seals.  The verifier and the result live in the caller's arena.
 */
#include "arc.h"

#include <string.h>
#include <time.h>

#include "mailauth_limits.h"

const char *arc_state_str(enum arc_state s)
{
	switch (s) {
	case ARC_PASS:
		return "pass";
	case ARC_FAIL:
		return "fail";
	case ARC_NONE:
	default:
		return "none";
	}
}

/* One key record name and what became of it. */
struct ver_key {
	struct slice name;
	struct dns_answer *ans;        /* NULL: could not be queued */
	bool tried;                    /* decoding done for type */
	enum dkim_keytype type;
	bool ok;
	struct dkim_pubkey key;
	const char *why;
};

struct ver_bodyhash {
	enum dkim_canon canon;
	bool limited;
	uint64_t l;
};

struct arc_verifier {
	struct arena *a;
	const struct msg *m;
	struct arc_verify_opts o;
	struct arc_chain chain;
	struct dkim_body *body;
	bool body_done;
	struct ver_bodyhash bh[ARC_MAX_BODY_HASHES];
	size_t nbh;
	/* per instance (index = instance - 1) */
	size_t ams_slot[ARC_MAX_INSTANCES];
	bool ams_has_slot[ARC_MAX_INSTANCES];
	bool ams_body_limit[ARC_MAX_INSTANCES];
	struct ver_key *ams_key[ARC_MAX_INSTANCES];
	struct ver_key *as_key[ARC_MAX_INSTANCES];
	struct ver_key *keys;
	size_t nkeys;
	struct dns_batch *batch;
	bool own_batch;
	bool have_resolver;
	/* counters */
	size_t nverified;
	uint64_t hashed;
	bool limit_hit;
	bool dns_temp;
	bool nomem;
};

/* The key slot for a name, queued once however many signatures use it. */
static struct ver_key *ver_key_for(struct arc_verifier *v, struct slice name)
{
	for (size_t i = 0; i < v->nkeys; i++)
		if (slice_eq(v->keys[i].name, name))
			return &v->keys[i];
	struct ver_key *k = &v->keys[v->nkeys++];
	memset(k, 0, sizeof *k);
	k->name = name;
	k->why = "";
	if (v->batch)
		k->ans = dns_batch_add(v->batch, DNS_T_TXT, name);
	return k;
}

/* Ask for the body hash an AMS needs (at most ARC_MAX_BODY_HASHES distinct). */
static int ver_want_body(struct arc_verifier *v, unsigned inst, const struct arc_sig *s)
{
	size_t k = inst - 1;
	bool known = false;
	for (size_t i = 0; i < v->nbh; i++) {
		const struct ver_bodyhash *b = &v->bh[i];
		if (b->canon == s->bcanon && b->limited == s->have_l && (!b->limited || b->l == s->l))
			known = true;
	}
	if (!known) {
		if (v->nbh >= ARC_MAX_BODY_HASHES) {
			v->ams_body_limit[k] = true;
			return ARC_OK;
		}
		v->bh[v->nbh++] = (struct ver_bodyhash){ s->bcanon, s->have_l, s->l };
	}
	if (!v->body && !(v->body = dkim_body_new(v->a)))
		return ARC_ERR_NOMEM;
	int rc = dkim_body_want(v->body, s->bcanon, DKIM_HASH_SHA256, s->have_l, s->l,
	                        &v->ams_slot[k]);
	if (rc == DKIM_ERR_NOMEM)
		return ARC_ERR_NOMEM;
	v->ams_has_slot[k] = rc == DKIM_OK;
	return ARC_OK;
}

struct arc_verifier *arc_verifier_new(struct arena *a, struct dns_resolver *r,
                                      const struct msg *m, const struct arc_verify_opts *opts)
{
	struct arc_verifier *v = arena_zalloc(a, sizeof *v);
	if (!v)
		return NULL;
	v->a = a;
	v->m = m;
	if (opts)
		v->o = *opts;
	if (!v->o.now)
		v->o.now = (uint64_t)time(NULL);
	if (!v->o.deadline_ms)
		v->o.deadline_ms = dns_now_ms() + DNS_DEFAULT_BUDGET_MS;
	if (!v->o.max_verify)
		v->o.max_verify = ARC_MAX_VERIFY;
	if (!v->o.max_hash_bytes)
		v->o.max_hash_bytes = ARC_MAX_HASH_BYTES;
	if (arc_chain_collect(a, m, v->o.now, &v->chain) != ARC_OK)
		return NULL;
	if (v->chain.status != ARC_CHAIN_OK)
		return v;

	unsigned n = v->chain.n;
	/* 2 * ARC_MAX_INSTANCES names at most: within DNS_MAX_BATCH. */
	v->keys = arena_calloc(a, 2 * (size_t)n, sizeof *v->keys);
	if (!v->keys)
		return NULL;
	if (v->o.batch) {
		v->batch = v->o.batch;
	} else if (r) {
		if (!(v->batch = dns_batch_new(r, a)))
			return NULL;
		v->own_batch = true;
	}
	v->have_resolver = v->batch != NULL;
	for (unsigned i = 1; i <= n; i++) {
		struct arc_set *s = &v->chain.set[i - 1];
		if (s->ams.usable) {
			if (ver_want_body(v, i, &s->ams) != ARC_OK)
				return NULL;
			v->ams_key[i - 1] = ver_key_for(v, s->ams.key_name);
		}
		if (s->as.usable)
			v->as_key[i - 1] = ver_key_for(v, s->as.key_name);
	}
	return v;
}

int arc_verifier_body(struct arc_verifier *v, const char *p, size_t n)
{
	if (!v->body || v->body_done)
		return ARC_OK;
	return dkim_body_feed(v->body, p, n) == DKIM_ERR_NOMEM ? ARC_ERR_NOMEM : ARC_OK;
}

/* The public key of a signature, from its key record (RFC 6376 3.6.1 as
 * RFC 8617 4.1.2 / 4.1.3 use it).  False with *why on any problem. */
static bool ver_get_key(struct arc_verifier *v, struct ver_key *k, enum dkim_algo algo,
                        struct dkim_pubkey *out, const char **why)
{
	enum dkim_keytype type = dkim_algo_keytype(algo);
	if (k->tried && k->type == type) {
		*out = k->key;
		*why = k->why;
		return k->ok;
	}
	k->tried = true;
	k->type = type;
	k->ok = false;
	const struct dns_answer *ans = k->ans;
	if (!v->have_resolver) {
		k->why = "no DNS resolver to fetch the key";
	} else if (!ans) {
		k->why = "key query could not be queued";
	} else if (ans->status != DNS_ST_OK) {
		if (dns_status_is_temp(ans->status)) {
			/* RFC 8617 5.2.1: all failures are permanent. */
			v->dns_temp = true;
			k->why = arena_printf(v->a, "key lookup failed temporarily (%s)",
			                      dns_status_str(ans->status));
		} else {
			k->why = arena_printf(v->a, "no key record (%s)", dns_status_str(ans->status));
		}
		if (!k->why)
			k->why = "no key record";
	} else {
		k->why = "";
		for (size_t i = 0; i < ans->n && !k->ok; i++) {
			struct dkim_key_record rec;
			const char *detail = "";
			enum dkim_reason rr = dkim_key_record_parse(v->a, ans->rr[i].data, &rec, &detail);
			const char *bad = NULL;
			if (rr == DKIM_R_INTERNAL) {
				v->nomem = true;
				bad = "out of memory";
			} else if (rr != DKIM_R_OK) {
				bad = arena_printf(v->a, "key record unusable (%s)",
				                   detail ? detail : dkim_reason_str(rr));
			} else if (rec.revoked) {
				bad = "key revoked (empty p=)";
			} else if (rec.k != type) {
				bad = "key type does not match a=";
			} else if (!rec.h_sha256) {
				bad = "key record h= excludes sha256";
			} else if (!rec.s_email) {
				bad = "key record s= excludes email";
			} else if (dkim_key_cache_get(v->o.cache, v->a, type, rec.p_text, &k->key)) {
				k->ok = true;
			} else {
				enum dkim_reason dr = dkim_pubkey_decode(v->a, type, rec.p, &k->key);
				if (dr == DKIM_R_OK) {
					k->ok = true;
					dkim_key_cache_put(v->o.cache, rec.p_text, &k->key);
				} else if (dr == DKIM_R_INTERNAL) {
					v->nomem = true;
					bad = "out of memory";
				} else {
					bad = arena_printf(v->a, "key unusable (%s)", dkim_reason_str(dr));
				}
			}
			/* The first record's problem is the one reported. */
			if (!k->ok && !k->why[0])
				k->why = bad ? bad : "key unusable";
		}
		if (!k->ok && !k->why[0])
			k->why = "no key record";
	}
	*out = k->key;
	*why = k->why;
	return k->ok;
}

/* Budget check before a public-key operation over hash_bytes of headers. */
static bool ver_budget(struct arc_verifier *v, uint64_t hash_bytes, const char **why)
{
	if (v->nverified >= v->o.max_verify) {
		v->limit_hit = true;
		*why = "not verified: ARC_MAX_VERIFY reached";
		return false;
	}
	if (hash_bytes > v->o.max_hash_bytes || v->hashed > v->o.max_hash_bytes - hash_bytes) {
		v->limit_hit = true;
		*why = "not verified: ARC_MAX_HASH_BYTES reached";
		return false;
	}
	v->nverified++;
	v->hashed += hash_bytes;
	return true;
}

/* Map DKIM's verify outcome: 1 valid, 0 invalid, <0 failure to run. */
static enum arc_sig_status ver_outcome(struct arc_verifier *v, int rc, const char **why)
{
	if (rc == 1)
		return ARC_SIG_PASS;
	if (rc == DKIM_ERR_NOMEM)
		v->nomem = true;
	*why = rc == 0 ? "signature incorrect" : "signature could not be checked (internal error)";
	return ARC_SIG_FAIL;
}

/* RFC 8617 5.1.1 / 5.2 step 6: the AS of instance i signs, in relaxed
 * canonicalization, the AAR, AMS and AS of every set 1..i-1, then AAR(i),
 * AMS(i) and AS(i) with its b= empty. */
static int ver_as(struct arc_verifier *v, unsigned i)
{
	struct arc_set *s = &v->chain.set[i - 1];
	const char *why = "";
	s->as_status = ARC_SIG_FAIL;
	struct dkim_pubkey key;
	if (!s->as.usable) {
		s->as_why = s->as.why;
		return ARC_OK;
	}
	if (!ver_get_key(v, v->as_key[i - 1], s->as.algo, &key, &why)) {
		s->as_why = why;
		return v->nomem ? ARC_ERR_NOMEM : ARC_OK;
	}
	size_t nf = 3 * (size_t)(i - 1) + 2;
	const struct msg_header **f = arena_calloc(v->a, nf, sizeof *f);
	if (!f)
		return ARC_ERR_NOMEM;
	uint64_t bytes = s->as.hdr->raw.len;
	size_t k = 0;
	for (unsigned j = 1; j <= i; j++) {
		const struct arc_set *t = &v->chain.set[j - 1];
		f[k++] = t->aar;
		f[k++] = t->ams.hdr;
		if (j < i)
			f[k++] = t->as.hdr;
	}
	for (size_t j = 0; j < nf; j++)
		bytes += f[j]->raw.len;
	if (!ver_budget(v, bytes, &why)) {
		s->as_status = ARC_SIG_UNCHECKED;
		s->as_why = why;
		return ARC_OK;
	}
	struct arena *tmp = arena_new(0);
	if (!tmp)
		return ARC_ERR_NOMEM;
	struct msg_header nob;
	int rc;
	if (!dkim_header_strip_b(tmp, s->as.hdr, &nob))
		rc = DKIM_ERR_NOMEM; /* the tag list parsed before: only memory fails */
	else
		rc = dkim_verify_header_set(tmp, &key, DKIM_HASH_SHA256, DKIM_CANON_RELAXED, f, nf,
		                            &nob, s->as.b);
	arena_free(tmp);
	s->as_status = ver_outcome(v, rc, &why);
	s->as_why = s->as_status == ARC_SIG_PASS ? "" : why;
	return v->nomem ? ARC_ERR_NOMEM : ARC_OK;
}

/* RFC 8617 4.1.2: the AMS is checked as a DKIM-Signature is (RFC 6376
 * 6.1.3): body hash, then the header hash over the h= fields picked from
 * the bottom, the AMS itself excluded. */
static int ver_ams(struct arc_verifier *v, unsigned i)
{
	struct arc_set *s = &v->chain.set[i - 1];
	const char *why = "";
	s->ams_status = ARC_SIG_FAIL;
	if (!s->ams.usable) {
		s->ams_why = s->ams.why;
		return ARC_OK;
	}
	if (v->ams_body_limit[i - 1] || !v->ams_has_slot[i - 1]) {
		v->limit_hit = true;
		s->ams_status = ARC_SIG_UNCHECKED;
		s->ams_why = "not verified: ARC_MAX_BODY_HASHES reached";
		return ARC_OK;
	}
	const unsigned char *md;
	size_t mdlen;
	uint64_t canon_len;
	dkim_body_result(v->body, v->ams_slot[i - 1], &md, &mdlen, &canon_len);
	if (s->ams.have_l && s->ams.l > canon_len) {
		s->ams_why = "l= is larger than the body";
		return ARC_OK;
	}
	if (mdlen != s->ams.bh.len || memcmp(md, s->ams.bh.ptr, mdlen) != 0) {
		s->ams_why = "body hash mismatch";
		return ARC_OK;
	}
	struct dkim_pubkey key;
	if (!ver_get_key(v, v->ams_key[i - 1], s->ams.algo, &key, &why)) {
		s->ams_why = why;
		return v->nomem ? ARC_ERR_NOMEM : ARC_OK;
	}
	struct arena *tmp = arena_new(0);
	if (!tmp)
		return ARC_ERR_NOMEM;
	const struct msg_header **f;
	size_t nf;
	int rc = dkim_select_headers(tmp, v->m, s->ams.h, s->ams.nh, s->ams.hdr, &f, &nf);
	if (rc == DKIM_OK) {
		uint64_t bytes = s->ams.hdr->raw.len;
		for (size_t j = 0; j < nf; j++)
			bytes += f[j]->raw.len;
		if (!ver_budget(v, bytes, &why)) {
			arena_free(tmp);
			s->ams_status = ARC_SIG_UNCHECKED;
			s->ams_why = why;
			return ARC_OK;
		}
		struct msg_header nob;
		if (!dkim_header_strip_b(tmp, s->ams.hdr, &nob))
			rc = DKIM_ERR_NOMEM;
		else
			rc = dkim_verify_header_set(tmp, &key, DKIM_HASH_SHA256, s->ams.hcanon, f, nf,
			                            &nob, s->ams.b);
	}
	arena_free(tmp);
	s->ams_status = ver_outcome(v, rc, &why);
	s->ams_why = s->ams_status == ARC_SIG_PASS ? "" : why;
	return v->nomem ? ARC_ERR_NOMEM : ARC_OK;
}

static void ver_fail(struct arc_verifier *v, struct arc_result *out, unsigned i,
                     const char *what, const char *why)
{
	out->state = ARC_FAIL;
	out->reason = arena_printf(v->a, "i=%u: %s %s", i, what, why);
	if (!out->reason)
		out->reason = why;
}

int arc_verifier_finish(struct arc_verifier *v, struct arc_result *out)
{
	memset(out, 0, sizeof *out);
	out->state = ARC_NONE;
	out->reason = "";
	out->chain = &v->chain;
	out->domains = v->chain.domains;
	out->top_cv_fail = v->chain.top_cv_fail;
	out->instances = v->chain.n;
	if (v->chain.status == ARC_CHAIN_NONE)
		return ARC_OK;
	if (v->chain.status == ARC_CHAIN_BROKEN) {
		out->state = ARC_FAIL;
		out->reason = v->chain.why;
		return ARC_OK;
	}
	if (v->body && !v->body_done) {
		v->body_done = true;
		if (dkim_body_finish(v->body) == DKIM_ERR_NOMEM)
			return ARC_ERR_NOMEM;
	}
	if (v->own_batch)
		dns_batch_wait(v->batch, v->o.deadline_ms);

	unsigned n = v->chain.n;
	int rc;
	/* Step 4: the latest AMS. */
	if ((rc = ver_ams(v, n)) != ARC_OK)
		return rc;
	struct arc_set *top = &v->chain.set[n - 1];
	if (top->ams_status != ARC_SIG_PASS) {
		ver_fail(v, out, n, "ARC-Message-Signature", top->ams_why);
		goto done;
	}
	/* Step 6: every seal, newest first. */
	for (unsigned i = n; i >= 1; i--) {
		if ((rc = ver_as(v, i)) != ARC_OK)
			return rc;
		struct arc_set *s = &v->chain.set[i - 1];
		if (s->as_status != ARC_SIG_PASS) {
			ver_fail(v, out, i, "ARC-Seal", s->as_why);
			goto done;
		}
	}
	/* Step 7. */
	out->state = ARC_PASS;
	/* Step 5: oldest-pass, the lowest instance of the newest run of
	 * passing AMSs (a failure below does not change the verdict). */
	out->oldest_pass = n;
	for (unsigned i = n - 1; i >= 1; i--) {
		if ((rc = ver_ams(v, i)) != ARC_OK)
			return rc;
		if (v->chain.set[i - 1].ams_status != ARC_SIG_PASS)
			break;
		out->oldest_pass = i;
	}
done:
	out->dns_temporary = v->dns_temp;
	out->limit_hit = v->limit_hit;
	out->nverified = v->nverified;
	return ARC_OK;
}

int arc_verify(struct dns_resolver *r, struct arena *a, const struct msg *m, uint64_t now,
               uint64_t deadline_ms, struct arc_result *out)
{
	struct arc_verify_opts o;
	memset(&o, 0, sizeof o);
	o.now = now;
	o.deadline_ms = deadline_ms;
	struct arc_verifier *v = arc_verifier_new(a, r, m, &o);
	if (!v) {
		memset(out, 0, sizeof *out);
		out->state = ARC_NONE;
		out->reason = "";
		return ARC_ERR_NOMEM;
	}
	int rc = arc_verifier_body(v, m->body.ptr, m->body.len);
	if (rc)
		return rc;
	return arc_verifier_finish(v, out);
}

void arc_result_fields(const struct arc_result *r, struct fields *out)
{
	fields_set_cstr(out, "arc_state", arc_state_str(r->state));
	/* Reasons carry instance numbers and DNS words only, but may grow to
	 * quote message data: marked tainted to be safe. */
	fields_set(out, "arc_state_reason", slice_from_cstr(r->reason ? r->reason : ""), true);
	fields_set(out, "arc_domains", r->domains.ptr ? r->domains : slice_make("", 0), true);
	fields_set_u64(out, "arc_oldest_pass", r->oldest_pass);
}

unsigned arc_result_oldest_pass_ar(const struct arc_result *r)
{
	if (r->state != ARC_PASS)
		return 0;
	return r->oldest_pass <= 1 ? 0 : r->oldest_pass;
}

void arc_ar_add(struct ar_builder *w, struct arena *a, const struct arc_result *r,
                struct slice remote_ip)
{
	const char *c = "";
	if (r->state == ARC_PASS)
		c = arena_printf(a, "i=%u", r->instances);
	else if (r->state == ARC_FAIL)
		c = r->reason;
	if (!c)
		c = "";
	ar_add_arc(w, arc_state_str(r->state), slice_from_cstr(c), r->state == ARC_PASS,
	           arc_result_oldest_pass_ar(r),
	           r->state == ARC_NONE ? SLICE_NULL : remote_ip);
}
