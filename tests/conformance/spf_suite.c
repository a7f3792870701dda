/* spf_suite.c — runs the OpenSPF RFC 7208 test suite
 * (../shared/conformance/spf-openspf/rfc7208-tests.yml, see the
 * conformance README) against spf_check() through the real DNS layer.
 *
 * For every scenario the zonedata is written as a zone file and served by
 * libunbound (resolver "zone:FILE", dns.h).  The suite's DNS conventions:
 *   - a bare TIMEOUT entry becomes `name. TIMEOUT`: queries at that name
 *     for types the file does not answer time out (dns.h; names below it
 *     that the file has records for are answered as usual);
 *   - names are written in the zone format's presentation form, bytes it
 *     reserves (blanks, '"', '\\', ';', parentheses, 8-bit) as \DDD;
 *   - SPF-type entries are served as TXT unless the name has TXT entries
 *     (RFC 7208 clients query TXT only);
 *   - "NONE" means no record; a TXT/SPF value that is a list is several
 *     character-strings of one record; an empty list is one empty string;
 *   - YAML \xNN escapes denote bytes: scalars whose code points are all
 *     below 256 are turned back into those bytes.
 * A test passes when the result is one of the allowed results; when it
 * gives an explanation, the explanation must be equal ("DEFAULT" is the
 * default explanation, which the runner sets to the string DEFAULT).
 *
 * Every failure is printed with its inputs; the last line is
 * "N passed, M failed" and the exit status is non-zero on any failure.
 * The RFC 4408 suite (historical) is run afterwards for information only,
 * when --rfc4408 is given; it never changes the exit status.
 *
 * Environment: MAILAUTH_CONFORMANCE (see testutil.h); SPF_SUITE_BUDGET_MS
 * overrides the per-test time budget (default 1500 ms; TIMEOUT cases wait
 * for it). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <yaml.h>

#include "arena.h"
#include "dns.h"
#include "slice.h"
#include "spf.h"
#include "testutil.h"

struct text {
	char *p;
	size_t len, cap;
};

static void text_add(struct text *t, const void *p, size_t n)
{
	if (t->len + n + 1 > t->cap) {
		size_t nc = t->cap ? t->cap * 2 : 4096;
		while (nc < t->len + n + 1)
			nc *= 2;
		char *q = realloc(t->p, nc);
		if (!q) {
			fprintf(stderr, "out of memory\n");
			exit(2);
		}
		t->p = q;
		t->cap = nc;
	}
	memcpy(t->p + t->len, p, n);
	t->len += n;
	t->p[t->len] = '\0';
}

static void text_str(struct text *t, const char *s)
{
	text_add(t, s, strlen(s));
}

/* ---- YAML access ---- */

static yaml_node_t *node(yaml_document_t *d, int id)
{
	return yaml_document_get_node(d, id);
}

static bool is_scalar(yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE;
}

/* Scalar bytes; \xNN escapes come back as U+00NN, which we map back to
 * the byte when every code point is below 256.  Returns a malloc'd copy
 * (NUL-terminated, but may hold NULs: use *len). */
static char *scalar_bytes(yaml_node_t *n, size_t *len)
{
	const unsigned char *s = n->data.scalar.value;
	size_t sl = n->data.scalar.length;
	char *out = malloc(sl + 1);
	size_t o = 0;
	bool latin1 = true;
	for (size_t i = 0; i < sl;) {
		unsigned char c = s[i];
		if (c < 0x80) {
			out[o++] = (char)c;
			i++;
		} else if ((c == 0xc2 || c == 0xc3) && i + 1 < sl && (s[i + 1] & 0xc0) == 0x80) {
			out[o++] = (char)(((c & 0x1f) << 6) | (s[i + 1] & 0x3f));
			i += 2;
		} else {
			latin1 = false;
			break;
		}
	}
	if (!latin1) {
		memcpy(out, s, sl);
		o = sl;
	}
	out[o] = '\0';
	*len = o;
	return out;
}

static char *scalar_str(yaml_node_t *n)
{
	size_t len;
	return scalar_bytes(n, &len);
}

static yaml_node_t *map_get(yaml_document_t *d, yaml_node_t *m, const char *key)
{
	if (!m || m->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
		yaml_node_t *k = node(d, p->key);
		if (is_scalar(k) && k->data.scalar.length == strlen(key) &&
		    memcmp(k->data.scalar.value, key, k->data.scalar.length) == 0)
			return node(d, p->value);
	}
	return NULL;
}

