#!/usr/bin/python3
"""smtp_client.py - a small SMTP client for the Exim integration tests.

Sends one or more messages over ONE connection, with DATA or with CHUNKING
(RFC 3030 BDAT), which swaks and smtplib do not speak.  Prints one line per
message, "accepted ID" or "refused CODE TEXT", and exits non-zero when the
conversation itself fails.

  smtp_client.py --port N [--host H] [--helo NAME] [--from ADDR] [--to ADDR]
                 [--bdat CHUNK] [--stdin] MESSAGE-FILE...

Message files hold the message with LF or CRLF line ends; they are sent with
CRLF.  With --bdat the message goes in chunks of CHUNK bytes, the last one
flagged LAST.  With --stdin the conversation runs over this process's
standard input/output instead of a socket (for "exim -bh ... | ...": pass
the command after "--", e.g. smtp_client.py --stdin m1 -- exim4 -bh IP).
"""
import argparse
import re
import socket
import subprocess
import sys


class Conn:
    def __init__(self, rfile, wfile):
        self.r = rfile
        self.w = wfile

    def send(self, data):
        self.w.write(data)
        self.w.flush()

    def reply(self):
        """Read one (possibly multi-line) reply: (code, [lines])."""
        lines = []
        while True:
            line = self.r.readline()
            if not line:
                raise EOFError("connection closed")
            line = line.decode("utf-8", "replace").rstrip("\r\n")
            # -bh prints its own commentary lines; only replies count.
            if not re.match(r"^\d{3}[ -]", line):
                continue
            lines.append(line[4:])
            if line[3] == " ":
                return int(line[:3]), lines

    def cmd(self, text):
        self.send(text.encode() + b"\r\n")
        return self.reply()


def crlf(data):
    data = data.replace(b"\r\n", b"\n")
    return data.replace(b"\n", b"\r\n")


def dot_stuff(data):
    out = re.sub(rb"(?m)^\.", b"..", data)
    if not out.endswith(b"\r\n"):
        out += b"\r\n"
    return out + b".\r\n"


def queue_id(lines):
    for l in lines:
        m = re.search(r"id=(\S+)", l)
        if m:
            return m.group(1)
    return "?"


def send_message(c, args, data):
    code, _ = c.cmd("MAIL FROM:<%s>" % args.mail_from)
    if code != 250:
        return "refused %d MAIL" % code
    code, lines = c.cmd("RCPT TO:<%s>" % args.to)
    if code != 250:
        return "refused %d %s" % (code, " ".join(lines))
    if args.bdat:
        n = args.bdat
        chunks = [data[i:i + n] for i in range(0, len(data), n)] or [b""]
        for i, ch in enumerate(chunks):
            last = i == len(chunks) - 1
            c.send(b"BDAT %d%s\r\n" % (len(ch), b" LAST" if last else b"") + ch)
            code, lines = c.reply()
            if code != 250:
                return "refused %d %s" % (code, " ".join(lines))
        return "accepted " + queue_id(lines)
    code, lines = c.cmd("DATA")
    if code != 354:
        return "refused %d DATA" % code
    c.send(dot_stuff(data))
    code, lines = c.reply()
    if code != 250:
        return "refused %d %s" % (code, " ".join(lines))
    return "accepted " + queue_id(lines)


def main():
    argv = sys.argv[1:]
    command = []
    if "--" in argv:
        i = argv.index("--")
        argv, command = argv[:i], argv[i + 1:]
    p = argparse.ArgumentParser()
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=25)
    p.add_argument("--helo", default="client.example.org")
    p.add_argument("--from", dest="mail_from", default="sender@example.org")
    p.add_argument("--to", default="user@example.test")
    p.add_argument("--bdat", type=int, default=0)
    p.add_argument("--stdin", action="store_true")
    p.add_argument("messages", nargs="+")
    args = p.parse_args(argv)

    proc = None
    if command:
        proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        c = Conn(proc.stdout, proc.stdin)
    else:
        s = socket.create_connection((args.host, args.port), timeout=60)
        c = Conn(s.makefile("rb"), s.makefile("wb"))
    code, _ = c.reply()
    if code != 220:
        print("greeting %d" % code)
        return 1
    code, lines = c.cmd("EHLO " + args.helo)
    if code != 250:
        print("EHLO refused %d" % code)
        return 1
    if args.bdat and not any(l.upper().startswith("CHUNKING") for l in lines):
        print("server does not offer CHUNKING")
        return 1
    for path in args.messages:
        with open(path, "rb") as f:
            data = crlf(f.read())
        print(send_message(c, args, data), flush=True)
    c.cmd("QUIT")
    if proc:
        proc.stdin.close()
        proc.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
