/* testutil.c — see testutil.h. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *testutil_srcdir(void)
{
	const char *s = getenv("MAILAUTH_SRCDIR");
	return (s && *s) ? s : ".";
}

const char *testutil_conformance_dir(void)
{
	static char buf[4096];
	const char *e = getenv("MAILAUTH_CONFORMANCE");
	if (e && *e)
		return e;
	snprintf(buf, sizeof buf, "%s/../shared/conformance", testutil_srcdir());
	return buf;
}

const char *testutil_conformance_path(const char *rel)
{
	static char buf[4096];
	struct stat st;
	snprintf(buf, sizeof buf, "%s/%s", testutil_conformance_dir(), rel);
	if (stat(buf, &st) != 0) {
		fprintf(stderr,
		        "conformance data absent: %s (set MAILAUTH_CONFORMANCE to the "
		        "directory holding ../shared/conformance)\n",
		        buf);
		return NULL;
	}
	return buf;
}

char *testutil_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 65536, n = 0;
	char *p = malloc(cap + 1);
	while (p) {
		size_t r = fread(p + n, 1, cap - n, f);
		n += r;
		if (n < cap)
			break;
		cap *= 2;
		char *q = realloc(p, cap + 1);
		if (!q) {
			free(p);
			p = NULL;
		} else {
			p = q;
		}
	}
	fclose(f);
	if (p) {
		p[n] = '\0';
		*len = n;
	}
	return p;
}

char *testutil_write_temp(const char *data, size_t len, const char *suffix)
{
	const char *tmp = getenv("TMPDIR");
	char *path = malloc(4096);
	if (!path)
		return NULL;
	snprintf(path, 4096, "%s/mailauth-test-XXXXXX%s", (tmp && *tmp) ? tmp : "/tmp",
	         suffix ? suffix : "");
	int fd = mkstemps(path, suffix ? (int)strlen(suffix) : 0);
	if (fd < 0) {
		free(path);
		return NULL;
	}
	size_t off = 0;
	while (off < len) {
		ssize_t w = write(fd, data + off, len - off);
		if (w <= 0) {
			close(fd);
			unlink(path);
			free(path);
			return NULL;
		}
		off += (size_t)w;
	}
	close(fd);
	return path;
}
