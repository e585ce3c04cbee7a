"""Issue 14, item 5: unauthenticated clients cannot grow the server's memory.

A `workspace serve` process is sampled (VmRSS, every 10 ms) while clients without a token send 30 MB
bodies (JSON to jobs/create, multipart to workspace/import: a form any web page may POST without a CORS
preflight) and 3,000 requests to random 8 KB unknown paths. Bounded: 6 bodies, 3,000 paths, 120 s.
"""

from __future__ import annotations

import secrets
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from reliability_helpers import KNOWN_TOKEN, ServedWorkspace, free_port

from prefect_databricks.local.api.counter import UNDECLARED

LIMIT_MB = 90
BODY = 30 * 1024 * 1024
PATHS = 3000


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def _post_body(host: str, kind: str) -> int:
    if kind == "json":
        content, headers = b'{"name": "' + b"x" * BODY + b'"}', {"Content-Type": "application/json"}
    else:
        boundary = "b0undary"
        content = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"content\"; filename=\"f\"\r\n\r\n"
                   .encode() + b"x" * BODY + f"\r\n--{boundary}--\r\n".encode())
        headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    path = "/api/2.2/jobs/create" if kind == "json" else "/api/2.0/workspace/import"
    try:
        return httpx.post(host + path, content=content, headers=headers, timeout=60).status_code
    except httpx.TransportError:  # the server may stop reading a body it refused: not an answer
        return 0


def _unknown_paths(host: str, count: int) -> list[int]:
    with httpx.Client(base_url=host, timeout=30) as client:
        return [client.get(f"/api/2.2/{secrets.token_hex(4096)}").status_code for _ in range(count)]


def test_unauthenticated_load_stays_within_90_mb_of_idle(tmp_path: Path) -> None:
    with ServedWorkspace(tmp_path / "ws", free_port(), KNOWN_TOKEN) as served:
        assert served.proc is not None
        pid, auth = served.proc.pid, {"Authorization": f"Bearer {KNOWN_TOKEN}"}
        for _ in range(20):  # warm up: the routes, the store and the JSON paths are loaded
            httpx.get(f"{served.host}/api/2.2/jobs/list", headers=auth).raise_for_status()
        idle = _rss_mb(pid)
        peak, stop = [idle], threading.Event()

        def sample() -> None:
            while not stop.is_set():
                peak.append(_rss_mb(pid))
                time.sleep(0.01)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        started = time.monotonic()
        with ThreadPoolExecutor(4) as pool:
            bodies = list(pool.map(lambda kind: _post_body(served.host, kind), ["json", "multipart"] * 3))
            paths = [s for part in pool.map(lambda n: _unknown_paths(served.host, n), [PATHS // 4] * 4)
                     for s in part]
        elapsed = time.monotonic() - started
        stop.set()
        sampler.join()
        counts = httpx.get(f"{served.host}/local-api/requests", headers=auth).json()["by_endpoint"]
        grown = max(peak) - idle
        print(f"idle {idle:.0f} MB, peak {max(peak):.0f} MB (+{grown:.0f} MB) over {elapsed:.1f} s; "
              f"bodies answered {bodies}; {len(paths)} unknown paths")
        assert set(bodies) <= {401, 0} and bodies.count(401) >= 1
        assert paths == [401] * PATHS or set(paths) <= {401, 404}
        assert counts[UNDECLARED] == PATHS and len(counts) == 4  # jobs/list, jobs/create, import, undeclared
        assert grown <= LIMIT_MB, f"RSS grew by {grown:.0f} MB"
        assert elapsed < 120
