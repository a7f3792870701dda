/* floor.h — what the benchmarks compare against: the machine's own speed,
 * measured with OpenSSL in the same run. */
#ifndef MAILAUTH_BENCH_FLOOR_H
#define MAILAUTH_BENCH_FLOOR_H

#include <stddef.h>

/* Seconds on a monotonic clock. */
double bench_now(void);
/* SHA-256 throughput in bytes/second over a buffer of len bytes, measured
 * for about `seconds`. */
double bench_sha256_rate(const void *buf, size_t len, double seconds);

#endif
