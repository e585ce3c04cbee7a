"""Jobs from a Databricks Asset Bundle style file: `resources.jobs.<key>` in YAML or JSON.

Supported: several jobs per file, `${var.<name>}` from the file's `variables:` block (its
`default`s, overridden by the caller's values), and `permissions:` (`level` plus one principal)
of a job and of the whole file, sent as the job's `access_control_list`. Anything else a bundle
can say that changes what is deployed (`include`, `targets`, other `${...}` references, variable
`lookup`) is refused by name rather than ignored.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from prefect_databricks.client.errors import ClientValidationError

__all__ = ["load_jobs", "parse_jobs"]

_REFERENCE = re.compile(r"\$\{([^}]*)\}")
_VARIABLE = re.compile(r"^var\.([A-Za-z_][\w-]*)$")
_REFUSED_SECTIONS = {
    "include": "jobs in other files are not read; put them in this file or deploy each file",
    "targets": "targets are not applied; deploy a file without them (or use `databricks bundle deploy`)",
}


def load_jobs(path: str | Path, variables: Mapping[str, Any] | None = None) -> dict[str, dict[str, Any]]:
    """Job key → job settings (with `access_control_list` from `permissions:`) read from `path`."""
    file = Path(path)
    text = file.read_text(encoding="utf-8")
    is_json = file.suffix == ".json"
    try:
        document = json.loads(text) if is_json else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        kind = "JSON" if is_json else "YAML"
        raise ClientValidationError(str(file), f"is not valid {kind}: {exc}") from None
    return parse_jobs(document, variables, source=str(file))


def parse_jobs(
    document: Any, variables: Mapping[str, Any] | None = None, *, source: str = "the bundle"
) -> dict[str, dict[str, Any]]:
    """Job key → job settings from a parsed bundle document (see `load_jobs`)."""
    if not isinstance(document, Mapping):
        raise ClientValidationError(source, "must be a mapping with resources.jobs")
    for section, why in _REFUSED_SECTIONS.items():
        if section in document:
            raise ClientValidationError(f"{source}: {section}", why)
    resources = document.get("resources")
    jobs = resources.get("jobs") if isinstance(resources, Mapping) else None
    if not isinstance(jobs, Mapping) or not jobs:
        raise ClientValidationError(f"{source}: resources.jobs", "must map job keys to job settings")
    values = _variables(document.get("variables") or {}, variables or {}, source)
    shared = _resolve(document.get("permissions") or [], values, f"{source}: permissions")
    settings = {}
    for key, job in jobs.items():
        where = f"{source}: resources.jobs.{key}"
        if not isinstance(job, Mapping):
            raise ClientValidationError(where, "must be the job's settings (a mapping)")
        settings[str(key)] = _with_acl(_resolve(dict(job), values, where), shared, where)
    return settings


def _variables(declared: Any, given: Mapping[str, Any], source: str) -> dict[str, Any]:
    """Each declared variable's value: the caller's, else its `default`; an undeclared one is an error."""
    if not isinstance(declared, Mapping):
        raise ClientValidationError(f"{source}: variables", "must map variable names to their definitions")
    unknown = sorted(set(given) - set(declared))
    if unknown:
        raise ClientValidationError(f"var {unknown[0]}", f"is not declared in the variables of {source}")
    values = {}
    for name, spec in declared.items():
        if not isinstance(spec, Mapping):
            raise ClientValidationError(
                f"{source}: variables.{name}", "must be a mapping: {default: ..., ...}"
            )
        if "lookup" in spec:
            raise ClientValidationError(
                f"{source}: variables.{name}.lookup", "lookups are not resolved; give a value"
            )
        if name in given:
            values[str(name)] = given[name]
        elif "default" in spec:
            values[str(name)] = spec["default"]
        if "${" in json.dumps(values.get(str(name))):
            raise ClientValidationError(
                f"{source}: variables.{name}", "a value referring to ${...} is not resolved"
            )
    return values


def _resolve(value: Any, values: Mapping[str, Any], where: str) -> Any:
    """`value` with every `${var.x}` replaced; a whole-string reference keeps the variable's type."""
    if isinstance(value, Mapping):
        return {key: _resolve(item, values, f"{where}.{key}") for key, item in value.items()}
    if isinstance(value, list):
        return [_resolve(item, values, f"{where}[{index}]") for index, item in enumerate(value)]
    if not isinstance(value, str) or "${" not in value:
        return value
    whole = _REFERENCE.fullmatch(value)
    if whole is not None:
        return _lookup(whole[1], values, where)
    return _REFERENCE.sub(lambda match: str(_lookup(match[1], values, where)), value)


def _lookup(reference: str, values: Mapping[str, Any], where: str) -> Any:
    match = _VARIABLE.match(reference)
    if match is None:
        raise ClientValidationError(
            where, f"${{{reference}}} cannot be resolved here; only ${{var.<name>}} can"
        )
    if match[1] not in values:
        raise ClientValidationError(
            where, f"${{{reference}}} has no value: give it (--var {match[1]}=...) or a default"
        )
    return values[match[1]]


def _with_acl(job: dict[str, Any], shared: Any, where: str) -> dict[str, Any]:
    """A job's `permissions: [{level, user_name}]` and the file's top-level ones, as `access_control_list`."""
    permissions = job.pop("permissions", None)
    if permissions is None and not shared:
        return job
    permissions = [*(permissions or []), *shared] if isinstance(shared, list) else shared
    if not isinstance(permissions, list) or not all(isinstance(p, Mapping) for p in permissions):
        raise ClientValidationError(
            f"{where}.permissions", "must be a list of {level, user_name|group_name|...}"
        )
    acl = [
        {("permission_level" if key == "level" else key): item for key, item in entry.items()}
        for entry in permissions
    ]
    if "access_control_list" in job:
        raise ClientValidationError(where, "give permissions or access_control_list, not both")
    return {**job, "access_control_list": acl}