/* ---- zone file ---- */

static void put_name(struct text *z, const char *name)
{
	/* Presentation format (RFC 1035 5.1, the zone format of dns.h):
	 * printable ASCII as itself, except the bytes the format reserves
	 * ('"', '\\', ';', '(', ')'); those, blanks, control and 8-bit bytes
	 * as \DDD. */
	size_t n = strlen(name);
	if (n && name[n - 1] == '.')
		n--;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];
		char buf[8];
		if (c > 0x20 && c < 0x7f && c != '"' && c != '\\' && c != ';' && c != '(' && c != ')')
			text_add(z, &name[i], 1);
		else {
			snprintf(buf, sizeof buf, "\\%03u", c);
			text_str(z, buf);
		}
	}
	text_str(z, ".");
}

static void put_charstrings(struct text *z, const char *p, size_t len)
{
	/* 255 octets per character-string (RFC 1035 3.3). */
	size_t off = 0;
	do {
		size_t n = len - off > 255 ? 255 : len - off;
		text_str(z, " \"");
		for (size_t i = 0; i < n; i++) {
			unsigned char c = (unsigned char)p[off + i];
			char buf[8];
			if (c < 0x20 || c > 0x7e || c == '"' || c == '\\') {
				snprintf(buf, sizeof buf, "\\%03u", c);
				text_str(z, buf);
			} else {
				text_add(z, &p[off + i], 1);
			}
		}
		text_str(z, "\"");
		off += n;
	} while (off < len);
}

static void put_txt_value(struct text *z, yaml_document_t *d, yaml_node_t *v)
{
	if (is_scalar(v)) {
		size_t len;
		char *b = scalar_bytes(v, &len);
		put_charstrings(z, b, len);
		free(b);
		return;
	}
	if (v && v->type == YAML_SEQUENCE_NODE) {
		int n = 0;
		for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
			yaml_node_t *s = node(d, *it);
			if (!is_scalar(s))
				continue;
			size_t len;
			char *b = scalar_bytes(s, &len);
			put_charstrings(z, b, len);
			free(b);
			n++;
		}
		if (n == 0)
			text_str(z, " \"\"");
	}
}

static bool is_none(yaml_node_t *v)
{
	return is_scalar(v) && v->data.scalar.length == 4 && memcmp(v->data.scalar.value, "NONE", 4) == 0;
}

static void write_zone(yaml_document_t *d, yaml_node_t *zd, struct text *z)
{
	if (!zd || zd->type != YAML_MAPPING_NODE)
		return;
	for (yaml_node_pair_t *p = zd->data.mapping.pairs.start; p < zd->data.mapping.pairs.top; p++) {
		yaml_node_t *k = node(d, p->key), *list = node(d, p->value);
		if (!is_scalar(k) || !list || list->type != YAML_SEQUENCE_NODE)
			continue;
		char *name = scalar_str(k);
		bool has_txt = false;
		for (yaml_node_item_t *it = list->data.sequence.items.start; it < list->data.sequence.items.top; it++)
			if (map_get(d, node(d, *it), "TXT"))
				has_txt = true;
		for (yaml_node_item_t *it = list->data.sequence.items.start; it < list->data.sequence.items.top; it++) {
			yaml_node_t *e = node(d, *it);
			if (is_scalar(e)) {
				if (e->data.scalar.length == 7 && memcmp(e->data.scalar.value, "TIMEOUT", 7) == 0) {
					put_name(z, name);
					text_str(z, " TIMEOUT\n");
				}
				continue;
			}
			if (!e || e->type != YAML_MAPPING_NODE || e->data.mapping.pairs.top == e->data.mapping.pairs.start)
				continue;
			yaml_node_pair_t *ep = e->data.mapping.pairs.start;
			char *type = scalar_str(node(d, ep->key));
			yaml_node_t *v = node(d, ep->value);
			if (strcmp(type, "SPF") == 0 || strcmp(type, "TXT") == 0) {
				if ((strcmp(type, "TXT") == 0 || !has_txt) && !is_none(v)) {
					put_name(z, name);
					text_str(z, " 300 IN TXT");
					put_txt_value(z, d, v);
					text_str(z, "\n");
				}
			} else if ((strcmp(type, "A") == 0 || strcmp(type, "AAAA") == 0) && is_scalar(v)) {
				char *val = scalar_str(v);
				put_name(z, name);
				text_str(z, " 300 IN ");
				text_str(z, type);
				text_str(z, " ");
				text_str(z, val);
				text_str(z, "\n");
				free(val);
			} else if (strcmp(type, "MX") == 0 && v && v->type == YAML_SEQUENCE_NODE &&
			           v->data.sequence.items.top - v->data.sequence.items.start == 2) {
				char *pref = scalar_str(node(d, v->data.sequence.items.start[0]));
				char *host = scalar_str(node(d, v->data.sequence.items.start[1]));
				put_name(z, name);
				text_str(z, " 300 IN MX ");
				text_str(z, pref);
				text_str(z, " ");
				if (host[0])
					put_name(z, host);
				else
					text_str(z, ".");
				text_str(z, "\n");
				free(pref);
				free(host);
			} else if ((strcmp(type, "PTR") == 0 || strcmp(type, "CNAME") == 0) && is_scalar(v)) {
				char *host = scalar_str(v);
				put_name(z, name);
				text_str(z, " 300 IN ");
				text_str(z, type);
				text_str(z, " ");
				put_name(z, host);
				text_str(z, "\n");
				free(host);
			}
			free(type);
		}
		free(name);
	}
}

