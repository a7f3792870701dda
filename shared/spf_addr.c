/* spf_addr.c — IP address parsing, matching and formatting for SPF
 * (RFC 7208 sections 5.6, 7.3 and 12; RFC 4291 2.2; RFC 5952 4).
 * See spf_addr.h.  Reads only within the given slices; no allocation. */
#include "spf_addr.h"

#include <string.h>

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int hex_val(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* qnum = DIGIT / %x31-39 DIGIT / "1" 2DIGIT / "2" %x30-34 DIGIT / "25" %x30-35
 * i.e. 0..255 without leading zeros. */
static bool parse_qnum(const char *p, size_t n, uint8_t *out)
{
	if (n == 0 || n > 3)
		return false;
	if (n > 1 && p[0] == '0')
		return false;
	unsigned v = 0;
	for (size_t i = 0; i < n; i++) {
		if (!is_digit(p[i]))
			return false;
		v = v * 10 + (unsigned)(p[i] - '0');
	}
	if (v > 255)
		return false;
	*out = (uint8_t)v;
	return true;
}

bool spf_addr_parse_ip4(struct slice s, uint8_t out[4])
{
	const char *p = s.ptr, *end = s.ptr + s.len;
	uint8_t tmp[4];
	if (s.len == 0)
		return false;
	for (int i = 0; i < 4; i++) {
		const char *q = p;
		while (q < end && *q != '.')
			q++;
		if (!parse_qnum(p, (size_t)(q - p), &tmp[i]))
			return false;
		if (i < 3) {
			if (q == end)
				return false;
			p = q + 1;
		} else if (q != end) {
			return false;
		}
	}
	memcpy(out, tmp, 4);
	return true;
}

bool spf_addr_parse_ip6(struct slice s, uint8_t out[16])
{
	const char *p = s.ptr, *end = s.ptr + s.len;
	uint16_t g[8];
	int n = 0, dc = -1; /* dc: group index where "::" stands */

	if (s.len < 2)
		return false;
	if (p[0] == ':') {
		if (p[1] != ':')
			return false;
		dc = 0;
		p += 2;
		if (p == end)
			goto done;
	}
	for (;;) {
		const char *start = p;
		unsigned v = 0;
		int h = 0;
		while (p < end && h < 5 && hex_val(*p) >= 0) {
			v = v * 16 + (unsigned)hex_val(*p);
			p++;
			h++;
		}
		if (p < end && *p == '.') {
			/* Trailing dotted IPv4: the rest of the text, two groups. */
			uint8_t v4[4];
			if (n > 6 || !spf_addr_parse_ip4(slice_between(start, end), v4))
				return false;
			g[n++] = (uint16_t)(v4[0] << 8 | v4[1]);
			g[n++] = (uint16_t)(v4[2] << 8 | v4[3]);
			p = end;
			break;
		}
		if (h == 0 || h > 4 || n >= 8)
			return false;
		g[n++] = (uint16_t)v;
		if (p == end)
			break;
		if (*p != ':')
			return false;
		p++;
		if (p == end)
			return false; /* a single trailing ':' */
		if (*p == ':') {
			if (dc >= 0)
				return false; /* two "::" */
			dc = n;
			p++;
			if (p == end)
				break;
		}
	}
done:
	if (dc < 0) {
		if (n != 8)
			return false;
	} else {
		if (n > 7)
			return false;
		int fill = 8 - n;
		memmove(&g[dc + fill], &g[dc], (size_t)(n - dc) * sizeof g[0]);
		for (int i = 0; i < fill; i++)
			g[dc + i] = 0;
	}
	for (int i = 0; i < 8; i++) {
		out[2 * i] = (uint8_t)(g[i] >> 8);
		out[2 * i + 1] = (uint8_t)(g[i] & 0xff);
	}
	return true;
}

bool spf_addr_parse(struct slice s, struct spf_addr *out)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	struct spf_addr a;
	memset(&a, 0, sizeof a);
	if (spf_addr_parse_ip4(s, a.b)) {
		a.family = 4;
	} else if (spf_addr_parse_ip6(s, a.b)) {
		a.family = 6;
		if (memcmp(a.b, mapped, sizeof mapped) == 0) {
			/* RFC 7208 5: an IPv4-mapped IPv6 address is IPv4. */
			memmove(a.b, a.b + 12, 4);
			memset(a.b + 4, 0, 12);
			a.family = 4;
		}
	} else {
		return false;
	}
	*out = a;
	return true;
}

