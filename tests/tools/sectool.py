#!/usr/bin/env python3
"""sectool: raw TCP peers for the security tests (tests/netns/security-*.sh).

  sectool.py raw HOST PORT SPEC...
      One connection per SPEC, all at once. SPEC is "rand:N" (N random bytes), "hex:HEX",
      "file:PATH" or any of them followed by "+hold" (keep the connection open after
      sending, instead of shutting down our write side). Each connection reads until the
      server closes it (or RAW_TIMEOUT, 15 s). Prints one JSON object per SPEC:
      {"spec", "sent", "received", "end": "eof" | "reset" | "timeout" | "refused", "secs"}.

  sectool.py flood HOST PORT N SECS [BYTES]
      Keep N connections open to HOST:PORT for SECS seconds, each sending BYTES random
      bytes (default 0) and then nothing; every connection the server closes is opened
      again. Prints JSON: opened, closed (by the server), received (bytes, in total),
      failed (connects that did not complete), max_open.

  sectool.py mitm LPORT HOST PORT CTL
      A man in the middle between an mptun client and server: accepts on LPORT, connects
      to HOST:PORT, forwards both ways. It parses the client -> server stream as msg1
      (156 bytes) then AEAD records (3-byte header, body, 16-byte tag), so it can act on
      exactly one whole record. Commands, one line on the unix socket CTL, answered with
      one line once done (or "timeout" after 10 s):
        conns              the open connections: "ID ID ..."
        msg1 PATH          write the newest connection's msg1 to PATH
        flip               flip one bit in the body of the next record
        truncate           shorten the next record by 8 bytes (its header says so too)
        badlen             give the next record a header longer than any record may be
        rekeyflag          set the REKEY flag in the next record's header
        dup                send the next record twice on its connection
        splice             insert a record seen on another connection before the next one
        closed ID          wait until the server closed connection ID
        stats              JSON: per open connection, the records and bytes forwarded
                           client -> server and how many carried the REKEY flag
      Action answers are "done ID" with the connection acted on.

  sectool.py ctl CTL COMMAND...
      Send one command to a mitm and print its answer.
"""

import asyncio
import json
import os
import resource
import socket
import sys
import threading
import time

MSG1_LEN = 156  # CRYPTO_MSG1_LEN
REC_HDR = 3  # CRYPTO_RECORD_HDR
REC_TAG = 16  # CRYPTO_RECORD_TAG
REC_LEN_MASK = 0x7FFFFF  # CRYPTO_REC_LEN_MASK
REC_FLAG_REKEY = 0x800000  # CRYPTO_REC_FLAG_REKEY
ACTIONS = ("flip", "truncate", "badlen", "rekeyflag", "dup", "splice")
RAW_TIMEOUT = float(os.environ.get("RAW_TIMEOUT", "15"))


def raise_nofile():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def spec_bytes(spec):
    kind, _, arg = spec.partition(":")
    if kind == "rand":
        return os.urandom(int(arg))
    if kind == "hex":
        return bytes.fromhex(arg)
    if kind == "file":
        with open(arg, "rb") as f:
            return f.read()
    raise SystemExit("sectool: bad spec " + spec)


def raw_one(host, port, spec, out):
    hold = spec.endswith("+hold")
    data = spec_bytes(spec[:-5] if hold else spec)
    res = {"spec": spec, "sent": 0, "received": 0, "end": "timeout"}
    t0 = time.monotonic()
    s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    s.settimeout(RAW_TIMEOUT)
    try:
        s.connect((host, port))
        s.sendall(data)
        res["sent"] = len(data)
        if not hold:
            s.shutdown(socket.SHUT_WR)
        while True:
            left = RAW_TIMEOUT - (time.monotonic() - t0)
            if left <= 0:
                break
            s.settimeout(left)
            b = s.recv(65536)
            if not b:
                res["end"] = "eof"
                break
            res["received"] += len(b)
    except ConnectionRefusedError:
        res["end"] = "refused"
    except socket.timeout:
        res["end"] = "timeout"
    except OSError:
        # reset, broken pipe, not connected: the server closed with our bytes unread
        res["end"] = "reset"
    finally:
        s.close()
    res["secs"] = round(time.monotonic() - t0, 2)
    out.append(res)


