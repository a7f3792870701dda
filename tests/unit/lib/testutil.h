/* testutil.h — helpers shared by the unit tests and conformance runners.
 *
 * Conformance data lives outside the repository, in ../shared/conformance
 * beside the checkout; MAILAUTH_CONFORMANCE overrides the path.  A test that
 * needs it calls testutil_conformance_path() and, when the data is absent,
 * fails with a message saying so (the data is part of the test setup; a
 * missing suite must not turn into a silent pass).
 */
#ifndef MAILAUTH_TESTUTIL_H
#define MAILAUTH_TESTUTIL_H

#include <stddef.h>

/* Directory of the conformance data (no trailing slash). */
const char *testutil_conformance_dir(void);
/* Full path of rel inside it, in a static buffer valid until the next call;
 * NULL (and a message on stderr naming the path and MAILAUTH_CONFORMANCE)
 * when the file does not exist. */
const char *testutil_conformance_path(const char *rel);

/* Read a whole file into malloc'd memory (*len set); NULL on error. */
char *testutil_read_file(const char *path, size_t *len);

/* Write data to a new temporary file (mode 0600) and return its malloc'd
 * path; the caller unlinks and frees it.  NULL on error. */
char *testutil_write_temp(const char *data, size_t len, const char *suffix);

/* Source tree root (where tests/ lives), from MAILAUTH_SRCDIR or ".". */
const char *testutil_srcdir(void);

#endif
