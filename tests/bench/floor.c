/* floor.c — see floor.h. */
#include "floor.h"

#include <openssl/evp.h>
#include <time.h>

double bench_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double bench_sha256_rate(const void *buf, size_t len, double seconds)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen;
	double t0 = bench_now(), t;
	size_t bytes = 0;
	do {
		for (int i = 0; i < 16; i++) {
			EVP_Digest(buf, len, md, &mdlen, EVP_sha256(), NULL);
			bytes += len;
		}
		t = bench_now();
	} while (t - t0 < seconds);
	return (double)bytes / (t - t0);
}
