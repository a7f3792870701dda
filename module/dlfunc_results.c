/* dlfunc_results.c — the dlfuncs that evaluate a message and hand out its
 * results: verify, get, fields, authres, arc_seal.
 *
 *   verify      DATA ACL (or acl_not_smtp): SPF, DKIM, ARC and DMARC once per
 *               message; returns dmarc_status ("off" while the evaluation
 *               gives none).  Outside a message it is an expansion error.
 *   get FIELD   one field; an unknown name is an expansion error naming it,
 *               a known field the evaluation did not set is empty.
 *   fields      every field as name="value" pairs for ${extract{name}{...}}.
 *   authres     the whole Authentication-Results field, for
 *               add_header = :at_start:${dlfunc{...}{authres}}.
 *   arc_seal    the ARC set to add at the top of the header; empty when
 *               ARC sealing is not configured or not possible.  As it is,
 *               for the smtp transport's headers_add (which appends);
 *   arc_seal add_header
 *               the same fields for an ACL's add_header, each with its own
 *               :at_start: (Exim applies the prefix per field, and each one
 *               goes above the previous), so they end up on top as
 *               ARC-Seal, ARC-Message-Signature, ARC-Authentication-Results.
 * get, fields and authres used in a message context verify the message
 * first if `verify` was not called; before DATA they show the results of
 * the last `spf` call.  Results are never expansion errors: a bad
 * configuration or an internal failure gives temperror (see glue.h). */
#include <local_scan.h>

#include "exports.h"
#include "glue.h"

static bool fields_tainted(const struct fields *fs)
{
	for (size_t i = 0; i < fs->n; i++)
		if (fs->f[i].tainted)
			return true;
	return false;
}

static int yield_field(uschar **yield, const struct fields *fs, const char *name,
                       const char *absent)
{
	const struct field *f = fields_get(fs, slice_from_cstr(name));
	if (!f)
		return glue_yield_ok(yield, slice_from_cstr(absent), false);
	return glue_yield_ok(yield, f->value, f->tainted);
}

int verify(uschar **yield, int argc, uschar *argv[])
{
	(void)argv;
	if (argc != 0)
		return glue_yield_error(yield, "verify: takes no arguments");
	const struct fields *fs = glue_verify(-1);
	if (!fs)
		return glue_yield_error(yield, "verify: no message is being received here (use it in "
		                               "the DATA, MIME or non-SMTP ACL)");
	return yield_field(yield, fs, "dmarc_status", "off");
}

/* A field name as typed by the administrator, for an error message:
 * anything but [a-z0-9_] is not echoed. */
static bool is_field_name(struct slice s)
{
	if (!s.len || s.len > 64)
		return false;
	for (size_t i = 0; i < s.len; i++) {
		char c = s.ptr[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
			return false;
	}
	return true;
}

int get(uschar **yield, int argc, uschar *argv[])
{
	if (argc != 1 || !argv[0])
		return glue_yield_error(yield, "get: expects one argument, a field name");
	struct slice name = slice_from_cstr((const char *)argv[0]);
	if (!is_field_name(name))
		return glue_yield_error(yield, "get: the argument is not a field name (%s)",
		                        name.len && name.len <= 64 ? "invalid characters"
		                                                   : "empty or too long");
	const struct fields *fs = glue_results();
	if (!glue_field_known(fs, name))
		return glue_yield_error(yield, "get: unknown field '%.*s'", (int)name.len, name.ptr);
	const struct field *f = fields_get(fs, name);
	if (!f)
		return glue_yield_ok(yield, SLICE_LIT(""), false);
	return glue_yield_ok(yield, f->value, f->tainted);
}

int fields(uschar **yield, int argc, uschar *argv[])
{
	(void)argv;
	if (argc != 0)
		return glue_yield_error(yield, "fields: takes no arguments");
	const struct fields *fs = glue_results();
	struct arena *a = arena_new(0);
	if (!a)
		return glue_yield_ok(yield, SLICE_LIT("mailauth_error=\"out of memory\""), false);
	struct buf b;
	buf_init(&b, a, 16u * 1024 * 1024);
	fields_format_extract(fs, &b);
	int rc = b.err ? glue_yield_ok(yield, SLICE_LIT("mailauth_error=\"out of memory\""), false)
	               : glue_yield_ok(yield, buf_slice(&b), fields_tainted(fs));
	arena_free(a);
	return rc;
}

int authres(uschar **yield, int argc, uschar *argv[])
{
	(void)argv;
	if (argc != 0)
		return glue_yield_error(yield, "authres: takes no arguments");
	const struct fields *fs = glue_results();
	struct arena *a = arena_new(0);
	if (!a)
		return glue_yield_error(yield, "authres: out of memory");
	struct slice h = glue_authres(fs, a);
	int rc = h.ptr ? glue_yield_ok(yield, h, true)
	               : glue_yield_error(yield, "authres: out of memory");
	arena_free(a);
	return rc;
}

/* The fields of one ARC set (RFC 8617 4.1): ARC-Seal, ARC-Message-Signature,
 * ARC-Authentication-Results. */
#define ARC_SEAL_FIELDS 3

int arc_seal(uschar **yield, int argc, uschar *argv[])
{
	bool for_acl = argc == 1 && argv[0] &&
	               slice_eq(slice_from_cstr((const char *)argv[0]), SLICE_LIT("add_header"));
	if (argc != 0 && !for_acl)
		return glue_yield_error(yield, "arc_seal: takes no argument, or \"add_header\"");
	const struct fields *fs = glue_results();
	if (!for_acl)
		return yield_field(yield, fs, "arc_seal", "");
	const struct field *f = fields_get(fs, SLICE_LIT("arc_seal"));
	if (!f || !f->value.len)
		return glue_yield_ok(yield, SLICE_LIT(""), false);

	/* Our own block: a field starts at the beginning or after a line end
	 * that is not followed by blank (a fold). */
	struct slice field[ARC_SEAL_FIELDS];
	size_t n = 0;
	const char *p = f->value.ptr, *end = slice_end(f->value), *start = p;
	for (const char *q = p; q < end; q++) {
		if (*q != '\n' || (q + 1 < end && (q[1] == ' ' || q[1] == '\t')))
			continue;
		if (n == ARC_SEAL_FIELDS)
			return glue_yield_error(yield, "arc_seal: unexpected ARC set layout");
		field[n++] = slice_make(start, (size_t)(q + 1 - start));
		start = q + 1;
	}
	if (start < end) {
		if (n == ARC_SEAL_FIELDS)
			return glue_yield_error(yield, "arc_seal: unexpected ARC set layout");
		field[n++] = slice_make(start, (size_t)(end - start));
	}
	struct arena *a = arena_new(0);
	if (!a)
		return glue_yield_error(yield, "arc_seal: out of memory");
	struct buf b;
	buf_init(&b, a, f->value.len + 64);
	/* Last field first: each :at_start: field goes above the ones before. */
	while (n--) {
		buf_add_cstr(&b, ":at_start:");
		buf_add_slice(&b, field[n]);
		if (field[n].len && field[n].ptr[field[n].len - 1] != '\n')
			buf_add_byte(&b, '\n');
	}
	int rc = b.err ? glue_yield_error(yield, "arc_seal: out of memory")
	               : glue_yield_ok(yield, buf_slice(&b), f->tainted);
	arena_free(a);
	return rc;
}
