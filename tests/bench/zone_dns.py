#!/usr/bin/python3
"""zone_dns.py - a small authoritative DNS responder for the end-to-end
benchmark: Exim's built-in DKIM verification looks keys up through the C
library's resolver, which only talks to the name servers of
/etc/resolv.conf, so exim_e2e.sh runs Exim in private mount and network
namespaces whose resolv.conf names 127.0.0.1, and this serves the
benchmark's zone file there (UDP and TCP, port 53 of that namespace only).

  zone_dns.py ZONEFILE ADDRESS PORT READY-FILE

The zone file has the format of the project's zone files (dns.h): one
record per line, "name. [TTL] [IN] TYPE rdata", TXT data as quoted
strings.  Names not in it are NXDOMAIN; names without the type asked are
NODATA.  READY-FILE is created once both sockets listen.  Runs until
killed.  Uses dnspython (a dependency of python3-dkim).
"""
import shlex
import socketserver
import sys
import threading

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rrset


def load_zone(path):
    records = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith(";") or line.startswith("#"):
                continue
            tok = shlex.split(line, posix=True)
            name = dns.name.from_text(tok[0])
            rest = tok[1:]
            ttl = 300
            if rest and rest[0].isdigit():
                ttl = int(rest[0])
                rest = rest[1:]
            if rest and rest[0].upper() == "IN":
                rest = rest[1:]
            rtype = dns.rdatatype.from_text(rest[0])
            if rtype == dns.rdatatype.TXT:
                text = " ".join('"%s"' % s.replace("\\", "\\\\").replace('"', '\\"')
                                for s in rest[1:])
            else:
                text = " ".join(rest[1:])
            rd = dns.rdata.from_text(dns.rdataclass.IN, rtype, text)
            key = (name, rtype)
            if key not in records:
                records[key] = dns.rrset.RRset(name, dns.rdataclass.IN, rtype)
                records[key].ttl = ttl
            records[key].add(rd)
    names = {n for n, _ in records}
    return records, names


def answer(wire, records, names, max_size):
    try:
        q = dns.message.from_wire(wire)
    except Exception:
        return None
    r = dns.message.make_response(q)
    r.flags |= dns.flags.AA
    if not q.question:
        r.set_rcode(dns.rcode.FORMERR)
        return r.to_wire()
    qn, qt = q.question[0].name, q.question[0].rdtype
    rr = records.get((qn, qt))
    if rr is not None:
        r.answer.append(rr)
    elif qn not in names:
        r.set_rcode(dns.rcode.NXDOMAIN)
    out = r.to_wire()
    if len(out) > max_size:
        r.answer = []
        r.flags |= dns.flags.TC
        out = r.to_wire()
    return out


def main():
    zone, addr, port, ready = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    records, names = load_zone(zone)

    class UDP(socketserver.BaseRequestHandler):
        def handle(self):
            data, sock = self.request
            q = None
            try:
                q = dns.message.from_wire(data)
            except Exception:
                return
            size = 512
            if q.edns >= 0:
                size = max(512, q.payload)
            out = answer(data, records, names, size)
            if out:
                sock.sendto(out, self.client_address)

    class TCP(socketserver.StreamRequestHandler):
        def handle(self):
            while True:
                hdr = self.rfile.read(2)
                if len(hdr) < 2:
                    return
                n = int.from_bytes(hdr, "big")
                data = self.rfile.read(n)
                out = answer(data, records, names, 65535)
                if not out:
                    return
                self.wfile.write(len(out).to_bytes(2, "big") + out)

    socketserver.UDPServer.allow_reuse_address = True
    socketserver.TCPServer.allow_reuse_address = True
    udp = socketserver.UDPServer((addr, port), UDP)
    tcp = socketserver.ThreadingTCPServer((addr, port), TCP)
    tcp.daemon_threads = True
    threading.Thread(target=tcp.serve_forever, daemon=True).start()
    with open(ready, "w") as f:
        f.write("ready\n")
    udp.serve_forever()


if __name__ == "__main__":
    main()
