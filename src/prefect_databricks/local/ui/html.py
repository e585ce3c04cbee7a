"""HTML building blocks of the run page: escaping by construction, the page layout, value formatting.

Every string that reaches a page goes through `esc` unless it is already `Safe` (built here), so
user content (task output, job names, parameters) can never become markup.
"""

from __future__ import annotations

import html
import time
from collections.abc import Iterable
from typing import Any

__all__ = ["FOOTER", "Safe", "duration", "esc", "join", "page", "state_badge", "state_of", "tag", "timestamp"]

_VOID = frozenset({"meta", "link", "br", "input"})
_ACTIVE = frozenset(
    {"QUEUED", "PENDING", "BLOCKED", "WAITING", "WAITING_FOR_RETRY", "RUNNING", "TERMINATING"}
)
FOOTER = (
    "Local workspace. These pages are served without a token to loopback clients (127.0.0.0/8, ::1) only; "
    "other clients get 403."
)


class Safe(str):
    """Markup that is already escaped."""

    __slots__ = ()


def esc(value: Any) -> Safe:
    """`value` as text safe to place in HTML content or a quoted attribute."""
    return value if isinstance(value, Safe) else Safe(html.escape(str(value), quote=True))


def join(parts: Iterable[Any]) -> Safe:
    """Parts concatenated, each escaped unless already `Safe`."""
    return Safe("".join(esc(p) for p in parts))


def tag(name: str, /, *children: Any, **attrs: Any) -> Safe:
    """`<name attrs>children</name>`; `class_` is `class`, `data_x` is `data-x`, True a bare attribute."""
    rendered = join(_attribute(k, v) for k, v in attrs.items() if v is not None and v is not False)
    if name in _VOID:
        return Safe(f"<{name}{rendered}>")
    return Safe(f"<{name}{rendered}>{join(children)}</{name}>")


def _attribute(key: str, value: Any) -> Safe:
    name = key.rstrip("_").replace("_", "-")
    return Safe(f" {name}") if value is True else Safe(f' {name}="{esc(value)}"')


def page(title: str, body: Safe, *, refresh: bool) -> str:
    """A full HTML document; `refresh` makes the script reload the content while something runs."""
    head = join([
        tag("meta", charset="utf-8"),
        tag("meta", name="viewport", content="width=device-width, initial-scale=1"),
        tag("title", title, " · Local workspace"),
        tag("link", rel="stylesheet", href="/ui/static/ui.css"),
        tag("script", src="/ui/static/ui.js", defer=True),
    ])
    brand = tag("a", "Local workspace", href="/ui/jobs", class_="brand")
    nav = tag("nav", brand, tag("a", "Jobs", href="/ui/jobs"))
    main = tag("main", body, data_refresh="1000" if refresh else None)
    document = tag("html", tag("head", head), tag("body", nav, main, tag("footer", FOOTER)), lang="en")
    return "<!DOCTYPE html>\n" + document


def state_of(doc: dict[str, Any]) -> tuple[str, bool]:
    """A run's or task run's display state (result if finished, else life cycle) and whether it is active."""
    state = doc.get("state") or {}
    life = str(state.get("life_cycle_state") or (doc.get("status") or {}).get("state") or "UNKNOWN")
    result = state.get("result_state")
    return (str(result) if result else life), life in _ACTIVE


def state_badge(doc: dict[str, Any]) -> Safe:
    """The state as a coloured label, with the state message as its tooltip."""
    label, _ = state_of(doc)
    message = (doc.get("state") or {}).get("state_message") or None
    return tag("span", label, class_=f"state state-{label.lower()}", title=message)


def duration(doc: dict[str, Any], now_ms: int | None = None) -> str:
    """How long a run took (or has been running), e.g. `1m 05s`; empty if it never started."""
    start, end = int(doc.get("start_time") or 0), int(doc.get("end_time") or 0)
    if not start:
        return ""
    millis = (end or now_ms or time.time_ns() // 1_000_000) - start
    return _format_millis(max(millis, 0))


def _format_millis(millis: int) -> str:
    seconds = millis / 1000
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m" if hours else f"{minutes}m {secs:02d}s"


def timestamp(epoch_ms: Any) -> Safe:
    """Epoch milliseconds as a `<time>` showing `YYYY-MM-DD HH:MM:SS UTC`; empty for 0 or missing."""
    if not epoch_ms:
        return Safe("")
    moment = time.gmtime(int(epoch_ms) / 1000)
    iso = time.strftime("%Y-%m-%dT%H:%M:%SZ", moment)
    return tag("time", time.strftime("%Y-%m-%d %H:%M:%S UTC", moment), datetime=iso)
