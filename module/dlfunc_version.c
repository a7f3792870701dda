/* dlfunc_version.c — ${dlfunc{mailauth.so}{version}}: the module's version
 * and the library versions it runs with.  Useful as a first smoke test:
 *   exim4 -be '${dlfunc{/usr/lib/exim4/mailauth.so}{version}}' */
#include <local_scan.h>

#include "arena.h"
#include "exports.h"
#include "glue.h"
#include "version.h"

int version(uschar **yield, int argc, uschar *argv[])
{
	(void)argc;
	(void)argv;
	struct arena *a = arena_new(0);
	if (!a)
		return glue_yield_error(yield, "version: out of memory");
	struct buf b;
	buf_init(&b, a, 4096);
	version_describe(&b);
	int rc = glue_yield_ok(yield, buf_slice(&b), false);
	arena_free(a);
	return rc;
}
