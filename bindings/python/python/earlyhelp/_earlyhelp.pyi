"""Type stubs of the Rust extension ``earlyhelp._earlyhelp`` (re-exported by ``earlyhelp``)."""

import datetime
import os
import pathlib
from typing import Any, Dict, Iterable, List, Literal, Mapping, Optional, Tuple, Union, final, overload

import pandas as pd

from ._types import DecisionInfo, Diagnostic, TestResult

__version__: str
__all__ = [
    "__version__",
    "Policy",
    "Decision",
    "TestReport",
    "synth",
    "_impact",
    "_to_json_text",
    "_evaluate_arrow",
    "_arrow_schema",
    "_columns_from_arrow",
]

#: A record: a dict (or other mapping) in the policy's record shape, or its JSON text.
_Record = Union[Mapping[str, Any], str, bytes]
#: Many records: an iterable of records, a pandas DataFrame, a pyarrow Table or RecordBatch, a
#: polars DataFrame, or a JSON Lines path.
_Records = Union[Iterable[_Record], "pd.DataFrame", Any, str, "os.PathLike[str]"]
#: A date to apply a policy at.
_AsAt = Union[datetime.date, str, None]

@final
class Policy:
    """A loaded, checked policy, ready to evaluate family records.

    Load one with ``Policy.from_file(path)`` (imports are read relative to the file) or
    ``Policy.from_str(text)``; a policy with errors raises ``PolicyError``. A policy is immutable
    and safe to share between threads.
    """

    @staticmethod
    def from_file(path: Union[str, "os.PathLike[str]"]) -> "Policy":
        """Loads and checks the policy in ``path`` with the files it imports (relative to it).

        Raises ``PolicyError`` (with ``.diagnostics``) if it cannot be read or has errors; warnings
        are in ``policy.warnings``. Raises ``TypeError`` if ``path`` is not a path.
        """
    @staticmethod
    def from_str(text: str, name: str = "<string>") -> "Policy":
        """Loads and checks a policy from its text; ``name`` is how diagnostics refer to it.

        A policy given as text cannot ``import`` other files (use ``from_file``). Raises
        ``PolicyError`` if it has errors.
        """
    @property
    def name(self) -> str:
        """The name in the policy header."""
    @property
    def version(self) -> Optional[str]:
        """The header's ``version``, or ``None``."""
    @property
    def title(self) -> Optional[str]:
        """The header's ``title``, or ``None``."""
    @property
    def content_hash(self) -> str:
        """``sha256:…`` of the policy's files; every decision is stamped with it."""
    @property
    def decisions(self) -> List[DecisionInfo]:
        """The decisions the policy gives, in order (name, label, type, values)."""
    @property
    def warnings(self) -> List[Diagnostic]:
        """Warnings found while loading."""
    def evaluate(
        self, record: _Record, as_at: _AsAt = None, explain: bool = False, outside_in_force: bool = False
    ) -> "Decision":
        """Evaluates one record (a dict or JSON text). ``outside_in_force=True`` evaluates a record
        whose as-at date lies outside the policy's ``in_force`` window (else ``RecordError``).

        ``as_at`` applies the policy at that date instead of its default (usually the record's
        assessment date). ``explain=True`` records the explanation up front (``to_dict()`` then
        includes it); ``Decision.explain()`` works either way. Raises ``RecordError`` for a record
        that cannot be evaluated and ``TypeError`` for something that is not a record. Releases
        the GIL while evaluating.
        """
    @overload
    def evaluate_many(
        self,
        records: _Records,
        as_at: _AsAt = None,
        explain: bool = False,
        jobs: Optional[int] = None,
        outside_in_force: bool = False,
        output: Literal["pandas"] = "pandas",
    ) -> "pd.DataFrame":
        """Evaluates many records on all cores, with the GIL released.

        ``records``: a list (or any iterable) of dicts or JSON texts, a pandas DataFrame (one
        record per row, nested values in its cells; NaN/NaT/NA read as unknown), a pyarrow Table
        or RecordBatch or a polars DataFrame (nested structs and lists in the record shape, or one
        column of JSON texts; read in Rust, no Python object per row), or the path (``str`` or
        ``os.PathLike``) of a JSON Lines file (read as ``earlyhelp eval`` reads it). Returns a
        DataFrame with one row per record, in order: ``id``, one column per decision (yes/no
        decisions as pandas' nullable ``boolean``; undetermined is ``<NA>`` / ``None``),
        ``missing`` (a list of paths) and ``error`` (``None``, or why the record could not be
        evaluated: a bad record never stops the others). ``explain=True`` adds an ``explanation``
        column of nested dicts; ``outside_in_force=True`` an ``outside_in_force`` column. A
        DataFrame's index is kept. ``jobs`` is how many threads evaluate (``None`` or 0: one per
        core), like ``earlyhelp eval --jobs``. ``output="arrow"`` returns a pyarrow Table and
        ``output="polars"`` a polars DataFrame instead (see docs/python.md for the Arrow types).
        """
    @overload
    def evaluate_many(
        self,
        records: _Records,
        as_at: _AsAt = None,
        explain: bool = False,
        jobs: Optional[int] = None,
        outside_in_force: bool = False,
        *,
        output: Literal["arrow", "polars"],
    ) -> Any: ...
    def run_tests(self) -> "TestReport":
        """Runs the policy's ``test`` blocks; load a ``….tests.policy`` file to run its tests."""
    def _columns_from_path(
        self,
        path: Union[str, "os.PathLike[str]"],
        as_at: _AsAt = None,
        explain: bool = False,
        jobs: Optional[int] = None,
        outside_in_force: bool = False,
    ) -> Dict[str, Any]: ...
    @staticmethod
    def _from_sources(sources: List[Tuple[str, str]]) -> "Policy": ...
    def _sources(self) -> List[Tuple[str, str]]: ...
    def __reduce__(self) -> Tuple[Any, Tuple[List[Tuple[str, str]]]]: ...
    def _columns_from_records(
        self,
        records: Iterable[Any],
        as_at: _AsAt = None,
        explain: bool = False,
        na_is_null: bool = False,
        jobs: Optional[int] = None,
        outside_in_force: bool = False,
    ) -> Dict[str, Any]: ...

