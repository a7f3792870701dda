/* spf_eval.c — helper of tests/interop/spf_pyspf.sh: evaluates many SPF
 * cases with spf_check() through one resolver on a zone file, and prints
 * one line per case for spf_pyspf.py to compare with pyspf.
 *
 *   spf_eval ZONEFILE CASEFILE [BUDGET_MS]
 *
 * CASEFILE has one case per line: ip TAB helo TAB mail-from (mail-from may
 * be empty).  Output, one line per case: result TAB explanation (fail
 * only; the default explanation is the string DEFAULT, as pyspf's
 * set_default_explanation('DEFAULT')) TAB reason.  Tabs and line ends in
 * the texts are written as spaces.
 *
 * Built by the script against the normal build's libmailauth.a. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "dns.h"
#include "slice.h"
#include "spf.h"

static void put_clean(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		putchar((p[i] == '\t' || p[i] == '\n' || p[i] == '\r') ? ' ' : p[i]);
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: spf_eval ZONEFILE CASEFILE [BUDGET_MS]\n");
		return 2;
	}
	uint64_t budget = argc > 3 ? strtoull(argv[3], NULL, 10) : 1000;
	char spec[4200], err[512];
	snprintf(spec, sizeof spec, "zone:%s", argv[1]);
	struct dns_resolver *r = dns_resolver_new(spec, err, sizeof err);
	if (!r) {
		fprintf(stderr, "spf_eval: %s\n", err);
		return 1;
	}
	FILE *f = fopen(argv[2], "r");
	if (!f) {
		fprintf(stderr, "spf_eval: cannot open %s\n", argv[2]);
		dns_resolver_free(r);
		return 1;
	}
	char line[8192];
	while (fgets(line, sizeof line, f)) {
		size_t n = strlen(line);
		while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		char *ip = line, *helo = strchr(ip, '\t');
		char *from = helo ? strchr(helo + 1, '\t') : NULL;
		if (!helo || !from) {
			printf("badcase\t\t\n");
			continue;
		}
		*helo++ = '\0';
		*from++ = '\0';
		struct arena *a = arena_new(0);
		struct spf_request q;
		memset(&q, 0, sizeof q);
		q.ip = slice_from_cstr(ip);
		q.helo = slice_from_cstr(helo);
		q.mail_from = slice_from_cstr(from);
		q.receiver = SLICE_LIT("receiver.example");
		q.now = 1700000000;
		q.default_explanation = SLICE_LIT("DEFAULT");
		struct spf_outcome o;
		spf_check(r, a, &q, dns_now_ms() + budget, &o);
		fputs(spf_result_str(o.result), stdout);
		putchar('\t');
		if (o.result == SPF_FAIL)
			put_clean(o.explanation.ptr, o.explanation.len);
		putchar('\t');
		put_clean(o.reason, strlen(o.reason));
		putchar('\n');
		fflush(stdout);
		arena_free(a);
	}
	fclose(f);
	dns_resolver_free(r);
	return 0;
}
