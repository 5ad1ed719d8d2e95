"""Helpers shared by the scripts in this folder (standard library only).

Not a script: slowloris.py, idle_keepalive.py, soak.py, close_under_load.py and echo_diff.py
import it (`sys.path.insert(0, os.path.dirname(__file__))`).  It starts a server on a free
127.0.0.1 port and stops it by its PID, samples the server's /proc/PID/status and fd count,
raises RLIMIT_NOFILE, bounds a run with SIGALRM, parses response heads, and computes
percentiles.
"""

import os
import resource
import shlex
import signal
import socket
import subprocess
import tempfile
import time
from collections import namedtuple

HOST = "127.0.0.1"
REQUEST = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"  # one keep-alive GET, 36 bytes


# ---------------------------------------------------------------- run bounds
def exit_on_signals(name, alarm_seconds=None):
    """SIGTERM, and SIGALRM after alarm_seconds, end the run with a `RESULT name FAIL` line."""
    def on_alarm(_sig, _frm):
        raise SystemExit(f"RESULT {name} FAIL reason=time-limit (the run exceeded its bound)")

    def on_term(_sig, _frm):
        raise SystemExit(f"RESULT {name} FAIL reason=terminated")

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGALRM, on_alarm)
    if alarm_seconds is not None:
        signal.alarm(int(alarm_seconds))


def raise_nofile():
    """Raises the soft RLIMIT_NOFILE to the hard limit; returns (soft, hard) in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard > soft:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        except (ValueError, OSError):
            pass
    return resource.getrlimit(resource.RLIMIT_NOFILE)


# ---------------------------------------------------------------- server process
def free_port():
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def spawn(argv, env_extra=None):
    """Starts argv in its own session, stdout and stderr to a temporary file: (proc, log)."""
    env = dict(os.environ)
    env.update(env_extra or {})
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env,
                            start_new_session=True)
    return proc, log


def start_server(binary, args_tmpl, port, env_extra=None, poll=0.05):
    """Starts `binary args` ({port} in args_tmpl replaced) and waits until it accepts on port.

    Returns (proc, log, spawn_time); raises RuntimeError if it exits or does not accept
    within 15 s."""
    argv = [binary] + [a.format(port=port) for a in shlex.split(args_tmpl)]
    spawn_time = time.monotonic()
    proc, log = spawn(argv, env_extra)
    deadline = time.monotonic() + 15
    while True:
        if proc.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"server exited with {proc.returncode}: {log.read()[-2000:]!r}")
        try:
            socket.create_connection((HOST, port), timeout=0.5).close()
            return proc, log, spawn_time
        except OSError:
            if time.monotonic() > deadline:
                stop_server(proc, log)
                raise RuntimeError(f"server did not accept on port {port} within 15 s")
            time.sleep(poll)


def stop_server(proc, log=None):
    """Stops proc by its PID (SIGTERM, then SIGKILL after 3 s) and closes its log."""
    if proc is not None and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(3)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(3)
    if log is not None:
        log.close()


# ---------------------------------------------------------------- /proc sampling
def proc_stats(pid):
    """VmRSS/VmHWM in KiB, Threads, fds; None once the process is gone."""
    out = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                key, _, val = line.partition(":")
                if key in ("VmRSS", "VmHWM", "Threads"):
                    out[key] = int(val.split()[0])
        out["fds"] = len(os.listdir(f"/proc/{pid}/fd"))
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    return out if "VmRSS" in out else None


class Sampler:
    """proc_stats(pid) once a second from t0, each sample with "t" (seconds since t0) and
    whatever extra() returns."""

    def __init__(self, pid, t0=None, extra=None):
        self.pid, self.samples, self.extra = pid, [], extra
        self.t0 = time.monotonic() if t0 is None else t0
        self.next = self.t0

    def poll(self, now=None):
        """Takes a sample if one is due; False once the process is gone."""
        now = time.monotonic() if now is None else now
        if now < self.next:
            return True
        self.next += 1.0
        st = proc_stats(self.pid)
        if st is None:
            return False
        st["t"] = now - self.t0
        if self.extra is not None:
            st.update(self.extra())
        self.samples.append(st)
        return True


def timeline(samples, extra=None, points=10):
    """`t:threads/rss/fds[/extra]` for about `points` of the samples, comma-separated."""
    return ", ".join(
        f"{s['t']:.0f}s:{s['Threads']}/{s['VmRSS']}/{s['fds']}"
        + (f"/{s[extra]}" if extra else "")
        for s in samples[::max(1, len(samples) // points)])


# ---------------------------------------------------------------- responses
def recv_ready(sock):
    """recv on a non-blocking socket the selector reported ready: the bytes, b"" at EOF or
    on an error (reset), None if nothing was there after all."""
    try:
        return sock.recv(65536)
    except BlockingIOError:
        return None
    except OSError:
        return b""


Head = namedtuple("Head", "size status_line status length close")
Head.__doc__ = """A response head: size (bytes up to the body), the status line, the status
code (b"?" if absent), Content-Length (None if absent), and whether Connection: close."""


def parse_head(buf):
    """The Head of the response at the start of buf, or None until it is complete."""
    end = buf.find(b"\r\n\r\n")
    if end < 0:
        return None
    lines = buf[:end].split(b"\r\n")
    parts = lines[0].split(b" ")
    status = parts[1] if len(parts) > 1 else b"?"
    length, close = None, False
    for line in lines[1:]:
        name, _, val = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(val.strip())
        elif name == b"connection" and b"close" in val.lower():
            close = True
    return Head(end + 4, lines[0], status, length, close)


def complete_response(buf):
    """(length of the first response in buf if it is complete, else None; its Head or None).

    A response without Content-Length is taken as having no body."""
    head = parse_head(buf)
    if head is None:
        return None, None
    total = head.size + (head.length or 0)
    return (total if len(buf) >= total else None), head


# ---------------------------------------------------------------- statistics
def percentile(sorted_vals, p):
    """Nearest-rank percentile of an ascending list; nan if it is empty."""
    if not sorted_vals:
        return float("nan")
    k = max(0, min(len(sorted_vals) - 1, int(round(p / 100.0 * len(sorted_vals) + 0.5)) - 1))
    return sorted_vals[k]
