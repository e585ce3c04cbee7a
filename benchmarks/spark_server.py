"""Local workspace Spark Connect server: its start and its first catalog answer, fresh and after a restart.

Each round starts `SparkServer` on an empty data dir, asks the Connect server for `SHOW TABLES` (the first
use of the metastore), stops it, then starts it again on the same dir (the restart a workspace does) and
asks again. The figures are wall seconds from spawning the JVM to the gRPC port listening, and to the first
catalog answer. Run the same script against another tree with `PYTHONPATH=<tree>/src` to compare.

Run: `.venv/bin/python benchmarks/spark_server.py [--rounds 2]` (needs the spark extra; prints seconds).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import tempfile
import time
from pathlib import Path

from prefect_databricks.local.spark.server import SparkServer


def _start_and_first_catalog_answer(data_dir: Path) -> tuple[float, float]:
    """Seconds to the server listening, and to its first `SHOW TABLES` answer, then stop it."""
    from pyspark.sql import SparkSession

    server = SparkServer(data_dir)
    started = time.monotonic()
    try:
        remote = server.remote()
        listening = time.monotonic() - started
        spark = SparkSession.builder.remote(remote).getOrCreate()
        spark.sql("SHOW TABLES IN default").collect()
        answered = time.monotonic() - started
        spark.stop()
    finally:
        server.stop()
    return listening, answered


def main() -> None:
    """Print, a round, the fresh and the restarted start and first-answer seconds, with the load."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    options = parser.parse_args()
    if importlib.util.find_spec("pyspark") is None:
        print("spark server: needs the spark extra")
        return
    for index in range(options.rounds):
        with tempfile.TemporaryDirectory() as work:
            load = os.getloadavg()[0]
            fresh = _start_and_first_catalog_answer(Path(work))
            again = _start_and_first_catalog_answer(Path(work))
        print(f"round {index + 1} (load {load:.1f}): fresh dir: listening {fresh[0]:5.1f} s, first catalog "
              f"answer {fresh[1]:5.1f} s; restart: listening {again[0]:5.1f} s, first answer "
              f"{again[1]:5.1f} s")


if __name__ == "__main__":
    main()
