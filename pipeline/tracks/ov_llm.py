"""The `llm` OV predictor: any Hugging Face causal LM with a chat template, prompted per clip.

The prompt carries the transcript and the discrete classifier's top emotions; the answer is parsed
into lower-case English words like any imported LLM answer. Tests run it with the seeded random-init
`random:qwen2-tiny`, whose answers are noise: the point there is the mechanics, not the words.
"""

from __future__ import annotations

import torch

from pipeline.features.models import load_model
from pipeline.features.text import load_tokenizer
from pipeline.tracks.ov_predict import parse_answer

PROMPT = (
    'A speaker says: "{text}"\n'
    "An emotion classifier's most likely labels: {emotions}.\n"
    "Which emotions does the speaker show? Answer with a comma-separated list of English emotion words."
)
# Used only when a tokenizer ships no chat template (e.g. the MiniLM tokenizer of the random stand-in).
PLAIN_TEMPLATE = (
    "{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}"
    "{% if add_generation_prompt %}assistant:{% endif %}"
)


class LLMPredictor:
    def __init__(
        self,
        spec: str,
        revision: str = "main",
        trust_remote_code: bool = False,
        device: str = "auto",
        max_new_tokens: int = 24,
        seed: int = 0,
    ):
        self.loaded = load_model(spec, revision, trust_remote_code, device, "auto", seed, causal_lm=True)
        self.tokenizer = load_tokenizer(self.loaded, trust_remote_code)
        if not getattr(self.tokenizer, "chat_template", None):
            self.tokenizer.chat_template = PLAIN_TEMPLATE
        self.max_new_tokens = max_new_tokens

    @property
    def description(self) -> str:
        return self.loaded.description

    @torch.inference_mode()
    def answer(self, text: str, emotions: list[str]) -> str:
        messages = [{"role": "user", "content": PROMPT.format(text=text, emotions=", ".join(emotions))}]
        ids = self.tokenizer.apply_chat_template(
            messages, add_generation_prompt=True, return_tensors="pt", return_dict=True
        )
        ids = {k: v.to(self.loaded.device) for k, v in ids.items() if k in ("input_ids", "attention_mask")}
        pad = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else 0
        out = self.loaded.model.generate(
            **ids, max_new_tokens=self.max_new_tokens, do_sample=False, pad_token_id=pad
        )
        return self.tokenizer.decode(out[0, ids["input_ids"].shape[1] :], skip_special_tokens=True)

    def predict(self, texts: list[str], top_emotions: list[list[str]]) -> list[list[str]]:
        return [parse_answer(self.answer(t, e)) for t, e in zip(texts, top_emotions, strict=True)]
