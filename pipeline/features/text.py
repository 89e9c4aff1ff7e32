"""Text embeddings from encoders and decoder-only LLMs.

Per kept layer, the mean over content tokens (special tokens and padding excluded); or, with a
prompt template, the last content token's state (the usual way to read an LLM's "answer" position).
"""

from __future__ import annotations

import numpy as np
import torch
from transformers import AutoTokenizer

from pipeline.features.models import LoadedModel, minilm_folder


def load_tokenizer(loaded: LoadedModel, trust_remote_code: bool = False):
    """The model's own tokenizer; random stand-ins without one reuse MiniLM's."""
    folder = loaded.folder
    if folder is not None and (folder / "tokenizer_config.json").is_file():
        return AutoTokenizer.from_pretrained(folder)
    if loaded.random_init:
        return AutoTokenizer.from_pretrained(minilm_folder())
    return AutoTokenizer.from_pretrained(
        loaded.spec, revision=loaded.revision, trust_remote_code=trust_remote_code
    )


class TextEmbedder:
    def __init__(
        self, loaded: LoadedModel, tokenizer, layers: list[int], prompt: str = "", max_tokens: int = 256
    ):
        self.loaded = loaded
        self.model = loaded.model
        self.tokenizer = tokenizer
        if tokenizer.pad_token is None:
            tokenizer.pad_token = tokenizer.eos_token
        self.layers = layers
        self.prompt = prompt
        self.max_tokens = max_tokens
        self.dim = self.model.config.hidden_size

    @torch.inference_mode()
    def embed(self, texts: list[str]) -> np.ndarray:
        """(B, L, D) float32."""
        if self.prompt:
            texts = [self.prompt.format(text=t) for t in texts]
        enc = self.tokenizer(
            texts,
            padding=True,
            truncation=True,
            max_length=self.max_tokens,
            return_tensors="pt",
            return_special_tokens_mask=True,
        )
        content = (enc["attention_mask"].bool() & ~enc["special_tokens_mask"].bool()).float()
        inputs = {k: self.loaded.upload(v) for k, v in enc.items() if k in ("input_ids", "attention_mask")}
        out = self.model(**inputs, output_hidden_states=True)
        states = torch.stack([out.hidden_states[i] for i in self.layers], dim=1).float()
        weights = self.loaded.upload(self._token_weights(content))
        return torch.einsum("bltd,bt->bld", states, weights).cpu().numpy()  # pooled where the model ran

    def _token_weights(self, content: torch.Tensor) -> torch.Tensor:
        """(B, T): the mean over content tokens, or the last content token with a prompt."""
        if not self.prompt:
            return content / content.sum(dim=1, keepdim=True).clamp(min=1)
        positions = torch.arange(content.shape[1])[None].expand_as(content)
        last = torch.where(content.bool(), positions, -1).max(dim=1).values
        return torch.nn.functional.one_hot(last, content.shape[1]).float()
