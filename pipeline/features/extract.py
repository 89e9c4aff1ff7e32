"""Run an extractor over a manifest into a sharded HDF5 store, resumably and incrementally.

A clip's shard is a hash of its name modulo `shards`, so adding clips to a manifest never moves the
others: only the shards that receive new clips are rewritten, and only the new clips are extracted
(the rest of such a shard is carried over from its previous file). A shard whose names, params digest
and per-clip input fingerprints already match is skipped, so a re-run after an interruption does only
the missing shards; a half-written shard (still under its temporary name) is discarded and redone.
Batches never cross a shard boundary, so a shard's bytes do not depend on what else was pending.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from pipeline.atomic import stale_temporaries
from pipeline.corpus.manifest import Manifest
from pipeline.errors import BadInput, StoreWouldShrink, TooManyFailures
from pipeline.features.batching import ClipOutcome, decode_groups
from pipeline.features.config import ExtractConfig
from pipeline.features.decode import ClipRef, clip_refs
from pipeline.features.engine import Engine
from pipeline.features.local_engine import local_run
from pipeline.features.store import (
    Batch,
    StoreInfo,
    concat,
    damage,
    read_rows,
    shard_filename,
    shard_header,
    shard_paths,
    shard_rows,
    write_failures,
    write_shard,
)
from pipeline.media.result import ABSENT

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ShardPlan:
    index: int
    refs: list[ClipRef]  # every clip of the shard, sorted by name
    todo: list[ClipRef]  # those to extract; the others are carried over from the shard's current file
    inputs: dict[str, str]  # name -> fingerprint of the clip's inputs (computed once per run)

    @property
    def filename(self) -> str:
        return shard_filename(self.index)


@dataclass(frozen=True)
class ExtractResult:
    clips: int  # clips extracted in this run (finished shards and carried-over clips skipped)
    skipped_shards: int
    rewritten_shards: int
    failed: int  # broken inputs over the whole store
    absent: int  # missing modality over the whole store
    seconds: float
    total: int  # clips in the store
    load_s: float = 0.0  # of `seconds`, building the model

    @property
    def clips_per_s(self) -> float:
        return self.clips / self.seconds if self.seconds else 0.0

    def summary(self) -> str:
        ok = self.total - self.failed - self.absent
        return (
            f"{self.clips} clip(s) extracted at {self.clips_per_s:.1f} clips/s (model load "
            f"{self.load_s:.1f} s of {self.seconds:.1f} s), {self.rewritten_shards} shard(s) written, "
            f"{self.skipped_shards} unchanged; store outcomes: {ok} ok, "
            f"{self.failed} failed, {self.absent} absent (failures.csv)"
        )


def assign_shards(refs: list[ClipRef], shards: int) -> dict[int, list[ClipRef]]:
    """Non-empty shards by index, each with its clips sorted by name (independent of manifest order)."""
    return {i: [refs[r] for r in rows] for i, rows in shard_rows([r.name for r in refs], shards).items()}


def parse_shard(value: str) -> tuple[int, int]:
    """'i/N': this process takes shards whose index is i modulo N."""
    try:
        i, n = (int(x) for x in value.split("/"))
    except ValueError:
        raise BadInput(f"--shard must look like i/N (e.g. 0/4), got {value!r}") from None
    if not (n >= 1 and 0 <= i < n):
        raise BadInput(f"--shard {value}: need 0 <= i < N")
    return i, n


def clip_inputs(ref: ClipRef) -> str:
    """Changes when a clip's files or transcript change (a regenerated clip keeps its name, not its size).

    Sizes rather than modification times keep shard files identical across clones (DVC checkouts
    touch mtimes); a file replaced by one of exactly the same size is not noticed: delete the store
    folder to force re-extraction then.
    """
    digest = hashlib.sha256(f"{ref.name}\0{ref.text}\0".encode("utf-8", "surrogateescape"))
    for path in (ref.video, ref.audio, ref.face):
        size = path.stat().st_size if path is not None and path.exists() else -1
        digest.update(f"{path.name if path else ''}:{size}\0".encode("utf-8", "surrogateescape"))
    return digest.hexdigest()[:16]


def _todo(path: Path, refs: list[ClipRef], inputs: dict[str, str], digest: str) -> list[ClipRef] | None:
    """The clips of a shard that need extracting; None when its file is complete and current."""
    header = shard_header(path) if path.is_file() else None
    if header is None or header.params_digest != digest:
        return refs
    reason = damage(path)
    if reason:
        log.warning("%s is damaged (%s): extracting its clips again", path, reason)
        return refs
    stored = dict(zip(header.names, header.inputs, strict=True))
    todo = [r for r in refs if stored.get(r.name) != inputs[r.name]]
    return None if not todo and header.names == [r.name for r in refs] else todo


def _clean(store: Path, planned: set[str]) -> None:
    """Drop half-written shards of writers that are gone, and shards no clip maps to any more (the
    manifest shrank)."""
    for tmp in stale_temporaries(store):
        tmp.unlink(missing_ok=True)
    for path in shard_paths(store):
        if path.name not in planned:
            path.unlink()


def dropped_clips(store: Path, names: set[str], shard: tuple[int, int]) -> list[str]:
    """Clips in this process's shards of `store` that are not among `names`: what extracting would drop."""
    dropped = []
    for path in shard_paths(store):
        index = int(path.stem.removeprefix("shard-"))
        header = shard_header(path) if index % shard[1] == shard[0] else None
        dropped += [name for name in header.names if name not in names] if header else []
    return dropped


