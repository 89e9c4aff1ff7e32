"""The outcome of reading one modality of one clip."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

OK, ABSENT, FAILED = "ok", "absent", "failed"


@dataclass(frozen=True)
class Decoded:
    """Data when `status` is ok; otherwise why not.

    `absent` is a normal case (no stream, no file given, empty transcript); `failed` is a broken input.
    Both are stored with ok = false and a row in failures.csv, but only failures count against
    `features.max_failed_fraction`.
    """

    status: str
    data: np.ndarray | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.status == OK

    @classmethod
    def absent(cls, reason: str) -> Decoded:
        return cls(ABSENT, None, reason)

    @classmethod
    def failed(cls, reason: str) -> Decoded:
        return cls(FAILED, None, reason)

    @property
    def error(self) -> str:
        return f"{self.status}: {self.reason}"
