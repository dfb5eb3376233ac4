"""Policies are shared between threads: evaluation releases the GIL and gives the same answers."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pandas as pd

import earlyhelp
from conftest import SF


def test_evaluate_from_many_threads_at_once(sf, families):
    records = families[:400]
    expected = [sf.evaluate(r).to_json() for r in records]
    with ThreadPoolExecutor(max_workers=8) as pool:
        got = list(pool.map(lambda r: sf.evaluate(r).to_json(), records))
    assert got == expected
    with ThreadPoolExecutor(max_workers=8) as pool:
        explained = list(pool.map(lambda r: sf.evaluate(r).explain(), records[:100]))
    assert explained == [sf.evaluate(r, explain=True).explain() for r in records[:100]]


def test_one_decision_explained_from_many_threads(sf, families):
    decision = sf.evaluate(families[3])
    barrier = threading.Barrier(6)

    def explain(_):
        barrier.wait()
        return decision.explain()

    with ThreadPoolExecutor(max_workers=6) as pool:
        texts = list(pool.map(explain, range(6)))
    assert len(set(texts)) == 1 and texts[0]


def test_evaluate_many_and_load_from_several_threads(sf, families, families_path):
    expected = sf.evaluate_many(families[:500])

    def work(i):
        if i % 3 == 0:
            return sf.evaluate_many(families[:500])
        if i % 3 == 1:
            return sf.evaluate_many(families_path).iloc[:500]
        return earlyhelp.Policy.from_file(SF).evaluate_many(families[:500])

    with ThreadPoolExecutor(max_workers=6) as pool:
        frames = list(pool.map(work, range(6)))
    for f in frames:
        pd.testing.assert_frame_equal(f.reset_index(drop=True), expected)


def test_the_gil_is_released_while_evaluating(sf, families_path):
    # While one thread evaluates a file, another keeps running Python code.
    ticks = 0
    done = threading.Event()

    def ticker():
        nonlocal ticks
        while not done.is_set():
            ticks += 1

    t = threading.Thread(target=ticker)
    t.start()
    try:
        sf.evaluate_many(families_path)
    finally:
        done.set()
        t.join()
    assert ticks > 1000
