/* arc_suite.c — ARC (RFC 8617) conformance: the ValiMail ARC test suite
 * (validation and signing) and the two ARC vectors of Stalwart mail-auth.
 *
 * Data: ../shared/conformance/arc-valimail/arc-draft-validation-tests.yml,
 * arc-draft-sign-tests.yml and dkim-arc-mail-auth-rs/arc/00{1,2}.txt (see
 * the README there).  Missing data is a failure, never a skip.
 *
 * YAML is read with libyaml's document API and every mapping is walked pair
 * by pair, so the four test names that appear twice in the "Arc Seal
 * Fields" scenario both run (a mapping loader keeps one of each): all 175
 * validation entries are counted and the count is checked.
 *
 * DNS: each scenario's txt-records are written to a zone file and served by
 * the real DNS layer (resolver "zone:/path", libunbound).  A multi-line
 * YAML value becomes several TXT character-strings.
 *
 * Where the suite (written for draft-ietf-dmarc-arc-protocol-18) and RFC
 * 8617 disagree the RFC wins, and every such case is listed by name with the
 * section:
 *   - a blank cv (three cases, upstream issue #9): RFC 8617 5.2 steps 2 and
 *     3 make such chains fail;
 *   - ams_fields_h_empty: RFC 6376 3.5 (sig-h-tag has at least one name)
 *     and 5.4 (From signed), which RFC 8617 4.1.2 imports: fail;
 *   - ams_fields_h_includes_ams: RFC 8617 4.1.2 forbids ARC-Message-
 *     Signature in the AMS h=: fail;
 *   - ams_fields_c_na: RFC 8617 4.1.2 gives the AMS DKIM-Signature's
 *     semantics but for three listed differences, so a missing c= is RFC
 *     6376 3.5's simple/simple; the suite's signature was made with relaxed
 *     header canonicalization (the draft-era reference verifier assumed
 *     relaxed/relaxed), so it does not verify: fail.
 * Signing cases: the runner builds the Authentication-Results payload the
 * way the suite intends (every Authentication-Results field of srv-id
 * merged), takes the chain state from its arc= result (the evaluation the
 * sealer made; without one, from our own verification) and compares the
 * AAR and AS (and AMS) values as sets of tag=value items with all
 * whitespace removed, as the suite's own harness does.  The suite's
 * signatures were made with all tags in alphabetical order, so the seal is
 * made with that layout (alpha_tag_order) to reproduce them; the same
 * seal in RFC 8617's layout (i= first, the ABNF of 4.1.2 and 4.1.3) must
 * then hold the same items but b= and validate.
 *
 * Output: one line per failure (all cases with -v), the list of RFC
 * overrides, then "N passed, M failed".  Exit status 1 on any failure.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <yaml.h>

#include "arc.h"
#include "arc_testkit.h"
#include "ar.h"
#include "dns.h"
#include "msg.h"
#include "testutil.h"

static int n_pass, n_fail, verbose;
static int n_validation_entries;

struct override {
	const char *name;
	const char *rfc;
};

/* Cases where RFC 8617 (or RFC 6376 as it imports it) overrides the suite. */
static const struct override overrides[] = {
	{ "cv_fail_i1_as_cv_fail", "RFC 8617 5.2 step 2 (blank expectation, upstream issue #9)" },
	{ "cv_fail_i2_as2_fail", "RFC 8617 5.2 step 2 (blank expectation, upstream issue #9)" },
	{ "cv_fail_i2_as1_fail", "RFC 8617 5.2 step 3.3 (blank expectation, upstream issue #9)" },
	{ "ams_fields_h_empty", "RFC 8617 4.1.2 with RFC 6376 3.5 / 5.4 (h= needs From)" },
	{ "ams_fields_h_includes_ams", "RFC 8617 4.1.2 (no ARC-Message-Signature in h=)" },
	{ "ams_fields_c_na", "RFC 8617 4.1.2 with RFC 6376 3.5 (no c= means simple/simple; "
	                     "the suite's AMS was made relaxed)" },
};

static const struct override *override_for(const char *name)
{
	for (size_t i = 0; i < sizeof overrides / sizeof overrides[0]; i++)
		if (strcmp(overrides[i].name, name) == 0)
			return &overrides[i];
	return NULL;
}

