"""Runs one task in a fresh interpreter (``python _task_runner.py spec.json``) and writes its result file.

Forked by the warm launcher, it gets the spec itself instead of a file (``main(spec)``).

Standard library only, so a task starts fast. The spec names the kind (notebook cells, a Python
file or a package entry point); stdout/stderr go wherever the parent pointed them.
"""

from __future__ import annotations

import json
import linecache
import os
import sys
import traceback
import types
from collections.abc import Callable
from typing import Any

import dbruntime
import dbutils as shim

__all__ = ["main"]

_PIPED_RESULT = 16384
"""Result records up to this many characters (ASCII: `json.dumps` escapes the rest) go on the pipe."""


def main(spec: dict[str, Any] | None = None) -> int:
    """Run the task `spec` describes (else the spec file in argv[1]); the exit code is 0 only on success."""
    if spec is None:
        with open(sys.argv[1], encoding="utf-8") as handle:
            spec = json.load(handle)
    shim.install_redaction()
    notebook_path = spec["path"] if spec["kind"] == "notebook" else ""
    shim.configure(spec.get("parameters", {}), spec["task_key"], spec.get("task_values", {}), notebook_path)
    dbruntime.configure_spark(spec.get("spark_conf", {}))
    record: dict[str, Any] = {"exit": None, "error": None, "error_trace": None}
    code = _run_recording(spec, record)
    record["warning"] = dbruntime.warn_delta_stand_in()
    record = {key: shim.redact(value) if isinstance(value, str) else value for key, value in record.items()}
    record["task_values"] = shim.recorded_task_values()
    _write_result(spec, record)
    return code


def _run_recording(spec: dict[str, Any], record: dict[str, Any]) -> int:
    try:
        _KINDS[spec["kind"]](spec)
    except shim.NotebookExit as stop:
        record["exit"] = stop.value
    except SystemExit as stop:
        return _exit_code(stop, record)
    except BaseException as exc:
        dbruntime.explain_spark_error(exc)
        trace = _trace(exc)
        sys.stderr.write(trace)
        record["error"], record["error_trace"] = _error_line(exc), trace
        return 1
    return 0


def _exit_code(stop: SystemExit, record: dict[str, Any]) -> int:
    """Mirror the interpreter: ``None`` is 0, an int is itself, anything else is printed and is 1."""
    if stop.code is None or isinstance(stop.code, int):
        return stop.code or 0
    message = str(stop.code)
    print(message, file=sys.stderr)
    record["error"] = message
    return 1


def _trace(exc: BaseException) -> str:
    """The traceback without this runner's own frames."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename == __file__:
        tb = tb.tb_next
    return "".join(traceback.format_exception(type(exc), exc, tb))


def _error_line(exc: BaseException) -> str:
    """The exception's first line, then its notes (such as why Delta or a catalog is missing)."""
    lines = traceback.format_exception_only(type(exc), exc)
    first = next((line for line in lines if not line[:1].isspace()), lines[-1]).strip()
    return " ".join([first, *getattr(exc, "__notes__", ())])


def _write_result(spec: dict[str, Any], record: dict[str, Any]) -> None:
    """A small record goes on the warm launcher's pipe (`result_fd`, empty until now, so the write never
    blocks), a larger one to the result file, written in place: both are read only once this process
    has exited, and a record cut short (killed mid-write) reads as none at all, as a missing one does."""
    text = json.dumps(record)
    if spec.get("result_fd") is not None and len(text) <= _PIPED_RESULT:
        os.write(spec["result_fd"], ("R" + text).encode())
        return
    with open(spec["result_path"], "w", encoding="utf-8") as handle:
        handle.write(text)


def _main_module(path: str, search_dir: str) -> dict[str, Any]:
    """A fresh ``__main__`` module (as ``python file.py`` makes), its directory first on sys.path."""
    module = types.ModuleType("__main__")
    module.__file__ = path
    sys.modules["__main__"] = module
    sys.path[0] = search_dir
    return module.__dict__


def _run_file(spec: dict[str, Any]) -> None:
    dbruntime.connect_on_import()
    path = spec["path"]
    sys.argv = [path, *spec.get("argv", [])]
    namespace = _main_module(path, os.path.dirname(path))
    with open(path, "rb") as handle:
        code = compile(handle.read(), path, "exec", dont_inherit=True)
    exec(code, namespace)


