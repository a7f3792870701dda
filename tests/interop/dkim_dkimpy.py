#!/usr/bin/python3
# tests/interop/dkim_dkimpy.py — DKIM interoperability with Debian's
# python3-dkim (dkimpy), driven by tests/interop/dkim_dkimpy.sh.
#
#   1. messages dkimpy signs (API and the dkimsign tool; rsa-sha256 and
#      ed25519-sha256; simple/relaxed in all four combinations; with and
#      without l=; several signatures) verify with our verifier;
#   2. messages we sign verify with dkimpy (dkim.DKIM.verify with a dnsfunc
#      serving the same key records as our zone file);
#   3. altered variants (a signed header changed, the body changed,
#      whitespace changed in header and body under simple and relaxed, the
#      signature field moved, its tags reordered) give the expected result
#      on both sides, whichever side signed.
#
# Our side runs the C driver (tests/conformance/dkim_tool.c, argv[1]) with a
# zone file, so DNS goes through the real resolver.  Prints one line per
# check and ends with "N passed, M failed"; exits 1 on any failure.
import base64
import os
import re
import shutil
import subprocess
import sys
import tempfile

import dkim
import nacl.signing

NOW = "1700000000"
DOMAIN = b"example.com"

MESSAGE = (
    b"Received: from client.example.net by mx.example.com; Tue, 14 Nov 2023 22:13:20 +0000\r\n"
    b"From: Joe SixPack <joe@example.com>\r\n"
    b"To: Suzie Q <suzie@example.net>\r\n"
    b"Subject: Is dinner ready?\r\n"
    b"Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n"
    b"Message-ID: <interop-1@example.com>\r\n"
    b"MIME-Version: 1.0\r\n"
    b"Content-Type: text/plain; charset=us-ascii\r\n"
    b"\r\n"
    b"Hi.\r\n"
    b"\r\n"
    b"We lost the game.  Are you hungry yet?\r\n"
    b"\t indented line with  spaces \r\n"
    b"\r\n"
    b"Joe.\r\n"
    b"\r\n"
)

passed = 0
failed = 0


def report(ok, what):
    global passed, failed
    print("%s %s" % ("ok  " if ok else "FAIL", what))
    sys.stdout.flush()
    if ok:
        passed += 1
    else:
        failed += 1


