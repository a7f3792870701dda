/* fuzz_dns_wire.c — fuzz target for the DNS wire-format readers
 * (shared/dns_wire.h; RFC 1035 3.1, 3.3, 4.1, 4.1.4; RFC 2181 10.1): the
 * rdata decoders for A, AAAA, MX, PTR, CNAME, TXT and an unknown type, the
 * name reader with and without compression, and the CNAME chain of a whole
 * response.  These read bytes that come off the network.
 *
 * Input layout: the first byte picks what the rest is fed to (0-6: rdata
 * of A, CNAME, PTR, MX, TXT, AAAA, type 99; 7: a response message for
 * dns_wire_cname_chain; 8 and above: a packet whose names are read from
 * offset 12 with compression, then one name without).
 *
 * Properties checked (from dns_wire.h): a name is at most DNS_MAX_NAME
 * octets of wire form ending in the zero label and equals itself; its
 * display form is lower case without a final dot and is no longer than
 * the wire form; decoded rdata has the documented shape (4 or 16 bytes,
 * TXT no longer than the rdata); a CNAME chain stops within
 * DNS_MAX_CNAME_CHAIN steps; the sticky error stays set.
 * Corpus: tests/fuzz/corpus/dns_wire.  Ownership: tests/fuzz (fuzz harness).
 */
#include "dns_wire.h"
#include "fuzzutil.h"

static void fuzz_check_wname(struct arena *a, const struct dns_wname *n)
{
	FUZZ_CHECK(n->len >= 1 && n->len <= DNS_MAX_NAME);
	FUZZ_CHECK(n->b[n->len - 1] == 0);
	FUZZ_CHECK(dns_wname_eq(n, n));
	struct slice t;
	enum dns_wire_status st = dns_wname_text(a, n, &t);
	FUZZ_CHECK(st == DNS_WIRE_OK || st == DNS_WIRE_MALFORMED || st == DNS_WIRE_NOMEM);
	if (st == DNS_WIRE_OK) {
		FUZZ_CHECK(t.len < n->len);
		FUZZ_CHECK(t.len == 0 || t.ptr[t.len - 1] != '.');
		for (size_t i = 0; i < t.len; i++)
			FUZZ_CHECK(!(t.ptr[i] >= 'A' && t.ptr[i] <= 'Z'));
	}
}

static void fuzz_rdata(struct arena *a, enum dns_type type, const uint8_t *p, size_t len)
{
	struct dns_rr rr;
	enum dns_wire_status st = dns_wire_rdata(a, type, p, len, &rr);
	FUZZ_CHECK(st == DNS_WIRE_OK || st == DNS_WIRE_MALFORMED || st == DNS_WIRE_NOMEM);
	if (st != DNS_WIRE_OK)
		return;
	switch (type) {
	case DNS_T_A:
		FUZZ_CHECK(rr.data.len == 4);
		break;
	case DNS_T_AAAA:
		FUZZ_CHECK(rr.data.len == 16);
		break;
	case DNS_T_TXT:
		FUZZ_CHECK(rr.data.len <= len);
		break;
	case DNS_T_MX:
	case DNS_T_PTR:
	case DNS_T_CNAME:
		FUZZ_CHECK(rr.name.len < len);
		for (size_t i = 0; i < rr.name.len; i++)
			FUZZ_CHECK(!(rr.name.ptr[i] >= 'A' && rr.name.ptr[i] <= 'Z'));
		break;
	default:
		FUZZ_CHECK(rr.data.len == len);
	}
	fuzz_touch(rr.data);
	fuzz_touch(rr.name);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	struct arena *a = arena_new(0);
	if (!a)
		return 0;
	static const enum dns_type types[] = { DNS_T_A,   DNS_T_CNAME, DNS_T_PTR,         DNS_T_MX,
		                               DNS_T_TXT, DNS_T_AAAA,  (enum dns_type)99 };
	const uint8_t *p = data + 1;
	size_t len = size - 1;
	unsigned sel = data[0];
	if (sel < 7) {
		fuzz_rdata(a, types[sel], p, len);
	} else if (sel == 7) {
		struct dns_wname target;
		unsigned steps = 0;
		enum dns_wire_status st = dns_wire_cname_chain(p, len, &target, &steps);
		FUZZ_CHECK(st == DNS_WIRE_OK || st == DNS_WIRE_MALFORMED || st == DNS_WIRE_NOMEM);
		if (st == DNS_WIRE_OK) {
			FUZZ_CHECK(steps <= DNS_MAX_CNAME_CHAIN);
			fuzz_check_wname(a, &target);
		}
	} else {
		struct dns_wire w;
		dns_wire_init(&w, p, len);
		dns_wire_skip(&w, 12);
		for (int k = 0; k < 4 && !w.err; k++) {
			struct dns_wname n;
			dns_wire_name(&w, true, &n);
			if (!w.err) {
				fuzz_check_wname(a, &n);
				FUZZ_CHECK(w.off <= w.len);
			}
		}
		if (w.err) {
			/* Sticky: every later read is a no-op returning 0. */
			size_t off = w.off;
			FUZZ_CHECK(dns_wire_u8(&w) == 0 && dns_wire_u16(&w) == 0 && dns_wire_u32(&w) == 0);
			FUZZ_CHECK(w.err && w.off == off);
		}
		dns_wire_init(&w, p, len);
		struct dns_wname n;
		dns_wire_name(&w, false, &n);
		if (!w.err)
			fuzz_check_wname(a, &n);
	}
	arena_free(a);
	return 0;
}
