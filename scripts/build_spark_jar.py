"""Builds the local workspace's Spark jar from its Java sources, or checks the shipped jar matches them.

The jar (`local/spark/prefect-databricks-spark.jar`) is shipped in the package, so a machine with only a
Java runtime (no javac) still gets it; this script is how it is made, with the JDK. The zip is written
with fixed timestamps and sorted entries, so one source and one javac give one jar.

Run: `.venv/bin/python scripts/build_spark_jar.py` (write) or `--check` (exit 1 when the shipped jar's
classes differ from a fresh compile of the sources).
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

SPARK_DIR = Path(__file__).resolve().parents[1] / "src" / "prefect_databricks" / "local" / "spark"
SOURCES = SPARK_DIR / "java"
JAR = SPARK_DIR / "prefect-databricks-spark.jar"
_MANIFEST = b"Manifest-Version: 1.0\r\nCreated-By: scripts/build_spark_jar.py\r\n\r\n"
_EPOCH = (1980, 1, 1, 0, 0, 0)


def compiled_classes() -> dict[str, bytes]:
    """Every class of the sources, compiled for Java 17 against pyspark's jars: entry name → bytes."""
    spec = importlib.util.find_spec("pyspark")
    if spec is None or spec.origin is None:
        sys.exit("building the Spark jar needs pyspark: pip install 'prefect-databricks[spark]'")
    jars = Path(spec.origin).parent / "jars"
    sources = sorted(str(path) for path in SOURCES.rglob("*.java"))
    if not sources:
        sys.exit(f"no Java sources under {SOURCES}")
    with tempfile.TemporaryDirectory() as out:
        subprocess.run(
            ["javac", "--release", "17", "-nowarn", "-cp", f"{jars}/*", "-d", out, *sources], check=True,
        )
        return {
            path.relative_to(out).as_posix(): path.read_bytes() for path in sorted(Path(out).rglob("*.class"))
        }


def shipped_classes() -> dict[str, bytes]:
    """The classes in the shipped jar (empty when there is none)."""
    if not JAR.is_file():
        return {}
    with zipfile.ZipFile(JAR) as jar:
        return {name: jar.read(name) for name in jar.namelist() if name.endswith(".class")}


def write(classes: dict[str, bytes]) -> None:
    """The jar: the manifest, then the classes in name order, every entry dated 1980-01-01."""
    with zipfile.ZipFile(JAR, "w", zipfile.ZIP_DEFLATED) as jar:
        jar.writestr(zipfile.ZipInfo("META-INF/MANIFEST.MF", _EPOCH), _MANIFEST, zipfile.ZIP_DEFLATED)
        for name in sorted(classes):
            jar.writestr(zipfile.ZipInfo(name, _EPOCH), classes[name], zipfile.ZIP_DEFLATED)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    args = parser.parse_args()
    classes = compiled_classes()
    if not args.check:
        write(classes)
        print(f"wrote {JAR} ({len(classes)} classes)")
        return
    shipped = shipped_classes()
    stale = sorted(name for name in classes.keys() | shipped.keys() if classes.get(name) != shipped.get(name))
    if stale:
        sys.exit(f"{JAR.name} differs from its sources ({', '.join(stale)}): run scripts/build_spark_jar.py")
    print(f"{JAR.name} matches its sources ({len(classes)} classes)")


if __name__ == "__main__":
    main()
