/* dkim_verify.c — verifying every DKIM-Signature of a message (RFC 6376
 * 6.1 and 6.3), RFC 8301 key rules, RFC 8463 Ed25519.
 *
 * Order of work, so that the message is read once and DNS is asked once:
 *   1. dkim_verifier_new: parse the first max_sigs signatures, register the
 *      body hashes they need (dkim_body, one pass for all of them) and
 *      queue every key query into one DNS batch;
 *   2. dkim_verifier_body: stream the body through the hasher;
 *   3. dkim_verifier_finish: wait for DNS, then per signature: key record,
 *      key applicability, key decoding (or the key cache), body hash, header
 *      hash and public-key check.
 * A signature over the limit is reported, not evaluated.  All state lives
 * in the evaluation's arena.
 */
#include "dkim.h"

#include <string.h>
#include <time.h>

#include "domain.h"
#include "mailauth_limits.h"

struct verify_sig {
	struct dkim_sig sig;
	size_t hdr_index;
	bool evaluated;
	bool parsed_ok;            /* parsing left reason OK */
	size_t body_slot;
	struct slice qname;        /* <s>._domainkey.<d> */
	struct dns_answer *ans;    /* key query (shared between equal names) */
	struct slice cached;       /* key record from the key cache, if any */
	bool from_cache;
	struct dkim_sig_result res;
};

struct dkim_verifier {
	struct arena *arena;
	const struct msg *msg;
	struct dkim_verify_opts opts;
	struct dns_batch *batch;
	bool own_batch;
	struct dkim_body *body;
	struct verify_sig *sigs;
	size_t nsigs;
	bool nomem;
};

static void verify_set(struct verify_sig *vs, enum dkim_reason r, bool dns_temp,
                       const char *detail)
{
	vs->res.reason = r;
	vs->res.result = dkim_reason_result(r, dns_temp);
	vs->res.status = dkim_reason_status(r);
	vs->res.detail = detail ? detail : "";
}

static void verify_fill_written(struct verify_sig *vs, struct arena *a)
{
	struct dkim_sig *s = &vs->sig;
	vs->res.d = s->d;
	vs->res.s = s->s;
	vs->res.a = s->a_text;
	vs->res.b = s->b_text;
	vs->res.hdr_index = vs->hdr_index;
	if (s->i.ptr) {
		vs->res.i = s->i;
	} else if (s->d.ptr) {
		/* 3.5 i=: the default is "@" followed by d=. */
		char *p = arena_alloc(a, s->d.len + 1);
		if (p) {
			p[0] = '@';
			memcpy(p + 1, s->d.ptr, s->d.len);
			vs->res.i = slice_make(p, s->d.len + 1);
		}
	}
}

/* Find the tag values of a signature we do not evaluate, for the report:
 * cheap tolerant parse (the result of a full parse is not needed). */
static void verify_fill_unevaluated(struct verify_sig *vs, struct arena *a, uint64_t now)
{
	if (dkim_sig_parse(a, vs->sig.hdr, now, &vs->sig) != DKIM_OK)
		memset(&vs->sig.d, 0, sizeof vs->sig.d);
	verify_fill_written(vs, a);
	verify_set(vs, DKIM_R_NOT_EVALUATED, false,
	           "not evaluated: more signatures than DKIM_MAX_SIGS");
}