class Env:
    def __init__(self, driver):
        self.driver = driver
        self.dir = tempfile.mkdtemp(prefix="dkim-interop-")
        # RSA 2048 in PKCS#1 PEM (both sides read it).
        self.rsa_pem = os.path.join(self.dir, "rsa.pem")
        subprocess.run(["openssl", "genrsa", "-traditional", "-out", self.rsa_pem, "2048"],
                       check=True, stderr=subprocess.DEVNULL)
        der = subprocess.run(["openssl", "rsa", "-in", self.rsa_pem, "-pubout", "-outform", "DER"],
                             check=True, capture_output=True).stdout
        # Ed25519: dkimpy keeps the private key as the base64 seed; our
        # loader accepts that form too.
        sk = nacl.signing.SigningKey.generate()
        self.ed_key = os.path.join(self.dir, "ed.key")
        with open(self.ed_key, "wb") as f:
            f.write(base64.b64encode(bytes(sk)) + b"\n")
        self.records = {
            b"rsa._domainkey.example.com": b"v=DKIM1; k=rsa; p=" + base64.b64encode(der),
            b"ed._domainkey.example.com": b"v=DKIM1; k=ed25519; p="
            + base64.b64encode(bytes(sk.verify_key)),
        }
        self.zone = os.path.join(self.dir, "keys.zone")
        with open(self.zone, "wb") as f:
            for name, value in self.records.items():
                chunks = [value[i:i + 250] for i in range(0, len(value), 250)]
                f.write(name + b". TXT " + b" ".join(b'"' + c + b'"' for c in chunks) + b"\n")
        self.n = 0

    def key(self, sel):
        return self.rsa_pem if sel == "rsa" else self.ed_key

    def keybytes(self, sel):
        with open(self.key(sel), "rb") as f:
            return f.read()

    def dnsfunc(self, name, timeout=5):
        return self.records.get(name.rstrip(b"."))

    def tmpfile(self, data):
        self.n += 1
        p = os.path.join(self.dir, "m%d.eml" % self.n)
        with open(p, "wb") as f:
            f.write(data)
        return p

    # --- our side ---
    def our_verify(self, msg):
        out = subprocess.run([self.driver, "verify", "--zone", self.zone, "--now", NOW,
                              self.tmpfile(msg)], capture_output=True)
        if out.returncode != 0:
            return None, out.stderr.decode(errors="replace")
        res = []
        for line in out.stdout.decode(errors="replace").splitlines():
            m = re.match(r"sig=\d+ result=(\S+) status=\S+ reason=(\S*)", line)
            if m:
                res.append((m.group(1), m.group(2)))
        return res, out.stdout.decode(errors="replace")

    def our_sign(self, msg, sel, canon, length=False, headers=None):
        args = [self.driver, "sign", "--key", self.key(sel), "--domain", "example.com",
                "--selector", sel, "--canon", canon, "--t", NOW]
        if length:
            args.append("--l")
        if headers:
            args += ["--headers", headers]
        args.append(self.tmpfile(msg))
        out = subprocess.run(args, capture_output=True)
        if out.returncode != 0:
            raise RuntimeError(out.stderr.decode(errors="replace"))
        return out.stdout

    # --- dkimpy ---
    def py_sign(self, msg, sel, canon, length=False):
        h, b = canon.split("/")
        alg = b"rsa-sha256" if sel == "rsa" else b"ed25519-sha256"
        sig = dkim.sign(msg, sel.encode(), DOMAIN, self.keybytes(sel),
                        canonicalize=(h.encode(), b.encode()), signature_algorithm=alg,
                        length=length)
        return sig + msg

    def py_sign_tool(self, msg, sel, canon):
        h, b = canon.split("/")
        alg = "rsa-sha256" if sel == "rsa" else "ed25519-sha256"
        out = subprocess.run(["/usr/bin/dkimsign", "--hcanon", h, "--bcanon", b, "--signalg", alg,
                              sel, "example.com", self.key(sel)], input=msg, capture_output=True)
        if out.returncode != 0:
            raise RuntimeError(out.stderr.decode(errors="replace"))
        return out.stdout

    def py_verify(self, msg):
        n = len(re.findall(rb"(?im)^dkim-signature:", msg))
        d = dkim.DKIM(msg, minkey=1024)
        res = []
        for i in range(n):
            # DKIM.verify raises on a body hash mismatch (dkim.verify, the
            # module function, turns that into False): a failed verdict.
            try:
                res.append(bool(d.verify(idx=i, dnsfunc=self.dnsfunc)))
            except dkim.ValidationError:
                res.append(False)
        return res


CANONS = ["simple/simple", "simple/relaxed", "relaxed/simple", "relaxed/relaxed"]


def crlf_lines(m):
    return m.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def check_ours(env, msg, want, what):
    res, text = env.our_verify(msg)
    ok = res is not None and len(res) == len(want) and all(
        (r[0] == "pass") == w for r, w in zip(res, want))
    report(ok, "ours verifies %s: %s" % (what, res if res is not None else text.strip()))


def check_py(env, msg, want, what):
    try:
        got = env.py_verify(msg)
    except Exception as e:  # a crash in dkimpy is a failed check, with the reason
        got = "exception %r" % e
    report(got == want, "dkimpy verifies %s: %s" % (what, got))


def sig_field(msg):
    """The first DKIM-Signature field (with its folding) and the rest."""
    m = re.match(rb"(?is)(dkim-signature:.*?\r\n)(?![ \t])", msg)
    return m.group(1), msg[m.end():]


