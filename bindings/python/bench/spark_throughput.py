"""Families per second of ``earlyhelp.spark.evaluate`` on ``local[2]`` against ``earlyhelp eval``
on the same families and the same machine (the figures of docs/spark.md).

    python bindings/python/bench/spark_throughput.py [--families 100000] [--cli target/release/earlyhelp]

Writes the families with ``earlyhelp synth`` into a scratch folder, then times, best of
``--repeat``: the command line (``earlyhelp eval POLICY --records FILE --jobs 2 > /dev/null``),
Spark over a JSON text column and Spark over nested structs (``spark.read.json``; the table is
cached first, so reading and inferring the schema are not counted). Prints a Markdown table and
the load average. Build the command line first: ``cargo build --release -p earlyhelp-cli``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import earlyhelp
import earlyhelp.spark

ROOT = Path(__file__).resolve().parents[3]
POLICY = ROOT / "policies" / "supporting-families" / "supporting-families.policy"


def best(run, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--families", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--cli", default=str(ROOT / "target" / "release" / "earlyhelp"))
    args = parser.parse_args()

    from pyspark.sql import SparkSession

    folder = Path(tempfile.mkdtemp(prefix="earlyhelp-spark-bench-"))
    path = earlyhelp.synth(args.families, seed=1, path=folder / "families.jsonl")
    policy = earlyhelp.Policy.from_file(POLICY)
    n = args.families

    def cli() -> None:
        with open(os.devnull, "w") as null:
            subprocess.run(
                [args.cli, "eval", str(POLICY), "--records", str(path), "--jobs", "2"], stdout=null, check=False
            )

    os.environ["PYSPARK_PYTHON"] = sys.executable
    spark = (
        SparkSession.builder.master("local[2]")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.memory", "2g")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    texts = spark.read.text(str(path)).cache()
    texts.count()
    nested = spark.read.json(str(path)).cache()
    nested.count()

    def spark_json() -> None:
        earlyhelp.spark.evaluate(texts, policy, json_column="value").write.format("noop").mode("overwrite").save()

    def spark_nested() -> None:
        earlyhelp.spark.evaluate(nested, policy).write.format("noop").mode("overwrite").save()

    spark_json()  # warm the Python workers (they load the policy once)
    rows = [
        ("`earlyhelp eval --jobs 2`", best(cli, args.repeat)),
        ("Spark `local[2]`, JSON text column", best(spark_json, args.repeat)),
        ("Spark `local[2]`, nested structs", best(spark_nested, args.repeat)),
    ]
    spark.stop()
    load = os.getloadavg()
    print(f"{n:,} families, best of {args.repeat}; load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}\n")
    print("| | seconds | families/s | time vs eval |")
    print("|---|---:|---:|---:|")
    for name, seconds in rows:
        print(f"| {name} | {seconds:.2f} | {n / seconds:,.0f} | {seconds / rows[0][1]:.1f}× |")


if __name__ == "__main__":
    main()
