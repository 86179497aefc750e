#!/usr/bin/env bash
# Server memory per request shape (issue 20, item 8): starts a fresh `chami serve` and prints,
# for each request shape, the core's RSS before, its peak growth while answering and its RSS
# two seconds after (a Markdown table for bench/RESULTS.md).
# Usage: [CHAMI_BIN=path] bench/memory.sh [SERVE-ARGS...]
# Needs python3 and a release build (or CHAMI_BIN); Linux (/proc).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/core.sh
start_core "$@"
viewer=$("$bin" token mint --data-dir "$work" --sub bench-viewer --role viewer)
python3 bench/memory.py "$url" "$work/ca.pem" "$pid" "$token" "$viewer"
