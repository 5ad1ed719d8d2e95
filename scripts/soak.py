#!/usr/bin/env python3
"""Soak: R keep-alive requests over C connections; do the server's RSS, threads or fds grow?

Usage:
    python3 scripts/soak.py [SERVER_BINARY] [-r 1000000] [-c 64] [--max-seconds 300]
                            [--driver auto|wrk|python] [--wrk-threads 2] [--args '{port}']

SERVER_BINARY (default target/release/examples/hello) is started by this script on a free
127.0.0.1 port as `SERVER_BINARY PORT` (change with --args; `{port}` is replaced).

Drivers (--driver auto picks wrk when `wrk` is on PATH; install it with
`apt-get install -y wrk`):
* wrk: `wrk -tT -cC -d<max-seconds>s` with a Lua script in which each wrk thread counts its
  responses; when every thread has R/T, this script sends wrk SIGINT, so wrk stops early and
  prints its usual summary over the real elapsed time.  --max-seconds bounds the run.
* python: C non-blocking keep-alive connections on one selector, each a strict
  request/response loop (no pipelining), until R responses or --max-seconds.  One Python
  process on one core is slower than wrk and its rate mostly measures Python, not the
  server; if a run hits the time bound the count actually done is reported.

While the load runs, /proc/PID/status (VmRSS, VmHWM, Threads) and the /proc/PID/fd count are
sampled every second.  "start" is the sample 2 s into the load (the first one if the run is
shorter), "end" the last sample under load, "max" the largest under load; "idle" is before
the load and "after" 2 s after it stopped (connections closed).  Growth is flagged when
end > start * 1.2 + slack (slack: 2048 KiB RSS, 2 threads, 2 fds).

Output: detail lines, then
    RESULT soak PASS|FAIL driver=.. requests=.. errors=.. req_per_s=.. rss_kib=S/E/M
           threads=S/E/M fds=S/E/M growth=none|rss,threads,fds
PASS means: no growth flagged, no request errors (socket errors, non-2xx), at least 99 % of R
done within the time bound, and the server still alive.  Exit 0 PASS, 1 FAIL, 2 setup error.
"""

import argparse
import os
import re
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stdhttp_bench import (HOST, REQUEST, complete_response, exit_on_signals, free_port, proc_stats,
                           recv_ready, Sampler, start_server, stop_server, timeline)

SLACK = {"VmRSS": 2048, "Threads": 2, "fds": 2}

WRK_LUA = """
local n = 0
local limit = tonumber(os.getenv("SOAK_PER_THREAD"))
response = function(status, headers, body)
  n = n + 1
  if n == limit then
    io.write("SOAK_THREAD_DONE\\n")
    io.flush()
    wrk.thread:stop()
  end
end
"""



# ---------------------------------------------------------------- drivers
def run_wrk(port, opt, sampler, proc):
    threads = max(1, min(opt.wrk_threads, opt.connections))
    per_thread = -(-opt.requests // threads)
    lua = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)
    lua.write(WRK_LUA)
    lua.close()
    argv = ["wrk", f"-t{threads}", f"-c{opt.connections}", f"-d{int(opt.max_seconds)}s",
            "--timeout", "5s", "-s", lua.name, f"http://{HOST}:{port}/"]
    print("driver: " + " ".join(argv) + f"  (SOAK_PER_THREAD={per_thread})")
    env = dict(os.environ, SOAK_PER_THREAD=str(per_thread))
    t0 = time.monotonic()
    wrk = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
                           start_new_session=True)
    out = b""
    done = 0
    try:
        os.set_blocking(wrk.stdout.fileno(), False)
        sel = selectors.DefaultSelector()
        sel.register(wrk.stdout, selectors.EVENT_READ)
        interrupted = False
        while True:
            if not sampler.poll() or proc.poll() is not None:
                print("server process is gone")
                break
            if sel.select(0.2):
                chunk = wrk.stdout.read()
                if chunk == b"":
                    break
                if chunk:
                    out += chunk
                    done = out.count(b"SOAK_THREAD_DONE")
                    if done >= threads and not interrupted:
                        wrk.send_signal(signal.SIGINT)
                        interrupted = True
            if wrk.poll() is not None:
                rest = wrk.stdout.read()
                out += rest or b""
                break
            if time.monotonic() - t0 > opt.max_seconds + 15:
                print("wrk overran its duration; stopping it")
                break
        sel.close()
    finally:
        if wrk.poll() is None:
            wrk.send_signal(signal.SIGINT)
            try:
                wrk.wait(5)
            except subprocess.TimeoutExpired:
                wrk.kill()
                wrk.wait()
        os.unlink(lua.name)
    text = out.decode("utf-8", "replace")
    for line in text.splitlines():
        if line.strip() and "SOAK_THREAD_DONE" not in line:
            print("  wrk: " + line)
    m = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m)\b", text)
    reqs = int(m.group(1)) if m else 0
    secs = 0.0
    if m:
        secs = float(m.group(2)) * {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}[m.group(3)]
    errors = 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    if m:
        errors += sum(int(x) for x in m.groups())
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    if m:
        errors += int(m.group(1))
    return reqs, errors, secs or (time.monotonic() - t0)


