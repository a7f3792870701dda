#!/usr/bin/python3
# tests/interop/arc_dkimpy.py — ARC (RFC 8617) interoperability with Debian's
# python3-dkim (dkimpy), driven by tests/interop/arc_dkimpy.sh.
#
#   1. chains dkimpy seals (dkim.arc_sign) validate here;
#   2. chains sealed here validate with dkim.arc_verify (rsa-sha256: dkimpy
#      1.1.4 implements ARC for that algorithm only; our ed25519-sha256 sets
#      are validated here, and dkimpy must refuse them for the algorithm);
#   3. three-hop chains mixing both sides (dkimpy-ours-dkimpy and
#      ours-dkimpy-ours) pass on both sides;
#   4. any tampering after a seal (body, a signed header, an earlier AAR, an
#      earlier AMS, a removed seal) makes both sides say fail, and a hop that
#      receives such a chain seals cv=fail, which both sides then fail.
#
# Our side is the C driver (tests/conformance/arc_tool.c, argv[1]) with a
# zone file, so DNS goes through the real resolver; dkimpy gets the same
# records through dnsfunc=.  Between hops the receiving side writes its own
# Authentication-Results (arc=<its verdict>), as an ADMD does before
# sealing.  Prints one line per check and ends with "N passed, M failed";
# exits 1 on any failure.
import base64
import os
import shutil
import subprocess
import sys
import tempfile

import dkim

MESSAGE = (
    b"Received: from client.example.net by mx.author.example; Tue, 14 Nov 2023 22:13:20 +0000\r\n"
    b"From: Joe SixPack <joe@author.example>\r\n"
    b"To: list@lists.example\r\n"
    b"Subject: Is dinner ready?\r\n"
    b"Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n"
    b"Message-ID: <arc-interop-1@author.example>\r\n"
    b"MIME-Version: 1.0\r\n"
    b"Content-Type: text/plain; charset=us-ascii\r\n"
    b"\r\n"
    b"Hi.\r\n"
    b"\r\n"
    b"We lost the game.  Are you hungry yet?\r\n"
    b"\t indented line with  spaces \r\n"
    b"\r\n"
    b"Joe.\r\n"
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
        self.dir = tempfile.mkdtemp(prefix="arc-interop-")
        self.records = {}
        self.keys = {}
        # dkimpy seals with RSA only (its arc_sign forces rsa-sha256).
        self.rsa("py", "py.example")
        self.rsa("py3", "py3.example")
        self.rsa("we", "we.example")
        self.rsa("we3", "we3.example")
        self.ed25519("ed", "ed.example")
        self.zone = os.path.join(self.dir, "keys.zone")
        with open(self.zone, "wb") as f:
            for name, value in self.records.items():
                chunks = [value[i:i + 250] for i in range(0, len(value), 250)]
                f.write(name + b". TXT " + b" ".join(b'"' + c + b'"' for c in chunks) + b"\n")
        self.n = 0

    def rsa(self, sel, dom):
        pem = os.path.join(self.dir, sel + ".pem")
        subprocess.run(["openssl", "genrsa", "-traditional", "-out", pem, "2048"],
                       check=True, stderr=subprocess.DEVNULL)
        der = subprocess.run(["openssl", "rsa", "-in", pem, "-pubout", "-outform", "DER"],
                             check=True, capture_output=True).stdout
        self.records[("%s._domainkey.%s" % (sel, dom)).encode()] = \
            b"v=DKIM1; k=rsa; p=" + base64.b64encode(der)
        self.keys[sel] = (pem, dom)

    def ed25519(self, sel, dom):
        pem = os.path.join(self.dir, sel + ".pem")
        subprocess.run(["openssl", "genpkey", "-algorithm", "ed25519", "-out", pem],
                       check=True, stderr=subprocess.DEVNULL)
        der = subprocess.run(["openssl", "pkey", "-in", pem, "-pubout", "-outform", "DER"],
                             check=True, capture_output=True).stdout
        self.records[("%s._domainkey.%s" % (sel, dom)).encode()] = \
            b"v=DKIM1; k=ed25519; p=" + base64.b64encode(der[-32:])
        self.keys[sel] = (pem, dom)

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
        out = subprocess.run([self.driver, "verify", "--zone", self.zone, self.tmpfile(msg)],
                             capture_output=True)
        fields = {}
        for line in out.stdout.decode("utf-8", "replace").splitlines():
            k, _, v = line.partition("=")
            fields[k] = v
        return fields.get("arc_state", "error"), fields

    def our_seal(self, msg, sel):
        pem, dom = self.keys[sel]
        out = subprocess.run([self.driver, "seal", "--zone", self.zone, "--key", pem,
                              "--domain", dom, "--selector", sel, "--srv-id", dom,
                              self.tmpfile(msg)], capture_output=True)
        return out.returncode, out.stdout, out.stderr.decode("utf-8", "replace").strip()

    # --- dkimpy's side ---
    def py_verify(self, msg):
        cv, results, reason = dkim.arc_verify(msg, dnsfunc=self.dnsfunc)
        # None: the chain was terminated by an earlier cv=fail (a fail).
        word = cv.decode() if cv is not None else "fail"
        return word, reason

    def py_seal(self, msg, sel):
        """A dkimpy hop: verify what arrived, write its own
        Authentication-Results with that verdict, then seal."""
        pem, dom = self.keys[sel]
        state, _ = self.py_verify(msg)
        if b"ARC-Seal:" not in msg and b"arc-seal:" not in msg.lower():
            state = "none"
        ar = ("Authentication-Results: %s; arc=%s\r\n" % (dom, state)).encode()
        with open(pem, "rb") as f:
            key = f.read()
        msg = ar + msg
        hdrs = dkim.arc_sign(msg, sel.encode(), dom.encode(), key, dom.encode(),
                             linesep=b"\r\n")
        return b"".join(hdrs) + msg

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)