struct override_seen {
	char line[512];
};
static struct override_seen seen[32];
static size_t nseen;

static void result(bool ok, const char *group, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void result(bool ok, const char *group, const char *name, const char *fmt, ...)
{
	va_list ap;
	if (ok)
		n_pass++;
	else
		n_fail++;
	if (!ok || verbose) {
		printf("%s %s/%s: ", ok ? "ok  " : "FAIL", group, name);
		va_start(ap, fmt);
		vprintf(fmt, ap);
		va_end(ap);
		printf("\n");
	}
}

/* ------------------------------------------------------------- YAML -- */

static yaml_node_t *ynode(yaml_document_t *d, int idx)
{
	return yaml_document_get_node(d, idx);
}

static bool yscalar(yaml_node_t *n, const char **s, size_t *len)
{
	if (!n || n->type != YAML_SCALAR_NODE)
		return false;
	*s = (const char *)n->data.scalar.value;
	*len = n->data.scalar.length;
	return true;
}

static bool ykey_is(yaml_document_t *d, yaml_node_pair_t *p, const char *k)
{
	const char *s;
	size_t n;
	return yscalar(ynode(d, p->key), &s, &n) && n == strlen(k) && memcmp(s, k, n) == 0;
}

/* The value of key k in mapping m (the first such pair), or NULL. */
static yaml_node_t *yget(yaml_document_t *d, yaml_node_t *m, const char *k)
{
	if (!m || m->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++)
		if (ykey_is(d, p, k))
			return ynode(d, p->value);
	return NULL;
}

static const char *yget_str(yaml_document_t *d, yaml_node_t *m, const char *k, size_t *len)
{
	const char *s;
	size_t n;
	if (!yscalar(yget(d, m, k), &s, &n))
		return NULL;
	if (len)
		*len = n;
	return s;
}

/* ------------------------------------------------------------- DNS -- */

/* A zone file holding the scenario's txt-records; the resolver serving
 * it.  NULL on failure (message printed). */
static struct dns_resolver *zone_resolver(yaml_document_t *d, yaml_node_t *recs, char **path)
{
	*path = NULL;
	char tmpl[] = "/tmp/arc-suite-zone-XXXXXX";
	int fd = mkstemp(tmpl);
	if (fd < 0)
		return NULL;
	FILE *f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		return NULL;
	}
	bool ok = true;
	if (recs && recs->type == YAML_MAPPING_NODE) {
		for (yaml_node_pair_t *p = recs->data.mapping.pairs.start;
		     p < recs->data.mapping.pairs.top; p++) {
			const char *k, *v;
			size_t kl, vl;
			if (!yscalar(ynode(d, p->key), &k, &kl) || !yscalar(ynode(d, p->value), &v, &vl))
				continue;
			ok = ok && arc_testkit_zone_txt(f, k, kl, v, vl);
		}
	}
	ok = fclose(f) == 0 && ok;
	*path = strdup(tmpl);
	if (!ok || !*path)
		return NULL;
	char spec[256], err[512];
	snprintf(spec, sizeof spec, "zone:%s", tmpl);
	struct dns_resolver *r = dns_resolver_new(spec, err, sizeof err);
	if (!r)
		printf("zone resolver: %s\n", err);
	return r;
}

static void zone_done(struct dns_resolver *r, char *path)
{
	if (r)
		dns_resolver_free(r);
	if (path) {
		unlink(path);
		free(path);
	}
}

/* ------------------------------------------------------ validation -- */

static void lower_copy(char *dst, size_t cap, const char *s, size_t n)
{
	size_t i = 0;
	for (; i < n && i + 1 < cap; i++)
		dst[i] = (char)((s[i] >= 'A' && s[i] <= 'Z') ? s[i] + 32 : s[i]);
	dst[i] = '\0';
	/* trim trailing blanks */
	while (i && (dst[i - 1] == ' ' || dst[i - 1] == '\t'))
		dst[--i] = '\0';
}

