/* dns_wire.c — bounded readers for DNS wire format; see dns_wire.h.
 *
 * RFC 1035 3.1 (names), 3.3 (RR data), 4.1 (messages), 4.1.4 (compression).
 * No read here goes past p + len: every access is checked against the
 * cursor's length first, and errors are sticky (OpenSMTPD's unpacker style).
 */
#include "dns_wire.h"

#include <string.h>

#define DNS_T_CNAME_WIRE 5 /* RFC 1035 3.2.2 */

void dns_wire_init(struct dns_wire *w, const void *p, size_t len)
{
	w->p = p;
	w->len = p ? len : 0;
	w->off = 0;
	w->err = false;
}

static bool dns_wire_have(struct dns_wire *w, size_t n)
{
	if (w->err || w->off > w->len || w->len - w->off < n) {
		w->err = true;
		return false;
	}
	return true;
}

uint8_t dns_wire_u8(struct dns_wire *w)
{
	if (!dns_wire_have(w, 1))
		return 0;
	return w->p[w->off++];
}

uint16_t dns_wire_u16(struct dns_wire *w)
{
	if (!dns_wire_have(w, 2))
		return 0;
	uint16_t v = (uint16_t)((w->p[w->off] << 8) | w->p[w->off + 1]);
	w->off += 2;
	return v;
}

uint32_t dns_wire_u32(struct dns_wire *w)
{
	if (!dns_wire_have(w, 4))
		return 0;
	uint32_t v = ((uint32_t)w->p[w->off] << 24) | ((uint32_t)w->p[w->off + 1] << 16) |
	             ((uint32_t)w->p[w->off + 2] << 8) | (uint32_t)w->p[w->off + 3];
	w->off += 4;
	return v;
}

void dns_wire_skip(struct dns_wire *w, size_t n)
{
	if (dns_wire_have(w, n))
		w->off += n;
}

void dns_wire_name(struct dns_wire *w, bool in_packet, struct dns_wname *out)
{
	out->len = 0;
	if (w->err)
		return;
	size_t pos = w->off;
	size_t after = 0;   /* cursor position behind the name in the stream */
	bool jumped = false;
	/* A pointer must aim before the start of the run of labels it ends.
	 * Each jump therefore lands strictly lower than the previous one, which
	 * rules out loops (RFC 1035 4.1.4 only allows pointers to a "prior
	 * occurrence"). */
	size_t limit = pos;
	for (;;) {
		if (pos >= w->len)
			goto bad;
		unsigned c = w->p[pos];
		if (c == 0) {
			if (out->len + 1 > DNS_MAX_NAME)
				goto bad;
			out->b[out->len++] = 0;
			if (!jumped)
				after = pos + 1;
			break;
		}
		if ((c & 0xC0) == 0xC0) {
			if (!in_packet || w->len - pos < 2)
				goto bad;
			size_t target = ((size_t)(c & 0x3F) << 8) | w->p[pos + 1];
			if (target >= limit)
				goto bad;
			if (!jumped)
				after = pos + 2;
			jumped = true;
			limit = target;
			pos = target;
			continue;
		}
		/* 0x40 and 0x80: extended / reserved label types (RFC 6891 5). */
		if (c & 0xC0)
			goto bad;
		if (w->len - pos < 1 + (size_t)c)
			goto bad;
		/* RFC 1035 2.3.4: 255 octets including the final zero label. */
		if (out->len + 1 + c + 1 > DNS_MAX_NAME)
			goto bad;
		memcpy(out->b + out->len, w->p + pos, 1 + (size_t)c);
		out->len += 1 + (size_t)c;
		pos += 1 + (size_t)c;
	}
	w->off = after;
	return;
bad:
	w->err = true;
	out->len = 0;
}