def variants(msg, canon):
    """(name, altered message, expected pass) for a singly signed message."""
    hc, bc = canon.split("/")
    out = []
    out.append(("Subject changed", msg.replace(b"Subject: Is dinner", b"Subject: Is lunch"), False))
    out.append(("body changed", msg.replace(b"We lost the game", b"We won the game"), False))
    out.append(("whitespace in Subject", msg.replace(b"Subject: Is dinner ready?",
                                                       b"Subject:  Is \t dinner   ready? "),
                hc == "relaxed"))
    out.append(("whitespace in body", msg.replace(b"We lost the game.  Are",
                                                  b"We  lost the game. \t Are"), bc == "relaxed"))
    sig, rest = sig_field(msg)
    hdr_end = rest.index(b"\r\n\r\n") + 2
    out.append(("signature field moved to the bottom of the header",
                rest[:hdr_end] + sig + rest[hdr_end:], True))
    # swap the first two tags of the signature field
    m = re.match(rb"(?s)(DKIM-Signature:\s*)([^;]+);\s*([^;]+);", sig)
    swapped = m.group(1) + m.group(3) + b"; " + m.group(2) + b";" + sig[m.end():]
    out.append(("signature tags reordered", swapped + rest, False))
    out.append(("unsigned field added", msg.replace(b"\r\n\r\nHi.", b"\r\nX-Mailing-List: yes\r\n\r\nHi."),
                True))
    return out


def main():
    if len(sys.argv) != 2 or not os.access(sys.argv[1], os.X_OK):
        print("usage: dkim_dkimpy.py DKIM_TOOL (the built tests/conformance/dkim_tool)")
        print("0 passed, 1 failed")
        return 1
    env = Env(sys.argv[1])
    try:
        # 1. dkimpy signs, we verify.
        for sel in ("rsa", "ed"):
            for canon in CANONS:
                for length in (False, True):
                    m = env.py_sign(MESSAGE, sel, canon, length)
                    check_ours(env, m, [True], "dkimpy %s c=%s%s" % (sel, canon, " l=" if length else ""))
            for canon in ("relaxed/simple", "simple/relaxed"):
                m = env.py_sign_tool(MESSAGE, sel, canon)
                check_ours(env, m, [True], "dkimsign tool %s c=%s" % (sel, canon))
        multi = env.py_sign(env.py_sign(MESSAGE, "rsa", "simple/simple"), "ed", "relaxed/relaxed", True)
        check_ours(env, multi, [True, True], "two dkimpy signatures (ed25519 over rsa)")
        check_py(env, multi, [True, True], "its own two signatures")

        # 2. we sign, dkimpy verifies.
        for sel in ("rsa", "ed"):
            for canon in CANONS:
                for length in (False, True):
                    m = env.our_sign(MESSAGE, sel, canon, length)
                    check_py(env, m, [True], "ours %s c=%s%s" % (sel, canon, " l=" if length else ""))
        multi = env.our_sign(env.our_sign(MESSAGE, "ed", "relaxed/relaxed"), "rsa", "simple/simple", True)
        check_py(env, multi, [True, True], "two of our signatures (rsa over ed25519)")
        check_ours(env, multi, [True, True], "its own two signatures")
        # our explicit h= list with over-signing, read by dkimpy
        m = env.our_sign(MESSAGE, "rsa", "relaxed/relaxed", headers="From:From:Subject:To:Date:Reply-To")
        check_py(env, m, [True], "ours with h=From:From:Subject:To:Date:Reply-To")

        # 3. altered variants on both sides, whichever side signed.
        for signer in ("ours", "dkimpy"):
            for sel in ("rsa", "ed"):
                for canon in ("simple/simple", "relaxed/relaxed"):
                    if signer == "ours":
                        m = env.our_sign(MESSAGE, sel, canon)
                    else:
                        m = env.py_sign(MESSAGE, sel, canon)
                    for name, alt, want in variants(m, canon):
                        what = "%s-signed %s c=%s, %s (expect %s)" % (
                            signer, sel, canon, name, "pass" if want else "fail")
                        check_ours(env, alt, [want], what)
                        check_py(env, alt, [want], what)
    finally:
        shutil.rmtree(env.dir, ignore_errors=True)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
