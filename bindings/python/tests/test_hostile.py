"""Hostile input: whatever Python object is thrown at ``evaluate`` and ``evaluate_many``, the answer
is a Python exception or an error row — never a crash of the interpreter, a hang, or a lost record.

Property tests (hypothesis) throw odd objects — None, NaN, huge integers, nested lists, bytes,
objects with no JSON form, deep nesting, keys that are not text, texts with lone surrogates — at
the top of a record and deep inside real synthetic families; targeted tests cover objects that
misbehave while they are read (a value that changes its record, a mapping that raises).
"""

from __future__ import annotations

import copy
import datetime
import decimal
import json
import math
import os
from collections.abc import Mapping

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import earlyhelp

#: A panic of the Rust code reaching Python would be this (a BaseException, which
#: ``except Exception`` does not catch): no test here may ever see one.
PANIC = "PanicException"

FAMILIES = earlyhelp.synth(40, seed=8)

# The property tests evaluate hundreds of records each; the whole file stays within seconds.
# EARLYHELP_HOSTILE_EXAMPLES=5000 ./scripts/test-python -k hostile searches harder.
hostile_settings = settings(
    max_examples=int(os.environ.get("EARLYHELP_HOSTILE_EXAMPLES", "150")),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


class NoJsonForm:
    """An object with no JSON form."""


class BadRepr:
    def __repr__(self):
        raise RuntimeError("no repr for you")

    __str__ = __repr__


class ToListForever:
    """A ``tolist`` that never reaches a plain value."""

    def tolist(self):
        return ToListForever()


class ToListRaises:
    def tolist(self):
        raise ValueError("cannot")


class GetattrRaises:
    def __getattr__(self, name):
        raise RuntimeError(f"no attribute {name} today")


lone_surrogates = st.text(alphabet=st.characters(categories=["Cs"]), min_size=1, max_size=3)

odd_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(10**400), max_value=10**400),
    st.sampled_from([2**63, -(2**63) - 1, 2**64, 10**999, 10**1001]),
    # More digits than Python prints (its repr raises): built, never shown by hypothesis.
    st.integers(min_value=4300, max_value=6000).map(lambda n: -(10**n) if n % 2 else 10**n),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=10),
    lone_surrogates,
    st.binary(max_size=10),
    st.builds(bytearray, st.binary(max_size=10)),
    st.complex_numbers(allow_nan=True),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.dates(),
    st.datetimes(),
    st.frozensets(st.integers(), max_size=3),
    st.sets(st.integers(), max_size=3),
    st.builds(NoJsonForm),
    st.builds(BadRepr),
    st.builds(ToListForever),
    st.builds(ToListRaises),
    st.builds(GetattrRaises),
    st.sampled_from(
        [
            object(),
            print,
            Ellipsis,
            NotImplemented,
            type,
            range(3),
            iter([1, 2]),
            np.float64("nan"),
            np.float32(1.5),
            np.int64(-7),
            np.uint64(2**64 - 1),
            np.bool_(True),
            np.array([1.5, np.nan]),
            np.datetime64("2024-01-01"),
            pd.NA,
            pd.NaT,
            pd.Timestamp("2024-02-29"),
            decimal.Decimal("sNaN"),
            datetime.time(12, 30),
            datetime.timedelta(days=3),
        ]
    ),
)

odd_keys = st.one_of(
    st.text(max_size=12),
    lone_surrogates,
    st.integers(),
    st.none(),
    st.booleans(),
    st.floats(allow_nan=True),
    st.binary(max_size=4),
    st.tuples(st.integers()),
    st.builds(NoJsonForm),
    st.builds(BadRepr),
)


def containers(children):
    return st.one_of(
        st.lists(children, max_size=4),
        st.tuples(children, children),
        st.dictionaries(odd_keys, children, max_size=4),
    )


odd_values = st.recursive(odd_scalars, containers, max_leaves=12)


