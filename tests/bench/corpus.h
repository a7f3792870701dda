/* corpus.h — deterministic synthetic messages for the benchmarks (a fixed
 * seed, so every run and every machine measures the same bytes). */
#ifndef MAILAUTH_BENCH_CORPUS_H
#define MAILAUTH_BENCH_CORPUS_H

#include <stddef.h>
#include <stdint.h>

#include "arena.h"

enum corpus_style {
	/* text/plain, lines of single-spaced words: the fast path of both
	 * canonicalizations (nothing to change). */
	CORPUS_TEXT,
	/* multipart/mixed as mail clients send it: a format=flowed text part
	 * (a trailing space on most lines), an indented HTML part with tabs
	 * and runs of spaces, and a base64 attachment (76-byte lines), about
	 * a third each: what relaxed canonicalization has to rewrite. */
	CORPUS_MIXED,
};

/* A plausible message of about body_bytes of body: a dozen headers
 * (From: sender<N>@example.org), folded Received lines, CRLF line ends.
 * seed varies the text. */
struct slice corpus_message_style(struct arena *a, size_t body_bytes, uint32_t seed,
                                  enum corpus_style style);
/* corpus_message_style(..., CORPUS_TEXT) */
struct slice corpus_message(struct arena *a, size_t body_bytes, uint32_t seed);

#endif
