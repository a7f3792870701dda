/* bench_spf — SPF evaluations per second and DNS queries per evaluation
 * for policies with include chains 2, 3 and 4 levels deep (the shape of
 * large senders' records), plus mx and a-heavy policies.  DNS is the real
 * libunbound answering from a zone file written here, so the figures
 * include the resolver round trip through libunbound's local data (the
 * "answered from cache" floor of DESIGN.md); every evaluation starts with a
 * fresh arena and an empty per-check cache, as one message would.
 *
 * Usage: bench_spf [ITERATIONS]   (evaluations per case, default 2000)
 */
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

int main(int argc, char **argv)
{
	long iters = argc > 1 ? atol(argv[1]) : 2000;
	if (iters < 1)
		iters = 1;
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
	printf("%-28s %10s %12s %12s %10s\n", "case (192.0.2.7)", "evals", "evals/s", "queries/eval",
	       "result");
	int rc = 0;
	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		unsigned long queries = 0;
		enum spf_result last = SPF_NONE;
		double t0 = now_s();
		for (long i = 0; i < iters; i++) {
			struct arena *a = arena_new(0);
			struct spf_request q;
			memset(&q, 0, sizeof q);
			q.ip = SLICE_LIT("192.0.2.7");
			q.helo = SLICE_LIT("mail.sender.test");
			q.mail_from = slice_from_cstr(cases[k].from);
			q.receiver = SLICE_LIT("mx.bench.test");
			q.now = 1700000000;
			struct spf_outcome o;
			if (!a || spf_check(r, a, &q, 0, &o) != SPF_OK) {
				fprintf(stderr, "bench_spf: evaluation failed\n");
				rc = 1;
			} else {
				queries += o.dns_queries;
				last = o.result;
			}
			arena_free(a);
		}
		double dt = now_s() - t0;
		printf("%-28s %10ld %12.0f %12.2f %10s\n", cases[k].name, iters, (double)iters / dt,
		       (double)queries / (double)iters, spf_result_str(last));
		if (last != SPF_PASS)
			rc = 1;
	}
	dns_resolver_free(r);
	return rc;
}
