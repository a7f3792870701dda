/* dkimtest.h — helpers for the DKIM tests (unit, conformance, interop
 * driver, benchmark): building a zone file of key records for the real
 * resolver ("zone:" spec, see dns.h), generating and exporting keys, and
 * turning LF line ends into CRLF.  Test code only; memory is malloc'd and
 * the caller frees it as each function says.
 */
#ifndef MAILAUTH_DKIMTEST_H
#define MAILAUTH_DKIMTEST_H

#include <stdbool.h>
#include <stddef.h>

#include "arena.h"
#include "dkim.h"
#include "dns.h"

/* A zone under construction (text in zone-file syntax). */
struct dkimtest_zone {
	char *text;
	size_t len, cap;
};

/* name gets a TXT record holding value (split into 255-byte
 * character-strings, quotes and backslashes escaped); a trailing dot is
 * added when missing. */
void dkimtest_zone_txt(struct dkimtest_zone *z, const char *name, const char *value, size_t len);
/* Queries at name time out (the zone file's TIMEOUT extension). */
void dkimtest_zone_timeout(struct dkimtest_zone *z, const char *name);
/* A resolver answering from the zone (written to a temporary file that is
 * removed again).  NULL, with a message on stderr, on failure. */
struct dns_resolver *dkimtest_resolver(const struct dkimtest_zone *z);
void dkimtest_zone_free(struct dkimtest_zone *z);

/* Copy of p with every LF not preceded by CR made CRLF (malloc). */
char *dkimtest_crlf(const char *p, size_t len, size_t *outlen);

/* A fresh key: "rsa" with bits, or "ed25519".  The private key comes back as
 * PEM (malloc'd, NUL-terminated) and the key record value
 * "v=DKIM1; k=...; p=..." (malloc'd).  false on failure. */
bool dkimtest_genkey(const char *type, int bits, char **pem, char **record);

#endif
