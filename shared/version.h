/* version.h — the version of exim-mailauth and of the libraries it runs on. */
#ifndef MAILAUTH_VERSION_H
#define MAILAUTH_VERSION_H

#include "arena.h"

#define MAILAUTH_VERSION "0.1.0"

/* "exim-mailauth 0.1.0 (OpenSSL 3.0.x, libunbound 1.17.x, libpsl 0.21.x)"
 * appended to b. */
void version_describe(struct buf *b);

#endif