static unsigned char dns_lower(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

bool dns_wname_eq(const struct dns_wname *a, const struct dns_wname *b)
{
	if (a->len != b->len)
		return false;
	/* Length octets are at most 63, below 'A', so lowering them is harmless. */
	for (size_t i = 0; i < a->len; i++)
		if (dns_lower(a->b[i]) != dns_lower(b->b[i]))
			return false;
	return true;
}

enum dns_wire_status dns_wname_text(struct arena *a, const struct dns_wname *n, struct slice *out)
{
	*out = SLICE_NULL;
	/* The text is never longer than the wire form. */
	char *t = arena_alloc(a, n->len + 1);
	if (!t)
		return DNS_WIRE_NOMEM;
	size_t tl = 0, i = 0;
	while (i < n->len) {
		size_t l = n->b[i++];
		if (l == 0)
			break;
		if (l > n->len - i)
			return DNS_WIRE_MALFORMED;
		if (tl)
			t[tl++] = '.';
		for (size_t k = 0; k < l; k++) {
			unsigned char c = n->b[i + k];
			if (c == '.')
				return DNS_WIRE_MALFORMED;
			t[tl++] = (char)dns_lower(c);
		}
		i += l;
	}
	t[tl] = '\0';
	*out = slice_make(t, tl);
	return DNS_WIRE_OK;
}

/* A name that must fill the rest of the rdata exactly. */
static enum dns_wire_status dns_wire_rdata_name(struct arena *a, struct dns_wire *w,
                                                struct slice *out)
{
	struct dns_wname n;
	dns_wire_name(w, false, &n);
	if (w->err || w->off != w->len)
		return DNS_WIRE_MALFORMED;
	return dns_wname_text(a, &n, out);
}

enum dns_wire_status dns_wire_rdata(struct arena *a, enum dns_type type, const void *rdata,
                                    size_t len, struct dns_rr *rr)
{
	struct dns_wire w;
	memset(rr, 0, sizeof *rr);
	if (len > DNS_MAX_RDATA || (len && !rdata))
		return DNS_WIRE_MALFORMED;
	dns_wire_init(&w, rdata, len);
	switch (type) {
	case DNS_T_A:
	case DNS_T_AAAA:
		if (len != (type == DNS_T_A ? 4u : 16u))
			return DNS_WIRE_MALFORMED;
		rr->data = arena_slice_dup(a, slice_make(rdata, len));
		return rr->data.ptr ? DNS_WIRE_OK : DNS_WIRE_NOMEM;
	case DNS_T_MX:
		rr->pref = dns_wire_u16(&w);
		if (w.err)
			return DNS_WIRE_MALFORMED;
		return dns_wire_rdata_name(a, &w, &rr->name);
	case DNS_T_PTR:
	case DNS_T_CNAME:
		return dns_wire_rdata_name(a, &w, &rr->name);
	case DNS_T_TXT: {
		/* The joined text is shorter than the rdata (one length octet per
		 * string goes away). */
		char *t = arena_alloc(a, len + 1);
		size_t tl = 0;
		if (!t)
			return DNS_WIRE_NOMEM;
		while (w.off < w.len) {
			size_t l = dns_wire_u8(&w);
			if (!dns_wire_have(&w, l))
				return DNS_WIRE_MALFORMED;
			memcpy(t + tl, w.p + w.off, l);
			tl += l;
			w.off += l;
		}
		t[tl] = '\0';
		rr->data = slice_make(t, tl);
		return DNS_WIRE_OK;
	}
	}
	/* A type we have no decoder for: the rdata as it is. */
	rr->data = arena_slice_dup(a, slice_make(rdata, len));
	return (rr->data.ptr || !len) ? DNS_WIRE_OK : DNS_WIRE_NOMEM;
}

/* Skip one RR's fixed part after its owner name; returns its type and leaves
 * *rd_off / *rd_len describing the rdata. */
static uint16_t dns_wire_rr_head(struct dns_wire *w, size_t *rd_off, size_t *rd_len)
{
	uint16_t type = dns_wire_u16(w);
	(void)dns_wire_u16(w); /* class */
	(void)dns_wire_u32(w); /* ttl */
	size_t l = dns_wire_u16(w);
	*rd_off = w->off;
	*rd_len = l;
	dns_wire_skip(w, l);
	return type;
}

enum dns_wire_status dns_wire_cname_chain(const void *msg, size_t len, struct dns_wname *target,
                                          unsigned *steps)
{
	struct dns_wire w;
	struct dns_wname cur, owner, next;
	*steps = 0;
	target->len = 0;
	dns_wire_init(&w, msg, len);
	dns_wire_skip(&w, 4); /* ID, flags */
	unsigned qd = dns_wire_u16(&w);
	unsigned an = dns_wire_u16(&w);
	dns_wire_skip(&w, 4); /* NSCOUNT, ARCOUNT */
	if (w.err || qd != 1)
		return DNS_WIRE_MALFORMED;
	dns_wire_name(&w, true, &cur);
	dns_wire_skip(&w, 4); /* QTYPE, QCLASS */
	if (w.err)
		return DNS_WIRE_MALFORMED;
	size_t an_start = w.off;

	for (;;) {
		bool found = false;
		w.off = an_start;
		for (unsigned i = 0; i < an && !found; i++) {
			size_t rd_off, rd_len;
			dns_wire_name(&w, true, &owner);
			uint16_t type = dns_wire_rr_head(&w, &rd_off, &rd_len);
			if (w.err)
				return DNS_WIRE_MALFORMED;
			if (type != DNS_T_CNAME_WIRE || !dns_wname_eq(&owner, &cur))
				continue;
			/* The target may be compressed against anything earlier in
			 * the message but must end exactly at the end of the rdata. */
			struct dns_wire r = { w.p, rd_off + rd_len, rd_off, false };
			dns_wire_name(&r, true, &next);
			if (r.err || r.off != rd_off + rd_len)
				return DNS_WIRE_MALFORMED;
			found = true;
		}
		if (!found)
			break;
		if (++*steps > DNS_MAX_CNAME_CHAIN)
			return DNS_WIRE_MALFORMED;
		cur = next;
	}
	*target = cur;
	return DNS_WIRE_OK;
}
