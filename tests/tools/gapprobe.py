#!/usr/bin/env python3
"""gapprobe: paced and bulk traffic with verifiers, for the failover tests and benchmarks
(tests/netns/failover-*.sh, tests/netns/realtime-copy.sh, tests/bench/failover,
tests/bench/realtime).

Every receiver prints one JSON object when it is done and exits 0 if what it got was
intact, 1 otherwise; every sender exits 0 on success, 2 if its connection was reset, 1 on
any other error. Times are CLOCK_REALTIME seconds (the same clock in every namespace of
the machine, so a test can line them up with the moment it injected a fault).
Every call is bounded by --timeout (default 120 s): nothing waits forever.

  gapprobe.py udp-recv ADDR PORT [--ready FILE]
      Receive the datagrams of one udp-send until its end marker (or 3 s of silence after
      the first datagram). JSON: sent, received, unique, lost, duplicates, reordered,
      max_gap_ms (longest time between two arrivals), gap_start (when it began),
      gaps (the five longest: [start, ms]), latency_p50_ms, latency_p99_ms,
      max_latency_ms (one way, of first copies) and late (how many took longer than
      --late MS, default 50). --trace FILE writes "seq arrival latency_ms" per first copy.

  gapprobe.py udp-send ADDR PORT [--interval MS] [--count N] [--size BYTES] [--ready FILE]
      N datagrams (default 500) of BYTES (default 64), one every MS (default 10) on an
      absolute schedule (no drift), then the end marker, five times. FILE appears just
      before the first datagram leaves.

  gapprobe.py rec-recv ADDR PORT [--ready FILE] [--size BYTES] [--mptcp]
      Accept one connection and read records of BYTES (default 32, at least 32) until
      EOF. Checks that the counters run 0, 1, 2, ... without a hole or a repeat. JSON:
      records, bad (records out of sequence), eof, reset, max_gap_ms, gap_start, gaps,
      latency_p50_ms, latency_p99_ms, max_latency_ms (one way: from the write to the
      read that completed the record), late (as for udp-recv).

  gapprobe.py rec-send ADDR PORT [--interval MS] [--duration S] [--size BYTES] [--ready FILE]
                      [--mptcp]
      Connect (retrying for 5 s while refused) and send a record of BYTES (default 32;
      the receiver must be given the same) every MS (default 10) for S seconds (default
      10), then close; FILE appears once connected, before the first record. Prints JSON: records, late_ms (how far the writes ever fell behind
      the schedule), end.

  gapprobe.py bulk-recv ADDR PORT [--ready FILE] [--bucket S] [--mptcp]
      Accept one connection, verify every byte against the generator's pattern, count
      bytes per bucket of S seconds (default 0.1) and, at EOF, send back the byte count.
      JSON: bytes, ok, bad_offset, eof, reset, max_gap_ms, gap_start, t0, bucket,
      buckets (bytes per bucket from t0).

  gapprobe.py bulk-send ADDR PORT [--duration S] [--mptcp]
      Connect and send the pattern as fast as TCP takes it for S seconds (default 10),
      shut down the write side and wait for the receiver's count. JSON: sent, confirmed,
      end. Exit 0 only if the receiver confirmed every byte.

--mptcp opens the TCP socket as IPPROTO_MPTCP (kernel MPTCP; what mptcpize does). A TCP
receiver keeps its listening socket open until it exits, since MPTCP subflows join through
it; to accept joins on every address, listen on 0.0.0.0.
"""

import argparse
import json
import os
import random
import socket
import struct
import sys
import time

IPPROTO_MPTCP = 262
MAGIC = 0x67617031  # "gap1"
END_MAGIC = 0x67617045  # "gapE"
REC = struct.Struct("!IQd")  # magic, counter, send time
REC_SIZE = 32  # TCP records are padded to this size unless --size says more
PATTERN_LEN = 1048573  # a prime: a loss or repeat shifts the pattern out of place
CHUNK = 262144


