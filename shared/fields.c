/* fields.c — named result strings; see fields.h. */
#include "fields.h"

#include <stdio.h>
#include <string.h>

void fields_init(struct fields *fs, struct arena *a)
{
	memset(fs, 0, sizeof *fs);
	fs->arena = a;
}

static struct field *find(const struct fields *fs, struct slice name)
{
	for (size_t i = 0; i < fs->n; i++)
		if (slice_eq(slice_from_cstr(fs->f[i].name), name))
			return &fs->f[i];
	return NULL;
}

void fields_set(struct fields *fs, const char *name, struct slice value, bool tainted)
{
	struct slice v = arena_slice_dup(fs->arena, value);
	if (!v.ptr) {
		fs->err = true;
		return;
	}
	struct field *f = find(fs, slice_from_cstr(name));
	if (!f) {
		if (fs->n == fs->cap) {
			size_t ncap = fs->cap ? fs->cap * 2 : 32;
			struct field *nf = arena_realloc(fs->arena, fs->f, fs->n * sizeof *nf,
			                                 ncap * sizeof *nf);
			if (!nf) {
				fs->err = true;
				return;
			}
			fs->f = nf;
			fs->cap = ncap;
		}
		f = &fs->f[fs->n++];
		f->name = name;
	}
	f->value = v;
	f->tainted = tainted;
}

void fields_set_cstr(struct fields *fs, const char *name, const char *value)
{
	fields_set(fs, name, slice_from_cstr(value), false);
}

void fields_set_u64(struct fields *fs, const char *name, unsigned long long v)
{
	char tmp[24];
	int n = snprintf(tmp, sizeof tmp, "%llu", v);
	fields_set(fs, name, slice_make(tmp, (size_t)n), false);
}

const struct field *fields_get(const struct fields *fs, struct slice name)
{
	return find(fs, name);
}

void fields_format_extract(const struct fields *fs, struct buf *out)
{
	for (size_t i = 0; i < fs->n; i++) {
		if (i)
			buf_add_byte(out, ' ');
		buf_add_cstr(out, fs->f[i].name);
		buf_add(out, "=\"", 2);
		struct slice v = fs->f[i].value;
		for (size_t j = 0; j < v.len; j++) {
			unsigned char c = (unsigned char)v.ptr[j];
			if (c == '"' || c == '\\') {
				buf_add_byte(out, '\\');
				buf_add_byte(out, (char)c);
			} else if (c < 0x20 || c == 0x7f) {
				buf_add_byte(out, ' ');
			} else {
				buf_add_byte(out, (char)c);
			}
		}
		buf_add_byte(out, '"');
	}
}