bool spf_addr_match(const uint8_t *addr, const uint8_t *net, unsigned family, unsigned cidr)
{
	unsigned bits = family == 4 ? 32 : 128;
	if (cidr > bits)
		cidr = bits;
	unsigned full = cidr / 8, rest = cidr % 8;
	if (full && memcmp(addr, net, full) != 0)
		return false;
	if (rest) {
		uint8_t mask = (uint8_t)(0xff << (8 - rest));
		if ((addr[full] & mask) != (net[full] & mask))
			return false;
	}
	return true;
}

static size_t put_dec(char *buf, unsigned v)
{
	char tmp[4];
	size_t n = 0, i = 0;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		buf[i++] = tmp[--n];
	return i;
}

static size_t format_ip4(const uint8_t *b, char *buf)
{
	size_t n = 0;
	for (int i = 0; i < 4; i++) {
		if (i)
			buf[n++] = '.';
		n += put_dec(buf + n, b[i]);
	}
	buf[n] = '\0';
	return n;
}

size_t spf_addr_format(const struct spf_addr *a, char *buf)
{
	static const char hx[] = "0123456789abcdef";
	if (a->family == 4)
		return format_ip4(a->b, buf);

	unsigned g[8];
	for (int i = 0; i < 8; i++)
		g[i] = (unsigned)a->b[2 * i] << 8 | a->b[2 * i + 1];
	/* RFC 5952 4.2: compress the longest run of two or more zero groups,
	 * the first one when runs tie. */
	int best = -1, bestlen = 1;
	for (int i = 0; i < 8;) {
		if (g[i] != 0) {
			i++;
			continue;
		}
		int j = i;
		while (j < 8 && g[j] == 0)
			j++;
		if (j - i > bestlen) {
			best = i;
			bestlen = j - i;
		}
		i = j;
	}
	size_t n = 0;
	for (int i = 0; i < 8; i++) {
		if (i == best) {
			buf[n++] = ':';
			buf[n++] = ':';
			i += bestlen - 1;
			continue;
		}
		if (i && !(best >= 0 && i == best + bestlen))
			buf[n++] = ':';
		bool lead = true;
		for (int sh = 12; sh >= 0; sh -= 4) {
			unsigned d = (g[i] >> sh) & 0xf;
			if (lead && d == 0 && sh)
				continue;
			lead = false;
			buf[n++] = hx[d];
		}
	}
	buf[n] = '\0';
	return n;
}

size_t spf_addr_format_dotted(const struct spf_addr *a, char *buf)
{
	static const char HX[] = "0123456789ABCDEF";
	if (a->family == 4)
		return format_ip4(a->b, buf);
	size_t n = 0;
	for (int i = 0; i < 16; i++) {
		if (i)
			buf[n++] = '.';
		buf[n++] = HX[a->b[i] >> 4];
		buf[n++] = '.';
		buf[n++] = HX[a->b[i] & 0xf];
	}
	buf[n] = '\0';
	return n;
}

size_t spf_addr_format_reverse(const struct spf_addr *a, char *buf)
{
	static const char hx[] = "0123456789abcdef";
	size_t n = 0;
	if (a->family == 4) {
		for (int i = 3; i >= 0; i--) {
			n += put_dec(buf + n, a->b[i]);
			buf[n++] = '.';
		}
		memcpy(buf + n, "in-addr.arpa", 13);
		return n + 12;
	}
	for (int i = 15; i >= 0; i--) {
		buf[n++] = hx[a->b[i] & 0xf];
		buf[n++] = '.';
		buf[n++] = hx[a->b[i] >> 4];
		buf[n++] = '.';
	}
	memcpy(buf + n, "ip6.arpa", 9);
	return n + 8;
}
