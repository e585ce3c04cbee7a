"""Opaque page tokens, keyset list pages and the 100-element array pages of jobs/get and runs/get."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .errors import InvalidParameterValue
from .store import Cursor

__all__ = [
    "ARRAY_PAGE_SIZE", "ListPage", "array_page", "decode_page", "decode_token", "encode_token", "list_page",
]

ARRAY_PAGE_SIZE = 100
_INT64 = 2**63


def encode_token(kind: str, scope: Mapping[str, Any], payload: Mapping[str, Any]) -> str:
    """An opaque token for `kind`, valid only with the same `scope` (filters or object id)."""
    raw = json.dumps({"k": kind, "s": _digest(scope), **payload}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode()


def decode_token(token: str, kind: str, scope: Mapping[str, Any]) -> dict[str, Any]:
    """The payload of a token made by `encode_token`; 400 if malformed or used elsewhere."""
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode("utf-8", "surrogateescape")))
    except (ValueError, UnicodeError, RecursionError):
        raise InvalidParameterValue(f"Invalid page_token: '{token}'.") from None
    if not isinstance(data, dict) or data.get("k") != kind:
        raise InvalidParameterValue(f"Invalid page_token: '{token}'.")
    if data.get("s") != _digest(scope):
        raise InvalidParameterValue("The page_token was issued for a request with other parameters.")
    return data


def decode_page(token: str, kind: str, scope: Mapping[str, Any]) -> int:
    """The array page number held by a token of `encode_token(kind, scope, {"p": n})`; 400 otherwise."""
    page = decode_token(token, kind, scope).get("p")
    if type(page) is not int or not 0 <= page < _INT64:
        raise InvalidParameterValue(f"Invalid page_token: '{token}'.")
    return page


def _digest(scope: Mapping[str, Any]) -> str:
    return hashlib.sha1(json.dumps(scope, sort_keys=True, default=str).encode()).hexdigest()[:12]


@dataclass
class ListPage:
    """One page of a list endpoint."""

    items: list[dict[str, Any]]
    next_page_token: str | None
    prev_page_token: str | None

    @property
    def has_more(self) -> bool:
        """Root `has_more`, answered on 2.0/2.1 only."""
        return self.next_page_token is not None


def list_page(
    fetch: Callable[[Cursor | None, int, int], list[dict[str, Any]]],
    key: Callable[[dict[str, Any]], tuple[int, int]],
    *,
    kind: str,
    scope: Mapping[str, Any],
    page_token: str | None,
    offset: int,
    limit: int,
) -> ListPage:
    """A keyset page newest first; `fetch(cursor, offset, n)` reads n rows from the store."""
    cursor: Cursor | None = None
    if page_token:
        cursor, offset = _cursor(decode_token(page_token, kind, scope), page_token), 0
    rows = fetch(cursor, offset, limit + 1)
    backwards = cursor is not None and cursor[2] == "prev"
    more = len(rows) > limit
    items = (rows[1:] if more else rows) if backwards else rows[:limit]
    later = more or (backwards and cursor is not None)
    earlier = (more if backwards else cursor is not None or offset > 0)
    return ListPage(
        items,
        _edge_token(kind, scope, key, items[-1], "next") if items and later else None,
        _edge_token(kind, scope, key, items[0], "prev") if items and earlier else None,
    )


def _cursor(data: dict[str, Any], token: str) -> Cursor:
    """The keyset cursor of a decoded list token; 400 unless it holds two int64 keys and a direction."""
    first, second, direction = data.get("a"), data.get("b"), data.get("d")
    keys_ok = all(type(key) is int and -_INT64 <= key < _INT64 for key in (first, second))
    if not keys_ok or direction not in ("next", "prev"):
        raise InvalidParameterValue(f"Invalid page_token: '{token}'.")
    assert isinstance(first, int) and isinstance(second, int) and isinstance(direction, str)
    return first, second, direction


def _edge_token(
    kind: str, scope: Mapping[str, Any], key: Callable[[dict[str, Any]], tuple[int, int]],
    item: dict[str, Any], direction: str,
) -> str:
    first, second = key(item)
    return encode_token(kind, scope, {"a": first, "b": second, "d": direction})


def array_page(
    doc: dict[str, Any], paths: Sequence[Sequence[str]], page: int
) -> tuple[dict[str, Any], bool]:
    """A copy of `doc` with each array at `paths` cut to page `page` of 100; True if more follow."""
    out = copy.deepcopy(doc)
    more = False
    start, stop = page * ARRAY_PAGE_SIZE, (page + 1) * ARRAY_PAGE_SIZE
    for path in paths:
        parent = out
        for part in path[:-1]:
            parent = parent.get(part, {}) if isinstance(parent, dict) else {}
        if isinstance(parent, dict) and isinstance(parent.get(path[-1]), list):
            values = parent[path[-1]]
            parent[path[-1]] = values[start:stop]
            more = more or len(values) > stop
    return out, more
