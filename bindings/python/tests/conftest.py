"""Shared fixtures of the Python package's tests: the shipped policies, a small policy written
here, synthetic families, and the command line (to compare with)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

import earlyhelp

ROOT = Path(__file__).resolve().parents[3]
POLICIES = ROOT / "policies"
SF = POLICIES / "supporting-families" / "supporting-families.policy"
SF_TESTS = POLICIES / "supporting-families" / "supporting-families.tests.policy"
EXAMPLES = POLICIES / "examples"

#: A small policy with every kind of decision the tests need: a yes/no on an exact percentage,
#: a number, a text, a required field.
ATTENDANCE = """
policy attendance { version "1" }
record Child { id: text required, attendance_pct: percent, name: text, date_of_birth: date }
input child: Child
param threshold: percent = 90%
decision persistent_absence "Attends less than 90% of sessions" =
    child.attendance_pct < threshold
decision name "Name" = child.name
"""


@pytest.fixture(scope="session")
def sf() -> earlyhelp.Policy:
    return earlyhelp.Policy.from_file(SF)


@pytest.fixture(scope="session")
def attendance() -> earlyhelp.Policy:
    return earlyhelp.Policy.from_str(ATTENDANCE, "attendance.policy")


@pytest.fixture(scope="session")
def families_path(tmp_path_factory) -> Path:
    """2,000 synthetic families (seed 11) as JSON Lines, all assessed while Supporting Families is
    in force (2022-10-03 to 2025-03-31): the generator also writes families outside it, which the
    policy refuses and which tests/test_calendar_and_members.py covers."""
    import json

    folder = tmp_path_factory.mktemp("families")
    every = folder / "every.jsonl"
    earlyhelp.synth(2600, seed=11, path=every)
    with open(every, encoding="utf-8") as f:
        lines = [line for line in f if "2022-10-03" <= json.loads(line)["assessment_date"] <= "2025-03-31"]
    assert len(lines) >= 2000
    path = folder / "families.jsonl"
    path.write_text("".join(lines[:2000]), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def families(families_path) -> list:
    import json

    with open(families_path, encoding="utf-8") as f:
        return [json.loads(line) for line in f]


@pytest.fixture(scope="session")
def cli() -> str:
    """The `earlyhelp` binary: $EARLYHELP_CLI (scripts/test-python builds it), else built here."""
    path = os.environ.get("EARLYHELP_CLI")
    if path and Path(path).exists():
        return path
    subprocess.run(["cargo", "build", "-q", "-p", "earlyhelp-cli"], cwd=ROOT, check=True)
    return str(ROOT / "target" / "debug" / "earlyhelp")


def run_cli(cli: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run([cli, *args], cwd=ROOT, capture_output=True, text=True, check=check)
