"""Client-side checks of the Jobs API's documented request rules, run before anything is sent.

Each rule is one small record naming the field and the rule; `check_request(endpoint, payload)`
applies the rules declared for an endpoint to its wire payload (plain JSON, models already
serialised). Facts and sources: reference/jobs-api-2.2.md §7.1 (limits) and §5.13/§5.15.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .errors import ClientValidationError

__all__ = ["RULES", "check_request"]

_LEGACY_MAPS = (
    "notebook_params",
    "jar_params",
    "python_params",
    "spark_submit_params",
    "python_named_params",
)
_TASK_KEY = re.compile(r"^[\w\-]{1,100}$")


def _given(value: Any) -> bool:
    return value is not None and value is not False


def _container(payload: Mapping[str, Any], field: str, kinds: tuple[type, ...]) -> Any:
    """The field's value if it is absent or of one of `kinds`; else a clear error, not a TypeError."""
    value = payload.get(field)
    if value is not None and (isinstance(value, str) or not isinstance(value, kinds)):
        expected = " or ".join("a list" if kind is Sequence else "an object" for kind in kinds)
        raise ClientValidationError(field, f"must be {expected} (got {type(value).__name__} {value!r})")
    return value


@dataclass(frozen=True)
class IntRange:
    """An integer field must lie in [low, high]."""

    field: str
    low: int
    high: int
    note: str = ""

    def __call__(self, payload: Mapping[str, Any]) -> None:
        value = payload.get(self.field)
        if value is None:
            return
        if isinstance(value, bool) or not isinstance(value, int) or not self.low <= value <= self.high:
            rule = f"must be an integer from {self.low} to {self.high}{self.note} (got {value!r})"
            raise ClientValidationError(self.field, rule)


@dataclass(frozen=True)
class Exclusive:
    """Two fields cannot be given together."""

    field: str
    other: str

    def __call__(self, payload: Mapping[str, Any]) -> None:
        if _given(payload.get(self.field)) and _given(payload.get(self.other)):
            raise ClientValidationError(self.field, f"cannot be used together with {self.other}")


@dataclass(frozen=True)
class MaxJsonBytes:
    """The JSON form of a field must fit in `limit` bytes (UTF-8)."""

    field: str
    limit: int = 10_000

    def __call__(self, payload: Mapping[str, Any]) -> None:
        value = payload.get(self.field)
        if value is None:
            return
        size = len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode())
        if size > self.limit:
            rule = f"its JSON must be at most {self.limit:,} bytes (got {size:,})"
            raise ClientValidationError(self.field, rule)


@dataclass(frozen=True)
class AsciiOnly:
    """Every string of a list field must be ASCII."""

    field: str

    def __call__(self, payload: Mapping[str, Any]) -> None:
        for item in _container(payload, self.field, (Sequence,)) or ():
            if isinstance(item, str) and not item.isascii():
                raise ClientValidationError(self.field, f"must be ASCII only (got {item!r})")


@dataclass(frozen=True)
class MaxLength:
    """A string field must have at most `limit` characters."""

    field: str
    limit: int

    def __call__(self, payload: Mapping[str, Any]) -> None:
        value = payload.get(self.field)
        if isinstance(value, str) and len(value) > self.limit:
            rule = f"must be at most {self.limit} characters (got {len(value)})"
            raise ClientValidationError(self.field, rule)


@dataclass(frozen=True)
class MaxItems:
    """A list or map field must have at most `limit` entries."""

    field: str
    limit: int

    def __call__(self, payload: Mapping[str, Any]) -> None:
        value = _container(payload, self.field, (Sequence, Mapping))
        if value is not None and len(value) > self.limit:
            rule = f"at most {self.limit} entries are allowed (got {len(value)})"
            raise ClientValidationError(self.field, rule)


@dataclass(frozen=True)
class IntType:
    """A field, when given, must be an integer."""

    field: str

    def __call__(self, payload: Mapping[str, Any]) -> None:
        value = payload.get(self.field)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            rule = f"must be an integer (got {type(value).__name__} {value!r})"
            raise ClientValidationError(self.field, rule)


@dataclass(frozen=True)
class TaskKeys:
    """Every task has a `task_key` matching `^[\\w\\-]+$`, 1-100 characters, unique in `tasks`."""

    field: str = "tasks"

    def __call__(self, payload: Mapping[str, Any]) -> None:
        seen: set[str] = set()
        for index, task in enumerate(_container(payload, self.field, (Sequence,)) or ()):
            key = task.get("task_key") if isinstance(task, Mapping) else None
            where = f"{self.field}[{index}].task_key"
            if not isinstance(key, str) or not _TASK_KEY.match(key):
                rule = rf"must match ^[\w\-]+$ with 1 to 100 characters (got {key!r})"
                raise ClientValidationError(where, rule)
            if key in seen:
                raise ClientValidationError(where, f"must be unique within tasks ({key!r} repeats)")
            seen.add(key)


@dataclass(frozen=True)
class Nested:
    """Apply rules to the object under `field` (e.g. `new_settings`), naming fields by full path."""

    field: str
    rules: Sequence[Callable[[Mapping[str, Any]], None]]

    def __call__(self, payload: Mapping[str, Any]) -> None:
        inner = payload.get(self.field)
        if not isinstance(inner, Mapping):
            return
        try:
            for rule in self.rules:
                rule(inner)
        except ClientValidationError as error:
            raise ClientValidationError(f"{self.field}.{error.field}", error.rule) from None


_Rule = Callable[[Mapping[str, Any]], None]

_SETTINGS: tuple[_Rule, ...] = (TaskKeys(), MaxItems("tags", 25), IntRange("max_concurrent_runs", 0, 1000))
_PARAMETERS: tuple[_Rule, ...] = (
    Exclusive("jar_params", "notebook_params"),
    *(MaxJsonBytes(name) for name in _LEGACY_MAPS),
    AsciiOnly("python_params"),
    AsciiOnly("spark_submit_params"),
)

RULES: dict[str, tuple[_Rule, ...]] = {
    "jobs/create": _SETTINGS,
    "jobs/reset": (Nested("new_settings", _SETTINGS),),
    "jobs/update": (Nested("new_settings", _SETTINGS),),
    "jobs/list": (IntRange("limit", 1, 100),),
    "jobs/runs/list": (
        IntRange("limit", 0, 25, "; 0 means the maximum"),
        Exclusive("active_only", "completed_only"),
    ),
    "jobs/run-now": (MaxLength("idempotency_token", 64), *_PARAMETERS),
    "jobs/runs/submit": (MaxLength("idempotency_token", 64), TaskKeys()),
    "jobs/runs/repair": (
        Exclusive("rerun_tasks", "rerun_all_failed_tasks"),
        IntType("latest_repair_id"),
        *_PARAMETERS,
    ),
}
"""Rules per endpoint name, applied in order; the first broken rule is raised."""


def check_request(endpoint: str, payload: Mapping[str, Any]) -> None:
    """Raise `ClientValidationError` naming the field and the rule if `payload` breaks one."""
    for rule in RULES.get(endpoint, ()):
        rule(payload)
