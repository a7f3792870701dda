#!/usr/bin/python3
"""mailtool.py - signing keys, DKIM signatures and ARC checks with Debian's
python3-dkim (dkimpy) for the Exim integration tests.

  mailtool.py keygen PEM SELECTOR DOMAIN
      a new 2048-bit RSA key in PEM (PKCS#1, what dkimpy reads); prints the
      zone-file line publishing it at SELECTOR._domainkey.DOMAIN (the TXT
      value split into strings of at most 250 bytes).
  mailtool.py sign PEM SELECTOR DOMAIN IN OUT
      DKIM-sign message file IN (relaxed/relaxed, rsa-sha256) and write it
      with the DKIM-Signature field on top to OUT.
  mailtool.py arcverify ZONE FILE
      run Debian's own arcverify command (dkim.arcverify.main) on FILE, with
      its DNS answered from the zone file ZONE instead of the network;
      prints what arcverify prints ("arc verification: cv=pass ...").
  mailtool.py dkimverify ZONE FILE
      dkim.verify() of the top DKIM-Signature of FILE, DNS from ZONE;
      prints "dkim: pass" or "dkim: fail".

The zone reader understands the lines these tests write: NAME. TXT "..." ...
(other lines are ignored).
"""
import base64
import io
import re
import subprocess
import sys

import dkim
import dkim.arcverify


def keygen(pem, selector, domain):
    subprocess.run(["openssl", "genrsa", "-traditional", "-out", pem, "2048"],
                   check=True, stderr=subprocess.DEVNULL)
    der = subprocess.run(["openssl", "rsa", "-in", pem, "-pubout", "-outform", "DER"],
                         check=True, capture_output=True).stdout
    value = "v=DKIM1; k=rsa; p=" + base64.b64encode(der).decode()
    chunks = [value[i:i + 250] for i in range(0, len(value), 250)]
    print("%s._domainkey.%s. 300 IN TXT %s" % (selector, domain,
                                             " ".join('"%s"' % c for c in chunks)))
    return 0


def sign(pem, selector, domain, src, dst):
    with open(pem, "rb") as f:
        key = f.read()
    with open(src, "rb") as f:
        msg = f.read().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    sig = dkim.sign(msg, selector.encode(), domain.encode(), key,
                    canonicalize=(b"relaxed", b"relaxed"),
                    include_headers=[b"from", b"to", b"subject", b"date", b"message-id"])
    with open(dst, "wb") as f:
        f.write((sig + msg).replace(b"\r\n", b"\n"))
    return 0


def zone_txt(path):
    records = {}
    with open(path, "rb") as f:
        for line in f:
            m = re.match(rb"^\s*(\S+?)\.?\s+(?:\d+\s+)?(?:IN\s+)?TXT\s+(.*)$", line, re.I)
            if not m:
                continue
            strings = re.findall(rb'"((?:[^"\\]|\\.)*)"', m.group(2))
            records[m.group(1).lower()] = b"".join(strings)
    return records


def dnsfunc_for(zone):
    records = zone_txt(zone)

    def dnsfunc(name, timeout=5):
        if isinstance(name, str):
            name = name.encode()
        return records.get(name.rstrip(b".").lower())
    return dnsfunc


def arcverify(zone, path):
    dnsfunc = dnsfunc_for(zone)
    real = dkim.arc_verify

    def arc_verify_with_zone(message, logger=None, dnsfunc_=None, minkey=1024, timeout=5):
        return real(message, logger=logger, dnsfunc=dnsfunc, minkey=minkey, timeout=timeout)
    dkim.arc_verify = arc_verify_with_zone
    with open(path, "rb") as f:
        data = f.read().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    # arcverify reads the message from standard input (binary).
    sys.stdin = io.TextIOWrapper(io.BytesIO(data))
    sys.argv = ["arcverify"]
    dkim.arcverify.main()
    return 0


def dkimverify(zone, path):
    with open(path, "rb") as f:
        data = f.read().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    ok = dkim.verify(data, dnsfunc=dnsfunc_for(zone))
    print("dkim: %s" % ("pass" if ok else "fail"))
    return 0


def main(argv):
    cmds = {"keygen": (keygen, 3), "sign": (sign, 5), "arcverify": (arcverify, 2),
            "dkimverify": (dkimverify, 2)}
    if len(argv) < 2 or argv[1] not in cmds or len(argv) - 2 != cmds[argv[1]][1]:
        sys.stderr.write(__doc__)
        return 2
    return cmds[argv[1]][0](*argv[2:])


if __name__ == "__main__":
    sys.exit(main(sys.argv))
