#!/usr/bin/env python3
"""echo_diff: replay raw HTTP requests against Node's echo server and stdhttp's; compare.

Usage:
    python3 scripts/echo_diff.py [ECHO_BINARY] [--cases scripts/echo_cases.json]
                                 [--only REGEX] [--min-full 100] [--jobs 1]
                                 [--node node] [--node-vs-node] [--show-bytes] [--list] [--all]

Implements the comparison tool of /work/shared/ECHO-CONTRACT.md §6.  Two servers are started,
each with `--port 0`, and each must print `LISTENING 127.0.0.1:<port>`:
  A (reference): `node scripts/node_echo.js --port 0` (Node 20, http.createServer defaults);
  B: ECHO_BINARY --port 0 (default target/debug/examples/echo), or with --node-vs-node a
     second node_echo.js (the tool's self-test: it must score 100 %).

For every case in the cases file (a JSON list of {"name", "bytes"} where "bytes" is a string
whose characters U+0000..U+00FF are the bytes (JSON escapes such as \\r\\n, \\u00e9 work), or
{"name", "base64"}), against A and B at once (one connection per server at a time; --jobs J
runs J cases at once):
1. open a new TCP connection and write the case's bytes in one write;
2. phase 1: read until the server closes, or until no byte has arrived for 300 ms after the
   write (at most 2 s);
3. half-close (FIN);
4. phase 2: read until the server closes, or 2 s.

The bytes received are split into responses (status line, Content-Length, chunked framing,
bodyless 1xx/204/304, `X-Echo-Method: HEAD`); a non-HTTP JSON line is a tunnel line; each is
marked with whether it started before the FIN; the end is closed_before_eof,
closed_after_eof or open_after_eof.  Agreement levels:
* category: accepted (only 2xx/3xx responses or tunnel lines, ignoring 1xx) / rejected
  (only error responses: status >= 400, or bytes that are neither HTTP nor a JSON line) /
  partial (both) / no_response (no final response, e.g. nothing or only a 100);
* verdict: the same list of status codes (tunnel lines as `connect` / `upgrade`), each
  marked `@eof` if it started after the FIN (and `!` if cut short), and the same end, e.g.
  `200,400@eof|closed_after_eof`;
* full: the same verdict, and every echo object (the JSON body of a 2xx response) and
  tunnel line equal as parsed JSON (key order in objects ignored, array order kept).
Besides, B's 2xx responses are checked for the contract's headers (Content-Type
application/json, Content-Length framing, X-Echo-Method = the method); violations are listed
as `contract:` lines and counted in the summary, without changing the three levels.

Output: one block per case that disagrees at some level, then
    RESULT cases=N category=X% verdict=Y% full=Z% [contract_warnings=K] [documented=D/M]

Cases with a "node_differs" entry are where Node 20 itself departs from ECHO-CONTRACT.md
(it parses pipelined bytes ahead of its answers): they are left out of the percentages, and
B must give the entry's "contract_verdict" (or, without one, Node's verdict: a quirk in the
echo objects only). "documented=D/M" counts those that did.
Exit status 1 if full < --min-full (default 100), 2 on a setup error, else 0.
"""

import argparse
import base64
import concurrent.futures
import json
import os
import re
import select
import signal
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from stdhttp_bench import HOST, spawn, stop_server

IDLE = 0.3
PHASE1_MAX = 2.0
PHASE2_MAX = 2.0


# ---------------------------------------------------------------- servers
class Server:
    def __init__(self, label, argv):
        self.label, self.argv = label, argv
        self.proc, self.log = spawn(argv)
        deadline = time.monotonic() + 20
        self.port = None
        while self.port is None:
            self.log.seek(0)
            m = re.search(rb"^LISTENING 127\.0\.0\.1:(\d+)\s*$", self.log.read(), re.M)
            if m:
                self.port = int(m.group(1))
                break
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.log.seek(0)
                out = self.log.read()[-1500:].decode("utf-8", "replace")
                self.stop()
                raise RuntimeError(f"{label} ({' '.join(argv)}) did not print "
                                   f"`LISTENING 127.0.0.1:<port>`: {out!r}")
            time.sleep(0.05)

    def stop(self):
        stop_server(self.proc, self.log)


# ---------------------------------------------------------------- one exchange
def read_until_close(s, buf, limit, idle=None):
    """Appends what s receives to buf until the peer closes (True), or until the monotonic
    time limit or, with idle, no byte for idle seconds (False)."""
    last = time.monotonic()
    while True:
        now = time.monotonic()
        wait = limit - now if idle is None else min(last + idle - now, limit - now)
        if wait <= 0:
            return False
        if not select.select([s], [], [], wait)[0]:
            continue
        try:
            d = s.recv(65536)
        except OSError:
            d = b""
        if not d:
            return True
        buf += d
        last = time.monotonic()