static void validate_one(struct dns_resolver *r, const char *group, const char *name,
                         const char *msgtext, size_t msglen, const char *cv, size_t cvlen)
{
	char want[32];
	lower_copy(want, sizeof want, cv ? cv : "", cv ? cvlen : 0);
	const struct override *ov = override_for(name);
	char suite_want[32];
	snprintf(suite_want, sizeof suite_want, "%s", want[0] ? want : "(blank)");
	if (ov)
		snprintf(want, sizeof want, "fail");

	struct arena *a = arena_new(0);
	struct msg m;
	struct arc_result res;
	if (!a || msg_parse(&m, a, slice_make(msgtext, msglen)) != MSG_OK) {
		result(false, group, name, "message does not parse");
		arena_free(a);
		return;
	}
	int rc = arc_verify(r, a, &m, 0, dns_now_ms() + 10000, &res);
	const char *got = rc == ARC_OK ? arc_state_str(res.state) : "error";
	bool ok = strcmp(got, want) == 0;
	result(ok, group, name, "expected %s, got %s%s%s", want, got, res.reason[0] ? ": " : "",
	       res.reason);
	if (ov && nseen < sizeof seen / sizeof seen[0])
		snprintf(seen[nseen++].line, sizeof seen[0].line,
		         "%s: suite expects %s, %s gives fail; got %s", name, suite_want, ov->rfc, got);
	arena_free(a);
}

static int run_validation(const char *path)
{
	size_t len;
	char *text = testutil_read_file(path, &len);
	if (!text) {
		printf("cannot read %s\n", path);
		return -1;
	}
	yaml_parser_t parser;
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	int docs = 0;
	for (;;) {
		yaml_document_t doc;
		if (!yaml_parser_load(&parser, &doc)) {
			printf("YAML error in %s: %s\n", path, parser.problem ? parser.problem : "?");
			n_fail++;
			break;
		}
		yaml_node_t *root = yaml_document_get_root_node(&doc);
		if (!root) {
			yaml_document_delete(&doc);
			break;
		}
		docs++;
		char group[64];
		const char *desc = yget_str(&doc, root, "description", NULL);
		snprintf(group, sizeof group, "validation:%.40s", desc ? desc : "?");
		char *zpath;
		struct dns_resolver *r = zone_resolver(&doc, yget(&doc, root, "txt-records"), &zpath);
		yaml_node_t *tests = yget(&doc, root, "tests");
		if (!r || !tests || tests->type != YAML_MAPPING_NODE) {
			result(false, group, "(scenario)", "no resolver or no tests");
		} else {
			for (yaml_node_pair_t *p = tests->data.mapping.pairs.start;
			     p < tests->data.mapping.pairs.top; p++) {
				const char *name;
				size_t nl;
				char nbuf[128];
				if (!yscalar(ynode(&doc, p->key), &name, &nl))
					continue;
				snprintf(nbuf, sizeof nbuf, "%.*s", (int)nl, name);
				yaml_node_t *t = ynode(&doc, p->value);
				size_t ml = 0, cl = 0;
				const char *msgtext = yget_str(&doc, t, "message", &ml);
				const char *cv = yget_str(&doc, t, "cv", &cl);
				n_validation_entries++;
				if (!msgtext) {
					result(false, group, nbuf, "no message");
					continue;
				}
				validate_one(r, group, nbuf, msgtext, ml, cv, cl);
			}
		}
		zone_done(r, zpath);
		yaml_document_delete(&doc);
	}
	yaml_parser_delete(&parser);
	free(text);
	return docs;
}

/* ---------------------------------------------------------- signing -- */

/* Remove all whitespace, split at ';', drop empty items. */
static size_t tag_items(const char *s, size_t n, char items[][1024], size_t max)
{
	size_t k = 0, j = 0;
	for (size_t i = 0; i <= n; i++) {
		char c = i < n ? s[i] : ';';
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			continue;
		if (c == ';') {
			if (j && k < max) {
				items[k][j] = '\0';
				k++;
			}
			j = 0;
			continue;
		}
		if (k < max && j + 1 < sizeof items[0])
			items[k][j++] = c;
	}
	return k;
}

