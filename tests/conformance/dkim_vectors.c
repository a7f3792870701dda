/* dkim_vectors.c — DKIM verification against the public vectors in the
 * conformance data (see its README.md), all DNS served by the real resolver
 * from a zone file:
 *
 *   dkim-arc-mail-auth-rs/dkim/001-006  key records at the top, then the
 *       message (LF made CRLF); at now=1667843664 the last DKIM-Signature
 *       passes.  The LF form must give the same results.
 *   dkim-dkimpy: rfc6376.signed.msg, rfc6376.signed.rsa.msg (keys: the
 *       RFC 8032 7.1 key at brisbane, test.txt at test), ed25519test2.msg
 *       (eximtest.dns at sed._domainkey.test.ex): every signature passes, in
 *       LF and CRLF form.
 *   dkim-mail-dkim-perl: the corpus with FAKE_DNS.dat, judged per
 *       EXPECTED.tsv under RFC 6376 + RFC 8301: DomainKeys messages have no
 *       DKIM signature; pre-RFC versions, rsa-sha1 and short keys never
 *       pass, each for its own reason; the rest as Mail::DKIM says.
 *
 * Prints one line per case and ends with "N passed, M failed"; exits
 * non-zero on any failure or when the data is missing.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "arena.h"
#include "b64.h"
#include "dkim.h"
#include "dkimtest.h"
#include "dns.h"
#include "msg.h"
#include "testutil.h"

#define NOW_MAILAUTH_RS 1667843664ull

static int passed, failed;

static void report(bool ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void report(bool ok, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	printf("%s ", ok ? "ok  " : "FAIL");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	if (ok)
		passed++;
	else
		failed++;
}

static char *read_conf(const char *rel, size_t *len)
{
	const char *p = testutil_conformance_path(rel);
	if (!p)
		return NULL;
	char *d = testutil_read_file(p, len);
	if (!d)
		fprintf(stderr, "cannot read %s\n", p);
	return d;
}

/* Verify text; the result lives in arena a. */
static bool verify_text(struct arena *a, struct dns_resolver *r, const char *text, size_t len,
                        uint64_t now, struct dkim_verify_result *res)
{
	struct msg m;
	if (msg_parse(&m, a, slice_make(text, len)) != MSG_OK)
		return false;
	struct dkim_verify_opts o = { 0 };
	o.now = now;
	o.deadline_ms = dns_now_ms() + 5000;
	return dkim_verify(a, r, &m, &o, res) == DKIM_OK;
}

static void print_sigs(const struct dkim_verify_result *res)
{
	for (size_t i = 0; i < res->nsigs; i++) {
		const struct dkim_sig_result *s = &res->sigs[i];
		printf("       sig %zu d=%.*s s=%.*s a=%.*s: %s (%s) %s%s%s\n", i, (int)s->d.len,
		       s->d.ptr ? s->d.ptr : "", (int)s->s.len, s->s.ptr ? s->s.ptr : "",
		       (int)s->a.len, s->a.ptr ? s->a.ptr : "", dkim_result_str(s->result),
		       dkim_status_str(s->status), dkim_reason_str(s->reason),
		       s->detail[0] ? ": " : "", s->detail);
	}
}

static bool same_results(const struct dkim_verify_result *x, const struct dkim_verify_result *y)
{
	if (x->nsigs != y->nsigs)
		return false;
	for (size_t i = 0; i < x->nsigs; i++)
		if (x->sigs[i].result != y->sigs[i].result || x->sigs[i].reason != y->sigs[i].reason)
			return false;
	return true;
}

/* ------------------------------------------------ mail-auth-rs dkim -- */

