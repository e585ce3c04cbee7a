"""Servers the benchmarks measure, each started in its own process so client and server never share a GIL."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["hello_world", "local_workspace"]

_WORKSPACE = """
import json, os, sys, threading
from prefect_databricks.local import LocalWorkspace
ws = LocalWorkspace(sys.argv[1]).start()
print(json.dumps({"host": ws.host, "token": ws.token, "pid": os.getpid()}), flush=True)
threading.Event().wait()
"""

_HELLO = """
import json, socket, sys, uvicorn
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

async def hello(request):
    return JSONResponse({"hello": "world"})

sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
sock.bind(("127.0.0.1", 0))
print(json.dumps({"host": "http://127.0.0.1:%d" % sock.getsockname()[1]}), flush=True)
app = Starlette(routes=[Route("/hello", hello)])
uvicorn.Server(uvicorn.Config(app, log_level="warning")).run(sockets=[sock])
"""


@contextmanager
def _serve(script: str, *args: str) -> Iterator[dict[str, str]]:
    proc = subprocess.Popen([sys.executable, "-c", script, *args], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        yield json.loads(proc.stdout.readline())
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@contextmanager
def local_workspace(data_dir: Path) -> Iterator[dict[str, str]]:
    """A local workspace on `data_dir` in a child process: yields its host, token and pid."""
    with _serve(_WORKSPACE, str(data_dir)) as info:
        yield info


@contextmanager
def hello_world() -> Iterator[dict[str, str]]:
    """A one-route Starlette app on uvicorn in a child process: the ceiling any JSON API can reach here."""
    with _serve(_HELLO) as info:
        yield info
