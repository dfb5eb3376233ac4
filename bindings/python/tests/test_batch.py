"""evaluate_many: every kind of input, error rows, order, the DataFrame's shape."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest

import earlyhelp


def test_a_list_of_dicts(sf, families):
    frame = sf.evaluate_many(families[:300])
    assert isinstance(frame, pd.DataFrame)
    assert list(frame.columns) == ["id", "eligible", "headlines", "needs", "missing", "error"]
    assert len(frame) == 300
    assert list(frame["id"]) == [f["id"] for f in families[:300]]
    assert str(frame["eligible"].dtype) == "boolean"
    assert frame["error"].isna().all()
    # Each row is what evaluate gives.
    for i in (0, 7, 299):
        d = sf.evaluate(families[i])
        row = frame.iloc[i]
        assert (None if pd.isna(row["eligible"]) else bool(row["eligible"])) == d.outputs["eligible"]
        assert row["headlines"] == d.outputs["headlines"]
        assert row["needs"] == d.outputs["needs"]
        assert row["missing"] == d.missing


def test_every_input_form_gives_the_same_frame(sf, families, families_path):
    records = families[:500]
    from_list = sf.evaluate_many(records)
    path = families_path
    from_path = sf.evaluate_many(path).iloc[:500]
    from_str_path = sf.evaluate_many(str(path)).iloc[:500]
    from_texts = sf.evaluate_many([json.dumps(r) for r in records])
    from_generator = sf.evaluate_many(r for r in records)
    from_tuple = sf.evaluate_many(tuple(records))
    from_frame = sf.evaluate_many(pd.DataFrame(records))
    for other in (from_path, from_str_path, from_texts, from_generator, from_tuple, from_frame):
        pd.testing.assert_frame_equal(other.reset_index(drop=True), from_list)


def test_a_pyarrow_table(sf, families):
    pa = pytest.importorskip("pyarrow")
    records = families[:200]
    table = pa.Table.from_pylist(records)
    from_table = sf.evaluate_many(table)
    pd.testing.assert_frame_equal(from_table, sf.evaluate_many(records))
    # Arrow fills absent fields with nulls: unknown, as absent is.
    assert from_table["error"].isna().all()
    batch = table.to_batches()[0]
    assert len(sf.evaluate_many(batch)) == batch.num_rows


def test_a_dataframe_keeps_its_index_and_reads_holes_as_unknown(attendance):
    frame = pd.DataFrame(
        {"id": ["a", "b", "c"], "attendance_pct": [80.0, math.nan, 95.0], "name": ["x", None, pd.NA]},
        index=[10, 20, 30],
    )
    out = attendance.evaluate_many(frame)
    assert list(out.index) == [10, 20, 30]
    assert list(out["persistent_absence"].astype(object).where(out["persistent_absence"].notna(), None)) == [
        True,
        None,
        False,
    ]
    assert out.loc[20, "missing"] == ["attendance_pct", "name"]
    assert out["error"].isna().all()


def test_a_dataframe_with_dates_and_nested_columns(sf, families):
    frame = pd.DataFrame(families[:50])
    frame["assessment_date"] = pd.to_datetime(frame["assessment_date"])  # Timestamps at midnight
    pd.testing.assert_frame_equal(sf.evaluate_many(frame), sf.evaluate_many(families[:50]))


def test_bad_records_are_error_rows_and_the_others_are_kept(sf, families):
    records = [families[0], {"id": "BAD1", "assessment_date": 7, "members": []}, families[1], 42,
               {"id": "BAD2", "members": [{"id": "P1", "role": "parent_carer", "x": math.nan}],
                "assessment_date": "2024-01-01"},
               "{not json", families[2], {"id": "BAD3", "x": {1, 2}}]
    frame = sf.evaluate_many(records)
    assert len(frame) == len(records)
    errors = list(frame["error"])
    assert list(frame["error"].isna()) == [True, False, True, False, False, False, True, False]
    # An error names the record's position, as a file's error names its line.
    assert errors[1].startswith("line 2: assessment_date: ")
    assert frame["id"][1] == "BAD1"
    assert "not int" in errors[3]
    assert "members[0].x: nan is not a JSON number" in errors[4] and frame["id"][4] == "BAD2"
    assert "not valid JSON" in errors[5]
    assert "x: a set has no JSON form" in errors[7] and frame["id"][7] == "BAD3"
    assert frame["missing"][1] == [] and pd.isna(frame["eligible"][1])
    assert frame["id"][6] == families[2]["id"] and pd.isna(frame["error"][6])


def test_a_jsonl_file_with_bad_lines(sf, families, tmp_path):
    path = tmp_path / "mixed.jsonl"
    lines = [json.dumps(families[0]), "", "{oops", json.dumps({"id": "X", "members": []}), json.dumps(families[1])]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    frame = sf.evaluate_many(path)
    assert len(frame) == 5
    assert frame["error"][1] == "line 2: empty line"
    assert frame["error"][2].startswith("line 3: not valid JSON")
    assert frame["error"][3].startswith("line 4: ") and frame["id"][3] == "X"
    assert frame["error"][[0, 4]].isna().all()


def test_a_json_array_file(sf, families, tmp_path):
    path = tmp_path / "families.json"
    path.write_text(json.dumps(families[:20], indent=2), encoding="utf-8")
    pd.testing.assert_frame_equal(sf.evaluate_many(path), sf.evaluate_many(families[:20]))


def test_explain_adds_an_explanation_column(sf, families):
    frame = sf.evaluate_many(families[:5] + [17], explain=True)
    assert frame.columns[-1] == "explanation"
    assert frame["explanation"][0] == sf.evaluate(families[0]).explanation
    assert frame["explanation"][5] is None
    assert frame["error"][5].startswith("line 6: a record is a dict")


def test_the_explanation_column_starts_with_the_first_explained_row(sf, families):
    # Failed rows fill a whole first chunk (2,048 rows) before the first row with an explanation.
    frame = sf.evaluate_many([17] * 2050 + families[:2], explain=True)
    assert frame["explanation"][:2050].isna().all()
    assert frame["explanation"][2051] == sf.evaluate(families[1], explain=True).explanation
    only_failures = sf.evaluate_many([17, 18], explain=True)
    assert "explanation" not in only_failures.columns


def test_as_at(sf, families):
    frame = sf.evaluate_many(families[:100], as_at="2023-01-02")
    for i in (0, 50, 99):
        expected = sf.evaluate(families[i], as_at="2023-01-02")["eligible"]
        got = frame["eligible"][i]
        assert (None if pd.isna(got) else bool(got)) == expected
    with pytest.raises(ValueError):
        sf.evaluate_many(families[:3], as_at="not a date")


def test_empty_input(sf):
    frame = sf.evaluate_many([])
    assert len(frame) == 0
    assert list(frame.columns) == ["id", "eligible", "headlines", "needs", "missing", "error"]


def test_more_than_one_chunk_keeps_order(attendance):
    records = [{"id": f"C{i}", "attendance_pct": i % 100} for i in range(10_000)]
    frame = attendance.evaluate_many(records)
    assert list(frame["id"]) == [r["id"] for r in records]
    assert list(frame["persistent_absence"]) == [r["attendance_pct"] < 90 for r in records]


@pytest.mark.parametrize("bad", [42, None, b"families.jsonl", {"id": "F1"}])
def test_wrong_types(sf, bad):
    with pytest.raises(TypeError):
        sf.evaluate_many(bad)


def test_missing_file(sf, tmp_path):
    with pytest.raises(FileNotFoundError) as caught:
        sf.evaluate_many(tmp_path / "nowhere.jsonl")
    assert "no such file" in str(caught.value)
    with pytest.raises(OSError):
        sf.evaluate_many(tmp_path)  # a folder


def test_an_iterator_that_raises_stops_with_its_error(sf, families):
    def records():
        yield families[0]
        raise RuntimeError("the source broke")

    with pytest.raises(RuntimeError, match="the source broke"):
        sf.evaluate_many(records())
    # and the policy still works afterwards
    assert len(sf.evaluate_many(families[:3])) == 3


def test_a_record_whose_mapping_raises_is_an_error_row(attendance):
    from collections.abc import Mapping

    class Flaky(Mapping):
        def __getitem__(self, k):
            raise KeyError(k)

        def __iter__(self):
            raise RuntimeError("cannot list the fields")

        def __len__(self):
            return 1

    frame = attendance.evaluate_many([{"id": "C1", "attendance_pct": 3}, Flaky(), {"id": "C3"}])
    assert pd.isna(frame["error"][0]) and pd.isna(frame["error"][2])
    assert "cannot list the fields" in frame["error"][1]


def test_a_decision_called_like_a_meta_column(tmp_path):
    policy = earlyhelp.Policy.from_str(
        'policy p { version "1" }\nrecord R { id: text required }\ninput r: R\ndecision error = r.id = "x"\n'
    )
    frame = policy.evaluate_many([{"id": "x"}, {"id": "y"}])
    assert list(frame.columns) == ["id", "error", "missing", "_error"]
    assert list(frame["error"]) == [True, False]


def test_jobs_sets_the_threads_and_not_the_answers(sf, families, families_path):
    expected = sf.evaluate_many(families[:300])
    for jobs in (1, 3):
        pd.testing.assert_frame_equal(sf.evaluate_many(families[:300], jobs=jobs), expected)
        pd.testing.assert_frame_equal(sf.evaluate_many(families_path, jobs=jobs).iloc[:300], expected)
    # 0 means one thread per core, as None does (and as `earlyhelp eval --jobs 0`).
    pd.testing.assert_frame_equal(sf.evaluate_many(families[:300], jobs=0), expected)
    with pytest.raises(ValueError):
        sf.evaluate_many(families[:3], jobs=-1)
    with pytest.raises(TypeError):
        sf.evaluate_many(families[:3], jobs="all")


def test_yes_no_columns_are_nullable_booleans_built_from_the_engine(attendance):
    frame = attendance.evaluate_many([{"id": "a", "attendance_pct": 10}, {"id": "b"}, 7, {"id": "c", "attendance_pct": 99}])
    column = frame["persistent_absence"]
    assert str(column.dtype) == "boolean"
    assert column.isna().tolist() == [False, True, True, False]
    assert column.fillna(False).tolist() == [True, False, False, False]
    column[0] = False  # an ordinary, writable pandas column
    assert frame["name"].tolist() == [None, None, None, None]


def test_lines_that_are_not_utf8_are_error_rows(sf, families, tmp_path):
    good = json.dumps(families[0]).encode("utf-8")
    path = tmp_path / "latin1.jsonl"
    path.write_bytes(good + b"\n" + b'{"id": "caf\xe9"}\n' + good + b"\n")
    frame = sf.evaluate_many(path)
    assert list(frame["error"].isna()) == [True, False, True]
    assert frame["error"][1] == "line 2: the line is not UTF-8 text"
    # A file whose first line opens a document that never closes, with bytes that are not UTF-8
    # further on, is read line by line: every line is a row, none is lost.
    path.write_bytes(b"{\n" + b"\x80\n" + good + b"\n")
    frame = sf.evaluate_many(path)
    assert len(frame) == 3 and frame["error"][1] == "line 2: the line is not UTF-8 text"
    assert pd.isna(frame["error"][2]) and frame["id"][2] == families[0]["id"]


def test_dataframe_rows_are_the_records_to_dict_gives():
    from earlyhelp._frames import _rows_of_dataframe

    frame = pd.DataFrame(
        {
            "id": ["a", "b", "c"],
            "n": pd.array([1, None, 3], dtype="Int64"),
            "flag": pd.array([True, None, False], dtype="boolean"),
            "when": pd.to_datetime(["2024-01-01", None, "2024-03-01"]),
            "x": [1.5, math.nan, 2.0],
            "nested": [{"a": [1]}, None, []],
        }
    )
    ours, theirs = list(_rows_of_dataframe(frame, size=2)), frame.to_dict("records")
    assert len(ours) == len(theirs) == 3
    def hole(v) -> bool:  # None, NaN, NaT, pd.NA: all read as unknown
        return v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and math.isnan(v))

    for a, b in zip(ours, theirs):
        assert list(a) == list(b)
        for k in a:
            assert (hole(a[k]) and hole(b[k])) or (type(a[k]) is type(b[k]) and a[k] == b[k]), (k, a[k], b[k])
    # Rows without columns are still records: every one gets a row.
    assert list(_rows_of_dataframe(pd.DataFrame(index=range(3)))) == [{}, {}, {}]
