#!/usr/bin/env bash
# Time from starting `chami demo --nodes N` in a real terminal (tmux, 160x48) to the first
# full frame: the inventory table drawn with the connection shown as connected.
# Usage: bench/console-first-frame.sh [NODES] [RUNS]   (needs tmux and a release build)
set -euo pipefail
cd "$(dirname "$0")/.."
nodes=${1:-10000}
runs=${2:-3}
bin=target/release/chami
[ -x "$bin" ] || { echo "build first: cargo build --release" >&2; exit 2; }
command -v tmux >/dev/null || { echo "needs tmux" >&2; exit 2; }
state=$(mktemp -d)
trap 'rm -rf "$state"' EXIT
for run in $(seq "$runs"); do
    name="chami-ff-$$-$run"
    start=$(date +%s%N)
    tmux new-session -d -s "$name" -x 160 -y 48 \
        "env -u NO_COLOR XDG_STATE_HOME=$state XDG_CONFIG_HOME=$state $bin demo --nodes $nodes"
    for _ in $(seq 3000); do
        if tmux capture-pane -p -t "$name" 2>/dev/null | grep -q "connected" &&
           tmux capture-pane -p -t "$name" | grep -q "x1000c0s0b0n0"; then
            break
        fi
        sleep 0.01
    done
    end=$(date +%s%N)
    echo "run $run: first full frame after $(( (end - start) / 1000000 )) ms ($nodes nodes)"
    tmux send-keys -t "$name" q
    sleep 1
    tmux kill-session -t "$name" 2>/dev/null || true
done
