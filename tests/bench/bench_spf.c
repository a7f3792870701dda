/* bench_spf — SPF evaluations per second and DNS queries per evaluation
 * for policies with include chains 2, 3 and 4 levels deep (the shape of
 * large senders' records), plus mx and a-heavy policies.  DNS is the real
 * libunbound answering from a zone file written here, so the figures
 * include the resolver round trip through libunbound's local data (the
 * "answered from cache" floor of DESIGN.md); every evaluation starts with a
 * fresh arena and an empty per-check cache, as one message would.
 *
 * Each case is evaluated once untimed first (that starts libunbound's
 * worker thread and fills its cache), then repeatedly for about SECONDS;
 * the figures are SPF checks per second and DNS queries per check.  Exit
 * status 1 when a check fails or does not give the expected pass.
 *
 * Usage: bench_spf [SECONDS]   (per case, default 1; as run-bench.sh
 * passes BENCH_SECONDS)
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "arena.h"
#include "dns.h"
#include "slice.h"
#include "spf.h"

static const char ZONE[] =
	/* chains: the sender's record includes a record that includes ... */
	"c2.bench.test. TXT \"v=spf1 include:_spf.c2.bench.test ~all\"\n"
	"_spf.c2.bench.test. TXT \"v=spf1 ip4:198.51.100.0/24 ip4:192.0.2.0/25 -all\"\n"
	"c3.bench.test. TXT \"v=spf1 ip4:203.0.113.0/28 include:_spf.c3.bench.test ~all\"\n"
	"_spf.c3.bench.test. TXT \"v=spf1 include:_netblocks.c3.bench.test include:_netblocks2.c3.bench.test ~all\"\n"
	"_netblocks.c3.bench.test. TXT \"v=spf1 ip4:198.51.100.0/24 ip6:2001:db8:1::/48 ~all\"\n"
	"_netblocks2.c3.bench.test. TXT \"v=spf1 ip4:192.0.2.0/24 ip6:2001:db8:2::/48 ~all\"\n"
	"c4.bench.test. TXT \"v=spf1 include:l1.c4.bench.test -all\"\n"
	"l1.c4.bench.test. TXT \"v=spf1 ip4:203.0.113.0/28 include:l2.c4.bench.test ?all\"\n"
	"l2.c4.bench.test. TXT \"v=spf1 include:l3.c4.bench.test ?all\"\n"
	"l3.c4.bench.test. TXT \"v=spf1 ip4:198.51.100.0/24 ip4:192.0.2.0/24 ?all\"\n"
	/* mx: three hosts looked up in one batch */
	"mx.bench.test. TXT \"v=spf1 mx -all\"\n"
	"mx.bench.test. MX 10 mx1.bench.test.\n"
	"mx.bench.test. MX 20 mx2.bench.test.\n"
	"mx.bench.test. MX 30 mx3.bench.test.\n"
	"mx1.bench.test. A 198.51.100.1\n"
	"mx2.bench.test. A 198.51.100.2\n"
	"mx3.bench.test. A 192.0.2.7\n"
	/* a: several names, then a macro */
	"a.bench.test. TXT \"v=spf1 a:w1.bench.test a:w2.bench.test exists:%{i}.allow.bench.test -all\"\n"
	"w1.bench.test. A 198.51.100.9\n"
	"w2.bench.test. A 198.51.100.10\n"
	"192.0.2.7.allow.bench.test. A 127.0.0.2\n";

struct bcase {
	const char *name, *from;
};

static const struct bcase cases[] = {
	{ "include chain 2 levels", "user@c2.bench.test" },
	{ "include chain 3 levels", "user@c3.bench.test" },
	{ "include chain 4 levels", "user@c4.bench.test" },
	{ "mx, 3 hosts", "user@mx.bench.test" },
	{ "a x2 + exists macro", "user@a.bench.test" },
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One check of case c; false when it could not be run. */
static bool one_check(struct dns_resolver *r, const struct bcase *c, struct spf_outcome *o)
{
	struct arena *a = arena_new(0);
	struct spf_request q;
	memset(&q, 0, sizeof q);
	q.ip = SLICE_LIT("192.0.2.7");
	q.helo = SLICE_LIT("mail.sender.test");
	q.mail_from = slice_from_cstr(c->from);
	q.receiver = SLICE_LIT("mx.bench.test");
	q.now = 1700000000;
	bool ok = a && spf_check(r, a, &q, 0, o) == SPF_OK;
	arena_free(a); /* o's slices point into it: only its numbers are read */
	return ok;
}

int main(int argc, char **argv)
{
	double secs = 1.0;
	if (argc > 1) {
		char *end;
		secs = strtod(argv[1], &end);
		if (end == argv[1] || *end || !(secs > 0) || secs > 3600) {
			fprintf(stderr, "usage: bench_spf [SECONDS]   (0 < SECONDS <= 3600)\n");
			return 2;
		}
	}
	char path[] = "/tmp/mailauth-bench-spf-XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0 || write(fd, ZONE, sizeof ZONE - 1) != (ssize_t)(sizeof ZONE - 1)) {
		fprintf(stderr, "bench_spf: cannot write the zone file\n");
		return 1;
	}
	close(fd);
	char spec[128], err[512];
	snprintf(spec, sizeof spec, "zone:%s", path);
	struct dns_resolver *r = dns_resolver_new(spec, err, sizeof err);
	unlink(path);
	if (!r) {
		fprintf(stderr, "bench_spf: %s\n", err);
		return 1;
	}
	printf("%-28s %10s %12s %12s %10s\n", "case (client 192.0.2.7)", "checks", "checks/s",
	       "queries/chk", "result");
	int rc = 0;
	unsigned long all_checks = 0;
	double all_time = 0;
	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		struct spf_outcome o;
		if (!one_check(r, &cases[k], &o)) {
			fprintf(stderr, "bench_spf: %s: evaluation failed\n", cases[k].name);
			rc = 1;
			continue;
		}
		unsigned long n = 0, queries = 0;
		enum spf_result last = o.result;
		bool bad = false;
		double t0 = now_s(), dt = 0;
		do {
			for (int i = 0; i < 64; i++) {
				if (!one_check(r, &cases[k], &o)) {
					bad = true;
					break;
				}
				n++;
				queries += o.dns_queries;
				if (o.result != SPF_PASS)
					last = o.result;
			}
			dt = now_s() - t0;
		} while (!bad && dt < secs);
		if (bad) {
			fprintf(stderr, "bench_spf: %s: evaluation failed\n", cases[k].name);
			rc = 1;
			continue;
		}
		printf("%-28s %10lu %12.0f %12.2f %10s\n", cases[k].name, n, (double)n / dt,
		       (double)queries / (double)n, spf_result_str(last));
		all_checks += n;
		all_time += dt;
		if (last != SPF_PASS) {
			fprintf(stderr, "bench_spf: %s: expected pass\n", cases[k].name);
			rc = 1;
		}
	}
	if (all_time > 0)
		printf("%-28s %10lu %12.0f\n", "all cases", all_checks, (double)all_checks / all_time);
	dns_resolver_free(r);
	return rc;
}
