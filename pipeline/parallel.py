"""Ordered parallel map over worker processes with a progress bar.

Workers are spawned, never forked: a fork after torch or decord started their thread pools can
deadlock the child.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from typing import TypeVar

from tqdm import tqdm

T = TypeVar("T")
R = TypeVar("R")


def process_map(
    fn: Callable[[T], R], items: Iterable[T], workers: int, desc: str, chunksize: int = 8, unit: str = "clip"
) -> list[R]:
    """Results in input order; inline when `workers` is 1 (easier to debug, no start-up cost)."""
    items = list(items)
    bar = tqdm(total=len(items), desc=desc, unit=unit)
    if workers <= 1:
        results = []
        for item in items:
            results.append(fn(item))
            bar.update()
        bar.close()
        return results
    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        results = []
        for result in pool.map(fn, items, chunksize=chunksize):
            results.append(result)
            bar.update()
    bar.close()
    return results
