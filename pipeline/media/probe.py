"""Which streams a container holds, read from its header with PyAV (cheap, no decoding)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import av


@dataclass(frozen=True)
class Streams:
    video: bool
    audio: bool


def probe(path: Path) -> Streams:
    """Raise av.error.FFmpegError (or OSError) for a file that is not a readable container."""
    with av.open(str(path)) as container:
        return Streams(video=bool(container.streams.video), audio=bool(container.streams.audio))
