"""Synthetic families."""

from __future__ import annotations

import pytest

import earlyhelp


def test_synth_is_deterministic(tmp_path):
    a = earlyhelp.synth(30, seed=5)
    assert a == earlyhelp.synth(30, seed=5)
    assert a != earlyhelp.synth(30, seed=6)
    assert [f["id"] for f in a[:2]] == ["F0000001", "F0000002"]
    path = earlyhelp.synth(30, seed=5, path=str(tmp_path / "x.jsonl"))
    assert path.exists() and len(path.read_text().splitlines()) == 30


def test_synth_errors(tmp_path):
    with pytest.raises(ValueError):
        earlyhelp.synth(3, missing=1.5)
    with pytest.raises(OSError):
        earlyhelp.synth(3, path=tmp_path / "no" / "such" / "folder.jsonl")
    with pytest.raises((TypeError, OverflowError)):
        earlyhelp.synth(-1)
    assert earlyhelp.synth(0) == []


def test_the_package_is_typed_and_documented():
    import importlib.resources as resources

    files = resources.files("earlyhelp")
    assert files.joinpath("py.typed").is_file()
    assert files.joinpath("_earlyhelp.pyi").is_file()
    for name in earlyhelp.__all__:
        obj = getattr(earlyhelp, name)
        if name.startswith("__"):
            continue
        assert obj.__doc__, name
    for cls in (earlyhelp.Policy, earlyhelp.Decision, earlyhelp.TestReport):
        for attr in dir(cls):
            if attr.startswith("_"):
                continue
            assert getattr(cls, attr).__doc__, f"{cls.__name__}.{attr}"
