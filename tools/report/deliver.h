/* deliver.h — what mailauth-report does with a finished report: gzip it
 * (RFC 1952, as RFC 9990 "Transport" asks), write it into a directory,
 * hand a message to a sendmail-compatible command.
 *
 * Ownership: output goes into the caller's buf; err buffers are the
 * caller's.
 */
#ifndef MAILAUTH_REPORT_DELIVER_H
#define MAILAUTH_REPORT_DELIVER_H

#include <stdbool.h>
#include <stddef.h>

#include "arena.h"
#include "slice.h"

/* Append the gzip form of data to out.  False when zlib failed or out
 * overflowed. */
bool deliver_gzip(struct slice data, struct buf *out);

/* Write data to dir/name through a temporary file and rename(), so a
 * reader never sees half a report.  False with err set on failure. */
bool deliver_write_file(const char *dir, struct slice name, struct slice data, char *err,
                        size_t errlen);

/* Run command (program path and blank-separated arguments, no shell) with
 * msg on its standard input.  True when it exited with status 0;
 * otherwise err says how it failed (exit status, signal, exec error). */
bool deliver_sendmail(const char *command, struct slice msg, char *err, size_t errlen);

#endif
