/* bench_eval — the whole evaluation of one message through eval_run()
 * (shared/eval.h, what the module's `verify` and mailauth-check run): SPF
 * of the envelope and the HELO name, DKIM, ARC, DMARC and the
 * Authentication-Results field, messages per second, with every DNS
 * question answered by libunbound from a zone file written here (the real
 * resolver code, answering from memory).  Issue 5.
 *
 * Corpus: 32 KB multipart messages (and a 4 KB text one) from example.org,
 * which publishes SPF through an include, DMARC p=reject and DKIM keys
 * (rsa-sha256 2048, ed25519-sha256): signed and sent from an authorized
 * address (SPF pass, DKIM pass, DMARC accept); forwarded by a host that
 * added an ARC set (SPF fail at the forwarder, DKIM and ARC pass, DMARC
 * accept); and a spoofed one (nothing passes, DMARC reject).  Every
 * evaluation's spf_result, dkim_verify_status, arc_state and dmarc_status
 * are compared with the expected words; a difference stops the benchmark
 * with exit status 1.
 *
 * Next to each rate: the DKIM floor of the same message (floor.h: OpenSSL
 * alone, body hash per canonicalization, header hash + verify per DKIM
 * signature, and for the ARC set one check per ARC-Message-Signature and
 * ARC-Seal over the header section), and the ratio.  What separates the
 * two is mostly DNS: the floor has none, eval_run asks libunbound six
 * questions per message here (SPF: example.org and its include; HELO: TXT
 * and A of sender.example.org; DMARC: _dmarc.example.org and _dmarc.org),
 * each a round trip to libunbound's worker thread (DKIM keys come from the
 * per-process key cache, as in the module, except in the "no key cache"
 * row).  Rates per CPU second of the process, libunbound's thread
 * included.
 *
 * Usage: bench_eval [SECONDS]   (per side per case, default 1)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "arena.h"
#include "benchkey.h"
#include "config.h"
#include "corpus.h"
#include "dkim.h"
#include "dns.h"
#include "eval.h"
#include "fields.h"
#include "floor.h"
#include "msg.h"

#define ROUNDS 5
#define NOW 1700000000u

enum { K_RSA = 1, K_ED = 2 };

struct ecase {
	const char *name;
	int keys;                 /* DKIM signatures by example.org */
	size_t size;
	enum corpus_style style;
	bool arc;                 /* forwarded through forwarder.example, which sealed */
	bool no_cache;
	const char *ip;
	/* expected */
	const char *spf, *dkim, *arc_state, *dmarc;
};

static const struct ecase cases[] = {
	{ "rsa2048 32 KB: spf+dkim pass", K_RSA, 32768, CORPUS_MIXED, false, false, "192.0.2.25",
	  "pass", "pass", "none", "accept" },
	{ "ed25519 32 KB: spf+dkim pass", K_ED, 32768, CORPUS_MIXED, false, false, "192.0.2.25",
	  "pass", "pass", "none", "accept" },
	{ "rsa2048+ed25519 32 KB", K_RSA | K_ED, 32768, CORPUS_MIXED, false, false, "192.0.2.25",
	  "pass", "pass", "none", "accept" },
	{ "rsa2048 4 KB text", K_RSA, 4096, CORPUS_TEXT, false, false, "192.0.2.25", "pass",
	  "pass", "none", "accept" },
	{ "rsa2048 32 KB via ARC forwarder", K_RSA, 32768, CORPUS_MIXED, true, false,
	  "198.51.100.7", "fail", "pass", "pass", "accept" },
	{ "spoofed 32 KB (no signature)", 0, 32768, CORPUS_MIXED, false, false, "203.0.113.9",
	  "fail", "none", "none", "reject" },
	{ "rsa2048 32 KB, no key cache", K_RSA, 32768, CORPUS_MIXED, false, true, "192.0.2.25",
	  "pass", "pass", "none", "accept" },
};

struct eval_ctx {
	struct dns_resolver *r;
	struct dkim_key_cache *cache;
	const struct config *opts;
	struct slice text;
	const struct ecase *c;
};

/* One DNS question through the resolver, as every SPF, HELO and DMARC
 * lookup of an evaluation goes (answered from local data). */
static int dns_op(void *ctx)
{
	struct dns_resolver *r = ctx;
	struct arena *a = arena_new(0);
	if (!a)
		return 3;
	struct dns_answer *ans = dns_query(r, a, DNS_T_TXT, SLICE_LIT("_dmarc.example.org"),
	                                   dns_now_ms() + 5000);
	int rc = ans && ans->status == DNS_ST_OK ? 0 : 1;
	arena_free(a);
	return rc;
}

