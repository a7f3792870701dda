#!/usr/bin/python3
"""dkimpy_rate.py - DKIM verifications per CPU second with python3-dkim
(dkimpy) on messages of bench_dkim --dump, for the comparison issue 4
asks for (dkim_dkimpy.sh).

  dkimpy_rate.py ZONEFILE SECONDS MESSAGE-FILE...

Keys come from the zone file (the dump's TXT records) through dkimpy's
dnsfunc hook, so no DNS is involved.  Each message is verified for about
SECONDS of CPU time; every verification must succeed for every signature
(the dump's messages carry one or two), else the exit status is 1.
Prints one line per message: "FILE RATE".
"""
import shlex
import sys
import time

import dkim


def load_zone(path):
    txt = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            tok = shlex.split(line)
            if len(tok) >= 3 and tok[1].upper() == "TXT":
                txt[tok[0].rstrip(".").lower()] = "".join(tok[2:]).encode()
    return txt


def main():
    zone, secs, files = sys.argv[1], float(sys.argv[2]), sys.argv[3:]
    txt = load_zone(zone)

    def dnsfunc(name, timeout=5):
        if isinstance(name, bytes):
            name = name.decode()
        return txt.get(name.rstrip(".").lower())

    for path in files:
        with open(path, "rb") as f:
            msg = f.read()
        nsigs = msg.count(b"\nDKIM-Signature:") + msg.startswith(b"DKIM-Signature:")
        n = 0
        t0 = time.process_time()
        while True:
            d = dkim.DKIM(msg)
            for i in range(nsigs):
                if not d.verify(idx=i, dnsfunc=dnsfunc):
                    print("dkimpy_rate: %s: signature %d does not verify" % (path, i + 1),
                          file=sys.stderr)
                    return 1
            n += 1
            t = time.process_time() - t0
            if t >= secs:
                break
        print("%s %.1f" % (path, n / t))
    return 0


if __name__ == "__main__":
    sys.exit(main())