@final
class Decision:
    """What a policy decided for one record, and why."""

    @property
    def id(self) -> Optional[str]:
        """The record's ``id``."""
    @property
    def outputs(self) -> Dict[str, Any]:
        """Each decision by name, in declaration order; ``None`` when undetermined."""
    @property
    def missing(self) -> List[str]:
        """Record paths whose unknown values left a decision undetermined, sorted."""
    @property
    def as_at(self) -> datetime.date:
        """The date the policy was applied at."""
    @property
    def policy(self) -> Dict[str, Optional[str]]:
        """``{"name", "version", "hash"}`` of the policy that decided."""
    @property
    def explanation(self) -> Dict[str, Any]:
        """The explanation as nested dicts: ``{"decisions": [...], "groups": [...]}``."""
    def explain(self, *, trace: bool = False) -> str:
        """The explanation in plain English, as ``earlyhelp explain`` prints it: each decision in a
        sentence, the needs met and whom they are about, what is not known. ``trace=True`` gives
        every condition, as ``earlyhelp explain --trace``."""
    def to_dict(self) -> Dict[str, Any]:
        """The stable output row of ``earlyhelp eval`` (``id``, ``outputs``, ``missing``, ``as_at``,
        ``policy``, and ``explanation`` when asked for)."""
    def to_json(self) -> str:
        """``to_dict()`` as one line of JSON, exactly as ``earlyhelp eval`` writes it."""
    def __getitem__(self, name: str, /) -> Any:
        """One decision's value; ``KeyError`` for a name the policy does not decide."""
    def __contains__(self, name: str, /) -> bool: ...
    def _repr_html_(self) -> str:
        """The explanation as an HTML tree, for notebooks."""

@final
class TestReport:
    """The outcome of a policy's tests; ``str(report)`` prints like ``earlyhelp test``."""

    @property
    def policy(self) -> str:
        """The file the tests came from."""
    @property
    def results(self) -> List[TestResult]:
        """One result per test block, in file order."""
    @property
    def passed(self) -> int: ...
    @property
    def failed(self) -> int: ...
    @property
    def ok(self) -> bool:
        """Whether every test passed."""
    def coverage(self) -> List[Dict[str, Any]]:
        """Per need, group and decision: the outcomes some test saw (``seen``) and those none did
        (``gaps``)."""
    def coverage_text(self) -> str:
        """The coverage as ``earlyhelp test --coverage`` prints it."""
    def __len__(self) -> int: ...

@overload
def synth(n: int, seed: int = 1, missing: Optional[float] = None, path: None = None) -> List[Dict[str, Any]]:
    """Synthetic families in the reference record shape, deterministic for ``seed``: a list of
    dicts, or, with ``path``, written there as JSON Lines (and the path returned). ``missing`` is
    the share of optional fields left unknown (0 to 1; default 8%)."""
@overload
def synth(n: int, seed: int = 1, missing: Optional[float] = None, *, path: Union[str, "os.PathLike[str]"]) -> pathlib.Path: ...

def _impact(
    old: Policy,
    new: Policy,
    kind: str,
    records: Any,
    json: Optional[str] = None,
    as_at: _AsAt = None,
    na_is_null: bool = False,
    jobs: Optional[int] = None,
) -> Dict[str, Any]: ...
def _evaluate_arrow(
    policy: Policy,
    kind: str,
    records: Any,
    json: Optional[str] = None,
    as_at: _AsAt = None,
    explain: bool = False,
    na_is_null: bool = False,
    jobs: Optional[int] = None,
    outside_in_force: bool = False,
    lines: bool = True,
) -> Any: ...
def _arrow_schema(policy: Policy, explain: bool = False, outside_in_force: bool = False) -> Any: ...
def _columns_from_arrow(
    policy: Policy,
    records: Any,
    json: Optional[str] = None,
    as_at: _AsAt = None,
    explain: bool = False,
    jobs: Optional[int] = None,
    outside_in_force: bool = False,
) -> Dict[str, Any]: ...
def _to_json_text(value: Any) -> str: ...
