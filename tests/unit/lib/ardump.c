/* ardump.c — see ardump.h. */
#include "ardump.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *dump_buf;
static size_t dump_len, dump_cap;
static int dump_on;
static int dump_results, dump_props;

static void dump_add(const char *p, size_t n)
{
	if (dump_len + n + 1 > dump_cap) {
		size_t ncap = (dump_cap ? dump_cap : 4096);
		while (ncap < dump_len + n + 1)
			ncap *= 2;
		char *q = realloc(dump_buf, ncap);
		if (!q) {
			dump_on = 0;
			return;
		}
		dump_buf = q;
		dump_cap = ncap;
	}
	memcpy(dump_buf + dump_len, p, n);
	dump_len += n;
}

static void dump_cstr(const char *s)
{
	dump_add(s, strlen(s));
}

static void dump_json(struct slice s)
{
	if (!s.ptr) {
		dump_cstr("null");
		return;
	}
	dump_add("\"", 1);
	for (size_t i = 0; i < s.len; i++) {
		unsigned char c = (unsigned char)s.ptr[i];
		char tmp[8];
		if (c == '"' || c == '\\') {
			tmp[0] = '\\';
			tmp[1] = (char)c;
			dump_add(tmp, 2);
		} else if (c < 0x20 || c > 0x7e) {
			snprintf(tmp, sizeof tmp, "\\u%04x", c);
			dump_add(tmp, 6);
		} else {
			dump_add((const char *)&c, 1);
		}
	}
	dump_add("\"", 1);
}

int ardump_begin(const char *source, struct slice header, struct slice authserv_id)
{
	const char *path = getenv("MAILAUTH_AR_DUMP");
	dump_on = path && *path;
	if (!dump_on)
		return 0;
	dump_len = 0;
	dump_results = dump_props = 0;
	dump_cstr("{\"source\": ");
	dump_json(slice_from_cstr(source));
	dump_cstr(", \"header\": ");
	dump_json(header);
	dump_cstr(", \"authserv_id\": ");
	dump_json(authserv_id);
	dump_cstr(", \"results\": [");
	return dump_on;
}

static void close_result(void)
{
	if (dump_results)
		dump_cstr("]}");
}

void ardump_result(const char *method, const char *result, struct slice reason)
{
	if (!dump_on)
		return;
	close_result();
	if (dump_results++)
		dump_cstr(", ");
	dump_cstr("{\"method\": ");
	dump_json(slice_from_cstr(method));
	dump_cstr(", \"result\": ");
	dump_json(slice_from_cstr(result));
	dump_cstr(", \"reason\": ");
	dump_json(reason.len ? reason : SLICE_NULL);
	dump_cstr(", \"props\": [");
	dump_props = 0;
}

void ardump_prop(const char *name, struct slice value)
{
	if (!dump_on || !dump_results)
		return;
	if (dump_props++)
		dump_cstr(", ");
	dump_cstr("[");
	dump_json(slice_from_cstr(name));
	dump_cstr(", ");
	dump_json(value.ptr ? value : SLICE_LIT(""));
	dump_cstr("]");
}

void ardump_end(void)
{
	if (!dump_on)
		return;
	close_result();
	dump_cstr("]}\n");
	const char *path = getenv("MAILAUTH_AR_DUMP");
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0600);
	if (fd >= 0) {
		if (write(fd, dump_buf, dump_len) != (ssize_t)dump_len)
			fprintf(stderr, "ardump: short write to %s\n", path);
		close(fd);
	} else {
		fprintf(stderr, "ardump: cannot open %s\n", path);
	}
	free(dump_buf);
	dump_buf = NULL;
	dump_len = dump_cap = 0;
	dump_on = 0;
}
