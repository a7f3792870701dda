/* dmarc_treewalk.c — conformance runner for the RFC 9989 DNS Tree Walk
 * cases in ../shared/conformance/dmarcbis-treewalk/cases.yml (the worked
 * examples of draft-ietf-dmarc-dmarcbis-41 4.10, 4.10.1, 4.10.2 and
 * Appendix B.4).
 *
 * Each case's records become a zone file served by the real libunbound
 * (resolver "zone:").  Checked per case, as the case gives them:
 *   walk_from + expect_queries / expect_org      the walk of 4.10 / 4.10.2
 *   expect_queries_for / expect_org_of           the same for several names
 *   author + mailfrom + dkim_d                   a full evaluation (SPF and
 *     -> expect_policy_domain, expect_policy_tag,  DKIM passing): policy
 *        expect_spf_aligned, expect_dkim_aligned    domain and alignment
 * Query lists are checked twice: with lookups one at a time (then the
 * queries actually sent must be exactly the list) and with prefetch (the
 * names the walk consults must be the same).
 *
 * Prints one line per failed check and ends with "N passed, M failed"
 * (cases); exits non-zero on any failure or when the data is missing.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yaml.h>

#include "arena.h"
#include "dmarc.h"
#include "dns.h"
#include "slice.h"
#include "testutil.h"

static yaml_document_t *DOC;
static int case_failed;
static const char *case_id;

static void fail(const char *fmt, const char *a, const char *b)
{
	printf("FAIL %s: ", case_id);
	printf(fmt, a, b);
	printf("\n");
	case_failed = 1;
}

static yaml_node_t *map_get(yaml_node_t *map, const char *key)
{
	if (!map || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = yaml_document_get_node(DOC, p->key);
		if (k && k->type == YAML_SCALAR_NODE && strcmp((char *)k->data.scalar.value, key) == 0)
			return yaml_document_get_node(DOC, p->value);
	}
	return NULL;
}

static const char *scalar(yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static size_t seq_len(yaml_node_t *n)
{
	return n && n->type == YAML_SEQUENCE_NODE
	               ? (size_t)(n->data.sequence.items.top - n->data.sequence.items.start)
	               : 0;
}

static yaml_node_t *seq_at(yaml_node_t *n, size_t i)
{
	return yaml_document_get_node(DOC, n->data.sequence.items.start[i]);
}

/* A zone file from the case's records: name -> list of TXT strings. */
static char *write_zone(yaml_node_t *records)
{
	size_t cap = 65536, len = 0;
	char *z = malloc(cap);
	len += (size_t)snprintf(z, cap, "# dmarc_treewalk case %s\n", case_id);
	if (records && records->type == YAML_MAPPING_NODE) {
		for (yaml_node_pair_t *p = records->data.mapping.pairs.start;
		     p < records->data.mapping.pairs.top; p++) {
			const char *name = scalar(yaml_document_get_node(DOC, p->key));
			yaml_node_t *v = yaml_document_get_node(DOC, p->value);
			for (size_t i = 0; i < seq_len(v); i++) {
				const char *txt = scalar(seq_at(v, i));
				if (!name || !txt)
					continue;
				len += (size_t)snprintf(z + len, cap - len, "%s. TXT \"%s\"\n", name, txt);
			}
		}
	}
	char *path = testutil_write_temp(z, len, ".zone");
	free(z);
	return path;
}

/* The names a walk from domain consults, "_dmarc."-prefixed and joined by
 * spaces; with sequential lookups also the number of queries sent. */
