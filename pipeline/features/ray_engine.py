"""The Ray engine (`features.engine: ray`): Ray Data decodes clips in CPU tasks and runs the extractor
in actors that load the model once; the driver writes the same shard files as the local engine.

Each Ray row is one decode group (groups never cross a shard boundary), embedded as the local engine
embeds it, so a shard's numbers do not depend on the engine or on what else was pending. Rows keep
their order (`preserve_order`), so shards are written one after another as their clips come back.
Decoded clips and outcomes travel between Ray workers as pickles of our own objects (never of user
files).
"""

from __future__ import annotations

import itertools
import logging
import pickle
import time
from collections.abc import Iterator

import numpy as np

from pipeline.features.batching import ClipOutcome, embed_group, store_info
from pipeline.features.config import ExtractConfig
from pipeline.features.decode import ClipRef, Prepare, decode_prepared
from pipeline.features.embedders import build_embedder
from pipeline.features.engine import EngineRun
from pipeline.features.functionals import preparer

log = logging.getLogger(__name__)

# CPU share of one decode task; differing from the actors' share keeps Ray from fusing decoding into
# the actors, so clips decode in parallel tasks while the model computes.
DECODE_CPUS = 0.5


def decode_rows(
    batch: dict[str, np.ndarray], modality: str, frames: int, prepare: Prepare | None
) -> dict[str, np.ndarray]:
    """CPU task: decode (and prepare) each row's group of clips; failures travel as Decoded values,
    never as exceptions."""
    decoded = [
        pickle.dumps([decode_prepared(ref, modality, frames, prepare) for ref in pickle.loads(refs)])
        for refs in batch["refs"]
    ]
    return {"g": batch["g"], "decoded": np.array(decoded, dtype=object)}


class EmbedRows:
    """Actor: loads the model once, then embeds each row's decoded group.

    Every output row also carries the store metadata and the model's build time, so the driver learns
    them from the first row instead of loading the model once more."""

    def __init__(self, cfg: ExtractConfig):
        import torch

        torch.set_num_threads(max(1, int(_assigned_cpus())))
        started = time.perf_counter()
        self.cfg, self.embedder = cfg, build_embedder(cfg)
        built = time.perf_counter() - started
        self.meta = pickle.dumps((store_info(cfg, self.embedder), self.embedder.description, built))

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        groups = [pickle.loads(b) for b in batch["decoded"]]
        outcomes = [pickle.dumps(embed_group(self.embedder, g, self.cfg.batch_size)) for g in groups]
        return {
            "g": batch["g"],
            "outcomes": np.array(outcomes, dtype=object),
            "meta": np.array([self.meta] * len(groups), dtype=object),
        }


def _assigned_cpus() -> float:
    import ray

    return ray.get_runtime_context().get_assigned_resources().get("CPU", 1.0)


def _connect(cfg: ExtractConfig):
    try:
        import ray
    except ImportError:
        raise ImportError(
            "features.engine is ray but Ray is not installed: pip install 'mer-pipeline[ray]' "
            "(or set features.engine: local)"
        ) from None
    if not ray.is_initialized():
        ray.init(address=cfg.ray_address or None, include_dashboard=False, log_to_driver=False)
    return ray


def ray_run(todo: list[ClipRef], groups: list[list[int]], cfg: ExtractConfig) -> EngineRun:
    """Store metadata (from the actors' first row) and the outcomes in todo order; todo is not empty."""
    ray = _connect(cfg)
    context = ray.data.DataContext.get_current()
    context.execution_options.preserve_order = True
    context.enable_progress_bars = False
    rows = [{"g": g, "refs": pickle.dumps([todo[i] for i in group])} for g, group in enumerate(groups)]
    dataset = (
        ray.data.from_items(rows)
        .map_batches(
            decode_rows,
            fn_kwargs={"modality": cfg.modality, "frames": cfg.frames, "prepare": preparer(cfg.model)},
            batch_size=1,
            batch_format="numpy",
            num_cpus=DECODE_CPUS,
        )
        .map_batches(
            EmbedRows,
            fn_constructor_kwargs={"cfg": cfg},
            batch_size=1,
            batch_format="numpy",
            compute=ray.data.ActorPoolStrategy(size=cfg.ray_actors),
            num_gpus=cfg.ray_gpus,
        )
    )
    batches = iter(dataset.iter_batches(batch_size=None, batch_format="numpy"))
    first = next(batches)
    info, description, built = pickle.loads(first["meta"][0])
    log.info(
        "%s: %s on Ray (%d actor(s), %s GPU each)", cfg.modality, description, cfg.ray_actors, cfg.ray_gpus
    )
    return EngineRun(info, _unpack(itertools.chain([first], batches)), built)


def _unpack(batches: Iterator[dict[str, np.ndarray]]) -> Iterator[ClipOutcome]:
    for batch in batches:
        for row in batch["outcomes"]:
            yield from pickle.loads(row)