/* ---- running the tests ---- */

struct totals {
	unsigned pass, fail;
};

static bool result_allowed(yaml_document_t *d, yaml_node_t *res, const char *got, struct text *want)
{
	bool ok = false;
	if (is_scalar(res)) {
		char *s = scalar_str(res);
		text_str(want, s);
		ok = strcmp(s, got) == 0;
		free(s);
	} else if (res && res->type == YAML_SEQUENCE_NODE) {
		for (yaml_node_item_t *it = res->data.sequence.items.start; it < res->data.sequence.items.top; it++) {
			char *s = scalar_str(node(d, *it));
			if (want->len)
				text_str(want, "|");
			text_str(want, s);
			if (strcmp(s, got) == 0)
				ok = true;
			free(s);
		}
	}
	return ok;
}

static void print_escaped(const char *label, const char *p, size_t len)
{
	printf("    %s: \"", label);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c >= 0x20 && c < 0x7f && c != '\\' && c != '"')
			putchar(c);
		else
			printf("\\x%02x", c);
	}
	printf("\"\n");
}

static void run_scenario(yaml_document_t *d, yaml_node_t *root, const char *suite, bool quiet,
                         uint64_t budget, struct totals *tot)
{
	yaml_node_t *tests = map_get(d, root, "tests");
	yaml_node_t *desc = map_get(d, root, "description");
	char *sdesc = is_scalar(desc) ? scalar_str(desc) : strdup("(no description)");
	struct text z = { 0 };
	text_str(&z, "; generated from the OpenSPF suite, scenario: ");
	for (char *c = sdesc; *c; c++)
		text_add(&z, (*c == '\n') ? " " : c, 1);
	text_str(&z, "\n");
	write_zone(d, map_get(d, root, "zonedata"), &z);

	char *path = testutil_write_temp(z.p, z.len, ".zone");
	char spec[4200], err[512] = "";
	struct dns_resolver *r = NULL;
	if (path) {
		snprintf(spec, sizeof spec, "zone:%s", path);
		r = dns_resolver_new(spec, err, sizeof err);
	}
	if (!tests || tests->type != YAML_MAPPING_NODE) {
		free(sdesc);
		free(z.p);
		if (path) {
			unlink(path);
			free(path);
		}
		dns_resolver_free(r);
		return;
	}
	for (yaml_node_pair_t *p = tests->data.mapping.pairs.start; p < tests->data.mapping.pairs.top; p++) {
		yaml_node_t *t = node(d, p->value);
		char *tname = scalar_str(node(d, p->key));
		size_t hl = 0, ml = 0, il = 0;
		yaml_node_t *hn = map_get(d, t, "helo"), *mn = map_get(d, t, "mailfrom"),
		            *in = map_get(d, t, "host");
		char *helo = is_scalar(hn) ? scalar_bytes(hn, &hl) : strdup("");
		char *mf = is_scalar(mn) ? scalar_bytes(mn, &ml) : strdup("");
		char *ip = is_scalar(in) ? scalar_bytes(in, &il) : strdup("");
		yaml_node_t *en = map_get(d, t, "explanation");
		char *exp = is_scalar(en) ? scalar_str(en) : NULL;

		struct spf_outcome out;
		memset(&out, 0, sizeof out);
		const char *got = "(no resolver)";
		struct arena *a = arena_new(0);
		if (r && a) {
			struct spf_request req;
			memset(&req, 0, sizeof req);
			req.ip = slice_make(ip, il);
			req.helo = slice_make(helo, hl);
			req.mail_from = slice_make(mf, ml);
			req.receiver = SLICE_LIT("receiver.example.net");
			req.now = 1700000000;
			req.default_explanation = SLICE_LIT("DEFAULT");
			spf_check(r, a, &req, dns_now_ms() + budget, &out);
			got = spf_result_str(out.result);
		}
		struct text want = { 0 };
		bool ok = result_allowed(d, map_get(d, t, "result"), got, &want);
		bool exp_ok = true;
		if (ok && exp && out.result == SPF_FAIL)
			exp_ok = out.explanation.len == strlen(exp) && memcmp(out.explanation.ptr, exp, out.explanation.len) == 0;
		if (ok && exp_ok) {
			tot->pass++;
		} else {
			tot->fail++;
			if (!quiet) {
				printf("FAIL %s: %s / %s\n", suite, sdesc, tname);
				print_escaped("helo", helo, hl);
				print_escaped("host", ip, il);
				print_escaped("mailfrom", mf, ml);
				printf("    expected: %s%s%s%s\n", want.p ? want.p : "?", exp ? " explanation \"" : "",
				       exp ? exp : "", exp ? "\"" : "");
				printf("    got: %s", got);
				if (out.result == SPF_FAIL)
					printf(" explanation \"%.*s\"", (int)out.explanation.len, out.explanation.ptr);
				printf("\n    reason: %s\n", out.reason ? out.reason : "");
				if (out.mechanism.len)
					printf("    mechanism: %.*s\n", (int)out.mechanism.len, out.mechanism.ptr);
				if (!r)
					printf("    resolver: %s\n", err);
			}
		}
		free(want.p);
		arena_free(a);
		free(tname);
		free(helo);
		free(mf);
		free(ip);
		free(exp);
	}
	dns_resolver_free(r);
	if (path) {
		if (!getenv("SPF_SUITE_KEEP_ZONES"))
			unlink(path);
		else
			fprintf(stderr, "zone kept: %s\n", path);
		free(path);
	}
	free(z.p);
	free(sdesc);
}

