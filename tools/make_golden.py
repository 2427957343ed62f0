#!/usr/bin/env python3
"""Writes the PyTorch reference fixtures ("golden files") that the C# tests compare against.

How to run (from the repository root; needs only torch, any version >= 1.13):

    python3 tools/make_golden.py                 # writes tests/DiffPrune.Tensors.Tests/Golden/Fixtures/*.bin
    python3 tools/make_golden.py --out DIR       # somewhere else

The script is deterministic (fixed seeds, no threading effects in float64): running it again rewrites
byte-identical files, so `git status` stays clean. The C# tests read the committed .bin files and never need
Python.

What it writes (T = tokens, C = channels, H = query heads, Hkv = key/value heads, D = head dim):

  prenorm_block.bin  A CLIP-style pre-norm encoder layer in plain torch:
                       h = x + out_proj(attn(layer_norm1(x)));  y = h + fc2(gelu(fc1(layer_norm2(h))))
                     C = 32, H = 4, MLP hidden 64, exact (erf) GELU, LayerNorm eps 1e-5, batch 2, T = 5.
                     Parameters under the names of DiffPrune's Nn.TransformerBlock ("self_attn.q_proj.weight",
                     "layer_norm1.bias", "mlp.fc1.weight", ...). Tensors:
                       x (2, 5, 32), gy (2, 5, 32) = the upstream gradient dL/dy, i.e. L = sum(y * gy),
                       y, grad.x, grad.<param> for every parameter          (no mask)
                       mask.valid (2, 5): 1 = real key, 0 = padding (sample 1 has its last 2 keys padded),
                       masked.y, masked.grad.x, masked.grad.<param>          (key-padding mask, same x and gy)

  llama_block.bin    A LLaMA decoder layer in plain torch, line by line Hugging Face's LlamaDecoderLayer
                     (eager attention): RMSNorm eps 1e-5, q/k/v/o projections without bias, grouped-query
                     attention H = 4, Hkv = 2, D = 8 (hidden 32), RoPE theta 10000 in rotate_half style, causal
                     mask, SwiGLU MLP down(silu(gate(x)) * up(x)) with intermediate 48, batch 2, T = 6.
                     Parameter names are HF's without the "model.layers.N." prefix. Tensors:
                       x (2, 6, 32), gy (2, 6, 32), position_ids (2, 6) as floats, non-contiguous and different
                       per sample ([0,1,2,5,6,9] and [0,3,4,5,8,10]: the gaps differ, since a constant shift
                       would leave causal attention unchanged), y, grad.x, grad.<param>

  mrope.bin          Qwen2-VL / Qwen2.5-VL multimodal rotary embedding, line by line Hugging Face's
                     apply_multimodal_rotary_pos_emb (rotate_half style, theta 10000): cos and sin of each of the
                     three position planes (temporal, height, width), and channel chunks mrope_section × 2 taking
                     plane i mod 3. D = 16, mrope_section [2, 3, 3] (in frequency pairs, summing to D/2), H = 2,
                     batch 2, T = 8: text tokens and a 2 × 3 image grid (t fixed, h and w its row and column), text
                     going on from the largest position + 1, as get_rope_index lays them out. Tensors:
                       x (2, 2, 8, 16) (B, H, T, D), gy, position_ids (3, 2, 8) as floats, y, grad.x

  qwen25_vision.bin  Qwen2.5-VL's vision tower for one image, in plain torch following transformers'
                     modeling_qwen2_5_vl.py (Qwen2_5_VisionTransformerPretrainedModel: rot_pos_emb, get_window_index,
                     the window reorder and its reverse, eager attention under a cu_seqlens mask, Qwen2_5_VLPatchMerger)
                     and the image processor's patch flattening. depth 3 with fullatt_block_indexes [1], hidden 32,
                     2 heads, intermediate 48, in_chans 3, patch 2, temporal_patch_size 2, spatial_merge_size 2,
                     window_size 8 (2 × 2 merged units), out_hidden 24, a 12 × 10 patch grid (24 × 20 pixels): the
                     6 × 5 merged grid splits into 3 × 3 windows, the right-hand column of them one unit wide.
                     Parameter names are HF's under the vision tower's root ("blocks.0.attn.qkv.weight", ...). Tensors:
                       pixels (3, 24, 20), pixel_values (120, 24) as the processor flattens them, gy (30, 24),
                       <param> for every parameter, y (30, 24), grad.<param>

  adamw.bin          Three steps of torch.optim.AdamW(lr 1e-2, betas (0.9, 0.999), eps 1e-8, weight_decay 0.1)
                     on p0 (3, 4) and p1 (5,) with loss sum((p0*c0)^2) + sum((p1*c1)^2). c0 holds a 0 (a zero
                     gradient: only the decay acts) and c1 a 7e-5 (gradient ~2e-9, below eps).
                       hparams (5,) = [lr, beta1, beta2, eps, weight_decay], c0, c1, init.p0, init.p1,
                       step{1,2,3}.grad.p{0,1} (the gradient used at that step), step{1,2,3}.p{0,1} (after it)

Precision: the two blocks are evaluated in float64 from float32-representable inputs and parameters, and
stored rounded to float32, so the stored outputs and gradients carry no float32 accumulation error of their
own. The script prints how far torch's own float32 evaluation lands from them, the baseline for the C#
tolerances. AdamW runs in float32, exactly as torch.optim.AdamW does it.

File format (little-endian): magic b"DPGF", int32 version = 1, int32 count, then per tensor: int32 name
length, UTF-8 name, int32 rank, int32 dims[rank], float32 data (row-major).
"""

