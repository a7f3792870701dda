/* corpus.h — deterministic synthetic messages for the benchmarks (a fixed
 * seed, so every run and every machine measures the same bytes). */
#ifndef MAILAUTH_BENCH_CORPUS_H
#define MAILAUTH_BENCH_CORPUS_H

#include <stddef.h>
#include <stdint.h>

#include "arena.h"

/* A plausible message of about body_bytes of body: a dozen headers, folded
 * Received lines, a text body with CRLF line ends.  seed varies the text. */
struct slice corpus_message(struct arena *a, size_t body_bytes, uint32_t seed);

#endif
