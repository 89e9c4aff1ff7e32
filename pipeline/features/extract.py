"""Run an extractor over a manifest into a sharded HDF5 store, resumably.

Clips are split into shards in manifest order. A finished shard whose names, params digest and
inputs digest (each input file's name and size, and the transcripts) match the plan is skipped, so a
re-run after an interruption does only the missing shards; a half-written shard (still under its
temporary name) is discarded and redone. Decoding runs in DataLoader worker
processes while the model computes; each decoded bucket is sorted by length before batching.
"""

from __future__ import annotations

import hashlib
import logging
import multiprocessing
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from torch.utils.data import DataLoader
from tqdm import tqdm

from pipeline.corpus.manifest import Manifest
from pipeline.errors import TooManyFailures
from pipeline.features.config import ExtractConfig
from pipeline.features.decode import ClipRef, DecodeDataset, clip_refs
from pipeline.features.embedders import Embedder, build_embedder
from pipeline.features.store import (
    TMP_SUFFIX,
    Batch,
    ShardHeader,
    ShardWriter,
    StoreInfo,
    shard_header,
    shard_paths,
    write_failures,
)
from pipeline.media.result import Decoded

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ShardPlan:
    index: int
    start: int
    stop: int

    @property
    def filename(self) -> str:
        return f"shard-{self.index:05d}.h5"


@dataclass(frozen=True)
class ExtractResult:
    clips: int  # clips extracted in this run (finished shards skipped)
    skipped_shards: int
    failed: int  # broken inputs over the whole store
    absent: int  # missing modality over the whole store
    seconds: float

    @property
    def clips_per_s(self) -> float:
        return self.clips / self.seconds if self.seconds else 0.0


def plan_shards(total: int, shard_size: int) -> list[ShardPlan]:
    return [ShardPlan(i, s, min(s + shard_size, total)) for i, s in enumerate(range(0, total, shard_size))]


def parse_shard(value: str) -> tuple[int, int]:
    """'i/N': this process takes shards whose index is i modulo N."""
    try:
        i, n = (int(x) for x in value.split("/"))
    except ValueError:
        raise ValueError(f"--shard must look like i/N (e.g. 0/4), got {value!r}") from None
    if not (n >= 1 and 0 <= i < n):
        raise ValueError(f"--shard {value}: need 0 <= i < N")
    return i, n


def inputs_digest(refs: list[ClipRef]) -> str:
    """Changes when a clip's files or transcript change (a regenerated clip keeps its name, not its size).

    Sizes rather than modification times keep shard files identical across clones (DVC checkouts
    touch mtimes); a file replaced by one of exactly the same size is not noticed: delete the store
    folder to force re-extraction then.
    """
    digest = hashlib.sha256()
    for ref in refs:
        digest.update(f"{ref.name}\0{ref.text}\0".encode("utf-8", "surrogateescape"))
        for path in (ref.video, ref.audio, ref.face):
            stat = path.stat() if path is not None and path.exists() else None
            digest.update(
                f"{path.name if path else ''}:{stat.st_size if stat else -1}\0".encode(
                    "utf-8", "surrogateescape"
                )
            )
    return digest.hexdigest()[:16]


def _finished(path: Path, refs: list[ClipRef], digest: str) -> bool:
    return path.is_file() and shard_header(path) == ShardHeader(
        [r.name for r in refs], digest, inputs_digest(refs)
    )


def _clean(store: Path, plans: list[ShardPlan]) -> None:
    """Drop half-written shards, and shards that are not part of this plan (the manifest shrank)."""
    for tmp in store.glob(f"*{TMP_SUFFIX}"):
        tmp.unlink()
    planned = {p.filename for p in plans}
    for path in shard_paths(store):
        if path.name not in planned:
            path.unlink()


def _groups(plans: list[ShardPlan], bucket: int) -> list[list[int]]:
    """Index groups that never cross a shard boundary."""
    return [list(range(s, min(s + bucket, p.stop))) for p in plans for s in range(p.start, p.stop, bucket)]


def _loader(dataset: DecodeDataset, groups: list[list[int]], workers: int) -> DataLoader:
    extra = (
        {"multiprocessing_context": multiprocessing.get_context("spawn"), "prefetch_factor": 2}
        if workers
        else {}
    )
    return DataLoader(dataset, batch_sampler=groups, num_workers=workers, collate_fn=list, **extra)


def _length(decoded: Decoded) -> int:
    """Samples, frames or characters: what makes a clip expensive, for length-sorted batches."""
    return len(decoded.data) if decoded.data.ndim else len(str(decoded.data))


def _embed_chunk(embedder: Embedder, items: list) -> list[tuple | str]:
    """One output tuple per item, or its error; a failing batch is retried item by item."""
    try:
        results = embedder.embed(items)
        return [tuple(r[row] for r in results) for row in range(len(items))]
    except Exception as exc:  # one bad clip must not take its batch down
        if len(items) == 1:
            return [f"failed: model error: {type(exc).__name__}: {exc}"]
    return [out for item in items for out in _embed_chunk(embedder, [item])]


