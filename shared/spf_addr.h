/* spf_addr.h — IP addresses as SPF uses them (RFC 7208 sections 5.6 and 7.3).
 *
 * Parsing is strict and follows the ABNF of RFC 7208 section 12:
 *   ip4-network = qnum "." qnum "." qnum "." qnum   (no leading zeros)
 *   ip6-network = <RFC 4291 section 2.2>            (incl. trailing IPv4)
 * The client address (struct spf_addr) is parsed with the same rules; an
 * IPv4-mapped IPv6 client (::ffff:a.b.c.d) is treated as IPv4, as RFC 7208
 * section 5 requires ("an IPv4-mapped IPv6 address MUST still be considered
 * an IPv4 address").
 *
 * Formatting produces the two macro forms of RFC 7208 section 7.3:
 *   %{c}  readable: dotted quad, or RFC 5952 text for IPv6
 *   %{i}  dotted:   dotted quad, or 32 dot-separated nibbles for IPv6
 * The nibble form is written with upper-case hex digits: DNS names are
 * case-insensitive, and the OpenSPF suite (v-macro-ip6) expects upper case
 * where the address shows up in an explanation.
 *
 * Nothing here allocates; every function reads only within its slice.
 */
#ifndef MAILAUTH_SPF_ADDR_H
#define MAILAUTH_SPF_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "slice.h"

/* Longest outputs of the formatters, NUL included. */
#define SPF_ADDR_TEXT_MAX   48   /* RFC 5952 text, with room to spare */
#define SPF_ADDR_DOTTED_MAX 72   /* 32 nibbles, 31 dots, NUL */

struct spf_addr {
	unsigned family;   /* 4 or 6 */
	uint8_t b[16];     /* network order; IPv4 uses b[0..3] */
};

/* ip4-network: exactly four decimal octets without leading zeros. */
bool spf_addr_parse_ip4(struct slice s, uint8_t out[4]);
/* ip6-network: RFC 4291 2.2 text forms, including "::" and a trailing
 * dotted IPv4 part.  No zone index, no brackets. */
bool spf_addr_parse_ip6(struct slice s, uint8_t out[16]);
/* A client address: IPv4 or IPv6 text; IPv4-mapped IPv6 becomes IPv4. */
bool spf_addr_parse(struct slice s, struct spf_addr *out);

/* True when the first cidr bits of addr equal those of net (both of the
 * same family, 4 or 16 bytes).  cidr is clamped to the family's width. */
bool spf_addr_match(const uint8_t *addr, const uint8_t *net, unsigned family, unsigned cidr);

/* %{c} form into buf (at least SPF_ADDR_TEXT_MAX bytes); returns length. */
size_t spf_addr_format(const struct spf_addr *a, char *buf);
/* %{i} form into buf (at least SPF_ADDR_DOTTED_MAX bytes); returns length. */
size_t spf_addr_format_dotted(const struct spf_addr *a, char *buf);
/* Reverse-lookup name without the final dot ("4.3.2.1.in-addr.arpa",
 * "...ip6.arpa") into buf (SPF_ADDR_DOTTED_MAX + 9 bytes); returns length. */
size_t spf_addr_format_reverse(const struct spf_addr *a, char *buf);
#define SPF_ADDR_REVERSE_MAX (SPF_ADDR_DOTTED_MAX + 9)

#endif
