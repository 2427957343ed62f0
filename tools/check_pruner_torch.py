#!/usr/bin/env python3
"""Loads a DiffPrune pruner folder in plain PyTorch and checks its logits against the engine's.

A pruner folder (diffprune train's pruner/) holds pruner.json (VisionWidth, Heads, Layers, Keep) and
pruner.safetensors, whose tensor names are a PyTorch state dict: blocks.{i}.layer_norm1/self_attn.{q,k,v,out}_proj/
layer_norm2/mlp.fc1/mlp.fc2 (the names and layout of Hugging Face's CLIPEncoderLayer, exact GELU, LayerNorm eps
1e-5), then norm and head. The classes below rebuild it with torch alone; the file is read with struct + json, so
neither the `safetensors` package nor this project is needed to deploy it:

    from check_pruner_torch import load_pruner
    scorer, config = load_pruner("runs/train/pruner")
    logits = scorer(features)                                   # features (B, N, d_v) -> logits (B, N)
    kept = logits.topk(config["Keep"], dim=-1).indices.sort(dim=-1).values   # K tokens, original order

How to check it (from the repository root; needs only torch, any version >= 1.13):

    dotnet run -c Release --project src/DiffPrune.Cli -- export --pruner runs/train/pruner --format reference --out ref.safetensors
    python3 tools/check_pruner_torch.py runs/train/pruner ref.safetensors

The reference file holds seeded random features (B, N, d_v) and the engine's logits for them. The script prints the
largest absolute logit difference and whether the hard top-K picks the same tokens, and exits 1 when the logits
differ by more than 1e-4 or a kept token differs.
"""
import json
import math
import struct
import sys

import torch
from torch import nn


def load_safetensors(path):
    """{name: float32 tensor} of a safetensors file: u64 header length, JSON header, then the raw data."""
    with open(path, "rb") as f:
        data = f.read()
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + length])
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        if info["dtype"] != "F32":
            raise ValueError(f"{path}: tensor {name} is {info['dtype']}; DiffPrune writes F32")
        begin, end = info["data_offsets"]
        raw = bytearray(data[8 + length + begin:8 + length + end])
        tensors[name] = torch.frombuffer(raw, dtype=torch.float32).reshape(info["shape"]) if raw else torch.zeros(info["shape"])
    return tensors


class SelfAttention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.q_proj, self.k_proj, self.v_proj, self.out_proj = (nn.Linear(dim, dim) for _ in range(4))

    def forward(self, x):
        b, t, c = x.shape
        q, k, v = (p(x).view(b, t, self.heads, c // self.heads).transpose(1, 2) for p in (self.q_proj, self.k_proj, self.v_proj))
        probs = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(c // self.heads), dim=-1)
        return self.out_proj((probs @ v).transpose(1, 2).reshape(b, t, c))


class Mlp(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(dim, 4 * dim), nn.Linear(4 * dim, dim)

    def forward(self, x):
        return self.fc2(nn.functional.gelu(self.fc1(x)))  # exact (erf) GELU


class EncoderBlock(nn.Module):
    """Pre-norm: x += self_attn(layer_norm1(x)); x += mlp(layer_norm2(x))."""

    def __init__(self, dim, heads):
        super().__init__()
        self.layer_norm1, self.self_attn = nn.LayerNorm(dim, eps=1e-5), SelfAttention(dim, heads)
        self.layer_norm2, self.mlp = nn.LayerNorm(dim, eps=1e-5), Mlp(dim)

    def forward(self, x):
        x = x + self.self_attn(self.layer_norm1(x))
        return x + self.mlp(self.layer_norm2(x))


class TokenScorer(nn.Module):
    """DiffPrune's scorer: encoder blocks, LayerNorm, Linear to one logit per visual token."""

    def __init__(self, dim, heads, layers):
        super().__init__()
        self.blocks = nn.ModuleList(EncoderBlock(dim, heads) for _ in range(layers))
        self.norm, self.head = nn.LayerNorm(dim, eps=1e-5), nn.Linear(dim, 1)

    def forward(self, features):  # (B, N, d_v) -> (B, N)
        for block in self.blocks:
            features = block(features)
        return self.head(self.norm(features)).squeeze(-1)


def load_pruner(folder):
    """The scorer of a pruner folder (strict: every tensor name and shape must match) and its pruner.json."""
    with open(f"{folder}/pruner.json") as f:
        config = json.load(f)
    scorer = TokenScorer(config["VisionWidth"], config["Heads"], config["Layers"])
    scorer.load_state_dict(load_safetensors(f"{folder}/pruner.safetensors"), strict=True)
    return scorer.eval(), config


def main(argv):
    if len(argv) != 3:
        sys.exit(__doc__.split("How to check it")[1])
    scorer, config = load_pruner(argv[1])
    reference = load_safetensors(argv[2])
    with torch.no_grad():
        logits = scorer(reference["features"])
    diff = (logits - reference["logits"]).abs().max().item()
    k = min(config["Keep"], logits.shape[1])
    kept = logits.topk(k, dim=-1).indices.sort(dim=-1).values
    kept_engine = reference["logits"].topk(k, dim=-1).indices.sort(dim=-1).values
    same = torch.equal(kept, kept_engine)
    print(f"torch {torch.__version__}: features {tuple(reference['features'].shape)}, "
          f"max |logit(torch) - logit(engine)| = {diff:.2e}; top-{k} kept tokens {'identical' if same else 'DIFFER'}")
    return 0 if diff <= 1e-4 and same else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
