#!/usr/bin/env bash
# Full-size extraction on a GPU machine, one command: HuBERT-large, CLIP ViT-L/14 x 8 frames and a
# Qwen2-7B storing 5 layers (random-init from the configs shipped in the repo: no weights, no network)
# on N generated demo clips; prints clips/s per modality, peak GPU memory and the hours 120,000 clips
# would take; writes bench/results/gpu.json. Then one training epoch of each adaptation method at full
# size (LoRA on HuBERT-large layers 16-21, CoOp prompts on CLIP ViT-L/14; bench/adaptation_cost.py):
# bench/results/gpu_adaptation.json. Sized to finish in under 8 minutes on one H200 (N=200).
# Without CUDA it runs the tiny stand-ins on CPU instead (the fallback path the tests run).
#
# Usage: bench/gpu.sh [N] [extra bench.fullsize options, e.g. --batch-size 32]
# Python: $PYTHON, else the project's .venv, else python3 (it needs the project's dependencies).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
[ -x "$PY" ] || PY=python3
N=${1:-200}
shift || true
"$PY" -m bench.fullsize --n "$N" --sizes auto --device auto --workers "${WORKERS:-8}" \
  --out "${OUT_JSON:-bench/results/gpu.json}" "$@"
exec "$PY" -m bench.adaptation_cost --sizes auto --device auto \
  --out "${OUT_ADAPT_JSON:-bench/results/gpu_adaptation.json}"