static bool field_is(const struct fields *fs, const char *name, const char *want)
{
	const struct field *f = fields_get(fs, slice_from_cstr(name));
	return f && slice_eq(f->value, slice_from_cstr(want));
}

static void field_show(const struct fields *fs, const char *name)
{
	const struct field *f = fields_get(fs, slice_from_cstr(name));
	fprintf(stderr, "  %s=%.*s\n", name, f ? (int)f->value.len : 6, f ? f->value.ptr : "(none)");
}

static int eval_op(void *ctx)
{
	struct eval_ctx *e = ctx;
	struct arena *a = arena_new(0);
	if (!a)
		return 3;
	struct msg m;
	if (msg_parse(&m, a, e->text) != MSG_OK) {
		arena_free(a);
		return 3;
	}
	struct eval_config cfg;
	eval_config_defaults(&cfg);
	cfg.authserv_id = "mx.example.net";
	cfg.opts = e->opts;
	cfg.key_cache = e->cache;
	struct eval_input in = { 0 };
	in.have_ip = in.have_helo = in.have_mail_from = true;
	in.ip = slice_from_cstr(e->c->ip);
	in.helo = SLICE_LIT("sender.example.org");
	in.mail_from = SLICE_LIT("bounces@example.org");
	in.msg = &m;
	in.job = SLICE_LIT("bench");
	in.now = NOW;
	struct fields fs;
	fields_init(&fs, a);
	int rc = 0;
	if (eval_run(e->r, a, &cfg, &in, &fs) != 0 || fs.err) {
		rc = 3;
	} else if (!field_is(&fs, "spf_result", e->c->spf) ||
	           !field_is(&fs, "dkim_verify_status", e->c->dkim) ||
	           !field_is(&fs, "arc_state", e->c->arc_state) ||
	           !field_is(&fs, "dmarc_status", e->c->dmarc)) {
		fprintf(stderr, "bench_eval: %s: unexpected result:\n", e->c->name);
		field_show(&fs, "spf_result");
		field_show(&fs, "dkim_verify_status");
		field_show(&fs, "dkim_verify_reason");
		field_show(&fs, "arc_state");
		field_show(&fs, "arc_state_reason");
		field_show(&fs, "dmarc_status");
		rc = 1;
	}
	arena_free(a);
	return rc;
}

/* The ARC set forwarder.example adds: evaluate the message there with
 * sealing on (client: the original sender), then put the set on top. */
static bool arc_forward(struct dns_resolver *r, struct arena *ca, struct slice text,
                        const char *keyfile, struct slice *out)
{
	char conf[1024];
	snprintf(conf, sizeof conf,
	         "arc_selector = arc\narc_domain = forwarder.example\narc_key = %s\n", keyfile);
	struct config *opts = NULL;
	char err[256];
	if (config_parse(&opts, "bench-forwarder", slice_from_cstr(conf), err, sizeof err) !=
	    CONFIG_OK) {
		fprintf(stderr, "bench_eval: forwarder configuration: %s\n", err);
		return false;
	}
	struct arena *a = arena_new(0);
	struct msg m;
	bool ok = false;
	if (a && msg_parse(&m, a, text) == MSG_OK) {
		struct eval_config cfg;
		eval_config_defaults(&cfg);
		cfg.authserv_id = "forwarder.example";
		cfg.opts = opts;
		cfg.seal = true;
		cfg.crlf = true;
		struct eval_input in = { 0 };
		in.have_ip = in.have_helo = in.have_mail_from = true;
		in.ip = SLICE_LIT("192.0.2.25");
		in.helo = SLICE_LIT("sender.example.org");
		in.mail_from = SLICE_LIT("bounces@example.org");
		in.msg = &m;
		in.now = NOW;
		struct fields fs;
		fields_init(&fs, a);
		const struct field *seal;
		if (eval_run(r, a, &cfg, &in, &fs) == 0 &&
		    (seal = fields_get(&fs, SLICE_LIT("arc_seal"))) && seal->value.len) {
			struct buf b;
			buf_init(&b, ca, text.len + seal->value.len + 16);
			buf_add_slice(&b, seal->value);
			buf_add_slice(&b, text);
			*out = buf_slice(&b);
			ok = !b.err;
		} else {
			const struct field *why = fields_get(&fs, SLICE_LIT("arc_seal_error"));
			fprintf(stderr, "bench_eval: not sealed: %.*s\n", why ? (int)why->value.len : 0,
			        why ? why->value.ptr : "");
		}
	}
	arena_free(a);
	config_free(opts);
	return ok;
}

