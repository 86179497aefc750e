#!/usr/bin/env python3
"""Server memory per request shape: for each shape, the core's peak RSS growth while it is
answered (VmHWM, reset before each shape through /proc/PID/clear_refs) and its RSS two seconds
after, against the RSS before. Run by bench/memory.sh, which starts the core.

Usage: memory.py URL CA PID ADMIN_TOKEN VIEWER_TOKEN
"""

import http.client
import json
import ssl
import sys
import threading
import time
import urllib.parse

url, ca, pid, admin, viewer = sys.argv[1:6]
host = urllib.parse.urlparse(url)
ctx = ssl.create_default_context(cafile=ca)
MIB = 1 << 20


def status_kib(field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise SystemExit(f"no {field} for process {pid}")


def reset_peak():
    with open(f"/proc/{pid}/clear_refs", "w") as f:
        f.write("5")


def request(method, path, token, body=None, content_type="application/json"):
    """Sends one request; returns the status (or the error when the server cut it off)."""
    conn = http.client.HTTPSConnection(host.hostname, host.port, context=ctx, timeout=120)
    headers = {"Authorization": f"Bearer {token}"}
    try:
        if body is not None:
            headers["Content-Type"] = content_type
            headers["Content-Length"] = str(len(body))
            conn.putrequest(method, path)
            for k, v in headers.items():
                conn.putheader(k, v)
            conn.endheaders()
            try:
                for i in range(0, len(body), MIB):
                    conn.send(body[i : i + MIB])
            except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
                pass  # answered before the body was all sent
        else:
            conn.request(method, path, headers=headers)
        resp = conn.getresponse()
        resp.read()
        return resp.status
    except (ConnectionResetError, BrokenPipeError, ssl.SSLError) as e:
        return f"cut off ({type(e).__name__})"
    finally:
        conn.close()


def components(n):
    comps = [
        {"ID": f"x{1000 + i // 4096}c{(i // 512) % 8}s{(i // 8) % 64}b0n{i % 8}", "State": "Ready"}
        for i in range(n)
    ]
    return json.dumps({"Components": comps}).encode()


def measure(name, run):
    time.sleep(0.5)
    before = status_kib("VmRSS")
    reset_peak()
    result = run()
    peak = status_kib("VmHWM")
    time.sleep(2)
    after = status_kib("VmRSS")
    print(
        f"| {name} | {result} | {before / 1024:.1f} | +{(peak - before) / 1024:.1f} "
        f"| {(after - before) / 1024:+.1f} |",
        flush=True,
    )


def concurrently(n, fn):
    out = [None] * n

    def one(i):
        out[i] = fn()

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return ",".join(sorted({str(s) for s in out}))


huge_query = "/hsm/v2/State/Components?id=" + urllib.parse.quote(
    "x" + "1" * 248 + "[000000-999999]"
)
big = b'{"Components": [' + b'{"ID": "x1000c0s0b0n0"},' * (62 * MIB // 24) + b'{}]}'

print("| request | answer | RSS before (MiB) | peak growth (MiB) | RSS after vs before (MiB) |")
print("|---|---|---|---|---|")
measure("viewer: GET ?id=<249 chars>[000000-999999]", lambda: request("GET", huge_query, viewer))
measure("8 of those at once", lambda: concurrently(8, lambda: request("GET", huge_query, viewer)))
measure(
    "viewer: POST 62 MiB to /hsm/v2/State/Components",
    lambda: request("POST", "/hsm/v2/State/Components", viewer, big),
)
under = big[: 3 * MIB + MIB // 2]
measure(
    "viewer: POST 3.5 MiB (under --max-body) to /hsm/v2/State/Components",
    lambda: request("POST", "/hsm/v2/State/Components", viewer, under),
)
measure(
    "admin: POST 62 MiB to a path that does not exist",
    lambda: request("POST", "/hsm/v2/No/Such/Route", admin, big),
)
measure(
    "admin: PUT 62 MiB to one component",
    lambda: request("PUT", "/hsm/v2/State/Components/x1000c0s0b0n0", admin, big),
)
# Bulk writes: the first stores the components (kept: the inventory cache and SQLite's pages
# hold them), the second writes the same again, so its growth is what the request itself costs.
for n in (10_000, 50_000, 95_000):
    body = components(n)
    for what in ("new", "again"):
        measure(
            f"admin: POST {n:,} components ({len(body) / MIB:.1f} MiB), {what}",
            lambda body=body: request("POST", "/hsm/v2/State/Components", admin, body),
        )