static void run_mail_auth_rs(void)
{
	for (int n = 1; n <= 6; n++) {
		char rel[128];
		snprintf(rel, sizeof rel, "dkim-arc-mail-auth-rs/dkim/%03d.txt", n);
		size_t len;
		char *data = read_conf(rel, &len);
		if (!data) {
			report(false, "%s: data missing", rel);
			continue;
		}
		/* Records up to the first empty line: "name value". */
		struct dkimtest_zone z = { 0 };
		char *p = data, *end = data + len;
		while (p < end && *p != '\n') {
			char *nl = memchr(p, '\n', (size_t)(end - p));
			if (!nl)
				nl = end;
			char *sp = memchr(p, ' ', (size_t)(nl - p));
			if (sp) {
				char name[512];
				snprintf(name, sizeof name, "%.*s", (int)(sp - p), p);
				dkimtest_zone_txt(&z, name, sp + 1, (size_t)(nl - sp - 1));
			}
			p = nl < end ? nl + 1 : end;
		}
		if (p < end)
			p++; /* the empty line */
		struct dns_resolver *r = dkimtest_resolver(&z);
		size_t clen;
		char *crlf = dkimtest_crlf(p, (size_t)(end - p), &clen);
		struct arena *a = arena_new(0);
		struct dkim_verify_result res, reslf;
		bool ok = r && verify_text(a, r, crlf, clen, NOW_MAILAUTH_RS, &res);
		bool last_pass = ok && res.nsigs > 0 && res.sigs[res.nsigs - 1].result == DKIM_PASS;
		report(last_pass, "%s: last of %zu DKIM-Signature passes", rel, ok ? res.nsigs : 0);
		if (ok)
			print_sigs(&res);
		bool ok2 = r && verify_text(a, r, p, (size_t)(end - p), NOW_MAILAUTH_RS, &reslf);
		report(ok && ok2 && same_results(&res, &reslf),
		       "%s: LF line ends give the same results", rel);
		arena_free(a);
		free(crlf);
		if (r)
			dns_resolver_free(r);
		dkimtest_zone_free(&z);
		free(data);
	}
}

/* ------------------------------------------------------------ dkimpy -- */

static char *trim_copy(const char *p, size_t len)
{
	while (len && (p[len - 1] == '\n' || p[len - 1] == '\r' || p[len - 1] == ' '))
		len--;
	char *o = malloc(len + 1);
	memcpy(o, p, len);
	o[len] = '\0';
	return o;
}

/* The key record for the RFC 8032 7.1 private key: its public half,
 * derived here with OpenSSL rather than copied from a record. */
static char *ed25519_record_from_seed_file(const char *rel)
{
	size_t len;
	char *seed = read_conf(rel, &len);
	if (!seed)
		return NULL;
	struct arena *a = arena_new(0);
	struct dkim_privkey k;
	char *out = NULL;
	if (dkim_privkey_load_pem(a, slice_make(seed, len), &k, NULL) == DKIM_OK &&
	    k.type == DKIM_KEY_ED25519) {
		unsigned char raw[32];
		size_t rl = sizeof raw;
		if (EVP_PKEY_get_raw_public_key(k.pkey, raw, &rl) == 1) {
			struct slice e = b64_encode(a, raw, rl);
			size_t n = e.len + 64;
			out = malloc(n);
			snprintf(out, n, "v=DKIM1; k=ed25519; p=%.*s", (int)e.len, e.ptr);
		}
	}
	arena_free(a);
	free(seed);
	return out;
}

static void run_dkimpy_one(struct dns_resolver *r, const char *file)
{
	char rel[256];
	snprintf(rel, sizeof rel, "dkim-dkimpy/data/%s", file);
	size_t len;
	char *data = read_conf(rel, &len);
	if (!data) {
		report(false, "%s: data missing", rel);
		return;
	}
	size_t clen;
	char *crlf = dkimtest_crlf(data, len, &clen);
	for (int form = 0; form < 2; form++) {
		struct arena *a = arena_new(0);
		struct dkim_verify_result res;
		bool ok = r && verify_text(a, r, form ? crlf : data, form ? clen : len,
		                           NOW_MAILAUTH_RS, &res);
		bool all = ok && res.nsigs > 0;
		for (size_t i = 0; all && i < res.nsigs; i++)
			all = res.sigs[i].result == DKIM_PASS;
		report(all, "%s (%s): all %zu signatures pass", rel, form ? "CRLF" : "LF",
		       ok ? res.nsigs : 0);
		if (ok)
			print_sigs(&res);
		arena_free(a);
	}
	free(crlf);
	free(data);
}

