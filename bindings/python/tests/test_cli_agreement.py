"""The package and the command line give the same answers on the same records."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pandas as pd

import earlyhelp
from conftest import EXAMPLES, SF, run_cli


def test_eval_rows_are_the_cli_rows_byte_for_byte(sf, families_path, cli):
    out = run_cli(cli, "eval", str(SF), "--records", str(families_path)).stdout.splitlines()
    lines = families_path.read_text(encoding="utf-8").splitlines()
    assert len(out) == len(lines) == 2000
    for line, row in zip(lines, out):
        assert sf.evaluate(line).to_json() == row
    # Records given as dicts (parsed by Python, converted back by the package) agree too.
    for line, row in zip(lines[:300], out[:300]):
        assert sf.evaluate(json.loads(line)).to_dict() == json.loads(row)


def test_explanations_are_the_cli_explanations(sf, families_path, cli):
    lines = families_path.read_text(encoding="utf-8").splitlines()[:200]
    small = families_path.parent / "small.jsonl"
    small.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = run_cli(cli, "eval", str(SF), "--records", str(small), "--explain").stdout.splitlines()
    for line, row in zip(lines, out):
        assert sf.evaluate(line, explain=True).to_json() == row
    record = EXAMPLES / "undetermined-family.json"
    text = run_cli(cli, "explain", str(SF), str(record)).stdout
    assert sf.evaluate(record.read_text(encoding="utf-8")).explain() == text
    as_json = json.loads(run_cli(cli, "explain", str(SF), str(record), "--json").stdout)
    assert sf.evaluate(record.read_text(encoding="utf-8")).explanation == as_json


def cell(v) -> str:
    """A frame cell as the CLI's CSV writes it."""
    if v is None or (not isinstance(v, list) and pd.isna(v)):
        return ""
    if isinstance(v, list):
        return ";".join(cell(x) for x in v)
    if isinstance(v, (bool, np.bool_)):
        return "true" if v else "false"
    return str(v)


def test_evaluate_many_agrees_with_the_cli_csv(sf, families, families_path, cli, tmp_path):
    # Some bad records among the good ones, so error rows are compared too.
    path = tmp_path / "with-errors.jsonl"
    lines = families_path.read_text(encoding="utf-8").splitlines()
    lines[5] = '{"id": "BROKEN", "members": 3}'
    lines[9] = "{"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = run_cli(cli, "eval", str(SF), "--records", str(path), "--format", "csv", check=False)
    assert out.returncode == 1  # some records failed
    rows = list(csv.reader(io.StringIO(out.stdout)))
    header, rows = rows[0], rows[1:]
    frame = sf.evaluate_many(path)
    assert header == list(frame.columns)
    assert len(rows) == len(frame)
    for i, row in enumerate(rows):
        ours = [cell(frame[c].iloc[i]) for c in frame.columns]
        assert ours == row, f"row {i}"


def test_diff_agrees_with_the_cli_diff(sf, families_path, cli, tmp_path):
    folder = tmp_path / "policies"
    (folder / "shared").mkdir(parents=True)
    (folder / "sf").mkdir()
    for shared in (SF.parent.parent / "shared").iterdir():  # the record and the words over it
        (folder / "shared" / shared.name).write_text(shared.read_text(encoding="utf-8"), encoding="utf-8")
    text = SF.read_text(encoding="utf-8")
    assert "param persistent_absence_at_most: percent = 90%" in text
    new_path = folder / "sf" / "supporting-families.policy"
    new_path.write_text(text.replace("param persistent_absence_at_most: percent = 90%", "param persistent_absence_at_most: percent = 85%"))
    new = earlyhelp.Policy.from_file(new_path)
    impact = earlyhelp.diff(sf, new, families_path)
    assert isinstance(impact, earlyhelp.Impact)
    cli_json = json.loads(
        run_cli(cli, "diff", str(SF), str(new_path), "--records", str(families_path), "--format", "json").stdout
    )
    assert impact.to_dict() == cli_json
    # The same records given as dicts agree as well.
    records = [json.loads(l) for l in families_path.read_text(encoding="utf-8").splitlines()]
    assert earlyhelp.diff(sf, new, records).to_dict() == cli_json
    # The frames say the same thing.
    assert impact.records == 2000 and impact.errors == 0
    summary = impact.summary.set_index("decision")
    assert summary.loc["eligible", "changed"] == cli_json["decisions"][0]["changed"]
    assert (summary["changed"] + summary["unchanged"] == 2000).all()
    changes = impact.transitions[impact.transitions["changed"]]
    assert changes["count"].sum() == summary["changed"].sum()
    eligible = changes[changes["decision"] == "eligible"]
    assert set(eligible["change"]) <= {"true → false", "undetermined → false", "true → undetermined"}
    drivers = impact.drivers
    assert set(drivers[drivers["decision"] == "eligible"]["need"]) == {"persistent_absence"}
    table = run_cli(cli, "diff", str(SF), str(new_path), "--records", str(families_path)).stdout
    # The printed impact has the same body as the CLI's table (the first line names the files).
    assert str(impact).split("\n", 1)[1] == table.split("\n", 1)[1].rstrip("\n") + "\n"
    assert "<table" in impact._repr_html_()


def test_synth_is_the_cli_synth(cli, tmp_path):
    out = run_cli(cli, "synth", "--families", "50", "--seed", "3").stdout
    path = earlyhelp.synth(50, seed=3, path=tmp_path / "f.jsonl")
    assert path.read_text(encoding="utf-8") == out
    assert earlyhelp.synth(50, seed=3) == [json.loads(l) for l in out.splitlines()]
    out = run_cli(cli, "synth", "--families", "20", "--seed", "3", "--missing", "0.5").stdout
    assert earlyhelp.synth(20, seed=3, missing=0.5) == [json.loads(l) for l in out.splitlines()]
