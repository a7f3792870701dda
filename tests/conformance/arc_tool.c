/* arc_tool.c — ARC driver for the interoperability tests
 * (tests/interop/arc_dkimpy.sh) and a self-check when run alone.
 *
 *   arc_tool verify --zone FILE [--now EPOCH] MESSAGE
 *       arc_state=WORD, arc_state_reason=TEXT, arc_domains=LIST,
 *       arc_oldest_pass=N, one per line, then
 *       ar=<the arc resinfo of Authentication-Results>
 *   arc_tool seal --zone FILE --key PEMFILE --domain D --selector S
 *                 [--srv-id ID] [--now EPOCH] [--headers a:b:c] MESSAGE
 *       verifies the chain, writes our Authentication-Results payload
 *       ("ID; arc=..."), seals, and prints the message with the new ARC set
 *       on top (line ends as in the message).  Exit status 3 when the chain
 *       cannot be continued (the message is printed unchanged).
 *   arc_tool     (no arguments) builds three-hop chains with fresh RSA and
 *       Ed25519 keys, verifies them through a zone file, tampers with them,
 *       and prints "N passed, M failed" (it is built with the conformance
 *       runners, which the test driver runs without arguments).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ar.h"
#include "arc.h"
#include "arena.h"
#include "dkimtest.h"
#include "dns.h"
#include "msg.h"
#include "testutil.h"

static int usage(void)
{
	fprintf(stderr,
	        "usage: arc_tool verify --zone FILE [--now EPOCH] MESSAGE\n"
	        "       arc_tool seal --zone FILE --key PEMFILE --domain D --selector S\n"
	        "                     [--srv-id ID] [--now EPOCH] [--headers a:b:c] MESSAGE\n");
	return 2;
}

static struct dns_resolver *zone_resolver(const char *zone)
{
	char spec[4096], err[512];
	snprintf(spec, sizeof spec, "zone:%s", zone);
	struct dns_resolver *r = dns_resolver_new(spec, err, sizeof err);
	if (!r)
		fprintf(stderr, "arc_tool: %s\n", err);
	return r;
}

static void print_slice(struct slice s)
{
	fwrite(s.ptr ? s.ptr : "", 1, s.len, stdout);
}

/* Verify raw; NULL on error (message printed). */
static bool verify_raw(struct dns_resolver *r, struct arena *a, struct slice raw, uint64_t now,
                       struct msg *m, struct arc_result *res)
{
	if (msg_parse(m, a, raw) != MSG_OK) {
		fprintf(stderr, "arc_tool: cannot parse the message\n");
		return false;
	}
	if (arc_verify(r, a, m, now, 0, res) != ARC_OK) {
		fprintf(stderr, "arc_tool: verification error\n");
		return false;
	}
	return true;
}

/* Seal raw: *out gets the new message (arena), or raw when nothing was
 * added (*sealed false). */
static int seal_raw(struct dns_resolver *r, struct arena *a, struct slice raw,
                    struct slice key_pem, const char *domain, const char *selector,
                    const char *srv_id, const struct slice *headers, size_t nheaders,
                    uint64_t now, struct slice *out, bool *sealed)
{
	struct msg m;
	struct arc_result res;
	*out = raw;
	*sealed = false;
	if (!verify_raw(r, a, raw, now, &m, &res))
		return 1;
	const char *nl = memchr(raw.ptr, '\n', raw.len);
	bool crlf = nl && nl > raw.ptr && nl[-1] == '\r';
	struct ar_builder w;
	ar_begin(&w, a, slice_from_cstr(srv_id), crlf);
	arc_ar_add(&w, a, &res, SLICE_LIT("192.0.2.1"));
	struct slice payload = ar_value(&w);
	struct arc_seal_params p;
	memset(&p, 0, sizeof p);
	p.domain = slice_from_cstr(domain);
	p.selector = slice_from_cstr(selector);
	p.key_pem = key_pem;
	p.headers = headers;
	p.nheaders = nheaders;
	p.lf_only = !crlf;
	struct arc_sealed s;
	const char *detail = NULL;
	int rc = arc_seal_message(a, &m, &p, &res, payload, now, &s, &detail);
	if (rc) {
		fprintf(stderr, "arc_tool: seal error %d: %s\n", rc, detail ? detail : "");
		return 1;
	}
	if (!s.sealed) {
		fprintf(stderr, "arc_tool: not sealed: %s\n", s.why);
		return 0;
	}
	struct buf b;
	buf_init(&b, a, s.block.len + raw.len + 1);
	buf_add_slice(&b, s.block);
	buf_add_slice(&b, raw);
	if (b.err)
		return 1;
	*out = buf_slice(&b);
	*sealed = true;
	return 0;
}

