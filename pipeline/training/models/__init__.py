"""Fusion models sharing one interface: forward(inputs, present) -> logits.

`inputs` maps modality -> (B, D) or (B, T, D) tensors (with `<modality>_steps` masks for T);
`present` is (B, M) bool, false where a modality is missing or dropped. Missing modalities are
masked inside every model, so their feature values never reach the output.
"""
