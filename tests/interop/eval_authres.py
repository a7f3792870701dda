#!/usr/bin/python3
# eval_authres.py -- check the Authentication-Results fields that whole
# evaluations (eval_run, through tests/unit/test_eval_scenarios.c) produced,
# with Debian's python3-authres.
#
# Input: a directory written by test_eval_scenarios with MAILAUTH_AR_OUT set;
# for each scenario NNN-name:
#   NNN-name.ar    the authentication_results field as produced
#   NNN-name.json  {"scenario", "authserv_id", "ip", "helo", "mail_from",
#                   "fields": {every result field}}
#   NNN-name.eml   the message that was evaluated
# For each field:
#   1. unfold it and parse it with authres (RFC 8601 grammar);
#   2. build, independently of the C code that wrote the field, what it must
#      say from the other result fields and the message: spf (smtp.mailfrom,
#      or smtp.helo for the null sender) and the separate HELO check, one dkim
#      entry per DKIM-Signature with header.d/i/s/a/b taken from the
#      signature itself (dkim=none without any), dmarc (header.from,
#      policy.dmarc, reason=) and arc (header.oldest-pass, smtp.remote-ip);
#   3. compare method, result, reason and properties in order, with
#      ar_authres.py's comparison (same unquoting and sanitizing rules).
# Prints "N passed, M failed"; exit status 1 on any failure or when there
# was nothing to check.
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ar_authres import CTX, compare, unfold  # noqa: E402


def header_fields(eml):
    """The header fields of a message as (name, unfolded value), top first."""
    head = re.split(r'\r?\n\r?\n', eml, maxsplit=1)[0]
    fields = []
    for line in re.split(r'\r?\n', head):
        if line[:1] in (' ', '\t') and fields:
            fields[-1][1] += ' ' + line.strip()
        elif ':' in line:
            name, value = line.split(':', 1)
            fields.append([name.strip(), value.strip()])
    return fields


def tags(value):
    """A DKIM tag list (RFC 6376 3.2) as a dict, whitespace removed."""
    out = {}
    for part in value.split(';'):
        if '=' in part:
            k, v = part.split('=', 1)
            out[k.strip()] = re.sub(r'\s+', '', v)
    return out


def result(method, res, reason, props):
    return {'method': method, 'result': res, 'reason': reason,
            'props': [[n, v] for n, v in props if v]}


def expected_results(info, eml, errs):
    f = info['fields']
    ip = info['ip']
    mail_from = info['mail_from']
    out = []

    # SPF runs when there is a client address; without a MAIL FROM
    # address (the null sender) the identity checked is the HELO name.
    if ip:
        ptype = 'smtp.mailfrom' if mail_from else 'smtp.helo'
        out.append(result('spf', f['spf_result'], None, [(ptype, f.get('spf_used_domain'))]))
        if 'spf_helo_result' in f:
            out.append(result('spf', f['spf_helo_result'], None,
                              [('smtp.helo', f.get('spf_helo_domain'))]))

    # One dkim entry per signature, top first, as dkim_results lists them.
    sigs = [tags(v) for n, v in header_fields(eml) if n.lower() == 'dkim-signature']
    n = int(f['dkim_signatures'])
    if n != len(sigs):
        errs.append('dkim_signatures=%d but the message has %d DKIM-Signature fields'
                    % (n, len(sigs)))
    if n == 0:
        out.append(result('dkim', 'none', None, []))
    else:
        entries = f['dkim_results'].split('; ')
        if len(entries) != n:
            errs.append('dkim_results has %d entries, want %d' % (len(entries), n))
        for k, (entry, sig) in enumerate(zip(entries, sigs)):
            m = re.match(r'^d=(\S*) s=(\S*) (\S+)(?: \((.*)\))?$', entry)
            if not m:
                errs.append('dkim_results entry %r unreadable' % entry)
                continue
            d, s, res, reason = m.groups()
            if d != sig.get('d') or s != sig.get('s'):
                errs.append('signature %d: dkim_results says d=%s s=%s, the field d=%s s=%s'
                            % (k, d, s, sig.get('d'), sig.get('s')))
            out.append(result('dkim', res, reason, [
                ('header.d', sig.get('d')),
                ('header.i', sig.get('i') or '@' + sig.get('d', '')),
                ('header.s', sig.get('s')),
                ('header.a', sig.get('a')),
                ('header.b', sig.get('b', '')[:8]),
            ]))

    if f['dmarc_status'] != 'off':
        res = f['dmarc_result']
        reason = f.get('dmarc_reason') if res != 'pass' else None
        props = [('header.from', f.get('dmarc_author_domain'))]
        # A policy record was applied (its alignment modes are known).
        if f.get('dmarc_aspf') and res in ('pass', 'fail'):
            props.append(('policy.dmarc', f['dmarc_disposition']))
        out.append(result('dmarc', res, reason or None, props))

    state = f['arc_state']
    props = []
    if state == 'pass':
        # RFC 8617 10.1: 0 when every AMS validated (Exim's variable says 1).
        oldest = int(f['arc_oldest_pass'])
        props.append(('header.oldest-pass', '0' if oldest <= 1 else str(oldest)))
    if state != 'none':
        props.append(('smtp.remote-ip', ip))
    out.append(result('arc', state, None, props))
    return out


def check_one(base):
    with open(base + '.ar', encoding='latin-1') as fh:
        header = fh.read()
    with open(base + '.json', encoding='utf-8') as fh:
        info = json.load(fh)
    with open(base + '.eml', encoding='latin-1') as fh:
        eml = fh.read()
    where = info['scenario']
    errs = []
    exp = {'authserv_id': info['authserv_id'],
           'results': expected_results(info, eml, errs)}
    try:
        hdr = CTX.parse(unfold(header))
    except Exception as e:  # any parse error is a failure of ours
        return errs + ['%s: authres could not parse it: %s' % (where, e)]
    errs += compare(hdr, exp, where)
    # The policy override is told in the dmarc comment (no property of
    # RFC 9989 9.1 carries it).
    override = info['fields'].get('dmarc_override')
    if override and ('override=%s' % override) not in unfold(header):
        errs.append('%s: dmarc_override=%s is not in the dmarc comment' % (where, override))
    return errs


def main():
    if len(sys.argv) != 2:
        print('usage: eval_authres.py DIRECTORY', file=sys.stderr)
        return 2
    d = sys.argv[1]
    bases = sorted(os.path.join(d, n[:-3]) for n in os.listdir(d) if n.endswith('.ar'))
    passed = failed = 0
    for base in bases:
        try:
            errs = check_one(base)
        except (OSError, ValueError, KeyError) as e:
            errs = ['%s: %s' % (os.path.basename(base), e)]
        if errs:
            failed += 1
            print('FAIL %s' % os.path.basename(base))
            for e in errs:
                print('  ' + e)
        else:
            passed += 1
    if passed + failed == 0:
        print('no Authentication-Results fields to check in %s' % d)
        failed = 1
    print('%d passed, %d failed' % (passed, failed))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
