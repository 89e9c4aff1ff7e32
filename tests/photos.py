"""A real photograph (scikit-image's `astronaut`, shipped inside the package) pasted into synthetic frames
at known positions and scales, with where its face lands in each frame."""

from __future__ import annotations

import cv2
import numpy as np
from skimage import data

ASTRONAUT_FACE = (178, 68, 94, 96)  # x, y, w, h in the 512 x 512 photo: hand-checked, eyebrows to chin
PLACEMENTS = [(0.5, (-60, -20)), (0.4, (20, 10)), (0.6, (-40, -30)), (0.45, (-10, 30)), (0.55, (30, -25))]


def pasted(scale: float, offset: tuple[int, int], canvas: tuple[int, int]) -> tuple[np.ndarray, tuple]:
    """(H, W, 3) RGB frame on a grey background, and the face box in it."""
    photo = data.astronaut()
    side = round(photo.shape[0] * scale)
    small = cv2.resize(photo, (side, side), interpolation=cv2.INTER_AREA)
    frame = np.full((*canvas, 3), 127, np.uint8)
    ox, oy = offset
    top, left = max(0, oy), max(0, ox)
    bottom, right = min(canvas[0], oy + side), min(canvas[1], ox + side)
    frame[top:bottom, left:right] = small[top - oy : bottom - oy, left - ox : right - ox]
    x, y, w, h = ASTRONAUT_FACE
    return frame, (ox + x * scale, oy + y * scale, w * scale, h * scale)


def astronaut_frames(canvas: tuple[int, int] = (144, 192)) -> tuple[np.ndarray, list[tuple]]:
    made = [pasted(scale, offset, canvas) for scale, offset in PLACEMENTS]
    return np.stack([frame for frame, _ in made]), [box for _, box in made]


def iou(a: tuple, b: tuple) -> float:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    w = max(0.0, min(ax + aw, bx + bw) - max(ax, bx))
    h = max(0.0, min(ay + ah, by + bh) - max(ay, by))
    return w * h / (aw * ah + bw * bh - w * h)
