/* json.h — JSON output for the command-line tools (RFC 8259 strings:
 * quotes, backslash and control bytes escaped; bytes that are not valid
 * UTF-8 become U+FFFD so the output always parses). */
#ifndef MAILAUTH_JSON_H
#define MAILAUTH_JSON_H

#include <stdio.h>

#include "slice.h"

void json_write_string(FILE *f, struct slice s);

#endif
