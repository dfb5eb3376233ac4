"""One batch pipeline, every face: the hostile files of ``cli/tests/hostile/files.json`` (garbage
lines, a line that is not UTF-8, a truncated last line, a huge line, a JSON array, a byte-order
mark) give the same rows from ``earlyhelp eval``, ``evaluate_many(path)`` and
``evaluate_many(list)``; ``cli/tests/hostile.rs`` holds the command line to the Rust API's rows.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess

import pandas as pd
import pytest

import earlyhelp
from conftest import ROOT, SF
from test_cli_agreement import cell

RECIPE = json.loads((ROOT / "cli" / "tests" / "hostile" / "files.json").read_text(encoding="utf-8"))


def family(id_: str, note: str = "") -> str:
    return (
        f'{{"id":"{id_}","assessment_date":"2024-06-01","notes":"{note}","members":'
        '[{"id":"P1","role":"parent_carer","date_of_birth":"1990-01-01"}]}'
    )


def line(recipe: str) -> bytes:
    """One line of the recipe with its placeholders filled in (as cli/tests/hostile.rs does)."""
    out = b""
    rest = recipe
    while "<<" in rest:
        before, rest = rest.split("<<", 1)
        token, rest = rest.split(">>", 1)
        out += before.encode("utf-8")
        if token.startswith("FAMILY:"):
            out += family(token[7:]).encode("utf-8")
        elif token.startswith("BIG_FAMILY:"):
            out += family(token[11:], "x" * (3 << 20)).encode("utf-8")
        elif token == "BOM":
            out += "\ufeff".encode("utf-8")
        elif token == "NOT_UTF8":
            out += b"\xff\xfe"
        else:
            raise AssertionError(f"unknown placeholder {token}")
    return out + rest.encode("utf-8")


def hostile(name: str) -> bytes:
    spec = RECIPE["files"][name]
    data = b"\n".join(line(l) for l in spec["lines"])
    return data + b"\n" if spec["end_newline"] else data


def as_list(name: str, data: bytes) -> list:
    """The same records as a Python list: each line as text (bytes when not UTF-8); an array's
    elements as dicts, or as their JSON text when not objects."""
    if name == "array.json":
        return [e if isinstance(e, dict) else json.dumps(e) for e in json.loads(data.decode("utf-8-sig"))]
    if data.endswith(b"\n"):
        data = data[:-1]
    items = []
    for raw in data.split(b"\n"):
        try:
            items.append(raw.decode("utf-8"))
        except UnicodeDecodeError:
            items.append(raw)
    return items


@pytest.mark.parametrize("name", sorted(RECIPE["files"]))
def test_every_face_gives_the_same_rows(sf, cli, tmp_path, name):
    data = hostile(name)
    path = tmp_path / name
    path.write_bytes(data)
    from_path = sf.evaluate_many(path)
    from_list = sf.evaluate_many(as_list(name, data))
    pd.testing.assert_frame_equal(from_path, from_list)

    out = subprocess.run([cli, "eval", str(SF), "--records", str(path), "--format", "csv"], cwd=ROOT, capture_output=True)
    assert out.returncode == 1  # some rows failed
    rows = list(csv.reader(io.StringIO(out.stdout.decode("utf-8"))))
    header, rows = rows[0], rows[1:]
    assert header == list(from_path.columns)
    assert len(rows) == len(from_path)
    for i, row in enumerate(rows):
        assert [cell(from_path[c].iloc[i]) for c in from_path.columns] == row, f"row {i + 1}"
    # The JSON Lines rows agree on ids and errors too (the CSV's error cell is "line N: error").
    jsonl = subprocess.run([cli, "eval", str(SF), "--records", str(path)], cwd=ROOT, capture_output=True).stdout
    for i, text in enumerate(jsonl.decode("utf-8").splitlines()):
        row = json.loads(text)
        assert (from_path["id"][i] if isinstance(from_path["id"][i], str) else None) == row["id"]
        if "error" in row:
            assert from_path["error"][i] == f"line {row['line']}: {row['error']}"
        else:
            assert pd.isna(from_path["error"][i])


@pytest.mark.parametrize("name", sorted(RECIPE["files"]))
def test_diff_reads_every_face_alike(sf, cli, tmp_path, name):
    data = hostile(name)
    path = tmp_path / name
    path.write_bytes(data)
    expected = json.loads(
        subprocess.run(
            [cli, "diff", str(SF), str(SF), "--records", str(path), "--format", "json"],
            cwd=ROOT,
            capture_output=True,
            check=True,
        ).stdout
    )
    assert earlyhelp.diff(sf, sf, path).to_dict() == expected
    assert earlyhelp.diff(sf, sf, as_list(name, data)).to_dict() == expected
    assert expected["records"] == len(sf.evaluate_many(path))


def test_a_record_that_fails_conversion_keeps_its_id(sf):
    # As the engine reads an id from JSON: a text, or a number's digits.
    frame = sf.evaluate_many([{"id": 7, "x": {1, 2}}, {"id": "S2", "x": {1}}, {"x": {1}}])
    assert list(frame["id"][:2]) == ["7", "S2"] and pd.isna(frame["id"][2])
    assert frame["error"][0] == "line 1: x: a set has no JSON form"
