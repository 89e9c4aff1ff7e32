"""What one training epoch of each adaptation method costs at full model size (random-init models of the
real architectures, from the configs shipped in pipeline/features/configs): LoRA adapters on HuBERT-large's
encoder layers 16-21 (the layers the MER2024 4th place adapted), and CoOp prompt tuning of CLIP ViT-L/14
(16 context vectors before 6 labels, 8 stored frames per clip).

Adapters: one epoch of pipeline.adaptation.adapters.train_adapters on --adapt-clips synthetic clips of
--seconds s (its held-out pass included); the seconds per labeled clip, scaled to the demo's 240 labeled
clips (120 + noisy copies) and to MER2024's 5,030. Prompts: pipeline.adaptation.prompts.train_prompts on
--prompt-clips clips of random frame embeddings (the frozen store's), seconds per epoch. The stand-ins'
text vocabulary is the byte-level one (514 tokens, not CLIP's 49,408): the text tower's layers are full
size, its embedding table is not.

--sizes tiny runs the demo's stand-ins through the same code on fewer clips (seconds, for the test of
bench/gpu.sh, which runs this after bench.fullsize); auto: full where CUDA is present, else tiny.
Usage: python -m bench.adaptation_cost [--sizes full] [--device auto] [--out FILE.json]
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import numpy as np
import torch

from pipeline.adaptation.adapters import LabeledAudio, train_adapters
from pipeline.adaptation.prompts import LabeledFrames, train_prompts
from pipeline.config.adapt import AdaptConfig
from pipeline.config.prompt import PromptConfig
from pipeline.features.models import load_model, resolve_device
from pipeline.features.text import load_tokenizer
from pipeline.media.audio import SAMPLE_RATE

SIZES = {  # models, and the clips each measurement runs on (the options override them)
    "full": {
        "audio": "random:hubert-large",
        "layers": list(range(16, 22)),
        "video": "random:clip-vit-large",
        "adapt_clips": 16,
        "prompt_clips": 5030,
    },
    "tiny": {
        "audio": "random:hubert-tiny",
        "layers": [2, 3],
        "video": "random:clip-tiny",
        "adapt_clips": 8,
        "prompt_clips": 256,
    },
}
LABELS = ["neutral", "angry", "happy", "sad", "worried", "surprise"]
SCALES = {"demo": 240, "MER2024": 5030}


def adapter_epoch(spec: str, layers: list[int], clips: int, seconds: float, device: str) -> dict:
    rng = np.random.default_rng(0)
    waves = [rng.normal(0, 0.1, int(seconds * SAMPLE_RATE)).astype(np.float32) for _ in range(clips)]
    data = LabeledAudio(waves, np.arange(clips) % len(LABELS), [f"c{i}" for i in range(clips)])
    cfg = AdaptConfig(
        name="adapted", audio="audio", layers=layers, epochs=1, batch_size=8, max_seconds=seconds
    )
    loaded = load_model(spec, device=device)
    started = time.perf_counter()
    _, summary = train_adapters(loaded, data, len(LABELS), cfg)
    per_clip = (time.perf_counter() - started) / clips
    return {
        "model": spec,
        "layers": layers,
        "clips": clips,
        "clip_seconds": seconds,
        "trainable_params": summary["trainable_params"],
        "seconds_per_clip_epoch": round(per_clip, 3),
        **{f"seconds_per_epoch_{k}": round(per_clip * n, 1) for k, n in SCALES.items()},
    }


def prompt_epoch(spec: str, clips: int, device: str) -> dict:
    loaded = load_model(spec, device=device, image_text=True)
    dim = int(loaded.model.config.projection_dim)
    rng = np.random.default_rng(0)
    frames = rng.normal(0, 1, (clips, 8, dim)).astype(np.float32)
    data = LabeledFrames(
        frames, np.ones((clips, 8), bool), np.arange(clips) % len(LABELS), [f"c{i}" for i in range(clips)]
    )
    cfg = PromptConfig(name="prompted", video="video", epochs=2, patience=2)
    _, summary = train_prompts(loaded, load_tokenizer(loaded), data, LABELS, cfg)
    return {
        "model": spec,
        "clips": clips,
        "context": cfg.context,
        "trainable_params": summary["trainable_params"],
        "seconds_per_epoch": summary["seconds_per_epoch"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", choices=[*SIZES, "auto"], default="full")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--adapt-clips", type=int, help="clips of the adapter epoch (full 16, tiny 8)")
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each synthetic clip")
    parser.add_argument("--prompt-clips", type=int, help="clips of the prompt epochs (full 5030, tiny 256)")
    parser.add_argument("--out", type=Path, default=Path("bench/results/adaptation_cost.json"))
    args = parser.parse_args()
    sizes = args.sizes if args.sizes != "auto" else ("full" if torch.cuda.is_available() else "tiny")
    models = SIZES[sizes]
    device = str(resolve_device(args.device, "auto")[0])
    adapt_clips = args.adapt_clips or models["adapt_clips"]
    prompt_clips = args.prompt_clips or models["prompt_clips"]
    adapters = adapter_epoch(models["audio"], models["layers"], adapt_clips, args.seconds, device)
    prompts = prompt_epoch(models["video"], prompt_clips, device)
    print(
        f"| method | model | trained params | seconds per epoch ({device}, {torch.get_num_threads()} "
        "threads) |"
    )
    print("| --- | --- | ---: | --- |")
    scaled = ", ".join(
        f"{adapters[f'seconds_per_epoch_{k}']} s for {n} clips ({k})" for k, n in SCALES.items()
    )
    print(
        f"| LoRA adapters, layers {adapters['layers'][0]}-{adapters['layers'][-1]} | {adapters['model']} | "
        f"{adapters['trainable_params']:,} | {adapters['seconds_per_clip_epoch']} s per {args.seconds:g} s "
        f"clip: {scaled} |"
    )
    print(
        f"| CoOp prompts (+ pooling, adapter) | {prompts['model']} | {prompts['trainable_params']:,} | "
        f"{prompts['seconds_per_epoch']} s for {prompts['clips']} clips |"
    )
    report = {
        "sizes": sizes,
        "device": device,
        "machine": platform.processor() or platform.machine(),
        "adapters": adapters,
        "prompts": prompts,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"-> {args.out}")


if __name__ == "__main__":
    main()