class Deadline(Exception):
    pass


def now():
    return time.time()


def family(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def top_gaps(arrivals, n=5):
    """The n longest gaps between consecutive arrival times: [[start, ms], ...]."""
    gaps = [(arrivals[i] - arrivals[i - 1], arrivals[i - 1]) for i in range(1, len(arrivals))]
    gaps.sort(reverse=True)
    return [[round(s, 4), round(g * 1000, 1)] for g, s in gaps[:n]]


def gap_summary(arrivals):
    g = top_gaps(arrivals)
    if not g:
        return {"max_gap_ms": 0, "gap_start": 0, "gaps": []}
    return {"max_gap_ms": g[0][1], "gap_start": g[0][0], "gaps": g}


def latency_summary(lats, late_ms):
    """One-way latency of first copies: median, 99th percentile, maximum, count above late_ms."""
    if not lats:
        return {"latency_p50_ms": 0, "latency_p99_ms": 0, "max_latency_ms": 0, "late": 0}
    v = sorted(lats)
    pick = lambda q: round(v[min(len(v) - 1, int(q * len(v)))] * 1000, 1)
    return {"latency_p50_ms": pick(0.5), "latency_p99_ms": pick(0.99),
            "max_latency_ms": round(v[-1] * 1000, 1),
            "late": sum(1 for x in v if x * 1000 > late_ms), "late_ms": late_ms}


def ready(path):
    if path:
        with open(path + ".tmp", "w") as f:
            f.write(str(os.getpid()))
        os.rename(path + ".tmp", path)


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def listen_tcp(a):
    proto = IPPROTO_MPTCP if getattr(a, "mptcp", False) else 0
    s = socket.socket(family(a.addr), socket.SOCK_STREAM, proto)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((a.addr, a.port))
    s.listen(1)
    ready(a.ready)
    s.settimeout(max(0.1, a.end - now()))
    try:
        c, _ = s.accept()
    except socket.timeout:
        raise Deadline()
    # the listener stays open until we exit: MPTCP joins of further subflows arrive on it
    a.listener = s
    return c


def connect_tcp(a):
    proto = IPPROTO_MPTCP if getattr(a, "mptcp", False) else 0
    give_up = now() + 5
    while True:
        s = socket.socket(family(a.addr), socket.SOCK_STREAM, proto)
        s.settimeout(5)
        try:
            s.connect((a.addr, a.port))
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            return s
        except (ConnectionRefusedError, socket.timeout, OSError) as e:
            s.close()
            if now() > give_up:
                raise e
            time.sleep(0.1)


def recv_some(s, a, size):
    """recv with the global deadline; b'' at EOF."""
    left = a.end - now()
    if left <= 0:
        raise Deadline()
    s.settimeout(left)
    try:
        return s.recv(size)
    except socket.timeout:
        raise Deadline()


# --- UDP --------------------------------------------------------------------------------

def udp_recv(a):
    s = socket.socket(family(a.addr), socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    s.bind((a.addr, a.port))
    ready(a.ready)
    arrivals, seen, dups, reordered, lats = [], set(), 0, 0, []
    trace = open(a.trace, "w") if a.trace else None
    sent, top, ended = None, -1, False
    while not ended:
        limit = a.end - now()
        if arrivals:
            limit = min(limit, arrivals[-1] + 3 - now())
        if limit <= 0:
            break
        s.settimeout(limit)
        try:
            d = s.recv(65536)
        except socket.timeout:
            break
        t = now()
        if len(d) < REC.size:
            continue
        magic, seq, st = REC.unpack_from(d)
        if magic == END_MAGIC:
            sent, ended = seq, True
            continue
        if magic != MAGIC:
            continue
        arrivals.append(t)
        if seq in seen:
            dups += 1
            continue
        if seq < top:
            reordered += 1
        top = max(top, seq)
        seen.add(seq)
        lats.append(t - st)
        if trace:
            trace.write("%d %.6f %.3f\n" % (seq, t, (t - st) * 1000))
    if sent is None:
        sent = top + 1
    r = {"sent": sent, "received": len(arrivals), "unique": len(seen),
         "lost": sent - len(seen), "duplicates": dups, "reordered": reordered,
         "end_marker": ended}
    r.update(latency_summary(lats, a.late))
    r.update(gap_summary(arrivals))
    emit(r)
    return 0 if ended and r["lost"] == 0 and dups == 0 else 1


def udp_send(a):
    s = socket.socket(family(a.addr), socket.SOCK_DGRAM)
    s.connect((a.addr, a.port))
    pad = bytes(max(0, (a.size if a.size is not None else 64) - REC.size))
    ready(a.ready)
    t0 = now()
    iv = a.interval / 1000.0
    errors = 0
    for i in range(a.count):
        wait = t0 + i * iv - now()
        if wait > 0:
            time.sleep(wait)
        try:
            s.send(REC.pack(MAGIC, i, now()) + pad)
        except OSError:
            errors += 1  # e.g. ENOBUFS from a full tun queue: counted as lost by the receiver
    time.sleep(0.5)  # let the last ones cross before the marker
    for _ in range(5):
        try:
            s.send(REC.pack(END_MAGIC, a.count, now()))
        except OSError:
            pass
        time.sleep(0.05)
    emit({"sent": a.count, "send_errors": errors})
    return 0


# --- TCP records ------------------------------------------------------------------------

def rec_size(a):
    """The TCP record size: --size, at least what a record's header takes."""
    return max(REC_SIZE, a.size if a.size is not None else REC_SIZE)


def rec_recv(a):
    r = {"records": 0, "bad": 0, "eof": False, "reset": False, "error": ""}
    arrivals, lats, buf, want = [], [], b"", 0
    size = rec_size(a)
    try:
        c = listen_tcp(a)
        while True:
            d = recv_some(c, a, 65536)
            if not d:
                r["eof"] = True
                break
            t = now()
            buf += d
            while len(buf) >= size:
                magic, seq, st = REC.unpack_from(buf)
                buf = buf[size:]
                if magic != MAGIC or seq != want:
                    r["bad"] += 1
                want = seq + 1
                arrivals.append(t)
                lats.append(t - st)
                r["records"] += 1
    except ConnectionResetError:
        r["reset"] = True
    except Deadline:
        r["error"] = "timeout"
    except OSError as e:
        r["error"] = str(e)
    r.update(latency_summary(lats, a.late))
    r.update(gap_summary(arrivals))
    emit(r)
    ok = r["eof"] and not r["reset"] and not r["error"] and r["bad"] == 0 and not buf
    return 0 if ok else 1


def rec_send(a):
    r = {"records": 0, "late_ms": 0.0, "end": "ok"}
    rc = 0
    try:
        s = connect_tcp(a)
        ready(a.ready)
        t0 = now()
        iv = a.interval / 1000.0
        n = int(a.duration / iv)
        pad = bytes(rec_size(a) - REC.size)
        s.settimeout(max(1.0, a.end - now()))
        for i in range(n):
            wait = t0 + i * iv - now()
            if wait > 0:
                time.sleep(wait)
            else:
                r["late_ms"] = max(r["late_ms"], round(-wait * 1000, 1))
            s.sendall(REC.pack(MAGIC, i, now()) + pad)
            r["records"] += 1
        s.shutdown(socket.SHUT_WR)
        s.settimeout(max(1.0, a.end - now()))
        while s.recv(4096):
            pass
        s.close()
    except ConnectionResetError:
        r["end"], rc = "reset", 2
    except (socket.timeout, OSError) as e:
        r["end"], rc = "error: %s" % e, 1
    emit(r)
    return rc


# --- TCP bulk ---------------------------------------------------------------------------

def pattern():
    rnd = random.Random(20240611)
    p = rnd.randbytes(PATTERN_LEN)
    return p + p[:CHUNK]  # any CHUNK bytes from any phase are one slice


def bulk_recv(a):
    pat = pattern()
    r = {"bytes": 0, "ok": True, "bad_offset": -1, "eof": False, "reset": False, "error": "",
         "bucket": a.bucket}
    arrivals, buckets, t0, off = [], [], None, 0
    buf = bytearray(CHUNK)
    try:
        c = listen_tcp(a)
        while True:
            left = a.end - now()
            if left <= 0:
                raise Deadline()
            c.settimeout(left)
            try:
                n = c.recv_into(buf, CHUNK)
            except socket.timeout:
                raise Deadline()
            t = now()
            if n == 0:
                r["eof"] = True
                break
            if t0 is None:
                t0 = t
            arrivals.append(t)
            k = int((t - t0) / a.bucket)
            while len(buckets) <= k:
                buckets.append(0)
            buckets[k] += n
            ph = off % PATTERN_LEN
            if r["ok"] and bytes(buf[:n]) != pat[ph:ph + n]:
                r["ok"] = False
                r["bad_offset"] = off
            off += n
        c.sendall(struct.pack("!Q", off))
        c.close()
    except ConnectionResetError:
        r["reset"] = True
    except Deadline:
        r["error"] = "timeout"
    except OSError as e:
        r["error"] = str(e)
    r["bytes"] = off
    r["t0"] = t0 or 0
    r["buckets"] = buckets
    # keep only the summary of gaps: arrivals of a bulk flow are many
    r.update(gap_summary(arrivals))
    emit(r)
    return 0 if r["ok"] and r["eof"] and not r["reset"] and not r["error"] else 1


def bulk_send(a):
    pat = memoryview(pattern())
    r = {"sent": 0, "confirmed": -1, "end": "ok"}
    rc = 0
    try:
        s = connect_tcp(a)
        stop = now() + a.duration
        s.settimeout(max(1.0, a.end - now()))
        off = 0
        while now() < stop:
            ph = off % PATTERN_LEN
            off += s.send(pat[ph:ph + CHUNK])
        r["sent"] = off
        s.shutdown(socket.SHUT_WR)
        got = b""
        while len(got) < 8:
            d = s.recv(8 - len(got))
            if not d:
                break
            got += d
        if len(got) == 8:
            r["confirmed"] = struct.unpack("!Q", got)[0]
        s.close()
        if r["confirmed"] != off:
            r["end"], rc = "unconfirmed", 1
    except ConnectionResetError:
        r["end"], rc = "reset", 2
    except (socket.timeout, OSError) as e:
        r["end"], rc = "error: %s" % e, 1
    emit(r)
    return rc


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("mode", choices=["udp-recv", "udp-send", "rec-recv", "rec-send",
                                    "bulk-recv", "bulk-send"])
    p.add_argument("addr")
    p.add_argument("port", type=int)
    p.add_argument("--interval", type=float, default=10.0)
    p.add_argument("--count", type=int, default=500)
    p.add_argument("--size", type=int)  # udp-send: 64, rec-*: 32 when not given
    p.add_argument("--duration", type=float, default=10.0)
    p.add_argument("--bucket", type=float, default=0.1)
    p.add_argument("--late", type=float, default=50.0)
    p.add_argument("--ready")
    p.add_argument("--trace")
    p.add_argument("--mptcp", action="store_true")
    p.add_argument("--timeout", type=float, default=120.0)
    a = p.parse_args()
    a.end = now() + a.timeout
    fn = {"udp-recv": udp_recv, "udp-send": udp_send, "rec-recv": rec_recv,
          "rec-send": rec_send, "bulk-recv": bulk_recv, "bulk-send": bulk_send}[a.mode]
    return fn(a)


if __name__ == "__main__":
    sys.exit(main())