static void run_dkimpy(void)
{
	struct dkimtest_zone z = { 0 };
	char *brisbane = ed25519_record_from_seed_file("dkim-dkimpy/data/rfc8032_7_1.key");
	size_t l1 = 0, l2 = 0;
	char *test = read_conf("dkim-dkimpy/data/test.txt", &l1);
	char *exim = read_conf("dkim-dkimpy/data/eximtest.dns", &l2);
	if (!brisbane || !test || !exim) {
		report(false, "dkim-dkimpy key files missing or unreadable");
	} else {
		dkimtest_zone_txt(&z, "brisbane._domainkey.football.example.com", brisbane,
		                  strlen(brisbane));
		char *t = trim_copy(test, l1), *e = trim_copy(exim, l2);
		dkimtest_zone_txt(&z, "test._domainkey.football.example.com", t, strlen(t));
		dkimtest_zone_txt(&z, "sed._domainkey.test.ex", e, strlen(e));
		free(t);
		free(e);
		struct dns_resolver *r = dkimtest_resolver(&z);
		run_dkimpy_one(r, "rfc6376.signed.msg");
		run_dkimpy_one(r, "rfc6376.signed.rsa.msg");
		run_dkimpy_one(r, "ed25519test2.msg");
		if (r)
			dns_resolver_free(r);
	}
	free(brisbane);
	free(test);
	free(exim);
	dkimtest_zone_free(&z);
}

/* ------------------------------------------------------- Mail::DKIM -- */

static struct dns_resolver *mail_dkim_resolver(void)
{
	size_t len;
	char *d = read_conf("dkim-mail-dkim-perl/FAKE_DNS.dat", &len);
	if (!d)
		return NULL;
	struct dkimtest_zone z = { 0 };
	char *p = d, *end = d + len;
	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			nl = end;
		char *le = nl;
		while (le > p && (le[-1] == '\r' || le[-1] == ' ' || le[-1] == '\t'))
			le--;
		if (le > p && *p != '#' && *p != ';') {
			char *sp = p;
			while (sp < le && *sp != ' ' && *sp != '\t')
				sp++;
			char *v = sp;
			while (v < le && (*v == ' ' || *v == '\t'))
				v++;
			char name[512];
			snprintf(name, sizeof name, "%.*s", (int)(sp - p), p);
			size_t vl = (size_t)(le - v);
			if (vl == 8 && !memcmp(v, "NXDOMAIN", 8)) {
				/* no record: the zone answers NXDOMAIN */
			} else if (vl >= 4 && !memcmp(v, "~~", 2) && !memcmp(le - 2, "~~", 2)) {
				dkimtest_zone_timeout(&z, name);
			} else if (vl == 2 && !memcmp(v, "\"\"", 2)) {
				dkimtest_zone_txt(&z, name, "", 0);
			} else {
				dkimtest_zone_txt(&z, name, v, vl);
			}
		}
		p = nl < end ? nl + 1 : end;
	}
	struct dns_resolver *r = dkimtest_resolver(&z);
	dkimtest_zone_free(&z);
	free(d);
	return r;
}

/* One signature entry of EXPECTED.tsv: "DKIM v=1 a=rsa-sha1 s=x d=y key=z". */
struct tsv_sig {
	bool dk;
	char v[16], a[32], key[64];
};

static void tsv_field(const char *entry, const char *tag, char *out, size_t outlen)
{
	out[0] = '\0';
	const char *p = strstr(entry, tag);
	if (!p)
		return;
	p += strlen(tag);
	size_t n = strcspn(p, " |\t");
	snprintf(out, outlen, "%.*s", (int)n, p);
}

