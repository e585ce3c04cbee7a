"""Whether a job's stored settings (from `jobs/get`) already are the wanted ones.

The service fills in defaults and computed fields that a user never wrote, so a plain `==` would
reset every job on every call. The facts below come from what `jobs/get` returns on the local
workspace, Databricks' recorded `jobs/create`/`jobs/get` exchanges, and the list of fields the
backend fills (`backend_defaults`) and of keyed arrays in databricks/cli's
`bundle/direct/dresources/resources.yml` and `job.go`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["acl_differs", "differences"]

_ABSENT: Any = object()


@dataclass(frozen=True)
class _Level:
    """How one object of the settings compares: defaults, fields the service may fill, keyed arrays."""

    defaults: Mapping[str, Any] = field(default_factory=dict)
    filled: frozenset[str] = frozenset()
    not_returned: frozenset[str] = frozenset()
    keyed: Mapping[str, tuple[str, _Level]] = field(default_factory=dict)
    nested: Mapping[str, _Level] = field(default_factory=dict)


_PLAIN = _Level()
_SOURCED = _Level(filled=frozenset({"source"}))
_CLUSTER = _Level(
    filled=frozenset(
        {
            "enable_elastic_disk",
            "enable_local_disk_encryption",
            "node_type_id",
            "driver_node_type_id",
            "driver_instance_pool_id",
            "data_security_mode",
            "aws_attributes",
            "azure_attributes",
            "gcp_attributes",
        }
    ),
    not_returned=frozenset({"apply_policy_default_values"}),
)
_WEBHOOKS = _Level(
    keyed={
        event: ("id", _PLAIN)
        for event in (
            "on_start",
            "on_success",
            "on_failure",
            "on_duration_warning_threshold_exceeded",
            "on_streaming_backlog_exceeded",
        )
    }
)
_TASK_COMMON: dict[str, Any] = {
    "defaults": {"run_if": "ALL_SUCCESS", "timeout_seconds": 0, "email_notifications": {}},
    "keyed": {"depends_on": ("task_key", _PLAIN)},
}
_TASK_NESTED: dict[str, _Level] = {
    "new_cluster": _CLUSTER,
    "notebook_task": _SOURCED,
    "spark_python_task": _SOURCED,
    "dbt_task": _SOURCED,
    "sql_task": _Level(nested={"file": _SOURCED}),
    "webhook_notifications": _WEBHOOKS,
}
_INNER_TASK = _Level(**_TASK_COMMON, nested=_TASK_NESTED)
_TASK = _Level(**_TASK_COMMON, nested={**_TASK_NESTED, "for_each_task": _Level(nested={"task": _INNER_TASK})})
_JOB = _Level(
    defaults={
        "email_notifications": {},
        "webhook_notifications": {},
        "timeout_seconds": 0,
        "max_concurrent_runs": 1,
    },
    # [I] queue follows the workspace's queueing setting; run_as, edit_mode and deployment are the service's
    filled=frozenset({"format", "queue", "run_as", "edit_mode", "deployment"}),
    keyed={
        "tasks": ("task_key", _TASK),
        "job_clusters": ("job_cluster_key", _Level(nested={"new_cluster": _CLUSTER})),
        "environments": ("environment_key", _PLAIN),
        "parameters": ("name", _PLAIN),
    },
    nested={"webhook_notifications": _WEBHOOKS},
)


def differences(current: Mapping[str, Any], wanted: Mapping[str, Any]) -> list[str]:
    """The paths (`tasks[ingest].timeout_seconds`) where stored job settings differ from the wanted ones.

    A field the user did not set compares with the service's default (so a field removed from the
    wanted settings is a difference), except the fields the service computes for itself.
    """
    return _mapping(current, wanted, _JOB, "")


def _mapping(current: Mapping[str, Any], wanted: Mapping[str, Any], level: _Level, path: str) -> list[str]:
    found: list[str] = []
    for key in sorted(set(current) | set(wanted)):
        if key in level.not_returned or (key not in wanted and key in level.filled):
            continue
        default = level.defaults.get(key, _ABSENT)
        found += _value(current.get(key, default), wanted.get(key, default), key, level, f"{path}{key}")
    return found


def _value(current: Any, wanted: Any, key: str, level: _Level, path: str) -> list[str]:
    if _unset(current) and _unset(wanted):
        return []
    if key in level.keyed and isinstance(current, list) and isinstance(wanted, list):
        item_key, item_level = level.keyed[key]
        return _keyed(current, wanted, item_key, item_level, path)
    if isinstance(current, Mapping) and isinstance(wanted, Mapping):
        return _mapping(current, wanted, level.nested.get(key, _PLAIN), f"{path}.")
    return [] if current == wanted else [path]


def _keyed(current: list[Any], wanted: list[Any], item_key: str, level: _Level, path: str) -> list[str]:
    """Arrays the service may return in another order, matched by each item's key."""
    if not all(isinstance(item, Mapping) and item_key in item for item in [*current, *wanted]):
        return [] if current == wanted else [path]
    have = {str(item[item_key]): item for item in current}
    want = {str(item[item_key]): item for item in wanted}
    if len(have) != len(current) or len(want) != len(wanted) or set(have) != set(want):
        return [path]
    found: list[str] = []
    for name in sorted(want):
        found += _mapping(have[name], want[name], level, f"{path}[{name}].")
    return found


def _unset(value: Any) -> bool:
    """Absent, or a zero value (false, 0, "", empty): [I] JSON from protobuf messages may leave those out."""
    return (
        value is _ABSENT
        or value is None
        or (not value and isinstance(value, bool | int | float | str | dict | list))
    )


def acl_differs(permissions: Mapping[str, Any], wanted: Sequence[Mapping[str, Any]]) -> bool:
    """True if a job's direct permissions (`GET permissions/jobs/{id}`) are not the wanted list.

    The owner's IS_OWNER entry is compared only when the wanted list names an owner: [I] a `PUT`
    without one keeps the current owner (a job always has one; the local workspace does so).
    """
    names_owner = any(entry.get("permission_level") == "IS_OWNER" for entry in wanted)
    stored = {
        (principal, str(grant.get("permission_level")))
        for entry in permissions.get("access_control_list") or ()
        if (principal := _principal(entry)) is not None
        for grant in entry.get("all_permissions") or ()
        if not grant.get("inherited") and (names_owner or grant.get("permission_level") != "IS_OWNER")
    }
    given = {
        (principal, str(entry.get("permission_level")))
        for entry in wanted
        if (principal := _principal(entry)) is not None
    }
    return stored != given


def _principal(entry: Mapping[str, Any]) -> tuple[str, str] | None:
    for kind in ("user_name", "group_name", "service_principal_name"):
        if entry.get(kind):
            return kind, str(entry[kind])
    return None
