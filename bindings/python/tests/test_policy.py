"""Loading policies: from files and text, what a loaded policy tells, and the errors."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest

import earlyhelp
from conftest import ATTENDANCE, SF, SF_TESTS, run_cli


def test_from_file_reads_the_policy_and_its_imports(sf):
    assert sf.name == "supporting_families"
    assert sf.version == "2.0"
    assert sf.title and "Supporting Families" in sf.title
    assert sf.content_hash.startswith("sha256:") and len(sf.content_hash) == 7 + 64
    assert sf.warnings == []
    assert repr(sf).startswith("<Policy supporting_families")


def test_from_file_takes_a_str_or_a_path():
    assert earlyhelp.Policy.from_file(str(SF)).content_hash == earlyhelp.Policy.from_file(Path(SF)).content_hash


def test_decisions_have_names_types_and_values(sf, attendance):
    names = [d.name for d in sf.decisions]
    assert names == ["eligible", "headlines", "needs"]
    eligible = sf.decisions[0]
    assert isinstance(eligible, earlyhelp.DecisionInfo)
    assert eligible.label == "Eligible for Supporting Families"
    assert eligible.type == "yes/no"
    assert eligible.values == ["true", "false"]
    assert sf.decisions[1].type.startswith("list of")
    assert [d.name for d in attendance.decisions] == ["persistent_absence", "name"]
    assert attendance.decisions[1].type == "text"


def test_from_str(attendance):
    assert attendance.name == "attendance"
    assert attendance.version == "1"
    assert attendance.title is None
    # The same text always has the same hash; another text another.
    again = earlyhelp.Policy.from_str(ATTENDANCE, "attendance.policy")
    assert again.content_hash == attendance.content_hash
    other = earlyhelp.Policy.from_str(ATTENDANCE.replace("90%", "85%"), "attendance.policy")
    assert other.content_hash != attendance.content_hash


def test_bad_policy_text_raises_policy_error_with_diagnostics():
    text = ATTENDANCE.replace("child.attendance_pct < threshold", "child.attendance < threshold")
    with pytest.raises(earlyhelp.PolicyError) as caught:
        earlyhelp.Policy.from_str(text, "bad.policy")
    error = caught.value
    assert isinstance(error, earlyhelp.EarlyHelpError) and isinstance(error, ValueError)
    assert len(error.diagnostics) >= 1
    d = error.diagnostics[0]
    assert isinstance(d, earlyhelp.Diagnostic)
    assert d.severity == "error"
    assert d.file == "bad.policy"
    assert d.line == 7 and d.column > 1
    assert "attendance" in d.message
    # The message is the rendered diagnostic, as `earlyhelp check` prints it: file:line:column
    # and the source line with a caret.
    message = str(error)
    assert message.startswith("error: ")
    assert f"--> bad.policy:{d.line}:{d.column}" in message
    assert "child.attendance < threshold" in message and "^" in message
    assert str(d) in message
    assert d.to_dict()["line"] == d.line and "rendered" not in d.to_dict()


def test_policy_error_survives_pickling():
    with pytest.raises(earlyhelp.PolicyError) as caught:
        earlyhelp.Policy.from_str("policy {", "broken.policy")
    again = pickle.loads(pickle.dumps(caught.value))
    assert str(again) == str(caught.value)
    assert again.diagnostics == caught.value.diagnostics


def test_syntax_errors_say_where():
    with pytest.raises(earlyhelp.PolicyError) as caught:
        earlyhelp.Policy.from_str("policy x {\n  version \"1\"\n}\ndecision d = = 3\n", "syntax.policy")
    d = caught.value.diagnostics[0]
    assert (d.file, d.line) == ("syntax.policy", 4)


def test_policy_error_agrees_with_the_cli_check(tmp_path, cli):
    path = tmp_path / "bad.policy"
    path.write_text(ATTENDANCE.replace("< threshold", "< thresold"), encoding="utf-8")
    with pytest.raises(earlyhelp.PolicyError) as caught:
        earlyhelp.Policy.from_file(path)
    ours = [d.to_dict() for d in caught.value.diagnostics]
    out = run_cli(cli, "check", "--format", "json", str(path), check=False)
    assert json.loads(out.stdout) == ours
    assert any(d.help and "threshold" in d.help for d in caught.value.diagnostics)
    out = run_cli(cli, "check", str(path), check=False)
    assert (out.stdout + out.stderr).startswith(str(caught.value))


def test_missing_file_raises_policy_error(tmp_path):
    with pytest.raises(earlyhelp.PolicyError) as caught:
        earlyhelp.Policy.from_file(tmp_path / "nowhere.policy")
    assert "cannot read the policy: no such file" in str(caught.value)
    assert caught.value.diagnostics[0].line == 1


def test_a_missing_import_is_a_diagnostic(tmp_path):
    path = tmp_path / "p.policy"
    path.write_text('policy p { version "1" }\nimport "../nowhere/shared.policy"\n', encoding="utf-8")
    with pytest.raises(earlyhelp.PolicyError) as caught:
        earlyhelp.Policy.from_file(path)
    assert "nowhere" in str(caught.value)


def test_a_policy_given_as_text_cannot_import():
    with pytest.raises(earlyhelp.PolicyError):
        earlyhelp.Policy.from_str('policy p { version "1" }\nimport "../shared/family-record.policy"\n')


def test_a_file_that_is_not_utf8_is_an_error(tmp_path):
    path = tmp_path / "latin1.policy"
    path.write_bytes("policy p { title \"caf\xe9\" }".encode("latin-1"))
    with pytest.raises(earlyhelp.PolicyError) as caught:
        earlyhelp.Policy.from_file(path)
    assert "UTF-8" in str(caught.value)


def test_a_folder_is_not_a_policy(tmp_path):
    with pytest.raises(earlyhelp.PolicyError):
        earlyhelp.Policy.from_file(tmp_path)


@pytest.mark.parametrize("bad", [None, 42, ["a.policy"], b"\xff\x00"])
def test_from_file_wrong_types(bad):
    with pytest.raises((TypeError, earlyhelp.PolicyError)):
        earlyhelp.Policy.from_file(bad)


@pytest.mark.parametrize("bad", [None, 42, b"policy p {}", ["policy p {}"]])
def test_from_str_wrong_types(bad):
    with pytest.raises(TypeError):
        earlyhelp.Policy.from_str(bad)


def test_warnings_are_diagnostics():
    text = ATTENDANCE + "\nparam unused_param: number = 3\n"
    policy = earlyhelp.Policy.from_str(text, "warn.policy")
    assert policy.warnings, "an unused param is a warning"
    w = policy.warnings[0]
    assert w.severity == "warning" and w.file == "warn.policy"


def test_policies_are_immutable(sf):
    with pytest.raises(AttributeError):
        sf.name = "other"  # type: ignore[misc]


def test_run_tests_prints_like_the_cli(cli):
    policy = earlyhelp.Policy.from_file(SF_TESTS)
    report = policy.run_tests()
    assert isinstance(report, earlyhelp.TestReport)
    assert report.ok and report.failed == 0 and report.passed == len(report) > 100
    assert report.policy.endswith("supporting-families.tests.policy")
    results = report.results
    assert all(isinstance(r, earlyhelp.TestResult) and r.passed for r in results)
    assert results[0].location.startswith(report.policy + ":")
    out = run_cli(cli, "test", str(SF_TESTS)).stdout
    assert out.startswith(str(report))
    assert f"{report.passed} passed, 0 failed" in str(report)
    assert "passed" in repr(report)


def test_failing_tests_are_reported(tmp_path):
    text = ATTENDANCE + """
test "absent child" {
    given {"id": "C1", "attendance_pct": 80}
    expect persistent_absence is false
}
test "present child" {
    given {"id": "C2", "attendance_pct": 95}
    expect persistent_absence is false
}
"""
    report = earlyhelp.Policy.from_str(text, "t.policy").run_tests()
    assert (report.passed, report.failed, report.ok) == (1, 1, False)
    failed = [r for r in report.results if not r.passed]
    assert failed[0].name == "absent child"
    assert "expected persistent_absence is false" in failed[0].failures[0]
    assert "✗ absent child (t.policy:" in str(report)
    assert "1 passed, 1 failed" in str(report)


def test_coverage(cli):
    report = earlyhelp.Policy.from_file(SF_TESTS).run_tests()
    items = report.coverage()
    assert items and {"kind", "id", "seen", "gaps"} <= set(items[0])
    text = report.coverage_text()
    assert text.startswith("coverage: ")
    out = run_cli(cli, "test", "--coverage", str(SF_TESTS)).stdout
    assert text in out


def test_a_policy_without_tests_has_an_empty_report(sf):
    report = sf.run_tests()
    assert len(report) == 0 and report.ok
