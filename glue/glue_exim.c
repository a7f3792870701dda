/* glue_exim.c — copying results into Exim's store, logging through Exim
 * and expanding Exim variables; see glue.h.  Everything Exim-specific about
 * memory and logs is here. */
#include "glue.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <local_scan.h>

#include "arena.h"

/* Exim's store_get takes an int size. */
#define GLUE_MAX_YIELD (64 * 1024 * 1024)

unsigned char *glue_copy_out(struct slice s, bool tainted)
{
	size_t len = s.len > GLUE_MAX_YIELD ? GLUE_MAX_YIELD : s.len;
	unsigned char *p = store_get((int)len + 1, tainted ? GET_TAINTED : GET_UNTAINTED);
	if (len)
		memcpy(p, s.ptr, len);
	p[len] = '\0';
	return p;
}

int glue_yield_ok(unsigned char **yield, struct slice s, bool tainted)
{
	*yield = glue_copy_out(s, tainted);
	return OK;
}

int glue_yield_error(unsigned char **yield, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	log_write(0, LOG_MAIN, "mailauth: %s", msg);
	/* The message may quote untrusted text: keep it tainted. */
	*yield = glue_copy_out(slice_from_cstr(msg), true);
	return ERROR;
}

void glue_log(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	log_write(0, LOG_MAIN, "mailauth: %s", msg);
}

bool glue_debugging(void)
{
	return (debug_selector & D_local_scan) != 0;
}

void glue_debug(const char *fmt, ...)
{
	if (!glue_debugging())
		return;
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	debug_printf("mailauth: %s\n", msg);
}

struct slice glue_expand(const char *expr)
{
	/* expand_string() does not modify its argument; the cast only matches
	 * Exim's prototype. */
	const uschar *r = expand_string((uschar *)(uintptr_t)expr);
	if (!r)
		return SLICE_NULL;
	return slice_from_cstr((const char *)r);
}
