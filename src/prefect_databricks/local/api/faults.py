"""The fault switch: a seeded share of `/api/` requests answered 429/503, dropped, lost or delayed.

Spec: `429=0.2,503=0.1,drop=0.05,lost=0.05,latency=0.1:50,seed=7,retry_after=1,only=jobs/runs/get|jobs/list`.
Each kind takes its share of requests (shares of 429/503/drop/lost add up to at most 1); `drop` closes
the connection before the request is acted on, `lost` acts on it and closes the connection instead of
answering; `latency=P:MS` delays a share P by MS milliseconds; `only` limits faults to these API paths
(after `/api/<version>/`). `/local-api/`, `/oidc/` and `/.well-known/` are never faulted.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..errors import ApiError, RequestLimitExceeded, TemporarilyUnavailable
from .responses import json_response

__all__ = ["FaultSpec", "FaultSwitch", "parse_spec", "with_faults"]

_KINDS = ("429", "503", "drop", "lost")


@dataclass(frozen=True)
class FaultSpec:
    """A parsed fault spec."""

    text: str
    shares: dict[str, float] = field(default_factory=dict)
    latency: tuple[float, int] = (0.0, 0)
    seed: int | None = None
    retry_after: int = 1
    only: frozenset[str] | None = None


def parse_spec(text: str) -> FaultSpec:
    """Parse a spec string; ValueError naming the part at fault."""
    values: dict[str, Any] = {"shares": {}}
    for part in filter(None, (p.strip() for p in text.split(","))):
        key, sep, value = part.partition("=")
        if not sep:
            raise ValueError(f"Fault spec part '{part}' is not of the form kind=value.")
        _read_part(values, key.strip(), value.strip(), part)
    if sum(values["shares"].values()) > 1:
        raise ValueError("Fault spec shares of 429, 503, drop and lost add up to more than 1.")
    return FaultSpec(text=text, **values)


def _read_part(values: dict[str, Any], key: str, value: str, part: str) -> None:
    try:
        if key in _KINDS:
            values["shares"][key] = _share(value)
        elif key == "latency":
            share, _, millis = value.partition(":")
            values["latency"] = (_share(share), int(millis or "0"))
        elif key in ("seed", "retry_after"):
            values[key] = int(value)
        elif key == "only":
            values["only"] = frozenset(p.strip().strip("/") for p in value.split("|") if p.strip())
        else:
            known = ", ".join([*_KINDS, "latency", "seed", "retry_after", "only"])
            raise ValueError(f"unknown kind '{key}' (known: {known})")
    except ValueError as exc:
        raise ValueError(f"Fault spec part '{part}': {exc}") from None


def _share(value: str) -> float:
    share = float(value)
    if not 0 <= share <= 1:
        raise ValueError("a share is a number between 0 and 1")
    return share


class FaultSwitch:
    """The current spec and its random stream; decisions are reproducible for a given seed."""

    def __init__(self, spec: FaultSpec | None) -> None:
        self.set(spec)

    def set(self, spec: FaultSpec | None) -> None:
        """Replace the spec (None turns faults off) and restart the random stream from its seed."""
        self.spec = spec
        self._random = random.Random(spec.seed if spec else None)

    def decide(self, api_path: str) -> tuple[str | None, float]:
        """(fault kind or None, added delay in seconds) for one request to `api_path`."""
        spec = self.spec
        if spec is None or (spec.only is not None and api_path not in spec.only):
            return None, 0.0
        roll, cumulative, kind = self._random.random(), 0.0, None
        for name in _KINDS:
            cumulative += spec.shares.get(name, 0.0)
            if kind is None and roll < cumulative:
                kind = name
        share, millis = spec.latency
        delay = millis / 1000 if share and self._random.random() < share else 0.0
        return kind, delay


def with_faults(app: ASGIApp, switch: FaultSwitch) -> ASGIApp:
    """`app` behind the fault `switch`; only paths under `/api/` are faulted."""

    async def faulted(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/api/"):
            await app(scope, receive, send)
            return
        kind, delay = switch.decide(scope["path"].split("/", 3)[-1])
        if delay:
            await asyncio.sleep(delay)
        inject = _INJECTIONS.get(kind or "")
        if inject is None or switch.spec is None:
            await app(scope, receive, send)
            return
        await inject(app, scope, receive, send, switch.spec)

    return faulted


async def _answer(error: ApiError, scope: Scope, receive: Receive, send: Send) -> None:
    await json_response(error.body(), error.status, error.headers)(scope, receive, send)


async def _too_many(app: ASGIApp, scope: Scope, receive: Receive, send: Send, spec: FaultSpec) -> None:
    headers = {"Retry-After": str(spec.retry_after)}
    error = RequestLimitExceeded("Too many requests, please retry later (injected fault).", headers=headers)
    await _answer(error, scope, receive, send)


async def _unavailable(app: ASGIApp, scope: Scope, receive: Receive, send: Send, spec: FaultSpec) -> None:
    headers = {"Retry-After": str(spec.retry_after)}
    message = "The service is temporarily unavailable (injected fault)."
    error = TemporarilyUnavailable(message, headers=headers)
    await _answer(error, scope, receive, send)


async def _drop(app: ASGIApp, scope: Scope, receive: Receive, send: Send, spec: FaultSpec) -> None:
    await _close_connection(send)


async def _lost(app: ASGIApp, scope: Scope, receive: Receive, send: Send, spec: FaultSpec) -> None:
    async def swallow(message: Message) -> None:
        return None

    await app(scope, receive, swallow)
    await _close_connection(send)


async def _close_connection(send: Send) -> None:
    """Close the socket with no response at all (uvicorn's per-request `send` holds the transport).

    Raising before `http.response.start` would make the server answer 500 instead; when the transport
    cannot be reached (another server), raising after the response head is the closest ASGI allows.
    """
    cycle = getattr(send, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is None:
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"1")]})
        raise ConnectionAbortedError("Connection dropped by the fault switch.")
    transport.close()
    for _ in range(100):
        if getattr(cycle, "disconnected", True):
            return
        await asyncio.sleep(0.001)


_INJECTIONS: dict[str, Callable[[ASGIApp, Scope, Receive, Send, FaultSpec], Awaitable[None]]] = {
    "429": _too_many,
    "503": _unavailable,
    "drop": _drop,
    "lost": _lost,
}
