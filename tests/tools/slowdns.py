#!/usr/bin/env python3
"""slowdns: a DNS server over UDP that answers one name late, or never (tests/netns/resolve-*).

  slowdns.py ADDR PORT NAME MODEFILE [--delay S] [--ready FILE] [--timeout S]

MODEFILE holds what to do with a query for NAME, read again at every query:
  drop          never answer (also when the file is missing)
  nxdomain      answer NXDOMAIN after S seconds (--delay, default 5)
  A.B.C.D       answer an A record with that address after S seconds; AAAA gets an empty
                answer (NOERROR, no data) at the same time
Queries for other names are refused at once. Every query and reply is logged on stdout,
one line each: "TIME query ID TYPE NAME MODE" and "TIME reply ID TYPE RCODE ANSWERS" (TIME
in seconds since the epoch). It runs until --timeout (default 300 s) or SIGTERM.
"""

import argparse
import select
import signal
import socket
import struct
import sys
import time

QTYPES = {1: "A", 28: "AAAA"}


def parse_query(d):
    """(id, flags, qname, qtype, question bytes) or None for anything not a plain query."""
    if len(d) < 12:
        return None
    qid, flags, qd = struct.unpack("!HHH", d[:6])
    if flags & 0x8000 or qd != 1:
        return None
    off, labels = 12, []
    while True:
        if off >= len(d):
            return None
        n = d[off]
        off += 1
        if n == 0:
            break
        if n > 63 or off + n > len(d):
            return None
        labels.append(d[off:off + n].decode("ascii", "replace").lower())
        off += n
    if off + 4 > len(d):
        return None
    qtype = struct.unpack("!H", d[off:off + 2])[0]
    return qid, flags, ".".join(labels), qtype, d[12:off + 4]


def reply(qid, flags, question, rcode, answers):
    """A response: RD copied, RA set; answers are 4-byte A records for the question's name."""
    hdr = struct.pack("!HHHHHH", qid, 0x8080 | (flags & 0x0100) | rcode, 1, len(answers), 0, 0)
    body = b"".join(struct.pack("!HHHIH", 0xC00C, 1, 1, 60, 4) + a for a in answers)
    return hdr + question + body


def mode_of(path):
    try:
        with open(path) as f:
            w = f.read().split()
    except OSError:
        return "drop"
    return w[0] if w else "drop"


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("addr")
    p.add_argument("port", type=int)
    p.add_argument("name")
    p.add_argument("modefile")
    p.add_argument("--delay", type=float, default=5.0)
    p.add_argument("--ready")
    p.add_argument("--timeout", type=float, default=300.0)
    a = p.parse_args()
    name = a.name.lower().rstrip(".")
    s = socket.socket(socket.AF_INET6 if ":" in a.addr else socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((a.addr, a.port))
    if a.ready:
        with open(a.ready, "w") as f:
            f.write("ready\n")
    stop = [False]
    signal.signal(signal.SIGTERM, lambda *_: stop.__setitem__(0, True))
    end = time.time() + a.timeout
    pending = []  # (due, packet, peer, log line)
    out = sys.stdout
    while not stop[0] and time.time() < end:
        now = time.time()
        due = [x for x in pending if x[0] <= now]
        pending = [x for x in pending if x[0] > now]
        for _, pkt, peer, line in due:
            s.sendto(pkt, peer)
            out.write("%.3f %s\n" % (time.time(), line))
            out.flush()
        wait = min([x[0] for x in pending] + [now + 0.5]) - now
        try:
            r, _, _ = select.select([s], [], [], max(0.0, wait))
        except InterruptedError:
            continue
        if not r:
            continue
        d, peer = s.recvfrom(4096)
        q = parse_query(d)
        if q is None:
            continue
        qid, flags, qname, qtype, question = q
        tname = QTYPES.get(qtype, str(qtype))
        if qname != name:
            s.sendto(reply(qid, flags, question, 5, []), peer)
            out.write("%.3f query %d %s %s refused\n" % (time.time(), qid, tname, qname))
            out.flush()
            continue
        mode = mode_of(a.modefile)
        out.write("%.3f query %d %s %s %s\n" % (time.time(), qid, tname, qname, mode))
        out.flush()
        if mode == "drop":
            continue
        if mode == "nxdomain":
            rcode, answers = 3, []
        else:
            rcode = 0
            answers = [socket.inet_aton(mode)] if qtype == 1 else []
        line = "reply %d %s %d %d" % (qid, tname, rcode, len(answers))
        pending.append((time.time() + a.delay, reply(qid, flags, question, rcode, answers), peer, line))
    return 0


if __name__ == "__main__":
    sys.exit(main())
