"""K frames per clip, sampled uniformly: from the video (decord) or a MERTools face stack (.npy)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pipeline.media.probe import probe
from pipeline.media.result import Decoded


def uniform_indices(total: int, k: int) -> np.ndarray:
    """k evenly spread frame indices (all frames when there are fewer than k)."""
    if total <= k:
        return np.arange(total)
    return np.linspace(0, total - 1, k).round().astype(np.int64)


def _from_video(path: Path, k: int) -> np.ndarray | None:
    import decord

    if not probe(path).video:
        return None
    reader = decord.VideoReader(str(path), num_threads=1)
    return reader.get_batch(uniform_indices(len(reader), k).tolist()).asnumpy()


def _from_face_stack(path: Path, k: int) -> np.ndarray:
    """MERTools stacks aligned OpenFace crops read with OpenCV: (T, H, W, 3) BGR or (T, H, W) grey."""
    stack = np.load(path, allow_pickle=False, mmap_mode="r")
    if stack.ndim == 3:
        stack = np.repeat(stack[..., None], 3, axis=-1)
    if stack.ndim != 4 or stack.shape[-1] != 3:
        raise ValueError(f"face stack has shape {stack.shape}, expected (T, H, W, 3)")
    frames = np.asarray(stack[uniform_indices(len(stack), k)])[..., ::-1]
    return np.ascontiguousarray(frames.astype(np.uint8))


def load_frames(video: Path | None, face: Path | None, k: int) -> Decoded:
    """(n, H, W, 3) uint8 RGB with n <= k; face crops win over whole frames when the corpus has them."""
    source = face or video
    if source is None:
        return Decoded.absent("no video file given")
    if not source.exists():
        return Decoded.failed(f"{source} not found")
    try:
        frames = _from_face_stack(source, k) if face else _from_video(source, k)
    except Exception as exc:  # any decoder error is one broken clip, never a crashed run
        return Decoded.failed(f"cannot decode frames from {source.name}: {type(exc).__name__}: {exc}")
    if frames is None:
        return Decoded.absent(f"{source.name} has no video stream")
    if len(frames) == 0:
        return Decoded.absent(f"{source.name} has zero frames")
    return Decoded("ok", frames)


def read_all_frames(path: Path) -> tuple[np.ndarray, float] | None:
    """Every frame and the average frame rate, or None when the file has no video stream."""
    import decord

    if not probe(path).video:
        return None
    reader = decord.VideoReader(str(path), num_threads=1)
    return reader.get_batch(list(range(len(reader)))).asnumpy(), float(reader.get_avg_fps())
