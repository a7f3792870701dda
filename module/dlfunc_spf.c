/* dlfunc_spf.c — ${dlfunc{mailauth.so}{spf}{IP}{HELO}{MAIL-FROM}}: the SPF
 * result (RFC 7208) for an envelope, in the MAIL or RCPT ACL.
 *
 * Arguments that are left out default to Exim's own variables:
 * $sender_host_address, $sender_helo_name, $sender_address.  An argument
 * that is given is used as it is: an empty IP or HELO means "none", an
 * empty MAIL-FROM is the null sender.  The result is one of pass, fail,
 * softfail, neutral, none, permerror, temperror; the other spf_* fields are
 * then available through `get`.  The envelope is evaluated once: calling
 * `spf` for every recipient costs nothing after the first. */
#include <local_scan.h>

#include "exports.h"
#include "glue.h"

int spf(uschar **yield, int argc, uschar *argv[])
{
	if (argc > 3)
		return glue_yield_error(yield, "spf: expects at most 3 arguments (ip, helo, mail-from)");
	struct glue_envelope e;
	glue_envelope_from_exim(&e);
	if (argc >= 1) {
		e.ip = slice_from_cstr(argv[0] ? (const char *)argv[0] : "");
		e.have_ip = e.ip.len > 0;
	}
	if (argc >= 2) {
		e.helo = slice_from_cstr(argv[1] ? (const char *)argv[1] : "");
		e.have_helo = e.helo.len > 0;
	}
	if (argc >= 3) {
		e.mail_from = slice_from_cstr(argv[2] ? (const char *)argv[2] : "");
		e.have_mail_from = true;
	}
	const struct fields *fs = glue_spf(&e);
	const struct field *f = fields_get(fs, SLICE_LIT("spf_result"));
	if (!f || !f->value.len)
		return glue_yield_ok(yield, SLICE_LIT("temperror"), false);
	return glue_yield_ok(yield, f->value, f->tainted);
}