@st.composite
def deeply_nested(draw):
    """A list or dict nested 0 to 3,000 levels deep."""
    depth = draw(st.integers(min_value=0, max_value=3000))
    leaf = draw(odd_scalars)
    as_dict = draw(st.booleans())
    for _ in range(depth):
        leaf = {"x": leaf} if as_dict else [leaf]
    return leaf


@st.composite
def mutated_family(draw):
    """A real synthetic family with one value somewhere inside it replaced by (or, in an object,
    added as) something odd."""
    record = copy.deepcopy(draw(st.sampled_from(FAMILIES)))
    odd = draw(st.one_of(odd_values, deeply_nested()))
    node = record
    for _ in range(draw(st.integers(min_value=0, max_value=5))):
        if isinstance(node, dict) and node:
            child = node[draw(st.sampled_from(sorted(node)))]
        elif isinstance(node, list) and node:
            child = node[draw(st.integers(min_value=0, max_value=len(node) - 1))]
        else:
            break
        if not isinstance(child, (dict, list)) or not child:
            break
        node = child
    if isinstance(node, dict):
        existing = st.sampled_from(sorted(node)) if node else st.nothing()
        node[draw(st.one_of(existing, odd_keys))] = odd
    elif node:
        node[draw(st.integers(min_value=0, max_value=len(node) - 1))] = odd
    else:
        node.append(odd)
    return record


def outcome(policy, record, **options):
    """``evaluate``'s Decision, or the exception it raised (which must be an ordinary one)."""
    try:
        return policy.evaluate(record, **options)
    except Exception as e:  # a PanicException is not an Exception: it fails the test
        assert not isinstance(e, SystemError), repr(e)
        assert type(e).__name__ != PANIC
        return e


#: What the hostile objects above raise themselves when they are read.
RAISED_BY_HOSTILE_OBJECTS = (ValueError, RuntimeError)


def is_error_text(value) -> bool:
    return isinstance(value, str) and value != ""


# ---- evaluate ---------------------------------------------------------------------------------


@hostile_settings
@given(record=mutated_family())
def test_evaluate_a_family_with_something_odd_inside(sf, record):
    result = outcome(sf, record)
    if isinstance(result, Exception):
        # Whatever is inside a dict record, the error is about the record — or is the error that
        # one of the hostile objects itself raised while it was read (ToListRaises, BadRepr…).
        assert isinstance(result, (earlyhelp.RecordError, *RAISED_BY_HOSTILE_OBJECTS)), repr(result)
        assert str(result)
    else:
        assert isinstance(result, earlyhelp.Decision)
        assert set(result.outputs) == {"eligible", "headlines", "needs"}


@hostile_settings
@given(record=odd_values)
def test_evaluate_anything_at_all(sf, record):
    result = outcome(sf, record)
    if isinstance(record, dict):
        assert isinstance(result, (earlyhelp.Decision, earlyhelp.RecordError, *RAISED_BY_HOSTILE_OBJECTS)), repr(
            result
        )
    elif isinstance(record, (str, bytes, bytearray)):
        assert isinstance(result, (earlyhelp.Decision, earlyhelp.RecordError)), repr(result)
    else:
        # Not a record (a number, a list, None…): a TypeError saying what a record is.
        assert isinstance(result, TypeError), repr(result)


@hostile_settings
@given(text=st.one_of(st.text(max_size=200), st.binary(max_size=200), lone_surrogates))
def test_evaluate_any_text(sf, text):
    result = outcome(sf, text)
    assert isinstance(result, (earlyhelp.Decision, earlyhelp.RecordError)), repr(result)


@hostile_settings
@given(as_at=st.one_of(odd_scalars, st.text(alphabet="0123456789-", max_size=12)))
def test_any_as_at(sf, as_at):
    result = outcome(sf, FAMILIES[0], as_at=as_at)
    assert isinstance(result, (earlyhelp.Decision, TypeError, ValueError)), repr(result)


def test_keys_that_are_not_text(attendance):
    for key in (1, None, 2.5, (1,), b"k", True):
        with pytest.raises(earlyhelp.RecordError) as caught:
            attendance.evaluate({"id": "C", key: 1})
        assert "not text" in str(caught.value)
    # A key that cannot even be shown is still only a record error.
    with pytest.raises(earlyhelp.RecordError):
        attendance.evaluate({"id": "C", "x": {BadRepr(): 1}})


