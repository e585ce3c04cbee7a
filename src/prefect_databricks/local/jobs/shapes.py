"""Type checks of request documents against the generated Jobs API schema, naming the field at fault.

Unknown fields are ignored, as protobuf-backed services do; wrong types, missing required fields and
values outside an enum are 400s. `null` counts as absent. As in proto3's JSON mapping, an integer may
be sent as a decimal string (`"600"`); `with_numbers` turns those into numbers before the checks.
"""

from __future__ import annotations

import re
from typing import Any

from ..errors import InvalidParameterValue
from .schema import ENUMS, FIELDS

__all__ = ["check_shape", "field_path", "int_from_text", "with_numbers"]

_INT64 = 2**63
_DIGITS = re.compile(r"-?[0-9]+")
_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?")
_CASE_INSENSITIVE_ENUMS = {"GitProvider"}
_EXPECTED = {
    "str": "a string",
    "int": "an integer",
    "bool": "a boolean",
    "float": "a number",
    "map": "an object of strings",
}


def field_path(prefix: str, name: str | int) -> str:
    """`prefix.name`, or `prefix[i]` for an array index."""
    if isinstance(name, int):
        return f"{prefix}[{name}]"
    return f"{prefix}.{name}" if prefix else name


def int_from_text(name: str, value: str) -> int:
    """`value`, an integer written in decimal (an optional `-`, digits only); 400 naming `name` if not."""
    if not _DIGITS.fullmatch(value):
        shown = value if len(value) <= 40 else value[:40] + "..."
        raise InvalidParameterValue(f"Invalid value for field {name}: '{shown}' is not an integer.")
    return int(value)


def with_numbers(value: Any, type_name: str) -> Any:
    """`value` with every decimal string that the schema types as a number turned into that number.

    Anything else is returned as it is, for `check_shape` to judge (a non-numeric string stays a string).
    """
    if type_name.startswith("list:") and isinstance(value, list):
        return [with_numbers(item, type_name[5:]) for item in value]
    if type_name in FIELDS and isinstance(value, dict):
        fields = FIELDS[type_name]
        return {k: with_numbers(v, fields[k][0]) if k in fields else v for k, v in value.items()}
    if isinstance(value, str) and type_name == "int" and _DIGITS.fullmatch(value):
        return int(value)
    if isinstance(value, str) and type_name == "float" and _NUMBER.fullmatch(value):
        return float(value)
    return value


def check_shape(value: Any, type_name: str, path: str) -> None:
    """Raise a 400 naming the first field of `value` that does not fit `type_name`."""
    if type_name.startswith("list:"):
        _check_list(value, type_name[5:], path)
    elif type_name in FIELDS:
        _check_object(value, type_name, path)
    elif type_name in ENUMS:
        _check_enum(value, type_name, path)
    elif type_name in _EXPECTED and not _scalar_fits(value, type_name):
        raise _invalid(path, f"expected {_EXPECTED[type_name]}")


def _check_object(value: Any, type_name: str, path: str) -> None:
    if not isinstance(value, dict):
        raise _invalid(path, "expected an object")
    for name, (field_type, required) in FIELDS[type_name].items():
        child = value.get(name)
        if child is None:
            if required:
                raise InvalidParameterValue(f"Missing required field: {field_path(path, name)}")
            continue
        check_shape(child, field_type, field_path(path, name))


def _check_list(value: Any, item_type: str, path: str) -> None:
    if not isinstance(value, list):
        raise _invalid(path, "expected an array")
    for index, item in enumerate(value):
        if item is None:
            raise _invalid(field_path(path, index), "null is not allowed in an array")
        check_shape(item, item_type, field_path(path, index))


def _check_enum(value: Any, type_name: str, path: str) -> None:
    allowed = ENUMS[type_name]
    if isinstance(value, str):
        if value in allowed:
            return
        if type_name in _CASE_INSENSITIVE_ENUMS and value.lower() in {v.lower() for v in allowed}:
            return
    raise _invalid(path, f"must be one of {', '.join(sorted(allowed))}")


def _scalar_fits(value: Any, type_name: str) -> bool:
    if type_name == "str":
        return isinstance(value, str)
    if type_name == "bool":
        return isinstance(value, bool)
    if type_name == "int":
        return isinstance(value, int) and not isinstance(value, bool) and -_INT64 <= value < _INT64
    if type_name == "float":
        return isinstance(value, int | float) and not isinstance(value, bool)
    return isinstance(value, dict) and all(isinstance(v, str) for v in value.values())


def _invalid(path: str, rule: str) -> InvalidParameterValue:
    return InvalidParameterValue(f"Invalid value for field {path}: {rule}.")
