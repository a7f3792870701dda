/* arc_testkit.c — see arc_testkit.h. */
#include "arc_testkit.h"

#include <stdlib.h>
#include <string.h>


static bool testkit_chunk(FILE *f, const char *p, size_t n)
{
	if (fputs(" \"", f) == EOF)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		int rc;
		if (c == '"' || c == '\\')
			rc = fprintf(f, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			rc = fprintf(f, "\\%03u", c);
		else
			rc = fputc(c, f) == EOF ? -1 : 1;
		if (rc < 0)
			return false;
	}
	return fputc('"', f) != EOF;
}

bool arc_testkit_zone_txt(FILE *f, const char *name, size_t name_len, const char *value,
                          size_t value_len)
{
	if (fprintf(f, "%.*s%s TXT", (int)name_len, name,
	            name_len && name[name_len - 1] == '.' ? "" : ".") < 0)
		return false;
	size_t i = 0;
	bool any = false;
	while (i < value_len) {
		size_t e = i;
		while (e < value_len && value[e] != '\n' && value[e] != '\r')
			e++;
		for (size_t j = i; j < e; j += 255) {
			size_t n = e - j > 255 ? 255 : e - j;
			if (!testkit_chunk(f, value + j, n))
				return false;
			any = true;
		}
		i = e;
		while (i < value_len && (value[i] == '\n' || value[i] == '\r'))
			i++;
	}
	if (!any && !testkit_chunk(f, "", 0))
		return false;
	return fputc('\n', f) != EOF;
}
