"""Upload a notebook, submit a one-time run of it (no job is created) and collect its output.

    export DATABRICKS_HOST=… DATABRICKS_TOKEN=…
    python examples/submit_notebook.py "the quick brown fox"

The notebook goes to the workspace through the Workspace API. On a real workspace without
serverless compute for notebooks, pass a cluster, e.g. `compute={"existing_cluster_id": "0123-…"}`.
"""

from __future__ import annotations

import asyncio
import base64
import sys
from pathlib import Path
from typing import Any

from prefect import flow

from prefect_databricks import DatabricksCredentials
from prefect_databricks.flows import jobs_runs_submit_and_wait_for_completion

NOTEBOOK = Path(__file__).parent / "notebooks" / "word_count.py"
FOLDER = "/Shared/prefect-databricks-examples"


async def upload_notebook(credentials: DatabricksCredentials, source: Path, folder: str) -> str:
    """Import a Python source notebook into `folder`; returns its workspace path."""
    client = credentials.get_jobs_client()
    path = f"{folder}/{source.stem}"
    await client.call("workspace/mkdirs", params={"path": folder})
    content = base64.b64encode(source.read_bytes()).decode()
    body = {"path": path, "content": content, "format": "SOURCE", "language": "PYTHON", "overwrite": True}
    await client.call("workspace/import", params=body)
    return path


@flow(log_prints=True)
async def count_words(
    text: str,
    credentials: DatabricksCredentials | None = None,
    compute: dict[str, Any] | None = None,
) -> int:
    """Run the word-count notebook once on `text` and return the count it exits with."""
    credentials = credentials or DatabricksCredentials.from_env()
    path = await upload_notebook(credentials, NOTEBOOK, FOLDER)
    task = {
        "task_key": "count",
        "notebook_task": {"notebook_path": path, "base_parameters": {"text": text}},
        **(compute or {}),
    }
    outputs = await jobs_runs_submit_and_wait_for_completion(
        credentials, tasks=[task], run_name="word count", poll_frequency_seconds=5
    )
    count = int(outputs["count"]["result"])
    print(f"{count} words")
    return count


if __name__ == "__main__":
    print(asyncio.run(count_words(" ".join(sys.argv[1:]) or "hello prefect and databricks")))
