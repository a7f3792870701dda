/* msg.h — the message model: an RFC 5322 message as header fields and a body.
 *
 * Header fields are kept as the raw bytes received (DKIM's simple
 * canonicalization needs them) with the name and the value located inside.
 * Line ends may be CRLF (wire format) or LF (Exim's spool); a bare CR is an
 * ordinary byte.  Nothing is copied: slices point into the caller's buffer,
 * which must outlive the struct msg.  The arrays live in the arena.
 *
 * Hostile input gets a defined result (RFC 5322 2.1, 2.2, 3.6.8):
 * - a message without the blank line between header and body is all header
 *   (flag no_separator, body empty);
 * - a line that is neither a field nor a continuation is kept as a
 *   malformed field (name and value empty, raw holds the bytes;
 *   malformed_lines counts them).  That covers a line without a colon, a
 *   field name with bytes outside RFC 5322 ftext (%d33-57 / %d59-126: NUL,
 *   SP inside the name, 8-bit bytes), an empty name (": x") and a
 *   continuation line at the very start (nothing to continue); continuation
 *   lines after a malformed line belong to it;
 * - limits from mailauth_limits.h give a msg_status error, never a crash:
 *   MSG_MAX_HEADER_BYTES (bytes of the header section, line ends included,
 *   the blank separator line not), MSG_MAX_HEADERS (fields, malformed ones
 *   included), MSG_MAX_LINE_BYTES (one physical header line, its line end
 *   not counted; body lines are not limited).  After an error the struct
 *   holds the fields parsed before it and must not be evaluated.
 * Parsing is linear in the input; nothing is read past its end and it need
 * not be NUL-terminated.
 */
#ifndef MAILAUTH_MSG_H
#define MAILAUTH_MSG_H

#include <stdbool.h>
#include <stddef.h>

#include "arena.h"
#include "slice.h"

struct msg_header {
	struct slice raw;   /* "Name: value" with folding, without the final line end */
	struct slice name;  /* field name, trailing WSP before ':' removed; empty if malformed */
	struct slice value; /* bytes after ':' up to the final line end, folding kept;
	                     * empty if malformed */
};

enum msg_status {
	MSG_OK,
	MSG_E_TOO_MANY_HEADERS, /* MSG_MAX_HEADERS */
	MSG_E_HEADER_TOO_BIG,   /* MSG_MAX_HEADER_BYTES */
	MSG_E_LINE_TOO_LONG,    /* MSG_MAX_LINE_BYTES */
	MSG_E_NOMEM,
	MSG_E_IO,               /* msg_load_file only */
};

struct msg {
	struct arena *arena;
	struct msg_header *hdr; /* in message order (top first) */
	size_t nhdr, cap;
	size_t header_bytes;    /* counted against MSG_MAX_HEADER_BYTES */
	struct slice body;      /* after the blank line; empty when none */
	bool no_separator;      /* no blank line: everything was header */
	size_t malformed_lines; /* malformed fields (see above) */
};

/* An empty message whose arrays live in a. */
void msg_init(struct msg *m, struct arena *a);

/* Parse a complete message (header, blank line, body) from memory.  m is
 * initialised first (msg_init); raw must outlive m. */
enum msg_status msg_parse(struct msg *m, struct arena *a, struct slice raw);

/* Read a file (or standard input when path is "-") into the arena and parse
 * it.  On MSG_E_IO, and on MSG_E_NOMEM while reading (the file does not fit
 * the arena's cap), err (errlen bytes, may be NULL/0) receives a
 * NUL-terminated description naming the path. */
enum msg_status msg_load_file(struct msg *m, struct arena *a, const char *path,
                              char *err, size_t errlen);

/* Append one header field given as its raw bytes (one trailing CRLF or LF,
 * if present, is removed; folding inside is kept).  This is how the glue
 * builds a message from Exim's header_list.  The same rules and limits as
 * msg_parse apply: a field that does not start "name:" is added as a
 * malformed field; MSG_MAX_HEADERS, MSG_MAX_HEADER_BYTES and
 * MSG_MAX_LINE_BYTES are enforced (the field is then not added).  The bytes
 * must outlive m. */
enum msg_status msg_add_header(struct msg *m, struct slice raw_field);
/* The body (bytes after the blank line); must outlive m. */
void msg_set_body(struct msg *m, struct slice body);

/* Index of the next field named name (case-insensitive) at or after *pos,
 * advancing *pos past it; -1 when none.  Start with *pos = 0.  Malformed
 * fields never match. */
long msg_find_next(const struct msg *m, struct slice name, size_t *pos);
/* The same walking upwards (RFC 6376 5.4.2 picks instances from the bottom):
 * the last field named name before index *pos, setting *pos to its index;
 * -1 when none.  Start with *pos = m->nhdr. */
long msg_find_prev(const struct msg *m, struct slice name, size_t *pos);
size_t msg_count(const struct msg *m, struct slice name);

/* The value with folding removed (CRLF or LF followed by WSP: the line end is
 * dropped, RFC 5322 2.2.3; other bytes, the WSP included, are kept).  Copies
 * into the arena (NUL-terminated in memory, but keep the length: the value
 * may hold NULs); SLICE_NULL on failure. */
struct slice msg_unfold(struct arena *a, struct slice value);

/* The first field named name: its value unfolded (msg_unfold) and with
 * leading and trailing white space removed, in the arena; SLICE_NULL when
 * there is no such field (or memory ran out). */
struct slice msg_first_value(struct arena *a, const struct msg *m, struct slice name);

/* A fixed English phrase for s, for logs. */
const char *msg_status_str(enum msg_status s);

/* True when s is a whole field name: one or more RFC 5322 3.6.8 ftext
 * bytes (printable US-ASCII except ':').  The h= lists of DKIM-Signature
 * and ARC-Message-Signature name fields with it. */
bool msg_is_field_name(struct slice s);

#endif
