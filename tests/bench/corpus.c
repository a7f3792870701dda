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

#define NWORDS (sizeof words / sizeof *words)

/* Lines of words up to `until` bytes of b; flowed: a space before each
 * line end (RFC 3676 soft line breaks), and now and then two spaces. */
static void add_text(struct buf *b, uint32_t *s, size_t until, bool flowed)
{
	size_t col = 0;
	while (b->len < until && !b->err) {
		const char *w = words[next(s) % NWORDS];
		buf_add_cstr(b, w);
		col += 8;
		if (col > 70) {
			buf_add_cstr(b, flowed ? " \r\n" : "\r\n");
			col = 0;
		} else {
			buf_add_cstr(b, flowed && next(s) % 16 == 0 ? "  " : " ");
		}
	}
	buf_add(b, "\r\n", 2);
}

/* Indented HTML: leading tabs and spaces, runs of blanks inside lines,
 * trailing blanks on some. */
static void add_html(struct buf *b, uint32_t *s, size_t until)
{
	buf_add_cstr(b, "<html>\r\n<body>\r\n");
	while (b->len < until && !b->err) {
		buf_add_cstr(b, next(s) % 2 ? "\t\t<p>" : "    <p class=\"x\">");
		for (int k = 0; k < 8; k++) {
			buf_add_cstr(b, words[next(s) % NWORDS]);
			buf_add_cstr(b, next(s) % 8 == 0 ? "   " : " ");
		}
		buf_add_cstr(b, next(s) % 4 == 0 ? "</p>  \r\n" : "</p>\r\n");
	}
	buf_add_cstr(b, "</body>\r\n</html>\r\n");
}

static void add_base64(struct buf *b, uint32_t *s, size_t until)
{
	static const char b64[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	while (b->len < until && !b->err) {
		char line[78];
		for (int k = 0; k < 76; k++)
			line[k] = b64[next(s) % 64];
		line[76] = '\r';
		line[77] = '\n';
		buf_add(b, line, sizeof line);
	}
}

struct slice corpus_message_style(struct arena *a, size_t body_bytes, uint32_t seed,
                                  enum corpus_style style)
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
	buf_addf(&b, "Subject: Benchmark message %u about %s\r\n", seed, words[next(&s) % NWORDS]);
	buf_add_cstr(&b, "Date: Mon, 23 Nov 2026 08:59:58 +0000\r\n");
	buf_addf(&b, "Message-ID: <%u.%u@example.org>\r\n", seed, next(&s));
	buf_add_cstr(&b, "MIME-Version: 1.0\r\n");
	if (style == CORPUS_MIXED) {
		buf_add_cstr(&b, "Content-Type: multipart/mixed; boundary=\"=-b1\"\r\n"
		                 "X-Mailer: corpus\r\n\r\n");
		size_t start = b.len, third = body_bytes / 3;
		buf_add_cstr(&b, "--=-b1\r\nContent-Type: text/plain; charset=utf-8; format=flowed\r\n\r\n");
		add_text(&b, &s, start + third, true);
		buf_add_cstr(&b, "--=-b1\r\nContent-Type: text/html; charset=utf-8\r\n\r\n");
		add_html(&b, &s, start + 2 * third);
		buf_add_cstr(&b, "--=-b1\r\nContent-Type: application/octet-stream\r\n"
		                 "Content-Transfer-Encoding: base64\r\n\r\n");
		add_base64(&b, &s, start + body_bytes);
		buf_add_cstr(&b, "--=-b1--\r\n");
	} else {
		buf_add_cstr(&b, "Content-Type: text/plain; charset=utf-8\r\nX-Mailer: corpus\r\n\r\n");
		add_text(&b, &s, b.len + body_bytes, false);
	}
	return buf_slice(&b);
}

struct slice corpus_message(struct arena *a, size_t body_bytes, uint32_t seed)
{
	return corpus_message_style(a, body_bytes, seed, CORPUS_TEXT);
}