static bool reason_in(enum dkim_reason r, const enum dkim_reason *set, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (set[i] == r)
			return true;
	return false;
}

/* The judgement for one DKIM signature under RFC 6376 + RFC 8301. */
static bool judge_sig(const struct tsv_sig *t, const char *mail_dkim, const struct dkim_sig_result *s,
                      char *why, size_t whylen)
{
	static const enum dkim_reason sha1_set[] = {
		DKIM_R_ALGORITHM_INSECURE, DKIM_R_ALGORITHM_UNSUPPORTED, DKIM_R_SIGNATURE_SYNTAX,
		DKIM_R_SIGNATURE_EXPIRED, DKIM_R_IDENTITY_MISMATCH,
	};
	static const enum dkim_reason version_set[] = { DKIM_R_SIGNATURE_VERSION };
	static const enum dkim_reason broken_set[] = { DKIM_R_SIGNATURE_SYNTAX,
		                                       DKIM_R_SIGNATURE_VERSION };
	static const enum dkim_reason short_set[] = { DKIM_R_PUBKEY_TOO_SHORT,
		                                      DKIM_R_PUBKEY_MISMATCH };
	static const enum dkim_reason nokey_set[] = { DKIM_R_PUBKEY_UNAVAILABLE };
	static const enum dkim_reason revoked_set[] = { DKIM_R_PUBKEY_REVOKED,
		                                        DKIM_R_PUBKEY_DNS_SYNTAX };
	static const enum dkim_reason der_set[] = { DKIM_R_PUBKEY_DER_SYNTAX };
	static const enum dkim_reason pass_set[] = { DKIM_R_OK };
	static const enum dkim_reason fail_set[] = { DKIM_R_BODYHASH_MISMATCH,
		                                     DKIM_R_SIGNATURE_INCORRECT };
	const enum dkim_reason *set;
	size_t n;
	const char *rule;
#define SET(x, r) (set = (x), n = sizeof(x) / sizeof((x)[0]), rule = (r))
	if (!strcmp(t->v, "-") && !strcmp(t->a, "-"))
		SET(broken_set, "unparseable signature");
	else if (strcmp(t->v, "1"))
		SET(version_set, "v= is not 1 (RFC 6376 6.1.1)");
	else if (!strcmp(t->a, "rsa-sha1"))
		SET(sha1_set, "rsa-sha1 never passes (RFC 8301 3.1)");
	else if (!strncmp(t->key, "rsa-", 4) && atoi(t->key + 4) < 1024)
		SET(short_set, "RSA key under 1024 bits (RFC 8301 3.2)");
	else if (!strcmp(t->key, "not-in-FAKE_DNS") || !strcmp(t->key, "NXDOMAIN"))
		SET(nokey_set, "no key record");
	else if (!strcmp(t->key, "revoked/empty"))
		SET(revoked_set, "revoked or empty key record");
	else if (!strncmp(t->key, "ed25519/", 8) && strcmp(t->key, "ed25519/32-byte"))
		SET(der_set, "Ed25519 key not 32 bytes (RFC 8463 4)");
	else if (!strncmp(mail_dkim, "pass", 4))
		SET(pass_set, "passes");
	else if (!strncmp(mail_dkim, "fail", 4))
		SET(fail_set, "fails (body or signature)");
	else
		SET(pass_set, "invalid"); /* any non-pass, handled below */
#undef SET
	bool ok;
	if (!strncmp(mail_dkim, "invalid", 7) && set == pass_set && n == 1 &&
	    !strcmp(rule, "invalid"))
		ok = s->result != DKIM_PASS;
	else
		ok = reason_in(s->reason, set, n);
	/* The no-key case is also permerror, not temperror (NXDOMAIN). */
	if (ok && set == nokey_set)
		ok = s->result == DKIM_PERMERROR;
	snprintf(why, whylen, "%s: got %s/%s", rule, dkim_result_str(s->result),
	         dkim_reason_str(s->reason));
	return ok;
}

