/* dlfunc_config.c — ${dlfunc{mailauth.so}{config}{PATH}}: select the
 * configuration file for this Exim process.  Exim forks a process per SMTP
 * connection, so calling it in the connect ACL selects the file for the
 * whole connection; without a call the module reads
 * /etc/exim4/mailauth.conf on first use (a missing file means defaults).
 *
 * Returns "ok", or "error: <file:line: problem>" when the file is bad; the
 * problem is also logged and every result is temperror until a good file is
 * selected, so a mistake in the file defers mail instead of letting it
 * through unchecked.  Only a call without a path is an expansion error. */
#include <local_scan.h>

#include "exports.h"
#include "glue.h"

int config(uschar **yield, int argc, uschar *argv[])
{
	if (argc != 1 || !argv[0] || !argv[0][0])
		return glue_yield_error(yield, "config: expects one argument, the file's path");
	const char *why = NULL;
	if (glue_config_select((const char *)argv[0], &why))
		return glue_yield_ok(yield, SLICE_LIT("ok"), false);
	struct arena *a = arena_new(0);
	if (!a)
		return glue_yield_ok(yield, SLICE_LIT("error: out of memory"), false);
	struct buf b;
	buf_init(&b, a, 4096);
	buf_add_cstr(&b, "error: ");
	buf_add_cstr(&b, why ? why : "unknown");
	int rc = glue_yield_ok(yield, buf_slice(&b), true);
	arena_free(a);
	return rc;
}
