#!/usr/bin/env python3
"""Slowloris: N connections drip a request head one byte a second; is a normal client still served?

Usage:
    python3 scripts/slowloris.py [SERVER_BINARY] [-n 1000] [-d 30] [--interval 0.1]
                                 [--max-p99-ms 1000] [--no-reopen] [--silent] [--args '{port}']

SERVER_BINARY (default target/release/examples/hello) is started by this script on a free
127.0.0.1 port, as `SERVER_BINARY PORT` (change the arguments with --args, where `{port}` is
replaced by the port).  Then:

* N "slow" connections are opened (non-blocking, one selector, in 20 batches over ~2 s),
  each sending the head
  `GET / HTTP/1.1\\r\\nHost: ...\\r\\nX-Slowloris: aaaa...` one byte per second, never
  finishing it (with --silent they send nothing at all).  When the server closes one (a header timeout, say), it is counted and, unless
  --no-reopen, replaced a second later by a new slow connection, as a real attacker would.
* A normal client thread opens a fresh connection every --interval seconds (default 100 ms),
  sends `GET /` and reads the whole response, timing it (5 s timeout per request).
* Every second the server's /proc/PID/status (VmRSS, VmHWM, Threads) and /proc/PID/fd count
  are sampled.

After -d seconds (default 30) everything is closed and the server is stopped by its PID.
RLIMIT_NOFILE is raised to the hard limit first (the server inherits it).

Output: detail lines, then one line
    RESULT slowloris PASS|FAIL ok=.. failed=.. p50=..ms p99=..ms max=..ms threads_max=..
           rss_max_kib=.. fds_max=.. slow_open=../N slow_closed_by_server=..
PASS means: the normal client had no failure, its p99 latency was at most --max-p99-ms, and
the server was still running at the end.  Exit status 0 on PASS, 1 on FAIL, 2 on a setup error.
The whole run is bounded (alarm at d + 60 s).
"""

import argparse
import heapq
import os
import resource
import selectors
import signal
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stdhttp_bench import (HOST, exit_on_signals, free_port, parse_head, percentile, proc_stats,
                           raise_nofile, recv_ready, Sampler, start_server, stop_server, timeline)


# ---------------------------------------------------------------- normal client
def one_request(port, timeout):
    """One GET over a fresh connection; returns None on success or an error string."""
    deadline = time.monotonic() + timeout
    try:
        with socket.create_connection((HOST, port), timeout=timeout) as s:
            s.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            buf = b""
            while (head := parse_head(buf)) is None:
                s.settimeout(max(0.001, deadline - time.monotonic()))
                chunk = s.recv(65536)
                if not chunk:
                    return "closed before the response head"
                buf += chunk
            if head.status != b"200":
                return "status " + head.status_line[:40].decode("latin1")
            if head.length is None:
                return "no content-length"
            body = buf[head.size:]
            while len(body) < head.length:
                s.settimeout(max(0.001, deadline - time.monotonic()))
                chunk = s.recv(65536)
                if not chunk:
                    return "closed inside the body"
                body += chunk
            return None
    except socket.timeout:
        return "timeout"
    except OSError as e:
        return type(e).__name__ + (f" {e.errno}" if e.errno else "")


def normal_client(port, interval, timeout, stop, results):
    next_t = time.monotonic()
    while not stop.is_set():
        t0 = time.monotonic()
        err = one_request(port, timeout)
        results.append((t0, time.monotonic() - t0, err))
        next_t += interval
        wait = next_t - time.monotonic()
        if wait > 0:
            stop.wait(wait)
        else:
            next_t = time.monotonic()


# ---------------------------------------------------------------- slow connections
PREFIX = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slowloris: "


