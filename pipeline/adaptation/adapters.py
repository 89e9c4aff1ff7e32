"""Parameter-efficient adaptation of an audio encoder (the MER2024 4th place's lever): LoRA adapters
(through `peft`) on chosen transformer layers of a wav2vec2 / HuBERT / WavLM feature set, trained with a
linear head on the labeled clips of a split (and their noisy copies), early-stopped on a held-out part of
them; the adapted encoder then extracts a new feature set.

Only the adapters and the head train: the encoder runs in eval mode (no dropout, LayerDrop or
SpecAugment), and every other weight stays bit-identical. The head sees, per clip, the mean over valid
frames of the adapted layers' outputs (hidden state i + 1 is layer i's output). Cross-validated scores of
a set adapted on the whole train split are optimistic: its encoder has seen every training clip's label
(the test split is never read).
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from pipeline.adaptation.holdout import EarlyStop, holdout_key, split_rows
from pipeline.atomic import replaced_folder, write_note
from pipeline.config.adapt import ADAPTABLE, AdaptConfig
from pipeline.config.layers import select_layers
from pipeline.corpus.manifest import Manifest
from pipeline.features.audio import AudioEmbedder, normalized, padded_batch, valid_sums
from pipeline.features.config import ExtractConfig
from pipeline.features.models import LoadedModel, model_config
from pipeline.features.store import Batch, StoreInfo, write_store
from pipeline.media.audio import SAMPLE_RATE, load_audio
from pipeline.tracks.metrics import waf

TARGETS = ["q_proj", "k_proj", "v_proj", "out_proj", "intermediate_dense", "output_dense"]
SUMMARY = "adapt.json"


@dataclass
class LabeledAudio:
    waves: list[np.ndarray]
    y: np.ndarray  # label indices
    groups: list[str]  # holdout_key of each clip
    skipped: list[str] = field(default_factory=list)  # clips whose audio could not be decoded


def labeled_audio(manifest: Manifest, labels: list[str], split: str, max_seconds: float) -> LabeledAudio:
    rows = manifest.rows
    chosen = rows[rows["split"].isin([split, f"{split}_noise"]) & rows["label"].isin(labels)]
    out = LabeledAudio([], np.zeros(0, np.int64), [])
    y = []
    for row in chosen.to_dict("records"):
        decoded = load_audio(manifest.media_path(row, "audio"), manifest.media_path(row, "video"))
        if not decoded.ok:
            out.skipped.append(row["name"])
            continue
        out.waves.append(decoded.data[: int(max_seconds * SAMPLE_RATE)].astype(np.float32))
        y.append(labels.index(row["label"]))
        out.groups.append(holdout_key(row))
    out.y = np.array(y, np.int64)
    return out


def with_adapters(loaded: LoadedModel, cfg: AdaptConfig) -> nn.Module:
    """The encoder with LoRA on `cfg.layers` (seeded), everything else frozen."""
    from peft import LoraConfig, get_peft_model

    model_type = loaded.model.config.model_type
    if model_type not in ADAPTABLE:
        raise ValueError(
            f"adapt.audio's model is a {model_type}; adapters need one of {', '.join(ADAPTABLE)}"
        )
    count = loaded.model.config.num_hidden_layers
    if max(cfg.layers) >= count:
        raise ValueError(f"adapt.layers {list(cfg.layers)}: {loaded.spec} has encoder layers 0..{count - 1}")
    torch.manual_seed(cfg.seed)
    lora = LoraConfig(
        r=cfg.rank,
        lora_alpha=2 * cfg.rank,
        lora_dropout=0.0,
        target_modules=TARGETS,
        layers_to_transform=list(cfg.layers),
        layers_pattern="layers",
    )
    return get_peft_model(loaded.model, lora).eval()


class AdaptedClassifier(nn.Module):
    """Encoder with adapters + a linear head on the mean of the adapted layers' valid frames."""

    def __init__(self, encoder: nn.Module, base: nn.Module, layers: tuple[int, ...], classes: int):
        super().__init__()
        self.encoder, self.base, self.layers = encoder, base, layers
        width = base.config.hidden_size
        # standardised features; momentum None: the statistics are this epoch's exact averages
        self.head = nn.Sequential(nn.BatchNorm1d(width, momentum=None), nn.Linear(width, classes))

    def forward(self, batch: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Host tensors in; logits (float32) on the encoder's device out."""
        weight = self.head[1].weight
        inputs = batch.to(weight.device, self.base.dtype)
        out = self.encoder(
            input_values=inputs, attention_mask=mask.to(weight.device), output_hidden_states=True
        )
        frames = self.base._get_feat_extract_output_lengths(mask.sum(dim=1)).long().to(weight.device)
        sums = valid_sums([out.hidden_states[i + 1] for i in self.layers], frames)  # (B, L, D)
        return self.head(sums.mean(dim=1) / frames.clamp(min=1)[:, None])


def padded(waves: list[np.ndarray], normalize: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """(B, T) input values as the extractor feeds them, and the attention mask."""
    return padded_batch([normalized(w) for w in waves] if normalize else waves)


def _logits(model: AdaptedClassifier, waves: list[np.ndarray], normalize: bool, step: int) -> torch.Tensor:
    model.head.eval()
    with torch.no_grad():
        return torch.cat(
            [model(*padded(waves[s : s + step], normalize)).cpu() for s in range(0, len(waves), step)]
        )


def _epoch(
    model: AdaptedClassifier, data: LabeledAudio, order: np.ndarray, normalize: bool, optimizer, step: int
):
    """One pass over `order` in batches (a last batch of one is left out: batch norm needs two)."""
    model.head.train()  # the encoder stays in eval mode
    model.head[0].reset_running_stats()  # the features move as the adapters train: this epoch's only
    targets = torch.from_numpy(data.y).to(model.head[1].weight.device)
    for s in range(0, len(order) - 1, step):
        chunk = order[s : s + step]
        logits = model(*padded([data.waves[i] for i in chunk], normalize))
        loss = F.cross_entropy(logits, targets[torch.from_numpy(chunk)])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


def _trained_state(model: AdaptedClassifier) -> dict[str, torch.Tensor]:
    """The adapters and the head (its batch-norm statistics too): all that training changes."""
    return {
        k: v.detach().clone() for k, v in model.state_dict().items() if "lora_" in k or k.startswith("head.")
    }


def train_adapters(
    loaded: LoadedModel, data: LabeledAudio, classes: int, cfg: AdaptConfig
) -> tuple[AdaptedClassifier, dict]:
    """The classifier with its best adapters (lowest held-out cross-entropy: steadier than WAF on a few
    dozen clips), and what training did."""
    started = time.perf_counter()
    fit, check = split_rows(data.groups, data.y, cfg.holdout, cfg.seed)
    normalize = AudioEmbedder(loaded, [0]).normalize
    torch.manual_seed(cfg.seed)
    model = AdaptedClassifier(with_adapters(loaded, cfg), loaded.model, cfg.layers, classes).to(loaded.device)
    trainable = [p for p in model.parameters() if p.requires_grad]
    adapters = [p for p in model.encoder.parameters() if p.requires_grad]
    # the head starts from nothing, the adapters from no change: the head learns 10x faster
    optimizer = torch.optim.AdamW(
        [{"params": adapters, "lr": cfg.lr}, {"params": model.head.parameters(), "lr": 10 * cfg.lr}]
    )
    generator = torch.Generator().manual_seed(cfg.seed)
    held_waves, held_y = [data.waves[i] for i in check], data.y[check]
    stop = EarlyStop(cfg.patience)
    for _ in range(cfg.epochs):
        order = fit[torch.randperm(len(fit), generator=generator).numpy()]
        _epoch(model, data, order, normalize, optimizer, cfg.batch_size)
        logits = _logits(model, held_waves, normalize, cfg.batch_size)
        loss = float(F.cross_entropy(logits, torch.from_numpy(held_y)))
        score = float(waf(held_y, logits.argmax(1).numpy()))
        if stop.update(loss, score, lambda: _trained_state(model)):
            break
    model.load_state_dict(stop.best_state, strict=False)
    model.head.eval()
    summary = {
        "clips": {"fit": len(fit), "holdout": len(check), "skipped": data.skipped},
        "trainable_params": sum(p.numel() for p in trainable),
        **stop.summary(),
        "seconds": round(time.perf_counter() - started, 1),
    }
    return model, summary


def _reproducible_config(path: Path, spec: str) -> None:
    """peft writes target_modules in set order (it varies between processes) and the base model's local
    folder; the same adapters must give the same bytes on every machine (a DVC output)."""
    config = json.loads(path.read_text())
    config["target_modules"] = sorted(config["target_modules"])
    config["base_model_name_or_path"] = spec
    path.write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")


def save_adapters(model: AdaptedClassifier, cfg: AdaptConfig, summary: dict, folder: Path, spec: str) -> None:
    """adapter_config.json + adapter_model.safetensors (peft), the head, and what training did; written
    beside the old folder and swapped in when complete."""
    from safetensors.torch import save_file

    note = (
        "cross-validated scores of this set are optimistic: the adapters saw every labeled clip of the split"
    )
    kept = {k: v for k, v in summary.items() if k != "seconds"}  # a DVC output: no timings in it
    with replaced_folder(folder) as out:
        model.encoder.save_pretrained(out)
        (out / "README.md").unlink(missing_ok=True)  # peft's empty model-card template
        _reproducible_config(out / "adapter_config.json", spec)
        save_file({k: v.contiguous() for k, v in model.head.state_dict().items()}, out / "head.safetensors")
        (out / SUMMARY).write_text(
            json.dumps({"config": cfg.model_dump(), **kept, "note": note}, indent=2) + "\n"
        )


def absent_set(
    manifest: Manifest, base: ExtractConfig, cfg: AdaptConfig, reason: str, model_dir: Path, store: Path
) -> None:
    """No adapters: a note in model_dir, and the set in the base set's shape with every clip absent."""
    write_note(model_dir, "NOT_ADAPTED.txt", reason)
    config = model_config(base.model, base.revision, base.trust_remote_code)
    layers = select_layers(base.layers, config.num_hidden_layers + 1, f"features.sets.{cfg.audio}.layers")
    names = list(manifest.rows["name"])
    n = len(names)
    digest = hashlib.sha256(f"{base.digest()}|absent|{reason}".encode()).hexdigest()[:16]
    info = StoreInfo(
        "audio",
        base.model,
        base.revision,
        layers,
        config.hidden_size,
        digest,
        base.model.startswith("random:"),
    )
    utt = np.zeros((n, len(layers), config.hidden_size), np.float32)
    write_store(
        store, names, info, Batch(names, utt, np.zeros(n, bool), [f"absent: {reason}"] * n), base.shards
    )
