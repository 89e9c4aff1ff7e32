"""`corrupt.*`: the NOISE split and the noisy training copies."""

from __future__ import annotations

from pydantic import field_validator, model_validator

from pipeline.config.base import Section, between


class CorruptConfig(Section):
    seed: int = 0
    source_split: str = "test"  # corrupted into `test_noise` ("" builds no NOISE split)
    augment_split: str = "train"  # also corrupted into `<split>_noise` copies to train on ("" none)
    snr_min: between(int, -20, 60) = 5  # SNR in dB, drawn from the integers snr_min..snr_max
    snr_max: between(int, -20, 60) = 10
    blur_factors: list[int] = [1, 2, 4]
    noise_dir: str = ""  # folder of noise recordings (MUSAN speech); "" uses built-in babble
    workers: between(int, 1, 256) = 2

    @field_validator("blur_factors")
    @classmethod
    def _factors(cls, factors: list[int]) -> list[int]:
        if not factors or min(factors) < 1:
            raise ValueError(f"must be a list of integers >= 1, got {factors}")
        return factors

    @model_validator(mode="after")
    def _consistent(self) -> CorruptConfig:
        if self.snr_max < self.snr_min:
            raise ValueError(f"corrupt.snr_max must be >= snr_min ({self.snr_min}), got {self.snr_max}")
        if self.augment_split and self.augment_split == self.source_split:
            raise ValueError(
                f"corrupt.augment_split must differ from corrupt.source_split ({self.source_split!r}); "
                'use "" for no training copies'
            )
        return self

    @property
    def snr_db(self) -> tuple[int, int]:
        return self.snr_min, self.snr_max
