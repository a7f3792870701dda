/* dkim_tool.c — DKIM driver for the interoperability tests
 * (tests/interop/dkim_dkimpy.sh) and a self-check when run alone.
 *
 *   dkim_tool verify --zone FILE [--now EPOCH] MESSAGE
 *       one line per DKIM-Signature, top first:
 *         sig=N result=WORD status=WORD reason=WORD d=... s=... a=...
 *       then: dkim_verify_status=WORD dkim_signers=LIST
 *   dkim_tool sign --key FILE --domain D --selector S [--canon H/B] [--l]
 *                  [--headers a:b:c] [--identity I] [--t N] [--x N] MESSAGE
 *       the message with the new DKIM-Signature on top (CRLF).
 *   dkim_tool     (no arguments) signs a message with fresh RSA and Ed25519
 *       keys in every canonicalization and verifies it back through a zone
 *       file; prints "N passed, M failed" (it is built with the conformance
 *       runners, which the test driver runs without arguments).
 *
 * The message file is used as it is (LF or CRLF line ends).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "dkim.h"
#include "dkimtest.h"
#include "dns.h"
#include "msg.h"
#include "testutil.h"

static int usage(void)
{
	fprintf(stderr,
	        "usage: dkim_tool verify --zone FILE [--now EPOCH] MESSAGE\n"
	        "       dkim_tool sign --key FILE --domain D --selector S [--canon H/B] [--l]\n"
	        "                      [--headers a:b] [--identity I] [--t N] [--x N] MESSAGE\n");
	return 2;
}

static bool parse_u64(const char *s, uint64_t *out)
{
	return slice_parse_u64(slice_from_cstr(s), UINT64_MAX, out);
}

static void print_slice(struct slice s)
{
	fwrite(s.ptr ? s.ptr : "", 1, s.len, stdout);
}

static int cmd_verify(int argc, char **argv)
{
	const char *zone = NULL, *file = NULL;
	uint64_t now = 0;
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--zone") && i + 1 < argc)
			zone = argv[++i];
		else if (!strcmp(argv[i], "--now") && i + 1 < argc) {
			if (!parse_u64(argv[++i], &now))
				return usage();
		} else if (argv[i][0] != '-' && !file)
			file = argv[i];
		else
			return usage();
	}
	if (!zone || !file)
		return usage();
	char spec[4096], err[512];
	snprintf(spec, sizeof spec, "zone:%s", zone);
	struct dns_resolver *r = dns_resolver_new(spec, err, sizeof err);
	if (!r) {
		fprintf(stderr, "dkim_tool: %s\n", err);
		return 1;
	}
	struct arena *a = arena_new(0);
	struct msg m;
	char e[512] = "";
	if (msg_load_file(&m, a, file, e, sizeof e) != MSG_OK) {
		fprintf(stderr, "dkim_tool: %s\n", e[0] ? e : "cannot parse the message");
		arena_free(a);
		dns_resolver_free(r);
		return 1;
	}
	struct dkim_verify_opts o = { 0 };
	o.now = now;
	o.deadline_ms = dns_now_ms() + 5000;
	struct dkim_verify_result res;
	int rc = dkim_verify(a, r, &m, &o, &res);
	if (rc == DKIM_OK) {
		for (size_t i = 0; i < res.nsigs; i++) {
			const struct dkim_sig_result *s = &res.sigs[i];
			printf("sig=%zu result=%s status=%s reason=%s d=", i, dkim_result_str(s->result),
			       dkim_status_str(s->status), dkim_reason_str(s->reason));
			print_slice(s->d);
			printf(" s=");
			print_slice(s->s);
			printf(" a=");
			print_slice(s->a);
			printf(" detail=\"%s\"\n", s->detail);
		}
		printf("dkim_verify_status=%s dkim_signers=", dkim_status_str(res.status));
		print_slice(res.signers);
		printf("\n");
	}
	arena_free(a);
	dns_resolver_free(r);
	return rc == DKIM_OK ? 0 : 1;
}

static int cmd_sign(int argc, char **argv)
{
	const char *keyfile = NULL, *file = NULL, *canon = "relaxed/relaxed", *headers = NULL;
	struct dkim_sign_opts o = { 0 };
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--key") && i + 1 < argc)
			keyfile = argv[++i];
		else if (!strcmp(argv[i], "--domain") && i + 1 < argc)
			o.domain = slice_from_cstr(argv[++i]);
		else if (!strcmp(argv[i], "--selector") && i + 1 < argc)
			o.selector = slice_from_cstr(argv[++i]);
		else if (!strcmp(argv[i], "--identity") && i + 1 < argc)
			o.identity = slice_from_cstr(argv[++i]);
		else if (!strcmp(argv[i], "--canon") && i + 1 < argc)
			canon = argv[++i];
		else if (!strcmp(argv[i], "--headers") && i + 1 < argc)
			headers = argv[++i];
		else if (!strcmp(argv[i], "--l"))
			o.body_length = true;
		else if (!strcmp(argv[i], "--t") && i + 1 < argc) {
			if (!parse_u64(argv[++i], &o.t))
				return usage();
			o.have_t = true;
		} else if (!strcmp(argv[i], "--x") && i + 1 < argc) {
			if (!parse_u64(argv[++i], &o.x))
				return usage();
			o.have_x = true;
		} else if (argv[i][0] != '-' && !file)
			file = argv[i];
		else
			return usage();
	}
	if (!keyfile || !file || !o.domain.len || !o.selector.len)
		return usage();
	const char *slash = strchr(canon, '/');
	if (!slash)
		return usage();
	o.hcanon = strncmp(canon, "relaxed", 7) ? DKIM_CANON_SIMPLE : DKIM_CANON_RELAXED;
	o.bcanon = strcmp(slash + 1, "relaxed") ? DKIM_CANON_SIMPLE : DKIM_CANON_RELAXED;
	struct arena *a = arena_new(0);
	int ret = 1;
	size_t kl;
	char *key = testutil_read_file(keyfile, &kl);
	struct dkim_privkey pk;
	const char *detail = "";
	struct msg m;
	char e[512] = "";
	if (!key) {
		fprintf(stderr, "dkim_tool: cannot read %s\n", keyfile);
		goto out;
	}
	if (dkim_privkey_load_pem(a, slice_make(key, kl), &pk, &detail) != DKIM_OK) {
		fprintf(stderr, "dkim_tool: %s: %s\n", keyfile, detail);
		goto out;
	}
	if (msg_load_file(&m, a, file, e, sizeof e) != MSG_OK) {
		fprintf(stderr, "dkim_tool: %s\n", e[0] ? e : "cannot parse the message");
		goto out;
	}
	if (headers) {
		size_t n = 1;
		for (const char *c = headers; *c; c++)
			n += *c == ':';
		struct slice *h = arena_calloc(a, n, sizeof *h);
		size_t k = 0;
		const char *p = headers;
		for (;;) {
			const char *c = strchr(p, ':');
			size_t len = c ? (size_t)(c - p) : strlen(p);
			h[k++] = slice_make(p, len);
			if (!c)
				break;
			p = c + 1;
		}
		o.headers = h;
		o.nheaders = k;
	}
	struct slice sig;
	if (dkim_sign(a, &pk, &m, &o, &sig, &detail) != DKIM_OK) {
		fprintf(stderr, "dkim_tool: signing failed: %s\n", detail);
		goto out;
	}
	size_t fl;
	char *orig = testutil_read_file(file, &fl);
	if (!orig)
		goto out;
	print_slice(sig);
	printf("\r\n");
	fwrite(orig, 1, fl, stdout);
	free(orig);
	ret = 0;
out:
	free(key);
	arena_free(a);
	return ret;
}

/* --------------------------------------------------------- self check -- */

