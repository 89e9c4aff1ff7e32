"""Train several folds' models as one: each Linear layer holds every fold's weights and runs one batched
product, so the per-operator cost of a small model's step is paid once for all the folds it carries.

The batch axis carries the folds one after another (F folds x B rows), so the models' own forward code
runs unchanged; only layers with parameters, and dropout, know about the fold axis. Each fold keeps its
own initial weights (its model is built from its own seed) and draws its dropout masks from its own
generator, so what a fold learns does not depend on which folds share its stack.
"""

from __future__ import annotations

import copy

import torch
from torch import nn

from pipeline.training.models.parts import LayerWeights


class FoldLinear(nn.Module):
    """F Linear layers of one shape; (F*B, ..., in) -> (F*B, ..., out), fold f on rows [f*B, (f+1)*B)."""

    def __init__(self, layers: list[nn.Linear]):
        super().__init__()
        self.weight = nn.Parameter(torch.stack([layer.weight.detach().mT for layer in layers]).contiguous())
        self.bias = nn.Parameter(torch.stack([layer.bias.detach() for layer in layers]).unsqueeze(1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        folds = len(self.weight)
        out = torch.baddbmm(self.bias, x.reshape(folds, -1, x.shape[-1]), self.weight)
        return out.reshape(*x.shape[:-1], out.shape[-1])

    def fold_state(self, f: int) -> dict[str, torch.Tensor]:
        return {"weight": self.weight[f].mT, "bias": self.bias[f, 0]}


class FoldLayerWeights(nn.Module):
    """F learned softmax-weighted layer sums: (F*B, T, D) -> (F*B, D)."""

    def __init__(self, pools: list[LayerWeights]):
        super().__init__()
        self.logits = nn.Parameter(torch.stack([pool.logits.detach() for pool in pools]))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        folds = len(self.logits)
        pooled = torch.einsum("fbtd,ft->fbd", x.reshape(folds, -1, *x.shape[1:]), self.logits.softmax(dim=1))
        return pooled.reshape(len(x), -1)

    def fold_state(self, f: int) -> dict[str, torch.Tensor]:
        return {"logits": self.logits[f]}


class FoldDropout(nn.Module):
    """Dropout whose masks for fold f's rows come from generators[f]."""

    def __init__(self, p: float, generators: list[torch.Generator]):
        super().__init__()
        self.p, self.generators = p, generators

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0:
            return x
        rows = len(x) // len(self.generators)
        noise = torch.empty(x.shape)  # drawn on the CPU, where the folds' generators live
        for f, generator in enumerate(self.generators):
            noise[f * rows : (f + 1) * rows].uniform_(generator=generator)
        return x * noise.ge_(self.p).div_(1 - self.p).to(x.device)


STACKED = {nn.Linear: FoldLinear, LayerWeights: FoldLayerWeights}


def stackable(model: nn.Module) -> bool:
    """True when every module that holds parameters is one that has a fold-stacked form."""
    return all(
        type(module) in STACKED for module in model.modules() if any(True for _ in module.parameters(False))
    )


def stack(models: list[nn.Module], generators: list[torch.Generator]) -> nn.Module:
    """One module training all of `models` (same architecture, each with its own weights)."""
    stacked = copy.deepcopy(models[0])
    for name, module in list(stacked.named_modules()):
        if type(module) in STACKED:
            replacement = STACKED[type(module)]([m.get_submodule(name) for m in models])
        elif isinstance(module, nn.Dropout):
            replacement = FoldDropout(module.p, generators)
        else:
            continue
        parent, _, child = name.rpartition(".")
        setattr(stacked.get_submodule(parent), child, replacement)
    return stacked


def fold_state(stacked: nn.Module, f: int) -> dict[str, torch.Tensor]:
    """Fold f's weights under the names its plain model's state_dict uses (views, not copies)."""
    return {
        f"{name}.{key}" if name else key: value
        for name, module in stacked.named_modules()
        if isinstance(module, (FoldLinear, FoldLayerWeights))
        for key, value in module.fold_state(f).items()
    }


def keep_folds(stacked: nn.Module, optimizer: torch.optim.Optimizer, keep: list[int]) -> None:
    """Drop the folds not in `keep` (positions in the stack) from the module and from the optimizer,
    which carries the kept folds' moments and step counts on."""
    for module in stacked.modules():
        if isinstance(module, FoldDropout):
            module.generators = [module.generators[i] for i in keep]
    states = {}
    for module in stacked.modules():
        if not isinstance(module, (FoldLinear, FoldLayerWeights)):
            continue
        for key, old in list(module.named_parameters(recurse=False)):
            index = torch.tensor(keep, device=old.device)
            new = nn.Parameter(old.detach()[index].clone())
            setattr(module, key, new)
            states[new] = {
                k: v[index].clone() if v.ndim else v.clone() for k, v in optimizer.state[old].items()
            }
    optimizer.param_groups[0]["params"] = list(stacked.parameters())
    optimizer.state.clear()
    optimizer.state.update(states)
