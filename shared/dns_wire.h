/* dns_wire.h — reading DNS wire format: names, rdata, the CNAME chain of a
 * response (RFC 1035 3.1, 3.3, 4.1; RFC 2181 10.1 for CNAME chains; RFC 4343
 * for case-insensitive names).
 *
 * Everything here reads bytes that came off the network (through
 * libunbound), so every read is bounded: a struct dns_wire is a cursor with a
 * sticky error (every read after a failure is a no-op returning 0; the caller
 * checks err once at the end).  Nothing here allocates except the functions
 * taking an arena, whose results live in that arena.
 *
 * Text form of names handed to callers ("display form"): the label bytes as
 * they are, ASCII letters lower-cased, labels joined by '.', no final dot;
 * the root is the empty string.  A label containing a '.' byte cannot be
 * written that way and makes the rdata malformed.
 *
 * Ownership: used only by the DNS layer (dns.c); the header exists so that
 * the unit tests can feed hostile rdata and packets to the decoders directly.
 */
#ifndef MAILAUTH_DNS_WIRE_H
#define MAILAUTH_DNS_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "dns.h"
#include "mailauth_limits.h"
#include "slice.h"

/* Cursor over wire data. */
struct dns_wire {
	const unsigned char *p;
	size_t len, off;
	bool err;
};

/* A domain name in uncompressed wire form (length-prefixed labels ending in
 * the zero label), never longer than RFC 1035's 255 octets. */
struct dns_wname {
	unsigned char b[DNS_MAX_NAME];
	size_t len;
};

enum dns_wire_status {
	DNS_WIRE_OK,
	DNS_WIRE_MALFORMED,
	DNS_WIRE_NOMEM,
};

void dns_wire_init(struct dns_wire *w, const void *p, size_t len);
uint8_t dns_wire_u8(struct dns_wire *w);
uint16_t dns_wire_u16(struct dns_wire *w);
uint32_t dns_wire_u32(struct dns_wire *w);
void dns_wire_skip(struct dns_wire *w, size_t n);

/* Read a name at the cursor into *out.  With in_packet, compression pointers
 * (RFC 1035 4.1.4) are followed inside w->p, and only backwards, so a loop is
 * impossible; without it (rdata handed over on its own) a pointer is an
 * error.  Sets w->err on a truncated name, a reserved label type, a name over
 * DNS_MAX_NAME octets or a bad pointer. */
void dns_wire_name(struct dns_wire *w, bool in_packet, struct dns_wname *out);

/* Case-insensitive (ASCII) equality of two wire names (RFC 4343). */
bool dns_wname_eq(const struct dns_wname *a, const struct dns_wname *b);

/* Display form of a wire name (see above) into *out.  MALFORMED when a label
 * holds a '.' byte. */
enum dns_wire_status dns_wname_text(struct arena *a, const struct dns_wname *n,
                                    struct slice *out);

/* Decode one RR's rdata (as libunbound hands it over: no RDLENGTH, names
 * uncompressed) of the given type into *rr (fields as documented for struct
 * dns_rr in dns.h; for a type without a decoder, data is the raw rdata).
 * MALFORMED when the rdata does not have exactly the shape of its type. */
enum dns_wire_status dns_wire_rdata(struct arena *a, enum dns_type type, const void *rdata,
                                    size_t len, struct dns_rr *rr);

/* Follow the CNAME chain of a DNS response message (RFC 1035 4.1): start at
 * the question name and step through answer-section CNAME RRs whose owner is
 * the current name, at most DNS_MAX_CNAME_CHAIN steps.  *target gets the last
 * name reached and *steps the number of CNAMEs followed (0: no alias).
 * MALFORMED on a message that cannot be parsed or a chain longer than the
 * limit. */
enum dns_wire_status dns_wire_cname_chain(const void *msg, size_t len, struct dns_wname *target,
                                          unsigned *steps);

#endif
