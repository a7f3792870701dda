/* arc_testkit.h — helpers for the ARC conformance runner: TXT records
 * from YAML test data into zone files (keys and zones for generated tests
 * come from dkimtest.h).
 */
#ifndef MAILAUTH_ARC_TESTKIT_H
#define MAILAUTH_ARC_TESTKIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Write "name. TXT "..." "..."" to f (zone file format of dns.h).  The
 * value is cut at line breaks (a multi-line YAML value becomes several
 * character-strings, which DNS joins back without separator) and into
 * pieces of at most 255 bytes; '"' and '\' are escaped, other bytes outside
 * printable ASCII written as \DDD.  Returns false on a write error. */
bool arc_testkit_zone_txt(FILE *f, const char *name, size_t name_len, const char *value,
                          size_t value_len);

#endif