static void run_mail_dkim(void)
{
	size_t len;
	char *tsv = read_conf("dkim-mail-dkim-perl/EXPECTED.tsv", &len);
	struct dns_resolver *r = mail_dkim_resolver();
	if (!tsv || !r) {
		report(false, "dkim-mail-dkim-perl: data missing");
		free(tsv);
		if (r)
			dns_resolver_free(r);
		return;
	}
	int rows = 0;
	char *line = tsv, *end = tsv + len;
	while (line < end) {
		char *nl = memchr(line, '\n', (size_t)(end - line));
		if (!nl)
			nl = end;
		*nl = '\0';
		char *cols[6] = { 0 };
		int nc = 0;
		if (line[0] != '#' && strncmp(line, "file\t", 5) != 0 && line[0]) {
			char *c = line;
			while (nc < 6) {
				cols[nc++] = c;
				char *tab = strchr(c, '\t');
				if (!tab)
					break;
				*tab = '\0';
				c = tab + 1;
			}
		}
		line = nl + 1;
		if (nc < 3)
			continue;
		rows++;
		const char *file = cols[0], *expect = cols[1], *sigs = cols[2];
		struct tsv_sig ts[8];
		size_t nts = 0, ndkim = 0;
		const char *e = sigs;
		while (e && *e && nts < 8) {
			struct tsv_sig *t = &ts[nts++];
			t->dk = strncmp(e, "DK ", 3) == 0;
			tsv_field(e, "v=", t->v, sizeof t->v);
			tsv_field(e, "a=", t->a, sizeof t->a);
			tsv_field(e, "key=", t->key, sizeof t->key);
			if (!t->dk)
				ndkim++;
			e = strchr(e, '|');
			if (e)
				e += 2;
		}
		char rel[256];
		snprintf(rel, sizeof rel, "dkim-mail-dkim-perl/corpus/%s", file);
		size_t ml;
		char *msgtext = read_conf(rel, &ml);
		if (!msgtext) {
			report(false, "%s: data missing", file);
			continue;
		}
		struct arena *a = arena_new(0);
		struct dkim_verify_result res;
		bool ran = verify_text(a, r, msgtext, ml, 0, &res);
		char why[512] = "";
		bool ok = ran;
		if (ran && ndkim == 0) {
			ok = res.nsigs == 0 && res.status == DKIM_ST_NONE;
			snprintf(why, sizeof why, "DomainKeys only: no DKIM signature, status %s",
			         dkim_status_str(res.status));
		} else if (ran) {
			ok = res.nsigs == ndkim;
			if (!ok)
				snprintf(why, sizeof why, "%zu signatures found, %zu listed", res.nsigs,
				         ndkim);
			size_t k = 0;
			for (size_t i = 0; ok && i < nts; i++) {
				if (ts[i].dk)
					continue;
				char w[256];
				ok = judge_sig(&ts[i], expect, &res.sigs[k], w, sizeof w);
				size_t used = strlen(why);
				snprintf(why + used, sizeof why - used, "%s[%zu] %s", used ? "; " : "", k,
				         w);
				k++;
			}
		}
		report(ok, "%s (Mail::DKIM: %s): %s", file, expect, why);
		if (!ok && ran)
			print_sigs(&res);
		arena_free(a);
		free(msgtext);
	}
	report(rows == 79, "dkim-mail-dkim-perl: %d rows in EXPECTED.tsv (79 expected)", rows);
	dns_resolver_free(r);
	free(tsv);
}

int main(void)
{
	if (!testutil_conformance_path("README.md")) {
		printf("conformance data missing\n0 passed, 1 failed\n");
		return 1;
	}
	run_mail_auth_rs();
	run_dkimpy();
	run_mail_dkim();
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
