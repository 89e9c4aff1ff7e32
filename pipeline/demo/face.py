"""A drawn face whose mouth, brows and eyes carry the emotion cue, at random place, size and light."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from functools import cache

import numpy as np

from pipeline.media.synthetic import toward


@dataclass(frozen=True)
class Expression:
    smile: float  # mouth curvature: + up at the corners, - down
    mouth_open: float  # 0 closed .. 1 wide open
    brow_tilt: float  # + inner ends down (anger), - inner ends up (worry, sadness)
    brow_raise: float  # brow height above the eyes
    eye_open: float  # relative eye height
    flush: tuple[float, float, float] = (0.0, 0.0, 0.0)  # skin colour shift (reddening, pallor)


EXPRESSION = {
    "neutral": Expression(0.0, 0.0, 0.0, 0.0, 1.0),
    "angry": Expression(-0.3, 0.15, 0.9, -0.4, 0.65, (45.0, -15.0, -15.0)),
    "happy": Expression(1.0, 0.25, 0.0, 0.1, 0.8, (20.0, 10.0, -10.0)),
    "sad": Expression(-0.9, 0.0, -0.6, 0.0, 0.6, (-20.0, -10.0, 15.0)),
    "worried": Expression(-0.35, 0.1, -0.9, 0.35, 1.1, (-10.0, -20.0, 0.0)),
    "surprise": Expression(0.0, 1.0, 0.0, 0.9, 1.6),
}

SHAPE = [f.name for f in fields(Expression) if f.name != "flush"]  # the fields blended one by one


@dataclass(frozen=True)
class Look:
    """What stays fixed over one clip: placement, colours and lighting."""

    cx: float
    cy: float
    radius: float
    skin: np.ndarray
    ink: np.ndarray
    background: np.ndarray
    light: np.ndarray  # (H, W) multiplicative lighting field


def random_look(rng: np.random.Generator, size: int) -> Look:
    yy, xx = np.mgrid[0:size, 0:size] / size
    angle = rng.uniform(0, 2 * np.pi)
    light = 1 + rng.uniform(0.05, 0.25) * ((xx - 0.5) * np.cos(angle) + (yy - 0.5) * np.sin(angle))
    return Look(
        cx=size * rng.uniform(0.45, 0.55),
        cy=size * rng.uniform(0.45, 0.55),
        radius=size * rng.uniform(0.38, 0.44),
        skin=rng.uniform([170, 120, 90], [240, 190, 160]),
        ink=rng.uniform(10, 80, 3),
        background=rng.uniform(60, 120) + rng.uniform(-20, 20, 3),
        light=light * rng.uniform(0.85, 1.15),
    )


def _segments_distance(xx: np.ndarray, yy: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Distance from every pixel to a polyline."""
    a, b = points[:-1], points[1:]
    ab = b - a
    px = xx[..., None] - a[:, 0]
    py = yy[..., None] - a[:, 1]
    t = np.clip((px * ab[:, 0] + py * ab[:, 1]) / ((ab**2).sum(axis=1) + 1e-9), 0, 1)
    dx, dy = px - t * ab[:, 0], py - t * ab[:, 1]
    return np.sqrt(dx**2 + dy**2).min(axis=-1)


def _window(shape: tuple[int, int], lo: np.ndarray, hi: np.ndarray) -> tuple[slice, slice]:
    """Rows and columns of the (x, y) box [lo, hi] grown by a pixel, inside the image: a shape drawn there
    leaves every other pixel alone, so only the box need be measured, which is most of drawing's time."""
    x0, y0 = np.maximum(np.floor(lo).astype(int) - 1, 0)
    x1, y1 = np.minimum(np.ceil(hi).astype(int) + 2, shape[::-1])
    return slice(y0, y1), slice(x0, x1)