import argparse
import math
import os
import struct
from collections import OrderedDict

import torch
import torch.nn.functional as F

MAGIC = b"DPGF"
VERSION = 1
DEFAULT_OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "DiffPrune.Tensors.Tests",
                           "Golden", "Fixtures")


# ----------------------------------------------------------------------------------------------- file format

def write_fixture(path, tensors):
    """tensors: ordered name -> torch.Tensor (any float dtype; stored as float32)."""
    with open(path, "wb") as f:
        f.write(MAGIC)
        f.write(struct.pack("<ii", VERSION, len(tensors)))
        for name, t in tensors.items():
            t = t.detach().to(torch.float32).contiguous().cpu()
            nb = name.encode("utf-8")
            f.write(struct.pack("<i", len(nb)))
            f.write(nb)
            f.write(struct.pack("<i", t.dim()))
            if t.dim() > 0:
                f.write(struct.pack("<%di" % t.dim(), *t.shape))
            f.write(t.numpy().astype("<f4").tobytes())
    return os.path.getsize(path)


def f32(gen, *shape, scale=1.0, shift=0.0):
    """Float32 normal samples (so that every value is exactly representable in the fixture)."""
    return (torch.randn(*shape, generator=gen, dtype=torch.float32) * scale + shift).to(torch.float32)


def max_diff(a, b):
    return (a.double() - b.double()).abs().max().item()


# ----------------------------------------------------------------------------------------------- pre-norm block

def clip_layer(x, p, key_valid, heads):
    """CLIPEncoderLayer (pre-norm) in plain torch. key_valid: (B, T) bool or None. x (B, T, C)."""
    b, t, c = x.shape
    hd = c // heads

    def split(z):  # (B, T, C) -> (B, H, T, hd)
        return z.view(b, t, heads, hd).transpose(1, 2)

    residual = x
    h = F.layer_norm(x, (c,), p["layer_norm1.weight"], p["layer_norm1.bias"], eps=1e-5)
    q = split(F.linear(h, p["self_attn.q_proj.weight"], p["self_attn.q_proj.bias"]))
    k = split(F.linear(h, p["self_attn.k_proj.weight"], p["self_attn.k_proj.bias"]))
    v = split(F.linear(h, p["self_attn.v_proj.weight"], p["self_attn.v_proj.bias"]))
    scores = q @ k.transpose(-1, -2) * hd ** -0.5                                # (B, H, T, T)
    if key_valid is not None:
        scores = scores.masked_fill(~key_valid[:, None, None, :], float("-inf"))
    probs = torch.softmax(scores, dim=-1)
    o = (probs @ v).transpose(1, 2).reshape(b, t, c)                             # (B, T, C)
    h = residual + F.linear(o, p["self_attn.out_proj.weight"], p["self_attn.out_proj.bias"])
    residual = h
    m = F.layer_norm(h, (c,), p["layer_norm2.weight"], p["layer_norm2.bias"], eps=1e-5)
    m = F.linear(F.gelu(F.linear(m, p["mlp.fc1.weight"], p["mlp.fc1.bias"])), p["mlp.fc2.weight"], p["mlp.fc2.bias"])
    return residual + m


