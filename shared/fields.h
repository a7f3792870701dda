/* fields.h — the results of an evaluation as named string fields.
 *
 * Field names are the administrator-facing contract (DESIGN.md): spf_result,
 * dkim_verify_status, dmarc_status, arc_state, ...  Values are bytes (they
 * may carry message or DNS text) and keep their length.  The order of first
 * insertion is kept so output is stable.  Storage lives in the arena.
 */
#ifndef MAILAUTH_FIELDS_H
#define MAILAUTH_FIELDS_H

#include <stdbool.h>
#include <stddef.h>

#include "arena.h"
#include "slice.h"

struct field {
	const char *name;  /* a static string of ours */
	struct slice value;
	bool tainted;      /* carries message or DNS data */
};

struct fields {
	struct arena *arena;
	struct field *f;
	size_t n, cap;
	bool err;          /* out of memory at some point */
};

void fields_init(struct fields *fs, struct arena *a);
/* Set (or replace) a field; the value is copied into the arena. */
void fields_set(struct fields *fs, const char *name, struct slice value, bool tainted);
void fields_set_cstr(struct fields *fs, const char *name, const char *value);
void fields_set_u64(struct fields *fs, const char *name, unsigned long long v);
/* The field, or NULL. */
const struct field *fields_get(const struct fields *fs, struct slice name);

/* name="value" pairs separated by spaces, for Exim's ${extract{name}{...}}:
 * backslash and double quote are escaped, control bytes become spaces. */
void fields_format_extract(const struct fields *fs, struct buf *out);

#endif
