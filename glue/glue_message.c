/* glue_message.c — the message Exim is receiving, as the core needs it:
 * envelope variables, header_list, the body from the spool data file, and
 * changes to the header (forged Authentication-Results, our own field).
 *
 * The spool data file (<id>-D) as Exim 4.96 writes it (receive.c):
 *   - its first line is the file's own name, "<message_id>-D\n";
 *   - then the body only: the header section went to header_list, the blank
 *     line after it is not stored (when the header ends without a blank line,
 *     the first non-header line starts the body);
 *   - normally with LF line ends: CRLF and bare CR were turned into LF, so
 *     such a file holds no CR at all;
 *   - with spool_wireformat and a message received by CHUNKING (BDAT), the
 *     body bytes exactly as received, CRLF line ends, no dot-stuffing.
 * The file is written through stdio and flushed before the DATA ACL and
 * local_scan() run, so it is complete whenever we read it.  Its path is
 * $spool_directory/<queue>/input/<subdir>/<id>-D where <queue> is
 * $queue_name (usually empty) and <subdir> is the sixth character of the id
 * with split_spool_directory, empty otherwise; Exim exports no variable for
 * split_spool_directory, so both layouts are tried.
 */
#include "glue.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <local_scan.h>

#include "ar.h"

/* ---- context and envelope ---- */

bool glue_in_message(void)
{
	return message_id && message_id[0] && header_list;
}

struct slice glue_message_id(void)
{
	if (!message_id)
		return slice_make("", 0);
	return slice_from_cstr((const char *)message_id);
}

void glue_envelope_from_exim(struct glue_envelope *e)
{
	memset(e, 0, sizeof *e);
	if (sender_host_address && sender_host_address[0]) {
		e->have_ip = true;
		e->ip = slice_from_cstr((const char *)sender_host_address);
	}
	struct slice helo = glue_expand("$sender_helo_name");
	if (helo.ptr && helo.len) {
		e->have_helo = true;
		e->helo = helo;
	}
	if (sender_address) {
		e->have_mail_from = true;
		e->mail_from = slice_from_cstr((const char *)sender_address);
	}
}

/* ---- header fields ---- */

/* Exim's type for a deleted (or replaced) header line. */
#define GLUE_HTYPE_DELETED '*'
/* Exim's type for a header line with no special meaning. */
#define GLUE_HTYPE_OTHER ' '

enum msg_status glue_headers_to_msg(struct msg *m, struct arena *a)
{
	msg_init(m, a);
	for (header_line *h = header_list; h; h = h->next) {
		if (h->type == GLUE_HTYPE_DELETED || h->slen <= 0)
			continue;
		enum msg_status st = msg_add_header(m, slice_make((const char *)h->text, (size_t)h->slen));
		if (st != MSG_OK)
			return st;
	}
	return MSG_OK;
}

static bool is_authres(header_line *h)
{
	static const char name[] = "Authentication-Results";
	return h->type != GLUE_HTYPE_DELETED && h->slen > 0 &&
	       header_testname(h, (const uschar *)name, (int)sizeof name - 1, TRUE);
}

/* The bytes after the field's colon. */
static struct slice header_value(header_line *h)
{
	struct slice raw = slice_make((const char *)h->text, (size_t)h->slen);
	struct slice name, value;
	if (!slice_split_byte(raw, ':', &name, &value))
		return slice_make(slice_end(raw), 0);
	return value;
}

size_t glue_remove_forged_authres(struct slice authserv_id)
{
	if (!authserv_id.len)
		return 0;
	struct arena *a = arena_new(0);
	if (!a)
		return 0;
	size_t n = 0;
	for (header_line *h = header_list; h; h = h->next) {
		if (!is_authres(h))
			continue;
		if (ar_claims_authserv_id(a, header_value(h), authserv_id)) {
			h->type = GLUE_HTYPE_DELETED;
			n++;
		}
	}
	arena_free(a);
	return n;
}

bool glue_has_authres(struct slice authserv_id)
{
	struct arena *a = arena_new(0);
	if (!a)
		return false;
	bool found = false;
	for (header_line *h = header_list; h && !found; h = h->next)
		found = is_authres(h) && ar_claims_authserv_id(a, header_value(h), authserv_id);
	arena_free(a);
	return found;
}

struct slice glue_own_authres(struct slice authserv_id)
{
	struct arena *a = arena_new(0);
	if (!a)
		return SLICE_NULL;
	/* Only a field above the first Received: is ours: Exim puts its own
	 * Received: at the top when it takes the message, so anything the
	 * sender wrote is below it, and only this host's ACLs (add_header
	 * :at_start:) can have put a field above.  A claiming field further
	 * down is forged (verify removes those, but mail it skipped, such as a
	 * relay host's, still has them) and is never used. */
	static const char received[] = "Received";
	struct slice v = SLICE_NULL;
	for (header_line *h = header_list; h && !v.ptr; h = h->next) {
		if (h->type != GLUE_HTYPE_DELETED && h->slen > 0 &&
		    header_testname(h, (const uschar *)received, (int)sizeof received - 1, TRUE))
			break;
		if (is_authres(h) && ar_claims_authserv_id(a, header_value(h), authserv_id))
			v = header_value(h);
	}
	arena_free(a);
	if (!v.ptr)
		return SLICE_NULL;
	while (v.len && (v.ptr[v.len - 1] == '\n' || v.ptr[v.len - 1] == '\r'))
		v.len--;
	return slice_trim_ws(v);
}