static int item_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* Compare two header values as sets of tag=value items. */
static bool same_items(const char *a, size_t al, const char *b, size_t bl, char *why,
                       size_t whylen)
{
	static char ia[64][1024], ib[64][1024];
	size_t na = tag_items(a, al, ia, 64), nb = tag_items(b, bl, ib, 64);
	qsort(ia, na, sizeof ia[0], item_cmp);
	qsort(ib, nb, sizeof ib[0], item_cmp);
	if (na != nb) {
		snprintf(why, whylen, "%zu items, expected %zu", na, nb);
		return false;
	}
	for (size_t i = 0; i < na; i++) {
		if (strcmp(ia[i], ib[i]) != 0) {
			snprintf(why, whylen, "item \"%.60s\" where \"%.60s\" was expected", ia[i], ib[i]);
			return false;
		}
	}
	return true;
}

/* The value of one of our fields (after "Name:"). */
static struct slice field_value(struct slice f)
{
	const char *colon = memchr(f.ptr, ':', f.len);
	return colon ? slice_between(colon + 1, f.ptr + f.len) : f;
}

/* Two of our fields carry the same items, b= aside. */
static bool same_items_but_b(struct slice fx, struct slice fy)
{
	static char ix[64][1024], iy[64][1024];
	struct slice x = field_value(fx), y = field_value(fy);
	size_t nx = tag_items(x.ptr, x.len, ix, 64), ny = tag_items(y.ptr, y.len, iy, 64);
	qsort(ix, nx, sizeof ix[0], item_cmp);
	qsort(iy, ny, sizeof iy[0], item_cmp);
	if (nx != ny)
		return false;
	for (size_t i = 0; i < nx; i++) {
		if (strncmp(ix[i], "b=", 2) == 0 && strncmp(iy[i], "b=", 2) == 0)
			continue;
		if (strcmp(ix[i], iy[i]) != 0)
			return false;
	}
	return true;
}

static bool blank(const char *s, size_t n)
{
	if (!s)
		return true;
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r')
			return false;
	return true;
}

/* The Authentication-Results payload of srv_id: every such field merged
 * into "srv-id; r1;\n  r2;\n  ...", as the suite's sealer does. */
static struct slice merged_ar(struct arena *a, const struct msg *m, struct slice srv_id)
{
	struct buf b;
	buf_init(&b, a, 1 << 20);
	buf_add_slice(&b, srv_id);
	size_t pos = 0;
	long k;
	while ((k = msg_find_next(m, SLICE_LIT("Authentication-Results"), &pos)) >= 0) {
		struct slice value = m->hdr[k].value, id;
		unsigned ver;
		enum ar_parse_status st = ar_parse_authserv_id(a, value, &id, &ver);
		if ((st != AR_PARSE_OK && st != AR_PARSE_MALFORMED) || !slice_eq(id, srv_id))
			continue;
		struct slice head, rest;
		if (!slice_split_byte(value, ';', &head, &rest))
			continue;
		while (rest.len) {
			struct slice item, tail;
			if (!slice_split_byte(rest, ';', &item, &tail))
				tail = slice_make(rest.ptr + rest.len, 0);
			item = slice_trim_ws(item);
			if (item.len) {
				buf_add_cstr(&b, ";\n  ");
				buf_add_slice(&b, item);
			}
			rest = tail;
		}
	}
	return buf_slice(&b);
}

/* The arc= result in an Authentication-Results payload, or NULL. */
static const char *payload_arc(struct slice payload)
{
	static const char *const words[] = { "pass", "fail", "none" };
	const char *p = payload.ptr, *end = payload.ptr + payload.len;
	for (; p + 4 <= end; p++) {
		if (memcmp(p, "arc=", 4) != 0 || (p > payload.ptr && p[-1] != ' ' && p[-1] != ';' &&
		                                  p[-1] != '\n' && p[-1] != '\t'))
			continue;
		for (size_t i = 0; i < 3; i++)
			if ((size_t)(end - p - 4) >= 4 && memcmp(p + 4, words[i], 4) == 0)
				return words[i];
	}
	return NULL;
}

