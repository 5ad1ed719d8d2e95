#!/usr/bin/env python3
"""Close under load: does server.close() lose requests that were already sent?

Usage:
    python3 scripts/close_under_load.py [SERVER_BINARY] [-t 2000] [-c 64] [--grace 15]
                                        [--signal-after-ms MS] [--args '{port}']

Contract with the server (examples/hello.rs honours it): started with the environment
variable

    STDHTTP_CLOSE_AFTER_MS=T           (-t, default 2000)

the server calls `server.close()` T ms after it starts (stop accepting, close idle
connections, let in-flight requests finish) and the process exits once the server is
closed (`join()` returns).  SERVER_BINARY (default target/release/examples/hello) is started
on a free 127.0.0.1 port as `SERVER_BINARY PORT` (change with --args; `{port}` is replaced).

What runs: C (default 64) keep-alive connections on one selector, each a strict
request/response loop (`GET /`, no pipelining): the next request goes out as soon as the
previous response is complete.  A connection the server closes is reopened at once; a
refused connect is retried every 20 ms.  From T - 300 ms on, a prober also tries a new
connection every 5 ms, to time the close.  Every request is recorded with its send time and
its outcome:

* ok      - a full 200 response arrived;
* lost    - the connection ended (EOF or reset) with the request in flight and no byte of
            its response received;
* partial - the connection ended inside the response;
* bad     - a response other than 200.

The close instant is taken as the first refused connect seen (prober or reconnect), or the
server's exit if earlier.  Requests sent before it count; requests sent after it (into a
connection the server was already closing) are shown apart and do not fail the run, nor do
refused connects.  Lost requests sent before spawn + T, when the server cannot have begun to
close yet, are also shown as lost_before_T.  NB: HTTP/1.1 has a window that no server can
fully close: a request sent while the server shuts an idle keep-alive connection.  The
detail lines give, for each lost request, its send time relative to the close and the gap
since the previous response on its connection, to tell that race from a real loss.

The run ends when the server process has exited (plus 0.5 s to drain) or at spawn + T +
--grace seconds (default 15); a server still running then fails the run (it did not honour
STDHTTP_CLOSE_AFTER_MS) and is stopped by its PID.  --signal-after-ms MS instead sends the
server SIGTERM MS ms after spawn: a way to try this script on a server without the env
variable (an abrupt exit like that should show lost requests).

Output: detail lines, then
    RESULT close_under_load PASS|FAIL sent=.. ok=.. lost=.. partial=.. bad=..
           after_close=.. refused=.. exit_after_close_ms=..
where sent/ok/lost/partial/bad count requests sent before the close.  PASS means lost = 0,
partial = 0, bad = 0, ok > 0 and the server exited by itself.  Exit 0 PASS, 1 FAIL, 2 setup.
"""

import argparse
import errno
import os
import selectors
import signal
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stdhttp_bench import (HOST, REQUEST, complete_response, exit_on_signals, free_port, recv_ready,
                           start_server, stop_server)


class Req:
    __slots__ = ("sent", "outcome", "conn", "gap")

    def __init__(self, sent, conn, gap):
        self.sent, self.conn, self.gap, self.outcome = sent, conn, gap, None