def make_prenorm(out_dir):
    gen = torch.Generator().manual_seed(1234)
    c, heads, hidden, b, t = 32, 4, 64, 2, 5
    params = OrderedDict()
    # same order as TransformerBlock.NamedParameters()
    for proj in ("k_proj", "v_proj", "q_proj", "out_proj"):
        params[f"self_attn.{proj}.weight"] = f32(gen, c, c, scale=c ** -0.5)
        params[f"self_attn.{proj}.bias"] = f32(gen, c, scale=0.1)
    params["layer_norm1.weight"] = f32(gen, c, scale=0.1, shift=1.0)
    params["layer_norm1.bias"] = f32(gen, c, scale=0.1)
    params["mlp.fc1.weight"] = f32(gen, hidden, c, scale=c ** -0.5)
    params["mlp.fc1.bias"] = f32(gen, hidden, scale=0.1)
    params["mlp.fc2.weight"] = f32(gen, c, hidden, scale=hidden ** -0.5)
    params["mlp.fc2.bias"] = f32(gen, c, scale=0.1)
    params["layer_norm2.weight"] = f32(gen, c, scale=0.1, shift=1.0)
    params["layer_norm2.bias"] = f32(gen, c, scale=0.1)
    x = f32(gen, b, t, c)
    gy = f32(gen, b, t, c)
    valid = torch.ones(b, t, dtype=torch.bool)
    valid[1, 3:] = False                       # sample 1: keys 3 and 4 are padding

    out = OrderedDict(x=x, gy=gy)
    out.update(params)
    out["mask.valid"] = valid.float()
    for prefix, mask in (("", None), ("masked.", valid)):
        y, grads = run_with_grads(lambda xx, pp: clip_layer(xx, pp, mask, heads), x, params, gy, torch.float64)
        y32, grads32 = run_with_grads(lambda xx, pp: clip_layer(xx, pp, mask, heads), x, params, gy, torch.float32)
        out[prefix + "y"] = y
        for name, g in grads.items():
            out[prefix + "grad." + name] = g
        report_baseline("prenorm_block " + (prefix or "unmasked."), y, y32, grads, grads32)
    return write_fixture(os.path.join(out_dir, "prenorm_block.bin"), out)


def run_with_grads(fn, x, params, gy, dtype):
    """y = fn(x, params) in dtype; returns y and the gradients of sum(y * gy) for x and every parameter."""
    xx = x.detach().clone().to(dtype).requires_grad_(True)
    pp = OrderedDict((n, v.detach().clone().to(dtype).requires_grad_(True)) for n, v in params.items())
    y = fn(xx, pp)
    y.backward(gy.to(dtype))
    grads = OrderedDict(x=xx.grad)
    for n, v in pp.items():
        grads[n] = v.grad
    return y.detach(), grads


def report_baseline(label, y, y32, grads, grads32):
    worst = max(max_diff(grads[n], grads32[n]) for n in grads)
    print(f"  {label:28s} torch float32 vs float64: y {max_diff(y, y32):.2e}, gradients {worst:.2e}")


# ----------------------------------------------------------------------------------------------- LLaMA block
# The functions below follow transformers' modeling_llama.py (LlamaRMSNorm, LlamaRotaryEmbedding, rotate_half,
# apply_rotary_pos_emb, repeat_kv, eager_attention_forward, LlamaMLP, LlamaDecoderLayer) with the modules
# replaced by explicit weights.

def llama_rms_norm(hidden_states, weight, eps):
    input_dtype = hidden_states.dtype
    variance = hidden_states.pow(2).mean(-1, keepdim=True)
    hidden_states = hidden_states * torch.rsqrt(variance + eps)
    return weight * hidden_states.to(input_dtype)


def llama_rotary_cos_sin(position_ids, head_dim, base, dtype):
    inv_freq = 1.0 / (base ** (torch.arange(0, head_dim, 2, dtype=torch.int64).to(dtype) / head_dim))
    inv_freq_expanded = inv_freq[None, :, None].expand(position_ids.shape[0], -1, 1)
    position_ids_expanded = position_ids[:, None, :].to(dtype)
    freqs = (inv_freq_expanded @ position_ids_expanded).transpose(1, 2)          # (B, T, D/2)
    emb = torch.cat((freqs, freqs), dim=-1)                                       # (B, T, D)
    return emb.cos(), emb.sin()