static void sign_one(struct dns_resolver *r, yaml_document_t *d, yaml_node_t *root,
                     const char *name, yaml_node_t *t)
{
	const char *group = "signing";
	size_t ml = 0, tl = 0, hl = 0, sl = 0, asl = 0, amsl = 0, aarl = 0, dl = 0, sell = 0, kl = 0;
	const char *msgtext = yget_str(d, t, "message", &ml);
	const char *ts = yget_str(d, t, "t", &tl);
	const char *hs = yget_str(d, t, "sig-headers", &hl);
	const char *srv = yget_str(d, t, "srv-id", &sl);
	const char *want_as = yget_str(d, t, "AS", &asl);
	const char *want_ams = yget_str(d, t, "AMS", &amsl);
	const char *want_aar = yget_str(d, t, "AAR", &aarl);
	const char *dom = yget_str(d, root, "domain", &dl);
	const char *sel = yget_str(d, root, "sel", &sell);
	const char *key = yget_str(d, root, "privatekey", &kl);
	if (!msgtext || !ts || !hs || !srv || !dom || !sel || !key) {
		result(false, group, name, "incomplete test entry");
		return;
	}
	struct arena *a = arena_new(0);
	struct msg m;
	if (!a || msg_parse(&m, a, slice_make(msgtext, ml)) != MSG_OK) {
		result(false, group, name, "message does not parse");
		arena_free(a);
		return;
	}
	uint64_t now;
	if (!slice_parse_u64(slice_make(ts, tl), UINT64_MAX, &now)) {
		result(false, group, name, "t is not a number");
		arena_free(a);
		return;
	}
	struct arc_result chain;
	int rc = arc_verify(r, a, &m, now, dns_now_ms() + 10000, &chain);
	if (rc) {
		result(false, group, name, "verify error %d", rc);
		arena_free(a);
		return;
	}
	struct slice srv_id = slice_make(srv, sl);
	struct slice payload = merged_ar(a, &m, srv_id);
	const char *arcw = payload_arc(payload);
	enum arc_state verified = chain.state;
	if (arcw)
		chain.state = strcmp(arcw, "pass") == 0 ? ARC_PASS
		              : strcmp(arcw, "fail") == 0 ? ARC_FAIL : ARC_NONE;

	struct slice names[64];
	size_t nn = 0;
	struct slice rest = slice_make(hs, hl);
	while (rest.len && nn < 64) {
		struct slice item, tail;
		if (!slice_split_byte(rest, ':', &item, &tail))
			tail = slice_make(rest.ptr + rest.len, 0);
		names[nn++] = slice_trim_ws(item);
		rest = tail;
	}
	struct arc_seal_params p;
	memset(&p, 0, sizeof p);
	p.domain = slice_make(dom, dl);
	p.selector = slice_make(sel, sell);
	p.key_pem = slice_make(key, kl);
	p.headers = names;
	p.nheaders = nn;
	/* The suite's signatures were made with every tag in alphabetical order
	 * (draft-era layout); the RFC layout is checked below. */
	p.alpha_tag_order = true;
	struct arc_sealed out;
	const char *detail = "";
	rc = arc_seal_message(a, &m, &p, &chain, payload, now, &out, &detail);
	if (rc) {
		result(false, group, name, "seal error %d: %s", rc, detail);
		arena_free(a);
		return;
	}
	bool want_none = blank(want_as, asl) && blank(want_aar, aarl);
	if (want_none) {
		result(!out.sealed, group, name, "expected no ARC set, %s%s",
		       out.sealed ? "got one" : "got none: ", out.why);
		arena_free(a);
		return;
	}
	if (!out.sealed) {
		result(false, group, name, "expected an ARC set, got none: %s", out.why);
		arena_free(a);
		return;
	}
	char why[256] = "";
	static const char *const fname[3] = { "AS", "AMS", "AAR" };
	const char *want[3] = { want_as, want_ams, want_aar };
	size_t wl[3] = { asl, amsl, aarl };
	bool ok = true;
	for (int i = 0; i < 3 && ok; i++) {
		struct slice f = field_value(out.field[i]);
		if (!want[i]) {
			ok = false;
			snprintf(why, sizeof why, "no expected %s", fname[i]);
		} else if (!same_items(f.ptr, f.len, want[i], wl[i], why, sizeof why)) {
			ok = false;
			/* %.200s: the prefix and why both fit in why */
			char tmp[sizeof why];
			snprintf(tmp, sizeof tmp, "%s differs: %.200s", fname[i], why);
			memcpy(why, tmp, sizeof why);
		}
	}
	/* The same seal in RFC 8617's layout (i= first, 4.1.2 / 4.1.3 ABNF):
	 * the same items but b= (the signatures cover the tag order), and the
	 * sealed message validates: pass, or fail for a cv=fail seal. */
	if (ok) {
		p.alpha_tag_order = false;
		struct arc_sealed rfc;
		rc = arc_seal_message(a, &m, &p, &chain, payload, now, &rfc, &detail);
		ok = rc == ARC_OK && rfc.sealed;
		for (int i = 0; i < 2 && ok; i++) {
			static const char *const prefix[2] = { "ARC-Seal: i=",
			                                       "ARC-Message-Signature: i=" };
			size_t pl = strlen(prefix[i]);
			ok = rfc.field[i].len > pl && memcmp(rfc.field[i].ptr, prefix[i], pl) == 0 &&
			     same_items_but_b(rfc.field[i], out.field[i]);
		}
		struct buf nb;
		buf_init(&nb, a, rfc.block.len + ml + 1);
		buf_add_slice(&nb, rfc.block);
		buf_add(&nb, msgtext, ml);
		struct msg m2;
		struct arc_result again;
		enum arc_state want_state = out.cv == ARC_CV_FAIL ? ARC_FAIL : ARC_PASS;
		if (ok && (nb.err || msg_parse(&m2, a, buf_slice(&nb)) != MSG_OK ||
		           arc_verify(r, a, &m2, now, dns_now_ms() + 10000, &again) != ARC_OK ||
		           again.state != want_state)) {
			ok = false;
			snprintf(why, sizeof why, "the RFC-layout seal does not validate as %s",
			         arc_state_str(want_state));
		} else if (!ok) {
			snprintf(why, sizeof why, "the RFC-layout seal differs beyond b=");
		}
	}
	result(ok, group, name, "%s (chain verified %s, sealed with cv from %s)",
	       ok ? "AS, AMS and AAR match; RFC layout validates" : why, arc_state_str(verified),
	       arcw ? "the AR arc= result" : "verification");
	arena_free(a);
}

