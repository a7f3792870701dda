/* bench_parse — messages per second for parsing (msg_parse) on a fixed
 * corpus, next to SHA-256 over the same bytes: parsing should cost a small
 * fraction of one hash pass.  Rates per CPU second of this process.
 * Usage: bench_parse [SECONDS] */
#include <stdio.h>
#include <stdlib.h>

#include "arena.h"
#include "corpus.h"
#include "floor.h"
#include "msg.h"

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 1.0;
	static const size_t sizes[] = { 4096, 32768, 262144 };
	/* Parsing reads the header section only; the body is a byte range.  The
	 * floor column is how many messages per second one SHA-256 pass over
	 * the whole message would allow: parsing should be far above it. */
	printf("%-20s %14s %18s %10s\n", "case", "parse msg/s", "sha256-floor msg/s", "ratio");
	for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
		struct arena *corpus = arena_new(0);
		struct slice m = corpus_message(corpus, sizes[k], (uint32_t)k + 1);
		double t0 = bench_cpu(), t;
		unsigned long n = 0;
		do {
			for (int i = 0; i < 64; i++) {
				struct arena *a = arena_new(0);
				struct msg msg;
				if (msg_parse(&msg, a, m) != MSG_OK) {
					fprintf(stderr, "bench_parse: corpus message does not parse\n");
					return 1;
				}
				arena_free(a);
				n++;
			}
			t = bench_cpu();
		} while (t - t0 < secs);
		double rate = (double)n / (t - t0);
		double sha = bench_sha256_rate(m.ptr, m.len, secs);
		char name[64];
		snprintf(name, sizeof name, "parse %zu KB", sizes[k] / 1024);
		double floor = sha / (double)m.len;
		printf("%-20s %14.0f %18.0f %10.2f\n", name, rate, floor, rate / floor);
		arena_free(corpus);
	}
	return 0;
}
