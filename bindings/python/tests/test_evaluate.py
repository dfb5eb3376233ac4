"""Evaluating one record: the Decision, its explanation, and every way a record can be wrong."""

from __future__ import annotations

import datetime
import decimal
import json
import math
from collections import OrderedDict
from types import MappingProxyType

import pytest

import earlyhelp
from conftest import EXAMPLES


def example(name: str) -> dict:
    return json.loads((EXAMPLES / name).read_text(encoding="utf-8"))


def test_an_eligible_family(sf):
    d = sf.evaluate(example("eligible-family.json"))
    assert isinstance(d, earlyhelp.Decision)
    assert d.id == "F-EXAMPLE-ELIGIBLE"
    assert d.outputs["eligible"] is True
    assert d["eligible"] is True and "eligible" in d and "nope" not in d
    assert "education" in d.outputs["headlines"]
    assert d.missing == []
    assert d.as_at == datetime.date.fromisoformat(example("eligible-family.json")["assessment_date"])
    assert d.policy == {"name": "supporting_families", "version": "2.0", "hash": sf.content_hash}
    with pytest.raises(KeyError):
        d["nope"]


def test_unknown_is_none_and_missing_says_what_would_settle_it(sf):
    d = sf.evaluate(example("undetermined-family.json"))
    assert d.outputs["eligible"] is None
    assert d.missing and all(isinstance(m, str) for m in d.missing)
    assert d.missing == sorted(d.missing)
    assert "Eligible for Supporting Families: undetermined. Recording " in d.explain()
    assert "UNDETERMINED" in d.explain(trace=True)


def test_record_as_json_text_or_bytes(sf):
    text = (EXAMPLES / "eligible-family.json").read_text(encoding="utf-8")
    as_dict = sf.evaluate(json.loads(text))
    assert sf.evaluate(text).to_dict() == as_dict.to_dict()
    assert sf.evaluate(text.encode("utf-8")).to_dict() == as_dict.to_dict()
    assert sf.evaluate(bytearray(text.encode("utf-8"))).to_dict() == as_dict.to_dict()


def test_other_mappings_are_records(attendance):
    record = {"id": "C1", "attendance_pct": 80}
    plain = attendance.evaluate(record).to_dict()
    assert attendance.evaluate(OrderedDict(record)).to_dict() == plain
    assert attendance.evaluate(MappingProxyType(record)).to_dict() == plain


def test_exact_decimals(attendance):
    # 89.99 is below 90% and 90.0 is not: Python floats reach the engine as the text repr prints.
    assert attendance.evaluate({"id": "C", "attendance_pct": 89.99})["persistent_absence"] is True
    assert attendance.evaluate({"id": "C", "attendance_pct": 89.99999999999999})["persistent_absence"] is True
    assert attendance.evaluate({"id": "C", "attendance_pct": 90.0})["persistent_absence"] is False
    assert attendance.evaluate({"id": "C", "attendance_pct": 90})["persistent_absence"] is False
    assert attendance.evaluate({"id": "C", "attendance_pct": decimal.Decimal("89.999999999999999999")})[
        "persistent_absence"
    ] is True
    assert attendance.evaluate('{"id": "C", "attendance_pct": 89.999999999999999999}')["persistent_absence"] is True
    assert attendance.evaluate({"id": "C", "attendance_pct": 1e-7})["persistent_absence"] is True
    # True is not a number here (in Python it is an int).
    with pytest.raises(earlyhelp.RecordError):
        attendance.evaluate({"id": "C", "attendance_pct": True})


def test_numpy_and_date_values(attendance):
    np = pytest.importorskip("numpy")
    d = attendance.evaluate({"id": "C", "attendance_pct": np.float64(89.99), "name": np.str_("Sam")})
    assert d["persistent_absence"] is True and d["name"] == "Sam"
    d = attendance.evaluate({"id": "C", "attendance_pct": np.int64(95), "date_of_birth": datetime.date(2015, 3, 1)})
    assert d["persistent_absence"] is False
    d = attendance.evaluate({"id": "C", "attendance_pct": np.float32(80), "date_of_birth": datetime.datetime(2015, 3, 1)})
    assert d["persistent_absence"] is True


def test_as_at(sf):
    record = example("eligible-family.json")
    default = sf.evaluate(record)
    at = sf.evaluate(record, as_at="2023-01-02")
    assert at.as_at == datetime.date(2023, 1, 2)
    assert sf.evaluate(record, as_at=datetime.date(2023, 1, 2)).to_dict() == at.to_dict()
    assert sf.evaluate(record, as_at=datetime.datetime(2023, 1, 2, 15, 30)).as_at == datetime.date(2023, 1, 2)
    assert default.as_at != at.as_at
    with pytest.raises(ValueError):
        sf.evaluate(record, as_at="2023-02-30")
    with pytest.raises(ValueError):
        sf.evaluate(record, as_at="yesterday")
    with pytest.raises(TypeError):
        sf.evaluate(record, as_at=20230102)


def test_explanations(sf):
    record = example("eligible-family.json")
    d = sf.evaluate(record)
    text = d.explain()
    assert text.startswith("Eligible for Supporting Families: yes.")
    assert "Why — the needs met:" in text
    assert "groups met" in d.explain(trace=True)
    e = d.explanation
    assert set(e) == {"decisions", "groups"}
    assert e["decisions"][0]["decision"] == "eligible" and e["decisions"][0]["value"] is True
    education = next(g for g in e["groups"] if g["group"] == "education")
    assert education["met"] is True
    assert any(n["met"] is True for n in education["needs"])
    # Asked for up front, the explanation is the same and is part of to_dict().
    explained = sf.evaluate(record, explain=True)
    assert explained.explain() == text
    assert explained.explanation == e
    assert explained.to_dict()["explanation"] == e
    assert "explanation" not in d.to_dict()
    # Explaining later applies the policy at the same date.
    at = sf.evaluate(record, as_at="2023-01-02")
    assert at.explanation == sf.evaluate(record, as_at="2023-01-02", explain=True).explanation