def cmd_raw(args):
    host, port, specs = args[0], int(args[1]), args[2:]
    results = []
    threads = [threading.Thread(target=raw_one, args=(host, port, sp, results)) for sp in specs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for r in sorted(results, key=lambda r: specs.index(r["spec"])):
        print(json.dumps(r))


def cmd_flood(args):
    host, port, n, secs = args[0], int(args[1]), int(args[2]), float(args[3])
    nbytes = int(args[4]) if len(args) > 4 else 0
    raise_nofile()
    st = {"opened": 0, "closed": 0, "received": 0, "failed": 0, "max_open": 0}

    async def one():
        end = time.monotonic() + secs
        while time.monotonic() < end:
            try:
                r, w = await asyncio.wait_for(asyncio.open_connection(host, port), 3)
            except (OSError, asyncio.TimeoutError):
                st["failed"] += 1
                await asyncio.sleep(0.2)
                continue
            st["opened"] += 1
            live[0] += 1
            st["max_open"] = max(st["max_open"], live[0])
            try:
                if nbytes:
                    w.write(os.urandom(nbytes))
                while time.monotonic() < end:
                    b = await asyncio.wait_for(r.read(65536), max(0.01, end - time.monotonic()))
                    if not b:
                        st["closed"] += 1
                        break
                    st["received"] += len(b)
            except asyncio.TimeoutError:
                pass
            except OSError:
                st["closed"] += 1
            finally:
                live[0] -= 1
                w.close()

    async def main():
        # open them a few at a time so the listen backlog does not overflow
        tasks = []
        for i in range(n):
            tasks.append(asyncio.create_task(one()))
            if i % 32 == 31:
                await asyncio.sleep(0.01)
        await asyncio.gather(*tasks)

    live = [0]
    asyncio.run(main())
    print(json.dumps(st))


class Mitm:
    def __init__(self, host, port):
        self.host, self.port = host, port
        self.conns = {}  # id -> state dict
        self.next_id = 1
        self.pending = None  # (command, future)
        self.last_record = {}  # id -> bytes of the last whole record seen
        self.stats = {}  # id -> {"records", "bytes", "rekeys"}, client -> server

    async def handle(self, cr, cw):
        cid = self.next_id
        self.next_id += 1
        try:
            sr, sw = await asyncio.open_connection(self.host, self.port)
        except OSError:
            cw.close()
            return
        st = {"msg1": None, "closed": asyncio.Event()}
        self.conns[cid] = st
        self.stats[cid] = {"records": 0, "bytes": 0, "rekeys": 0}
        up = asyncio.create_task(self.client_to_server(cid, cr, sw))
        down = asyncio.create_task(self.pump(sr, cw))
        await down  # the server's side ended: the connection is closed
        st["closed"].set()
        self.conns.pop(cid, None)
        self.last_record.pop(cid, None)
        self.stats.pop(cid, None)
        up.cancel()
        for w in (sw, cw):
            w.close()

    async def pump(self, r, w):
        try:
            while True:
                b = await r.read(65536)
                if not b:
                    break
                w.write(b)
                await w.drain()
        except OSError:
            pass

    def act(self, cid, rec):
        """What to forward instead of rec, as the pending command says."""
        cmd, fut = self.pending
        out = None
        if cmd == "flip":
            b = bytearray(rec)
            b[REC_HDR + (len(rec) - REC_HDR) // 2] ^= 0x10
            out = bytes(b)
        elif cmd == "truncate":
            n = (int.from_bytes(rec[:REC_HDR], "big") & REC_LEN_MASK) - 8
            if n < 0:
                return None
            hdr = (int.from_bytes(rec[:REC_HDR], "big") & ~REC_LEN_MASK) | n
            out = hdr.to_bytes(REC_HDR, "big") + rec[REC_HDR : len(rec) - 8]
        elif cmd == "badlen":
            out = (REC_LEN_MASK).to_bytes(REC_HDR, "big") + rec[REC_HDR:]
        elif cmd == "rekeyflag":
            hdr = int.from_bytes(rec[:REC_HDR], "big") | REC_FLAG_REKEY
            out = hdr.to_bytes(REC_HDR, "big") + rec[REC_HDR:]
        elif cmd == "dup":
            out = rec + rec
        elif cmd == "splice":
            other = [r for i, r in self.last_record.items() if i != cid]
            if not other:
                return None
            out = other[-1] + rec
        self.pending = None
        fut.set_result("done %d" % cid)
        return out

    async def client_to_server(self, cid, r, w):
        try:
            msg1 = await r.readexactly(MSG1_LEN)
            self.conns[cid]["msg1"] = msg1
            w.write(msg1)
            while True:
                hdr = await r.readexactly(REC_HDR)
                n = int.from_bytes(hdr, "big") & REC_LEN_MASK
                rec = hdr + await r.readexactly(n + REC_TAG)
                cs = self.stats[cid]
                cs["records"] += 1
                cs["bytes"] += len(rec)
                if rec[0] & (REC_FLAG_REKEY >> 16):
                    cs["rekeys"] += 1
                out = None
                if self.pending is not None and self.conns.get(cid) is not None:
                    out = self.act(cid, rec)
                w.write(out if out is not None else rec)
                self.last_record[cid] = rec
                await w.drain()
        except (asyncio.IncompleteReadError, OSError):
            pass
        try:
            w.write_eof()
        except OSError:
            pass

    async def control(self, r, w):
        line = (await r.readline()).decode().split()
        ans = "error"
        if not line:
            pass
        elif line[0] == "conns":
            ans = " ".join(str(i) for i in sorted(self.conns))
        elif line[0] == "stats":
            ans = json.dumps({str(i): v for i, v in self.stats.items()})
        elif line[0] == "msg1" and len(line) == 2:
            newest = [self.conns[i]["msg1"] for i in sorted(self.conns) if self.conns[i]["msg1"]]
            if newest:
                with open(line[1], "wb") as f:
                    f.write(newest[-1])
                ans = "done"
        elif line[0] == "closed" and len(line) == 2:
            st = self.conns.get(int(line[1]))
            try:
                if st is not None:
                    await asyncio.wait_for(st["closed"].wait(), 10)
                ans = "done"
            except asyncio.TimeoutError:
                ans = "timeout"
        elif line[0] in ACTIONS and self.pending is None:
            fut = asyncio.get_running_loop().create_future()
            self.pending = (line[0], fut)
            try:
                ans = await asyncio.wait_for(asyncio.shield(fut), 10)
            except asyncio.TimeoutError:
                self.pending = None
                ans = "timeout"
        w.write((ans + "\n").encode())
        await w.drain()
        w.close()


def cmd_mitm(args):
    lport, host, port, ctl = int(args[0]), args[1], int(args[2]), args[3]
    m = Mitm(host, port)

    async def main():
        srv = await asyncio.start_server(m.handle, "0.0.0.0", lport, reuse_address=True)
        if os.path.exists(ctl):
            os.unlink(ctl)
        cs = await asyncio.start_unix_server(m.control, ctl)
        async with srv, cs:
            await asyncio.gather(srv.serve_forever(), cs.serve_forever())

    asyncio.run(main())


def cmd_ctl(args):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(15)
    s.connect(args[0])
    s.sendall((" ".join(args[1:]) + "\n").encode())
    b = b""
    while not b.endswith(b"\n"):
        c = s.recv(4096)
        if not c:
            break
        b += c
    print(b.decode().strip())


def main():
    cmds = {"raw": cmd_raw, "flood": cmd_flood, "mitm": cmd_mitm, "ctl": cmd_ctl}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds:
        sys.exit(__doc__)
    cmds[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    main()