static void walk_names(struct dns_resolver *r, const char *domain, bool prefetch, char *out,
                       size_t outlen, size_t *sent, char *org, size_t orglen)
{
	struct arena *a = arena_new(0);
	struct dmarc_dns *d = dmarc_dns_new(r, a, dns_now_ms() + 10000, prefetch);
	struct dmarc_walk w;
	out[0] = org[0] = '\0';
	if (!d || dmarc_walk(d, slice_from_cstr(domain), &w) != DMARC_OK) {
		snprintf(out, outlen, "(error)");
		arena_free(a);
		return;
	}
	size_t n = 0;
	for (size_t i = 0; i < w.n; i++)
		n += (size_t)snprintf(out + n, outlen - n, "%s_dmarc.%.*s", i ? " " : "",
		                      (int)w.name[i].len, w.name[i].ptr);
	if (w.temperror)
		snprintf(org, orglen, "(temperror)");
	else
		snprintf(org, orglen, "%.*s", (int)w.org.len, w.org.ptr);
	*sent = dmarc_dns_sent(d);
	arena_free(a);
}

static void join_seq(yaml_node_t *seq, char *out, size_t outlen)
{
	size_t n = 0;
	out[0] = '\0';
	for (size_t i = 0; i < seq_len(seq); i++) {
		const char *s = scalar(seq_at(seq, i));
		n += (size_t)snprintf(out + n, outlen - n, "%s%s", i ? " " : "", s ? s : "");
	}
}

static void check_walk(struct dns_resolver *r, const char *domain, yaml_node_t *want_q,
                       const char *want_org)
{
	char got[4096], got2[4096], want[4096], org[512], org2[512];
	size_t sent = 0, sent2 = 0;
	walk_names(r, domain, false, got, sizeof got, &sent, org, sizeof org);
	walk_names(r, domain, true, got2, sizeof got2, &sent2, org2, sizeof org2);
	if (want_q) {
		join_seq(want_q, want, sizeof want);
		if (strcmp(got, want) != 0)
			fail("walk from %s consulted [%s]", domain, got), fail("  expected [%s]%s", want, "");
		if (sent != seq_len(want_q)) {
			char num[64];
			snprintf(num, sizeof num, "%zu sent, %zu expected", sent, seq_len(want_q));
			fail("walk from %s: %s queries", domain, num);
		}
		if (strcmp(got2, want) != 0)
			fail("walk from %s with prefetch consulted [%s]", domain, got2);
	}
	if (want_org) {
		if (strcmp(org, want_org) != 0)
			fail("walk from %s: org %s", domain, org), fail("  expected %s%s", want_org, "");
		if (strcmp(org2, want_org) != 0)
			fail("walk from %s with prefetch: org %s", domain, org2);
	}
}

static void check_evaluation(struct dns_resolver *r, yaml_node_t *c)
{
	const char *author = scalar(map_get(c, "author"));
	if (!author)
		return;
	const char *mailfrom = scalar(map_get(c, "mailfrom"));
	const char *dkim_d = scalar(map_get(c, "dkim_d"));
	const char *want_pd = scalar(map_get(c, "expect_policy_domain"));
	const char *want_tag = scalar(map_get(c, "expect_policy_tag"));
	const char *want_spf = scalar(map_get(c, "expect_spf_aligned"));
	const char *want_dkim = scalar(map_get(c, "expect_dkim_aligned"));

	for (int prefetch = 0; prefetch < 2; prefetch++) {
		struct arena *a = arena_new(0);
		struct dmarc_config cfg;
		dmarc_config_init(&cfg);
		cfg.prefetch = prefetch;
		struct slice ad = slice_from_cstr(author);
		struct dmarc_dkim_input dk = { DMARC_AUTH_PASS, slice_from_cstr(dkim_d ? dkim_d : ""),
			                       SLICE_LIT("sel") };
		struct dmarc_input in = {
			.from_case = DMARC_FROM_ONE,
			.author_domains = &ad,
			.n_author_domains = 1,
			.spf = { mailfrom ? DMARC_AUTH_PASS : DMARC_AUTH_NONE,
			         slice_from_cstr(mailfrom ? mailfrom : ""), false },
			.dkim = &dk,
			.n_dkim = dkim_d ? 1 : 0,
		};
		struct dmarc_eval e;
		if (dmarc_evaluate(r, a, &cfg, &in, dns_now_ms() + 10000, &e) != DMARC_OK) {
			fail("evaluation of %s: %s", author, "internal error");
			arena_free(a);
			continue;
		}
		char got[512];
		snprintf(got, sizeof got, "%.*s", (int)e.disc.policy_domain.len,
		         e.disc.policy_domain.ptr);
		if (want_pd && strcmp(got, want_pd) != 0)
			fail("policy domain %s, expected %s", got, want_pd);
		if (want_tag && strcmp(dmarc_policy_tag_str(e.policy_tag), want_tag) != 0)
			fail("policy tag %s, expected %s", dmarc_policy_tag_str(e.policy_tag), want_tag);
		if (want_spf && strcmp(e.spf_aligned ? "true" : "false", want_spf) != 0)
			fail("SPF alignment %s, expected %s", e.spf_aligned ? "true" : "false", want_spf);
		if (want_dkim && strcmp(e.dkim_aligned ? "true" : "false", want_dkim) != 0)
			fail("DKIM alignment %s, expected %s", e.dkim_aligned ? "true" : "false",
			     want_dkim);
		arena_free(a);
	}
}

