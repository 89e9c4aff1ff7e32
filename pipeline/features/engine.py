"""The one interface both extraction engines implement: given the clips to extract (in shard order) and
their decode groups, return the store metadata and every clip's outcome in that order."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from pipeline.features.batching import ClipOutcome
from pipeline.features.config import ExtractConfig
from pipeline.features.decode import ClipRef
from pipeline.features.store import StoreInfo


@dataclass
class EngineRun:
    info: StoreInfo
    outcomes: Iterator[ClipOutcome]  # lazily, in todo order, so shards are written as they complete
    load_s: float  # building the model (the slowest actor's, on Ray)


Engine = Callable[[list[ClipRef], list[list[int]], ExtractConfig], EngineRun]
