# Sourced by the bench scripts. `start_core [SERVE-ARGS...]` starts a release `chami serve`
# on a free loopback port with a fresh data dir, waits until it is ready and mints an admin
# token. It sets bin, work, url, pid and token; the EXIT trap stops the core and deletes the
# data dir. Needs curl and python3.
start_core() {
    bin=${CHAMI_BIN:-target/release/chami}
    [ -x "$bin" ] || { echo "build first: cargo build --release" >&2; exit 2; }
    work=$(mktemp -d)
    local port
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    "$bin" serve --data-dir "$work" --listen "127.0.0.1:$port" "$@" >"$work/serve.log" 2>&1 &
    pid=$!
    trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$work"' EXIT
    url=https://127.0.0.1:$port
    local ready=""
    for _ in $(seq 100); do
        [ -f "$work/ca.pem" ] && curl -sf --cacert "$work/ca.pem" "$url/hsm/v2/service/ready" >/dev/null &&
            ready=yes && break
        sleep 0.1
    done
    [ -n "$ready" ] || { echo "chami serve was not ready in 10 s; its log:" >&2; cat "$work/serve.log" >&2; exit 1; }
    token=$("$bin" token mint --data-dir "$work" --sub bench --role admin)
}
