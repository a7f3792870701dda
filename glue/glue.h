/* glue.h — the only code that touches Exim's memory and variables.
 *
 * glue/ translates between Exim and the core (shared/): it reads the
 * envelope from Exim's variables, the header fields from header_list and the
 * body from the spool data file, keeps the per-process and per-message state
 * between dlfunc calls, and hands results back.
 *
 * Results leave the module through glue_yield*(): the bytes are copied into
 * Exim's store with the right taint (DESIGN.md, "Exim's taint tracking"):
 * text that carries message or DNS data is returned tainted, fixed words
 * may be untainted.  Never hand Exim a pointer into our own memory.
 *
 * State (glue_state.c), all per Exim process (Exim forks one per SMTP
 * connection and keeps the loaded module for the life of the process):
 *   - the configuration (mailauth.conf), loaded on first use or by
 *     glue_config_select();
 *   - the resolver (one libunbound context), created on first evaluation in
 *     this process (a context inherited across fork() is abandoned);
 *   - the envelope results of the last `spf` call, reused while the envelope
 *     stays the same and no message has been verified since;
 *   - the results of the message being received, keyed by message_id.
 * A "message context" is an ACL or local_scan() run while Exim receives a
 * message: message_id is set and header_list is not NULL (Exim clears
 * header_list when a message is finished, but leaves message_id set until
 * the next one starts).
 */
#ifndef MAILAUTH_GLUE_H
#define MAILAUTH_GLUE_H

#include <stdbool.h>
#include <stddef.h>

#include "arena.h"
#include "config.h"
#include "fields.h"
#include "msg.h"
#include "slice.h"

/* ---- memory, logging (glue_exim.c) ---- */

/* Copy s into Exim's store (NUL-terminated); tainted when `tainted`. */
unsigned char *glue_copy_out(struct slice s, bool tainted);

/* Set *yield and return Exim's OK. */
int glue_yield_ok(unsigned char **yield, struct slice s, bool tainted);
/* Set *yield to an error message (logged too) and return Exim's ERROR;
 * the expansion fails, so the administrator sees it in the ACL. */
int glue_yield_error(unsigned char **yield, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Main-log line with the fixed prefix "mailauth: ". */
void glue_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Debug line under `-d+local_scan`. */
void glue_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
bool glue_debugging(void);

/* Expand one of our own fixed expressions ("$primary_hostname").  The
 * result lives in Exim's store; SLICE_NULL when the expansion failed. */
struct slice glue_expand(const char *expr);

/* ---- the message being received (glue_message.c) ---- */

/* True inside a message context (see above). */
bool glue_in_message(void);
/* Exim's message_id, or an empty slice. */
struct slice glue_message_id(void);

/* The envelope as Exim sees it now: $sender_host_address (absent for a
 * locally submitted message), $sender_helo_name (absent when empty),
 * $sender_address (absent outside a transaction; empty is the null
 * sender).  The slices point into Exim's store. */
struct glue_envelope {
	bool have_ip, have_helo, have_mail_from;
	struct slice ip, helo, mail_from;
};
void glue_envelope_from_exim(struct glue_envelope *e);

/* Build m (in arena a) from header_list, skipping deleted fields (type
 * '*').  Returns the first msg_add_header() error, MSG_OK otherwise; fields
 * after an error are not added. */
enum msg_status glue_headers_to_msg(struct msg *m, struct arena *a);

/* The body of the message being received, from the spool data file.
 * data_fd is the file as local_scan() gets it, or -1 to open
 * $spool_directory/[$queue_name/]input/[split/]<message_id>-D.  The body is
 * read into the arena (one copy, released with it).  A file in wire
 * format (CHUNKING with spool_wireformat: CRLF line ends) is converted in
 * that copy to the LF form Exim writes otherwise (CRLF and bare CR
 * become LF), so a message gives the same body either way.  Returns false
 * with a message in err when the file cannot be found or read. */
bool glue_spool_body(struct arena *a, int data_fd, struct slice *body, bool *was_wire,
                     char *err, size_t errlen);

/* Mark every Authentication-Results field that claims authserv_id as
 * deleted (RFC 8601 5: we remove forgeries of our own results before we add
 * ours).  Returns how many were marked. */
size_t glue_remove_forged_authres(struct slice authserv_id);
/* True when a (not deleted) Authentication-Results field claiming
 * authserv_id is present, e.g. one an ACL added. */
bool glue_has_authres(struct slice authserv_id);
/* The value (after the colon, without the final line end) of the topmost
 * not deleted Authentication-Results field claiming authserv_id, if it
 * stands above the first Received: field (only this host's ACLs can put a
 * field there): in a transport, the results our DATA ACL recorded when the
 * message was received.  Points into Exim's store; SLICE_NULL when there is
 * none. */
struct slice glue_own_authres(struct slice authserv_id);
/* Add a header field at the top of the message (local_scan() only); text
 * is the whole field without the final line end. */
void glue_add_header_top(struct slice text);

/* ---- configuration and results (glue_state.c) ---- */

/* Load path as this process's configuration (the `config` dlfunc).  On
 * success returns true.  On failure returns false, logs the problem and
 * sets *why (valid until the next call); results are then temperror until
 * a good file is selected. */
bool glue_config_select(const char *path, const char **why);

/* The configuration in force, loading CONFIG_DEFAULT_PATH on first use (a
 * missing default file means defaults).  NULL when the selected file is
 * bad; *why (may be NULL) then holds the reason. */
const struct config *glue_config(const char **why);

/* Our authserv-id: the configured one, else $primary_hostname. */
struct slice glue_authserv_id(void);

/* SPF for envelope e (the `spf` dlfunc).  Evaluated once per distinct
 * envelope; after a message was verified the next call starts afresh.
 * Never NULL: a bad configuration or an internal failure gives spf_result
 * temperror and the field mailauth_error. */
const struct fields *glue_spf(const struct glue_envelope *e);

/* Everything for the message being received, once per message_id (the
 * `verify` dlfunc, and local_scan() with its data_fd).  Removes forged
 * Authentication-Results fields after the evaluation.  NULL only outside a
 * message context.  A bad configuration or an internal failure gives
 * temperror for the result fields (see glue_temperror_fields) and the
 * field mailauth_error. */
const struct fields *glue_verify(int data_fd);

/* What `get`, `fields` and `authres` show: inside a message context the
 * message's results (verifying first if needed), otherwise the results of
 * the last `spf` call of this transaction, otherwise an empty set. */
const struct fields *glue_results(void);

/* The Authentication-Results field for fs (RFC 8601): the evaluation's
 * field authentication_results, or, when it wrote none (nothing evaluated,
 * a bad configuration), "Authentication-Results: <our id>; none".  The text
 * lives in a (or in fs's arena); SLICE_NULL when out of memory. */
struct slice glue_authres(const struct fields *fs, struct arena *a);

/* The result fields that read "temperror" when nothing could be
 * evaluated: spf_result, dkim_verify_status, dmarc_status, arc_state. */
extern const char *const glue_temperror_fields[];
extern const size_t glue_n_temperror_fields;

/* True for a field name `get` accepts: one of the documented names, or one
 * present in fs. */
bool glue_field_known(const struct fields *fs, struct slice name);

#endif
