#!/usr/bin/env python3
"""Idle keep-alive: hold N served keep-alive connections open; is a new client still served?

Usage:
    python3 scripts/idle_keepalive.py [SERVER_BINARY] [-n 10000] [--hold 10]
                                      [--concurrency 256] [--keep-alive-ms 60000]
                                      [--max-new-ms 1000] [--args '{port}']

SERVER_BINARY (default target/release/examples/hello) is started by this script on a free
127.0.0.1 port as `SERVER_BINARY PORT` (change with --args; `{port}` is replaced), with the
environment variable

    STDHTTP_KEEP_ALIVE_MS=60000        (--keep-alive-ms)

which the server MUST honour as its keep-alive timeout (Node's server.keepAliveTimeout):
with the default 5 s the server would rightly close the idle connections during the hold
and the run would report them as closed.

Steps:
1. RLIMIT_NOFILE's soft limit is raised to the hard limit (the server inherits it).  If the
   hard limit is below N + 100, a notice is printed and N is lowered to fit.
2. N connections are opened, at most --concurrency at a time still waiting for their answer;
   each sends one complete `GET / HTTP/1.1` (keep-alive) and reads the whole response.  A
   connection with no full response 15 s after its connect counts as failed.  Then they all
   stay open and idle.
3. Hold for --hold seconds (default 10), sampling /proc/PID/status (VmRSS, VmHWM, Threads)
   and /proc/PID/fd each second, and counting idle connections the server closes.
4. A brand-new client makes 5 requests, each on a fresh connection (5 s timeout each), and
   their latency is reported.
5. Up to 100 of the idle connections send a second request, to check they are still served.
6. Everything is closed; the server is stopped by its PID.

Output: detail lines, then
    RESULT idle_keepalive PASS|FAIL n=.. answered=.. closed_while_idle=.. new_ok=../5
           new_max_ms=.. reuse_ok=../.. rss_kib=.. threads=.. fds=..
(rss/threads/fds sampled with all N connections idle).  PASS means: every connection got its
answer, none was closed while idle, all 5 new requests succeeded within --max-new-ms, and
every reused connection was answered.  Exit status 0 PASS, 1 FAIL, 2 setup error.
The run is bounded (alarm at 15 + open phase limit 180 s + hold + 60 s).
"""

import argparse
import os
import resource
import selectors
import signal
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stdhttp_bench import (HOST, REQUEST, complete_response, exit_on_signals, free_port, proc_stats,
                           raise_nofile, recv_ready, Sampler, start_server, stop_server, timeline)

OPEN_LIMIT = 180.0


def response_length(buf):
    """Length of the first complete response in buf, or None; raises ValueError if not 200."""
    n, head = complete_response(buf)
    if head is not None and head.status != b"200":
        raise ValueError("status " + head.status_line[:40].decode("latin1"))
    return n


def fresh_request(port, timeout):
    t0 = time.monotonic()
    try:
        with socket.create_connection((HOST, port), timeout=timeout) as s:
            s.sendall(REQUEST)
            buf = b""
            while True:
                n = response_length(buf)
                if n is not None:
                    return time.monotonic() - t0, None
                chunk = s.recv(65536)
                if not chunk:
                    return time.monotonic() - t0, "closed before a full response"
                buf += chunk
    except ValueError as e:
        return time.monotonic() - t0, str(e)
    except OSError as e:
        return time.monotonic() - t0, type(e).__name__