static int run_signing(const char *path)
{
	size_t len;
	char *text = testutil_read_file(path, &len);
	if (!text) {
		printf("cannot read %s\n", path);
		return -1;
	}
	yaml_parser_t parser;
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	int docs = 0;
	for (;;) {
		yaml_document_t doc;
		if (!yaml_parser_load(&parser, &doc)) {
			printf("YAML error in %s: %s\n", path, parser.problem ? parser.problem : "?");
			n_fail++;
			break;
		}
		yaml_node_t *root = yaml_document_get_root_node(&doc);
		if (!root) {
			yaml_document_delete(&doc);
			break;
		}
		docs++;
		char *zpath;
		struct dns_resolver *r = zone_resolver(&doc, yget(&doc, root, "txt-records"), &zpath);
		yaml_node_t *tests = yget(&doc, root, "tests");
		if (!r || !tests || tests->type != YAML_MAPPING_NODE) {
			result(false, "signing", "(scenario)", "no resolver or no tests");
		} else {
			for (yaml_node_pair_t *p = tests->data.mapping.pairs.start;
			     p < tests->data.mapping.pairs.top; p++) {
				const char *name;
				size_t nl;
				char nbuf[128];
				if (!yscalar(ynode(&doc, p->key), &name, &nl))
					continue;
				snprintf(nbuf, sizeof nbuf, "%.*s", (int)nl, name);
				sign_one(r, &doc, root, nbuf, ynode(&doc, p->value));
			}
		}
		zone_done(r, zpath);
		yaml_document_delete(&doc);
	}
	yaml_parser_delete(&parser);
	free(text);
	return docs;
}

/* ------------------------------------------------ mail-auth-rs vectors -- */

