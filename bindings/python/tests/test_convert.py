"""Python values become the JSON Python itself would write: numbers keep the text repr prints."""

from __future__ import annotations

import json
import math
import random
import struct

import pytest

from earlyhelp import _earlyhelp


def random_float(rng: random.Random) -> float:
    while True:
        (f,) = struct.unpack("<d", rng.getrandbits(64).to_bytes(8, "little"))
        if math.isfinite(f):
            return f


def test_floats_keep_the_text_repr_prints():
    rng = random.Random(7)
    samples = [random_float(rng) for _ in range(20_000)]
    samples += [rng.uniform(-1000, 1000) for _ in range(20_000)]
    samples += [round(rng.uniform(0, 100), 2) for _ in range(5_000)]
    samples += [0.0, -0.0, 1.0, 0.1, 89.99, 1e16, 1e15, 123456789012345678.0, 1e-4, 1e-5, 0.0001234,
                5e-324, 1.7976931348623157e308, 2.0**53, 2.0**53 + 2, 1e22, 1e21, 9007199254740993.0]
    for f in samples:
        assert _earlyhelp._to_json_text(f) == repr(f) == json.dumps(f), f


def to_json_text(v) -> str:
    return _earlyhelp._to_json_text(v)


def random_value(rng: random.Random, depth: int = 0):
    kind = rng.randrange(8 if depth < 4 else 5)
    if kind == 0:
        return None
    if kind == 1:
        return rng.random() < 0.5
    if kind == 2:
        return rng.randrange(-10**30, 10**30) if rng.random() < 0.1 else rng.randrange(-1000, 1000)
    if kind == 3:
        return random_float(rng) if rng.random() < 0.5 else rng.uniform(-100, 100)
    if kind == 4:
        return "".join(chr(rng.choice([rng.randrange(32, 127), rng.randrange(0x80, 0x3000), 0x1F600, 10, 34, 92]))
                       for _ in range(rng.randrange(6)))
    if kind in (5, 6):
        return {f"k{rng.randrange(100)}\u00e9": random_value(rng, depth + 1) for _ in range(rng.randrange(4))}
    return [random_value(rng, depth + 1) for _ in range(rng.randrange(4))]


def test_values_convert_as_json_dumps_writes_them():
    rng = random.Random(3)
    for _ in range(3000):
        v = random_value(rng)
        ours = to_json_text(v)
        assert json.loads(ours) == json.loads(json.dumps(v, allow_nan=False))
        # numbers keep their text: compare the number tokens too
        assert ours == json.dumps(v, allow_nan=False, separators=(",", ":"), ensure_ascii=False), v


def test_other_values():
    import datetime
    import decimal

    assert to_json_text(datetime.date(2024, 2, 29)) == '"2024-02-29"'
    assert to_json_text(datetime.datetime(2024, 2, 29)) == '"2024-02-29"'
    assert to_json_text(datetime.datetime(2024, 2, 29, 10, 30)) == '"2024-02-29T10:30:00"'
    assert to_json_text(decimal.Decimal("89.990")) == "89.990"
    assert to_json_text((1, 2)) == "[1,2]"
    assert to_json_text(True) == "true"
    np = pytest.importorskip("numpy")
    assert to_json_text(np.array([1, 2])) == "[1,2]"
    assert to_json_text(np.bool_(True)) == "true"
    assert to_json_text({"a": np.float64(0.1)}) == '{"a":0.1}'


@pytest.mark.parametrize("bad", [math.nan, [math.inf], {"a": {1, 2}}, {3: 4}, object(), b"x", 1j])
def test_no_json_form(bad):
    with pytest.raises(ValueError):
        to_json_text(bad)