static int passed, failed;

static void report(bool ok, const char *what)
{
	printf("%s %s\n", ok ? "ok  " : "FAIL", what);
	if (ok)
		passed++;
	else
		failed++;
}

static int self_check(void)
{
	static const char text[] = "From: a@example.com\r\nTo: b@example.net\r\n"
	                           "Subject: self check\r\n\r\nline one\r\n\r\nline  two \r\n";
	char *rsa_pem, *rsa_rec, *ed_pem, *ed_rec;
	if (!dkimtest_genkey("rsa", 2048, &rsa_pem, &rsa_rec) ||
	    !dkimtest_genkey("ed25519", 0, &ed_pem, &ed_rec)) {
		printf("key generation failed\n0 passed, 1 failed\n");
		return 1;
	}
	struct dkimtest_zone z = { 0 };
	dkimtest_zone_txt(&z, "rsa._domainkey.example.com", rsa_rec, strlen(rsa_rec));
	dkimtest_zone_txt(&z, "ed._domainkey.example.com", ed_rec, strlen(ed_rec));
	struct dns_resolver *r = dkimtest_resolver(&z);
	report(r != NULL, "resolver from a zone file");
	for (int k = 0; r && k < 2; k++) {
		for (int c = 0; c < 4; c++) {
			struct arena *a = arena_new(0);
			struct dkim_privkey pk;
			struct msg m;
			struct dkim_sign_opts o = { 0 };
			o.domain = slice_from_cstr("example.com");
			o.selector = slice_from_cstr(k ? "ed" : "rsa");
			o.hcanon = (enum dkim_canon)(c >> 1);
			o.bcanon = (enum dkim_canon)(c & 1);
			o.body_length = c == 3;
			struct slice sig;
			bool ok = dkim_privkey_load_pem(a, slice_from_cstr(k ? ed_pem : rsa_pem), &pk,
			                                NULL) == DKIM_OK &&
			          msg_parse(&m, a, slice_make(text, sizeof text - 1)) == MSG_OK &&
			          dkim_sign(a, &pk, &m, &o, &sig, NULL) == DKIM_OK;
			struct dkim_verify_result res;
			if (ok) {
				struct buf b;
				buf_init(&b, a, 1 << 20);
				buf_add_slice(&b, sig);
				buf_add_cstr(&b, "\r\n");
				buf_add(&b, text, sizeof text - 1);
				struct msg m2;
				struct dkim_verify_opts vo = { 0 };
				ok = !b.err && msg_parse(&m2, a, buf_slice(&b)) == MSG_OK &&
				     dkim_verify(a, r, &m2, &vo, &res) == DKIM_OK && res.nsigs == 1 &&
				     res.sigs[0].result == DKIM_PASS;
			}
			char what[128];
			snprintf(what, sizeof what, "%s c=%s/%s%s signs and verifies",
			         k ? "ed25519-sha256" : "rsa-sha256", dkim_canon_str(o.hcanon),
			         dkim_canon_str(o.bcanon), o.body_length ? " l=" : "");
			report(ok, what);
			arena_free(a);
		}
	}
	if (r)
		dns_resolver_free(r);
	dkimtest_zone_free(&z);
	free(rsa_pem);
	free(rsa_rec);
	free(ed_pem);
	free(ed_rec);
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return self_check();
	if (!strcmp(argv[1], "verify"))
		return cmd_verify(argc - 2, argv + 2);
	if (!strcmp(argv[1], "sign"))
		return cmd_sign(argc - 2, argv + 2);
	return usage();
}
