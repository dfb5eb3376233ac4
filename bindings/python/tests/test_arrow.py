"""Arrow and polars in and out of ``evaluate_many``: read in Rust, the same rows as ``earlyhelp
eval``, proper Arrow types out, bad rows as error rows, and policies that pickle as their files."""

from __future__ import annotations

import datetime
import decimal
import json
import pickle

import pandas as pd
import pyarrow as pa
import pytest

import earlyhelp
from conftest import POLICIES, SF, run_cli

EARLY_EDUCATION = POLICIES / "early-education-two-year-olds" / "early-education-two-year-olds.policy"
AREA = POLICIES / "area-deprivation" / "area-deprivation.policy"


def cli_rows(cli, policy_path, path):
    out = run_cli(cli, "eval", str(policy_path), "--records", str(path), check=False)
    return [json.loads(line) for line in out.stdout.splitlines()]


def as_json(value, ty):
    """An Arrow cell (as ``to_pylist`` gives it) in the JSON shape ``earlyhelp eval`` writes."""
    if value is None:
        return None
    if pa.types.is_map(ty):
        return {k: as_json(v, ty.item_type) for k, v in value}
    if pa.types.is_list(ty):
        return [as_json(v, ty.value_type) for v in value]
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def rows_of(table: pa.Table, policy: earlyhelp.Policy):
    """The table's rows as eval's rows: ``{id, outputs, missing}`` or ``{id, error}``."""
    names = [d.name for d in policy.decisions]
    out = []
    for row in table.to_pylist():
        if row["error"] is not None:
            out.append({"id": row["id"], "error": row["error"]})
            continue
        outputs = {n: as_json(row[n], table.schema.field(n).type) for n in names}
        out.append({"id": row["id"], "outputs": outputs, "missing": row["missing"]})
    return out


def eval_rows(rows, with_line=True):
    """eval's rows in the same shape (an error carries its line, as the ``error`` column)."""
    out = []
    for r in rows:
        if "error" in r:
            error = f"line {r['line']}: {r['error']}" if with_line else r["error"]
            out.append({"id": r["id"], "error": error})
        else:
            out.append({"id": r["id"], "outputs": r["outputs"], "missing": r["missing"]})
    return out


def same(ours, theirs):
    assert len(ours) == len(theirs)
    for i, (a, b) in enumerate(zip(ours, theirs)):
        # Numbers: exact decimals in JSON, doubles in Arrow.
        assert json.loads(json.dumps(a), parse_float=float) == json.loads(json.dumps(b), parse_float=float), f"row {i}"


@pytest.fixture(scope="module")
def with_errors(families_path, tmp_path_factory):
    """The families, with some lines that are not records (so error rows are compared too)."""
    lines = families_path.read_text(encoding="utf-8").splitlines()[:600]
    lines[5] = '{"id": "BROKEN", "members": 3}'
    lines[9] = "{"
    lines[12] = "[1, 2]"
    path = tmp_path_factory.mktemp("arrow") / "with-errors.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_json_column_gives_exactly_the_rows_of_eval(sf, with_errors, cli):
    lines = with_errors.read_text(encoding="utf-8").splitlines()
    table = pa.table({"record": lines})
    got = sf.evaluate_many(table, output="arrow")
    assert isinstance(got, pa.Table)
    same(rows_of(got, sf), eval_rows(cli_rows(cli, SF, with_errors)))
    assert got.num_rows == len(lines)
    assert got.column("error").null_count == len(lines) - 3


@pytest.mark.parametrize("policy_path", [SF, EARLY_EDUCATION, AREA], ids=lambda p: p.stem)
def test_nested_records_give_the_decisions_of_eval(policy_path, families_path, cli):
    policy = earlyhelp.Policy.from_file(policy_path)
    lines = families_path.read_text(encoding="utf-8").splitlines()[:500]
    table = pa.Table.from_pylist([json.loads(line) for line in lines])
    assert pa.types.is_struct(table.schema.field("members").type.value_type)
    got = policy.evaluate_many(table, output="arrow", as_at="2024-06-01")
    small = families_path.parent / f"small-{policy_path.stem}.jsonl"
    small.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = run_cli(cli, "eval", str(policy_path), "--records", str(small), "--as-at", "2024-06-01", check=False)
    same(rows_of(got, policy), eval_rows([json.loads(line) for line in out.stdout.splitlines()]))


def test_decisions_have_proper_arrow_types(families_path):
    policy = earlyhelp.Policy.from_file(EARLY_EDUCATION)
    table = pa.Table.from_pylist([json.loads(line) for line in families_path.read_text(encoding="utf-8").splitlines()[:50]])
    got = policy.evaluate_many(table, output="arrow", as_at="2024-06-01")
    schema = got.schema
    assert schema.names == ["id", "eligible_children", "eligible", "funded_from", "funded_until", "routes", "missing", "error"]
    assert schema.field("eligible").type == pa.bool_()
    assert schema.field("eligible_children").type == pa.list_(pa.string())
    assert schema.field("funded_from").type == pa.map_(pa.string(), pa.date32())
    assert schema.field("routes").type == pa.list_(pa.string())
    assert schema.field("missing").type == pa.list_(pa.string())
    assert schema.field("error").type == pa.string()
    # Undetermined is null, not false.
    sf = earlyhelp.Policy.from_file(SF)
    undetermined = json.loads((POLICIES / "examples" / "undetermined-family.json").read_text(encoding="utf-8"))
    row = sf.evaluate_many(pa.Table.from_pylist([undetermined]), output="arrow").to_pylist()[0]
    assert row["eligible"] is None and row["missing"]