static int cmd_verify(int argc, char **argv)
{
	const char *zone = NULL, *file = NULL;
	uint64_t now = 0;
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--zone") && i + 1 < argc)
			zone = argv[++i];
		else if (!strcmp(argv[i], "--now") && i + 1 < argc) {
			if (!slice_parse_u64(slice_from_cstr(argv[++i]), UINT64_MAX, &now))
				return usage();
		} else if (argv[i][0] != '-' && !file)
			file = argv[i];
		else
			return usage();
	}
	if (!zone || !file)
		return usage();
	struct dns_resolver *r = zone_resolver(zone);
	if (!r)
		return 1;
	size_t len;
	char *raw = testutil_read_file(file, &len);
	struct arena *a = arena_new(0);
	struct msg m;
	struct arc_result res;
	int rc = 1;
	if (raw && a && verify_raw(r, a, slice_make(raw, len), now, &m, &res)) {
		struct fields fs;
		fields_init(&fs, a);
		arc_result_fields(&res, &fs);
		static const char *const names[] = { "arc_state", "arc_state_reason", "arc_domains",
		                                      "arc_oldest_pass" };
		for (size_t i = 0; i < 4; i++) {
			const struct field *f = fields_get(&fs, slice_from_cstr(names[i]));
			printf("%s=", names[i]);
			if (f)
				print_slice(f->value);
			printf("\n");
		}
		struct ar_builder w;
		ar_begin(&w, a, SLICE_LIT("verifier.test"), false);
		arc_ar_add(&w, a, &res, SLICE_LIT("192.0.2.1"));
		printf("ar=");
		print_slice(ar_value(&w));
		printf("\n");
		rc = 0;
	}
	arena_free(a);
	free(raw);
	dns_resolver_free(r);
	return rc;
}

static int cmd_seal(int argc, char **argv)
{
	const char *zone = NULL, *file = NULL, *keyfile = NULL, *domain = NULL, *sel = NULL;
	const char *srv = "sealer.test", *hdrs = NULL;
	uint64_t now = 0;
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--zone") && i + 1 < argc)
			zone = argv[++i];
		else if (!strcmp(argv[i], "--key") && i + 1 < argc)
			keyfile = argv[++i];
		else if (!strcmp(argv[i], "--domain") && i + 1 < argc)
			domain = argv[++i];
		else if (!strcmp(argv[i], "--selector") && i + 1 < argc)
			sel = argv[++i];
		else if (!strcmp(argv[i], "--srv-id") && i + 1 < argc)
			srv = argv[++i];
		else if (!strcmp(argv[i], "--headers") && i + 1 < argc)
			hdrs = argv[++i];
		else if (!strcmp(argv[i], "--now") && i + 1 < argc) {
			if (!slice_parse_u64(slice_from_cstr(argv[++i]), UINT64_MAX, &now))
				return usage();
		} else if (argv[i][0] != '-' && !file)
			file = argv[i];
		else
			return usage();
	}
	if (!zone || !file || !keyfile || !domain || !sel)
		return usage();
	struct dns_resolver *r = zone_resolver(zone);
	if (!r)
		return 1;
	size_t len, klen;
	char *raw = testutil_read_file(file, &len);
	char *key = testutil_read_file(keyfile, &klen);
	struct arena *a = arena_new(0);
	int rc = 1;
	struct slice names[256];
	size_t nn = 0;
	if (hdrs) {
		struct slice rest = slice_from_cstr(hdrs);
		while (rest.len && nn < 256) {
			struct slice item, tail;
			if (!slice_split_byte(rest, ':', &item, &tail))
				tail = slice_make(rest.ptr + rest.len, 0);
			names[nn++] = item;
			rest = tail;
		}
	}
	if (raw && key && a) {
		struct slice out;
		bool sealed;
		rc = seal_raw(r, a, slice_make(raw, len), slice_make(key, klen), domain, sel, srv,
		              nn ? names : NULL, nn, now, &out, &sealed);
		if (rc == 0) {
			print_slice(out);
			rc = sealed ? 0 : 3;
		}
	}
	arena_free(a);
	free(raw);
	free(key);
	dns_resolver_free(r);
	return rc;
}

