#!/usr/bin/env bash
# Soak: `chami serve` under wrk's mixed read/write load (bench/soak.lua) for a bounded time on
# loopback. Prints wrk's summary (requests, latency percentiles, non-2xx/3xx responses, socket
# errors) and the server's RSS after seeding, halfway and at the end.
# Usage: [CHAMI_BIN=path] [SOAK_DATABASE_URL=postgres://...] bench/soak.sh [SECONDS] [CONNECTIONS] [NODES]
# With SOAK_DATABASE_URL (an empty PostgreSQL database) the core uses PostgreSQL, not SQLite.
# Needs wrk (apt-get install wrk), curl, python3 and a release build.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-120}
conns=${2:-32}
nodes=${3:-2048}
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)" >&2; exit 2; }
db=()
[ -n "${SOAK_DATABASE_URL:-}" ] && db=(--database-url "$SOAK_DATABASE_URL")
. bench/core.sh
start_core "${db[@]}"
python3 - "$nodes" >"$work/seed.json" <<'PY'
import json, sys
n = int(sys.argv[1])
print(json.dumps({"Components": [
    {"ID": f"x{1000 + i // 1024}c{i // 128 % 8}s{i // 2 % 64}b0n{i % 2}", "State": "Ready",
     "Role": "Compute",
     "NID": i + 1} for i in range(n)]}))
PY
curl -sS --fail-with-body --cacert "$work/ca.pem" -H "Authorization: Bearer $token" \
    -H 'content-type: application/json' "$url/hsm/v2/State/Components" -d @"$work/seed.json"
rss() { awk '/^VmRSS/ {print $2 " kB"}' "/proc/$pid/status"; }
store=SQLite
[ -n "${SOAK_DATABASE_URL:-}" ] && store=PostgreSQL
echo "nodes $nodes, $conns connections, $secs s, store: $store"
echo "RSS after seeding: $(rss)"
( sleep $((secs / 2)); echo "RSS halfway: $(rss)" ) &
half=$!
SOAK_TOKEN=$token SOAK_NODES=$nodes wrk -t2 -c"$conns" -d"${secs}s" --latency \
    -s bench/soak.lua "$url"
wait "$half"
echo "RSS at the end: $(rss)"
errors=$(grep -c ' ERROR ' "$work/serve.log" || true)
echo "server log ERROR lines: $errors"
