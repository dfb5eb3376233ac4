"""Plain data the engine hands back: exceptions, diagnostics, decision and test descriptions.

These are ordinary Python classes (picklable, comparable, printable); the Rust extension builds
them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Dict, List, Optional, Sequence


class EarlyHelpError(Exception):
    """Base class of every error earlyhelp raises on purpose."""


@dataclass(frozen=True)
class Diagnostic:
    """One finding about a policy file: what is wrong, where, and what would fix it.

    ``str(diagnostic)`` is the rendered form ``earlyhelp check`` prints (with the source line and
    a caret); the fields are for tools.
    """

    severity: str
    """``"error"`` or ``"warning"``."""
    message: str
    """One line saying what is wrong."""
    file: str
    """The file as it was named when loaded."""
    line: int
    """1-based line of the start of the offending text."""
    column: int
    """1-based column (in characters) of the start of the offending text."""
    end_line: int
    end_column: int
    label: Optional[str] = None
    """A short note under the caret."""
    help: Optional[str] = None
    """What would fix it, where that helps."""
    rendered: str = field(default="", repr=False, compare=False)
    """The diagnostic as ``earlyhelp check`` prints it."""

    def __str__(self) -> str:
        return self.rendered or f"{self.severity}: {self.message} ({self.file}:{self.line}:{self.column})"

    def to_dict(self) -> Dict[str, Any]:
        """The fields as a dict (without ``rendered``), as ``earlyhelp check --format json`` gives them."""
        d = asdict(self)
        d.pop("rendered", None)
        for optional in ("label", "help"):
            if d[optional] is None:
                del d[optional]
        return d


class PolicyError(EarlyHelpError, ValueError):
    """A policy that does not load (a file that cannot be read, a syntax or type error…).

    ``str(error)`` is the rendered diagnostics, as ``earlyhelp check`` prints them;
    ``error.diagnostics`` is the list of :class:`Diagnostic` for tools.
    """

    diagnostics: List[Diagnostic]

    def __init__(self, message: str, diagnostics: Sequence[Diagnostic] = ()) -> None:
        super().__init__(message)
        self.diagnostics = list(diagnostics)

    def __reduce__(self):  # keep the diagnostics when pickled (e.g. across processes)
        return (type(self), (str(self), self.diagnostics))


class RecordError(EarlyHelpError, ValueError):
    """A record that cannot be evaluated: not an object, a field of the wrong type, a required
    field missing, a value with no JSON form (NaN, a set…).

    ``str(error)`` is ``"path: message"``; ``error.id`` is the record's ``id`` when it has one,
    ``error.path`` the offending field (``members[2].date_of_birth``) when there is one. The message
    names the path and the type found, never the record's content.
    """

    id: Optional[str]
    path: Optional[str]

    def __init__(self, message: str, id: Optional[str] = None, path: Optional[str] = None) -> None:
        super().__init__(message)
        self.id = id
        self.path = path

    def __reduce__(self):
        return (type(self), (str(self), self.id, self.path))


@dataclass(frozen=True)
class DecisionInfo:
    """A decision a policy gives: its name, label and the type of its value."""

    name: str
    label: Optional[str]
    type: str
    """``bool``, ``number``, ``percent``, ``money``, ``text``, ``date``, ``duration``, an enum or
    scale name, or ``list of …``."""
    values: List[str]
    """The values it can take, for yes/no, enum and level decisions (lowest level first); empty
    otherwise."""
    per_member: bool = False
    """Made for each member of a list (``for each c in …``): its value is a dict from each
    member's ``id`` to a value of ``type`` (``None`` where undetermined)."""


@dataclass(frozen=True)
class TestResult:
    """The outcome of one ``test`` block of a policy."""

    __test__ = False  # not a pytest test class

    name: str
    location: str
    """``file:line`` of the test block."""
    failures: List[str]
    """One entry per expectation that did not hold (empty when the test passed)."""

    @property
    def passed(self) -> bool:
        """Whether every expectation held."""
        return not self.failures
