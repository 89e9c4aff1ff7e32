"""K frames per clip, spread uniformly: from the video (decord, else PyAV) or a MERTools face stack (.npy)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import av
import numpy as np

from pipeline.media.probe import probe
from pipeline.media.result import Decoded

log = logging.getLogger(__name__)


def uniform_indices(total: int, k: int) -> np.ndarray:
    """k evenly spread frame indices (all frames when there are fewer than k)."""
    if total <= k:
        return np.arange(total)
    return np.linspace(0, total - 1, k).round().astype(np.int64)


def _decord_read(path: Path, k: int | None) -> tuple[np.ndarray, float]:
    import decord

    reader = decord.VideoReader(str(path), num_threads=1)
    indices = uniform_indices(len(reader), k or len(reader))
    return reader.get_batch(indices.tolist()).asnumpy(), float(reader.get_avg_fps())


def _pyav_frames(path: Path) -> Iterator[av.VideoFrame]:
    with av.open(str(path)) as container:
        yield from container.decode(video=0)


def _pyav_read(path: Path, k: int | None) -> tuple[np.ndarray, float]:
    """Decodes twice when sampling (count, then convert the chosen frames), so only k frames are held."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        fps, empty = float(stream.average_rate or 0), np.zeros((0, stream.height, stream.width, 3), np.uint8)
        wanted = set(uniform_indices(sum(1 for _ in container.decode(stream)), k).tolist()) if k else None
    frames = [
        frame.to_ndarray(format="rgb24")
        for i, frame in enumerate(_pyav_frames(path))
        if wanted is None or i in wanted
    ]
    return (np.stack(frames) if frames else empty), fps


def read_video(path: Path, k: int | None = None) -> tuple[np.ndarray, float] | None:
    """k uniformly spread RGB frames (every frame when k is None) and the average frame rate, or None
    when the file has no video stream.

    decord's RGB conversion rejects some frame widths (16, 24, 48 and 72 pixels among them: a padded
    size check fails), so those clips are decoded with PyAV, which gives the same pixels where both work.
    A file neither can read raises decord's error.
    """
    if not probe(path).video:
        return None
    try:
        return _decord_read(path, k)
    except Exception as decord_error:
        log.debug("decord cannot read %s (%s); trying PyAV", path, decord_error)
        try:
            return _pyav_read(path, k)
        except Exception:
            raise decord_error from None


def _from_face_stack(path: Path, k: int) -> np.ndarray:
    """MERTools stacks aligned OpenFace crops read with OpenCV: (T, H, W, 3) BGR or (T, H, W) grey."""
    stack = np.load(path, allow_pickle=False, mmap_mode="r")
    if stack.ndim == 3:
        stack = np.repeat(stack[..., None], 3, axis=-1)
    if stack.ndim != 4 or stack.shape[-1] != 3:
        raise ValueError(f"face stack has shape {stack.shape}, expected (T, H, W, 3)")
    frames = np.asarray(stack[uniform_indices(len(stack), k)])[..., ::-1]
    return np.ascontiguousarray(frames.astype(np.uint8))


def _frames_only(video: tuple[np.ndarray, float] | None) -> np.ndarray | None:
    return None if video is None else video[0]


def load_frames(video: Path | None, face: Path | None, k: int) -> Decoded:
    """(n, H, W, 3) uint8 RGB with n <= k; face crops win over whole frames when the corpus has them."""
    source = face or video
    if source is None:
        return Decoded.absent("no video file given")
    if not source.exists():
        return Decoded.failed(f"{source} not found")
    try:
        frames = _from_face_stack(source, k) if face else _frames_only(read_video(source, k))
    except Exception as exc:  # any decoder error is one broken clip, never a crashed run
        return Decoded.failed(f"cannot decode frames from {source.name}: {type(exc).__name__}: {exc}")
    if frames is None:
        return Decoded.absent(f"{source.name} has no video stream")
    if len(frames) == 0:
        return Decoded.absent(f"{source.name} has zero frames")
    return Decoded("ok", frames)
