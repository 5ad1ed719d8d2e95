#!/usr/bin/env bash
# Runs our parser bench and the peer harness's httparse bench on the same CPU, one after the
# other, on byte-identical inputs, and prints stdhttp's time as a ratio of httparse's.
# Usage: benches/compare_httparse.sh [CPU]   (default CPU 1)
set -euo pipefail
cd "$(dirname "$0")/.."
cpu=${1:-1}
peers=../shared/bench/peers
[ -d "$peers/parse_bench" ] || { echo "NOTICE: $peers/parse_bench not found; nothing to compare" >&2; exit 0; }
args=(-- --warm-up-time 1 --measurement-time 3 --noplot)
out=$(mktemp -d)
(cd "$peers" && cargo bench -q -p parse_bench --bench parse --no-run >/dev/null 2>&1)
cargo bench -q --bench parser --no-run >/dev/null 2>&1
taskset -c "$cpu" cargo bench -q --bench parser "${args[@]}" >"$out/ours.txt" 2>&1
(cd "$peers" && taskset -c "$cpu" cargo bench -q -p parse_bench --bench parse "${args[@]}") >"$out/peer.txt" 2>&1
python3 - "$out/ours.txt" "$out/peer.txt" <<'PY'
import re, sys
def times(path):
    res, name = {}, None
    for line in open(path):
        head = line.split()[0] if line.strip() else ""
        if not line.startswith(" ") and "/" in head:
            name = head
        t = re.search(r"time:\s+\[\S+ \S+ ([0-9.]+) (ps|ns|µs|us|ms) ", line)
        if t and name and name not in res:
            res[name] = float(t.group(1)) * {"ps": 1e-3, "ns": 1, "µs": 1e3, "us": 1e3, "ms": 1e6}[t.group(2)]
    return res
ours, peer = times(sys.argv[1]), times(sys.argv[2])
print(f"{'input':<28}{'stdhttp ns':>12}{'httparse ns':>13}{'ratio':>8}")
for key, t in ours.items():
    group = key.rsplit("/", 1)[0]
    other = next((v for k, v in peer.items() if k.rsplit("/", 1)[0] == group), None)
    if other:
        print(f"{group:<28}{t:>12.1f}{other:>13.1f}{t / other:>8.2f}x")
    else:
        print(f"{group:<28}{t:>12.1f}{'-':>13}{'':>8}")
PY