class Conn:
    __slots__ = ("id", "sock", "state", "buf", "req", "last_resp", "retry_at", "closing")

    def __init__(self, cid):
        self.id, self.sock, self.state, self.buf = cid, None, "down", b""
        self.req, self.last_resp, self.retry_at, self.closing = None, None, 0.0, False


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("binary", nargs="?", default="target/release/examples/hello")
    ap.add_argument("-t", "--close-after-ms", type=int, default=2000)
    ap.add_argument("-c", "--connections", type=int, default=64)
    ap.add_argument("--grace", type=float, default=15.0,
                    help="seconds after T the server has to exit")
    ap.add_argument("--signal-after-ms", type=int, default=None,
                    help="self-test: SIGTERM the server this many ms after spawn")
    ap.add_argument("--args", default="{port}", help="server arguments; {port} = the port")
    opt = ap.parse_args()

    exit_on_signals("close_under_load", opt.close_after_ms / 1000 + opt.grace + 60)
    T = opt.close_after_ms / 1000.0
    print(f"config: binary={opt.binary} STDHTTP_CLOSE_AFTER_MS={opt.close_after_ms} "
          f"C={opt.connections} grace={opt.grace}s"
          + (f" signal_after_ms={opt.signal_after_ms}" if opt.signal_after_ms else ""))

    port = free_port()
    proc = log = None
    sel = selectors.DefaultSelector()
    conns = [Conn(i) for i in range(opt.connections)]
    probes = set()
    try:
        try:
            proc, log, spawn = start_server(
                opt.binary, opt.args, port, {"STDHTTP_CLOSE_AFTER_MS": str(opt.close_after_ms)},
                poll=0.01)
        except (RuntimeError, OSError) as e:
            print(f"RESULT close_under_load FAIL reason=setup: {e}")
            return 2
        ready = time.monotonic()
        print(f"server: pid={proc.pid} port={port} accepting {1000 * (ready - spawn):.0f} ms "
              "after spawn")
        if ready - spawn > T:
            print("notice: the server took longer than T to start accepting; raise -t")

        reqs = []
        refused = []          # times of refused connects
        counts = {"reconnects": 0, "send_failed": 0, "connect_errors": 0, "probes": 0}
        deadline = spawn + T + opt.grace
        exit_time = None
        signalled = False
        next_probe = spawn + max(0.0, T - 0.3)

        def send_request(c, now):
            try:
                c.sock.send(REQUEST)
            except OSError:
                counts["send_failed"] += 1
                down(c, now)
                return
            gap = (now - c.last_resp) if c.last_resp is not None else None
            c.req = Req(now, c.id, gap)
            reqs.append(c.req)
            c.buf = b""

        def down(c, now, retry=0.0):
            if c.sock is not None:
                try:
                    sel.unregister(c.sock)
                except (KeyError, ValueError):
                    pass
                c.sock.close()
            c.sock, c.state, c.req, c.last_resp, c.closing = None, "down", None, None, False
            c.retry_at = now + retry

        def connect(c, now):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setblocking(False)
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            err = s.connect_ex((HOST, port))
            if err == errno.ECONNREFUSED:
                refused.append(now)
                s.close()
                c.retry_at = now + 0.02
                return
            if err not in (0, errno.EINPROGRESS):
                counts["connect_errors"] += 1
                s.close()
                c.retry_at = now + 0.02
                return
            c.sock, c.state = s, "connecting"
            sel.register(s, selectors.EVENT_WRITE, c)

        def probe(now):
            counts["probes"] += 1
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setblocking(False)
            err = s.connect_ex((HOST, port))
            if err == errno.ECONNREFUSED:
                refused.append(now)
                s.close()
            elif err in (0, errno.EINPROGRESS):
                probes.add(s)
                sel.register(s, selectors.EVENT_WRITE, None)
            else:
                s.close()

        now = time.monotonic()
        for c in conns:
            connect(c, now)
        drain_until = None
        while True:
            now = time.monotonic()
            if exit_time is None and proc.poll() is not None:
                exit_time = now
                drain_until = now + 0.5
            if drain_until is not None and now >= drain_until:
                break
            if now >= deadline:
                break
            if (opt.signal_after_ms is not None and not signalled
                    and now >= spawn + opt.signal_after_ms / 1000.0):
                proc.send_signal(signal.SIGTERM)
                signalled = True
            if exit_time is None and now >= next_probe:
                probe(now)
                next_probe = now + 0.005
            if exit_time is None:
                for c in conns:
                    if c.state == "down" and now >= c.retry_at:
                        counts["reconnects"] += 1
                        connect(c, now)
            for key, _ in sel.select(0.005):
                now = time.monotonic()
                c = key.data
                if c is None:  # a probe
                    s = key.fileobj
                    if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == errno.ECONNREFUSED:
                        refused.append(now)
                    sel.unregister(s)
                    probes.discard(s)
                    s.close()
                    continue
                if key.fileobj is not c.sock:
                    continue
                if c.state == "connecting":
                    err = c.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                    if err:
                        if err == errno.ECONNREFUSED:
                            refused.append(now)
                        else:
                            counts["connect_errors"] += 1
                        down(c, now, 0.02)
                        continue
                    c.state = "open"
                    sel.modify(c.sock, selectors.EVENT_READ, c)
                    send_request(c, now)
                    continue
                data = recv_ready(c.sock)
                if data is None:
                    continue
                if not data:
                    if c.req is not None:
                        c.req.outcome = "partial" if c.buf else "lost"
                    down(c, now)
                    continue
                c.buf += data
                n, head = complete_response(c.buf)
                if n is None:
                    continue
                c.req.outcome = "ok" if head.status == b"200" else "bad"
                c.req = None
                c.last_resp = now
                c.buf = c.buf[n:]
                if head.close:
                    c.closing = True  # wait for the server's close; send nothing more
                    continue
                send_request(c, now)

        alive = proc.poll() is None
        for c in conns:
            if c.req is not None:
                if alive:  # stopped at the deadline: still waiting, not lost
                    c.req.outcome = "unfinished"
                else:
                    c.req.outcome = "lost" if not c.buf else "partial"

        # ---------------------------------------------------------------- report
        t_close = min([t for t in refused] + ([exit_time] if exit_time else []), default=None)
        if t_close is None:
            t_close = now
            print("no refused connect and no exit seen: every request counts as before the close")
        before = [r for r in reqs if r.sent < t_close]
        after = [r for r in reqs if r.sent >= t_close]

        def tally(rs):
            d = {"ok": 0, "lost": 0, "partial": 0, "bad": 0, "unfinished": 0}
            for r in rs:
                d[r.outcome or "lost"] += 1
            return d

        tb, ta = tally(before), tally(after)
        t_T = spawn + T
        lost_before_T = sum(1 for r in before if r.outcome in ("lost", "partial")
                            and r.sent < t_T)
        print(f"close seen at spawn+{1000 * (t_close - spawn):.1f} ms (T={opt.close_after_ms} ms; "
              f"first refused connect: "
              + (f"spawn+{1000 * (min(refused) - spawn):.1f} ms" if refused else "none")
              + "; server exit: "
              + (f"spawn+{1000 * (exit_time - spawn):.1f} ms" if exit_time else "none") + ")")
        print(f"before close: sent={len(before)} ok={tb['ok']} lost={tb['lost']} "
              f"partial={tb['partial']} bad={tb['bad']} lost_before_T={lost_before_T}")
        print(f"after close: sent={len(after)} ok={ta['ok']} lost={ta['lost']} "
              f"partial={ta['partial']} bad={ta['bad']} (do not fail the run)")
        print(f"connections: reconnects={counts['reconnects']} refused={len(refused)} "
              f"send_failed={counts['send_failed']} connect_errors={counts['connect_errors']} "
              f"probes={counts['probes']}")
        if tb["unfinished"]:
            print(f"unfinished (in flight when the run stopped, server still up): {tb['unfinished']}")
        bad_before = [r for r in before if r.outcome in ("lost", "partial", "bad")]
        for r in bad_before[:20]:
            gap = f"{1000 * r.gap:.3f} ms" if r.gap is not None else "first on connection"
            print(f"  {r.outcome or 'lost'}: conn {r.conn} sent at close{1000 * (r.sent - t_close):+.3f} ms, "
                  f"gap since previous response {gap}")
        if len(bad_before) > 20:
            print(f"  ... {len(bad_before) - 20} more")
        why = []
        if tb["lost"]:
            why.append("lost")
        if tb["partial"]:
            why.append("partial")
        if tb["bad"]:
            why.append("bad-status")
        if not tb["ok"]:
            why.append("no-ok")
        if alive:
            why.append("server-did-not-exit")
        if signalled:
            why.append("self-test-sigterm")
        exit_ms = f"{1000 * (exit_time - t_close):.0f}" if exit_time else "none"
        ok = not why
        print(f"RESULT close_under_load {'PASS' if ok else 'FAIL'} sent={len(before)} "
              f"ok={tb['ok']} lost={tb['lost']} partial={tb['partial']} bad={tb['bad']} "
              f"after_close={len(after)} refused={len(refused)} exit_after_close_ms={exit_ms}"
              + (f" reason={','.join(why)}" if why else ""))
        return 0 if ok else 1
    finally:
        for c in conns:
            if c.sock is not None:
                c.sock.close()
        for s in probes:
            s.close()
        sel.close()
        stop_server(proc, log)
        signal.alarm(0)


if __name__ == "__main__":
    sys.exit(main())
