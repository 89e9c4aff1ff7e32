"""The Ray engine (`features.engine: ray`): Ray Data decodes clips in CPU tasks and runs the extractor
in actors that load the model once; the driver writes the same shard files as the local engine.

Rows keep the todo order (`preserve_order`), so shards are written one after another as their clips
come back, exactly as with the local engine. Decoded clips and results travel between Ray workers as
pickles of our own objects (never of user files).
"""

from __future__ import annotations

import itertools
import logging
import pickle
from collections.abc import Iterator

import numpy as np

from pipeline.features.config import ExtractConfig
from pipeline.features.decode import ClipRef, Prepare, decode_prepared
from pipeline.features.embedders import build_embedder
from pipeline.features.extract import Result, embed_group, store_info
from pipeline.features.functionals import preparer
from pipeline.features.store import StoreInfo

log = logging.getLogger(__name__)

# CPU share of one decode task; differing from the actors' share keeps Ray from fusing decoding into
# the actors, so clips decode in parallel tasks while the model computes.
DECODE_CPUS = 0.5


def decode_batch(
    batch: dict[str, np.ndarray], modality: str, frames: int, prepare: Prepare | None
) -> dict[str, np.ndarray]:
    """CPU task: decode (and prepare) a batch of clips; failures travel as Decoded values, never as
    exceptions."""
    decoded = [
        pickle.dumps(decode_prepared(pickle.loads(ref), modality, frames, prepare)) for ref in batch["ref"]
    ]
    return {"i": batch["i"], "decoded": np.array(decoded, dtype=object)}


class EmbedBatch:
    """Actor: loads the model once, then embeds decoded batches (length-sorted, as the local engine).

    Every output row also carries the store metadata, so the driver learns it from the first batch
    instead of loading the model once more just to read it."""

    def __init__(self, cfg: ExtractConfig):
        import torch

        torch.set_num_threads(max(1, int(_assigned_cpus())))
        self.cfg, self.embedder = cfg, build_embedder(cfg)
        self.meta = pickle.dumps((store_info(cfg, self.embedder), self.embedder.description))

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        decoded = [pickle.loads(b) for b in batch["decoded"]]
        results = embed_group(self.embedder, decoded, self.cfg.batch_size)
        return {
            "i": batch["i"],
            "result": np.array([pickle.dumps(r) for r in results], dtype=object),
            "meta": np.array([self.meta] * len(results), dtype=object),
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


def ray_results(
    todo: list[ClipRef], groups: list[list[int]], cfg: ExtractConfig
) -> tuple[StoreInfo, Iterator[Result]]:
    """Store metadata (from the actors' first batch) and the results in todo order; todo is not empty."""
    ray = _connect(cfg)
    context = ray.data.DataContext.get_current()
    context.execution_options.preserve_order = True
    context.enable_progress_bars = False
    size = max(len(g) for g in groups)
    dataset = (
        ray.data.from_items([{"i": i, "ref": pickle.dumps(r)} for i, r in enumerate(todo)])
        .map_batches(
            decode_batch,
            fn_kwargs={"modality": cfg.modality, "frames": cfg.frames, "prepare": preparer(cfg.model)},
            batch_size=size,
            batch_format="numpy",
            num_cpus=DECODE_CPUS,
        )
        .map_batches(
            EmbedBatch,
            fn_constructor_kwargs={"cfg": cfg},
            batch_size=size,
            batch_format="numpy",
            compute=ray.data.ActorPoolStrategy(size=cfg.ray_actors),
            num_gpus=cfg.ray_gpus,
        )
    )
    batches = iter(dataset.iter_batches(batch_size=None, batch_format="numpy"))
    first = next(batches)
    info, description = pickle.loads(first["meta"][0])
    log.info(
        "%s: %s on Ray (%d actor(s), %s GPU each)", cfg.modality, description, cfg.ray_actors, cfg.ray_gpus
    )
    return info, _unpack(itertools.chain([first], batches))


def _unpack(batches: Iterator[dict[str, np.ndarray]]) -> Iterator[Result]:
    for batch in batches:
        yield from (pickle.loads(b) for b in batch["result"])