struct dkim_verifier *dkim_verifier_new(struct arena *a, struct dns_resolver *r,
                                        const struct msg *m,
                                        const struct dkim_verify_opts *opts)
{
	struct dkim_verifier *v = arena_zalloc(a, sizeof *v);
	if (!v)
		return NULL;
	v->arena = a;
	v->msg = m;
	if (opts)
		v->opts = *opts;
	if (!v->opts.now)
		v->opts.now = (uint64_t)time(NULL);
	if (!v->opts.max_sigs)
		v->opts.max_sigs = DKIM_MAX_SIGS;
	if (!v->opts.deadline_ms)
		v->opts.deadline_ms = dns_now_ms() + DNS_DEFAULT_BUDGET_MS;
	v->body = dkim_body_new(a);
	if (!v->body)
		return NULL;

	const struct slice name = SLICE_LIT("DKIM-Signature");
	size_t total = msg_count(m, name);
	v->sigs = arena_calloc(a, total ? total : 1, sizeof *v->sigs);
	if (!v->sigs)
		return NULL;
	size_t pos = 0;
	long idx;
	while ((idx = msg_find_next(m, name, &pos)) >= 0 && v->nsigs < total) {
		struct verify_sig *vs = &v->sigs[v->nsigs++];
		vs->hdr_index = (size_t)idx;
		vs->sig.hdr = &m->hdr[idx];
		if (v->nsigs > v->opts.max_sigs) {
			verify_fill_unevaluated(vs, a, v->opts.now);
			continue;
		}
		vs->evaluated = true;
		if (dkim_sig_parse(a, &m->hdr[idx], v->opts.now, &vs->sig) != DKIM_OK)
			return NULL;
		verify_fill_written(vs, a);
		if (vs->sig.reason != DKIM_R_OK) {
			verify_set(vs, vs->sig.reason, false, vs->sig.detail);
			continue;
		}
		vs->parsed_ok = true;
		int rc = dkim_body_want(v->body, vs->sig.bcanon, dkim_algo_hash(vs->sig.algo),
		                        vs->sig.have_l, vs->sig.l, &vs->body_slot);
		if (rc)
			return NULL;
	}

	/* Key queries: <selector>._domainkey.<d> (3.6.2.1), one batch, one
	 * query per distinct name. */
	for (size_t i = 0; i < v->nsigs; i++) {
		struct verify_sig *vs = &v->sigs[i];
		if (!vs->parsed_ok)
			continue;
		struct slice qn;
		{
			struct buf b;
			buf_init(&b, a, DNS_MAX_NAME + 64);
			buf_add_slice(&b, vs->sig.s);
			buf_add_cstr(&b, "._domainkey.");
			buf_add_slice(&b, vs->sig.d_norm);
			if (b.err) {
				/* Too long to be a DNS name: no key can exist. */
				qn = SLICE_NULL;
			} else {
				qn = buf_slice(&b);
			}
		}
		vs->qname = qn;
		if (qn.ptr && v->opts.cache &&
		    dkim_key_cache_get_record(v->opts.cache, a, qn, dns_now_ms(), &vs->cached)) {
			vs->from_cache = true;
			continue;
		}
		for (size_t j = 0; j < i && qn.ptr; j++) {
			struct verify_sig *o = &v->sigs[j];
			if (o->ans && slice_eq_ci(o->ans->qname, qn)) {
				vs->ans = o->ans;
				break;
			}
		}
		if (vs->ans || !qn.ptr)
			continue;
		if (!v->batch) {
			if (v->opts.batch) {
				v->batch = v->opts.batch;
			} else {
				v->batch = dns_batch_new(r, a);
				v->own_batch = true;
				if (!v->batch)
					return NULL;
			}
		}
		vs->ans = dns_batch_add(v->batch, DNS_T_TXT, qn);
		/* NULL: the batch is full; reported as a DNS failure below. */
	}
	return v;
}

int dkim_verifier_body(struct dkim_verifier *v, const char *p, size_t n)
{
	int rc = dkim_body_feed(v->body, p, n);
	if (rc == DKIM_ERR_NOMEM)
		v->nomem = true;
	return rc;
}

/* Choose the key record: the first TXT RR that parses (3.6.2.2 lets the
 * verifier pick among several); else the first one's problem. */
static enum dkim_reason verify_pick_record(struct arena *a, const struct dns_answer *ans,
                                           struct dkim_key_record *rec, const char **detail,
                                           struct slice *text)
{
	enum dkim_reason first = DKIM_R_PUBKEY_DNS_SYNTAX;
	const char *first_detail = "no key record";
	for (size_t i = 0; i < ans->n; i++) {
		const char *d = "";
		enum dkim_reason r = dkim_key_record_parse(a, ans->rr[i].data, rec, &d);
		if (r == DKIM_R_OK) {
			*text = ans->rr[i].data;
			return r;
		}
		if (r == DKIM_R_INTERNAL)
			return r;
		if (i == 0) {
			first = r;
			first_detail = d;
		}
	}
	*detail = first_detail;
	return first;
}

