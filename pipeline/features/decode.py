"""Per-clip decoding for each modality; runs in DataLoader worker processes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from torch.utils.data import Dataset

from pipeline.corpus.manifest import Manifest
from pipeline.media.audio import load_audio
from pipeline.media.frames import load_frames
from pipeline.media.result import Decoded

Prepare = Callable[[Decoded], Decoded]


@dataclass(frozen=True)
class ClipRef:
    name: str
    video: Path | None
    audio: Path | None
    face: Path | None
    text: str
    text_ok: bool = True  # false: the manifest's transcript was not valid UTF-8


def clip_refs(manifest: Manifest) -> list[ClipRef]:
    return [
        ClipRef(
            row["name"],
            manifest.media_path(row, "video"),
            manifest.media_path(row, "audio"),
            manifest.media_path(row, "face"),
            row["text"],
            row["name"] not in manifest.bad_text,
        )
        for row in manifest.rows.to_dict("records")
    ]


def decode_text(text: str, text_ok: bool = True) -> Decoded:
    """An empty transcript is absent (ok = false), never a zero vector passed off as a feature."""
    if not text_ok:
        return Decoded.failed("transcript is not valid UTF-8")
    if not text.strip():
        return Decoded.absent("empty transcript")
    return Decoded("ok", np.array(text.strip(), dtype=object))


def decode(ref: ClipRef, modality: str, frames: int) -> Decoded:
    if modality == "audio":
        return load_audio(ref.audio, ref.video)
    if modality == "video":
        return load_frames(ref.video, ref.face, frames)
    return decode_text(ref.text, ref.text_ok)


def decode_prepared(ref: ClipRef, modality: str, frames: int, prepare: Prepare | None = None) -> Decoded:
    """Decoded, then `prepare`d (work an extractor does per clip in the decoding processes, e.g.
    openSMILE functionals)."""
    decoded = decode(ref, modality, frames)
    return prepare(decoded) if prepare is not None else decoded


class DecodeDataset(Dataset):
    def __init__(self, refs: list[ClipRef], modality: str, frames: int, prepare: Prepare | None = None):
        self.refs, self.modality, self.frames, self.prepare = refs, modality, frames, prepare

    def __len__(self) -> int:
        return len(self.refs)

    def __getitem__(self, index: int) -> tuple[int, Decoded]:
        return index, decode_prepared(self.refs[index], self.modality, self.frames, self.prepare)