def _refuse_shrinking(store: Path, refs: list[ClipRef], shard: tuple[int, int]) -> None:
    dropped = dropped_clips(store, {r.name for r in refs}, shard)
    if dropped:
        shown = ", ".join(dropped[:5]) + (" ..." if len(dropped) > 5 else "")
        raise StoreWouldShrink(
            f"{store} holds {len(dropped)} clip(s) the manifest does not list ({shown}); extracting would "
            "drop them. Pass the manifest the store was made from, or --prune to drop them (the DVC "
            "extract stage, which owns the store, prunes); nothing was written"
        )


def plan_extraction(
    refs: list[ClipRef], cfg: ExtractConfig, store: Path, shard: tuple[int, int], prune: bool = True
) -> tuple[list[ShardPlan], int]:
    """The shards to (re)write and how many of this process's shards are already done. Without `prune`
    a manifest that lost clips the store holds is refused instead."""
    if not prune:
        _refuse_shrinking(store, refs, shard)
    buckets = assign_shards(refs, cfg.shards)
    store.mkdir(parents=True, exist_ok=True)
    if shard == (0, 1):
        _clean(store, {shard_filename(i) for i in buckets})
    digest = cfg.digest()
    plans, done = [], 0
    for index, shard_refs in buckets.items():
        if index % shard[1] != shard[0]:
            continue
        inputs = {r.name: clip_inputs(r) for r in shard_refs}
        todo = _todo(store / shard_filename(index), shard_refs, inputs, digest)
        if todo is None:
            done += 1
        else:
            plans.append(ShardPlan(index, shard_refs, todo, inputs))
    return plans, done


def results_batch(
    refs: list[ClipRef], outcomes: list[ClipOutcome], info: StoreInfo, inputs: dict[str, str]
) -> Batch:
    n, layers = len(refs), len(info.layers)
    utt = np.zeros((n, layers, info.dim), np.float32)
    frames = np.zeros((n, info.frames, info.dim), np.float32) if info.frames else None
    mask = np.zeros((n, info.frames), bool) if info.frames else None
    for i, outcome in enumerate(outcomes):
        if not outcome.ok:
            continue
        utt[i] = outcome.values[0]
        if info.frames:
            frames[i], mask[i] = outcome.values[1], outcome.values[2]
    ok = np.array([o.ok for o in outcomes], bool)
    errors = [o.error for o in outcomes]
    return Batch([r.name for r in refs], utt, ok, errors, frames, mask, [inputs[r.name] for r in refs])


def write_shards(
    plans: list[ShardPlan], outcomes: Iterator[ClipOutcome], info: StoreInfo, store: Path
) -> None:
    """Each shard once its todo clips are through: new rows plus the rows carried over, in name order."""
    bar = tqdm(total=sum(len(p.todo) for p in plans), desc=f"extract {info.modality}", unit="clip")
    for plan in plans:
        fresh = results_batch(plan.todo, list(itertools.islice(outcomes, len(plan.todo))), info, plan.inputs)
        extracted = {r.name for r in plan.todo}
        kept = [r.name for r in plan.refs if r.name not in extracted]
        parts = [fresh, read_rows(store / plan.filename, kept)] if kept else [fresh]
        write_shard(store / plan.filename, info, concat(parts).take([r.name for r in plan.refs]))
        bar.update(len(plan.todo))
    bar.close()


def extract(
    manifest: Manifest, cfg: ExtractConfig, store: Path, shard: tuple[int, int] = (0, 1), prune: bool = True
) -> ExtractResult:
    """Extract `cfg.modality` for every manifest row into `store`; return what was done. `prune`: clips
    the store holds and the manifest no longer lists are dropped (else refused, StoreWouldShrink)."""
    started = time.perf_counter()
    refs = clip_refs(manifest)
    plans, done = plan_extraction(refs, cfg, store, shard, prune)
    clips = sum(len(p.todo) for p in plans)
    load_s = 0.0
    if plans:
        log.info(
            "%s: %d clip(s) to extract into %d shard(s), %d shard(s) already done (engine %s)",
            cfg.modality,
            clips,
            len(plans),
            done,
            cfg.engine,
        )
        load_s = run_engine(plans, cfg, store)
    failures = write_failures(store)
    absent = int(failures["error"].str.startswith(f"{ABSENT}:").sum())
    result = ExtractResult(
        clips=clips,
        skipped_shards=done,
        rewritten_shards=len(plans),
        failed=len(failures) - absent,
        absent=absent,
        seconds=time.perf_counter() - started,
        total=len(refs),
        load_s=load_s,
    )
    _check_failures(result, len(refs), cfg, store)
    return result


def engine(name: str) -> Engine:
    if name == "ray":
        from pipeline.features.ray_engine import ray_run  # Ray is optional: imported when chosen

        return ray_run
    return local_run


def run_engine(plans: list[ShardPlan], cfg: ExtractConfig, store: Path) -> float:
    """Seconds spent building the model."""
    todo = [r for p in plans for r in p.todo]
    if not todo:  # the manifest only lost clips: shards are rewritten from their kept rows
        write_shards(plans, iter([]), StoreInfo.of_shard(store / plans[0].filename), store)
        return 0.0
    run = engine(cfg.engine)(todo, decode_groups([len(p.todo) for p in plans], cfg.bucket), cfg)
    write_shards(plans, run.outcomes, run.info, store)
    return run.load_s


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