def _embed_group(embedder: Embedder, decoded: list[Decoded], batch_size: int) -> tuple[dict, dict[int, str]]:
    """Outputs for the decodable clips (by position in the group) and errors for the rest."""
    ready = sorted((i for i, d in enumerate(decoded) if d.ok), key=lambda i: _length(decoded[i]))
    outputs, errors = {}, {i: d.error for i, d in enumerate(decoded) if not d.ok}
    for start in range(0, len(ready), batch_size):
        chunk = ready[start : start + batch_size]
        for i, out in zip(chunk, _embed_chunk(embedder, [decoded[i].data for i in chunk]), strict=True):
            if isinstance(out, str):
                errors[i] = out
            else:
                outputs[i] = out
    return outputs, errors


def _batch(names: list[str], outputs: dict, errors: dict[int, str], info: StoreInfo) -> Batch:
    n, layers = len(names), len(info.layers)
    utt = np.zeros((n, layers, info.dim), np.float32)
    frames = np.zeros((n, info.frames, info.dim), np.float32) if info.frames else None
    mask = np.zeros((n, info.frames), bool) if info.frames else None
    for i, values in outputs.items():
        utt[i] = values[0]
        if info.frames:
            frames[i], mask[i] = values[1], values[2]
    ok = np.array([i in outputs for i in range(n)])
    return Batch(names, utt, ok, [errors.get(i, "") for i in range(n)], frames, mask)


def extract(
    manifest: Manifest, cfg: ExtractConfig, store: Path, shard: tuple[int, int] = (0, 1)
) -> ExtractResult:
    """Extract `cfg.modality` for every manifest row into `store`; return what was done."""
    started = time.perf_counter()
    refs = clip_refs(manifest)
    plans = plan_shards(len(refs), cfg.shard_size)
    store.mkdir(parents=True, exist_ok=True)
    if shard == (0, 1):
        _clean(store, plans)
    mine = [p for p in plans if p.index % shard[1] == shard[0]]
    digest = cfg.digest()
    pending = [p for p in mine if not _finished(store / p.filename, refs[p.start : p.stop], digest)]
    clips = sum(p.stop - p.start for p in pending)
    if pending:
        embedder = build_embedder(cfg)
        log.info(
            "%s: %s; %d clip(s) in %d shard(s) to extract, %d shard(s) already done",
            cfg.modality,
            embedder.description,
            clips,
            len(pending),
            len(mine) - len(pending),
        )
        _run(refs, pending, cfg, store, embedder, digest)
    failures = write_failures(store)
    absent = int(failures["error"].str.startswith("absent").sum())
    result = ExtractResult(
        clips, len(mine) - len(pending), len(failures) - absent, absent, time.perf_counter() - started
    )
    _check_failures(result, len(refs), cfg, store)
    return result


def _run(
    refs: list[ClipRef],
    pending: list[ShardPlan],
    cfg: ExtractConfig,
    store: Path,
    embedder: Embedder,
    digest: str,
) -> None:
    info = StoreInfo(
        cfg.modality,
        cfg.model,
        cfg.revision,
        embedder.layers,
        embedder.dim,
        digest,
        embedder.random_init,
        cfg.frames if cfg.modality == "video" else 0,
    )
    dataset = DecodeDataset(refs, cfg.modality, cfg.frames)
    loader = iter(_loader(dataset, _groups(pending, cfg.bucket), cfg.workers))
    bar = tqdm(total=sum(p.stop - p.start for p in pending), desc=f"extract {cfg.modality}", unit="clip")
    for plan in pending:
        shard_refs = refs[plan.start : plan.stop]
        with ShardWriter(store / plan.filename, info, len(shard_refs), inputs_digest(shard_refs)) as writer:
            while writer.written < writer.capacity:
                group = next(loader)
                names = [refs[i].name for i, _ in group]
                outputs, errors = _embed_group(embedder, [d for _, d in group], cfg.batch_size)
                writer.write(_batch(names, outputs, errors, info))
                bar.update(len(group))
    bar.close()


def _check_failures(result: ExtractResult, total: int, cfg: ExtractConfig, store: Path) -> None:
    log.info(
        "%s store %s: %d clip(s), %d failed, %d absent (see failures.csv); %.1f clips/s this run",
        cfg.modality,
        store,
        total,
        result.failed,
        result.absent,
        result.clips_per_s,
    )
    if total and result.failed / total > cfg.max_failed_fraction:
        raise TooManyFailures(
            f"{store}: {result.failed} of {total} clips failed ({result.failed / total:.1%}), more than "
            f"features.max_failed_fraction = {cfg.max_failed_fraction}; see {store / 'failures.csv'}"
        )