def test_numbers_and_dates_keep_their_values(attendance):
    policy = earlyhelp.Policy.from_str(
        """
policy kinds { version "1" }
record Child { id: text required, attendance_pct: percent, date_of_birth: date, savings: money }
input child: Child
decision pct = child.attendance_pct
decision born = child.date_of_birth
decision savings = child.savings
""",
        "kinds.policy",
    )
    table = pa.table(
        {
            "id": ["A", "B"],
            "attendance_pct": pa.array([89.99, None], pa.float32()),
            "date_of_birth": pa.array([datetime.date(2015, 1, 14), None], pa.date32()),
            "savings": pa.array([decimal.Decimal("1234.56"), decimal.Decimal("0.10")], pa.decimal128(10, 2)),
        }
    )
    got = policy.evaluate_many(table, output="arrow")
    assert got.schema.field("pct").type == pa.float64()
    assert got.schema.field("born").type == pa.date32()
    assert got.column("pct").to_pylist() == [89.99, None]  # a float32's own digits, not 89.98999786
    assert got.column("born").to_pylist() == [datetime.date(2015, 1, 14), None]
    assert got.column("savings").to_pylist() == [1234.56, 0.1]
    assert got.column("missing").to_pylist() == [[], ["attendance_pct", "date_of_birth"]]


def test_a_cell_with_no_json_form_is_an_error_row_naming_the_path(attendance):
    table = pa.table(
        {
            "id": ["A", "B", "C"],
            "attendance_pct": [85.0, float("nan"), 95.0],
            "photo": pa.array([None, None, b"\x00"], pa.binary()),
        }
    )
    rows = attendance.evaluate_many(table, output="arrow").to_pylist()
    assert [r["id"] for r in rows] == ["A", "B", "C"]
    assert rows[0]["persistent_absence"] is True and rows[0]["error"] is None
    assert rows[1]["error"] == "line 2: attendance_pct: nan is not a JSON number"
    assert rows[2]["error"] == "line 3: photo: an Arrow Binary has no JSON form"
    # The pandas result of the same table agrees.
    frame = attendance.evaluate_many(table)
    assert [None if pd.isna(e) else e for e in frame["error"]] == [None, rows[1]["error"], rows[2]["error"]]


def test_pandas_and_arrow_results_agree(sf, with_errors):
    lines = with_errors.read_text(encoding="utf-8").splitlines()
    records = [line for line in lines]
    frame = sf.evaluate_many(records, outside_in_force=True)
    table = sf.evaluate_many(records, output="arrow", outside_in_force=True)
    assert list(frame.columns) == table.schema.names
    assert "outside_in_force" in frame.columns
    as_frame = table.to_pandas()
    for name in ("id", "error"):
        assert list(frame[name].where(frame[name].notna(), None)) == list(as_frame[name].where(as_frame[name].notna(), None))
    ours = [None if pd.isna(x) else bool(x) for x in frame["eligible"]]
    assert ours == table.column("eligible").to_pylist()
    assert [list(m) for m in frame["missing"]] == table.column("missing").to_pylist()


def test_polars_in_and_out(sf, families_path):
    pl = pytest.importorskip("polars")
    lines = families_path.read_text(encoding="utf-8").splitlines()[:300]
    nested = pl.DataFrame([json.loads(line) for line in lines], infer_schema_length=None)
    got = sf.evaluate_many(nested, output="polars")
    assert isinstance(got, pl.DataFrame)
    expected = sf.evaluate_many(pa.table({"record": lines}), output="arrow")
    assert got.equals(pl.from_arrow(expected))
    assert got.schema["eligible"] == pl.Boolean and got.schema["needs"] == pl.List(pl.String)
    # One column of JSON texts, in polars.
    texts = sf.evaluate_many(pl.DataFrame({"json": lines}), output="polars")
    assert texts.equals(got)


def test_a_policy_pickles_as_its_files():
    policy = earlyhelp.Policy.from_file(AREA)
    names = [name for name, _ in policy._sources()]
    assert names[0].endswith("area-deprivation.policy")
    assert any(n.endswith("shared/family-record.policy") for n in names)
    assert any(n.endswith("deprivation.rhai") for n in names)
    back = pickle.loads(pickle.dumps(policy))
    assert back.content_hash == policy.content_hash
    record = (POLICIES / "area-deprivation" / "examples" / "leeds-family.json").read_text(encoding="utf-8")
    assert back.evaluate(record).to_json() == policy.evaluate(record).to_json()