class Slow:
    __slots__ = ("sock", "pos", "opened", "connected")

    def __init__(self, sock, now):
        self.sock = sock
        self.pos = 0
        self.opened = now
        self.connected = False

    def next_byte(self):
        b = PREFIX[self.pos:self.pos + 1] if self.pos < len(PREFIX) else b"a"
        return b


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("binary", nargs="?", default="target/release/examples/hello")
    ap.add_argument("-n", "--connections", type=int, default=1000)
    ap.add_argument("-d", "--duration", type=float, default=30.0)
    ap.add_argument("--interval", type=float, default=0.1, help="normal client period, s")
    ap.add_argument("--timeout", type=float, default=5.0, help="normal request timeout, s")
    ap.add_argument("--max-p99-ms", type=float, default=1000.0)
    ap.add_argument("--no-reopen", action="store_true",
                    help="do not replace slow connections the server closes")
    ap.add_argument("--args", default="{port}", help="server arguments; {port} = the port")
    ap.add_argument("--silent", action="store_true",
                    help="the slow connections send nothing at all (not even a first byte)")
    opt = ap.parse_args()

    exit_on_signals("slowloris", int(opt.duration) + 60)

    soft, hard = raise_nofile()
    n = opt.connections
    if soft != resource.RLIM_INFINITY and soft < n + 50:
        n = max(1, soft - 50)
        print(f"notice: RLIMIT_NOFILE is {soft} (hard {hard}): lowering N to {n}")
    print(f"config: binary={opt.binary} N={n} duration={opt.duration}s "
          f"interval={opt.interval}s nofile={soft}/{hard} reopen={not opt.no_reopen}")

    port = free_port()
    proc = log = None
    sel = selectors.DefaultSelector()
    slows = {}
    stop = threading.Event()
    client = None
    try:
        try:
            proc, log, _ = start_server(opt.binary, opt.args, port)
        except (RuntimeError, OSError) as e:
            print(f"RESULT slowloris FAIL reason=setup: {e}")
            return 2
        pid = proc.pid
        base = proc_stats(pid)
        print(f"server: pid={pid} port={port} idle {base}")

        stats = {"opened": 0, "connect_failed": 0, "closed_by_server": 0, "reopened": 0,
                 "bytes": 0}
        lifetimes = []  # seconds a slow connection lived before the server closed it
        drips = []      # heap of (time, seq, fileno, Slow)
        reopen_at = []  # times, in order, at which to replace a closed slow connection
        seq = 0

        def open_slow(now):
            nonlocal seq
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setblocking(False)
            err = s.connect_ex((HOST, port))
            if err not in (0, 115):  # EINPROGRESS
                s.close()
                stats["connect_failed"] += 1
                return
            sl = Slow(s, now)
            slows[s.fileno()] = sl
            sel.register(s, selectors.EVENT_WRITE, sl)
            stats["opened"] += 1

        def drop(sl, by_server, now):
            fd = sl.sock.fileno()
            try:
                sel.unregister(sl.sock)
            except (KeyError, ValueError):
                pass
            slows.pop(fd, None)
            sl.sock.close()
            if by_server:
                stats["closed_by_server"] += 1
                lifetimes.append(now - sl.opened)
                if not opt.no_reopen and now < end:
                    reopen_at.append(now + 1.0)  # after a second: no tight reconnect loop

        def send_byte(sl, now):
            nonlocal seq
            try:
                sent = sl.sock.send(sl.next_byte())
            except BlockingIOError:
                sent = 0
            except OSError:
                drop(sl, True, now)
                return
            sl.pos += sent
            stats["bytes"] += sent
            seq += 1
            heapq.heappush(drips, (now + 1.0, seq, sl.sock.fileno(), sl))

        # open the slow connections (spread over at most ~2 s so the accept queue keeps up)
        start = time.monotonic()
        end = start + opt.duration
        results = []
        client = threading.Thread(target=normal_client,
                                  args=(port, opt.interval, opt.timeout, stop, results),
                                  daemon=True)
        sampler = Sampler(pid, start,
                          lambda: {"slow": sum(1 for s in slows.values() if s.connected)})
        samples = sampler.samples
        to_open = n
        batch = max(1, n // 20)
        next_open = start
        client_started = False

        while True:
            now = time.monotonic()
            if now >= end:
                break
            if to_open and now >= next_open:
                for _ in range(min(batch, to_open)):
                    open_slow(now)
                to_open -= min(batch, to_open)
                next_open = now + 0.1
            while reopen_at and reopen_at[0] <= now:
                reopen_at.pop(0)
                stats["reopened"] += 1
                open_slow(now)
            if not to_open and not client_started:
                client.start()
                client_started = True
            if not sampler.poll(now):
                print("server process is gone")
                break
            # due drips
            while drips and drips[0][0] <= now:
                _, _, fd, sl = heapq.heappop(drips)
                if slows.get(fd) is sl:
                    send_byte(sl, now)
            wake = min(sampler.next, end, drips[0][0] if drips else end,
                       next_open if to_open else end, reopen_at[0] if reopen_at else end)
            for key, mask in sel.select(max(0.0, min(0.05, wake - time.monotonic()))):
                sl = key.data
                now = time.monotonic()
                if slows.get(sl.sock.fileno()) is not sl:
                    continue
                if not sl.connected:
                    err = sl.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                    if err:
                        stats["connect_failed"] += 1
                        drop(sl, False, now)
                        continue
                    sl.connected = True
                    sel.modify(sl.sock, selectors.EVENT_READ, sl)
                    if not opt.silent:
                        send_byte(sl, now)
                    continue
                data = recv_ready(sl.sock)
                if data is None:
                    continue
                if not data:
                    drop(sl, True, now)
                # bytes the server sent (a 408, say) are read and ignored; the close follows

        stop.set()
        if client_started:
            client.join(opt.timeout + 2)
        final = proc_stats(pid)
        alive = proc.poll() is None

        # ---------------------------------------------------------------- report
        lat = sorted(dt * 1000 for _, dt, err in results if err is None)
        fails = [(t - start, err) for t, _, err in results if err is not None]
        connected_now = sum(1 for s in slows.values() if s.connected)
        print(f"normal client: requests={len(results)} ok={len(lat)} failed={len(fails)} "
              f"p50={percentile(lat, 50):.1f}ms p90={percentile(lat, 90):.1f}ms "
              f"p99={percentile(lat, 99):.1f}ms max={max(lat) if lat else float('nan'):.1f}ms")
        errs = {}
        for _, e in fails:
            errs[e] = errs.get(e, 0) + 1
        for e, c in sorted(errs.items(), key=lambda x: -x[1]):
            print(f"  failure: {c} x {e} (first at t={min(t for t, x in fails if x == e):.1f}s)")
        print(f"slow connections: opened={stats['opened']} connect_failed={stats['connect_failed']} "
              f"closed_by_server={stats['closed_by_server']} reopened={stats['reopened']} "
              f"connected_at_end={connected_now} bytes_dripped={stats['bytes']}")
        if lifetimes:
            lt = sorted(lifetimes)
            print(f"  server closed slow connections after: min={lt[0]:.1f}s "
                  f"p50={percentile(lt, 50):.1f}s max={lt[-1]:.1f}s")
        if samples:
            thr = [s["Threads"] for s in samples]
            rss = [s["VmRSS"] for s in samples]
            fds = [s["fds"] for s in samples]
            print(f"server threads: start={thr[0]} end={thr[-1]} max={max(thr)}")
            print(f"server VmRSS KiB: start={rss[0]} end={rss[-1]} max={max(rss)}; "
                  f"VmHWM={(final or samples[-1])['VmHWM']}")
            print(f"server fds: start={fds[0]} end={fds[-1]} max={max(fds)}")
            print("timeline (t: threads/rss KiB/fds/slow connected): "
                  + timeline(samples, "slow"))
        p99 = percentile(lat, 99)
        ok = alive and not fails and bool(lat) and p99 <= opt.max_p99_ms
        why = []
        if not alive:
            why.append("server-died")
        if fails:
            why.append("client-failures")
        if lat and p99 > opt.max_p99_ms:
            why.append(f"p99>{opt.max_p99_ms:g}ms")
        if not lat:
            why.append("no-successful-request")
        thr_max = max((s["Threads"] for s in samples), default=0)
        rss_max = max((s["VmRSS"] for s in samples), default=0)
        fds_max = max((s["fds"] for s in samples), default=0)
        print(f"RESULT slowloris {'PASS' if ok else 'FAIL'} ok={len(lat)} failed={len(fails)} "
              f"p50={percentile(lat, 50):.1f}ms p99={p99:.1f}ms "
              f"max={max(lat) if lat else float('nan'):.1f}ms threads_max={thr_max} "
              f"rss_max_kib={rss_max} fds_max={fds_max} slow_open={connected_now}/{n} "
              f"slow_closed_by_server={stats['closed_by_server']}"
              + (f" reason={','.join(why)}" if why else ""))
        return 0 if ok else 1
    finally:
        stop.set()
        for sl in list(slows.values()):
            sl.sock.close()
        sel.close()
        stop_server(proc, log)
        signal.alarm(0)


if __name__ == "__main__":
    sys.exit(main())