def both(env, msg, want, what):
    ours, fields = env.our_verify(msg)
    theirs, reason = env.py_verify(msg)
    report(ours == want, "%s: ours says %s (%s)" % (what, ours, fields.get("arc_state_reason", "")))
    report(theirs == want, "%s: dkimpy says %s (%s)" % (what, theirs, reason))


def replace_once(msg, old, new):
    assert old in msg, old
    return msg.replace(old, new, 1)


def tampering(env, msg, label):
    """Tamper after the last seal; every variant must fail on both sides."""
    variants = [
        ("body changed", replace_once(msg, b"hungry yet?", b"hungry now?")),
        ("signed Subject changed", replace_once(msg, b"Subject: Is dinner ready?",
                                                b"Subject: Is dinner ready??")),
        ("AAR of i=1 changed", replace_once(msg, b"ARC-Authentication-Results: i=1; ",
                                            b"ARC-Authentication-Results: i=1; x.example; ")),
        ("ARC-Seal of i=2 removed", replace_once(msg, b"ARC-Seal: i=2;", b"X-Seal: i=2;")),
        ("AMS of i=1 altered (t= changed)", tamper_ams1(msg)),
    ]
    for what, m in variants:
        both(env, m, "fail", "%s, %s" % (label, what))


def tamper_ams1(msg):
    """Change a tag value inside the AMS of instance 1 (its t= timestamp)."""
    lines = msg.split(b"\r\n")
    out = []
    in_ams1 = False
    done = False
    for ln in lines:
        if ln.lower().startswith(b"arc-message-signature:"):
            in_ams1 = b"i=1;" in ln
        elif ln[:1] not in (b" ", b"\t"):
            in_ams1 = False
        if in_ams1 and not done and b"t=" in ln:
            i = ln.index(b"t=") + 2
            j = i
            while j < len(ln) and ln[j:j + 1].isdigit():
                j += 1
            ln = ln[:i] + str(int(ln[i:j]) + 1).encode() + ln[j:]
            done = True
        out.append(ln)
    assert done
    return b"\r\n".join(out)