/* --------------------------------------------------------- self check -- */

static int n_pass, n_fail;

static void check(bool ok, const char *what, const struct arc_result *res)
{
	if (ok)
		n_pass++;
	else
		n_fail++;
	printf("%s %s", ok ? "ok  " : "FAIL", what);
	if (res)
		printf(" (arc=%s%s%s i=%u oldest-pass=%u domains=%.*s)", arc_state_str(res->state),
		       res->reason[0] ? ": " : "", res->reason, res->instances, res->oldest_pass,
		       (int)res->domains.len, res->domains.ptr ? res->domains.ptr : "");
	printf("\n");
}

/* Replace the first occurrence of from by to in s (arena copy). */
static struct slice replace(struct arena *a, struct slice s, const char *from, const char *to)
{
	size_t fl = strlen(from), tl = strlen(to);
	for (size_t i = 0; i + fl <= s.len; i++) {
		if (memcmp(s.ptr + i, from, fl) != 0)
			continue;
		struct buf b;
		buf_init(&b, a, s.len + tl + 1);
		buf_add(&b, s.ptr, i);
		buf_add(&b, to, tl);
		buf_add(&b, s.ptr + i + fl, s.len - i - fl);
		return buf_slice(&b);
	}
	return s;
}

static enum arc_state state_of(struct dns_resolver *r, struct arena *a, struct slice raw,
                               struct arc_result *res)
{
	struct msg m;
	if (!verify_raw(r, a, raw, 0, &m, res))
		return (enum arc_state)-1;
	return res->state;
}