def test_lone_surrogates_are_record_errors_that_do_not_show_the_text(attendance):
    for record in ({"id": "C", "name": "ab\ud800"}, {"id": "C", "\udfff": 1}, '{"id": "C\ud800"}'):
        with pytest.raises(earlyhelp.RecordError) as caught:
            attendance.evaluate(record)
        assert "surrogate" in str(caught.value)
        assert "\\ud8" not in str(caught.value) and "\\udf" not in str(caught.value)


@hostile_settings
@given(names=st.lists(st.text(max_size=40), min_size=1, max_size=20))
def test_every_text_reaches_the_engine_as_written(attendance, names):
    # Quotes, backslashes and control characters anywhere in a text (the converter copies texts
    # without them whole, and escapes the others): the engine must read back the same text.
    records = [{"id": f"C{i}", "name": name} for i, name in enumerate(names)]
    assert [attendance.evaluate(r)["name"] for r in records] == names
    assert list(attendance.evaluate_many(records)["name"]) == names


def test_huge_integers(attendance):
    assert attendance.evaluate({"id": "C", "attendance_pct": 10**20})["persistent_absence"] is False
    # Beyond 64 bits the digits still reach the engine exactly; beyond its precision it says so.
    assert attendance.evaluate({"id": "C", "attendance_pct": 2**64})["persistent_absence"] is False
    with pytest.raises(earlyhelp.RecordError) as caught:
        attendance.evaluate({"id": "C", "attendance_pct": 10**40 + 1})
    assert "significant digits" in str(caught.value)
    # More digits than Python itself prints: refused before the engine.
    for huge in (10**1001, 10**5000, -(10**5000)):
        with pytest.raises(earlyhelp.RecordError) as caught:
            attendance.evaluate({"id": "C", "attendance_pct": huge})
        assert "digits" in str(caught.value)


def test_objects_that_never_become_plain_values(attendance):
    for odd in (ToListForever(), ToListRaises(), GetattrRaises(), BadRepr()):
        with pytest.raises(Exception) as caught:
            attendance.evaluate({"id": "C", "name": odd})
        assert isinstance(caught.value, (earlyhelp.RecordError, ValueError, RuntimeError))


class ChangesItsRecord:
    """A value whose conversion (through ``tolist``) adds and removes fields of the record that
    holds it, while the record is being read."""

    def __init__(self, record: dict, remove: bool = False):
        self.record = record
        self.remove = remove

    def tolist(self):
        if self.remove:
            self.record.pop("id", None)
        else:
            for i in range(10):
                self.record[f"extra{i}"] = i
        return 1


def test_a_value_that_changes_its_record_while_it_is_read(attendance):
    for remove in (False, True):
        record: dict = {"id": "C", "attendance_pct": 50}
        record["name"] = ChangesItsRecord(record, remove)
        record["later"] = 3
        with pytest.raises(earlyhelp.RecordError) as caught:
            attendance.evaluate(record)
        assert "changed while it was being read" in str(caught.value)
    # Same size, other keys: no error is owed, but no crash either.
    record = {"id": "C", "attendance_pct": 50}

    class Swap:
        def tolist(self):
            record.pop("attendance_pct")
            record["other"] = 1
            return "x"

    record["name"] = Swap()
    outcome(attendance, record)
    # In a batch, the record that changed is an error row and the others are kept.
    changing: dict = {"id": "C2"}
    changing["name"] = ChangesItsRecord(changing)
    changing["later"] = 1
    frame = attendance.evaluate_many([{"id": "C1", "attendance_pct": 5}, changing, {"id": "C3"}])
    assert list(frame["id"]) == ["C1", "C2", "C3"]
    assert "changed while it was being read" in frame["error"][1]
    assert frame["error"][[0, 2]].isna().all()


