"""Write a clip as mp4 (H.264 video + AAC audio) with PyAV, deterministically.

Video is lossless H.264 (qp 0): lossy x264 gave slightly different pictures from one process to the
next here, while lossless coding decodes to exactly the frames given, so a seeded corpus decodes to
identical arrays (and, as measured, identical files).
"""

from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path

import av
import numpy as np


def rgb_to_yuv420p(image: np.ndarray) -> np.ndarray:
    """BT.601 limited-range planar YUV 4:2:0, as one (3H/2, W) array; H and W must be even.

    Done in numpy so the pictures handed to the encoder do not depend on FFmpeg's converter.
    """
    rgb = image.astype(np.float32)
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    y = 16 + (65.481 * r + 128.553 * g + 24.966 * b) / 255
    cb = 128 + (-37.797 * r - 74.203 * g + 112.0 * b) / 255
    cr = 128 + (112.0 * r - 93.786 * g - 18.214 * b) / 255
    h, w = y.shape

    def down(plane: np.ndarray) -> np.ndarray:
        return plane.reshape(h // 2, 2, w // 2, 2).mean(axis=(1, 3)).ravel()

    # The chroma planes are packed back to back, so one of them need not fill whole rows (H = 2 mod 4).
    planes = np.concatenate([y.ravel(), down(cb), down(cr)]).reshape(h * 3 // 2, w)
    return np.clip(np.round(planes), 0, 255).astype(np.uint8)


def _even(frames: np.ndarray) -> np.ndarray:
    h, w = frames.shape[1] // 2 * 2, frames.shape[2] // 2 * 2
    return frames[:, :h, :w]


def _video_packets(stream, frames: np.ndarray) -> list[av.Packet]:
    # The encoder's look-ahead may still point into these arrays: keep them alive until it is flushed.
    planes = [rgb_to_yuv420p(image) for image in frames]
    packets = []
    for plane in planes:
        packets += stream.encode(av.VideoFrame.from_ndarray(plane, format="yuv420p"))
    return packets + stream.encode(None)


def _audio_packets(stream, samples: np.ndarray, sample_rate: int, chunk: int = 1024) -> list[av.Packet]:
    samples = np.clip(samples, -1.0, 1.0).astype(np.float32)
    packets = []
    for start in range(0, len(samples), chunk):
        frame = av.AudioFrame.from_ndarray(samples[None, start : start + chunk], format="flt", layout="mono")
        frame.sample_rate = sample_rate
        frame.pts = start
        frame.time_base = Fraction(1, sample_rate)
        packets += stream.encode(frame)
    return packets + stream.encode(None)


def write_clip(
    path: Path,
    frames: np.ndarray | None,
    fps: float,
    audio: np.ndarray | None,
    sample_rate: int = 16_000,
) -> Path:
    """Either stream may be None (an audio-only or silent clip). Written to a temp name, then renamed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with av.open(str(tmp), "w", format="mp4", options={"fflags": "+bitexact"}) as container:
        if frames is not None:
            frames = _even(frames)
            video = container.add_stream("libx264", rate=Fraction(fps).limit_denominator(1000))
            video.width, video.height = frames.shape[2], frames.shape[1]
            video.pix_fmt = "yuv420p"
            video.codec_context.options = {"preset": "veryfast", "qp": "0", "threads": "1"}
        if audio is not None:
            sound = container.add_stream("aac", rate=sample_rate)
            sound.layout = "mono"
        # Every packet is encoded before the first is muxed, so the header is written once both
        # encoders are set up.
        packets = _audio_packets(sound, audio, sample_rate) if audio is not None else []
        packets += _video_packets(video, frames) if frames is not None else []
        for packet in packets:
            container.mux(packet)
    os.replace(tmp, path)
    return path
