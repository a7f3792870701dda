#!/usr/bin/python3
# ar_authres.py -- check Authentication-Results fields written by
# exim-mailauth with python3-authres (Debian's module, RFC 8601 parser).
#
# Input: a file of JSON lines written by tests/unit/lib/ardump.c, each
# holding one field ("header") and what it must contain: the authserv-id and
# every resinfo (method, result, reason, properties), taken from the
# builder's inputs.  For each field:
#   1. unfold it (RFC 5322 2.2.3) and parse it with authres;
#   2. compare authserv-id, methods, results, reasons and properties, in
#      order, with the expectations: the values that went into the builder
#      must come back out of the parser (the round trip).
# authres's own writer (str(header)) is not used: it leaves values holding
# '@' unquoted whatever else they contain, does not escape backslashes and
# fails on empty values, so its output does not always parse again.
# Free text may come back sanitized the way ar.h documents (whitespace runs
# made one space, control and 8-bit bytes '?', cut at AR_MAX_TEXT with
# "...").  Prints "N passed, M failed"; exit status 1 on any failure or when
# there was nothing to check.
import json
import re
import sys

import authres
import authres.arc
import authres.dmarc

AR_MAX_TEXT = 256  # shared/mailauth_limits.h

CTX = authres.FeatureContext(authres.dmarc, authres.arc)


def sanitize(s):
    out = []
    space = False
    used = 0
    for ch in s.strip(' \t\r\n'):
        if ch in ' \t\r\n':
            space = True
            continue
        if used >= AR_MAX_TEXT:
            out.append('...')
            break
        if space:
            out.append(' ')
            used += 1
            space = False
        if ord(ch) < 0x20 or ord(ch) >= 0x7f:
            ch = '?'
        out.append(ch)
        used += 1
    return ''.join(out)


def unescape(s):
    return re.sub(r'\\(.)', r'\1', s, flags=re.S)


def parsed_value(v):
    """authres keeps quoted-pairs, and the quotes of a quoted local part."""
    if v is None:
        return None
    m = re.match(r'^"(.*)"@([^"@]*)$', v, re.S)
    if m:
        return unescape(m.group(1)) + '@' + m.group(2)
    return unescape(v)


def unfold(h):
    return re.sub(r'\r?\n(?=[ \t])', '', h)


def same(got, want):
    if want is None:
        return got is None
    return got == want or got == sanitize(want)


def compare(hdr, exp, where):
    errs = []
    if (hdr.authserv_id or '') != exp['authserv_id'].lower():
        errs.append('%s: authserv-id %r, want %r' % (where, hdr.authserv_id, exp['authserv_id']))
    want = exp['results']
    if len(hdr.results) != len(want):
        errs.append('%s: %d results, want %d' % (where, len(hdr.results), len(want)))
        return errs
    for i, (r, w) in enumerate(zip(hdr.results, want)):
        tag = '%s: result %d' % (where, i)
        if r.method != w['method']:
            errs.append('%s: method %r, want %r' % (tag, r.method, w['method']))
        if r.result != w['result']:
            errs.append('%s: result %r, want %r' % (tag, r.result, w['result']))
        reason = parsed_value(r.reason) if r.reason is not None else None
        if not same(reason, w['reason']):
            errs.append('%s: reason %r, want %r' % (tag, reason, w['reason']))
        got_props = [('%s.%s' % (p.type, p.name), parsed_value(p.value)) for p in r.properties]
        want_props = [tuple(p) for p in w['props']]
        if len(got_props) != len(want_props):
            errs.append('%s: properties %r, want %r' % (tag, got_props, want_props))
            continue
        # The builder may reorder properties (quoted values last): compare
        # as multisets, each name with its value.
        remaining = list(got_props)
        for name, value in want_props:
            hit = None
            for k, (gn, gv) in enumerate(remaining):
                if gn == name and same(gv, value):
                    hit = k
                    break
            if hit is None:
                errs.append('%s: property %s=%r missing in %r' % (tag, name, value, got_props))
            else:
                remaining.pop(hit)
    return errs


def main():
    if len(sys.argv) != 2:
        print('usage: ar_authres.py DUMPFILE', file=sys.stderr)
        return 2
    passed = failed = 0
    with open(sys.argv[1], encoding='latin-1') as f:
        lines = [l for l in f if l.strip()]
    for line in lines:
        exp = json.loads(line)
        src = exp['source']
        header = exp['header']
        errs = []
        try:
            hdr = CTX.parse(unfold(header))
            errs += compare(hdr, exp, src)
        except Exception as e:  # any parse error is a failure of ours
            errs.append('%s: authres could not parse it: %s' % (src, e))
        if errs:
            failed += 1
            print('FAIL %s' % src)
            print('  header: %r' % header)
            for e in errs:
                print('  ' + e)
        else:
            passed += 1
    if passed + failed == 0:
        print('no Authentication-Results fields to check')
        failed = 1
    print('%d passed, %d failed' % (passed, failed))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