def test_nesting_at_the_limit(attendance):
    ok = {"id": "C", "x": 1}
    for _ in range(120):
        ok = {"id": "C", "x": ok}
    attendance.evaluate(ok)  # deep, but within the limit every JSON reader accepts
    value: list = []
    for _ in range(200):
        value = [value]
    with pytest.raises(earlyhelp.RecordError) as caught:
        attendance.evaluate({"id": "C", "x": value})
    assert "nested more than" in str(caught.value)


# ---- evaluate_many ----------------------------------------------------------------------------


@hostile_settings
@given(odd=st.lists(st.one_of(mutated_family(), odd_values, st.text(max_size=50)), min_size=1, max_size=6))
def test_evaluate_many_keeps_every_record(sf, odd):
    good = FAMILIES[:2]
    records = [good[0], *odd, good[1]]
    frame = sf.evaluate_many(records)
    assert len(frame) == len(records)
    assert list(frame.columns) == ["id", "eligible", "headlines", "needs", "missing", "error"]
    # The good records around the odd ones are decided as evaluate decides them.
    for row, record in ((0, good[0]), (len(records) - 1, good[1])):
        assert pd.isna(frame["error"].iloc[row])
        assert frame["needs"].iloc[row] == sf.evaluate(record).outputs["needs"]
    # Each odd record is an error row exactly when evaluate would not decide it.
    for i, record in enumerate(odd, start=1):
        single = outcome(sf, record)
        error = frame["error"].iloc[i]
        if isinstance(single, earlyhelp.Decision):
            assert pd.isna(error), error
            assert frame["needs"].iloc[i] == single.outputs["needs"]
            assert frame["missing"].iloc[i] == single.missing
        else:
            assert is_error_text(error)
            assert pd.isna(frame["eligible"].iloc[i]) and frame["missing"].iloc[i] == []


@hostile_settings
@given(cells=st.lists(odd_values, min_size=1, max_size=5))
def test_a_dataframe_with_odd_cells(sf, cells):
    frame = pd.DataFrame(
        {
            "id": [f"F{i}" for i in range(len(cells))],
            "assessment_date": ["2024-06-01"] * len(cells),
            "members": pd.Series(cells, dtype=object),
        }
    )
    out = sf.evaluate_many(frame)
    assert len(out) == len(cells)
    assert list(out["id"]) == list(frame["id"])
    for error in out["error"]:
        assert pd.isna(error) or is_error_text(error)


@hostile_settings
@given(lines=st.lists(st.one_of(st.text(max_size=80), st.binary(max_size=80)), max_size=8))
def test_a_file_of_anything(sf, lines, tmp_path_factory):
    path = tmp_path_factory.mktemp("hostile") / "records.jsonl"
    data = b"\n".join(line.encode("utf-8", "surrogatepass") if isinstance(line, str) else line for line in lines)
    path.write_bytes(data)
    frame = sf.evaluate_many(path)
    for error in frame["error"]:
        assert pd.isna(error) or is_error_text(error)


@pytest.mark.parametrize("jobs", [-1, 10**20, 2.5, "2", True])
def test_bad_jobs(sf, jobs):
    with pytest.raises((TypeError, ValueError, OverflowError)):
        sf.evaluate_many(FAMILIES[:2], jobs=jobs)


def test_an_iterable_of_every_odd_thing_at_once(sf):
    class Weird(Mapping):
        def __getitem__(self, k):
            raise KeyError(k)

        def __iter__(self):
            return iter(["a", "b"])

        def __len__(self):
            return 2

    records = [
        None,
        math.nan,
        10**5000,
        [FAMILIES[0]],
        b"\xff\xfe",
        "\ud800",
        {"id": "S", "members": {1, 2}},
        {1: 2},
        Weird(),
        NoJsonForm(),
        FAMILIES[3],
        json.dumps(FAMILIES[4]),
    ]
    frame = sf.evaluate_many(records)
    assert len(frame) == len(records)
    assert frame["error"][:10].map(is_error_text).all()
    assert frame["error"][10:].isna().all()
    assert list(frame["id"][10:]) == [FAMILIES[3]["id"], FAMILIES[4]["id"]]