static int self_check(void)
{
	char *rsa_pem = NULL, *rsa_rec = NULL, *ed_pem = NULL, *ed_rec = NULL;
	if (!dkimtest_genkey("rsa", 2048, &rsa_pem, &rsa_rec) ||
	    !dkimtest_genkey("ed25519", 0, &ed_pem, &ed_rec)) {
		printf("key generation failed\n0 passed, 1 failed\n");
		return 1;
	}
	struct dkimtest_zone z = { 0 };
	dkimtest_zone_txt(&z, "rsa._domainkey.a.example", rsa_rec, strlen(rsa_rec));
	dkimtest_zone_txt(&z, "ed._domainkey.b.example", ed_rec, strlen(ed_rec));
	dkimtest_zone_txt(&z, "rsa._domainkey.c.example", rsa_rec, strlen(rsa_rec));
	struct dns_resolver *r = dkimtest_resolver(&z);
	struct arena *a = arena_new(0);
	if (!r || !a) {
		printf("setup failed\n0 passed, 1 failed\n");
		return 1;
	}
	static const char msg[] =
		"Received: from client.example.net by mx.a.example; Tue, 14 Nov 2023 22:13:20 +0000\r\n"
		"DKIM-Signature: v=1; a=rsa-sha256; d=author.example; s=x; h=from; bh=AAAA; b=AAAA\r\n"
		"From: Joe <joe@author.example>\r\n"
		"To: list@a.example\r\n"
		"Subject: three hops\r\n"
		"Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n"
		"Message-ID: <arc-self@author.example>\r\n"
		"MIME-Version: 1.0\r\n"
		"\r\n"
		"Hello  there.\r\n"
		"\r\n";
	struct slice rsa = slice_from_cstr(rsa_pem), ed = slice_from_cstr(ed_pem);
	struct slice m0 = slice_make(msg, sizeof msg - 1), m1, m2, m3;
	bool s1, s2, s3;
	struct arc_result res;
	int rc = seal_raw(r, a, m0, rsa, "a.example", "rsa", "a.example", NULL, 0, 0, &m1, &s1);
	check(rc == 0 && s1 && state_of(r, a, m1, &res) == ARC_PASS && res.oldest_pass == 1,
	      "one RSA seal verifies", &res);
	rc = seal_raw(r, a, m1, ed, "b.example", "ed", "b.example", NULL, 0, 0, &m2, &s2);
	check(rc == 0 && s2 && state_of(r, a, m2, &res) == ARC_PASS && res.instances == 2,
	      "an Ed25519 seal on top verifies", &res);
	rc = seal_raw(r, a, m2, rsa, "c.example", "rsa", "c.example", NULL, 0, 0, &m3, &s3);
	check(rc == 0 && s3 && state_of(r, a, m3, &res) == ARC_PASS && res.instances == 3 &&
	          res.oldest_pass == 1 &&
	          slice_eq(res.domains, SLICE_LIT("a.example:b.example:c.example")),
	      "a three-hop chain verifies with every AMS passing", &res);

	struct slice t = replace(a, m3, "Hello  there.", "Hello  there!");
	check(state_of(r, a, t, &res) == ARC_FAIL, "a changed body fails", &res);
	t = replace(a, m3, "Subject: three hops", "Subject: three hops!");
	check(state_of(r, a, t, &res) == ARC_FAIL, "a changed Subject fails", &res);
	t = replace(a, m3, "arc=none", "arc=pass");
	check(state_of(r, a, t, &res) == ARC_FAIL, "a changed AAR of i=1 fails", &res);
	t = replace(a, m3, "ARC-Seal: i=2;", "X-Old-Seal: i=2;");
	check(state_of(r, a, t, &res) == ARC_FAIL, "a removed ARC-Seal fails", &res);

	/* Change the body after hop 1: hop 2 finds the chain failing, seals
	 * with cv=fail over its own set only (RFC 8617 5.1.2); the chain then
	 * fails everywhere and is not continued. */
	struct slice m1x = replace(a, m1, "Hello  there.", "Hello there, from the list.");
	struct slice m2x;
	bool sx;
	rc = seal_raw(r, a, m1x, ed, "b.example", "ed", "b.example", NULL, 0, 0, &m2x, &sx);
	check(rc == 0 && sx && state_of(r, a, m2x, &res) == ARC_FAIL && res.top_cv_fail,
	      "a hop that received a broken chain seals cv=fail, which then fails", &res);
	struct slice m3x;
	rc = seal_raw(r, a, m2x, rsa, "c.example", "rsa", "c.example", NULL, 0, 0, &m3x, &sx);
	check(rc == 0 && !sx, "a chain ended by cv=fail is not continued", NULL);

	arena_free(a);
	dns_resolver_free(r);
	dkimtest_zone_free(&z);
	free(rsa_pem);
	free(rsa_rec);
	free(ed_pem);
	free(ed_rec);
	printf("%d passed, %d failed\n", n_pass, n_fail);
	return n_fail ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return self_check();
	if (!strcmp(argv[1], "verify"))
		return cmd_verify(argc - 2, argv + 2);
	if (!strcmp(argv[1], "seal"))
		return cmd_seal(argc - 2, argv + 2);
	return usage();
}