/* The temporary zone and key files, removed at exit whatever happens. */
static char tmp_dir[] = "/tmp/bench-eval-XXXXXX";
static char tmp_zone[64], tmp_key[64];

static void tmp_remove(void)
{
	if (tmp_zone[0])
		unlink(tmp_zone);
	if (tmp_key[0])
		unlink(tmp_key);
	rmdir(tmp_dir);
}

int main(int argc, char **argv)
{
	double secs = 1.0;
	if (argc > 1) {
		char *end;
		secs = strtod(argv[1], &end);
		if (end == argv[1] || *end || !(secs > 0) || secs > 3600) {
			fprintf(stderr, "usage: bench_eval [SECONDS]\n");
			return 2;
		}
	}
	struct bench_key keys[3] = { { "rsa", "example.org", false, NULL, NULL, NULL },
		                { "ed", "example.org", true, NULL, NULL, NULL },
		                { "arc", "forwarder.example", false, NULL, NULL, NULL } };
	for (int i = 0; i < 3; i++) {
		if (!bench_key_make(&keys[i])) {
			fprintf(stderr, "bench_eval: key generation failed\n");
			return 1;
		}
	}
	if (!mkdtemp(tmp_dir)) {
		fprintf(stderr, "bench_eval: no temporary directory\n");
		return 1;
	}
	atexit(tmp_remove);
	char *zpath = tmp_zone, *kpath = tmp_key;
	snprintf(zpath, sizeof tmp_zone, "%s/zone", tmp_dir);
	snprintf(kpath, sizeof tmp_key, "%s/arc.pem", tmp_dir);
	FILE *zf = fopen(zpath, "w"), *kf = fopen(kpath, "w");
	if (!zf || !kf) {
		fprintf(stderr, "bench_eval: cannot write into %s\n", tmp_dir);
		return 1;
	}
	fputs(keys[2].pem, kf);
	fclose(kf);
	/* example.org: SPF through an include (the common shape), DMARC
	 * p=reject with a report address; the forwarder publishes its own
	 * SPF. */
	bench_zone_txt(zf, "example.org", "v=spf1 include:_spf.example.org -all");
	bench_zone_txt(zf, "_spf.example.org", "v=spf1 ip4:192.0.2.0/25 ip4:198.51.100.128/25 "
	                                 "ip6:2001:db8:25::/48 -all");
	bench_zone_txt(zf, "_dmarc.example.org", "v=DMARC1; p=reject; rua=mailto:dmarc@example.org");
	bench_zone_txt(zf, "sender.example.org", "v=spf1 a -all");
	fprintf(zf, "sender.example.org. A 192.0.2.25\n");
	bench_zone_txt(zf, "forwarder.example", "v=spf1 ip4:198.51.100.7 -all");
	for (int i = 0; i < 3; i++) {
		char name[128];
		snprintf(name, sizeof name, "%s._domainkey.%s", keys[i].selector, keys[i].domain);
		bench_zone_txt(zf, name, keys[i].record);
	}
	fclose(zf);
	char spec[128], err[256];
	snprintf(spec, sizeof spec, "zone:%s", zpath);
	struct dns_resolver *r = dns_resolver_new(spec, err, sizeof err);
	if (!r) {
		fprintf(stderr, "bench_eval: resolver: %s\n", err);
		return 1;
	}
	struct config *opts = config_defaults();
	struct dkim_key_cache *cache = dkim_key_cache_new();
	if (!opts || !cache)
		return 1;

	printf("eval_run() per message: SPF (MAIL FROM and HELO), DKIM, ARC, DMARC,\n"
	       "Authentication-Results; DNS from libunbound (zone file).  Rates per CPU\n"
	       "second; floor = the message's DKIM/ARC crypto with OpenSSL alone.\n\n");
	struct bench_side dq;
	if (bench_measure(dns_op, r, secs / 2, &dq) != 0) {
		fprintf(stderr, "bench_eval: the zone's DMARC record is not found\n");
		return 1;
	}
	printf("one DNS query through libunbound (dns_query, TXT, local data): %.1f us CPU\n"
	       "(an evaluation here asks 6: SPF example.org and its include, HELO TXT and A,\n"
	       "DMARC _dmarc.example.org and, for the RFC 9989 tree walk, _dmarc.org; DKIM\n"
	       "keys come from the key cache)\n\n",
	       1e6 / bench_rate(&dq));
	printf("%-34s %10s %10s %6s %8s  %s\n", "case", "eval msg/s", "floor", "ratio", "us/msg",
	       "spf/dkim/arc/dmarc");
	int rc = 0;
	for (size_t k = 0; k < sizeof cases / sizeof cases[0] && rc == 0; k++) {
		const struct ecase *c = &cases[k];
		struct arena *ca = arena_new(0);
		struct slice body = corpus_message_style(ca, c->size, (uint32_t)k + 101, c->style);
		struct msg m;
		if (msg_parse(&m, ca, body) != MSG_OK) {
			fprintf(stderr, "bench_eval: corpus message does not parse\n");
			return 1;
		}
		struct buf b;
		buf_init(&b, ca, c->size * 2 + 65536);
		for (int ki = 0; ki < 2; ki++) {
			if (!(c->keys & (1 << ki)))
				continue;
			struct dkim_privkey pk;
			struct dkim_sign_opts o = { 0 };
			o.domain = SLICE_LIT("example.org");
			o.selector = slice_from_cstr(keys[ki].selector);
			o.hcanon = o.bcanon = DKIM_CANON_RELAXED;
			struct slice sig;
			if (dkim_privkey_load_pem(ca, slice_from_cstr(keys[ki].pem), &pk, NULL) ||
			    dkim_sign(ca, &pk, &m, &o, &sig, NULL)) {
				fprintf(stderr, "bench_eval: cannot sign the corpus message\n");
				return 1;
			}
			buf_add_slice(&b, sig);
			buf_add_cstr(&b, "\r\n");
		}
		buf_add_slice(&b, body);
		struct slice text = buf_slice(&b);
		if (c->arc && !arc_forward(r, ca, text, kpath, &text))
			return 1;

		/* The floor: the DKIM signatures exactly, each ARC signature
		 * as a check over the header section (see floor.h). */
		struct floor_msg fm = { 0 };
		const char *const sels[2] = { keys[0].selector, keys[1].selector };
		void *const pkeys[2] = { keys[0].pkey, keys[1].pkey };
		struct msg sm;
		bool fok = msg_parse(&sm, ca, text) == MSG_OK &&
		           floor_add_dkim(&fm, ca, &sm, sels, pkeys, 2);
		if (fok && c->arc) {
			size_t hlen = (size_t)(sm.body.ptr - text.ptr);
			size_t nams = msg_count(&sm, SLICE_LIT("ARC-Message-Signature"));
			size_t nas = msg_count(&sm, SLICE_LIT("ARC-Seal"));
			for (size_t i = 0; fok && i < nams + nas; i++)
				fok = floor_add_sig(&fm, keys[2].pkey, false, text.ptr, hlen,
				                    i < nams ? sm.body.ptr : NULL, sm.body.len,
				                    DKIM_CANON_RELAXED);
			fok = fok && nams == 1 && nas == 1;
		}
		if (!fok || (fm.nsig && floor_verify(&fm) != 0)) {
			fprintf(stderr, "bench_eval: %s: floor setup failed\n", c->name);
			return 1;
		}

		struct eval_ctx ec = { r, c->no_cache ? NULL : cache, opts, text, c };
		struct bench_side ours, fl;
		struct bench_ratio ratio = { 0, 0, 0 };
		int e;
		if (fm.nsig) {
			e = bench_compare(eval_op, &ec, floor_verify, &fm, secs, ROUNDS, &ours, &fl,
			                  &ratio);
		} else {
			e = bench_measure(eval_op, &ec, secs, &ours);
		}
		if (e) {
			fprintf(stderr, "bench_eval: %s: %s\n", c->name,
			        e == 1 ? "wrong verification result" : "evaluation failed");
			rc = 1;
		} else {
			char expect[64];
			snprintf(expect, sizeof expect, "%s/%s/%s/%s", c->spf, c->dkim, c->arc_state,
			         c->dmarc);
			if (fm.nsig)
				printf("%-34s %10.0f %10.0f %6.2f %8.1f  %s\n", c->name, bench_rate(&ours),
				       bench_rate(&fl), ratio.median, 1e6 / bench_rate(&ours), expect);
			else
				printf("%-34s %10.0f %10s %6s %8.1f  %s\n", c->name, bench_rate(&ours), "-",
				       "-", 1e6 / bench_rate(&ours), expect);
			fflush(stdout);
		}
		floor_free(&fm);
		arena_free(ca);
	}
	dkim_key_cache_free(cache);
	config_free(opts);
	dns_resolver_free(r);
	for (int i = 0; i < 3; i++) {
		EVP_PKEY_free(keys[i].pkey);
		free(keys[i].pem);
		free(keys[i].record);
	}
	return rc;
}