def _near_polyline(
    image: np.ndarray, xx: np.ndarray, yy: np.ndarray, points: np.ndarray, reach: float, color: np.ndarray
) -> None:
    """Paint the pixels within `reach` of the polyline."""
    box = _window(xx.shape, points.min(axis=0) - reach, points.max(axis=0) + reach)
    image[box][_segments_distance(xx[box], yy[box], points) <= reach] = color


def _ellipse(
    image: np.ndarray, xx: np.ndarray, yy: np.ndarray, centre: tuple, axes: tuple, color: np.ndarray
) -> None:
    """Paint the axis-aligned ellipse; `centre` and `axes` are (x, y) pairs."""
    (ex, ey), (ax, ay) = centre, axes
    box = _window(xx.shape, np.array([ex - ax, ey - ay]), np.array([ex + ax, ey + ay]))
    image[box][((xx[box] - ex) / ax) ** 2 + ((yy[box] - ey) / ay) ** 2 <= 1] = color


@cache
def _pixel_grid(size: int) -> tuple[np.ndarray, np.ndarray]:
    """Pixel coordinates (y, x), shared read-only by every frame of that size."""
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    yy.flags.writeable = xx.flags.writeable = False
    return yy, xx


def draw_face(look: Look, expression: Expression, size: int) -> np.ndarray:
    yy, xx = _pixel_grid(size)
    r, cx, cy = look.radius, look.cx, look.cy
    image = np.empty((size, size, 3), np.float32)
    image[:] = look.background
    _ellipse(image, xx, yy, (cx, cy), (0.85 * r, r), look.skin + np.array(expression.flush))
    line = max(1.0, r * 0.1)
    for side in (-1, 1):
        ex, ey = cx + side * 0.38 * r, cy - 0.2 * r
        eye_h = 0.1 * r * expression.eye_open
        _ellipse(image, xx, yy, (ex, ey), (0.16 * r, max(eye_h, 0.5)), look.ink)
        brow_y = ey - 0.25 * r - 0.15 * r * expression.brow_raise
        inner = np.array([cx + side * 0.15 * r, brow_y + 0.12 * r * expression.brow_tilt])
        outer = np.array([cx + side * 0.6 * r, brow_y - 0.04 * r * expression.brow_tilt])
        _near_polyline(image, xx, yy, np.stack([inner, outer]), line, look.ink)
    mouth_y, half = cy + 0.45 * r, 0.35 * r
    mx = np.linspace(-half, half, 9)
    curve = -expression.smile * 0.25 * r * (mx / half) ** 2
    _near_polyline(image, xx, yy, np.stack([cx + mx, mouth_y + curve], axis=1), line, look.ink)
    if expression.mouth_open > 0.05:
        open_h = 0.22 * r * expression.mouth_open
        _ellipse(image, xx, yy, (cx, mouth_y + 0.5 * open_h), (0.22 * r, open_h), look.ink * 0.5)
    image *= look.light[..., None]
    return np.clip(image, 0, 255).astype(np.uint8)


def blend(emotion: str, intensity: float) -> Expression:
    """Interpolate between neutral and the emotion's full expression."""
    cue, base = EXPRESSION[emotion], EXPRESSION["neutral"]
    shape = [toward(base, cue, name, intensity) for name in SHAPE]
    return Expression(*shape, tuple(intensity * f for f in cue.flush))


def draw_clip(
    emotion: str, n_frames: int, rng: np.random.Generator, intensity: float = 1.0, size: int = 96
) -> np.ndarray:
    """(n_frames, size, size, 3) uint8: the expression builds up over the clip, with small head motion."""
    look = random_look(rng, size)
    frames = []
    for i in range(n_frames):
        ramp = intensity * min(1.0, 0.3 + 1.4 * i / max(n_frames - 1, 1))
        jitter = rng.normal(0, 0.6, 2)
        moved = replace(look, cx=look.cx + jitter[0], cy=look.cy + jitter[1])
        frames.append(draw_face(moved, blend(emotion, ramp), size))
    return np.stack(frames)