static int run_file(const char *rel, const char *suite, bool quiet, uint64_t budget, struct totals *tot)
{
	const char *path = testutil_conformance_path(rel);
	if (!path)
		return -1;
	size_t len;
	char *data = testutil_read_file(path, &len);
	if (!data) {
		fprintf(stderr, "cannot read %s\n", path);
		return -1;
	}
	yaml_parser_t parser;
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);
	int scenarios = 0, rc = 0;
	for (;;) {
		yaml_document_t doc;
		if (!yaml_parser_load(&parser, &doc)) {
			fprintf(stderr, "%s: YAML error: %s\n", path, parser.problem ? parser.problem : "?");
			rc = -1;
			break;
		}
		yaml_node_t *root = yaml_document_get_root_node(&doc);
		if (!root) {
			yaml_document_delete(&doc);
			break;
		}
		run_scenario(&doc, root, suite, quiet, budget, tot);
		scenarios++;
		yaml_document_delete(&doc);
	}
	yaml_parser_delete(&parser);
	free(data);
	return rc ? rc : scenarios;
}

int main(int argc, char **argv)
{
	bool rfc4408 = false;
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--rfc4408") == 0)
			rfc4408 = true;
	uint64_t budget = 1500;
	const char *b = getenv("SPF_SUITE_BUDGET_MS");
	if (b && *b)
		budget = strtoull(b, NULL, 10);

	struct totals t7208 = { 0, 0 };
	int n = run_file("spf-openspf/rfc7208-tests.yml", "rfc7208", false, budget, &t7208);
	if (n < 0) {
		printf("0 passed, 1 failed\n");
		return 1;
	}
	if (rfc4408) {
		struct totals t4408 = { 0, 0 };
		if (run_file("spf-openspf/rfc4408-tests.yml", "rfc4408", true, budget, &t4408) >= 0)
			printf("information only, RFC 4408 suite (historical): %u of %u as listed there\n",
			       t4408.pass, t4408.pass + t4408.fail);
	}
	printf("rfc7208: %d scenarios\n", n);
	printf("%u passed, %u failed\n", t7208.pass, t7208.fail);
	return t7208.fail ? 1 : 0;
}