static void run_case(yaml_node_t *c)
{
	char err[512];
	char *zone = write_zone(map_get(c, "records"));
	char spec[4200];
	snprintf(spec, sizeof spec, "zone:%s", zone);
	struct dns_resolver *r = dns_resolver_new(spec, err, sizeof err);
	if (!r) {
		fail("resolver: %s%s", err, "");
		unlink(zone);
		free(zone);
		return;
	}
	const char *from = scalar(map_get(c, "walk_from"));
	if (from)
		check_walk(r, from, map_get(c, "expect_queries"), scalar(map_get(c, "expect_org")));

	yaml_node_t *qf = map_get(c, "expect_queries_for");
	if (qf && qf->type == YAML_MAPPING_NODE)
		for (yaml_node_pair_t *p = qf->data.mapping.pairs.start; p < qf->data.mapping.pairs.top;
		     p++)
			check_walk(r, scalar(yaml_document_get_node(DOC, p->key)),
			           yaml_document_get_node(DOC, p->value), NULL);
	yaml_node_t *of = map_get(c, "expect_org_of");
	if (of && of->type == YAML_MAPPING_NODE)
		for (yaml_node_pair_t *p = of->data.mapping.pairs.start; p < of->data.mapping.pairs.top;
		     p++)
			check_walk(r, scalar(yaml_document_get_node(DOC, p->key)), NULL,
			           scalar(yaml_document_get_node(DOC, p->value)));
	check_evaluation(r, c);

	dns_resolver_free(r);
	unlink(zone);
	free(zone);
}

int main(void)
{
	const char *path = testutil_conformance_path("dmarcbis-treewalk/cases.yml");
	if (!path) {
		printf("0 passed, 1 failed\n");
		return 1;
	}
	FILE *f = fopen(path, "rb");
	if (!f) {
		perror(path);
		printf("0 passed, 1 failed\n");
		return 1;
	}
	yaml_parser_t parser;
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_file(&parser, f);
	int passed = 0, failed = 0;
	for (;;) {
		yaml_document_t doc;
		if (!yaml_parser_load(&parser, &doc)) {
			printf("FAIL: YAML error in %s: %s\n", path,
			       parser.problem ? parser.problem : "?");
			failed++;
			break;
		}
		yaml_node_t *root = yaml_document_get_root_node(&doc);
		if (!root) {
			yaml_document_delete(&doc);
			break;
		}
		DOC = &doc;
		case_id = scalar(map_get(root, "id"));
		if (case_id) {
			case_failed = 0;
			run_case(root);
			if (case_failed)
				failed++;
			else
				passed++;
			printf("%s %s\n", case_failed ? "FAIL" : "ok  ", case_id);
		}
		yaml_document_delete(&doc);
	}
	yaml_parser_delete(&parser);
	fclose(f);
	if (passed + failed == 0)
		failed = 1;
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
