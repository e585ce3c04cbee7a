"""The progress view: a live table on a terminal, one line per task state change elsewhere (no server)."""

from __future__ import annotations

import io
from typing import Any

from rich.console import Console

from prefect_databricks.cli.progress import ProgressView
from prefect_databricks.cli.view import output_text


def _run(*states: tuple[str, str]) -> dict[str, Any]:
    tasks = [
        {"task_key": key, "attempt_number": 0, "state": {"life_cycle_state": life}} for key, life in states
    ]
    return {"run_id": 7, "run_page_url": "http://127.0.0.1:1/#job/1/run/7", "tasks": tasks, "state": {}}


def test_a_pipe_gets_one_line_per_change_never_per_poll() -> None:
    buffer = io.StringIO()
    with ProgressView(Console(file=buffer, width=120), 7) as view:
        view.update(_run(("a", "PENDING")))
        view.update(_run(("a", "PENDING")))
        view.update(_run(("a", "RUNNING"), ("b", "PENDING")))
    lines = buffer.getvalue().splitlines()
    assert lines[0] == "Run 7: http://127.0.0.1:1/#job/1/run/7"
    assert [line.split("  ", 1)[1] for line in lines[1:]] == ["a  PENDING", "a  RUNNING", "b  PENDING"]


def test_a_terminal_gets_a_live_table_that_goes_away() -> None:
    buffer = io.StringIO()
    terminal = Console(file=buffer, width=100, force_terminal=True, color_system=None)
    with ProgressView(terminal, 7) as view:
        view.update(_run(("extract", "RUNNING")))
    shown = buffer.getvalue()
    assert "Run 7: http://127.0.0.1:1/#job/1/run/7" in shown
    assert "extract" in shown and "RUNNING" in shown


def test_output_text_prefers_the_notebook_result_then_the_error() -> None:
    assert output_text({"output": {"notebook_output": {"result": "12 rows"}, "logs": "x"}}) == "12 rows"
    assert output_text({"output": {"error": "ValueError: bad", "logs": "a\nb"}}) == "ValueError: bad"
    assert output_text({"output": {"logs": "first\nlast line\n"}}) == "last line"
    assert output_text({"condition_task": {"outcome": "true"}}) == "outcome: true"
