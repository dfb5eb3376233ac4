"""Decisions for each member (a child's funding period) and the policy's in-force window, from
Python as from the command line."""

from __future__ import annotations

import json

import pytest

import earlyhelp
from conftest import ROOT

TWO = ROOT / "policies" / "early-education-two-year-olds"
SF = ROOT / "policies" / "supporting-families" / "supporting-families.policy"


@pytest.fixture(scope="module")
def two():
    return earlyhelp.Policy.from_file(str(TWO / "early-education-two-year-olds.policy"))


def uc_family() -> dict:
    return json.loads((TWO / "examples" / "universal-credit.json").read_text(encoding="utf-8"))


def test_a_per_member_decision_is_a_dict_keyed_by_member_id(two):
    d = two.evaluate(uc_family())
    assert d.outputs["funded_from"] == {"C1": "2024-04-01"}
    assert d.outputs["funded_until"] == {"C1": "2025-03-31"}
    info = {i.name: i for i in two.decisions}
    assert info["funded_from"].per_member is True and info["eligible"].per_member is False


def test_an_undetermined_member_is_none_and_its_field_is_missing(two):
    family = uc_family()
    family["members"][2]["date_of_birth"] = None
    d = two.evaluate(family)
    assert d.outputs["funded_from"] == {"C1": "2024-04-01", "C2": None}
    assert "members[2].date_of_birth" in d.missing


def test_a_dataframe_holds_a_dict_per_row(two):
    frame = two.evaluate_many([uc_family(), uc_family()])
    assert list(frame["funded_from"]) == [{"C1": "2024-04-01"}, {"C1": "2024-04-01"}]


def test_outside_the_in_force_window_is_an_error_unless_asked():
    sf = earlyhelp.Policy.from_file(str(SF))
    record = {"id": "H1", "assessment_date": "2021-05-04", "expectant_parent": False,
              "members": [{"id": "P1", "role": "parent_carer"}]}
    with pytest.raises(earlyhelp.RecordError, match=r"in-force window \(2022-10-03 to 2025-03-31\)"):
        sf.evaluate(record)
    d = sf.evaluate(record, outside_in_force=True)
    assert d.outputs["eligible"] is False
    assert d.to_dict()["outside_in_force"] is True
    frame = sf.evaluate_many([record], outside_in_force=True)
    assert list(frame["eligible"]) == [False]
