#!/usr/bin/env python3
"""Sleepers: do blocking handlers stall the other connections?

Usage:
    python3 scripts/sleepers.py [SERVER_BINARY] [-c 64] [--sleepers 8] [--sleep-ms 200]
                                [-d 5] [--reps 3] [--min-ratio 0.8]

SERVER_BINARY (default target/release/examples/hello) is started on a free 127.0.0.1 port
with STDHTTP_SLEEP_MS=<sleep-ms>, so a request for /sleep blocks its handler that long.
Each repetition runs `wrk -t1 -c<c> -d<d>s` on `/` twice: once alone, once while
<sleepers> other connections send `GET /sleep` back to back (each waits for its answer,
then sends the next). The server is restarted for every run; the runs alternate (alone,
with sleepers, alone, ...), and the medians are compared.

Output: detail lines, then
    RESULT sleepers PASS|FAIL alone=R with_sleepers=R ratio=X sleeper_answers=N threads_max=T
PASS: ratio (median req/s with sleepers / median req/s alone) >= --min-ratio, every
sleeper request answered, no wrk socket errors. Exit 0 PASS, 1 FAIL, 2 setup error.
STDHTTP_WAIT (parked|threads) is passed through to the server.
"""

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stdhttp_bench import (HOST, exit_on_signals, free_port, proc_stats, start_server,
                           stop_server)

SLEEP_REQUEST = b"GET /sleep HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


def sleeper(port, stop, answers, failures):
    try:
        s = socket.create_connection((HOST, port), timeout=5)
    except OSError:
        failures.append("connect")
        return
    with s:
        while not stop.is_set():
            try:
                s.sendall(SLEEP_REQUEST)
                buf = b""
                while not buf.endswith(b"Hello, World!"):
                    chunk = s.recv(4096)
                    if not chunk:
                        failures.append("closed")
                        return
                    buf += chunk
                answers.append(1)
            except OSError as e:
                failures.append(str(e))
                return


def run(binary, opt, with_sleepers):
    port = free_port()
    env = {"STDHTTP_SLEEP_MS": str(opt.sleep_ms)}
    proc, log, _ = start_server(binary, "{port}", port, env)
    stop = threading.Event()
    answers, failures, threads_max = [], [], 0
    workers = []
    try:
        if with_sleepers:
            for _ in range(opt.sleepers):
                t = threading.Thread(target=sleeper, args=(port, stop, answers, failures))
                t.start()
                workers.append(t)
            time.sleep(0.3)
        argv = ["wrk", "-t1", f"-c{opt.connections}", f"-d{opt.duration}s", "--timeout", "5s",
                f"http://{HOST}:{port}/"]
        wrk = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        while wrk.poll() is None:
            st = proc_stats(proc.pid)
            if st:
                threads_max = max(threads_max, st["Threads"])
            time.sleep(0.2)
        out = wrk.stdout.read()
    finally:
        stop.set()
        for t in workers:
            t.join(opt.sleep_ms / 1000 + 5)
        stop_server(proc, log)
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    rps = float(m.group(1)) if m else 0.0
    print(f"{'with' if with_sleepers else 'alone'}: {rps:.0f} req/s, sleeper answers "
          f"{len(answers)}, sleeper failures {len(failures)}, threads max {threads_max}"
          + (f", wrk socket errors: {errors.group(1)}" if errors else ""))
    return rps, len(answers), failures, threads_max, bool(errors)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("binary", nargs="?", default="target/release/examples/hello")
    ap.add_argument("-c", "--connections", type=int, default=64)
    ap.add_argument("--sleepers", type=int, default=8)
    ap.add_argument("--sleep-ms", type=int, default=200)
    ap.add_argument("-d", "--duration", type=int, default=5)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--min-ratio", type=float, default=0.8)
    opt = ap.parse_args()
    exit_on_signals("sleepers", alarm_seconds=opt.reps * 2 * (opt.duration + 10) + 30)
    if not shutil.which("wrk"):
        print("RESULT sleepers FAIL reason=no-wrk (apt-get install -y wrk)")
        sys.exit(2)
    print(f"server: {opt.binary} STDHTTP_WAIT={os.environ.get('STDHTTP_WAIT', '(default)')}")
    alone, with_s, answers, failures, tmax, errs = [], [], 0, [], 0, False
    for _ in range(opt.reps):
        r = run(opt.binary, opt, False)
        alone.append(r[0])
        errs |= r[4]
        r = run(opt.binary, opt, True)
        with_s.append(r[0])
        answers += r[1]
        failures += r[2]
        tmax = max(tmax, r[3])
        errs |= r[4]
    a, w = statistics.median(alone), statistics.median(with_s)
    ratio = w / a if a else 0.0
    ok = ratio >= opt.min_ratio and not failures and answers > 0 and not errs
    print(f"RESULT sleepers {'PASS' if ok else 'FAIL'} alone={a:.0f} with_sleepers={w:.0f} "
          f"ratio={ratio:.2f} sleeper_answers={answers} threads_max={tmax}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
