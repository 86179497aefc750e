#!/usr/bin/env bash
# Each time of a filtered list over HTTPS: loads 100,000 components into a fresh `chami serve`
# and prints curl's total time for ROUNDS requests of GET State/Components?state=Off (10,000
# rows, 1.1 MB). Every time is printed, not a median, so a second mode shows.
# Usage: [CHAMI_BIN=path] bench/list-latency.sh [ROUNDS]
# Needs curl, python3 and a release build.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-20}
. bench/core.sh
# 100,000 components in one write: past the default bulk limit (4 MiB).
start_core --max-body 33554432
python3 - >"$work/body.json" <<'PY'
import json
comps = []
for i in range(100_000):
    cab, rest = 1000 + i // 128, i % 128
    comps.append({"ID": f"x{cab}c{rest // 16}s{(rest % 16) // 2}b0n{rest % 2}",
                  "State": "Off" if i % 10 == 0 else "Ready", "NID": i + 1, "Arch": "X86"})
print(json.dumps({"Components": comps}))
PY
curl -sf --cacert "$work/ca.pem" -H "Authorization: Bearer $token" \
    -H 'content-type: application/json' --data-binary @"$work/body.json" \
    "$url/hsm/v2/State/Components" -o /dev/null
for _ in $(seq "$rounds"); do
    curl -sf --cacert "$work/ca.pem" -H "Authorization: Bearer $token" \
        "$url/hsm/v2/State/Components?state=Off" -o /dev/null -w '%{time_total}\n'
done
