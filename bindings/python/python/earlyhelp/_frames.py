"""Batches as pandas DataFrames: ``Policy.evaluate_many`` and ``earlyhelp.diff``.

The Rust extension evaluates (on all cores, without the GIL) and hands back plain columns; this
module only decides where the records come from and shapes the result.
"""

from __future__ import annotations

import gc
import json
import os
import sys
from collections.abc import Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Dict, Iterable, Iterator, List, Optional, Tuple, Union

from . import _earlyhelp

if TYPE_CHECKING:  # pragma: no cover
    import datetime

    import pandas as pd

    from ._earlyhelp import Policy

#: The names of the columns ``evaluate_many`` adds around the decisions.
META = ("id", "missing", "error", "outside_in_force", "explanation")


@contextmanager
def _no_gc() -> Iterator[None]:
    """Builds many small containers without the cyclic collector running over them again and
    again (none of them form cycles); restores the collector as it was."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _rows_of_dataframe(frame: "pd.DataFrame", size: int = 4096) -> Iterator[Dict[str, Any]]:
    """A DataFrame's rows as dicts, a slice at a time (so memory stays flat).

    The same dicts as ``to_dict("records")`` (plain Python values; a repeated column name keeps
    its last column), five times faster: each column of a slice becomes a list at once.
    """
    names = list(frame.columns)
    if not names:  # rows without columns are still records (empty ones)
        for _ in range(len(frame)):
            yield {}
        return
    for start in range(0, len(frame), size):
        part = frame.iloc[start : start + size]
        columns = [part.iloc[:, i].tolist() for i in range(len(names))]
        for values in zip(*columns):
            yield dict(zip(names, values))


def _is_arrow(records: Any) -> bool:
    """A pyarrow Table or RecordBatch, or a polars DataFrame: Arrow the engine reads itself."""
    pa = sys.modules.get("pyarrow")
    if pa is not None and isinstance(records, (pa.Table, pa.RecordBatch)):
        return True
    pl = sys.modules.get("polars")
    return pl is not None and isinstance(records, pl.DataFrame)


def _has(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


def _json_column(records: Any) -> Optional[str]:
    """The column of JSON texts of an Arrow table that holds one column only, of texts."""
    pl = sys.modules.get("polars")
    if pl is not None and isinstance(records, pl.DataFrame):
        return records.columns[0] if records.width == 1 and records.dtypes[0] == pl.String else None
    import pyarrow as pa

    schema = records.schema
    if len(schema) != 1:
        return None
    ty = schema.field(0).type
    texts = pa.types.is_string(ty) or pa.types.is_large_string(ty) or pa.types.is_string_view(ty)
    return str(schema.names[0]) if texts else None


def _source(records: Any, caller: str) -> Tuple[str, Any, bool, Any]:
    """Where the records come from: ``("path", path, False, None)``,
    ``("records", iterable, na_is_null, index)`` or ``("arrow", table, False, None)``."""
    if isinstance(records, (str, os.PathLike)):
        return ("path", os.fspath(records), False, None)
    if isinstance(records, (bytes, bytearray)):
        raise TypeError(f"{caller}: records are a list of records, a DataFrame, a pyarrow Table or a path, not bytes")
    pd = sys.modules.get("pandas")
    if pd is not None and isinstance(records, pd.DataFrame):
        # pandas fills the holes of a DataFrame with NaN/NaT/NA: they read as unknown.
        return ("records", _rows_of_dataframe(records), True, records.index)
    if _is_arrow(records):
        pl = sys.modules.get("polars")
        if pl is not None and isinstance(records, pl.DataFrame) and _has("pyarrow"):
            # Through pyarrow (zero-copy): polars exports an all-null column with a buffer that
            # Arrow's C data interface does not expect for the null type.
            records = records.to_arrow()
        return ("arrow", records, False, None)
    if isinstance(records, Mapping):
        raise TypeError(f"{caller} takes many records (a list of dicts…); to evaluate one record use Policy.evaluate")
    try:
        iter(records)
    except TypeError:
        raise TypeError(
            f"{caller}: records are a list of records, a pandas DataFrame, a pyarrow Table or the path "
            f"of a JSON Lines file, not {type(records).__name__}"
        ) from None
    return ("records", records, False, None)


def _frame(policy: "Policy", columns: Dict[str, Any], index: Any = None) -> "pd.DataFrame":
    import pandas as pd

    names = [d.name for d in policy.decisions]

    def meta(name: str) -> str:
        # A decision that happens to be called like a meta column keeps its name.
        return name if name not in names else "_" + name

    def column(values: Any) -> Any:
        if isinstance(values, tuple):
            # A yes/no column: the values and the mask (undetermined) of a nullable boolean
            # array, one byte a row each, straight from the engine.
            import numpy as np

            truth, mask = values
            return pd.arrays.BooleanArray(np.frombuffer(truth, dtype=np.bool_), np.frombuffer(mask, dtype=np.bool_))
        return values

    data: Dict[str, Any] = {meta("id"): columns["id"]}
    for info in policy.decisions:
        data[info.name] = column(columns["decisions"][info.name])
    data[meta("missing")] = columns["missing"]
    data[meta("error")] = columns["error"]
    if "outside_in_force" in columns:
        data[meta("outside_in_force")] = column(columns["outside_in_force"])
    if columns.get("explanation") is not None:
        data[meta("explanation")] = columns["explanation"]
    frame = pd.DataFrame(data)
    if index is not None and len(index) == len(frame):
        frame.index = index
    return frame


#: The forms ``evaluate_many`` returns.
OUTPUTS = ("pandas", "arrow", "polars")


def evaluate_many(
    policy: "Policy",
    records: Any,
    as_at: "Union[datetime.date, str, None]" = None,
    explain: bool = False,
    jobs: Optional[int] = None,
    outside_in_force: bool = False,
    output: str = "pandas",
) -> Any:
    """See ``Policy.evaluate_many``."""
    if output not in OUTPUTS:
        raise ValueError(f"output must be one of {', '.join(map(repr, OUTPUTS))}, not {output!r}")
    # Fail early, before the work, if the library of the result is missing.
    if output == "pandas":
        import pandas  # noqa: F401
    elif output == "arrow":
        import pyarrow
    else:
        import polars

    kind, source, na_is_null, index = _source(records, "evaluate_many")
    json = _json_column(source) if kind == "arrow" else None
    jobs = _jobs(jobs)
    if output != "pandas":
        # Built as Arrow arrays in Rust; pyarrow and polars take them without a copy.
        table = _earlyhelp._evaluate_arrow(
            policy, kind, source, json, as_at, explain, na_is_null, jobs, outside_in_force
        )
        return pyarrow.table(table) if output == "arrow" else polars.DataFrame(table)
    with _no_gc():
        if kind == "path":
            columns = policy._columns_from_path(source, as_at, explain, jobs, outside_in_force)
        elif kind == "arrow":
            columns = _earlyhelp._columns_from_arrow(policy, source, json, as_at, explain, jobs, outside_in_force)
        else:
            columns = policy._columns_from_records(source, as_at, explain, na_is_null, jobs, outside_in_force)
        return _frame(policy, columns, index)


def _jobs(jobs: Any) -> Optional[int]:
    """Checks the ``jobs`` argument: ``None`` or 0 (one thread per core, as ``earlyhelp eval
    --jobs 0`` and the engine's ``Batch::jobs(0)``) or a whole number of threads."""
    if jobs is None:
        return None
    if isinstance(jobs, bool) or not isinstance(jobs, int):
        raise TypeError(f"jobs must be a whole number or None, not {type(jobs).__name__}")
    if jobs < 0:
        raise ValueError("jobs must be 0 or more (0 or None: one thread per core)")
    return jobs


def _shown(value: Any) -> str:
    """A decision value as ``earlyhelp diff`` prints it."""
    if value is None:
        return "undetermined"
    if isinstance(value, list):
        if not value:
            return "[]"
        return ", ".join(v if isinstance(v, str) else json.dumps(v) for v in value)
    if isinstance(value, str):
        return value
    return json.dumps(value)


class Impact:
    """The impact of changing one policy into another over the same records: for each decision,
    how many records change, from what to what, which needs drive the changes, and example ids.

    ``summary``, ``transitions`` and ``drivers`` are pandas DataFrames; ``to_dict()`` is the JSON
    of ``earlyhelp diff --format json``; ``str(impact)`` prints like ``earlyhelp diff``.
    """

    records: int
    """Records compared."""
    errors: int
    """Records that either policy could not evaluate."""

    def __init__(self, data: Dict[str, Any], old: str = "old", new: str = "new") -> None:
        self._data = data
        self.old_name = old
        self.new_name = new
        self.records = int(data.get("records", 0))
        self.errors = int(data.get("errors", 0))

    def to_dict(self) -> Dict[str, Any]:
        """The impact as ``earlyhelp diff --format json`` gives it."""
        return json.loads(json.dumps(self._data))

    @property
    def summary(self) -> "pd.DataFrame":
        """One row per decision: ``decision``, ``changed`` and ``unchanged`` record counts."""
        import pandas as pd

        rows = []
        for d in self._data["decisions"]:
            unchanged = sum(t["count"] for t in d["transitions"] if t["from"] == t["to"])
            rows.append({"decision": d["decision"], "changed": d["changed"], "unchanged": unchanged})
        return pd.DataFrame(rows, columns=["decision", "changed", "unchanged"])

    @property
    def transitions(self) -> "pd.DataFrame":
        """One row per (decision, from, to) pair seen, changes first and most frequent first:
        ``decision``, ``from``, ``to`` (the values; ``None`` is undetermined), ``change`` (a label
        such as ``"false → true"``), ``changed``, ``count``, ``examples`` (up to five record ids)
        and ``drivers`` (a list of ``(need, records)``, most frequent first)."""
        import pandas as pd

        rows = []
        for d in self._data["decisions"]:
            for t in d["transitions"]:
                rows.append(
                    {
                        "decision": d["decision"],
                        "from": t["from"],
                        "to": t["to"],
                        "change": f"{_shown(t['from'])} → {_shown(t['to'])}",
                        "changed": t["from"] != t["to"],
                        "count": t["count"],
                        "examples": list(t["examples"]),
                        "drivers": [(x["need"], x["records"]) for x in t["drivers"]],
                    }
                )
        columns = ["decision", "from", "to", "change", "changed", "count", "examples", "drivers"]
        return pd.DataFrame(rows, columns=columns)

    @property
    def drivers(self) -> "pd.DataFrame":
        """Why records change: one row per (decision, change, need) with ``records``, the number of
        changed records in which that need's state differs between the two policies."""
        import pandas as pd

        rows = []
        for d in self._data["decisions"]:
            for t in d["transitions"]:
                for x in t["drivers"]:
                    rows.append(
                        {
                            "decision": d["decision"],
                            "from": t["from"],
                            "to": t["to"],
                            "change": f"{_shown(t['from'])} → {_shown(t['to'])}",
                            "need": x["need"],
                            "records": x["records"],
                        }
                    )
        return pd.DataFrame(rows, columns=["decision", "from", "to", "change", "need", "records"])

    def __str__(self) -> str:
        out = [f"{self.old_name} → {self.new_name}: {self.records} records, {self.errors} errors"]
        for d in self._data["decisions"]:
            out.append("")
            out.append(f"{d['decision']}: {d['changed']} changed")
            for t in d["transitions"]:
                if t["from"] == t["to"]:
                    continue
                out.append(f"  {_shown(t['from'])} → {_shown(t['to'])}: {t['count']}")
                if t["drivers"]:
                    shown = ", ".join(f"{x['need']} ({x['records']})" for x in t["drivers"][:4])
                    out.append(f"      driven by: {shown}")
                if t["examples"]:
                    out.append(f"      e.g. {', '.join(t['examples'])}")
        return "\n".join(out) + "\n"

    def __repr__(self) -> str:
        changed = ", ".join(f"{d['decision']}: {d['changed']}" for d in self._data["decisions"])
        return f"<Impact {self.records} records, {self.errors} errors; changed {changed}>"

    def _repr_html_(self) -> str:
        from html import escape

        parts = [
            f"<p><b>{escape(self.old_name)} → {escape(self.new_name)}</b>: "
            f"{self.records} records compared, {self.errors} could not be evaluated.</p>",
            self.summary.to_html(index=False),
        ]
        changes = self.transitions
        changes = changes[changes["changed"]][["decision", "change", "count", "drivers", "examples"]]
        if len(changes):
            parts.append(changes.to_html(index=False))
        return "\n".join(parts)


def diff(
    old: "Policy",
    new: "Policy",
    records: Any,
    as_at: "Union[datetime.date, str, None]" = None,
    jobs: Optional[int] = None,
) -> Impact:
    """The impact of changing policy ``old`` into ``new`` over the same records, as
    ``earlyhelp diff`` computes it (both policies explained, on all cores).

    ``records`` takes the same forms as ``Policy.evaluate_many``: a list of dicts, a pandas
    DataFrame, a pyarrow Table or the path of a JSON Lines file. Returns an :class:`Impact`
    (``.summary``, ``.transitions``, ``.drivers`` DataFrames; ``.to_dict()``; ``print(impact)``).
    ``as_at`` applies both policies at that date; ``jobs`` is how many threads evaluate (default:
    one per core).
    """
    for name, p in (("old", old), ("new", new)):
        if not isinstance(p, _earlyhelp.Policy):
            raise TypeError(f"diff: {name} must be an earlyhelp.Policy, not {type(p).__name__}")
    kind, source, na_is_null, _ = _source(records, "diff")
    json = _json_column(source) if kind == "arrow" else None
    jobs = _jobs(jobs)
    with _no_gc():
        data = _earlyhelp._impact(old, new, kind, source, json, as_at, na_is_null, jobs)
    a, b = _label(old), _label(new)
    if a == b:  # the same policy name and version: tell them apart by their content hashes
        a, b = f"{a} ({old.content_hash[:15]}…)", f"{b} ({new.content_hash[:15]}…)"
    return Impact(data, a, b)


def _label(policy: "Policy") -> str:
    return policy.name + (f" {policy.version}" if policy.version else "")
