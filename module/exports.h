/* exports.h — the symbols Exim may look up in mailauth.so.  Everything else
 * is built with hidden visibility (see build/main.mk); the list here and
 * tests/exim/exports.allow must agree (tests/exim/exports.sh checks nm -D).
 *
 * The dlfuncs follow Exim's exim_dlfunc_t (local_scan.h): the result or an
 * error message goes to *yield, the return value is OK, FAIL, FAIL_FORCED or
 * ERROR.  The administrator-facing contract is in DESIGN.md and
 * module/conf/mailauth.conf.example.
 */
#ifndef MAILAUTH_EXPORTS_H
#define MAILAUTH_EXPORTS_H

#define MAILAUTH_EXPORT __attribute__((visibility("default")))

/* config PATH: select this process's configuration file; "ok", or
 * "error: ..." (logged) when the file is bad. */
MAILAUTH_EXPORT int config(unsigned char **yield, int argc, unsigned char *argv[]);
/* spf [IP] [HELO] [MAIL-FROM]: spf_result for the envelope. */
MAILAUTH_EXPORT int spf(unsigned char **yield, int argc, unsigned char *argv[]);
/* verify: evaluate the message once; dmarc_status. */
MAILAUTH_EXPORT int verify(unsigned char **yield, int argc, unsigned char *argv[]);
/* get FIELD: one field's value. */
MAILAUTH_EXPORT int get(unsigned char **yield, int argc, unsigned char *argv[]);
/* fields: every field as name="value" pairs. */
MAILAUTH_EXPORT int fields(unsigned char **yield, int argc, unsigned char *argv[]);
/* authres: the complete Authentication-Results header field. */
MAILAUTH_EXPORT int authres(unsigned char **yield, int argc, unsigned char *argv[]);
/* arc_seal [add_header]: the ARC set to add at the top of the header (empty
 * if none); with "add_header" each field carries :at_start: for an ACL. */
MAILAUTH_EXPORT int arc_seal(unsigned char **yield, int argc, unsigned char *argv[]);
/* version: module and library versions. */
MAILAUTH_EXPORT int version(unsigned char **yield, int argc, unsigned char *argv[]);

/* Debian's local_scan_path ABI (local_scan.h, Exim's local_scan.c). */
MAILAUTH_EXPORT int local_scan(int fd, unsigned char **return_text);
MAILAUTH_EXPORT int local_scan_version_major(void);
MAILAUTH_EXPORT int local_scan_version_minor(void);

#endif