def rotate_half(x):
    x1 = x[..., : x.shape[-1] // 2]
    x2 = x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


def apply_rotary_pos_emb(q, k, cos, sin, unsqueeze_dim=1):
    cos = cos.unsqueeze(unsqueeze_dim)
    sin = sin.unsqueeze(unsqueeze_dim)
    q_embed = (q * cos) + (rotate_half(q) * sin)
    k_embed = (k * cos) + (rotate_half(k) * sin)
    return q_embed, k_embed


def repeat_kv(hidden_states, n_rep):
    batch, num_key_value_heads, slen, head_dim = hidden_states.shape
    if n_rep == 1:
        return hidden_states
    hidden_states = hidden_states[:, :, None, :, :].expand(batch, num_key_value_heads, n_rep, slen, head_dim)
    return hidden_states.reshape(batch, num_key_value_heads * n_rep, slen, head_dim)


def llama_decoder_layer(x, p, position_ids, cfg):
    b, t, hidden = x.shape
    heads, kv_heads, head_dim = cfg["heads"], cfg["kv_heads"], cfg["head_dim"]
    cos, sin = llama_rotary_cos_sin(position_ids, head_dim, cfg["theta"], x.dtype)

    residual = x
    h = llama_rms_norm(x, p["input_layernorm.weight"], cfg["eps"])
    # LlamaAttention.forward
    q = F.linear(h, p["self_attn.q_proj.weight"]).view(b, t, -1, head_dim).transpose(1, 2)   # (B, H, T, D)
    k = F.linear(h, p["self_attn.k_proj.weight"]).view(b, t, -1, head_dim).transpose(1, 2)   # (B, Hkv, T, D)
    v = F.linear(h, p["self_attn.v_proj.weight"]).view(b, t, -1, head_dim).transpose(1, 2)   # (B, Hkv, T, D)
    q, k = apply_rotary_pos_emb(q, k, cos, sin)
    # eager_attention_forward
    k = repeat_kv(k, heads // kv_heads)
    v = repeat_kv(v, heads // kv_heads)
    attn_weights = torch.matmul(q, k.transpose(2, 3)) * head_dim ** -0.5
    causal = torch.full((t, t), torch.finfo(x.dtype).min, dtype=x.dtype).triu(1)             # 0 on and below the diagonal
    attn_weights = attn_weights + causal[None, None]
    attn_weights = torch.softmax(attn_weights, dim=-1, dtype=torch.float32 if x.dtype == torch.float32 else x.dtype)
    attn_output = torch.matmul(attn_weights.to(q.dtype), v).transpose(1, 2).contiguous()     # (B, T, H, D)
    attn_output = F.linear(attn_output.reshape(b, t, -1), p["self_attn.o_proj.weight"])
    h = residual + attn_output
    # post-attention
    residual = h
    h = llama_rms_norm(h, p["post_attention_layernorm.weight"], cfg["eps"])
    h = F.linear(F.silu(F.linear(h, p["mlp.gate_proj.weight"])) * F.linear(h, p["mlp.up_proj.weight"]),
                 p["mlp.down_proj.weight"])
    return residual + h


def make_llama(out_dir):
    gen = torch.Generator().manual_seed(4321)
    cfg = dict(hidden=32, heads=4, kv_heads=2, head_dim=8, intermediate=48, eps=1e-5, theta=10000.0)
    hidden, inter, b, t = cfg["hidden"], cfg["intermediate"], 2, 6
    kv = cfg["kv_heads"] * cfg["head_dim"]
    params = OrderedDict()
    params["input_layernorm.weight"] = f32(gen, hidden, scale=0.1, shift=1.0)
    params["self_attn.q_proj.weight"] = f32(gen, cfg["heads"] * cfg["head_dim"], hidden, scale=hidden ** -0.5)
    params["self_attn.k_proj.weight"] = f32(gen, kv, hidden, scale=hidden ** -0.5)
    params["self_attn.v_proj.weight"] = f32(gen, kv, hidden, scale=hidden ** -0.5)
    params["self_attn.o_proj.weight"] = f32(gen, hidden, cfg["heads"] * cfg["head_dim"], scale=hidden ** -0.5)
    params["post_attention_layernorm.weight"] = f32(gen, hidden, scale=0.1, shift=1.0)
    params["mlp.gate_proj.weight"] = f32(gen, inter, hidden, scale=hidden ** -0.5)
    params["mlp.up_proj.weight"] = f32(gen, inter, hidden, scale=hidden ** -0.5)
    params["mlp.down_proj.weight"] = f32(gen, hidden, inter, scale=inter ** -0.5)
    x = f32(gen, b, t, hidden)
    gy = f32(gen, b, t, hidden)
    position_ids = torch.tensor([[0, 1, 2, 5, 6, 9], [0, 3, 4, 5, 8, 10]], dtype=torch.int64)

    fn = lambda xx, pp: llama_decoder_layer(xx, pp, position_ids, cfg)
    y, grads = run_with_grads(fn, x, params, gy, torch.float64)
    y32, grads32 = run_with_grads(fn, x, params, gy, torch.float32)
    report_baseline("llama_block", y, y32, grads, grads32)

    out = OrderedDict(x=x, gy=gy)
    out.update(params)
    out["position_ids"] = position_ids.float()
    out["y"] = y
    for name, g in grads.items():
        out["grad." + name] = g
    return write_fixture(os.path.join(out_dir, "llama_block.bin"), out)


# ----------------------------------------------------------------------------------------------- M-RoPE

def apply_multimodal_rotary_pos_emb(x, position_ids, mrope_section, base):
    """x (B, H, T, D); position_ids (3, B, T). As Hugging Face's Qwen2-VL: cos/sin (3, B, T, D), chunked."""
    head_dim = x.shape[-1]
    inv_freq = 1.0 / (base ** (torch.arange(0, head_dim, 2, dtype=torch.int64).to(x.dtype) / head_dim))
    freqs = position_ids[..., None].to(x.dtype) * inv_freq                            # (3, B, T, D/2)
    emb = torch.cat((freqs, freqs), dim=-1)                                           # (3, B, T, D)
    cos, sin = emb.cos(), emb.sin()
    sections = mrope_section * 2
    cos = torch.cat([m[i % 3] for i, m in enumerate(cos.split(sections, dim=-1))], dim=-1).unsqueeze(1)
    sin = torch.cat([m[i % 3] for i, m in enumerate(sin.split(sections, dim=-1))], dim=-1).unsqueeze(1)
    return (x * cos) + (rotate_half(x) * sin)


def make_mrope(out_dir):
    gen = torch.Generator().manual_seed(2025)
    b, h, t, d, section = 2, 2, 8, 16, [2, 3, 3]
    x = f32(gen, b, h, t, d)
    gy = f32(gen, b, h, t, d)
    # (temporal, height, width) per token. Sample 0: a text token, a 2 x 3 image grid from 1 (t fixed, h = 1 + row,
    # w = 1 + column), text going on at the largest position + 1. Sample 1: two text tokens, then the grid from 2.
    sample0 = [[0, 1, 1, 1, 1, 1, 1, 4], [0, 1, 1, 1, 2, 2, 2, 4], [0, 1, 2, 3, 1, 2, 3, 4]]
    sample1 = [[0, 1, 2, 2, 2, 2, 2, 2], [0, 1, 2, 2, 2, 3, 3, 3], [0, 1, 2, 3, 4, 2, 3, 4]]
    position_ids = torch.tensor([sample0, sample1], dtype=torch.int64).transpose(0, 1).contiguous()  # (3, B, T)

    fn = lambda xx, _: apply_multimodal_rotary_pos_emb(xx, position_ids, section, 10000.0)
    y, grads = run_with_grads(fn, x, OrderedDict(), gy, torch.float64)
    y32, grads32 = run_with_grads(fn, x, OrderedDict(), gy, torch.float32)
    report_baseline("mrope", y, y32, grads, grads32)
    out = OrderedDict(x=x, gy=gy)
    out["position_ids"] = position_ids.float()
    out["y"] = y
    out["grad.x"] = grads["x"]
    return write_fixture(os.path.join(out_dir, "mrope.bin"), out)


# ----------------------------------------------------------------------------------------------- Qwen2.5-VL vision
# The functions below follow transformers' modeling_qwen2_5_vl.py (VisionRotaryEmbedding, rot_pos_emb,
# get_window_index, apply_rotary_pos_emb_vision, Qwen2_5_VLVisionAttention (eager, mask from cu_seqlens),
# Qwen2_5_VLMLP, Qwen2_5_VLVisionBlock, Qwen2_5_VLPatchMerger, Qwen2_5_VisionTransformerPretrainedModel.forward)
# and image_processing_qwen2_vl.py (_preprocess's patch flattening) with the modules replaced by explicit weights,
# for one image (grid_t = 1).

QWEN_VISION = dict(depth=3, hidden=32, heads=2, intermediate=48, in_chans=3, out_hidden=24, patch=2, merge=2,
                   temporal=2, window=8, fullatt=[1], eps=1e-6, theta=10000.0, grid_h=12, grid_w=10)


def qwen_flatten_patches(image, cfg):
    """image (C, H, W) -> (grid_h * grid_w, C * temporal * patch * patch), as Qwen2VLImageProcessor._preprocess."""
    patches = image[None].repeat(cfg["temporal"], 1, 1, 1)                        # one image, repeated over the frames
    tps, channel, p, ms = cfg["temporal"], image.shape[0], cfg["patch"], cfg["merge"]
    grid_t, grid_h, grid_w = 1, image.shape[1] // p, image.shape[2] // p
    patches = patches.reshape(grid_t, tps, channel, grid_h // ms, ms, p, grid_w // ms, ms, p)
    patches = patches.permute(0, 3, 6, 4, 7, 2, 1, 5, 8)
    return patches.reshape(grid_t * grid_h * grid_w, channel * tps * p * p)


def qwen_rot_pos_emb(cfg, dtype):
    h, w, sms = cfg["grid_h"], cfg["grid_w"], cfg["merge"]
    hpos_ids = torch.arange(h).unsqueeze(1).expand(-1, w)
    hpos_ids = hpos_ids.reshape(h // sms, sms, w // sms, sms).permute(0, 2, 1, 3).flatten()
    wpos_ids = torch.arange(w).unsqueeze(0).expand(h, -1)
    wpos_ids = wpos_ids.reshape(h // sms, sms, w // sms, sms).permute(0, 2, 1, 3).flatten()
    pos_ids = torch.stack([hpos_ids, wpos_ids], dim=-1)
    dim = cfg["hidden"] // cfg["heads"] // 2                                       # VisionRotaryEmbedding(head_dim // 2)
    inv_freq = 1.0 / (cfg["theta"] ** (torch.arange(0, dim, 2, dtype=torch.float) / dim))
    freqs = torch.outer(torch.arange(max(h, w), dtype=inv_freq.dtype), inv_freq).to(dtype)
    return freqs[pos_ids].flatten(1)                                               # (N, head_dim / 2): rows, then columns


def qwen_window_index(cfg):
    window_index, cu_window_seqlens = [], [0]
    sms = cfg["merge"]
    vit_merger_window_size = cfg["window"] // sms // cfg["patch"]
    grid_t, llm_grid_h, llm_grid_w = 1, cfg["grid_h"] // sms, cfg["grid_w"] // sms
    index = torch.arange(grid_t * llm_grid_h * llm_grid_w).reshape(grid_t, llm_grid_h, llm_grid_w)
    pad_h = vit_merger_window_size - llm_grid_h % vit_merger_window_size
    pad_w = vit_merger_window_size - llm_grid_w % vit_merger_window_size
    num_windows_h = (llm_grid_h + pad_h) // vit_merger_window_size
    num_windows_w = (llm_grid_w + pad_w) // vit_merger_window_size
    index_padded = F.pad(index, (0, pad_w, 0, pad_h), "constant", -100)
    index_padded = index_padded.reshape(grid_t, num_windows_h, vit_merger_window_size, num_windows_w, vit_merger_window_size)
    index_padded = index_padded.permute(0, 1, 3, 2, 4).reshape(
        grid_t, num_windows_h * num_windows_w, vit_merger_window_size, vit_merger_window_size)
    seqlens = (index_padded != -100).sum([2, 3]).reshape(-1)
    index_padded = index_padded.reshape(-1)
    window_index.append(index_padded[index_padded != -100])
    cu_seqlens_tmp = seqlens.cumsum(0) * sms * sms + cu_window_seqlens[-1]
    cu_window_seqlens.extend(cu_seqlens_tmp.tolist())
    return torch.cat(window_index, dim=0), torch.unique_consecutive(torch.tensor(cu_window_seqlens))


def qwen_vision_attention(x, p, cu_seqlens, cos, sin, cfg):
    seq_length, heads = x.shape[0], cfg["heads"]
    head_dim = cfg["hidden"] // heads
    q, k, v = F.linear(x, p["attn.qkv.weight"], p["attn.qkv.bias"]).reshape(seq_length, 3, heads, -1).permute(1, 0, 2, 3).unbind(0)
    cos, sin = cos.unsqueeze(-2), sin.unsqueeze(-2)                                # apply_rotary_pos_emb_vision
    q = (q * cos) + (rotate_half(q) * sin)
    k = (k * cos) + (rotate_half(k) * sin)
    attention_mask = torch.full([1, seq_length, seq_length], torch.finfo(q.dtype).min, dtype=q.dtype)
    for i in range(1, len(cu_seqlens)):
        attention_mask[..., cu_seqlens[i - 1]:cu_seqlens[i], cu_seqlens[i - 1]:cu_seqlens[i]] = 0
    q, k, v = q.transpose(0, 1), k.transpose(0, 1), v.transpose(0, 1)
    attn_weights = torch.matmul(q, k.transpose(1, 2)) / math.sqrt(head_dim) + attention_mask
    attn_weights = torch.softmax(attn_weights, dim=-1)
    attn_output = torch.matmul(attn_weights, v).transpose(0, 1).reshape(seq_length, -1)
    return F.linear(attn_output, p["attn.proj.weight"], p["attn.proj.bias"])


def qwen_vision_block(x, p, cu_seqlens, cos, sin, cfg):
    x = x + qwen_vision_attention(llama_rms_norm(x, p["norm1.weight"], cfg["eps"]), p, cu_seqlens, cos, sin, cfg)
    h = llama_rms_norm(x, p["norm2.weight"], cfg["eps"])
    return x + F.linear(F.silu(F.linear(h, p["mlp.gate_proj.weight"], p["mlp.gate_proj.bias"]))
                        * F.linear(h, p["mlp.up_proj.weight"], p["mlp.up_proj.bias"]),
                        p["mlp.down_proj.weight"], p["mlp.down_proj.bias"])


def qwen_vision_forward(pixel_values, p, cfg):
    unit = cfg["merge"] ** 2
    hidden_states = F.linear(pixel_values, p["patch_embed.proj.weight"].reshape(cfg["hidden"], -1))  # the Conv3d
    rotary_pos_emb = qwen_rot_pos_emb(cfg, pixel_values.dtype)
    window_index, cu_window_seqlens = qwen_window_index(cfg)
    seq_len = hidden_states.shape[0]
    hidden_states = hidden_states.reshape(seq_len // unit, unit, -1)[window_index, :, :].reshape(seq_len, -1)
    rotary_pos_emb = rotary_pos_emb.reshape(seq_len // unit, unit, -1)[window_index, :, :].reshape(seq_len, -1)
    emb = torch.cat((rotary_pos_emb, rotary_pos_emb), dim=-1)
    cos, sin = emb.cos(), emb.sin()
    cu_seqlens = torch.tensor([0, seq_len])
    for layer_num in range(cfg["depth"]):
        cu_seqlens_now = cu_seqlens if layer_num in cfg["fullatt"] else cu_window_seqlens
        block = OrderedDict((n[len(f"blocks.{layer_num}."):], v) for n, v in p.items() if n.startswith(f"blocks.{layer_num}."))
        hidden_states = qwen_vision_block(hidden_states, block, cu_seqlens_now, cos, sin, cfg)
    x = llama_rms_norm(hidden_states, p["merger.ln_q.weight"], cfg["eps"]).view(-1, unit * cfg["hidden"])
    x = F.linear(F.gelu(F.linear(x, p["merger.mlp.0.weight"], p["merger.mlp.0.bias"])), p["merger.mlp.2.weight"], p["merger.mlp.2.bias"])
    return x[torch.argsort(window_index), :]


def qwen_vision_params(gen, cfg):
    d, inter, unit = cfg["hidden"], cfg["intermediate"], cfg["merge"] ** 2
    patch_vector = cfg["in_chans"] * cfg["temporal"] * cfg["patch"] ** 2
    params = OrderedDict()
    params["patch_embed.proj.weight"] = f32(gen, d, cfg["in_chans"], cfg["temporal"], cfg["patch"], cfg["patch"],
                                            scale=patch_vector ** -0.5)
    for i in range(cfg["depth"]):
        b = f"blocks.{i}."
        params[b + "norm1.weight"] = f32(gen, d, scale=0.1, shift=1.0)
        params[b + "attn.qkv.weight"] = f32(gen, 3 * d, d, scale=d ** -0.5)
        params[b + "attn.qkv.bias"] = f32(gen, 3 * d, scale=0.1)
        params[b + "attn.proj.weight"] = f32(gen, d, d, scale=d ** -0.5)
        params[b + "attn.proj.bias"] = f32(gen, d, scale=0.1)
        params[b + "norm2.weight"] = f32(gen, d, scale=0.1, shift=1.0)
        for name, (o, n) in (("gate_proj", (inter, d)), ("up_proj", (inter, d)), ("down_proj", (d, inter))):
            params[b + f"mlp.{name}.weight"] = f32(gen, o, n, scale=n ** -0.5)
            params[b + f"mlp.{name}.bias"] = f32(gen, o, scale=0.1)
    params["merger.ln_q.weight"] = f32(gen, d, scale=0.1, shift=1.0)
    params["merger.mlp.0.weight"] = f32(gen, unit * d, unit * d, scale=(unit * d) ** -0.5)
    params["merger.mlp.0.bias"] = f32(gen, unit * d, scale=0.1)
    params["merger.mlp.2.weight"] = f32(gen, cfg["out_hidden"], unit * d, scale=(unit * d) ** -0.5)
    params["merger.mlp.2.bias"] = f32(gen, cfg["out_hidden"], scale=0.1)
    return params


def make_qwen25_vision(out_dir):
    gen = torch.Generator().manual_seed(2550)
    cfg = QWEN_VISION
    params = qwen_vision_params(gen, cfg)
    pixels = f32(gen, cfg["in_chans"], cfg["grid_h"] * cfg["patch"], cfg["grid_w"] * cfg["patch"])
    pixel_values = qwen_flatten_patches(pixels, cfg)
    tokens = cfg["grid_h"] * cfg["grid_w"] // cfg["merge"] ** 2
    gy = f32(gen, tokens, cfg["out_hidden"])

    fn = lambda xx, pp: qwen_vision_forward(xx, pp, cfg)
    y, grads = run_with_grads(fn, pixel_values, params, gy, torch.float64)
    y32, grads32 = run_with_grads(fn, pixel_values, params, gy, torch.float32)
    report_baseline("qwen25_vision", y, y32, grads, grads32)
    out = OrderedDict(pixels=pixels, pixel_values=pixel_values, gy=gy)
    out.update(params)
    out["y"] = y
    for name, g in grads.items():
        if name != "x":
            out["grad." + name] = g
    return write_fixture(os.path.join(out_dir, "qwen25_vision.bin"), out)


# ----------------------------------------------------------------------------------------------- AdamW

def make_adamw(out_dir):
    gen = torch.Generator().manual_seed(99)
    lr, betas, eps, wd = 1e-2, (0.9, 0.999), 1e-8, 0.1
    p0 = f32(gen, 3, 4).requires_grad_(True)
    p1 = f32(gen, 5).requires_grad_(True)
    c0 = f32(gen, 3, 4, scale=2.0)
    c0[1, 2] = 0.0                               # zero gradient: only the weight decay moves it
    c1 = f32(gen, 5)
    c1[3] = 7e-5                                 # gradient ~1e-8: the update depends on eps
    out = OrderedDict()
    out["hparams"] = torch.tensor([lr, betas[0], betas[1], eps, wd], dtype=torch.float32)
    out["c0"], out["c1"] = c0, c1
    out["init.p0"], out["init.p1"] = p0.detach().clone(), p1.detach().clone()
    opt = torch.optim.AdamW([p0, p1], lr=lr, betas=betas, eps=eps, weight_decay=wd)
    for step in (1, 2, 3):
        opt.zero_grad()
        loss = ((p0 * c0) ** 2).sum() + ((p1 * c1) ** 2).sum()
        loss.backward()
        out[f"step{step}.grad.p0"], out[f"step{step}.grad.p1"] = p0.grad.clone(), p1.grad.clone()
        opt.step()
        out[f"step{step}.p0"], out[f"step{step}.p1"] = p0.detach().clone(), p1.detach().clone()
    print(f"  {'adamw':28s} |p1[3] grad| at step 1: {abs(out['step1.grad.p1'][3].item()):.2e}")
    return write_fixture(os.path.join(out_dir, "adamw.bin"), out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=DEFAULT_OUT, help="output folder (default: the C# tests' Golden/Fixtures)")
    args = ap.parse_args()
    out_dir = os.path.normpath(args.out)
    os.makedirs(out_dir, exist_ok=True)
    torch.use_deterministic_algorithms(True)
    print(f"torch {torch.__version__}, writing to {out_dir}")
    for name, make in (("prenorm_block.bin", make_prenorm), ("llama_block.bin", make_llama), ("mrope.bin", make_mrope),
                       ("qwen25_vision.bin", make_qwen25_vision), ("adamw.bin", make_adamw)):
        size = make(out_dir)
        print(f"{name}: {size} bytes")


if __name__ == "__main__":
    main()