void glue_add_header_top(struct slice text)
{
	unsigned char *t = glue_copy_out(text, true);
	/* Not after any named header, at the top: RFC 8601 5 wants our field
	 * above the trace fields of earlier hops. */
	header_add_at_position(FALSE, NULL, FALSE, GLUE_HTYPE_OTHER, "%s\n", t);
}

/* ---- the spool data file ---- */

/* Exim's ids are letters, digits and '-'; anything else must never reach a
 * path. */
static bool id_is_safe(struct slice id)
{
	if (id.len < 6 || id.len > 64)
		return false;
	for (size_t i = 0; i < id.len; i++) {
		char c = id.ptr[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-'))
			return false;
	}
	return true;
}

/* Open the -D file of message id; -1 with err set when no candidate path
 * holds it. */
static int open_data_file(struct arena *a, struct slice id, char *err, size_t errlen)
{
	struct slice spool = glue_expand("$spool_directory");
	struct slice queue = glue_expand("$queue_name");
	if (!spool.ptr || !spool.len) {
		snprintf(err, errlen, "cannot expand $spool_directory");
		return -1;
	}
	if (!queue.ptr || slice_find_byte(queue, '/') || slice_eq_cstr_ci(queue, ".."))
		queue = slice_make("", 0);
	const char *first = NULL;
	int first_errno = 0;
	for (int q = queue.len ? 0 : 1; q < 2; q++) {
		for (int split = 0; split < 2; split++) {
			struct buf path;
			buf_init(&path, a, 8192);
			buf_add_slice(&path, spool);
			if (q == 0) {
				buf_add_byte(&path, '/');
				buf_add_slice(&path, queue);
			}
			buf_add_cstr(&path, "/input/");
			if (split) {
				buf_add_byte(&path, id.ptr[5]);
				buf_add_byte(&path, '/');
			}
			buf_add_slice(&path, id);
			buf_add_cstr(&path, "-D");
			if (path.err) {
				snprintf(err, errlen, "out of memory");
				return -1;
			}
			int fd = open(buf_cstr(&path), O_RDONLY | O_CLOEXEC);
			if (fd >= 0) {
				glue_debug("data file %s", buf_cstr(&path));
				return fd;
			}
			if (!first) {
				first = buf_cstr(&path);
				first_errno = errno;
			}
		}
	}
	snprintf(err, errlen, "cannot open the spool data file %s (or its split_spool_directory "
	         "form): %s", first ? first : "?", strerror(first_errno));
	return -1;
}

/* CRLF and bare CR become LF, in place; returns the new length. */
static size_t wire_to_lf(char *p, size_t len)
{
	char *w = p;
	const char *r = p, *end = p + len;
	while (r < end) {
		const char *cr = memchr(r, '\r', (size_t)(end - r));
		size_t n = (size_t)((cr ? cr : end) - r);
		if (w != r)
			memmove(w, r, n);
		w += n;
		r += n;
		if (!cr)
			break;
		*w++ = '\n';
		r++;
		if (r < end && *r == '\n')
			r++;
	}
	return (size_t)(w - p);
}

bool glue_spool_body(struct arena *a, int data_fd, struct slice *body, bool *was_wire,
                     char *err, size_t errlen)
{
	*body = slice_make("", 0);
	*was_wire = false;
	struct slice id = glue_message_id();
	if (!id_is_safe(id)) {
		snprintf(err, errlen, "no usable message id");
		return false;
	}
	int fd = data_fd;
	if (fd < 0) {
		fd = open_data_file(a, id, err, errlen);
		if (fd < 0)
			return false;
	}
	bool ok = false;
	/* The first line names the file: "<id>-D\n". */
	size_t off = id.len + 3;
	char *first = arena_alloc(a, off);
	struct stat st;
	if (!first) {
		snprintf(err, errlen, "out of memory");
	} else if (pread(fd, first, off, 0) != (ssize_t)off || memcmp(first, id.ptr, id.len) != 0 ||
	           memcmp(first + id.len, "-D\n", 3) != 0) {
		snprintf(err, errlen, "spool data file of %.*s does not start with its name",
		         (int)id.len, id.ptr);
	} else if (fstat(fd, &st) != 0 || st.st_size < (off_t)off) {
		snprintf(err, errlen, "cannot stat the spool data file: %s", strerror(errno));
	} else if ((size_t)st.st_size == off) {
		ok = true; /* an empty body */
	} else {
		/* One read into the arena: the whole body is needed in memory
		 * anyway, and mmap()+munmap() of a typical message costs far more
		 * than copying it (page-table work on every message).  Our copy
		 * is writable, so a wire-format body is converted in place. */
		size_t blen = (size_t)st.st_size - off;
		char *b = arena_alloc(a, blen);
		size_t got = 0;
		int read_errno = 0;
		while (b && got < blen) {
			ssize_t n = pread(fd, b + got, blen - got, (off_t)(off + got));
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				read_errno = errno;
			if (n <= 0)
				break;
			got += (size_t)n;
		}
		if (!b) {
			snprintf(err, errlen, "out of memory (body of %zu bytes)", blen);
		} else if (got != blen) {
			snprintf(err, errlen, "cannot read the spool data file: %s",
			         read_errno ? strerror(read_errno) : "it got shorter while being read");
		} else {
			if (memchr(b, '\r', blen)) {
				*was_wire = true;
				blen = wire_to_lf(b, blen);
			}
			*body = slice_make(b, blen);
			ok = true;
		}
	}
	if (data_fd < 0)
		close(fd);
	return ok;
}
