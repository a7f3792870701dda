/* version.c — version text for `mailauth-check --version` and the `version`
 * dlfunc; the library versions are the ones loaded at run time, which is
 * what matters when a distribution updates a library under us. */
#include "version.h"

#include <libpsl.h>
#include <openssl/crypto.h>
#include <unbound.h>

void version_describe(struct buf *b)
{
	buf_addf(b, "exim-mailauth %s (%s, libunbound %s, libpsl %s)", MAILAUTH_VERSION,
	         OpenSSL_version(OPENSSL_VERSION), ub_version(), psl_get_version());
}
