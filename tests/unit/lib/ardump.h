/* ardump.h — record Authentication-Results fields produced by the tests,
 * with what they must contain, for tests/interop/ar_authres.sh (which feeds
 * them to python3-authres).
 *
 * When the environment variable MAILAUTH_AR_DUMP names a file, every
 * recorded field is appended to it as one JSON object per line:
 *   {"source": "...", "header": "Authentication-Results: ...",
 *    "authserv_id": "...",
 *    "results": [{"method": "spf", "result": "pass", "reason": null,
 *                 "props": [["smtp.mailfrom", "user@example.com"], ...]}]}
 * The expectations are the builder's inputs (not its output), so the
 * checker verifies the round trip.  Without the variable nothing is
 * written.  The strings are bytes; bytes outside 0x20..0x7e are written as
 * \u00XX.
 */
#ifndef MAILAUTH_ARDUMP_H
#define MAILAUTH_ARDUMP_H

#include "slice.h"

/* Start a record; returns 0 when dumping is off (the other calls are then
 * no-ops). */
int ardump_begin(const char *source, struct slice header, struct slice authserv_id);
/* A resinfo, in order; reason may be SLICE_NULL. */
void ardump_result(const char *method, const char *result, struct slice reason);
/* A property of the last resinfo: "ptype.property" and its value. */
void ardump_prop(const char *name, struct slice value);
/* Finish and append the record (one write). */
void ardump_end(void);

#endif