def test_to_dict_and_to_json(sf):
    d = sf.evaluate(example("eligible-family.json"))
    row = d.to_dict()
    assert list(row) == ["id", "outputs", "missing", "as_at", "policy"]
    assert row["outputs"] == d.outputs
    assert row["as_at"] == d.as_at.isoformat()
    assert json.loads(d.to_json()) == row
    assert "\n" not in d.to_json()


def test_repr_and_html_escape_everything(attendance):
    evil = '<script>alert("x")</script>&'
    d = attendance.evaluate({"id": evil, "attendance_pct": 50, "name": evil})
    assert repr(d).startswith("<Decision ")
    html = d._repr_html_()
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert "<details" in html and "Attends less than 90% of sessions" in html
    assert "&amp;" in html


def test_html_of_a_real_family(sf):
    html = sf.evaluate(example("undetermined-family.json"))._repr_html_()
    assert "undetermined" in html and "groups met" in html and "missing" in html


def test_text_decisions(attendance):
    assert attendance.evaluate({"id": "C", "name": "Ali"}).outputs == {"persistent_absence": None, "name": "Ali"}
    assert attendance.evaluate({"id": "C"}).missing == ["attendance_pct", "name"]


# ---- records that cannot be evaluated -------------------------------------------------------


def record_error(policy, record) -> earlyhelp.RecordError:
    with pytest.raises(earlyhelp.RecordError) as caught:
        policy.evaluate(record)
    assert isinstance(caught.value, ValueError)
    return caught.value


def test_a_field_of_the_wrong_type(sf):
    record = example("eligible-family.json")
    record["members"][0]["date_of_birth"] = 1990
    e = record_error(sf, record)
    assert e.id == "F-EXAMPLE-ELIGIBLE"
    assert e.path == "members[0].date_of_birth"
    assert str(e).startswith("members[0].date_of_birth: ")
    assert "1990" not in str(e)  # names the type, never the content


def test_a_required_field_missing(sf):
    record = example("eligible-family.json")
    del record["assessment_date"]
    e = record_error(sf, record)
    assert "assessment_date" in str(e)


def test_not_json(sf):
    e = record_error(sf, '{"id": "F1", ')
    assert "not valid JSON" in str(e)
    assert "not valid JSON" in str(record_error(sf, ""))
    assert "UTF-8" in str(record_error(sf, b"\xff\xfe"))


def test_json_that_is_not_an_object(sf):
    record_error(sf, "[1, 2]")
    record_error(sf, "42")


@pytest.mark.parametrize(
    "value, words",
    [
        (math.nan, "nan is not a JSON number"),
        (math.inf, "inf is not a JSON number"),
        (-math.inf, "-inf is not a JSON number"),
        ({1, 2}, "set has no JSON form"),
        (object(), "object has no JSON form"),
        (b"bytes", "bytes are not JSON"),
        (decimal.Decimal("NaN"), "decimal NaN"),
        ({1: "a"}, "not text"),
        (1 + 2j, "complex has no JSON form"),
    ],
)
def test_values_with_no_json_form(attendance, value, words):
    e = record_error(attendance, {"id": "C9", "attendance_pct": [value]})
    assert words in str(e)
    assert e.path == "attendance_pct[0]"
    assert e.id == "C9"


def test_nesting_too_deep_and_cycles(attendance):
    deep: list = []
    for _ in range(100_000):
        deep = [deep]
    assert "nested more than" in str(record_error(attendance, {"id": "C", "x": deep}))
    cycle: dict = {"id": "C"}
    cycle["self"] = cycle
    assert "nested more than" in str(record_error(attendance, cycle))
    # JSON text nested too deep is refused by the parser, not the stack.
    assert "not valid JSON" in str(record_error(attendance, "[" * 100_000))


def test_an_object_whose_mapping_raises(attendance):
    class Broken(dict):
        pass

    class Angry:
        def keys(self):
            raise RuntimeError("no keys for you")

        def __getitem__(self, k):
            raise RuntimeError("no")

        def __len__(self):
            return 1

        def __iter__(self):
            raise RuntimeError("no")

    # A dict subclass is a dict.
    assert attendance.evaluate(Broken(id="C", attendance_pct=10))["persistent_absence"] is True
    with pytest.raises((TypeError, RuntimeError, earlyhelp.RecordError)):
        attendance.evaluate(Angry())


@pytest.mark.parametrize("bad", [None, 42, 4.2, ["a"], ("a",), {"a"}])
def test_not_a_record_is_a_type_error(attendance, bad):
    with pytest.raises(TypeError) as caught:
        attendance.evaluate(bad)
    if isinstance(bad, list):
        assert "evaluate_many" in str(caught.value)


def test_record_error_survives_pickling(sf):
    import pickle

    e = record_error(sf, {"id": "F1", "assessment_date": 3, "members": []})
    again = pickle.loads(pickle.dumps(e))
    assert (str(again), again.id, again.path) == (str(e), e.id, e.path)


def test_the_interpreter_is_fine_after_errors(attendance):
    for bad in [{"id": "C", "attendance_pct": math.nan}, "{", b"\xff", {"id": 3}]:
        with pytest.raises(earlyhelp.RecordError):
            attendance.evaluate(bad)
    assert attendance.evaluate({"id": "C", "attendance_pct": 3})["persistent_absence"] is True
