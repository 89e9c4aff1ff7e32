"""Face crops on Linux, offline: what MERTools gets from OpenFace (a Windows binary), made here with
OpenCV's frontal-face Haar cascade, whose weights ship inside the opencv-python-headless wheel (nothing
is downloaded, ever).

Per clip, `frames` frames are sampled evenly; in each the largest face is found, its box grown by
`margin` (a fraction of its side) on every side, cut out and resized to `size` x `size`. A frame with no
face falls back to the whole frame, resized to the same square, and is counted. Stacks are written in
MERTools' layout and colour order (openface_face/<name>/<name>.npy, (T, size, size, 3) BGR uint8), so the
video extractors read them exactly as they read MERTools' own.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from pipeline.config.faces import FacesConfig
from pipeline.media.frames import read_video

CASCADE = "haarcascade_frontalface_default.xml"

Box = tuple[int, int, int, int]  # x, y, width, height in frame pixels


@cache
def _cascade():
    """One classifier per process (they cannot be pickled to worker processes)."""
    import cv2

    path = Path(cv2.data.haarcascades) / CASCADE
    classifier = cv2.CascadeClassifier(str(path))
    if classifier.empty():
        raise RuntimeError(
            f"OpenCV's face cascade {path} is missing or unreadable: install opencv-python-headless 4.x "
            "(OpenCV 5 wheels no longer ship the Haar cascades)"
        )
    return classifier


def detect_face(frame: np.ndarray, min_face: float) -> Box | None:
    """The most confident frontal face in an RGB frame (the cascade's final-stage weight: the largest
    detection is as often a face-like patch of clothing), or None."""
    import cv2

    grey = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
    side = max(8, int(min(frame.shape[:2]) * min_face))
    found, _, weights = _cascade().detectMultiScale3(
        grey, scaleFactor=1.1, minNeighbors=5, minSize=(side, side), outputRejectLevels=True
    )
    if len(found) == 0:
        return None
    x, y, w, h = found[int(np.argmax(weights))]
    return int(x), int(y), int(w), int(h)


def grown(box: Box, margin: float, shape: tuple[int, ...]) -> Box:
    """The box grown by `margin` of its side on every side, clipped to the frame."""
    x, y, w, h = box
    dx, dy = round(w * margin), round(h * margin)
    left, top = max(0, x - dx), max(0, y - dy)
    right, bottom = min(shape[1], x + w + dx), min(shape[0], y + h + dy)
    return left, top, right - left, bottom - top


def _square(image: np.ndarray, size: int) -> np.ndarray:
    import cv2

    return cv2.resize(image, (size, size), interpolation=cv2.INTER_AREA)


@dataclass(frozen=True)
class ClipFaces:
    """What one clip gave: the crop boxes (None where the whole frame was used), or why nothing."""

    name: str
    boxes: list[Box | None]
    error: str = ""

    @property
    def faces(self) -> int:
        return sum(box is not None for box in self.boxes)

    @property
    def fallbacks(self) -> int:
        return len(self.boxes) - self.faces


def crop_frames(frames: np.ndarray, cfg: FacesConfig) -> tuple[np.ndarray, list[Box | None]]:
    """(T, size, size, 3) RGB crops and the box each came from (None: the whole frame)."""
    crops, boxes = [], []
    for frame in frames:
        face = detect_face(frame, cfg.min_face)
        box = grown(face, cfg.margin, frame.shape) if face else None
        x, y, w, h = box or (0, 0, frame.shape[1], frame.shape[0])
        crops.append(_square(np.ascontiguousarray(frame[y : y + h, x : x + w]), cfg.size))
        boxes.append(box)
    return np.stack(crops), boxes


def write_stack(stack: np.ndarray, path: Path) -> None:
    """BGR like MERTools' stacks; written under a temporary name, then renamed (never half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".tmp")
    with partial.open("wb") as handle:
        np.save(handle, np.ascontiguousarray(stack[..., ::-1]))
    partial.replace(path)


def crop_clip(name: str, video: Path, stack: Path, cfg: FacesConfig) -> ClipFaces:
    """One clip's face stack at `stack`; a clip that cannot be decoded is reported, never raised."""
    try:
        decoded = read_video(video, cfg.frames)
    except Exception as exc:  # a broken clip is one failure, not a crashed stage
        return ClipFaces(name, [], f"cannot decode {video.name}: {type(exc).__name__}: {exc}")
    if decoded is None or len(decoded[0]) == 0:
        return ClipFaces(name, [], f"{video.name} has no video frames")
    crops, boxes = crop_frames(decoded[0], cfg)
    write_stack(crops, stack)
    return ClipFaces(name, boxes)
