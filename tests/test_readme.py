"""The README's two commands are exactly what CI runs, so they stay true."""

from __future__ import annotations

import re
from pathlib import Path

_ROOT = Path(__file__).parents[1]


def _readme_commands() -> list[str]:
    blocks = re.findall(r"```bash\n(.*?)\n```", (_ROOT / "README.md").read_text(), flags=re.S)
    return blocks[:2]


def test_readme_states_the_main_job_then_the_tests() -> None:
    main_job, tests = _readme_commands()
    assert main_job.endswith("prefect-databricks demo")
    assert tests.endswith("python -m pytest")


def test_ci_runs_the_readme_commands_verbatim() -> None:
    ci_lines = (_ROOT / ".ci" / "run").read_text().splitlines()
    for command in _readme_commands():
        assert command in ci_lines