class Conn:
    __slots__ = ("sock", "state", "buf", "t0")

    def __init__(self, sock, t0):
        self.sock, self.state, self.buf, self.t0 = sock, "connecting", b"", t0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("binary", nargs="?", default="target/release/examples/hello")
    ap.add_argument("-n", "--connections", type=int, default=10000)
    ap.add_argument("--hold", type=float, default=10.0, help="idle seconds before the checks")
    ap.add_argument("--concurrency", type=int, default=256,
                    help="connections at most waiting for their first answer")
    ap.add_argument("--keep-alive-ms", type=int, default=60000,
                    help="passed to the server as STDHTTP_KEEP_ALIVE_MS")
    ap.add_argument("--max-new-ms", type=float, default=1000.0)
    ap.add_argument("--args", default="{port}", help="server arguments; {port} = the port")
    opt = ap.parse_args()

    exit_on_signals("idle_keepalive", 15 + OPEN_LIMIT + opt.hold + 60)

    soft, hard = raise_nofile()
    n = opt.connections
    if soft != resource.RLIM_INFINITY and soft < n + 100:
        n = max(1, soft - 100)
        print(f"notice: RLIMIT_NOFILE hard limit is {hard} (< N + 100): lowering N to {n}; "
              f"raise it (e.g. `ulimit -Hn` as root, or limits.conf) to test more")
    print(f"config: binary={opt.binary} N={n} hold={opt.hold}s concurrency={opt.concurrency} "
          f"STDHTTP_KEEP_ALIVE_MS={opt.keep_alive_ms} nofile={soft}/{hard}")

    port = free_port()
    proc = log = None
    sel = selectors.DefaultSelector()
    conns = {}
    try:
        try:
            proc, log, _ = start_server(opt.binary, opt.args, port,
                                        {"STDHTTP_KEEP_ALIVE_MS": str(opt.keep_alive_ms)})
        except (RuntimeError, OSError) as e:
            print(f"RESULT idle_keepalive FAIL reason=setup: {e}")
            return 2
        pid = proc.pid
        base = proc_stats(pid)
        print(f"server: pid={pid} port={port} before: {base}")

        failures = {}

        def fail(c, why):
            failures[why] = failures.get(why, 0) + 1
            try:
                sel.unregister(c.sock)
            except (KeyError, ValueError):
                pass
            conns.pop(c.sock.fileno(), None)
            c.sock.close()

        # ---- phase 1: open N, one request each
        t_start = time.monotonic()
        opened = answered = 0
        pending = 0
        idle_closed = 0
        next_check = t_start + 1.0
        while time.monotonic() - t_start < OPEN_LIMIT:
            now = time.monotonic()
            while opened < n and pending < opt.concurrency:
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                s.setblocking(False)
                err = s.connect_ex((HOST, port))
                opened += 1
                if err not in (0, 115):
                    s.close()
                    failures[f"connect errno {err}"] = failures.get(f"connect errno {err}", 0) + 1
                    continue
                c = Conn(s, now)
                conns[s.fileno()] = c
                sel.register(s, selectors.EVENT_WRITE, c)
                pending += 1
            if pending == 0 and opened >= n:
                break
            for key, _ in sel.select(0.05):
                c = key.data
                if conns.get(c.sock.fileno()) is not c:
                    continue
                if c.state == "connecting":
                    err = c.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                    if err:
                        pending -= 1
                        fail(c, f"connect errno {err}")
                        continue
                    try:
                        c.sock.send(REQUEST)  # 36 bytes: one send on a fresh socket
                    except OSError as e:
                        pending -= 1
                        fail(c, f"send {type(e).__name__}")
                        continue
                    c.state = "waiting"
                    sel.modify(c.sock, selectors.EVENT_READ, c)
                    continue
                data = recv_ready(c.sock)
                if data is None:
                    continue
                if c.state == "idle":
                    idle_closed += 1
                    fail(c, "closed while idle (open phase)")
                    continue
                if not data:
                    pending -= 1
                    fail(c, "closed before a full response")
                    continue
                c.buf += data
                try:
                    done = response_length(c.buf)
                except ValueError as e:
                    pending -= 1
                    fail(c, str(e))
                    continue
                if done is not None:
                    c.state, c.buf = "idle", b""
                    pending -= 1
                    answered += 1
            # time out connections waiting too long
            now = time.monotonic()
            if now >= next_check:
                next_check = now + 1.0
                for c in [c for c in conns.values() if c.state != "idle" and now - c.t0 > 15]:
                    pending -= 1
                    fail(c, "no answer within 15 s")
        open_secs = time.monotonic() - t_start
        for c in [c for c in conns.values() if c.state != "idle"]:
            fail(c, "open phase time limit")
        print(f"open phase: {open_secs:.1f}s opened={opened} answered={answered}"
              + "".join(f"\n  failure: {v} x {k}" for k, v in failures.items()))

        # ---- phase 2: hold idle
        t_hold = time.monotonic()
        sampler = Sampler(pid, t_hold, lambda: {"open": len(conns)})
        samples = sampler.samples
        while time.monotonic() - t_hold < opt.hold:
            if not sampler.poll():
                print("server process is gone")
                break
            for key, _ in sel.select(max(0.0, min(0.2, sampler.next - time.monotonic()))):
                c = key.data
                if conns.get(c.sock.fileno()) is c:
                    idle_closed += 1
                    fail(c, "closed while idle (hold)")
        held = proc_stats(pid) or (samples[-1] if samples else {})
        if samples:
            print("hold timeline (t: threads/rss KiB/fds/open conns): "
                  + timeline(samples, "open"))
        if held and base:
            per = ""
            if conns:
                per = (f" (~{(held['VmRSS'] - base['VmRSS']) / len(conns):.1f} KiB RSS per "
                       f"connection over the {base['VmRSS']} KiB idle server)")
            print(f"server with {len(conns)} idle connections: VmRSS={held['VmRSS']} KiB "
                  f"VmHWM={held['VmHWM']} KiB Threads={held['Threads']} fds={held['fds']}{per}")

        # ---- phase 3: a brand-new client
        news = [fresh_request(port, 5.0) for _ in range(5)]
        new_ok = [dt for dt, err in news if err is None]
        new_ms = [dt * 1000 for dt, _ in news]
        print("new client: " + ", ".join(
            f"{dt * 1000:.1f}ms" + (f" ({err})" if err else "") for dt, err in news))

        # ---- phase 4: reuse some idle connections
        sample = list(conns.values())[:100]
        reuse_ok = 0
        for c in sample:
            try:
                c.sock.setblocking(True)
                c.sock.settimeout(5.0)
                c.sock.sendall(REQUEST)
                buf = b""
                while response_length(buf) is None:
                    chunk = c.sock.recv(65536)
                    if not chunk:
                        break
                    buf += chunk
                else:
                    reuse_ok += 1
            except (OSError, ValueError):
                pass
        print(f"reuse: {reuse_ok}/{len(sample)} idle connections answered a second request")

        alive = proc.poll() is None
        why = []
        if answered < n:
            why.append("not-all-answered")
        if idle_closed:
            why.append("closed-while-idle")
        if len(new_ok) < len(news) or max(new_ms) > opt.max_new_ms:
            why.append("new-client")
        if reuse_ok < len(sample):
            why.append("reuse")
        if not alive:
            why.append("server-died")
        ok = not why
        print(f"RESULT idle_keepalive {'PASS' if ok else 'FAIL'} n={n} answered={answered} "
              f"closed_while_idle={idle_closed} new_ok={len(new_ok)}/{len(news)} "
              f"new_max_ms={max(new_ms):.1f} reuse_ok={reuse_ok}/{len(sample)} "
              f"rss_kib={held.get('VmRSS')} threads={held.get('Threads')} fds={held.get('fds')}"
              + (f" reason={','.join(why)}" if why else ""))
        return 0 if ok else 1
    finally:
        for c in list(conns.values()):
            c.sock.close()
        sel.close()
        stop_server(proc, log)
        signal.alarm(0)


if __name__ == "__main__":
    sys.exit(main())
