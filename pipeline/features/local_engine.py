"""The local engine (`features.engine: local`): DataLoader worker processes decode while the model
computes in this process."""

from __future__ import annotations

import logging
import multiprocessing
import time

from torch.utils.data import DataLoader

from pipeline.features.batching import embed_group, store_info
from pipeline.features.config import ExtractConfig
from pipeline.features.decode import ClipRef, DecodeDataset
from pipeline.features.embedders import Embedder, build_embedder
from pipeline.features.engine import EngineRun
from pipeline.features.functionals import preparer

log = logging.getLogger(__name__)


def loader(dataset: DecodeDataset, groups: list[list[int]], workers: int) -> DataLoader:
    extra = (
        {"multiprocessing_context": multiprocessing.get_context("spawn"), "prefetch_factor": 2}
        if workers
        else {}
    )
    return DataLoader(dataset, batch_sampler=groups, num_workers=workers, collate_fn=list, **extra)


def outcomes(todo: list[ClipRef], groups: list[list[int]], cfg: ExtractConfig, embedder: Embedder):
    dataset = DecodeDataset(todo, cfg.modality, cfg.frames, preparer(cfg.model))
    for group in loader(dataset, groups, cfg.workers):
        yield from embed_group(embedder, [d for _, d in group], cfg.batch_size)


def local_run(todo: list[ClipRef], groups: list[list[int]], cfg: ExtractConfig) -> EngineRun:
    started = time.perf_counter()
    embedder = build_embedder(cfg)
    load_s = time.perf_counter() - started
    log.info("%s: %s, built in %.1f s", cfg.modality, embedder.description, load_s)
    return EngineRun(store_info(cfg, embedder), outcomes(todo, groups, cfg, embedder), load_s)