static void verify_one(struct dkim_verifier *v, struct verify_sig *vs)
{
	struct arena *a = v->arena;
	struct dkim_sig *s = &vs->sig;
	const struct dns_answer *ans = vs->ans;

	/* 6.1.2: the key (from the cache, or the DNS answer). */
	struct dkim_key_record rec;
	const char *detail = "";
	struct slice rec_text = SLICE_NULL;
	enum dkim_reason r;
	if (vs->from_cache) {
		r = dkim_key_record_parse(a, vs->cached, &rec, &detail);
		goto have_record;
	}
	if (!ans) {
		verify_set(vs, DKIM_R_PUBKEY_UNAVAILABLE, s->s.len + s->d_norm.len < DNS_MAX_NAME,
		           "key query could not be made");
		return;
	}
	if (ans->status != DNS_ST_OK) {
		bool temp = dns_status_is_temp(ans->status);
		const char *d = arena_printf(a, "key lookup: %s", dns_status_str(ans->status));
		verify_set(vs, DKIM_R_PUBKEY_UNAVAILABLE, temp, d ? d : "key lookup failed");
		return;
	}
	r = verify_pick_record(a, ans, &rec, &detail, &rec_text);
have_record:
	if (r != DKIM_R_OK) {
		verify_set(vs, r, false, detail);
		return;
	}
	vs->res.testing = rec.t_testing;
	if (rec.revoked) {
		verify_set(vs, DKIM_R_PUBKEY_REVOKED, false, "key revoked (empty p=)");
		return;
	}
	if (rec.k != dkim_algo_keytype(s->algo)) {
		verify_set(vs, DKIM_R_PUBKEY_MISMATCH, false, "key type k= does not match a=");
		return;
	}
	if (!(dkim_algo_hash(s->algo) == DKIM_HASH_SHA256 ? rec.h_sha256 : rec.h_sha1)) {
		verify_set(vs, DKIM_R_PUBKEY_MISMATCH, false, "key h= excludes the hash of a=");
		return;
	}
	if (!rec.s_email) {
		verify_set(vs, DKIM_R_PUBKEY_MISMATCH, false, "key s= excludes email");
		return;
	}
	if (rec.t_strict && !domain_eq(s->i_domain, s->d_norm)) {
		verify_set(vs, DKIM_R_PUBKEY_MISMATCH, false,
		           "key t=s forbids an i= subdomain of d=");
		return;
	}
	struct dkim_pubkey key;
	memset(&key, 0, sizeof key);
	if (!dkim_key_cache_get(v->opts.cache, a, rec.k, rec.p_text, &key)) {
		r = dkim_pubkey_decode(a, rec.k, rec.p, &key);
		vs->res.key_bits = key.bits;
		if (r != DKIM_R_OK) {
			const char *d;
			switch (r) {
			case DKIM_R_PUBKEY_TOO_SHORT:
				d = arena_printf(a, "RSA key of %u bits is under %u (RFC 8301 3.2)",
				                 key.bits, (unsigned)DKIM_MIN_RSA_BITS);
				break;
			case DKIM_R_PUBKEY_TOO_LONG:
				d = arena_printf(a, "key of %u bits or more is over DKIM_MAX_RSA_BITS",
				                 key.bits);
				break;
			case DKIM_R_PUBKEY_DER_SYNTAX:
				d = rec.k == DKIM_KEY_ED25519 ? "p= is not a 32-byte Ed25519 key"
				                              : "p= is not an RSA public key";
				break;
			default:
				d = "key could not be decoded";
				break;
			}
			verify_set(vs, r, false, d);
			return;
		}
		dkim_key_cache_put(v->opts.cache, rec.p_text, &key);
	}
	vs->res.key_bits = key.bits;
	/* A usable key: its record may be reused for a while. */
	if (!vs->from_cache && rec_text.ptr)
		dkim_key_cache_put_record(v->opts.cache, vs->qname, rec_text, dns_now_ms());

	/* 6.1.3: body hash first (cheap to compare, already computed). */
	const unsigned char *md;
	size_t mdlen;
	uint64_t canon_len;
	dkim_body_result(v->body, vs->body_slot, &md, &mdlen, &canon_len);
	if (!md) {
		verify_set(vs, DKIM_R_INTERNAL, false, "body hash unavailable");
		return;
	}
	if (s->have_l && s->l > canon_len) {
		/* l= promises more body than there is: the signed body is
		 * not this one. */
		verify_set(vs, DKIM_R_BODY_LENGTH, false, "l= is larger than the body");
		return;
	}
	if (s->bh.len != mdlen || memcmp(s->bh.ptr, md, mdlen) != 0) {
		verify_set(vs, DKIM_R_BODYHASH_MISMATCH, false, "body hash mismatch");
		return;
	}

	/* Header hash and signature. */
	const struct msg_header **fields;
	size_t nf;
	if (dkim_select_headers(a, v->msg, s->h, s->nh, s->hdr, &fields, &nf) != DKIM_OK) {
		v->nomem = true;
		verify_set(vs, DKIM_R_INTERNAL, false, "out of memory");
		return;
	}
	struct msg_header nob;
	if (!dkim_header_strip_b(a, s->hdr, &nob)) {
		verify_set(vs, DKIM_R_INTERNAL, false, "out of memory");
		return;
	}
	int ok = dkim_verify_header_set(a, &key, dkim_algo_hash(s->algo), s->hcanon,
	                                fields, nf, &nob, s->b);
	if (ok < 0) {
		if (ok == DKIM_ERR_NOMEM)
			v->nomem = true;
		verify_set(vs, DKIM_R_INTERNAL, false, "signature check could not run");
		return;
	}
	if (ok == 0) {
		verify_set(vs, DKIM_R_SIGNATURE_INCORRECT, false, "signature did not verify");
		return;
	}
	verify_set(vs, DKIM_R_OK, false, rec.t_testing ? "key in testing mode (t=y)" : "");
}

