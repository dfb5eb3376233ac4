"""A policy over a Spark DataFrame, evaluated where the data lives: in the executors.

>>> import earlyhelp, earlyhelp.spark
>>> policy = earlyhelp.Policy.from_file("policies/supporting-families/supporting-families.policy")
>>> families = spark.read.json("families.jsonl")            # nested structs in the record shape
>>> decisions = earlyhelp.spark.evaluate(families, policy)  # doctest: +SKIP

The policy travels with the task as its files (the main file, its imports and scripts), is loaded
once per Python worker, and each Arrow batch of a partition goes through ``evaluate_many`` in Rust
(``mapInArrow``): no row passes through the driver. See docs/spark.md.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any, Dict, Iterator, List, Optional, Tuple, Union

from . import _earlyhelp

if TYPE_CHECKING:  # pragma: no cover
    import pyarrow as pa
    from pyspark.sql import DataFrame

    from ._earlyhelp import Policy

__all__ = ["evaluate", "schema"]

#: Policies loaded in this Python worker, by content hash: a worker runs many tasks, and loading
#: (parsing and checking) is done once, not once per task or batch.
_LOADED: Dict[str, "Policy"] = {}


def _policy(sources: List[Tuple[str, str]], content_hash: str) -> "Policy":
    policy = _LOADED.get(content_hash)
    if policy is None:
        policy = _earlyhelp.Policy._from_sources(sources)
        _LOADED[content_hash] = policy
    return policy


def schema(policy: "Policy") -> Any:
    """The Spark schema of the decision columns ``evaluate`` adds: ``id``, one column per
    decision, ``missing`` and ``error`` (the types of ``evaluate_many(..., output="arrow")``:
    booleans, doubles, strings, dates, arrays and maps)."""
    import pyarrow as pa
    from pyspark.sql.pandas.types import from_arrow_schema

    return from_arrow_schema(pa.schema(_earlyhelp._arrow_schema(policy)))


def evaluate(
    df: "DataFrame",
    policy: "Policy",
    *,
    as_at: Union[datetime.date, str, None] = None,
    json_column: Optional[str] = None,
) -> "DataFrame":
    """The decisions of ``policy`` for every row of ``df``, as a Spark DataFrame (lazy: nothing
    runs until an action).

    Each row of ``df`` is a record in the reference record shape (nested structs and arrays), or,
    with ``json_column``, that column holds each record's JSON text (as a line of ``earlyhelp
    eval --records``) and the other columns are keys, kept in front of the result. The result
    has the key columns, then ``id``, one column per decision, ``missing`` (an array of record
    paths) and ``error`` (why a row could not be evaluated, else null: a bad row never stops the
    others, and none is lost). ``as_at`` applies the policy at that date.
    """
    from pyspark.sql.types import StructType

    if not isinstance(policy, _earlyhelp.Policy):
        raise TypeError(f"evaluate: policy must be an earlyhelp.Policy, not {type(policy).__name__}")
    if as_at is not None and not isinstance(as_at, (datetime.date, str)):
        raise TypeError(f"as_at must be a datetime.date or a 'YYYY-MM-DD' text, not {type(as_at).__name__}")
    as_at_text = as_at.isoformat()[:10] if isinstance(as_at, datetime.date) else as_at
    if as_at_text is not None:
        datetime.date.fromisoformat(as_at_text)  # a bad date fails here, not in every task
    decisions = schema(policy)
    if json_column is None:
        keys: List[str] = []
    else:
        if json_column not in df.columns:
            raise ValueError(f"json_column: the DataFrame has no column {json_column!r}")
        keys = [c for c in df.columns if c != json_column]
        clash = sorted(set(keys) & set(decisions.fieldNames()))
        if clash:
            raise ValueError(f"evaluate: the key column(s) {', '.join(clash)} share a name with the result's columns")
    out = StructType([df.schema[k] for k in keys] + list(decisions.fields))
    sources = policy._sources()
    content_hash = policy.content_hash

    def run(batches: Iterator["pa.RecordBatch"]) -> Iterator["pa.RecordBatch"]:
        import pyarrow as pa

        policy = _policy(sources, content_hash)
        for batch in batches:
            records = batch.select([json_column]) if json_column is not None else batch
            # One thread: Spark runs a task per core already. Errors without a position: a
            # batch's row numbers mean nothing outside it.
            result = _earlyhelp._evaluate_arrow(policy, "arrow", records, json_column, as_at_text, jobs=1, lines=False)
            decided = [c.combine_chunks() for c in pa.table(result).columns]  # one chunk each
            columns = [batch.column(k) for k in keys] + decided
            yield pa.RecordBatch.from_arrays(columns, names=out.fieldNames())

    return df.mapInArrow(run, out)