def main():
    if len(sys.argv) != 2:
        print("usage: arc_dkimpy.py DRIVER")
        print("0 passed, 1 failed")
        return 1
    env = Env(sys.argv[1])
    try:
        base = MESSAGE

        # 1. dkimpy seals, we validate.
        m1 = env.py_seal(base, "py")
        both(env, m1, "pass", "dkimpy i=1 (rsa)")

        # 2. we seal, dkimpy validates.
        rc, m, err = env.our_seal(base, "we")
        report(rc == 0, "our i=1 rsa-sha256 seal made (%s)" % (err or "ok"))
        both(env, m, "pass", "our i=1 (rsa-sha256)")
        # dkimpy 1.1.4 implements ARC for rsa-sha256 only (its
        # ARC_HASH_ALGORITHMS); an ed25519-sha256 set is validated here only,
        # and dkimpy must refuse it for its algorithm, not for anything else.
        rc, m, err = env.our_seal(base, "ed")
        report(rc == 0, "our i=1 ed25519-sha256 seal made (%s)" % (err or "ok"))
        ours, fields = env.our_verify(m)
        report(ours == "pass", "our i=1 (ed25519-sha256): ours says %s" % ours)
        theirs, reason = env.py_verify(m)
        report(theirs == "fail" and "ed25519-sha256" in reason,
               "our i=1 (ed25519-sha256): dkimpy refuses the algorithm (%s)" % reason)
        rc, m, err = env.our_seal(m1, "ed")
        ours, fields = env.our_verify(m)
        report(rc == 0 and ours == "pass",
               "dkimpy i=1 + our ed25519 i=2: ours says %s (%s)" %
               (ours, fields.get("arc_state_reason", "")))

        # 3a. dkimpy -> ours -> dkimpy.
        rc, m2, err = env.our_seal(m1, "we")
        report(rc == 0, "our i=2 seal over dkimpy's i=1 (%s)" % (err or "ok"))
        both(env, m2, "pass", "dkimpy i=1 + our i=2")
        m3 = env.py_seal(m2, "py3")
        both(env, m3, "pass", "dkimpy-ours-dkimpy three hops")
        tampering(env, m3, "dkimpy-ours-dkimpy")

        # 3b. ours -> dkimpy -> ours.
        rc, o1, err = env.our_seal(base, "we")
        o2 = env.py_seal(o1, "py")
        both(env, o2, "pass", "our i=1 + dkimpy i=2")
        rc, o3, err = env.our_seal(o2, "we3")
        report(rc == 0, "our i=3 seal over dkimpy's i=2 (%s)" % (err or "ok"))
        both(env, o3, "pass", "ours-dkimpy-ours three hops")
        ours, fields = env.our_verify(o3)
        report(fields.get("arc_domains") == "we.example:py.example:we3.example"
               and fields.get("arc_oldest_pass") == "1",
               "ours-dkimpy-ours: arc_domains=%s arc_oldest_pass=%s" %
               (fields.get("arc_domains"), fields.get("arc_oldest_pass")))
        tampering(env, o3, "ours-dkimpy-ours")

        # 4. A hop that receives a tampered chain seals cv=fail; both sides
        # fail the result, and neither continues it.
        bad = replace_once(m2, b"hungry yet?", b"hungry now?")
        rc, m3f, err = env.our_seal(bad, "we")
        report(rc == 0 and b"cv=fail" in m3f.split(b"\r\n\r\n")[0],
               "our hop seals cv=fail over a tampered chain (%s)" % (err or "ok"))
        both(env, m3f, "fail", "chain ended by our cv=fail seal")
        rc, _, err = env.our_seal(m3f, "we3")
        report(rc == 3, "we do not continue a chain ended by cv=fail (%s)" % err)
        p3f = env.py_seal(bad, "py3")
        report(b"cv=fail" in p3f.split(b"\r\n\r\n")[0], "dkimpy seals cv=fail over a tampered chain")
        both(env, p3f, "fail", "chain ended by dkimpy's cv=fail seal")
    finally:
        env.cleanup()
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
