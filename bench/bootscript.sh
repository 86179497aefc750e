#!/usr/bin/env bash
# Boot storm: wrk against chami's plain-HTTP /boot/v1/bootscript with the 10,000-node demo in
# inventory, MACs rotated by a Lua script, side by side with nginx serving a static file of the
# same size on loopback. Prints requests/s and p99 for both and the ratio.
# Usage: [CHAMI_BIN=path] bench/bootscript.sh [NODES] [SECONDS] [CONNECTIONS]
# Needs wrk and nginx (Debian: apt-get install wrk nginx-light) and a release build.
set -euo pipefail
cd "$(dirname "$0")/.."
nodes=${1:-10000}
secs=${2:-15}
conns=${3:-64}
bin=${CHAMI_BIN:-target/release/chami}
[ -x "$bin" ] || { echo "build first: cargo build --release" >&2; exit 2; }
for tool in wrk nginx; do
    command -v "$tool" >/dev/null || [ -x "/usr/sbin/$tool" ] ||
        { echo "needs $tool (apt-get install wrk nginx-light)" >&2; exit 2; }
done
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
chami_port=18081
nginx_port=18082
work=$(mktemp -d)
demo_pid=""
cleanup() {
    [ -n "$demo_pid" ] && kill "$demo_pid" 2>/dev/null && wait "$demo_pid" 2>/dev/null
    [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

XDG_STATE_HOME=$work "$bin" demo --headless --nodes "$nodes" \
    --boot-http-listen "127.0.0.1:$chami_port" >"$work/demo.out" 2>&1 &
demo_pid=$!
for _ in $(seq 600); do
    curl -sf "http://127.0.0.1:$chami_port/boot/v1/service/status" >/dev/null && break
    sleep 0.1
done
# The demo seeds after the listener is up; wait for the last node to boot from its entry.
last=$(printf '02:00:00:%02x:%02x:%02x' $(( (nodes-1)>>16 & 255 )) $(( (nodes-1)>>8 & 255 )) $(( (nodes-1) & 255 )))
for _ in $(seq 600); do
    curl -sf "http://127.0.0.1:$chami_port/boot/v1/bootscript?mac=$last" | grep -q '^kernel' && break
    sleep 0.1
done
curl -sf "http://127.0.0.1:$chami_port/boot/v1/bootscript?mac=02:00:00:00:00:10" >"$work/script.ipxe"
size=$(stat -c %s "$work/script.ipxe")

mkdir -p "$work/www"
cp "$work/script.ipxe" "$work/www/script.ipxe"
cat >"$work/nginx.conf" <<CONF
worker_processes auto;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $work; proxy_temp_path $work; fastcgi_temp_path $work;
    uwsgi_temp_path $work; scgi_temp_path $work;
    server {
        listen 127.0.0.1:$nginx_port;
        location / { root $work/www; default_type text/plain; }
    }
}
CONF
"$nginx_bin" -c "$work/nginx.conf"
sleep 0.5

cat >"$work/macs.lua" <<LUA
-- Each request asks for the next node's MAC (02:00:00:xx:xx:xx, node i's low 24 bits).
local nodes = $nodes
local i = 0
request = function()
    i = (i + 1) % nodes
    local mac = string.format("02:00:00:%02x:%02x:%02x",
        math.floor(i / 65536) % 256, math.floor(i / 256) % 256, i % 256)
    return wrk.format("GET", "/boot/v1/bootscript?mac=" .. mac)
end
LUA

run() { wrk -t2 -c"$conns" -d"${secs}s" --latency "$@"; }
echo "script size: $size bytes; $nodes nodes; wrk -t2 -c$conns -d${secs}s"
run -s "$work/macs.lua" "http://127.0.0.1:$chami_port/boot/v1/bootscript" | tee "$work/chami.txt"
run "http://127.0.0.1:$nginx_port/script.ipxe" | tee "$work/nginx.txt"

rps() { awk '/Requests\/sec/ {print $2}' "$1"; }
p99() { awk '$1 == "99%" {print $2}' "$1"; }
non2xx() { awk '/Non-2xx/ {print $NF}' "$1"; }
echo
echo "chami: $(rps "$work/chami.txt") req/s, p99 $(p99 "$work/chami.txt"), non-2xx: $(non2xx "$work/chami.txt")"
echo "nginx: $(rps "$work/nginx.txt") req/s, p99 $(p99 "$work/nginx.txt")"
awk -v a="$(rps "$work/chami.txt")" -v b="$(rps "$work/nginx.txt")" \
    'BEGIN { printf "ratio chami/nginx: %.2f\n", a / b }'
