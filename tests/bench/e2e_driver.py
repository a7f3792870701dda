#!/usr/bin/python3
"""e2e_driver.py - SMTP sessions with `exim -bh` for the end-to-end
benchmark, and the CPU time Exim spent on them.

  e2e_driver.py --sessions K --per-session M --log FILE
                [--helo NAME] [--from ADDR] [--to ADDR]
                MESSAGE-FILE... -- EXIM-COMMAND...

Runs the command K times (each run is one SMTP connection, as Exim runs
one process per connection); each connection sends M messages with DATA,
taking the message files in turn.  Exim's standard error (its -bh
commentary and log lines) is appended to FILE for the caller to check the
results.  Prints one line:

  CPU-SECONDS WALL-SECONDS ACCEPTED REFUSED

where CPU-SECONDS is the user + system time of the Exim processes (and
anything they waited for), from getrusage(RUSAGE_CHILDREN): this
process's own work of speaking SMTP is not in it.  Exits non-zero when a
conversation fails.
"""
import argparse
import re
import resource
import subprocess
import sys
import time


def reply(r):
    """One (possibly multi-line) SMTP reply from Exim's stdout: code."""
    while True:
        line = r.readline()
        if not line:
            raise EOFError("Exim closed the session")
        if not re.match(rb"^\d{3}[ -]", line):
            continue        # -bh commentary, if any reaches stdout
        if line[3:4] == b" ":
            return int(line[:3])


def crlf(data):
    return data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def dot_stuff(data):
    out = re.sub(rb"(?m)^\.", b"..", data)
    if not out.endswith(b"\r\n"):
        out += b"\r\n"
    return out + b".\r\n"


def main():
    argv = sys.argv[1:]
    if "--" not in argv:
        print("usage: e2e_driver.py [options] MESSAGE... -- COMMAND...", file=sys.stderr)
        return 2
    i = argv.index("--")
    argv, command = argv[:i], argv[i + 1:]
    p = argparse.ArgumentParser()
    p.add_argument("--sessions", type=int, required=True)
    p.add_argument("--per-session", type=int, required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--helo", default="sender.example.org")
    p.add_argument("--from", dest="mail_from", default="bounces@example.org")
    p.add_argument("--to", default="user@example.test")
    p.add_argument("messages", nargs="+")
    args = p.parse_args(argv)
    bodies = []
    for path in args.messages:
        with open(path, "rb") as f:
            bodies.append(dot_stuff(crlf(f.read())))

    accepted = refused = 0
    k = 0
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    with open(args.log, "ab") as log:
        for _ in range(args.sessions):
            proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                    stderr=log)
            r, w = proc.stdout, proc.stdin

            def cmd(text):
                w.write(text.encode() + b"\r\n")
                w.flush()
                return reply(r)

            if reply(r) != 220 or cmd("EHLO " + args.helo) != 250:
                print("e2e_driver: greeting or EHLO refused", file=sys.stderr)
                return 1
            for _ in range(args.per_session):
                data = bodies[k % len(bodies)]
                k += 1
                if cmd("MAIL FROM:<%s>" % args.mail_from) != 250 or \
                        cmd("RCPT TO:<%s>" % args.to) != 250 or cmd("DATA") != 354:
                    print("e2e_driver: MAIL, RCPT or DATA refused", file=sys.stderr)
                    return 1
                w.write(data)
                w.flush()
                if reply(r) == 250:
                    accepted += 1
                else:
                    refused += 1
            cmd("QUIT")
            w.close()
            if proc.wait() != 0:
                print("e2e_driver: Exim exited with %d" % proc.returncode, file=sys.stderr)
                return 1
    wall = time.monotonic() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    print("%.6f %.6f %d %d" % (cpu, wall, accepted, refused))
    return 0


if __name__ == "__main__":
    sys.exit(main())
