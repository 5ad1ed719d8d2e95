#!/usr/bin/env python3
"""How much of stdhttp's gap to an epoll server is the thread-per-connection model's?

Usage:
    python3 scripts/model_floor.py [--peer BINARY] [-c 16,64,256] [-d 5] [--server-cpu 0]
                                   [--load-cpu 1]

Runs wrk (`apt-get install -y wrk`) against three servers in turn, each pinned to
--server-cpu with wrk on --load-cpu, at each connection count (-c), for -d seconds:
* `floor`: target/release/examples/floor, one thread per connection doing one read and one
  write per request and no HTTP work (the fastest any thread-per-connection server can be);
* `stdhttp`: target/release/examples/hello;
* `peer`: --peer (default: the shared harness's hyper server,
  /tmp/stdhttp-bench-target/release/hyper_hello, started as `BINARY PORT 2`); skipped with a
  notice when absent (build it with `../shared/bench/run.sh --parts build`).
Each server is started on a free 127.0.0.1 port and stopped by its PID.

Output: one line per run, then a table of req/s with stdhttp ÷ floor and floor ÷ peer, then
    RESULT model_floor DONE c16=stdhttp/floor/peer ...
It measures; it does not pass or fail. Exit 0, or 2 on a setup error.
Build first: `cargo build --release --example hello --example floor`.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stdhttp_bench import exit_on_signals, free_port, start_server, stop_server  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(binary, args_tmpl, conns, secs, server_cpu, load_cpu):
    port = free_port()
    proc, log, _ = start_server("taskset", f"-c {server_cpu} {binary} {args_tmpl}", port)
    try:
        out = subprocess.run(
            ["taskset", "-c", str(load_cpu), "wrk", "-t1", f"-c{conns}", f"-d{secs}s",
             f"http://127.0.0.1:{port}/"],
            capture_output=True, text=True, timeout=secs + 30).stdout
    finally:
        stop_server(proc, log)
    m = re.search(r"Requests/sec:\s+([0-9.]+)", out)
    return float(m.group(1)) if m else 0.0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--peer", default="/tmp/stdhttp-bench-target/release/hyper_hello")
    ap.add_argument("--peer-args", default="{port} 2")
    ap.add_argument("-c", "--conns", default="16,64,256")
    ap.add_argument("-d", "--duration", type=int, default=5)
    ap.add_argument("--server-cpu", type=int, default=0)
    ap.add_argument("--load-cpu", type=int, default=1)
    a = ap.parse_args()
    exit_on_signals("model_floor", alarm_seconds=60 + 3 * 6 * (a.duration + 5))
    ex = os.path.join(ROOT, "target", "release", "examples")
    servers = [("floor", os.path.join(ex, "floor"), "{port}"),
               ("stdhttp", os.path.join(ex, "hello"), "{port}")]
    for name, path, _ in servers:
        if not os.path.exists(path):
            print(f"RESULT model_floor FAIL reason=missing {path} (cargo build --release "
                  f"--example hello --example floor)")
            return 2
    if shutil.which("wrk") is None or shutil.which("taskset") is None:
        print("RESULT model_floor FAIL reason=needs wrk and taskset")
        return 2
    if os.path.exists(a.peer):
        servers.append(("peer", a.peer, a.peer_args))
    else:
        print(f"notice: no peer at {a.peer}; comparing floor and stdhttp only")
    conns = [int(c) for c in a.conns.split(",")]
    rates = {}
    for c in conns:
        for name, path, args in servers:
            r = run(path, args, c, a.duration, a.server_cpu, a.load_cpu)
            rates[(name, c)] = r
            print(f"c{c} {name}: {r:,.0f} req/s")
    print("\n| conns | floor | stdhttp | peer | stdhttp ÷ floor | floor ÷ peer |")
    print("|---|---|---|---|---|---|")
    summary = []
    for c in conns:
        f, s, p = rates[("floor", c)], rates[("stdhttp", c)], rates.get(("peer", c), 0.0)
        ratio = lambda x, y: f"{x / y:.2f}×" if y else "-"
        print(f"| {c} | {f:,.0f} | {s:,.0f} | {p:,.0f} | {ratio(s, f)} | {ratio(f, p)} |")
        summary.append(f"c{c}={s:.0f}/{f:.0f}/{p:.0f}")
    print("RESULT model_floor DONE " + " ".join(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
