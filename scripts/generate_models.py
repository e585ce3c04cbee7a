"""Generate `prefect_databricks/models/_generated.py` (and its name index) from the Jobs 2.2 digest.

The digest is read as data: type names, field names, field types and enum values carry over;
docstrings are our own one-liners. The output is deterministic (same digest, same bytes).

Usage: .venv/bin/python scripts/generate_models.py [--spec PATH] [--out-dir DIR]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import keyword
import re
from pathlib import Path

from pydantic import BaseModel

__all__ = ["DEFAULT_OUT_DIR", "DEFAULT_SPEC", "generate", "main"]

_REPO = Path(__file__).resolve().parent.parent
DEFAULT_SPEC = _REPO.parent / "shared" / "spec" / "jobs-api-2.2.sdk-digest.json"
DEFAULT_OUT_DIR = _REPO / "src" / "prefect_databricks" / "models"
_COMMAND = ".venv/bin/python scripts/generate_models.py"
_SCALARS = {"str": "str", "int": "int", "bool": "bool", "float": "float"}
_WIRE_STRINGS = {"Duration", "Timestamp"}  # protobuf well-known types, strings in JSON
_DOCS = {
    "Job": "A saved job as returned by `jobs/get` and `jobs/list`.",
    "JobSettings": "Settings of a job: the body of `jobs/create` and `new_settings` of reset/update.",
    "Task": "One task of a saved job.",
    "SubmitTask": "One task of a one-time run (`runs/submit`).",
    "JobCluster": "A cluster spec shared by the tasks of a job under `job_cluster_key`.",
    "Run": "A job run as returned by `runs/get` (paged arrays merged by the client).",
    "RunTask": "One task run inside a job run.",
    "RunState": "The legacy run state (`life_cycle_state`, `result_state`).",
    "RunStatus": "The current run status (`state` plus termination details).",
    "RunOutput": "The output of one task run (`runs/get-output`).",
    "ForEachTask": "A task that runs its nested `task` once per input element.",
    "ConditionTask": "A task that compares two values to gate downstream tasks.",
    "RunJobTask": "A task that triggers another saved job.",
    "TaskDependency": "An upstream task this task waits for.",
    "ComputeClusterSpec": "A new cluster created for a run (`new_cluster`).",
}


def _names(digest: dict) -> dict[tuple[str, str], str]:
    """Map (section, sdk name) to a Python class name; compute types clashing with jobs get a prefix."""
    names = {("types", name): name for name in digest["types"]}
    for name in digest["compute_types"]:
        clash = name in digest["types"]
        names[("compute_types", name)] = f"Compute{name}" if clash else name
    return names


def _resolve(ref: str, section: str, names: dict[tuple[str, str], str]) -> tuple[str, str] | None:
    """The (section, name) key a type reference points at, or None for a scalar."""
    if ref.startswith("compute."):
        return ("compute_types", ref.removeprefix("compute."))
    if (section, ref) in names:
        return (section, ref)
    return ("types", ref) if ("types", ref) in names else None


def _annotation(sdk_type: str, section: str, ctx: dict) -> str:
    """Translate an SDK type string (e.g. `Optional[List[Task]]`) to a Python annotation."""
    match = re.fullmatch(r"(Optional|List|Dict)\[(.*)\]", sdk_type)
    if match and match[1] == "Optional":
        return f"{_annotation(match[2], section, ctx)} | None"
    if match and match[1] == "List":
        return f"list[{_annotation(match[2], section, ctx)}]"
    if match:
        key, value = (part.strip() for part in match[2].split(",", 1))
        text = "Text" if value == "str" else _annotation(value, section, ctx)
        return f"dict[{_annotation(key, section, ctx)}, {text}]"
    if sdk_type in _SCALARS:
        return _SCALARS[sdk_type]
    target = _resolve(sdk_type, section, ctx["names"])
    if target is None:
        if sdk_type not in _WIRE_STRINGS:
            raise ValueError(f"unknown type reference {sdk_type!r}")
        return "str"
    name = ctx["names"][target]
    return f"Open[{name}]" if ctx["kinds"][target] == "enum" else name


def _python_name(wire: str) -> str:
    """A field name usable on a pydantic model (keywords and BaseModel attributes get `_`)."""
    return f"{wire}_" if keyword.iskeyword(wire) or hasattr(BaseModel, wire) else wire


def _field_line(field: dict, section: str, ctx: dict) -> str:
    annotation = _annotation(field["type"], section, ctx)
    name = _python_name(field["name"])
    optional = field["type"].startswith("Optional[")
    if name != field["name"]:
        default = "None, " if optional else ""
        return f'    {name}: {annotation} = Field({default}alias="{field["name"]}")'
    return f"    {name}: {annotation}{' = None' if optional else ''}"


def _member_name(value: str) -> str:
    name = re.sub(r"\W", "_", value)
    return f"V_{name}" if not name.isidentifier() or keyword.iskeyword(name) else name


def _enum_block(name: str, spec: dict) -> list[str]:
    doc = _DOCS.get(name, f"Known `{name}` values; new ones stay plain strings.")
    lines = [f"class {name}(str, Enum):", f'    """{doc}"""', ""]
    for raw in spec["values"]:
        value = raw.strip("'\"")
        lines.append(f'    {_member_name(value)} = "{value}"')
    return lines


def _class_block(key: tuple[str, str], spec: dict, ctx: dict) -> list[str]:
    name = ctx["names"][key]
    doc = _DOCS.get(name, f"The `{name}` object of the Jobs API.")
    fields = sorted(spec["fields"], key=lambda f: (f["type"].startswith("Optional["), f["name"]))
    body = [_field_line(field, key[0], ctx) for field in fields]
    return [f"class {name}(ApiModel):", f'    """{doc}"""', *(["", *body] if body else [])]


def _references(spec: dict, section: str, names: dict) -> list[tuple[str, str]]:
    refs = set()
    for field in spec.get("fields", []):
        for token in re.findall(r"[\w.]+", field["type"]):
            target = _resolve(token, section, names)
            if target is not None:
                refs.add(target)
    return sorted(refs)


def _ordered(digest: dict, names: dict) -> list[tuple[str, str]]:
    """Classes in dependency order (leaves first), ties broken by name, so output is stable."""
    order: list[tuple[str, str]] = []
    seen: set[tuple[str, str]] = set()

    def visit(key: tuple[str, str]) -> None:
        if key in seen:
            return
        seen.add(key)
        for ref in _references(digest[key[0]][key[1]], key[0], names):
            visit(ref)
        order.append(key)

    for key in sorted(names, key=lambda k: names[k]):
        visit(key)
    return order


def _header(digest: dict, spec_bytes: bytes) -> list[str]:
    source = digest["source"]
    return [
        "# GENERATED by scripts/generate_models.py: never edit by hand.",
        f"# Regenerate with: {_COMMAND}",
        f"# From jobs-api-2.2.sdk-digest.json ({source['package']} {source['version']}),",
        f"# sha256 {hashlib.sha256(spec_bytes).hexdigest()}. Docstrings are our own.",
        '"""Pydantic models of the Databricks Jobs API 2.2 types (generated)."""',
        "",
        "from __future__ import annotations",
        "",
        "from enum import Enum",
        "",
        "from pydantic import Field",
        "",
        "from ._base import ApiModel, Open, Text",
        "",
    ]


def _index(names: list[str]) -> str:
    """A tiny module naming every generated model, so the package can list them without importing."""
    lines = [
        "# GENERATED by scripts/generate_models.py: never edit by hand.",
        '"""Names defined in `_generated` (read by the lazy `prefect_databricks.models`)."""',
        "",
        '__all__ = ["MODEL_NAMES"]',
        "",
        "MODEL_NAMES = (",
        *(f'    "{name}",' for name in names),
        ")",
    ]
    return "\n".join(lines) + "\n"


def generate(spec_path: Path = DEFAULT_SPEC) -> dict[str, str]:
    """Return {file name: text} of the generated modules for the digest at `spec_path`."""
    spec_bytes = spec_path.read_bytes()
    digest = json.loads(spec_bytes)
    names = _names(digest)
    kinds = {key: digest[key[0]][key[1]]["kind"] for key in names}
    ctx = {"names": names, "kinds": kinds}
    exported = sorted(names.values())
    lines = _header(digest, spec_bytes)
    lines += ["__all__ = [", *(f'    "{name}",' for name in exported), "]", "", ""]
    for key in _ordered(digest, names):
        spec = digest[key[0]][key[1]]
        block = _enum_block(names[key], spec) if kinds[key] == "enum" else _class_block(key, spec, ctx)
        lines += [*block, "", ""]
    return {"_generated.py": "\n".join(lines[:-2]) + "\n", "_index.py": _index(exported)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", type=Path, default=DEFAULT_SPEC)
    parser.add_argument("--out-dir", type=Path, default=DEFAULT_OUT_DIR)
    args = parser.parse_args(argv)
    for file_name, text in generate(args.spec).items():
        (args.out_dir / file_name).write_text(text)


if __name__ == "__main__":
    main()