int dkim_verifier_finish(struct dkim_verifier *v, struct dkim_verify_result *out)
{
	memset(out, 0, sizeof *out);
	struct arena *a = v->arena;
	if (dkim_body_finish(v->body) == DKIM_ERR_NOMEM)
		v->nomem = true;
	if (v->batch && v->own_batch)
		dns_batch_wait(v->batch, v->opts.deadline_ms);

	out->sigs = arena_calloc(a, v->nsigs ? v->nsigs : 1, sizeof *out->sigs);
	if (!out->sigs)
		return DKIM_ERR_NOMEM;
	struct buf signers;
	buf_init(&signers, a, 64 * 1024);
	for (size_t i = 0; i < v->nsigs; i++) {
		struct verify_sig *vs = &v->sigs[i];
		if (vs->parsed_ok)
			verify_one(v, vs);
		if (vs->evaluated)
			out->nevaluated++;
		out->sigs[i] = vs->res;
		out->sigs[i].evaluated = vs->evaluated;
		if (vs->res.result == DKIM_PASS) {
			/* Each passing domain once, lower case. */
			bool seen = false;
			for (size_t j = 0; j < i; j++)
				if (out->sigs[j].result == DKIM_PASS &&
				    domain_eq(v->sigs[j].sig.d_norm, vs->sig.d_norm))
					seen = true;
			if (!seen) {
				if (signers.len)
					buf_add_byte(&signers, ':');
				buf_add_slice(&signers, vs->sig.d_norm);
			}
		}
	}
	out->nsigs = v->nsigs;
	out->signers = signers.err ? slice_make("", 0) : buf_slice(&signers);
	if (!out->signers.ptr)
		out->signers = slice_make("", 0);

	/* Summary: the best status any signature reached. */
	static const enum dkim_status order[] = { DKIM_ST_PASS, DKIM_ST_FAIL, DKIM_ST_INVALID };
	out->status = DKIM_ST_NONE;
	out->reason = DKIM_R_OK;
	for (size_t k = 0; k < sizeof order / sizeof order[0] && out->status == DKIM_ST_NONE; k++) {
		for (size_t i = 0; i < v->nsigs; i++) {
			if (out->sigs[i].status == order[k]) {
				out->status = order[k];
				out->reason = out->sigs[i].reason;
				break;
			}
		}
	}
	return v->nomem ? DKIM_ERR_NOMEM : DKIM_OK;
}

int dkim_verify(struct arena *a, struct dns_resolver *r, const struct msg *m,
                const struct dkim_verify_opts *opts, struct dkim_verify_result *out)
{
	memset(out, 0, sizeof *out);
	struct dkim_verifier *v = dkim_verifier_new(a, r, m, opts);
	if (!v)
		return DKIM_ERR_NOMEM;
	int rc = dkim_verifier_body(v, m->body.ptr ? m->body.ptr : "", m->body.len);
	if (rc == DKIM_ERR_NOMEM)
		return rc;
	return dkim_verifier_finish(v, out);
}