def _run_notebook(spec: dict[str, Any]) -> None:
    name, cells = spec["path"], spec["cells"]
    sys.argv = [name]
    namespace = _main_module(name, os.getcwd())
    namespace.update(_notebook_globals())
    for path in dict.fromkeys(cell.get("path", name) for cell in cells):
        _register_source(path, [cell for cell in cells if cell.get("path", name) == path])
    for number, cell in enumerate(cells, start=1):
        _run_cell(number, cell, cell.get("path", name), namespace)


def _run_cell(number: int, cell: dict[str, Any], path: str, namespace: dict[str, Any]) -> None:
    """Run one cell: Python in the notebook's namespace, or one of the magics the workspace runs."""
    language = cell["language"]
    if language == "pip":
        shim.pip_magic(cell["source"])
        return
    if language == "sql":
        namespace["_sqldf"] = dbruntime.run_sql(cell["source"].split("\n", 1)[-1])
        return
    if language != "python":
        raise NotImplementedError(
            f"Cell {number} of {path} is a %{language} cell: the local workspace runs Python, %sql, "
            "%pip and %run cells (markdown cells are skipped)"
        )
    source = "\n" * (cell["line"] - 1) + cell["source"]
    exec(compile(source, path, "exec", dont_inherit=True), namespace)


def _notebook_globals() -> dict[str, Any]:
    namespace: dict[str, Any] = dbruntime.UserNamespaceInitializer.getOrCreate().get_namespace_globals()
    return namespace


def _register_source(name: str, cells: list[dict[str, Any]]) -> None:
    """Let tracebacks quote notebook lines, at the line numbers they have in the notebook."""
    lines: list[str] = []
    for cell in cells:
        source = cell["source"].splitlines()
        lines.extend([""] * (cell["line"] - 1 - len(lines)))
        lines[cell["line"] - 1 :] = source
    text = [line + "\n" for line in lines]
    linecache.cache[name] = (sum(map(len, text)), None, text, name)


def _run_entry_point(spec: dict[str, Any]) -> None:
    dbruntime.connect_on_import()
    sys.argv = [spec["package"], *spec.get("argv", [])]  # argv[0] is the package, as recorded on Databricks
    sys.path[0] = os.getcwd()
    result = _resolve_entry_point(spec["package"], spec["entry_point"])()
    if result not in (None, 0):
        raise SystemExit(result)


def _resolve_entry_point(package: str, name: str) -> Callable[[], Any]:
    """The package's entry point ``name`` (console_scripts first), else ``package.name`` itself."""
    from importlib import metadata

    try:
        found = [point for point in metadata.distribution(package).entry_points if point.name == name]
    except metadata.PackageNotFoundError:
        found = []
    if found:
        found.sort(key=lambda point: point.group != "console_scripts")
        entry: Callable[[], Any] = found[0].load()
        return entry
    return _package_function(package, name)


def _package_function(package: str, name: str) -> Callable[[], Any]:
    import importlib

    try:
        function: Callable[[], Any] = getattr(importlib.import_module(package.replace("-", "_")), name)
    except (ImportError, AttributeError) as exc:
        raise LookupError(
            f"python_wheel_task: package {package!r} has no entry point {name!r} and no function "
            f"{package}.{name} ({exc})"
        ) from None
    return function


def _run_sql(spec: dict[str, Any]) -> None:
    dbruntime.run_sql(spec["query"], spec.get("parameters", {}))


def _run_spark_submit(spec: dict[str, Any]) -> None:
    from _submit import run_spark_submit  # subprocess and shutil only for the tasks that need them

    run_spark_submit(spec)


def _run_dbt(spec: dict[str, Any]) -> None:
    from _dbt import run_dbt

    run_dbt(spec)


_KINDS: dict[str, Callable[[dict[str, Any]], None]] = {
    "sql": _run_sql,
    "notebook": _run_notebook,
    "file": _run_file,
    "entry_point": _run_entry_point,
    "spark_submit": _run_spark_submit,
    "dbt": _run_dbt,
}

if __name__ == "__main__":
    sys.exit(main())
