"""``earlyhelp.spark.evaluate`` on a real local Spark (``local[2]``, the machine's Java): the rows
are exactly those ``earlyhelp eval`` gives for the same file, from a JSON column or from nested
structs, with a policy that imports shared files and calls a rhai script (shipped to the
executors as its files)."""

from __future__ import annotations

import json
import os
import shutil
import sys

import pytest

import earlyhelp
from conftest import POLICIES, SF, run_cli

AREA = POLICIES / "area-deprivation" / "area-deprivation.policy"

if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
    pytest.skip("Spark tests skipped: no Java on this machine (install Java 17 to run them)", allow_module_level=True)

pyspark = pytest.importorskip("pyspark", reason="pyspark is pinned in requirements-test.txt")
import earlyhelp.spark  # noqa: E402


@pytest.fixture(scope="session")
def spark():
    from pyspark.sql import SparkSession

    # The executors' Python is this one, where earlyhelp is installed.
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    session = (
        SparkSession.builder.master("local[2]")
        .appName("earlyhelp-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.driver.memory", "1g")
        # Small Arrow batches: a partition's rows arrive in several batches.
        .config("spark.sql.execution.arrow.maxRecordsPerBatch", "128")
        .getOrCreate()
    )
    yield session
    session.stop()


@pytest.fixture(scope="module")
def families(tmp_path_factory, cli):
    """Families written by `earlyhelp synth` (some outside the policy's dates: error rows), with
    lines that are no records among them."""
    folder = tmp_path_factory.mktemp("spark")
    path = folder / "families.jsonl"
    run = run_cli(cli, "synth", "--families", "700", "--seed", "5")
    lines = run.stdout.splitlines()
    lines[3] = "{"
    lines[40] = '{"id": "BROKEN", "members": 3}'
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def eval_rows(cli, policy_path, path):
    out = run_cli(cli, "eval", str(policy_path), "--records", str(path), check=False)
    rows = []
    for line in out.stdout.splitlines():
        r = json.loads(line)
        if "error" in r:
            rows.append({"id": r["id"], "error": r["error"]})
        else:
            rows.append({"id": r["id"], "outputs": r["outputs"], "missing": r["missing"]})
    return rows


def spark_rows(df, policy):
    """Collected rows in eval's shape (Spark gives maps as dicts, dates as dates)."""
    names = [d.name for d in policy.decisions]

    def plain(v):
        if isinstance(v, dict):
            return {k: plain(x) for k, x in v.items()}
        if isinstance(v, list):
            return [plain(x) for x in v]
        if hasattr(v, "isoformat"):
            return v.isoformat()
        return v

    rows = []
    for r in df.collect():
        d = r.asDict()
        if d["error"] is not None:
            rows.append({"id": d["id"], "error": d["error"]})
        else:
            rows.append({"id": d["id"], "outputs": {n: plain(d[n]) for n in names}, "missing": d["missing"]})
    return rows


def normal(rows):
    return json.loads(json.dumps(rows), parse_float=float)


@pytest.mark.parametrize("policy_path", [SF, AREA], ids=lambda p: p.stem)
def test_a_json_column_gives_exactly_the_rows_of_eval(spark, families, cli, policy_path):
    policy = earlyhelp.Policy.from_file(policy_path)
    # `value` holds each line; `line_no` is a key column kept in front of the result.
    from pyspark.sql import functions as F

    df = spark.read.text(str(families)).withColumn("key", F.monotonically_increasing_id())
    out = earlyhelp.spark.evaluate(df, policy, json_column="value")
    assert out.columns[:2] == ["key", "id"]
    assert out.columns[-2:] == ["missing", "error"]
    got = spark_rows(out.orderBy("key"), policy)
    expected = eval_rows(cli, policy_path, families)
    assert len(got) == len(expected) == 700
    assert normal(got) == normal(expected)
    assert sum("error" in r for r in got) >= 2  # the broken lines (and families out of force)


def test_nested_structs_give_the_decisions_of_eval(spark, families, cli, tmp_path):
    lines = families.read_text(encoding="utf-8").splitlines()
    good = [line for i, line in enumerate(lines) if i not in (3, 40)]
    path = tmp_path / "good.jsonl"
    path.write_text("\n".join(good) + "\n", encoding="utf-8")
    policy = earlyhelp.Policy.from_file(SF)
    df = spark.read.json(str(path))
    assert dict(df.dtypes)["members"].startswith("array<struct<")
    out = earlyhelp.spark.evaluate(df, policy)
    got = {r["id"]: r for r in spark_rows(out, policy)}
    expected = eval_rows(cli, SF, path)
    assert len(got) == len(expected) == len(good)
    assert normal([got[r["id"]] for r in expected]) == normal(expected)


def test_the_declared_schema_and_as_at(spark, families):
    policy = earlyhelp.Policy.from_file(SF)
    df = spark.read.text(str(families))
    out = earlyhelp.spark.evaluate(df, policy, json_column="value", as_at="2024-06-01")
    types = dict(out.dtypes)
    assert types["eligible"] == "boolean"
    assert types["needs"] == "array<string>"
    assert types["missing"] == "array<string>"
    assert types["error"] == "string"
    # At a date inside the programme's window, only the two broken lines fail.
    errors = out.where("error is not null").select("error").collect()
    assert len(errors) == 2
    with pytest.raises(ValueError, match="no column"):
        earlyhelp.spark.evaluate(df, policy, json_column="record")
