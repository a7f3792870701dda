/* corpus.c — see corpus.h.  A small xorshift generator keeps it
 * deterministic without libc's rand(). */
#include "corpus.h"

static uint32_t next(uint32_t *s)
{
	uint32_t x = *s ? *s : 0x9e3779b9u;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*s = x;
	return x;
}

static const char *const words[] = {
	"mail", "exim", "relay", "domain", "policy", "report", "the", "and", "of",
	"authentication", "signature", "message", "forward", "list", "header", "body",
};

struct slice corpus_message(struct arena *a, size_t body_bytes, uint32_t seed)
{
	struct buf b;
	uint32_t s = seed * 2654435761u + 1;
	buf_init(&b, a, body_bytes + 65536);
	buf_addf(&b, "Received: from sender.example.org (sender.example.org [192.0.2.%u])\r\n"
	             "\tby mx.example.net with esmtps id 1a2b3c-%u\r\n"
	             "\tfor <user@example.net>; Mon, 23 Nov 2026 09:00:00 +0000\r\n",
	         next(&s) % 250 + 1, seed);
	buf_addf(&b, "Received: from internal.example.org by sender.example.org\r\n"
	             "\twith esmtp id 9z8y7x-%u; Mon, 23 Nov 2026 08:59:59 +0000\r\n", seed);
	buf_addf(&b, "From: Sender Name <sender%u@example.org>\r\n", seed % 97);
	buf_add_cstr(&b, "To: User <user@example.net>\r\n");
	buf_addf(&b, "Subject: Benchmark message %u about %s\r\n", seed,
	         words[next(&s) % (sizeof words / sizeof *words)]);
	buf_add_cstr(&b, "Date: Mon, 23 Nov 2026 08:59:58 +0000\r\n");
	buf_addf(&b, "Message-ID: <%u.%u@example.org>\r\n", seed, next(&s));
	buf_add_cstr(&b, "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
	                 "X-Mailer: corpus\r\n\r\n");
	size_t start = b.len, col = 0;
	while (b.len - start < body_bytes && !b.err) {
		const char *w = words[next(&s) % (sizeof words / sizeof *words)];
		buf_add_cstr(&b, w);
		col += 8;
		if (col > 70) {
			buf_add(&b, "\r\n", 2);
			col = 0;
		} else {
			buf_add_byte(&b, ' ');
		}
	}
	buf_add(&b, "\r\n", 2);
	return buf_slice(&b);
}
