"""What both extraction engines share (s3prl's single upstream contract, lhotse's workers): a clip's typed
outcome, decode groups that never cross a shard boundary, length-sorted batches through an embedder with
a failing batch retried clip by clip, and the store metadata an embedder implies."""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.features.config import ExtractConfig
from pipeline.features.embedders import Embedder
from pipeline.features.store import StoreInfo
from pipeline.media.result import FAILED, OK, Decoded


@dataclass(frozen=True)
class ClipOutcome:
    """What extraction made of one clip: the embedder's outputs when ok; else absent (no stream, empty
    transcript: masked, not counted) or failed (a broken input or a model error), and why."""

    status: str
    values: tuple = ()
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.status == OK

    @property
    def error(self) -> str:
        """The store's failures.csv text: '' when ok, else 'absent: ...' or 'failed: ...'."""
        return "" if self.ok else f"{self.status}: {self.reason}"

    @classmethod
    def undecoded(cls, decoded: Decoded) -> ClipOutcome:
        return cls(decoded.status, (), decoded.reason)


def decode_groups(sizes: list[int], bucket: int) -> list[list[int]]:
    """Index groups over shards' todo clips (concatenated, `sizes` clips each) that never cross a shard,
    so a shard's numbers do not depend on what else was pending."""
    groups, offset = [], 0
    for n in sizes:
        groups += [list(range(offset + s, offset + min(s + bucket, n))) for s in range(0, n, bucket)]
        offset += n
    return groups


def _length(decoded: Decoded) -> int:
    """Samples, frames or characters: what makes a clip expensive, for length-sorted batches."""
    return len(decoded.data) if decoded.data.ndim else len(str(decoded.data))


def _embed_chunk(embedder: Embedder, items: list) -> list[ClipOutcome]:
    """One outcome per item; a failing batch is retried item by item."""
    try:
        results = embedder.embed(items)
        return [ClipOutcome(OK, tuple(r[row] for r in results)) for row in range(len(items))]
    except Exception as exc:  # one bad clip must not take its batch down
        if len(items) == 1:
            return [ClipOutcome(FAILED, (), f"model error: {type(exc).__name__}: {exc}")]
    return [out for item in items for out in _embed_chunk(embedder, [item])]


def embed_group(embedder: Embedder, decoded: list[Decoded], batch_size: int) -> list[ClipOutcome]:
    """Outcomes in the group's order; the decodable clips run in length-sorted batches."""
    ready = sorted((i for i, d in enumerate(decoded) if d.ok), key=lambda i: _length(decoded[i]))
    outcomes = [ClipOutcome.undecoded(d) for d in decoded]
    for start in range(0, len(ready), batch_size):
        chunk = ready[start : start + batch_size]
        for i, out in zip(chunk, _embed_chunk(embedder, [decoded[i].data for i in chunk]), strict=True):
            outcomes[i] = out
    return outcomes


def store_info(cfg: ExtractConfig, embedder: Embedder) -> StoreInfo:
    return StoreInfo(
        cfg.modality,
        f"{cfg.model} + adapters {cfg.adapter}" if cfg.adapter else cfg.model,
        cfg.revision,
        embedder.layers,
        embedder.dim,
        cfg.digest(),
        embedder.random_init,
        embedder.frames,
        embedder.dtype,
    )
