"""earlyhelp: early-help eligibility and threshold-of-need decisions for families in England.

A policy is one text file that a policy officer can read; earlyhelp checks it before it runs,
evaluates it against family records in three-valued logic (unknown data stays unknown, and every
undetermined decision says which fields would settle it) and explains every decision in plain
English. This package is a thin layer over the Rust engine: the same policy file gives the same
decisions here, in the ``earlyhelp`` command line and in a case system.

>>> import earlyhelp
>>> policy = earlyhelp.Policy.from_file("policies/supporting-families/supporting-families.policy")
>>> decision = policy.evaluate({"id": "F1", "assessment_date": "2024-06-01", "members": []})
>>> decision.outputs                                  # doctest: +SKIP
{'eligible': False, 'headlines': [], 'needs': []}
>>> print(decision.explain())                         # doctest: +SKIP
>>> frame = policy.evaluate_many("families.jsonl")    # a pandas DataFrame, one row per family
>>> impact = earlyhelp.diff(policy, proposed, "families.jsonl")   # what a change would do

See docs/python.md for the whole API.
"""

from __future__ import annotations

from ._earlyhelp import Decision, Policy, TestReport, __version__, synth
from ._frames import Impact, diff
from ._types import (
    DecisionInfo,
    Diagnostic,
    EarlyHelpError,
    PolicyError,
    RecordError,
    TestResult,
)

__all__ = [
    "Decision",
    "DecisionInfo",
    "Diagnostic",
    "EarlyHelpError",
    "Impact",
    "Policy",
    "PolicyError",
    "RecordError",
    "TestReport",
    "TestResult",
    "__version__",
    "diff",
    "synth",
]