def exchange(port, data):
    """Returns (received bytes, bytes received before the FIN, end state)."""
    s = socket.create_connection((HOST, port), timeout=5)
    try:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            s.sendall(data)
        except OSError:
            pass  # the server closed early (an error answer); read what it sent
        buf = bytearray()
        end = None
        # phase 1
        if read_until_close(s, buf, time.monotonic() + PHASE1_MAX, IDLE):
            end = "closed_before_eof"
        fin = len(buf)
        if end is None:
            try:
                s.shutdown(socket.SHUT_WR)
            except OSError:
                end = "closed_before_eof"
        if end is None:
            # phase 2
            closed = read_until_close(s, buf, time.monotonic() + PHASE2_MAX)
            end = "closed_after_eof" if closed else "open_after_eof"
        return bytes(buf), fin, end
    finally:
        s.close()


# ---------------------------------------------------------------- normalisation
def parse_chunked(buf, p):
    """End offset of a chunked body starting at p (after trailers), or None if cut short."""
    while True:
        nl = buf.find(b"\r\n", p)
        if nl < 0:
            return None
        size_text = buf[p:nl].split(b";")[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            return None
        p = nl + 2
        if size == 0:
            while True:  # trailer section
                nl = buf.find(b"\r\n", p)
                if nl < 0:
                    return None
                if nl == p:
                    return nl + 2
                p = nl + 2
        if len(buf) < p + size + 2:
            return None
        p += size + 2


def split_responses(buf):
    items = []
    p = 0
    while p < len(buf):
        if buf.startswith(b"HTTP/", p):
            he = buf.find(b"\r\n\r\n", p)
            if he < 0:
                m = re.match(rb"HTTP/\d\.\d (\d{3})", buf[p:])
                items.append({"kind": "http", "status": int(m.group(1)) if m else 0,
                              "start": p, "complete": False, "headers": {}, "body": b""})
                break
            lines = buf[p:he].split(b"\r\n")
            m = re.match(rb"HTTP/\d\.\d (\d{3})", lines[0])
            status = int(m.group(1)) if m else 0
            headers = {}
            for line in lines[1:]:
                name, _, val = line.partition(b":")
                headers.setdefault(name.strip().lower().decode("latin1"),
                                   val.strip().decode("latin1"))
            body_start = he + 4
            complete = True
            framing = "none"
            if (100 <= status < 200 or status in (204, 304)
                    or headers.get("x-echo-method") == "HEAD"):
                end = body_start
            elif "chunked" in headers.get("transfer-encoding", "").lower():
                framing = "chunked"
                end = parse_chunked(buf, body_start)
                if end is None:
                    end, complete = len(buf), False
            elif "content-length" in headers:
                framing = "content-length"
                try:
                    end = body_start + int(headers["content-length"])
                except ValueError:
                    end = len(buf)
                if end > len(buf):
                    end, complete = len(buf), False
            else:
                framing = "close"
                end = len(buf)
            items.append({"kind": "http", "status": status, "start": p, "complete": complete,
                          "headers": headers, "body": buf[body_start:end], "framing": framing})
            p = end
        elif buf[p:p + 1] == b"{":
            nl = buf.find(b"\n", p)
            line = buf[p:nl if nl >= 0 else len(buf)]
            try:
                obj = json.loads(line.decode("utf-8"))
            except ValueError:
                obj = None
            items.append({"kind": "tunnel", "start": p, "complete": nl >= 0, "obj": obj,
                          "raw": line})
            p = nl + 1 if nl >= 0 else len(buf)
        else:
            items.append({"kind": "garbage", "start": p, "complete": True, "raw": buf[p:]})
            break
    return items


def token(item, fin):
    if item["kind"] == "http":
        t = str(item["status"])
    elif item["kind"] == "tunnel":
        ev = item["obj"].get("event") if isinstance(item["obj"], dict) else None
        t = ev if ev in ("connect", "upgrade") else "tunnel?"
    else:
        t = "garbage"
    if not item["complete"]:
        t += "!"
    if item["start"] >= fin:
        t += "@eof"
    return t


def category(items):
    ok = err = 0
    for it in items:
        if it["kind"] == "http":
            if it["status"] < 200:
                continue
            if it["status"] >= 400:
                err += 1
            else:
                ok += 1
        elif it["kind"] == "tunnel":
            ok += 1
        else:
            err += 1
    if ok and err:
        return "partial"
    if ok:
        return "accepted"
    if err:
        return "rejected"
    return "no_response"


def echo_objects(items):
    """The compared payloads: JSON of 2xx bodies and tunnel lines, in order."""
    out = []
    for it in items:
        if it["kind"] == "tunnel":
            out.append(("tunnel", it["obj"] if it["obj"] is not None else
                        it["raw"].decode("latin1")))
        elif it["kind"] == "http" and 200 <= it["status"] < 300:
            if not it["body"]:
                out.append(("echo", None))  # HEAD, or no body
                continue
            try:
                out.append(("echo", json.loads(it["body"].decode("utf-8"))))
            except ValueError:
                out.append(("echo-unparsable", it["body"].decode("latin1")))
    return out


def contract_notes(items):
    notes = []
    for it in items:
        if it["kind"] != "http" or not 200 <= it["status"] < 300:
            continue
        h = it["headers"]
        if not h.get("content-type", "").lower().startswith("application/json"):
            notes.append(f"{it['status']} without Content-Type application/json")
        if it.get("framing") not in ("content-length", "none") or (
                "content-length" not in h):
            notes.append(f"{it['status']} not framed by Content-Length")
        method = h.get("x-echo-method")
        if method is None:
            notes.append(f"{it['status']} without X-Echo-Method")
        elif it["body"]:
            try:
                obj = json.loads(it["body"].decode("utf-8"))
                if isinstance(obj, dict) and obj.get("method") != method:
                    notes.append(f"X-Echo-Method {method!r} != method {obj.get('method')!r}")
            except ValueError:
                pass
    return notes


def normalise(raw, fin, end):
    items = split_responses(raw)
    return {
        "category": category(items),
        "verdict": ",".join(token(i, fin) for i in items) + "|" + end,
        "objects": echo_objects(items),
        "contract": contract_notes(items),
        "raw": raw,
        "fin": fin,
    }


def first_difference(a, b, path=""):
    if type(a) is not type(b):
        return f"{path or '.'}: {json.dumps(a)[:200]} vs {json.dumps(b)[:200]}"
    if isinstance(a, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                return (f"{path}.{k}: " + (json.dumps(a[k])[:200] if k in a else "(absent)")
                        + " vs " + (json.dumps(b[k])[:200] if k in b else "(absent)"))
            d = first_difference(a[k], b[k], f"{path}.{k}")
            if d:
                return d
        return None
    if isinstance(a, list):
        for i, (x, y) in enumerate(zip(a, b)):
            d = first_difference(x, y, f"{path}[{i}]")
            if d:
                return d
        if len(a) != len(b):
            return f"{path}: length {len(a)} vs {len(b)}"
        return None
    if a != b:
        return f"{path or '.'}: {json.dumps(a)[:200]} vs {json.dumps(b)[:200]}"
    return None


# ---------------------------------------------------------------- cases
def load_cases(path):
    with open(path, encoding="utf-8") as f:
        raw = json.load(f)
    cases = []
    for c in raw:
        if "base64" in c:
            data = base64.b64decode(c["base64"])
        else:
            data = c["bytes"].encode("latin1")
        cases.append((c["name"], data, c.get("node_differs")))
    names = [n for n, _, _ in cases]
    dups = {n for n in names if names.count(n) > 1}
    if dups:
        raise ValueError(f"duplicate case names: {sorted(dups)}")
    return cases


def run_case(case, a_port, b_port):
    name, data, _ = case
    with concurrent.futures.ThreadPoolExecutor(2) as ex:
        fa = ex.submit(exchange, a_port, data)
        fb = ex.submit(exchange, b_port, data)
        ra, rb = fa.result(), fb.result()
    return name, normalise(*ra), normalise(*rb)


def on_term(_sig, _frm):
    raise SystemExit("RESULT echo_diff aborted (terminated)")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("binary", nargs="?", default="target/debug/examples/echo")
    ap.add_argument("--cases", default=os.path.join(HERE, "echo_cases.json"))
    ap.add_argument("--only", help="regex: run the cases whose name matches")
    ap.add_argument("--min-full", type=float, default=100.0)
    ap.add_argument("--jobs", type=int, default=1, help="cases run at once (default 1)")
    ap.add_argument("--node", default="node")
    ap.add_argument("--node-vs-node", action="store_true",
                    help="B is a second node_echo.js (self-test of the tool)")
    ap.add_argument("--show-bytes", action="store_true",
                    help="print the raw bytes received for disagreeing cases")
    ap.add_argument("--list", action="store_true", help="list the case names and exit")
    ap.add_argument("--all", action="store_true",
                    help="print every case's category and verdict, agreeing or not")
    opt = ap.parse_args()
    signal.signal(signal.SIGTERM, on_term)

    try:
        cases = load_cases(opt.cases)
    except (OSError, ValueError, KeyError) as e:
        print(f"RESULT echo_diff setup error: cannot read cases: {e}")
        return 2
    if opt.only:
        cases = [c for c in cases if re.search(opt.only, c[0])]
    if opt.list:
        for n, d, _ in cases:
            print(f"{n} ({len(d)} bytes)")
        return 0
    if not cases:
        print("RESULT cases=0 (no case selected)")
        return 2

    node_js = os.path.join(HERE, "node_echo.js")
    try:
        ver = subprocess.run([opt.node, "--version"], capture_output=True, text=True,
                             timeout=10).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        print(f"RESULT echo_diff setup error: cannot run {opt.node}")
        return 2
    if not ver.startswith("v20."):
        print(f"notice: the reference is Node 20; {opt.node} is {ver}")
    b_argv = ([opt.node, node_js, "--port", "0"] if opt.node_vs_node
              else [opt.binary, "--port", "0"])
    servers = []
    try:
        try:
            a = Server("A (node reference)", [opt.node, node_js, "--port", "0"])
            servers.append(a)
            b = Server("B", b_argv)
            servers.append(b)
        except (RuntimeError, OSError) as e:
            print(f"RESULT echo_diff setup error: {e}")
            return 2
        print(f"A: {' '.join(a.argv)} (node {ver}) on port {a.port}")
        print(f"B: {' '.join(b.argv)} on port {b.port}")
        print(f"cases: {len(cases)} from {opt.cases}")

        counts = {"category": 0, "verdict": 0, "full": 0}
        warnings = 0
        t0 = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(max(1, opt.jobs)) as ex:
            results = list(ex.map(lambda c: run_case(c, a.port, b.port), cases))
        differs = {name: d for name, _, d in cases}
        documented_ok, documented_bad = 0, []
        for name, ra, rb in results:
            doc = None if opt.node_vs_node else differs.get(name)
            if doc is not None:
                # Node 20 itself breaks the contract here: B must do what the contract says
                # (the verdict given), or, for a Node quirk in the echo objects only, agree
                # with Node at the verdict level
                want = doc.get("contract_verdict", ra["verdict"])
                ok = rb["verdict"] == want
                documented_ok += ok
                if not ok:
                    documented_bad.append(name)
                if opt.all or not ok:
                    print(f"\n--- {name}: documented difference from Node "
                          f"({'as expected' if ok else 'NOT as expected'})")
                    print(f"  why: {doc.get('reason', '')}")
                    print(f"  A (node):   {ra['verdict']}")
                    print(f"  B expected: {want}")
                    print(f"  B got:      {rb['verdict']}")
                continue
            cat = ra["category"] == rb["category"]
            ver_ok = ra["verdict"] == rb["verdict"]
            full = ver_ok and ra["objects"] == rb["objects"]
            counts["category"] += cat
            counts["verdict"] += ver_ok
            counts["full"] += full
            warnings += len(rb["contract"])
            if full and not rb["contract"]:
                if opt.all:
                    print(f"ok  {name:<40} {ra['category']:<11} {ra['verdict']}")
                continue
            level = ("category" if not cat else "verdict" if not ver_ok
                     else "full" if not full else "contract only")
            print(f"\n--- {name}: disagrees at {level}")
            print(f"  A: {ra['category']:<11} {ra['verdict']}")
            print(f"  B: {rb['category']:<11} {rb['verdict']}")
            if ver_ok and not full:
                oa, ob = ra["objects"], rb["objects"]
                for i, (x, y) in enumerate(zip(oa, ob)):
                    if x != y:
                        print(f"  object {i} ({x[0]}): {first_difference(x[1], y[1])}")
                if len(oa) != len(ob):
                    print(f"  objects: {len(oa)} vs {len(ob)}")
            for note in rb["contract"]:
                print(f"  contract: {note}")
            if opt.show_bytes:
                print(f"  A bytes (fin at {ra['fin']}): {ra['raw'][:1500]!r}")
                print(f"  B bytes (fin at {rb['fin']}): {rb['raw'][:1500]!r}")
        ndoc = documented_ok + len(documented_bad)
        n = len(results) - ndoc
        pct = {k: 100.0 * v / max(n, 1) for k, v in counts.items()}
        print(f"\nran {len(results)} cases in {time.monotonic() - t0:.1f}s")
        print(f"RESULT cases={n} category={pct['category']:.1f}% verdict={pct['verdict']:.1f}% "
              f"full={pct['full']:.1f}%" + (f" contract_warnings={warnings}" if warnings else "")
              + (f" documented={documented_ok}/{ndoc}" if ndoc else ""))
        return 1 if pct["full"] < opt.min_full or documented_bad else 0
    finally:
        for s in servers:
            s.stop()


if __name__ == "__main__":
    sys.exit(main())