def run_python(port, opt, sampler, proc):
    print(f"driver: python selector loop, {opt.connections} keep-alive connections, "
          "no pipelining (slower than wrk)")
    sel = selectors.DefaultSelector()
    bufs = {}
    done = errors = 0
    sent = 0
    t0 = time.monotonic()

    def connect():
        nonlocal sent
        s = socket.create_connection((HOST, port), timeout=5)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.setblocking(False)
        s.send(REQUEST)
        sent += 1
        bufs[s] = b""
        sel.register(s, selectors.EVENT_READ)

    try:
        for _ in range(opt.connections):
            connect()
        while done < opt.requests and time.monotonic() - t0 < opt.max_seconds:
            if not sampler.poll() or proc.poll() is not None:
                print("server process is gone")
                break
            for key, _ in sel.select(0.2):
                s = key.fileobj
                data = recv_ready(s)
                if data is None:
                    continue
                if not data:
                    errors += 1
                    sel.unregister(s)
                    del bufs[s]
                    s.close()
                    try:
                        connect()
                    except OSError:
                        errors += 1
                    continue
                buf = bufs[s] + data
                n, head = complete_response(buf)
                if n is None:
                    bufs[s] = buf
                    continue
                done += 1
                if head.status != b"200":
                    errors += 1
                bufs[s] = buf[n:]
                if sent < opt.requests:
                    try:
                        s.send(REQUEST)
                        sent += 1
                    except OSError:
                        errors += 1
    finally:
        for s in list(bufs):
            s.close()
        sel.close()
    return done, errors, time.monotonic() - t0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("binary", nargs="?", default="target/release/examples/hello")
    ap.add_argument("-r", "--requests", type=int, default=1_000_000)
    ap.add_argument("-c", "--connections", type=int, default=64)
    ap.add_argument("--max-seconds", type=float, default=300.0)
    ap.add_argument("--driver", choices=["auto", "wrk", "python"], default="auto")
    ap.add_argument("--wrk-threads", type=int, default=2)
    ap.add_argument("--args", default="{port}", help="server arguments; {port} = the port")
    opt = ap.parse_args()

    exit_on_signals("soak", int(opt.max_seconds) + 90)

    driver = opt.driver
    if driver == "auto":
        driver = "wrk" if shutil.which("wrk") else "python"
        if driver == "python":
            print("notice: wrk not found (apt-get install -y wrk); using the slower Python driver")
    elif driver == "wrk" and not shutil.which("wrk"):
        print("RESULT soak FAIL reason=setup: wrk not on PATH")
        return 2
    print(f"config: binary={opt.binary} R={opt.requests} C={opt.connections} "
          f"driver={driver} max_seconds={opt.max_seconds}")

    port = free_port()
    proc = log = None
    try:
        try:
            proc, log, _ = start_server(opt.binary, opt.args, port)
        except (RuntimeError, OSError) as e:
            print(f"RESULT soak FAIL reason=setup: {e}")
            return 2
        pid = proc.pid
        idle = proc_stats(pid)
        print(f"server: pid={pid} port={port} idle: {idle}")
        sampler = Sampler(pid)
        run = run_wrk if driver == "wrk" else run_python
        reqs, errors, secs = run(port, opt, sampler, proc)
        load = sampler.samples
        time.sleep(2)
        after = proc_stats(pid)
        alive = proc.poll() is None
        rate = reqs / secs if secs > 0 else 0.0
        print(f"load: requests={reqs} errors={errors} seconds={secs:.2f} req_per_s={rate:.0f}")
        if load:
            print("timeline (t: threads/rss KiB/fds): " + timeline(load, points=12))
        growth = []
        summary = {}
        if load:
            start = load[2] if len(load) > 3 else load[0]
            end = load[-1]
            for key, label in (("VmRSS", "rss_kib"), ("Threads", "threads"), ("fds", "fds")):
                mx = max(s[key] for s in load)
                grew = end[key] > start[key] * 1.2 + SLACK[key]
                summary[label] = f"{start[key]}/{end[key]}/{mx}"
                print(f"{label}: idle={idle[key] if idle else '?'} start={start[key]} "
                      f"end={end[key]} max={mx} after={after[key] if after else '?'}"
                      + ("  <-- GROWTH" if grew else ""))
                if grew:
                    growth.append(label)
            print(f"VmHWM: {(after or end)['VmHWM']} KiB")
        why = []
        if growth:
            why.append("growth")
        if errors:
            why.append("errors")
        if reqs < opt.requests * 0.99:
            why.append("fewer-requests-than-asked")
        if not alive:
            why.append("server-died")
        ok = not why
        print(f"RESULT soak {'PASS' if ok else 'FAIL'} driver={driver} requests={reqs} "
              f"errors={errors} req_per_s={rate:.0f} "
              + " ".join(f"{k}={v}" for k, v in summary.items())
              + f" growth={','.join(growth) or 'none'}"
              + (f" reason={','.join(why)}" if why else ""))
        return 0 if ok else 1
    finally:
        stop_server(proc, log)
        signal.alarm(0)


if __name__ == "__main__":
    sys.exit(main())