static void run_rs(const char *rel)
{
	const char *path = testutil_conformance_path(rel);
	if (!path) {
		result(false, "mail-auth-rs", rel, "data absent");
		return;
	}
	size_t len;
	char *text = testutil_read_file(path, &len);
	if (!text) {
		result(false, "mail-auth-rs", rel, "cannot read");
		return;
	}
	/* "name<SP>value" lines, a blank line, then the message (LF). */
	char tmpl[] = "/tmp/arc-suite-zone-XXXXXX";
	int fd = mkstemp(tmpl);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	size_t i = 0;
	bool ok = f != NULL;
	while (ok && i < len && text[i] != '\n') {
		size_t e = i;
		while (e < len && text[e] != '\n')
			e++;
		size_t sp = i;
		while (sp < e && text[sp] != ' ')
			sp++;
		ok = sp < e && arc_testkit_zone_txt(f, text + i, sp - i, text + sp + 1, e - sp - 1);
		i = e + 1;
	}
	if (f)
		ok = fclose(f) == 0 && ok;
	else if (fd >= 0)
		close(fd);
	i++; /* the blank line */
	struct arena *a = arena_new(0);
	/* The message with CRLF line ends (README). */
	struct buf mb;
	buf_init(&mb, a, 2 * len + 2);
	for (size_t j = i; j < len; j++) {
		if (text[j] == '\n' && (j == i || text[j - 1] != '\r'))
			buf_add_byte(&mb, '\r');
		buf_add_byte(&mb, text[j]);
	}
	char spec[256], err[512];
	snprintf(spec, sizeof spec, "zone:%s", tmpl);
	struct dns_resolver *r = ok ? dns_resolver_new(spec, err, sizeof err) : NULL;
	struct msg m;
	struct arc_result res;
	if (!r || mb.err || msg_parse(&m, a, buf_slice(&mb)) != MSG_OK) {
		result(false, "mail-auth-rs", rel, "setup failed%s%s", r ? "" : ": ", r ? "" : err);
	} else {
		int rc = arc_verify(r, a, &m, 0, dns_now_ms() + 10000, &res);
		bool pass = rc == ARC_OK && res.state == ARC_PASS;
		result(pass, "mail-auth-rs", rel, "expected pass, got %s%s%s (i=%u, oldest-pass %u, %s)",
		       arc_state_str(res.state), res.reason[0] ? ": " : "", res.reason, res.instances,
		       res.oldest_pass, res.domains.ptr ? res.domains.ptr : "");
	}
	if (r)
		dns_resolver_free(r);
	arena_free(a);
	unlink(tmpl);
	free(text);
}

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "-v") == 0)
			verbose = 1;
	const char *vpath = testutil_conformance_path("arc-valimail/arc-draft-validation-tests.yml");
	char *vcopy = vpath ? strdup(vpath) : NULL;
	const char *spath = testutil_conformance_path("arc-valimail/arc-draft-sign-tests.yml");
	char *scopy = spath ? strdup(spath) : NULL;
	if (!vcopy || !scopy) {
		printf("ARC conformance data missing (see MAILAUTH_CONFORMANCE)\n");
		n_fail++;
	}
	if (vcopy) {
		int docs = run_validation(vcopy);
		/* 175 entries, 171 distinct names: duplicates must all run. */
		bool all = n_validation_entries == 175;
		result(all && docs == 10, "validation", "(entry count)",
		       "%d scenarios, %d entries run (175 expected, 4 names appear twice)", docs,
		       n_validation_entries);
	}
	if (scopy)
		run_signing(scopy);
	run_rs("dkim-arc-mail-auth-rs/arc/001.txt");
	run_rs("dkim-arc-mail-auth-rs/arc/002.txt");

	printf("RFC 8617 over the suite (%zu case%s, counted as passed when the RFC result "
	       "came out):\n", nseen, nseen == 1 ? "" : "s");
	for (size_t i = 0; i < nseen; i++)
		printf("  %s\n", seen[i].line);
	printf("Lenient reading kept: ams_fields_h_mis_hdr (an empty element in h= names no "
	       "field and is skipped); AMS covering ARC-Authentication-Results is accepted "
	       "(RFC 8617 4.1.2 binds signers; every chain in the suite does it).\n");
	free(vcopy);
	free(scopy);
	printf("%d passed, %d failed\n", n_pass, n_fail);
	return n_fail ? 1 : 0;
}
